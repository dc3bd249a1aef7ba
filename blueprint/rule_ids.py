"""The ids of the finding rules (SPEC §5), part of the file format: a blueprint's ``checks`` names them.

The rules themselves live in :mod:`blueprint.rules`, an analysis layer above the format; the
format only needs their ids to tell a misspelt ``checks`` key, so the ids are listed here, and the
registry is checked against this list (``tests/test_rules.py``).

Examples
--------
>>> "repeat-loop" in RULE_IDS, len(RULE_IDS)
(True, 16)
"""
from __future__ import annotations

__all__ = ["RULE_IDS"]

#: Every rule id, in the order findings are listed.
RULE_IDS: tuple[str, ...] = (
    "dead-end", "no-resolution", "livelock", "deadlock", "no-owner", "incapable-handoff", "unstaffed", "overloaded",
    "repeat-loop", "displaced-ownership", "lost-context", "fail-point-without-recovery", "missing-join",
    "racing-outcomes", "unreachable", "unweighted-branch",
)
