"""A consultant's first look at a client's service, as a script.

Loads a blueprint, prints the worst findings and the exact expectations, draws the picture with
the findings on it, and asks one what-if question on the simulation: by default, "what if every
team kept the case in one shared record?".

    python examples/consultant_report.py examples/damaged_fires.yaml --out report/
    python examples/consultant_report.py examples/double_charge.yaml --set "teams.phones.can=[inbound_call, refund]"
    python examples/consultant_report.py my_client.yaml --out ~/clients/acme/ --cases 5000

The picture (FILE's name, .svg) goes into the folder ``--out`` names, made if need be; without
``--out`` nothing is written, only printed.

Exit status 0 when the report was written, 2 for a file that cannot be read or a picture that
cannot be written (with the reason).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import blueprint as bp

HERE = Path(__file__).resolve().parent

#: How many findings the report prints in full; the rest are counted.
SHOWN = 5


def worst_findings(report: bp.Report, shown: int = SHOWN) -> list[str]:
    """The first `shown` findings, most serious first, as one line each (rule, severity, message)."""
    order = {"error": 0, "warning": 1, "info": 2}
    ranked = sorted(report, key=lambda f: order[f.severity])
    lines = [f"  {f.severity.upper():8} [{f.rule}] {f.message}" for f in ranked[:shown]]
    if len(ranked) > shown:
        lines.append(f"  ... and {len(ranked) - shown} more (blueprint check shows them all)")
    return lines


def number(x: float | None) -> str:
    """A per-case expectation; ``None`` means a loop the case may never leave."""
    return "without end (a loop with no way out)" if x is None else f"{x:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(HERE / "damaged_fires.yaml"))
    parser.add_argument("--set", dest="changes", action="append", metavar="PATH=VALUE",
                        help="the what-if change (repeat for several); default: one shared case record")
    parser.add_argument("--cases", type=int, default=2_000, help="cases per replication (default 2000)")
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--out", metavar="FOLDER", help="write the picture into this folder (default: no picture)")
    args = parser.parse_args(argv)

    try:
        model = bp.load(args.file)
    except bp.BlueprintError as exc:
        print(exc, file=sys.stderr)
        return 2
    title = model.name or Path(args.file).stem
    print(title)
    print("=" * len(title))

    report = bp.check(model)
    counts = report.summary
    print(f"\nWhere the service fails its customers ({counts['error']} errors, "
          f"{counts['warning']} warnings, {counts['info']} notes):")
    print("\n".join(worst_findings(report)) or "  nothing: no dead ends, lost context or loops found")

    stats = bp.stats(model)
    success = sum(p for step, p in stats.outcomes.items() if model.steps[step].outcome == "success")
    print(f"\nPer case, exactly (from the flow chances, {stats.time_unit}s):")
    print(f"  chance of a good outcome   {success:.1%}")
    print(f"  contacts with the customer {number(stats.expected_contacts)}")
    print(f"  handoffs between teams     {number(stats.expected_handoffs)}")
    print(f"  never finishes             {stats.never_finishes:.1%}")

    if args.out:
        picture = Path(args.out).expanduser() / f"{Path(args.file).stem}.svg"
        try:
            picture.parent.mkdir(parents=True, exist_ok=True)
            picture.write_text(bp.render(model, format="svg"), encoding="utf-8")
        except OSError as exc:
            print(f"{picture}: cannot write the picture: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"\nThe blueprint with its findings: {picture}")
    else:
        print("\n(add --out FOLDER to write the blueprint with its findings as a picture)")

    changes = args.changes or ["teams.*.systems=[cases]"]
    answer = bp.whatif(model, changes, cases=args.cases, replications=args.replications, seed=1)
    print()
    print(answer.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
