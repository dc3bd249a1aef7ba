"""Findings as SARIF 2.1.0, the format GitHub code scanning reads."""
from __future__ import annotations

from .errors import BlueprintError
from .findings import Report
from .rules import RULES

__all__ = ["to_sarif"]

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _first_line(doc: str) -> str:
    return (doc or "").strip().splitlines()[0]


def _region(line: int | None, column: int | None) -> dict:
    region = {"startLine": line or 1}
    if column:
        region["startColumn"] = column
    return region


def _location(uri: str, line: int | None, column: int | None) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": _region(line, column)}}


def _notifications(failures: list[tuple[str, BlueprintError]]) -> list[dict]:
    """A file that did not load: one error notification a problem, at its place in the file."""
    return [{"level": "error", "message": {"text": str(problem)},
             "locations": [_location(error.file or name, problem.line, problem.column)]}
            for name, error in failures for problem in error.problems]


def to_sarif(reports: list[Report], version: str = "0.1.0",
             failures: list[tuple[str, BlueprintError]] = ()) -> dict:
    """One SARIF log with one run holding the results of every report.

    Each result has its rule id, level (``note`` for info), message, and the file's line of the
    first step it names (line 1 when the place is not known). Files that did not load are given
    as `failures`, ``(file, error)``: the run's invocation then did not succeed, and each problem
    is an error notification at its place (not a result: no rule found it).

    Examples
    --------
    >>> from blueprint.findings import Finding
    >>> log = to_sarif([Report([Finding("dead-end", "error", "Nothing happens", ("a",), line=4, column=3)],
    ...                        file="x.yaml")])
    >>> log["version"], log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    ('2.1.0', {'startLine': 4, 'startColumn': 3})
    >>> failed = to_sarif([], failures=[("y.yaml", BlueprintError("no steps", file="y.yaml"))])
    >>> failed["runs"][0]["invocations"][0]["executionSuccessful"]
    False
    """
    rules = [{"id": rule_id, "name": rule_id, "shortDescription": {"text": _first_line(module.__doc__)},
              "fullDescription": {"text": (module.__doc__ or "").strip()},
              "defaultConfiguration": {"level": _LEVEL[module.SEVERITY]},
              "helpUri": f"https://blueprint.readthedocs.io/rules/#{rule_id}"}
             for rule_id, module in RULES.items()]
    index = {rule_id: i for i, rule_id in enumerate(RULES)}
    results = []
    for report in reports:
        for f in report:
            location = _location(report.file or "blueprint", f.line, f.column)
            location["logicalLocations"] = [{"name": s, "kind": "member"} for s in f.steps]
            results.append({"ruleId": f.rule, "ruleIndex": index[f.rule], "level": _LEVEL[f.severity],
                            "message": {"text": f.message}, "locations": [location]})
    invocation = {"executionSuccessful": not failures}
    if failures:
        invocation["toolExecutionNotifications"] = _notifications(list(failures))
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "blueprint", "version": version,
                                          "informationUri": "https://pypi.org/project/service-blueprint/",
                                          "rules": rules}},
                      "invocations": [invocation], "results": results}]}
