"""Parallel branches of one case can end it: whichever is faster decides what happens.

After a ``split: all`` the case is in several places at once. An outcome reached on any branch ends
the whole case, and the other branches stop where they are. So when one branch can reach an outcome
while another is still at work, the answer depends on which is faster: the refund branch that
closes the case before the apology letter is written, the "send a replacement" branch racing the
"refund" branch to two different endings. The simulation plays such a race out with its random
times; ``blueprint stats`` cannot say which branch wins without them, so it gives no figure
there (``null``, with this reason). Bring the branches back together with a ``join: all`` before
the outcome, or make the outcome wait for the other work.

Failing example (the refund and the replacement race each other to two different endings)::

    teams:
      care:  {name: Customer care}
      store: {name: Store}
    steps:
      complaint: {name: Logs the complaint, lane: frontstage, owner: care, split: all}
      refund:    {name: Refunds the fire, lane: backstage, owner: care, duration: 1d}
      resend:    {name: Sends a replacement, lane: backstage, owner: store, duration: 3d}
      refunded:  {name: Refunded, outcome: failure}
      fitted:    {name: Fire fitted, outcome: success}
    flows: [[complaint, refund], [complaint, resend], [refund, refunded], [resend, fitted]]
    start: complaint

Passing example (both are done, then the case ends once)::

    teams:
      care:  {name: Customer care}
      store: {name: Store}
    steps:
      complaint: {name: Logs the complaint, lane: frontstage, owner: care, split: all}
      refund:    {name: Refunds the delivery charge, lane: backstage, owner: care, duration: 1d}
      resend:    {name: Sends a replacement, lane: backstage, owner: store, duration: 3d}
      both:      {name: Confirms both to the customer, lane: frontstage, owner: care, join: all}
      fitted:    {name: Fire fitted, outcome: success}
    flows: [[complaint, refund], [complaint, resend], [refund, both], [resend, both], [both, fitted]]
    start: complaint
"""
from ..findings import Issue
from ._parallel import episodes
from ._wording import listing

ID = "racing-outcomes"
SEVERITY = "warning"


def check(facts):
    model = facts.model
    for sid, episode in episodes(facts).items():
        if not episode.races:
            continue
        ids = facts.ids
        if any(r.kind == "crowded" for r in episode.races):
            yield Issue(f"The branches of {model.label(sid)} can be in so many places at once (a split: all that "
                        "sends out more branches before the last ones are joined) that which of them ends the case "
                        "first cannot be followed: the faster one decides. Join the branches of each split: all "
                        "before the case goes round again.", steps=(sid,))
            continue
        endings = list(dict.fromkeys(ids[r.outcome] for r in episode.races))
        enders = list(dict.fromkeys(ids[r.ender] for r in episode.races))
        others = list(dict.fromkeys(ids[r.other] for r in episode.races if ids[r.other] not in enders))
        if any(r.kind == "outcome" for r in episode.races):
            what = (f"they can end the case at different outcomes ({listing(model, endings, 4)}): whichever branch "
                    "is faster decides how the case ends")
        else:
            what = (f"a branch can end the case at {listing(model, endings, 3)} while another is still at work "
                    f"({listing(model, others or enders, 3)}), which then stops: whether that work gets done "
                    "depends on which branch is faster")
        yield Issue(f"The branches of {model.label(sid)} (split: all) race each other: {what}. Bring the branches "
                    "back together with a join: all before the outcome, or let the outcome wait for the rest of "
                    "the work.", steps=tuple(dict.fromkeys([sid, *enders, *others, *endings])),
                    flows=tuple(dict.fromkeys((ids[r.ender], ids[r.outcome]) for r in episode.races
                                              if ids[r.outcome] in facts.successors[ids[r.ender]])))
