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
import numpy as np
from scipy.sparse import csr_matrix

from ..findings import Issue
from ..graph import reach, steps_with_joins
from ..story import records
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
    told = retold_at(facts)
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
    named = {h.target for handoffs in pairs.values() for h in handoffs}
    alone: dict[str, list[str]] = {}
    for sid in model.steps:  # repeats with no handoff between teams: a team without a record, met again
        if sid in told and sid not in named:
            alone.setdefault(model.steps[sid].owner, []).append(sid)
    for team, steps in alone.items():
        why = "keeps no record of its cases (it has no system)" if not systems.get(team) else \
            "cannot see what was done before"
        yield Issue(f"{model.team_name(team)} {why}, so when a case comes (back) to it at "
                    f"{listing(model, steps, 3)} the customer tells the story again. Give the team a system "
                    "that holds the case record.", steps=tuple(steps))


def retold_at(facts) -> set[str]:
    """Frontstage steps where some case makes the customer repeat the story
    (:mod:`blueprint.story`): a case can get there along the ways it can take (``facts.ways``)
    after a team, but no team
    of the step's circle, has handled it. A ``join: all`` goes on knowing what all its branches
    met: it is reached without the circle only when every flow into it can deliver without it.

    Examples
    --------
    >>> from blueprint import loads
    >>> from blueprint.graph import Facts
    >>> retold_at(Facts(loads("teams: {store: {systems: [till]}, social: {systems: [inbox]}}\\n"
    ...                       "steps: {sell: {lane: frontstage, owner: store}, reply: {lane: frontstage, "
    ...                       "owner: social}, again: {lane: frontstage, owner: store}, ok: {outcome: success}}\\n"
    ...                       "flows: [[sell, reply], [reply, again], [again, ok]]")))
    {'reply'}
    """
    memory = records(facts.model)
    n = len(facts.ids)
    steps = list(facts.model.steps.values())
    owned = np.array([s.owner is not None and not s.is_outcome for s in steps])
    touch = np.array([memory.touch.get(s.owner, 0) if s.owner else 0 for s in steps])
    test = np.array([memory.test.get(sid, 0) for sid in facts.ids])
    joins = {facts.index[sid]: np.array(sorted({facts.index[f.source] for f in facts.model.incoming[sid]}))
             for sid, s in steps_with_joins(facts.model)}
    coo = facts.ways_matrix.tocoo()
    at_join = np.zeros(n, dtype=bool)
    at_join[list(joins)] = True
    waits = at_join[coo.col]  # a branch arriving at its join waits there: the join goes on below
    for k in np.flatnonzero(waits).tolist():  # unless it comes by a timeout from another step
        waits[k] = coo.row[k] in joins[int(coo.col[k])]
    a, b = coo.row[~waits], coo.col[~waits]
    entry = np.array([facts.index[s] for s in facts.model.entry if s in facts.index], dtype=int)
    found: set[str] = set()
    for k in range(len(memory.circles)):
        bit = 2 << k
        if (test == bit).any():
            found |= _retold_in(facts, bit, (touch & bit) > 0, owned, test, a, b, entry, joins)
    return found


def _retold_in(facts, bit: int, touches, owned, test, a, b, entry, joins) -> set[str]:
    """The steps of one circle's frontstage teams where the story is told again (see retold_at):
    phase 0 (node i: no team yet) and phase 1 (node n + i: a team, none of the circle)."""
    n = len(facts.ids)
    onto = owned[b] & ~touches[b]
    rows = np.concatenate([a[~owned[b]], a[onto], n + a[~touches[b]]])
    cols = np.concatenate([b[~owned[b]], n + b[onto], n + b[~touches[b]]])
    phases = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(2 * n, 2 * n))
    starts = np.zeros(2 * n, dtype=bool)
    starts[entry[~owned[entry]]] = True
    starts[n + entry[owned[entry] & ~touches[entry]]] = True
    told: set[int] = set()
    while True:
        reached = reach(phases, starts)
        fresh = False
        for j, sources in joins.items():  # a join goes on in the latest phase of its branches
            for phase in (0, 1):
                if not (reached[sources] | (phase == 1 and reached[n + sources])).all():
                    continue
                if phase == 1 and test[j] == bit:
                    told.add(j)
                if owned[j] and touches[j]:
                    continue
                node = j + n * (1 if owned[j] else phase)
                if not starts[node]:
                    starts[node] = fresh = True
        if not fresh:
            break
    hit = (test[b] == bit) & reached[n + a]
    return {facts.ids[i] for i in set(np.unique(b[hit]).tolist()) | told}
