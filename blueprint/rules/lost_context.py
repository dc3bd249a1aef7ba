"""A handoff between teams that share no system: the case record stays behind, and the customer
may have to tell the story again.

When a case passes from one team to another (directly, or through the customer: "please call
the store instead"), the next team can only see what the case record shows if both teams keep
it in a shared system. Otherwise what was already done is lost at the handoff. One finding per
pair of teams, naming the handoffs.

Where the customer **repeats the story** is said by the one definition that ``stats`` and
``simulate`` count too (:mod:`blueprint.story`): at a frontstage step whose team has not handled
the case before and shares no system with any team that has. A store taking a complaint about an
order it sold itself knows the case, even when the delivery team in between shares nothing with
it: the finding names that handoff, but no repeat there.

Failing example (the social media team sees nothing of the order; the customer starts again)::

    teams:
      store:  {name: Store, systems: [till]}
      social: {name: Social media team, systems: [social_inbox]}
    steps:
      sell:    {name: Takes the order, lane: frontstage, owner: store}
      unpack:  {name: Unpacks a broken fire, lane: customer, channel: home}
      message: {name: Messages the store, lane: customer, channel: social}
      reply:   {name: Replies to the message, lane: frontstage, owner: social}
      done:    {outcome: success}
    flows: [[sell, unpack], [unpack, message], [message, reply], [reply, done]]
    start: sell

Passing example (a case record both teams use)::

    teams:
      store:  {name: Store, systems: [till, cases]}
      social: {name: Social media team, systems: [social_inbox, cases]}
    steps:
      sell:    {name: Takes the order, lane: frontstage, owner: store}
      unpack:  {name: Unpacks a broken fire, lane: customer, channel: home}
      message: {name: Messages the store, lane: customer, channel: social}
      reply:   {name: Replies to the message, lane: frontstage, owner: social}
      done:    {outcome: success}
    flows: [[sell, unpack], [unpack, message], [message, reply], [reply, done]]
    start: sell
"""
from ..findings import Issue
from ._wording import listing

ID = "lost-context"
SEVERITY = "warning"

#: How many handoffs a message spells out.
_SHOWN = 3


def _route(model, route: list[str]) -> str:
    middle = route[1:-1]
    via = f" (through {listing(model, middle, 2)})" if middle else ""
    return f"{model.label(route[0])} to {model.label(route[-1])}{via}"


def check(facts):
    model = facts.model
    systems = {tid: set(team.systems) for tid, team in model.teams.items()}
    apart: dict[tuple[str, str], bool] = {}
    pairs: dict[tuple[str, str], list] = {}
    reachable = facts.reachable
    for handoff in facts.handoffs:
        if handoff.last not in reachable:
            continue  # no case ever makes this handoff: `unreachable` says so
        key = (handoff.from_team, handoff.to_team)
        lost = apart.get(key)
        if lost is None:
            lost = apart[key] = key[0] in systems and key[1] in systems and not systems[key[0]] & systems[key[1]]
        if lost:
            pairs.setdefault(key if key[0] < key[1] else key[::-1], []).append(handoff)
    told = facts.retold_at
    owner, carried = facts.owner_of, facts.owners_carried
    for (a, b), handoffs in pairs.items():
        routes = []
        for h in handoffs:  # facts.handoff_route, inlined: this runs once per handoff
            route, x = [h.target, h.last], h.last
            while owner[x] is None:
                x = carried[x][h.from_team]
                route.append(x)
            routes.append(route[::-1])
        targets = list(dict.fromkeys(h.target for h in handoffs))
        retold = [t for t in targets if t in told]
        rest = [t for t in targets if t not in told]
        where = f"The customer tells the story again at {listing(model, retold, 3)}." if retold else ""
        if rest:
            where += (" " if where else "") + (f"{listing(model, rest, 3)} start{'s' if len(rest) == 1 else ''} "
                                               "without what was done before.")
        shown = "; ".join(_route(model, r) for r in routes[:_SHOWN])
        more = f"; and {len(routes) - _SHOWN} more" if len(routes) > _SHOWN else ""
        count = f"{len(routes)} handoff{'s' if len(routes) != 1 else ''}"
        yield Issue(f"{model.team_name(a)} and {model.team_name(b)} share no system, so the case record does "
                    f"not travel with the case at {count} between them: {shown}{more}. {where} Give both teams "
                    "a system that holds the case record (a ticket both can see).",
                    steps=tuple(dict.fromkeys(s for r in routes for s in r)),
                    flows=tuple(dict.fromkeys((x, y) for r in routes for x, y in zip(r, r[1:]))))
