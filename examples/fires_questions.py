"""The questions the fires story asks, answered on the blueprint of the service as it is today.

Three damaged fires, twelve phone calls, a social media team that cannot phone out, a store that
says "call the manufacturer" (examples/damaged_fires.yaml). A consultant would ask:

1. What if the social media team could phone the customer back?
2. What if store, delivery and the social media team kept one shared case record?
3. What if the store owned the manufacturer's problem instead of sending the customer there?
4. And all three together?

Each answer puts the exact expectations (from the flow chances: no noise) beside the simulated
ones (time, and how often the customer tells the story again, with a 95% interval for the
change), and lists the findings the change resolves.

    python examples/fires_questions.py                  # 2,000 cases x 5 replications per arm
    python examples/fires_questions.py --cases 500      # quicker, wider intervals
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import blueprint as bp

FIRES = Path(__file__).resolve().parent / "damaged_fires.yaml"

PHONE_FOR_SOCIAL = {
    # with a phone, the social media team keeps its promise: it rings the customer and passes the
    # complaint on itself (the flow the file draws), instead of the customer phoning the store
    "teams.social.can": ["inbound_message", "outbound_call"],
}
SHARED_RECORD = {
    "teams.store.systems": ["till", "cases"],
    "teams.delivery.systems": ["orders", "cases"],
    "teams.social.systems": ["social_inbox", "cases"],
}
STORE_OWNS_IT = {
    "steps.refer.name": "Claims a replacement from the manufacturer",
    "steps.refer.lane": "backstage",
    "flows[refer->call_maker].to": "reorder",
}
QUESTIONS = {
    "What if the social media team could phone the customer back?": PHONE_FOR_SOCIAL,
    "What if store, delivery and social media kept one shared case record?": SHARED_RECORD,
    "What if the store owned the manufacturer's problem?": STORE_OWNS_IT,
    "And all three together?": {**PHONE_FOR_SOCIAL, **SHARED_RECORD, **STORE_OWNS_IT},
}


def gives_up(model: bp.Blueprint, stats: bp.Stats) -> float:
    """The exact chance that a case ends in a failure outcome (nothing races in this blueprint)."""
    return sum(p for step, p in stats.outcomes.items() if model.steps[step].outcome == "failure")


def exact_rows(today: bp.Blueprint, changed: bp.Blueprint) -> list[tuple[str, str, str]]:
    """Rows (what, today, with the change) of the exact expectations per case."""
    before, after = bp.stats(today), bp.stats(changed)
    return [
        ("contacts per case (exact)", f"{before.expected_contacts:.2f}", f"{after.expected_contacts:.2f}"),
        ("handoffs per case (exact)", f"{before.expected_handoffs:.2f}", f"{after.expected_handoffs:.2f}"),
        ("chance the customer gives up (exact)", f"{gives_up(today, before):.1%}", f"{gives_up(changed, after):.1%}"),
    ]


def simulated_rows(answer) -> list[tuple[str, str, str]]:
    """Rows of the simulated KPIs that move, with the paired 95% interval of the change."""
    rows = []
    for key, what in (("time_in_system.p90", "time to an outcome, 90% within (hours)"),
                      ("story_repeats.mean", "times the story is told again"),
                      ("contacts.mean", "contacts per case (simulated)")):
        d = answer.delta.get(key)
        if d is None:
            continue
        base, scen = answer.baseline[key], answer.scenario[key]
        interval = (f"  change {d['value']:+.3g}, 95% [{d['ci95'][0]:+.3g}, {d['ci95'][1]:+.3g}]"
                    if d["ci95"] else "")
        rows.append((what, f"{base:.3g}", f"{scen:.3g}{interval}"))
    return rows


def answer(question: str, changes: dict, today: bp.Blueprint, *, cases: int, replications: int) -> str:
    """The slide for one question: changes, exact and simulated numbers, findings resolved."""
    changed = today.with_changes(changes)
    simulated = bp.whatif(today, changes, cases=cases, replications=replications, seed=1)
    rows = [("", "today", "with the change")] + exact_rows(today, changed) + simulated_rows(simulated)
    width = max(len(r[0]) for r in rows)
    lines = [question, "-" * len(question)]
    lines += [f"  {what.ljust(width)}  {a:>8}  {b}" for what, a, b in rows]
    lines.append("  findings: " + findings_moved(bp.check(today), bp.check(changed)))
    return "\n".join(lines)


def findings_moved(today: bp.Report, changed: bp.Report) -> str:
    """How many findings of each rule there are today and with the change, where that differs."""
    rules = dict.fromkeys([f.rule for f in today] + [f.rule for f in changed])
    moved = [(rule, len(today.by_rule(rule)), len(changed.by_rule(rule))) for rule in rules]
    return "; ".join(f"{rule} {a} -> {b}" for rule, a, b in moved if a != b) or "the same as today"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2_000, help="cases per replication (default 2000)")
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args(argv)
    today = bp.load(FIRES)
    print(f"{today.name}: {sum(1 for _ in bp.check(today))} findings today\n")
    for question, changes in QUESTIONS.items():
        print(answer(question, changes, today, cases=args.cases, replications=args.replications))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
