"""BPMN 2.0 in and out: the mapping on small hand-made files, every real file of ../shared/bpmn,
XSD validity and round trips of every example, and hostile XML."""
from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import blueprint as bp
from blueprint.bpmn import MappingWarning, import_bpmn, iso_duration, parse_iso_duration, read_bpmn, to_bpmn
from blueprint.errors import BlueprintError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = sorted(glob.glob(str(SHARED / "bpmn" / "*" / "*.bpmn")))
EXAMPLES = sorted(glob.glob(str(ROOT / "examples" / "*.yaml")) + glob.glob(str(SHARED / "fixtures" / "valid" / "*")))
#: Real files that hold no importable process, with the words their one error must contain.
NOT_PROCESSES = {"event-sub-process-typed-start-event-correct.bpmn": "event sub-process",
                 "event-sub-process-typed-start-event-incorrect.bpmn": "event sub-process",
                 "sub-process-blank-start-event-correct.bpmn": "nothing to import",
                 "sub-process-blank-start-event-incorrect.bpmn": "nothing to import"}

HEAD = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:qbp="http://www.qbp-simulator.com/Schema201212" xmlns:bpsim="http://www.bpsim.org/schemas/1.0" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn">')


def cli(*args):
    """Run the command line in this process: (exit code, stderr)."""
    from click.testing import CliRunner

    from blueprint.cli import cli as group

    done = CliRunner().invoke(group, [str(a) for a in args])
    return done.exit_code, done.stderr


