"""A ``join: all`` step waits for a branch that can never arrive: the case waits there for ever.

``join: all`` waits for every flow into it. When one of those flows comes from a step no case
reaches, from a step that only comes after the join itself, or from a branch that was never
split off (nothing before it has ``split: all``, so the case is on one branch or the other, never
on both), the join never fires. Typically: "refund needs both the manager's approval and the
finance check", drawn as alternatives instead of parallel work. (The rule reports what the
shape of the blueprint proves; branches that become alternatives only further down a split are
left to the simulation, where such cases never finish.)

Failing example (the two checks are alternatives, not parallel)::

    teams:
      store:   {name: Store}
      finance: {name: Finance}
    steps:
      ask:     {name: Asks for a refund, lane: customer, channel: phone}
      manager: {name: Manager approves, lane: backstage, owner: store}
      finance: {name: Finance checks, lane: backstage, owner: finance}
      refund:  {name: Pays the refund, lane: backstage, owner: finance, join: all}
      done:    {outcome: success}
    flows: [[ask, manager, 0.5], [ask, finance, 0.5], [manager, refund], [finance, refund], [refund, done]]
    start: ask

Passing example (split the work so both branches arrive)::

    teams:
      store:   {name: Store}
      finance: {name: Finance}
    steps:
      ask:     {name: Asks for a refund, lane: customer, channel: phone}
      log:     {name: Logs the request, lane: frontstage, owner: store, split: all}
      manager: {name: Manager approves, lane: backstage, owner: store}
      finance: {name: Finance checks, lane: backstage, owner: finance}
      refund:  {name: Pays the refund, lane: backstage, owner: finance, join: all}
      done:    {outcome: success}
    flows: [[ask, log], [log, manager], [log, finance], [manager, refund], [finance, refund], [refund, done]]
    start: ask
"""
from ..findings import Issue

ID = "deadlock"
SEVERITY = "error"


def _why(model, source: str, join: str, reason: str) -> str:
    if reason == "unreachable":
        return f"no case ever reaches {model.label(source)}"
    if reason == "after the join":
        return f"{model.label(source)} only comes after {model.label(join)} itself"
    return (f"nothing before {model.label(source)} has split: all, "
            "so the case is there or on another branch, never on both")


def check(facts):
    model = facts.model
    for join, waits in facts.deadlocked_joins.items():
        reasons = "; ".join(_why(model, source, join, reason) for source, reason in waits)
        yield Issue(f"{model.label(join)} waits for every flow into it (join: all), but a branch can never "
                    f"arrive: {reasons}. Cases wait there for ever. Send the work down both branches with "
                    "split: all before it, or drop join: all if the branches are alternatives.",
                    steps=(join, *dict.fromkeys(source for source, _ in waits)),
                    flows=tuple((source, join) for source, _ in waits))
