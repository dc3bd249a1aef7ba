"""The customer is sent to an outside party, and nothing brings the case back to the service.

"Call the manufacturer": the store hands its customer to a party it does not run (a team with
``external: true``, or a customer step whose channel is that party, or that contacts one of its
steps), and no flow ever brings the case back to a team of the service. Nobody in the service
owns the outcome any more; if the outside party fails, no one inside knows or acts.

Failing example::

    teams:
      store: {name: Store}
      maker: {name: Manufacturer, external: true}
    steps:
      refer:      {name: Tells the customer to call the manufacturer, lane: frontstage, owner: store}
      call_maker: {name: Phones the manufacturer, lane: customer, channel: phone}
      maker_says: {name: Says the store must sort it out, lane: backstage, owner: maker}
      gave_up:    {outcome: failure}
    flows: [[refer, call_maker], [call_maker, maker_says], [maker_says, gave_up]]
    start: refer

Passing example (the store contacts the manufacturer and stays the owner)::

    teams:
      store: {name: Store}
      maker: {name: Manufacturer, external: true}
    steps:
      claim:      {name: Claims a replacement from the manufacturer, lane: backstage, owner: store}
      maker_says: {name: Sends a replacement to the store, lane: backstage, owner: maker}
      fit:        {name: Fits the replacement, lane: frontstage, owner: store}
      fitted:     {outcome: success}
    flows: [[claim, maker_says], [maker_says, fit], [fit, fitted]]
    start: claim
"""
from ..findings import Issue
from ._wording import listing

ID = "displaced-ownership"
SEVERITY = "warning"

#: How many outside steps a finding names after the one where the customer is sent out.
_AHEAD = 50


def _outside(model, facts, external: set[str]) -> set[str]:
    """Steps of outside parties: owned by one, or customer steps that contact one."""
    names = {t.lower() for t in external} | {model.teams[t].name.lower() for t in external if model.teams[t].name}
    owned = {sid for sid, s in model.steps.items() if s.owner in external}
    contacts = {sid for sid, s in model.steps.items()
                if s.owner is None and not s.is_outcome
                and ((s.channel or "").strip().lower() in names or any(b in owned for b in facts.successors[sid]))}
    return owned | contacts


def check(facts):
    model = facts.model
    external = {tid for tid, team in model.teams.items() if team.external}
    if not external:
        return
    outside = _outside(model, facts, external)
    back = facts.leading_to(sid for sid, s in model.steps.items()
                            if s.owner is not None and s.owner not in external)
    for sid in model.steps:
        if sid not in outside or sid in back:
            continue
        senders = [a for a in facts.predecessors[sid] if a not in outside]
        if not senders and sid not in model.entry:
            continue  # further along with the same outside party
        region, stack = [sid], [sid]
        while stack and len(region) < _AHEAD:
            for b in facts.successors[stack.pop()]:
                if b in outside and b not in region:
                    region.append(b)
                    stack.append(b)
        parties = list(dict.fromkeys(model.team_name(model.steps[s].owner) for s in region
                                     if model.steps[s].owner in external))
        party = " and ".join(parties) if parties else "an outside party"
        who = (f"{listing(model, senders, 3)} sends the customer" if senders
               else "The case starts by sending the customer")
        yield Issue(f"{who} to {party} ({listing(model, region, 3)}), and nothing brings the case back to a "
                    "team of the service: nobody in the service owns the outcome from there. Keep the case with "
                    "one of your teams: let it deal with the outside party and bring the case back to it.",
                    steps=(*senders, *region),
                    flows=tuple((a, sid) for a in senders) + tuple(
                        (a, b) for a in region for b in facts.successors[a] if b in region))
