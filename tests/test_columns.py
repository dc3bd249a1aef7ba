"""The step columns and the moves (blueprint.ways) say what each step says when read one at a time."""
from hypothesis import HealthCheck, given, settings

from blueprint.model import CUSTOMER, Blueprint
from blueprint.story import records
from blueprint.strategies import blueprints
from blueprint.ways import columns, moves, step_times, time_in_step, ways_out, work_time


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blueprints(max_steps=10, dead_ends=True))
def test_the_columns_and_moves_agree_with_each_step_read_alone(model):
    c = columns(model)
    steps = list(model.steps.values())
    assert [c.ids[i] for i in c.front.nonzero()[0]] == list(records(model).test)
    assert c.contact.tolist() == [s.lane == CUSTOMER and bool(s.channel) for s in steps]
    assert c.owner == [s.owner for s in steps]
    assert c.cost.tolist() == [s.cost or 0.0 for s in steps]
    assert c.fail.tolist() == [s.fail_point is not None for s in steps]
    moves(model)  # the ways of the steps that are not plain, from their own flows
    alone = Blueprint.model_validate(model.to_data())  # a fresh model: each step's ways from model.outgoing
    assert [ways_out(model, s) for s in model.steps] == [ways_out(alone, s) for s in alone.steps]
    spent, work = step_times(model)
    assert spent == [time_in_step(alone, s) for s in alone.steps]
    assert work == [work_time(alone, s) for s in alone.steps]
