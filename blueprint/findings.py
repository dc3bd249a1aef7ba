"""Findings: what `check` reports, and the report that holds them."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .tables import check_table

__all__ = ["Finding", "Issue", "Report", "SEVERITIES"]

#: Severities from the most to the least serious.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Issue:
    """What a rule says about a blueprint; the engine stamps it with the rule's id and severity.

    Examples
    --------
    >>> Issue("Nothing happens after [a]", steps=("a",)).steps
    ('a',)
    """

    message: str
    steps: Sequence[str] = ()
    flows: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Finding:
    """One place where the service fails its customers, found by a rule.

    Examples
    --------
    >>> f = Finding("dead-end", "error", "Nothing happens after [a]", ("a",))
    >>> f.to_json()["rule"], f.to_json()["flows"]
    ('dead-end', [])
    """

    rule: str
    severity: str
    message: str
    steps: tuple[str, ...] = ()
    flows: tuple[tuple[str, str], ...] = ()
    line: int | None = field(default=None, compare=False)
    column: int | None = field(default=None, compare=False)

    def to_json(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "steps": list(self.steps), "flows": [list(f) for f in self.flows]}

    def to_text(self, file: str | None = None) -> str:
        """One line: ``FILE:LINE:COLUMN: severity [rule] message`` (the place as far as it is known).

        Examples
        --------
        >>> Finding("dead-end", "error", "Nothing happens after [a]", ("a",), line=4, column=3).to_text("x.yaml")
        'x.yaml:4:3: error [dead-end] Nothing happens after [a]'
        """
        where = f"{file}:{self.line}:{self.column}" if self.line else f"{file}"
        return f"{where}: {self.severity} [{self.rule}] {self.message}"

    def __str__(self) -> str:
        return self.to_text()


@dataclass
class Report:
    """The findings of one blueprint, most serious first; iterate over it for the findings.

    Examples
    --------
    >>> r = Report([Finding("unweighted-branch", "info", "m", ("a",))], file="x.yaml")
    >>> len(r), r.summary, r.worst
    (1, {'error': 0, 'warning': 0, 'info': 1}, 'info')
    >>> print(r)
    x.yaml: info [unweighted-branch] m
    x.yaml: 0 errors, 0 warnings, 1 info
    """

    findings: list[Finding]
    file: str | None = None

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __getitem__(self, i):
        return self.findings[i]

    @property
    def summary(self) -> dict[str, int]:
        """How many findings of each severity."""
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    @property
    def worst(self) -> str | None:
        """The most serious severity found, or ``None`` when there are no findings."""
        return next((s for s in SEVERITIES if any(f.severity == s for f in self.findings)), None)

    def by_rule(self, rule: str) -> list[Finding]:
        """The findings of one rule."""
        return [f for f in self.findings if f.rule == rule]

    def to_json(self) -> dict:
        """The SPEC's ``check`` document: ``{"file", "findings", "summary"}``."""
        return {"file": self.file, "findings": [f.to_json() for f in self.findings], "summary": self.summary}

    def to_text(self) -> str:
        """What ``blueprint check`` prints: a line a finding, then how many of each severity."""
        counts = self.summary
        total = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in SEVERITIES)
        return "\n".join([f.to_text(self.file) for f in self.findings]
                         + [f"{self.file}: " + (total if self.findings else "no findings")])

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """The findings as a table (Jupyter shows it)."""
        return check_table(self.to_json())
