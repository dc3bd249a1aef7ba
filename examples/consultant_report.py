"""A consultant's deliverable for a client's service: `blueprint report`, and a few lines around it.

Writes the report as HTML and PDF (the same as `blueprint report FILE [--after FILE2] -o OUT`) into
the folder you name, and prints the business case (the cost of a year, of which on failure demand,
and with ``--after`` the saving) and the places the service fails most, with their fix, to paste
into an e-mail to the client.

    python examples/consultant_report.py examples/damaged_fires.yaml \
        --after examples/damaged_fires_after.yaml --out report/
    python examples/consultant_report.py my_client.yaml --out deliverables/ --cases 5000

The report (FILE's name, .html and .pdf) goes into the folder ``--out`` names, made if need be;
without ``--out`` nothing is written, only printed.

Exit status 0 when the report was written, 2 for a file that cannot be read or a picture that
cannot be written (with the reason).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import blueprint as bp
from blueprint.chain.costs import money
from blueprint.drawing.labels import headline, marks, plain, what_and_fix
from blueprint.report import write_report

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(HERE / "damaged_fires.yaml"))
    parser.add_argument("--after", help="the redesign, to compare with")
    parser.add_argument("--out", metavar="FOLDER", help="write the report into this folder (default: nothing written)")
    parser.add_argument("--cases", type=int, default=2_000, help="cases per replication (default 2000)")
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        model = bp.load(args.file)
        if args.out:
            out = Path(args.out).expanduser()
            out.mkdir(parents=True, exist_ok=True)
            for suffix in (".html", ".pdf"):
                path = out / (Path(args.file).stem + suffix)
                write_report(path, model, after=args.after, cases=args.cases, replications=args.replications,
                             seed=1)
                print(f"wrote {path}")
        else:
            print("(add --out FOLDER to write the report there as HTML and PDF)")
    except bp.BlueprintError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{args.out}: cannot write the report: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"\n{model.name}: the business case")
    before = bp.stats(model)
    print("  " + (before.year_text() or "no yearly figure: the blueprint gives no costs or no arrival rate"))
    if args.after:
        after = bp.stats(bp.load(args.after))
        years = [s.per_year and s.per_year.get("cost") for s in (before, after)]
        if None not in years:
            print(f"  The redesign: {money(years[1], after.currency)} a year, "
                  f"a saving of {money(years[0] - years[1], after.currency)} (exact, without queueing).")
    print(f"\n{model.name}: where it fails first")
    for mark in marks(model, bp.check(model))[:3]:
        where = model.steps[mark.step].name if mark.step else "the blueprint as a whole"
        what, fix = what_and_fix(plain(model, mark.findings[0].message))
        print(f"  {mark.number}. {where}: {headline(mark.findings[0].rule)}. {fix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
