"""What the rules about parallel work share: each split's branches followed in every order (once per check)."""
from __future__ import annotations

from weakref import WeakKeyDictionary

from ..chain.branches import MAX_STATES, Episode, Explorer, Net, Route, TooManyStates

__all__ = ["episodes"]

_CACHE: WeakKeyDictionary = WeakKeyDictionary()


def episodes(facts) -> dict[str, Episode]:
    """For each split step a case reaches, in file order: its :class:`~blueprint.chain.branches.Episode`
    followed without memory (where the branches go, whether they race, where they pile up). A split
    whose branches need more states than the explorer may make is left out."""
    found = _CACHE.get(facts)
    if found is None:
        model = facts.model
        net = Net(model, facts.never_leaves)
        explorer = Explorer(net, Route())
        found = {}
        for sid, step in model.steps.items():
            i = net.index[sid]
            if step.split != "all" or sid not in facts.reachable:
                continue
            if net.step(i).split is not None and len(net.step(i).split) > 1:
                explorer.budget = [MAX_STATES]
                try:
                    found[sid] = explorer.episode(i, figures=False)
                except TooManyStates:
                    continue
        _CACHE[facts] = found
    return found
