"""The one error a user sees for bad input: :class:`BlueprintError`.

Every problem the loader finds in a file is collected into one error, so that a consultant fixes
them all in one pass instead of one per run. Each :class:`Problem` names where it is (a dotted
path in the file, and the line and column where the format has them), what was found and how to
fix it.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["BlueprintError", "Problem", "did_you_mean"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a blueprint file.

    Parameters
    ----------
    path : str
        Where in the file, as a dotted path: ``steps.deliver.duration``, ``flows[2].to``;
        empty for the file as a whole.
    message : str
        What was found and how to fix it, in a sentence or two.
    line, column : int or None
        1-based position in the file, where the format has lines.

    Examples
    --------
    >>> print(Problem("teams.desk.staff", "-2 is fewer than nobody; use 0 or more", 2, 19))
    2:19: teams.desk.staff: -2 is fewer than nobody; use 0 or more
    """

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line is not None else ""
        place = f"{self.path}: " if self.path else ""
        return f"{where}{place}{self.message}"


class BlueprintError(ValueError):
    """Bad input: a blueprint, a path or an option that cannot be used, with every problem in it.

    Parameters
    ----------
    problems : sequence of Problem or str
        Everything that is wrong; strings become problems without a place.
    file : str, optional
        The file the problems are in, named at the start of every line of the message.

    Examples
    --------
    >>> err = BlueprintError([Problem("start", "no step 'b'; did you mean 'a'?", 7, 8)], file="x.yaml")
    >>> print(err)
    x.yaml:7:8: start: no step 'b'; did you mean 'a'?
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, problems: Sequence[Problem | str] | Problem | str, file: str | None = None):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem("", p) for p in problems]
        self.file = file
        super().__init__(str(self))

    def lines(self) -> list[str]:
        """One line per problem: ``FILE:LINE:COL: PATH: message``."""
        prefix = f"{self.file}:" if self.file else ""
        return [f"{prefix}{p}" if prefix and p.line is not None else (f"{prefix} {p}" if prefix else str(p))
                for p in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` suffix naming the closest of `choices`, or ``""``.

    Examples
    --------
    >>> did_you_mean("chanel", ["channel", "name", "lane"])
    "; did you mean 'channel'?"
    >>> did_you_mean("expo", ["fixed", "exponential"])
    "; did you mean 'exponential'?"
    >>> did_you_mean("zzz", ["channel"])
    ''
    """
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if not close and len(str(word)) >= 3:  # a prefix: 'expo' for 'exponential'
        close = [c for c in choices if c.startswith(str(word))][:1]
    return f"; did you mean '{close[0]}'?" if close else ""
