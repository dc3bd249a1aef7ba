"""The finding rules, one module each, and their registry.

Each rule module has an ``ID`` (the stable id of SPEC §5), a default ``SEVERITY``, a docstring
that explains the problem to a consultant with a failing and a passing example, and a function
``check(facts)`` that yields :class:`~blueprint.findings.Issue` objects. The engine
(:func:`blueprint.check`), not the rule, stamps each issue with the rule's id and severity.

To add a rule: write its module here and add it to ``_MODULES`` below, in the order its findings
should be listed.
"""
from __future__ import annotations

from types import ModuleType

from . import (
               dead_end,
               deadlock,
               displaced_ownership,
               fail_point_without_recovery,
               incapable_handoff,
               livelock,
               lost_context,
               missing_join,
               no_owner,
               no_resolution,
               overloaded,
               racing_outcomes,
               repeat_loop,
               unreachable,
               unstaffed,
               unweighted_branch,
)

_MODULES: tuple[ModuleType, ...] = (
    dead_end, no_resolution, livelock, deadlock, no_owner, incapable_handoff, unstaffed, overloaded, repeat_loop,
    displaced_ownership, lost_context, fail_point_without_recovery, missing_join, racing_outcomes, unreachable,
    unweighted_branch,
)

#: Every rule by its id, in the order findings are listed.
RULES: dict[str, ModuleType] = {module.ID: module for module in _MODULES}

__all__ = ["RULES"]
