"""A step branches without ``p``: every branch is taken as equally likely.

That is a guess, and expectations and simulations built on it are only as good as the guess.
Give each branch the share of cases that take it, from data or from the people who do the work.

Failing example::

    steps:
      unpack:   {name: Unpacks the fire, lane: customer}
      fitted:   {name: Fire fitted, outcome: success}
      complain: {name: Complains, outcome: failure}
    flows: [[unpack, fitted], [unpack, complain]]
    start: unpack

Passing example::

    steps:
      unpack:   {name: Unpacks the fire, lane: customer}
      fitted:   {name: Fire fitted, outcome: success}
      complain: {name: Complains, outcome: failure}
    flows: [[unpack, fitted, 0.3], [unpack, complain, 0.7]]
    start: unpack
"""
from ..findings import Issue

ID = "unweighted-branch"
SEVERITY = "info"


def check(facts):
    model = facts.model
    for sid, flows in model.outgoing.items():
        if len(flows) > 1 and flows[0].p is None and model.steps[sid].split != "all":
            targets = ", ".join(model.label(f.target) for f in flows)
            yield Issue(f"{model.label(sid)} branches to {targets} without p: each is taken as equally "
                        f"likely (1/{len(flows)}). Give each flow its p.",
                        steps=(sid,), flows=tuple((f.source, f.target) for f in flows))
