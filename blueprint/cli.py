"""The ``blueprint`` command line.

One handler (:class:`_Group`) turns a :class:`BlueprintError` into its message on stderr and exit
code 2; commands print machine output on stdout only.
"""
from __future__ import annotations

import errno
import json
import math
import os
import sys
import warnings

import click

from .bpmn.write import MOST_STEPS_LAID_OUT
from .chain import stats as solve
from .chain import workload
from .checker import check as check_model
from .checker import locate
from .compare import compare as run_compare
from .drawing.render import MOST_STEPS_DRAWN, format_for, too_large_to_draw
from .drawing.render import render as draw
from .errors import BlueprintError
from .eventlog import check_events_path
from .explore import explore as run_explore
from .files import same_file, write_atomic
from .findings import SEVERITIES
from .formats import format_of
from .gcpause import without_gc
from .loader import load, parse_value
from .logs.discover import discover as run_discover
from .logs.replay import replay as run_replay
from .parallel import connect
from .report import FORMATS as REPORT_FORMATS
from .report import report as make_report
from .sarif import to_sarif
from .schema import json_schema
from .simulation import simulate as run_simulation
from .version import __version__
from .whatif import whatif as run_whatif
from .writing import WRITERS, save

#: Exit codes.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """Runs a command; bad input becomes one message on stderr and exit 2, never a traceback."""

    def invoke(self, ctx):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", UserWarning)
                warnings.showwarning = _show_warning
                try:
                    return super().invoke(ctx)
                finally:
                    sys.stdout.flush()  # a full device or a closed pipe is told here, not at exit
        except BlueprintError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except RecursionError:
            click.echo("blueprint: the input is nested too deeply to be read", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except ValueError as exc:  # os.stat of a path option, before a command runs
            if "null byte" not in str(exc):
                raise
            click.echo("blueprint: a path holds a NUL byte (\\0), which no file name can; check how it was made",
                       err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRORS:
                raise
            _drop_stdout()
            if exc.errno != errno.EPIPE:  # a reader that stopped reading (| head) wants no message
                click.echo(f"blueprint: cannot write the output: {exc.strerror}; free some space or "
                           "write elsewhere", err=True)
            ctx.exit(EXIT_BAD_INPUT)


#: Errors writing the output (stdout on a full device, a pipe whose reader has gone).
_OUTPUT_ERRORS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EDQUOT, errno.EFBIG}


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that what is still buffered does not fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test runner's stream)
        pass


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning (such as what a BPMN import could not map) as one line on stderr; a note as a note."""
    click.echo(f"{'note' if category.__name__.endswith('Note') else 'warning'}: {message}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="blueprint")
def cli():
    """Service blueprints: where a service fails its customers, and what to change."""


def _rule_levels(pairs: tuple[str, ...]) -> dict[str, str]:
    levels = {}
    for pair in pairs:
        rule, sep, level = pair.partition("=")
        if not sep:
            raise BlueprintError(f"--rule takes RULE=LEVEL, like --rule lost-context=off, not '{pair}'")
        levels[rule.strip()] = level.strip()
    return levels


def json_text(value, depth: int, indent: str = "") -> str:
    """JSON laid out one entry a line for the first `depth` levels, each deeper value on one line.

    As readable as ``indent=2`` for a report (one finding a line), and written by json's C encoder
    below those levels: ``indent`` makes json encode in Python, minutes for 100,000 findings.

    Examples
    --------
    >>> print(json_text({"file": "x.yaml", "findings": [{"rule": "dead-end", "steps": ["a"]}]}, 2))
    {
      "file": "x.yaml",
      "findings": [
        {"rule": "dead-end", "steps": ["a"]}
      ]
    }
    """
    if depth <= 0 or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k))}: {json_text(v, depth - 1, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    return "[\n" + ",\n".join(f"{inner}{json_text(v, depth - 1, inner)}" for v in value) + f"\n{indent}]"


def _check_files(files, levels: dict[str, str], locating: bool) -> tuple[list, list]:
    """The report of each file (with the places of its findings when `locating`), and the files that
    did not load, with their errors (a single file's error is raised)."""
    reports, failed = [], []
    for name in files:
        try:
            model = load(name)
            report = check_model(model, rules=levels, file=name)
            reports.append(locate(report, model) if locating else report)
        except BlueprintError as exc:
            if len(files) == 1:
                raise
            failed.append((name, exc))
            click.echo(str(exc), err=True)
    return reports, failed


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding is at least this serious.")
@click.option("--rule", "rules", multiple=True, metavar="RULE=LEVEL",
              help="Set a rule's level (off, info, warning, error), over the file's checks:.")
def check(files, fmt, fail_on, rules):
    """Find dead ends, missing owners, loops and lost context in blueprint FILES."""
    levels = _rule_levels(rules)
    # the models and reports are millions of objects and no cycles: without this pause the collector
    # walks them all again and again (about 1 s at 100,000 steps); each model is freed in _check_files
    with without_gc():
        reports, failed = _check_files(files, levels, locating=fmt != "json")
        if fmt == "json":
            docs = [r.to_json() for r in reports]
            click.echo(json_text(docs[0], 2) if len(files) == 1 else json_text(docs, 3))
        elif fmt == "sarif":
            click.echo(json_text(to_sarif(reports, __version__, failed), 4))
        else:
            click.echo("\n".join(report.to_text() for report in reports))
    if failed:
        sys.exit(EXIT_BAD_INPUT)
    threshold = SEVERITIES.index(fail_on) if fail_on != "never" else -1
    if any(SEVERITIES.index(f.severity) <= threshold for r in reports for f in r):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats(file, fmt):
    """Exact expectations per case from the flow chances: outcomes, visits, contacts, handoffs."""
    result = solve(load(file))
    click.echo(json.dumps(result.to_json(), indent=2) if fmt == "json" else result.to_text())


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--cases", type=click.IntRange(1), help="Cases per replication (default 10,000 without --until).")
@click.option("--until", metavar="DURATION", help="Simulate this long instead, e.g. 30d (bare numbers: time_unit).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="The same seed gives the same result, bit for bit.")
@click.option("--replications", type=click.IntRange(1), default=1, show_default=True,
              help="Independent runs: the KPIs pool them, ci95 is taken across them.")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Processes for replications.")
@click.option("--scheduler", metavar="ADDRESS", help="Run replications on a dask.distributed scheduler.")
@click.option("--events", "events_out", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write every step visit to OUT.csv, OUT.jsonl or OUT.xes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress on stderr (only when it is a terminal).")
@click.option("--engine", type=click.Choice(["auto", "python", "compiled"]), default="auto", show_default=True,
              help="The event loop: the compiled one is faster, with the same result; auto takes it for "
                   "long runs.")
def simulate(file, cases, until, seed, replications, jobs, scheduler, events_out, fmt, progress, engine):
    """Simulate cases flowing through the teams: time in system, contacts, handoffs, utilisation.

    Without arrivals in the file, cases arrive at random at one per time_unit. Time 0 is a
    Monday 00:00 (for team hours; event logs date it 2024-01-01).
    """
    model = load(file)
    if events_out:
        check_events_path(events_out)
    _warn_if_overloaded(model)
    show = _ProgressLine() if progress and sys.stderr.isatty() else None
    client = _client(scheduler)
    try:
        result = run_simulation(model, cases=cases, until=until, seed=seed, replications=replications,
                                jobs=jobs, client=client, progress=show, events=bool(events_out), engine=engine)
    finally:
        if show is not None:
            show.close()
        if client is not None:
            client.close()
    if result.interrupted:
        click.echo(f"note: interrupted (Ctrl-C): the figures are of the {result.to_json()['cases']['arrived']:,} "
                   "cases simulated up to then", err=True)
    if events_out:
        result.write_events(events_out)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(result.to_text(names={t: model.team_name(t) for t in model.teams}))


def _warn_if_overloaded(model) -> None:
    """A note on stderr for each team given more work than its staff can do (check's `overloaded`):
    its queue grows for as long as the simulation runs."""
    try:
        teams, _ = workload(model)
    except BlueprintError:
        return  # too much parallel work to follow exactly: the simulation still runs
    for team, cap in teams.items():
        if cap.utilization is not None and cap.utilization >= 1:
            click.echo(f"warning: {model.team_name(team)} is overloaded: its work keeps {cap.load:.2f} staff busy "
                       f"and it has {cap.load / cap.utilization:.2f} on duty on average ({cap.utilization:.0%}); "
                       "its queue grows for as long as the simulation runs, so the "
                       "times say more about how long it ran than about the service. See blueprint check.",
                       err=True)


class _ProgressLine:
    """Cases done and events per second, redrawn on one line of stderr."""

    def __init__(self):
        self.shown = False

    def __call__(self, done: int, total, rate: float) -> None:
        of = f" / {total:,}" if total else ""
        click.echo(f"\r  {done:,}{of} cases, {rate:,.0f} events/s ", err=True, nl=False)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the schema to this file.")
def schema(output):
    """Print the JSON Schema of the blueprint file format (for editors)."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (.svg, .png, .pdf, .dot, .mmd, .html).")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot", "mermaid", "html"]),
              help="What to draw; default: the one the output's extension names.")
@click.option("--findings/--no-findings", default=True, show_default=True,
              help="Mark what `blueprint check` finds, explained in plain words in the key.")
@click.option("--heat", type=click.Path(dir_okay=False), metavar="RESULT.json",
              help="The JSON of `blueprint simulate --format json`: teams shaded by utilisation, "
                   "steps by expected visits.")
@click.option("--page", type=click.Choice(["a4", "a3", "none"], case_sensitive=False), default="a4",
              show_default=True, help="The landscape page the drawing is fitted to (long journeys wrap into "
                                      "bands); none: one band, at its own size.")
@click.option("--max-steps", type=click.IntRange(min=1), default=MOST_STEPS_DRAWN, show_default=True,
              help="Refuse a larger blueprint (or one of more than twice as many flows) before Graphviz "
                   "starts: its layout takes minutes beyond this.")
def render(file, output, fmt, findings, heat, page, max_steps):
    """Draw blueprint FILE as a swimlane diagram: lanes, stages, findings and load."""
    fmt = format_for(output, fmt)
    model = load(file)
    if fmt != "mermaid":
        too_large_to_draw(model, max_steps, "--max-steps", file=file)
    drawn = draw(model, fmt, findings=findings, heat=heat, page=page.lower(), max_steps=None)
    write_atomic(output, drawn)
    _wrote(output, f"{file} drawn as {fmt}", drawn)


def _wrote(output: str, what: str, content: str | bytes) -> None:
    """Say on stderr what was written where (stdout stays for machine output)."""
    size = len(content.encode("utf-8") if isinstance(content, str) else content)
    click.echo(f"wrote {output}: {what} ({size:,} bytes)", err=True)


@cli.command()
@click.argument("source", type=click.Path(dir_okay=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write; its extension names the format (.yaml, .json, .bpmn, .mmd).")
@click.option("--max-steps", type=click.IntRange(min=1), default=MOST_STEPS_LAID_OUT, show_default=True,
              help="Refuse to write a BPMN file of a larger blueprint: its diagram takes about 60 kB of "
                   "memory a step to lay out (6 GB at 100,000 steps of random flows).")
def convert(source, output, max_steps):
    """Convert a blueprint between YAML, JSON and BPMN (and Mermaid out)."""
    if same_file(source, output):
        raise BlueprintError(f"{output}: converting a file onto itself; write to another file")
    model = load(source)
    if format_of(output, [*WRITERS, "mermaid"], hint="") == "bpmn" and len(model.steps) > max_steps:
        raise BlueprintError(f"the blueprint has {len(model.steps):,} steps, more than the {max_steps:,} a BPMN "
                             "file's diagram is laid out for by default (about 60 kB of memory a step); raise "
                             f"the limit with --max-steps {len(model.steps)}", file=source)
    _save(model, output)


def _save(model, output: str) -> None:
    """Write a blueprint as the file `output` names: YAML, JSON, BPMN, or a Mermaid drawing."""
    if format_of(output, [*WRITERS, "mermaid"], hint="") == "mermaid":
        write_atomic(output, draw(model, "mermaid", findings=False))
    else:
        save(model, output)


#: How an event log is read (blueprint.logs.reading.read_events): the options discover and replay share.
_LOG_OPTIONS = [
    click.option("--case", help="The case id column [case:concept:name, case, ...]."),
    click.option("--activity", help="The activity column [concept:name, activity, ...]."),
    click.option("--timestamp", help="The (end) time column [time:timestamp, timestamp, ...]."),
    click.option("--resource", help="The resource column [org:resource, resource, ...]."),
    click.option("--start-timestamp", "start_timestamp", help="The start time column [start_timestamp, ...]."),
    click.option("--group", help="The team column [org:group, org:role, group, team, ...]."),
    click.option("--lifecycle", help="The lifecycle column [lifecycle:transition, lifecycle, ...]."),
    click.option("--outcome", help="The case outcome column: success, failure, abandoned [case:outcome, ...]."),
    click.option("--encoding", help="The log's text encoding when it has no byte order mark [utf-8]."),
    click.option("--max-bytes", "max_bytes", default="1G", show_default=True, metavar="SIZE",
                 help="Read at most this much of the log, counted after decompression (512M, 4G; 0: no cap)."),
]


def _log_options(command):
    """Give `command` the options that say how to read its event log, in this order."""
    for option in reversed(_LOG_OPTIONS):
        command = option(command)
    return command


@cli.command()
@click.argument("log", metavar="LOG")  # checked when it is opened: any path, a pipe too
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The blueprint to write (.yaml, .json, .bpmn, .mmd).")
@_log_options
def discover(log, output, case, activity, timestamp, resource, start_timestamp, group, lifecycle, outcome,
             encoding, max_bytes):
    """Discover a blueprint from an event log (.csv or .xes, gzip too)."""
    _save(run_discover(log, case=case, activity=activity, timestamp=timestamp, resource=resource,
                      start_timestamp=start_timestamp, group=group, lifecycle=lifecycle, outcome=outcome,
                      encoding=encoding, max_bytes=max_bytes), output)


def _client(scheduler):
    if not scheduler:
        return None
    return connect(scheduler)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--set", "changes", multiple=True, required=True, metavar="PATH=VALUE",
              help="A change: teams.store.staff=4, flows[unpack->fitted].p=0.9, teams.*.systems=[crm].")
@click.option("--cases", type=click.IntRange(1), default=10_000, show_default=True, help="Cases per replication.")
@click.option("--replications", type=click.IntRange(2), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Processes for replications.")
@click.option("--scheduler", metavar="ADDRESS", help="Run on a dask.distributed scheduler.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def whatif(file, changes, cases, replications, seed, jobs, scheduler, fmt):
    """Compare the blueprint with changes made, on common random numbers."""
    model = load(file)
    answer = run_whatif(model, list(changes), cases=cases, replications=replications, seed=seed, jobs=jobs,
                        client=_client(scheduler))
    click.echo(json.dumps(answer.to_json(), indent=2) if fmt == "json" else answer.to_text())


def _ranges(pairs) -> dict:
    ranges = {}
    for pair in pairs:
        path, sep, span = pair.partition("=")
        low, dots, high = span.partition("..")
        if not sep or not dots:
            raise BlueprintError(f"--vary takes PATH=LOW..HIGH, like teams.store.staff=1..6, not '{pair}'")
        low, high = parse_value(low.strip(), "--vary"), parse_value(high.strip(), "--vary")
        for end in (low, high):
            if isinstance(end, bool) or not isinstance(end, (int, float)) or not math.isfinite(end):
                raise BlueprintError(f"--vary {pair}: '{end}' is not a number; write LOW..HIGH with two "
                                     "numbers, like 1..6 or 0.1..0.9")
        ranges[path.strip()] = (low, high)
    return ranges


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH=LOW..HIGH",
              help="What may change: teams.store.staff=1..6, flows[unpack->fitted].p=0.1..0.9.")
@click.option("--require", "requirement", required=True, metavar='"KPI OP VALUE"',
              help='The service level, e.g. "time_in_system.p90 < 48" or "stats.never_finishes <= 0.01".')
@click.option("--examples", type=click.IntRange(1), default=40, show_default=True, help="Changes to try.")
@click.option("--cases", type=click.IntRange(1), default=2_000, show_default=True, help="Cases per evaluation.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Processes for evaluations.")
@click.option("--scheduler", metavar="ADDRESS", help="Run evaluations on a dask.distributed scheduler.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def explore(file, vary, requirement, examples, cases, seed, jobs, scheduler, fmt):
    """Search for the smallest change that breaks a service level (exit 1 when one does)."""
    model = load(file)
    found = run_explore(model, _ranges(vary), requirement, examples=examples, cases=cases, seed=seed, jobs=jobs,
                        client=_client(scheduler))
    click.echo(json.dumps(found.to_json(), indent=2) if fmt == "json" else found.to_text())
    if not found.holds:
        sys.exit(EXIT_FINDINGS)


class _ArmProgress:
    """Progress of a two-armed run (before, after) on one line of stderr, when it is a terminal."""

    def __init__(self):
        self.line = _ProgressLine()

    def __call__(self, arm: str, done: int, total, rate: float) -> None:
        of = f" / {total:,}" if total else ""
        click.echo(f"\r  {arm}: {done:,}{of} cases, {rate:,.0f} events/s ", err=True, nl=False)
        self.line.shown = True

    def close(self) -> None:
        self.line.close()


@cli.command()
@click.argument("before", type=click.Path(dir_okay=True))
@click.argument("after", type=click.Path(dir_okay=True))
@click.option("--cases", type=click.IntRange(1), default=10_000, show_default=True, help="Cases per replication.")
@click.option("--replications", type=click.IntRange(2), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Processes for replications.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress on stderr (only when it is a terminal).")
def compare(before, after, cases, replications, seed, jobs, fmt, progress):
    """Compare two blueprints of one service (as it is, as it could be) on common random numbers."""
    show = _ArmProgress() if progress and sys.stderr.isatty() else None
    try:
        answer = run_compare(before, after, cases=cases, replications=replications, seed=seed, jobs=jobs,
                             progress=show)
    finally:
        if show is not None:
            show.close()
    click.echo(json.dumps(answer.to_json(), indent=2) if fmt == "json" else answer.to_text())


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--after", type=click.Path(dir_okay=True), metavar="FILE2",
              help="The redesign: both pictures and the comparison of the two.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="OUT.html or OUT.pdf.")
@click.option("--cases", type=click.IntRange(1), default=2_000, show_default=True, help="Cases per replication.")
@click.option("--replications", type=click.IntRange(2), default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--page", type=click.Choice(["a4", "a3"], case_sensitive=False), default="a4", show_default=True,
              help="The landscape page the pictures are fitted to.")
def report(file, after, output, cases, replications, seed, page):
    """Write the deliverable: one self-contained HTML or PDF file to send a client."""
    fmt = format_of(output, REPORT_FORMATS, hint="")
    content = make_report(file, after=after, format=fmt, cases=cases, replications=replications, seed=seed,
                          page=page.lower(), progress=lambda note: click.echo(f"report: {note}", err=True))
    write_atomic(output, content)
    click.echo(f"report: wrote {output}", err=True)


@cli.command()
@click.argument("log", metavar="LOG")  # checked when it is opened: any path, a pipe too
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--calibrate", "calibrate_out", type=click.Path(dir_okay=False), metavar="OUT.yaml",
              help="Write the blueprint with the log's figures (chances, durations, arrivals) to OUT "
                   "(.yaml, .json, .bpmn), keeping the file's comments.")
@click.option("--map", "mapping", type=click.Path(dir_okay=False), metavar="FILE",
              help="A YAML/JSON file of 'activity: step' for activities that match no step by id or name "
                   "(null leaves an activity out).")
@_log_options
def replay(log, file, fmt, calibrate_out, mapping, case, activity, timestamp, resource, start_timestamp, group,
           lifecycle, outcome, encoding, max_bytes):
    """Play event LOG (.csv or .xes, gzip too) through blueprint FILE: which cases fit, where the log
    deviates, observed chances, durations and waits beside the blueprint's (exit 1 when cases deviate)."""
    written = format_of(calibrate_out, ("yaml", "json", "bpmn"), hint=" (--calibrate writes a blueprint)") \
        if calibrate_out else None
    fit = run_replay(log, file, mapping=mapping, case=case, activity=activity, timestamp=timestamp,
                     resource=resource, group=group, start_timestamp=start_timestamp, lifecycle=lifecycle,
                     outcome=outcome, encoding=encoding, max_bytes=max_bytes)
    if written:
        write_atomic(calibrate_out, WRITERS[written](fit.calibrated()) if written == "bpmn" else
                     fit.calibrated_text(written))
        for note in fit.calibration().notes:
            click.echo(f"calibrated {note}", err=True)
    click.echo(fit.dumps() if fmt == "json" else fit.to_text())
    if fit.fitting < fit.cases:
        sys.exit(EXIT_FINDINGS)


def main(argv=None):
    """Run the command line (the ``blueprint`` console script)."""
    cli.main(args=argv, prog_name="blueprint")


if __name__ == "__main__":  # pragma: no cover
    main()
