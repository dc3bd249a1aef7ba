"""Before and after: two blueprints of one service simulated on common random numbers.

A redesign is another file, not a list of ``--set`` changes: the steps, flows and teams may all
differ. :func:`compare` runs both through :func:`blueprint.whatif.paired` (the same seeds, so the
same customers arrive at the same times and the paired intervals are narrow) and lists the
findings the redesign resolves and those it brings.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .loader import load
from .model import Blueprint
from .whatif import WhatIf, paired

__all__ = ["compare"]


def _model(which: Blueprint | str | Path, default: str) -> tuple[Blueprint, str]:
    if isinstance(which, Blueprint):
        return which, which.name or default
    return load(which), str(which)


def compare(before: Blueprint | str | Path, after: Blueprint | str | Path, *, cases: int = 10_000,
            replications: int = 10, seed: int = 0, jobs: int = 1, client: Any = None, until: Any = None,
            progress: Callable[[str, int, int | None, float], None] | None = None) -> WhatIf:
    """Simulate two blueprints of the same service on common random numbers and compare them.

    Parameters
    ----------
    before, after : Blueprint, str or Path
        The service as it is and as it could be: models, or files to load.
    cases : int
        Cases per replication.
    replications : int
        Independent replications, paired between the two; the intervals need at least 2.
    seed : int
        The seed both share.
    jobs, client, until
        As for :func:`blueprint.simulate`.
    progress : callable, optional
        Called as ``progress(arm, cases_done, cases_total, events_per_second)``, ``arm`` being
        ``"before"`` or ``"after"``.

    Returns
    -------
    WhatIf
        ``.to_json()`` is the SPEC's ``compare`` document: the ``whatif`` document with
        ``"changes"`` naming the two files (or the two blueprints' names), and ``"findings"``
        ``resolved`` and ``appeared``.

    Examples
    --------
    >>> import blueprint as bp
    >>> before = bp.loads('''
    ... name: Help line
    ... teams: {desk: {staff: 1}}
    ... steps:
    ...   ask: {lane: customer, channel: phone}
    ...   answer: {lane: frontstage, owner: desk, duration: {exponential: 0.8}}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... arrivals: {rate: 1}
    ... ''')
    >>> after = before.with_changes({"teams.desk.staff": 2, "name": "Help line, two on the desk"})
    >>> both = compare(before, after, cases=2000, replications=5, seed=1)
    >>> both.to_json()["changes"]
    ['Help line', 'Help line, two on the desk']
    >>> d = both.delta["time_in_system.mean"]
    >>> d["value"] < 0 and d["significant"]
    True
    """
    first, first_name = _model(before, "before")
    second, second_name = _model(after, "after")
    options = dict(cases=cases, until=until, seed=seed, replications=replications, jobs=jobs, client=client)
    return paired(first, second, [first_name, second_name], progress=progress,
                  question=f"Before: {first_name}\nAfter:  {second_name}", **options)
