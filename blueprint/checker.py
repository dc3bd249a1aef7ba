"""The engine that runs the rules: severities from defaults, the file's ``checks:`` and the caller."""
from __future__ import annotations

from collections.abc import Mapping

from .errors import BlueprintError, Problem, did_you_mean
from .findings import SEVERITIES, Finding, Report
from .gcpause import without_gc
from .graph import Facts
from .model import RULE_LEVELS, Blueprint
from .rules import RULES

__all__ = ["check", "levels_for"]


def levels_for(model: Blueprint, rules: Mapping[str, str] | None = None) -> dict[str, str]:
    """The level of every rule: its default, then the file's ``checks:``, then `rules`.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]\\n"
    ...               "checks: {unreachable: info}")
    >>> levels = levels_for(model, {"dead-end": "off"})
    >>> levels["unreachable"], levels["dead-end"], levels["no-owner"]
    ('info', 'off', 'error')
    """
    levels = {rule_id: module.SEVERITY for rule_id, module in RULES.items()}
    levels.update(model.checks)
    problems = []
    for rule_id, level in (rules or {}).items():
        if rule_id not in RULES:
            problems.append(Problem("--rule", f"no rule '{rule_id}'{did_you_mean(rule_id, RULES)}; "
                                    f"rules are {', '.join(RULES)}"))
        elif level not in RULE_LEVELS:
            problems.append(Problem("--rule", f"'{level}' is not a level for {rule_id}; use one of "
                                    f"{', '.join(RULE_LEVELS)}"))
        else:
            levels[rule_id] = level
    if problems:
        raise BlueprintError(problems)
    return levels


def check(model: Blueprint, *, rules: Mapping[str, str] | None = None, file: str | None = None) -> Report:
    """Find where the blueprint fails its customers.

    Parameters
    ----------
    model : Blueprint
        The blueprint to check.
    rules : mapping, optional
        ``{rule_id: "off" | "info" | "warning" | "error"}``, over the file's own ``checks:``.
    file : str, optional
        The file name to put in the report.

    Returns
    -------
    Report
        The findings, most serious first, each with its rule id, severity, message, steps and flows.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads('''
    ... steps:
    ...   email: {name: Emails the manager, lane: customer, channel: email}
    ...   inbox: {name: Email auto-sorted, lane: backstage}
    ... flows: [[email, inbox]]
    ... ''')
    >>> [(f.rule, f.steps) for f in check(model)]
    [('dead-end', ('inbox',)), ('no-resolution', ()), ('no-owner', ('inbox',))]
    """
    levels = levels_for(model, rules)
    facts = Facts(model)
    findings = []
    with without_gc():  # the rules make many small objects and no cycles: spare them the collector
        for rule_id, module in RULES.items():
            level = levels[rule_id]
            if level == "off":
                continue
            for issue in module.check(facts):
                findings.append(Finding(rule_id, level, issue.message, tuple(issue.steps),
                                        tuple(tuple(f) for f in issue.flows)))
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    return Report(findings, file=file)


def locate(report: Report, model: Blueprint) -> Report:
    """The same report with each finding's line and column: where its first step is in the file."""
    located = []
    for f in report:
        where = model.location("steps", f.steps[0]) if f.steps else None
        located.append(Finding(f.rule, f.severity, f.message, f.steps, f.flows,
                               *(where if where else (None, None))))
    return Report(located, file=report.file)
