"""Findings as SARIF 2.1.0, the format GitHub code scanning reads."""
from __future__ import annotations

from .findings import Report
from .rules import RULES

__all__ = ["to_sarif"]

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _first_line(doc: str) -> str:
    return (doc or "").strip().splitlines()[0]


def to_sarif(reports: list[Report], version: str = "0.1.0") -> dict:
    """One SARIF log with one run holding the results of every report.

    Each result has its rule id, level (``note`` for info), message, and the file's line of the
    first step it names (line 1 when the place is not known).

    Examples
    --------
    >>> from blueprint.findings import Finding
    >>> log = to_sarif([Report([Finding("dead-end", "error", "Nothing happens", ("a",), line=4, column=3)],
    ...                        file="x.yaml")])
    >>> log["version"], log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    ('2.1.0', {'startLine': 4, 'startColumn': 3})
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
            region = {"startLine": f.line or 1}
            if f.column:
                region["startColumn"] = f.column
            results.append({
                "ruleId": f.rule, "ruleIndex": index[f.rule], "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": report.file or "blueprint"},
                                                    "region": region},
                               "logicalLocations": [{"name": s, "kind": "member"} for s in f.steps]}],
            })
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "blueprint", "version": version,
                                          "informationUri": "https://pypi.org/project/service-blueprint/",
                                          "rules": rules}},
                      "results": results}]}