def _schema():
    xmlschema = pytest.importorskip("xmlschema")
    spiff = pytest.importorskip("SpiffWorkflow")
    return xmlschema.XMLSchema(str(Path(spiff.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"))


def bpmn(tmp_path, body: str, name: str = "p.bpmn") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + "</definitions>")
    return path


def flows(model) -> dict[tuple[str, str], float | None]:
    return {(f.source, f.target): (round(f.p, 9) if f.p is not None else None) for f in model.flows}


def seq(*pairs) -> str:
    return "".join(f'<sequenceFlow id="{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs)


# --------------------------------------------------------------------------------------------
# the mapping, on small files worked out by hand
# --------------------------------------------------------------------------------------------
def test_exclusive_gateway_becomes_branches_with_qbp_chances(tmp_path):
    path = bpmn(tmp_path, """
      <process id="p">
        <extensionElements><qbp:processSimulationInfo id="i">
          <qbp:sequenceFlows><qbp:sequenceFlow elementId="g_yes" executionProbability="0.3"/>
            <qbp:sequenceFlow elementId="g_no" executionProbability="0.7"/></qbp:sequenceFlows>
          <qbp:elements><qbp:element elementId="a"><qbp:durationDistribution type="NORMAL" mean="600" arg1="120"
             arg2="NaN"/></qbp:element></qbp:elements>
        </qbp:processSimulationInfo></extensionElements>
        <startEvent id="s"/><task id="a" name="Assess"/><exclusiveGateway id="g"/>
        <task id="b" name="Approve"/><task id="c" name="Reject"/><endEvent id="e"/>
        <sequenceFlow id="f0" sourceRef="s" targetRef="a"/><sequenceFlow id="f1" sourceRef="a" targetRef="g"/>
        <sequenceFlow id="g_yes" name="yes" sourceRef="g" targetRef="b"/>
        <sequenceFlow id="g_no" sourceRef="g" targetRef="c"/>
        """ + seq(("b", "e"), ("c", "e")) + "</process>")
    model, notes = import_bpmn(path)
    assert flows(model) == {("assess", "approve"): 0.3, ("assess", "reject"): 0.7, ("approve", "e"): None,
                            ("reject", "e"): None}
    assert next(f.label for f in model.flows if f.target == "approve") == "yes"
    assert model.entry == {"assess": 1.0}
    assert model.steps["assess"].duration.normal.mean == 10 and model.steps["assess"].duration.normal.sd == 2
    assert model.steps["e"].outcome == "success" and notes == []


@pytest.mark.parametrize("probabilities, expected", [
    (("30", "70"), (0.3, 0.7)),          # BPSim tools that write percentages
    (("0.25", "0.75"), (0.25, 0.75)),
    ((None, None), (None, None)),        # no chances: equal, left unweighted
])
def test_bpsim_chances_are_read_and_percentages_scaled(tmp_path, probabilities, expected):
    params = "".join(f'<bpsim:ElementParameters elementRef="{f}"><bpsim:ControlParameters><bpsim:Probability>'
                     f'<bpsim:FloatingParameter value="{v}"/></bpsim:Probability></bpsim:ControlParameters>'
                     f'</bpsim:ElementParameters>' for f, v in zip(("g_b", "g_c"), probabilities) if v)
    path = bpmn(tmp_path, f"""
      <process id="p"><startEvent id="s"/><task id="a"/><exclusiveGateway id="g"/><task id="b"/><task id="c"/>
        <endEvent id="e"/>{seq(("s", "a"), ("a", "g"), ("g", "b"), ("g", "c"), ("b", "e"), ("c", "e"))}</process>
      <relationship type="BPSimData"><source>p</source><target>p</target><extensionElements>
        <bpsim:BPSimData><bpsim:Scenario id="s1">{params}</bpsim:Scenario></bpsim:BPSimData>
      </extensionElements></relationship>""")
    model = read_bpmn(path)
    assert (flows(model)["a", "b"], flows(model)["a", "c"]) == expected


def test_camunda_probability_property_is_read(tmp_path):
    prop = '<extensionElements><camunda:properties><camunda:property name="probability" value="{}"/>' \
           '</camunda:properties></extensionElements>'
    path = bpmn(tmp_path, f"""
      <process id="p"><startEvent id="s"/><task id="a"/><exclusiveGateway id="g"/><task id="b"/><task id="c"/>
        <endEvent id="e"/>{seq(("s", "a"), ("a", "g"), ("b", "e"), ("c", "e"))}
        <sequenceFlow id="x" sourceRef="g" targetRef="b">{prop.format(0.9)}</sequenceFlow>
        <sequenceFlow id="y" sourceRef="g" targetRef="c">{prop.format(0.1)}</sequenceFlow></process>""")
    assert flows(read_bpmn(path))["a", "b"] == 0.9


def test_gateway_chains_multiply_chances(tmp_path):
    # a -> g1 (0.5 b, 0.5 -> g2 (0.4 c, 0.6 d)): c gets 0.2, d 0.3, with no step for g2
    path = bpmn(tmp_path, """
      <process id="p">
        <extensionElements><qbp:processSimulationInfo id="i"><qbp:sequenceFlows>
          <qbp:sequenceFlow elementId="x1" executionProbability="0.5"/>
          <qbp:sequenceFlow elementId="x2" executionProbability="0.5"/>
          <qbp:sequenceFlow elementId="y1" executionProbability="0.4"/>
          <qbp:sequenceFlow elementId="y2" executionProbability="0.6"/></qbp:sequenceFlows>
        </qbp:processSimulationInfo></extensionElements>
        <startEvent id="s"/><task id="a"/><exclusiveGateway id="g1"/><exclusiveGateway id="g2"/>
        <task id="b"/><task id="c"/><task id="d"/><endEvent id="e"/>
        <sequenceFlow id="x1" sourceRef="g1" targetRef="b"/><sequenceFlow id="x2" sourceRef="g1" targetRef="g2"/>
        <sequenceFlow id="y1" sourceRef="g2" targetRef="c"/><sequenceFlow id="y2" sourceRef="g2" targetRef="d"/>
        """ + seq(("s", "a"), ("a", "g1"), ("b", "e"), ("c", "e"), ("d", "e")) + "</process>")
    model = read_bpmn(path)
    assert {k: v for k, v in flows(model).items() if k[0] == "a"} == {("a", "b"): 0.5, ("a", "c"): 0.2,
                                                                      ("a", "d"): 0.3}
    assert sorted(model.steps) == ["a", "b", "c", "d", "e"]


def test_unweighted_nested_choices_get_equal_chances_at_each_gateway(tmp_path):
    path = bpmn(tmp_path, """
      <process id="p"><startEvent id="s"/><task id="a"/><exclusiveGateway id="g1"/><exclusiveGateway id="g2"/>
        <task id="b"/><task id="c"/><task id="d"/><endEvent id="e"/>""" + seq(
        ("s", "a"), ("a", "g1"), ("g1", "b"), ("g1", "g2"), ("g2", "c"), ("g2", "d"), ("b", "e"), ("c", "e"),
        ("d", "e")) + "</process>")
    assert {k: v for k, v in flows(read_bpmn(path)).items() if k[0] == "a"} == {
        ("a", "b"): 0.5, ("a", "c"): 0.25, ("a", "d"): 0.25}


def test_parallel_gateways_become_split_and_join(tmp_path):
    path = bpmn(tmp_path, """
      <process id="p"><startEvent id="s"/><task id="a"/><parallelGateway id="fork"/><task id="b"/><task id="c"/>
        <parallelGateway id="meet"/><task id="d"/><endEvent id="e"/>""" + seq(
        ("s", "a"), ("a", "fork"), ("fork", "b"), ("fork", "c"), ("b", "meet"), ("c", "meet"), ("meet", "d"),
        ("d", "e")) + "</process>")
    model = read_bpmn(path)
    assert model.steps["a"].split == "all" and model.steps["d"].join == "all"
    assert flows(model) == {("a", "b"): None, ("a", "c"): None, ("b", "d"): None, ("c", "d"): None,
                            ("d", "e"): None}
    assert not [f for f in bp.check(model) if f.severity == "error"]


def test_a_join_that_cannot_fold_into_the_next_step_gets_a_step_of_its_own(tmp_path):
    # the join is followed by a choice: a step "Waits for the parallel work" holds join and branches
    path = bpmn(tmp_path, """
      <process id="p"><startEvent id="s"/><parallelGateway id="fork"/><task id="b"/><task id="c"/>
        <parallelGateway id="meet"/><exclusiveGateway id="x"/><endEvent id="ok"/><endEvent id="ko">
        <errorEventDefinition/></endEvent>""" + seq(
        ("s", "fork"), ("fork", "b"), ("fork", "c"), ("b", "meet"), ("c", "meet"), ("meet", "x"), ("x", "ok"),
        ("x", "ko")) + "</process>")
    model = read_bpmn(path)
    waits = model.steps["waits_for_the_parallel_work"]
    assert waits.join == "all" and {f.target for f in model.outgoing["waits_for_the_parallel_work"]} == {"ok", "ko"}
    start = next(iter(model.entry))
    assert model.steps[start].split == "all" and model.steps["ko"].outcome == "failure"


@pytest.mark.parametrize("definition, outcome", [
    ("", "success"), ("<errorEventDefinition/>", "failure"), ("<terminateEventDefinition/>", "failure"),
    ("<messageEventDefinition/>", "success"), ("<cancelEventDefinition/>", "failure")])
def test_end_events_become_outcomes(tmp_path, definition, outcome):
    path = bpmn(tmp_path, f'<process id="p"><startEvent id="s"/><task id="a"/><endEvent id="e">{definition}'
                          f'</endEvent>{seq(("s", "a"), ("a", "e"))}</process>')
    assert read_bpmn(path).steps["e"].outcome == outcome


@pytest.mark.parametrize("iso, minutes", [("PT30M", 30), ("P2D", 2880), ("PT1H30M", 90)])
def test_boundary_timer_becomes_a_timeout(tmp_path, iso, minutes):
    path = bpmn(tmp_path, f"""
      <process id="p"><startEvent id="s"/><task id="wait" name="Waits for the call-back"/>
        <boundaryEvent id="t" attachedToRef="wait"><timerEventDefinition><timeDuration>{iso}</timeDuration>
        </timerEventDefinition></boundaryEvent><task id="chase" name="Chases"/><endEvent id="e"/>
        {seq(("s", "wait"), ("wait", "e"), ("t", "chase"), ("chase", "e"))}</process>""")
    model = read_bpmn(path)
    step = model.steps["waits_for_the_call_back"]
    assert step.timeout.to == "chases" and step.timeout.after == minutes
    assert flows(model) == {("waits_for_the_call_back", "e"): None, ("chases", "e"): None}


def test_pools_lanes_and_message_flows(tmp_path):
    path = bpmn(tmp_path, """
      <collaboration id="c"><participant id="cust" name="Customer" processRef="pc"/>
        <participant id="shop" name="Shop" processRef="ps"/>
        <messageFlow id="m1" sourceRef="order" targetRef="ms"/>
        <messageFlow id="m2" sourceRef="ship" targetRef="receive"/></collaboration>
      <process id="pc"><startEvent id="cs"/><task id="order" name="Orders"/><receiveTask id="receive" name="Receives"/>
        <endEvent id="ce"/>""" + seq(("cs", "order"), ("order", "receive"), ("receive", "ce")) + """</process>
      <process id="ps"><laneSet><lane id="l1" name="Sales"><flowNodeRef>ms</flowNodeRef><flowNodeRef>take</flowNodeRef>
        </lane><lane id="l2" name="Warehouse"><flowNodeRef>ship</flowNodeRef></lane></laneSet>
        <startEvent id="ms"><messageEventDefinition/></startEvent><task id="take" name="Takes the order"/>
        <task id="ship" name="Ships"/><endEvent id="se"/>""" + seq(("ms", "take"), ("take", "ship"), ("ship", "se"))
        + "</process>")
    model, notes = import_bpmn(path)
    s = model.steps
    assert (s["orders"].lane, s["orders"].owner, s["receives"].lane) == ("customer", None, "customer")
    assert (s["takes_the_order"].owner, s["ships"].owner) == ("sales", "warehouse")
    assert model.teams["sales"].name == "Sales"
    # the customer's order starts the shop's work (a handoff), and the parcel is what it waits for
    assert s["orders"].split == "all" and ("orders", "takes_the_order") in flows(model)
    assert s["receives"].join == "all" and ("ships", "receives") in flows(model)
    # staff steps that meet the customer are frontstage, the others backstage
    assert (s["takes_the_order"].lane, s["ships"].lane) == ("frontstage", "frontstage")
    assert model.entry == {"orders": 1.0}
    assert not [f for f in bp.check(model) if f.severity == "error"], notes


def test_lanes_named_like_blueprint_lanes_and_automated_tasks(tmp_path):
    path = bpmn(tmp_path, """
      <process id="p" name="Help desk"><laneSet><lane id="l1" name="Back stage"><flowNodeRef>a</flowNodeRef></lane>
        </laneSet><startEvent id="s"/><task id="a"/><serviceTask id="b"/><endEvent id="e"/>"""
                + seq(("s", "a"), ("a", "b"), ("b", "e")) + "</process>")
    model = read_bpmn(path)
    assert (model.steps["a"].lane, model.steps["a"].owner) == ("backstage", "help_desk")
    assert (model.steps["b"].lane, model.steps["b"].owner) == ("support", "help_desk")


def test_what_cannot_be_mapped_is_reported_once_per_element(tmp_path):
    path = bpmn(tmp_path, """
      <process id="p"><startEvent id="s"/><task id="a"/><inclusiveGateway id="or"/><task id="b"/><task id="c"/>
        <inclusiveGateway id="or2"/><endEvent id="e"/><dataObjectReference id="doc" name="Form"/>
        <task id="loop"><standardLoopCharacteristics/></task>""" + seq(
        ("s", "a"), ("a", "or"), ("or", "b"), ("or", "c"), ("b", "or2"), ("c", "or2"), ("or2", "loop"),
        ("loop", "e")) + "</process>")
    with pytest.warns(MappingWarning) as caught:
        model = read_bpmn(path)
    messages = [str(w.message) for w in caught]
    assert sum("'or'" in m for m in messages) == 1
    assert any("'doc'" in m for m in messages) and any("'loop'" in m for m in messages)
    assert model.branches("a") == [("b", 0.5), ("c", 0.5)]


def test_implicit_end_and_no_start_event(tmp_path):
    path = bpmn(tmp_path, '<process id="p"><task id="a"/><task id="b"/>' + seq(("a", "b")) + "</process>")
    model, notes = import_bpmn(path)
    assert model.entry == {"a": 1.0} and flows(model) == {("a", "b"): None, ("b", "end"): None}
    assert model.steps["end"].outcome == "success" and len(notes) == 2


# --------------------------------------------------------------------------------------------
# real files from public projects
# --------------------------------------------------------------------------------------------
@pytest.mark.skipif(not REAL, reason="../shared/bpmn is not there")
@pytest.mark.parametrize("path", REAL, ids=[os.path.relpath(p, SHARED / "bpmn") for p in REAL])
def test_every_real_file_imports_to_a_model_that_check_and_stats_accept(path):
    name = Path(path).name
    if name in NOT_PROCESSES:
        with pytest.raises(BlueprintError) as err:
            import_bpmn(path)
        assert NOT_PROCESSES[name] in str(err.value) and path in str(err.value)
        return
    model, notes = import_bpmn(path)
    assert len(notes) == len(set(notes))
    report = bp.check(model)
    assert all(f.rule for f in report)
    numbers = bp.stats(model)
    if None in numbers.outcomes.values():  # BPMN end events do not end the case: branches race to them
        assert "racing-outcomes" in numbers.why_null["outcomes"]
        assert report.by_rule("racing-outcomes")
    else:
        assert abs(sum(numbers.outcomes.values()) + numbers.never_finishes - 1) < 1e-6


@pytest.mark.skipif(not REAL, reason="../shared/bpmn is not there")
@pytest.mark.parametrize("file, steps, flows_, chances", [
    # pm4py's running example: 8 activities and 2 ends; gateways nested without chances give equal
    # shares at each gateway: 1/2 at the first, 1/4 for each way of the one behind it
    ("pm4py/running-example.bpmn", 10, 14, {0.25, 0.5}),
    # Prosimos' credit application: qbp chances 0.2 / 0.8 at both decisions
    ("prosimos/Credit_Application_Simulation.bpmn", 9, 11, {0.2, 0.8}),
])
def test_real_files_map_as_worked_out(file, steps, flows_, chances):
    model, _ = import_bpmn(SHARED / "bpmn" / file)
    assert (len(model.steps), len(model.flows)) == (steps, flows_)
    given = {round(f.p, 9) for f in model.flows if f.p is not None and f.p < 1}
    assert given == (chances or set())


def test_qbp_resources_become_teams_with_staff_and_hours():
    model, _ = import_bpmn(SHARED / "bpmn" / "prosimos" / "Credit_Application_Simulation.bpmn")
    officer = next(t for t in model.teams.values() if t.name == "Credit_Officer_1")
    assert (officer.staff, officer.hours) == (1, "Mon-Fri 13:00-17:00")
    assert model.arrivals.every.exponential == 30  # 1800 s between applications


# --------------------------------------------------------------------------------------------
# export and round trips
# --------------------------------------------------------------------------------------------
def _same_findings(a, b):
    key = lambda r: sorted((f.rule, f.severity, tuple(f.steps), tuple(map(tuple, f.flows))) for f in r)  # noqa
    return key(bp.check(a)) == key(bp.check(b))


@pytest.mark.parametrize("path", EXAMPLES, ids=[Path(p).name for p in EXAMPLES])
def test_every_example_exports_valid_bpmn_and_comes_back_the_same(path, tmp_path):
    model = bp.load(path)
    xml = to_bpmn(model)
    out = tmp_path / "x.bpmn"
    out.write_text(xml)
    _schema().validate(str(out))
    back, notes = import_bpmn(out)
    assert notes == []
    assert back.to_data() == model.to_data()
    assert _same_findings(model, back)


def test_round_trip_through_the_cli(tmp_path):
    source = ROOT / "examples" / "damaged_fires.yaml"
    run = lambda *a: subprocess.run([sys.executable, "-m", "blueprint", *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path)
    assert run("convert", source, "-o", tmp_path / "x.bpmn").returncode == 0
    done = run("convert", tmp_path / "x.bpmn", "-o", tmp_path / "y.yaml")
    assert done.returncode == 0 and done.stderr == ""
    assert bp.load(tmp_path / "y.yaml").to_data() == bp.load(source).to_data()


def test_cli_prints_what_was_not_mapped_on_stderr(tmp_path):
    path = bpmn(tmp_path, '<process id="p"><startEvent id="s"/><task id="a"/><complexGateway id="cx"/>'
                          '<task id="b"/><task id="c"/><endEvent id="e"/>'
                + seq(("s", "a"), ("a", "cx"), ("cx", "b"), ("cx", "c"), ("b", "e"), ("c", "e")) + "</process>")
    code, stderr = cli("convert", path, "-o", tmp_path / "o.yaml")
    assert code == 0
    assert stderr.count("warning:") == 1 and "'cx'" in stderr and "Traceback" not in stderr


def test_diagram_draws_lanes_as_stacked_bands_and_every_shape_inside_its_lane():
    from defusedxml import ElementTree as ET

    model = bp.load(ROOT / "examples" / "damaged_fires.yaml")
    root = ET.fromstring(to_bpmn(model))
    ns = {"b": "http://www.omg.org/spec/BPMN/20100524/MODEL", "di": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC"}
    bounds = {s.get("bpmnElement"): tuple(float(s.find("dc:Bounds", ns).get(k)) for k in ("x", "y", "width", "height"))
              for s in root.iter("{%s}BPMNShape" % ns["di"])}
    lanes = [lane for lane in root.iter("{%s}lane" % ns["b"]) if lane.get("{urn:blueprint:bpmn:1}lane")]
    assert [lane.get("{urn:blueprint:bpmn:1}lane") for lane in lanes] == ["customer", "frontstage", "backstage"]
    tops = [bounds[lane.get("id")][1] for lane in lanes]
    assert tops == sorted(tops)
    for a, b in zip(lanes, lanes[1:]):
        assert bounds[a.get("id")][1] + bounds[a.get("id")][3] <= bounds[b.get("id")][1]
    for lane in root.iter("{%s}lane" % ns["b"]):
        lx, ly, lw, lh = bounds[lane.get("id")]
        for ref in lane.findall("b:flowNodeRef", ns):
            x, y, w, h = bounds[ref.text]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, ref.text
    nodes = [bounds[n] for n in bounds if n in model.steps]
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            assert a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
    edges = list(root.iter("{%s}BPMNEdge" % ns["di"]))
    assert len(edges) == len(list(root.iter("{%s}sequenceFlow" % ns["b"]))) and all(
        len(e.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2 for e in edges)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(model=__import__("blueprint.strategies", fromlist=["blueprints"]).blueprints())
def test_any_blueprint_survives_the_round_trip(model, tmp_path):
    out = tmp_path / "h.bpmn"
    out.write_text(to_bpmn(model))
    back, _ = import_bpmn(out)
    assert back.to_data() == model.to_data()


def test_names_labels_and_descriptions_keep_their_line_breaks_and_spaces(tmp_path):
    model = bp.loads('name: "Claims\\nteam"\nsteps: {a: {name: " Checks the\\n  claim ", lane: customer, '
                     'description: "two\\n\\nparagraphs"}, b: {outcome: success, name: "Paid\\n"}, '
                     'c: {outcome: failure}}\nflows: [{from: a, to: b, p: 0.5, label: "yes\\nplease"}, [a, c, 0.5]]')
    out = tmp_path / "n.bpmn"
    out.write_text(to_bpmn(model))
    back, notes = import_bpmn(out)
    assert back.to_data() == model.to_data() and notes == []
    assert back.steps["a"].name == " Checks the\n  claim " and back.flows[0].label == "yes\nplease"


@pytest.mark.parametrize("step", ["Start", "End", "Root"])
def test_no_element_takes_an_id_spiffworkflow_reserves(tmp_path, step):
    from defusedxml import ElementTree as SafeET

    model = bp.loads(f"steps: {{{step}: {{lane: customer}}, done: {{outcome: success}}}}\nflows: [[{step}, done]]")
    xml = to_bpmn(model)
    ids = {el.get("id") for el in SafeET.fromstring(xml).iter() if el.get("id")}
    assert not ids & {"Start", "End", "Root"}
    out = tmp_path / "r.bpmn"
    out.write_text(xml)
    assert import_bpmn(out)[0].to_data() == model.to_data()


def _reachable(model) -> set[str]:
    reached, todo = set(model.entry), list(model.entry)
    while todo:
        sid = todo.pop()
        timeout = model.steps[sid].timeout
        for nxt in [f.target for f in model.outgoing[sid]] + ([timeout.to] if timeout else []):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    return reached


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "examples" in p], ids=lambda p: Path(p).name)
def test_spiffworkflow_parses_every_exported_example_with_its_own_start(path):
    parser_module = pytest.importorskip("SpiffWorkflow.bpmn.parser")
    xml = to_bpmn(bp.load(path)).replace('isExecutable="false"', 'isExecutable="true"')
    parser = parser_module.BpmnParser()
    parser.add_bpmn_str(xml.encode())
    spec = parser.get_spec("Process")
    assert [t.name for t in spec.start.outputs] == ["StartEvent"]  # the engine's Start leads to ours
    assert _reachable(bp.load(path)) <= set(spec.task_specs)


@pytest.mark.parametrize("source, ends", [
    # one piece of work at a time: a plain end event ends the case as an outcome does
    ("steps: {a: {lane: customer}, ok: {outcome: success}, ko: {outcome: failure}}\n"
     "flows: [[a, ok, 0.5], [a, ko, 0.5]]", {"ok": [], "ko": ["errorEventDefinition"]}),
    # parallel work that can reach an outcome while the other branch goes on: terminate
    ("steps: {a: {lane: customer, split: all}, b: {lane: customer}, c: {lane: customer}, ok: {outcome: success}}\n"
     "flows: [[a, b], [a, c], [b, ok], [c, ok]]", {"ok": ["terminateEventDefinition"]}),
    # parallel work joined before the outcome: nothing left to terminate
    ("steps: {a: {lane: customer, split: all}, b: {lane: customer}, c: {lane: customer}, "
     "j: {lane: customer, join: all}, ok: {outcome: success}}\nflows: [[a, b], [a, c], [b, j], [c, j], [j, ok]]",
     {"ok": []}),
])
def test_outcomes_are_end_events_that_end_the_case(tmp_path, source, ends):
    from defusedxml import ElementTree as SafeET

    model = bp.loads(source)
    root = SafeET.fromstring(to_bpmn(model))
    found = {el.get("id"): [c.tag.split("}")[1] for c in el if c.tag.endswith("EventDefinition")]
             for el in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}endEvent")}
    assert found == ends
    out = tmp_path / "t.bpmn"
    out.write_text(to_bpmn(model))
    assert import_bpmn(out)[0].to_data() == model.to_data()


@pytest.mark.parametrize("seconds, text", [(0, "PT0S"), (59, "PT59S"), (3600, "PT1H"), (90000, "P1DT1H")])
def test_iso_durations_both_ways(seconds, text):
    assert iso_duration(seconds) == text and parse_iso_duration(text) == seconds


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><task id="a" name="&lol3;"/>
</process></definitions>"""
EXTERNAL = """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><task id="a" name="&x;"/>
</process></definitions>"""


@pytest.mark.parametrize("text, words", [
    (BOMB, "entities"),
    (EXTERNAL, "entities"),
    ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><task id="a">',
     "not well-formed XML"),
    ("", "not well-formed XML"),
    ("<steps><a/></steps>", "not a BPMN 2.0 file"),
    ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"/></definitions>',
     "nothing to import"),
])
def test_hostile_and_broken_files_are_one_clear_error(tmp_path, text, words):
    path = tmp_path / "bad.bpmn"
    path.write_text(text)
    with pytest.raises(BlueprintError) as err:
        bp.load(path)
    assert words in str(err.value) and str(path) in str(err.value)
    code, stderr = cli("check", path)
    assert code == 2 and "Traceback" not in stderr


def test_malformed_xml_names_the_line(tmp_path):
    path = tmp_path / "bad.bpmn"
    path.write_text('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n<process id="p">\n'
                    '<task id="a" name="unclosed>\n</process></definitions>')
    with pytest.raises(BlueprintError) as err:
        read_bpmn(path)
    assert err.value.problems[0].line is not None
