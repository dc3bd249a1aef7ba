"""Rendering: the swimlane layout, the DOT, SVG from both Graphviz engines, Mermaid, HTML, the CLI."""
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import blueprint as bp
from blueprint.cli import cli
from blueprint.drawing.engines import graphviz_engine, run_graphviz
from blueprint.drawing.heat import read_heat
from blueprint.drawing.labels import headline
from blueprint.drawing.layout import placement
from blueprint.drawing.swimlane import LINE_NAMES, drawing
from blueprint.strategies import blueprints

from .conftest import EXAMPLES, FIXTURES

SVG = "{http://www.w3.org/2000/svg}"


def environment_without_dot() -> dict[str, str]:
    """The environment with every folder holding a ``dot`` left out of ``PATH``."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    keep = [f for f in folders if not shutil.which("dot", path=f)]
    return {**os.environ, "PATH": os.pathsep.join(keep)}
HAS_DOT = shutil.which("dot") is not None
ENGINES = [pytest.param("system", marks=pytest.mark.skipif(not HAS_DOT, reason="no system Graphviz (dot)")),
           "embedded"]
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))

SHOP = """
name: Repair shop
stages: [Ask, Fix]
teams:
  desk: {name: Help desk, systems: [crm]}
  lab:  {name: Repair lab, systems: [erp]}
steps:
  ask:    {name: Brings in a broken phone, lane: customer, stage: Ask, channel: store, evidence: Ticket}
  take:   {name: Takes the phone, lane: frontstage, owner: desk, stage: Ask}
  fix:    {name: Repairs it, lane: backstage, owner: lab, stage: Fix, fail_point: Part missing}
  check:  {name: Tests it, lane: backstage, owner: lab, stage: Fix}
  done:   {name: Phone works, outcome: success}
flows:
  - [ask, take]
  - [take, fix]
  - [fix, check]
  - [check, done, 0.5]
  - [check, fix, 0.5]
start: ask
"""


@pytest.fixture(scope="module")
def shop():
    return bp.loads(SHOP)


# --- the grid -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, columns, lanes, backward", [
    (SHOP, {"ask": 1, "take": 2, "fix": 3, "check": 4, "done": 5},
     {"done": "backstage", "ask": "customer"}, {("check", "fix")}),
    # a flow into an earlier stage is drawn backwards and does not push its target right
    ("stages: [A, B]\nsteps: {a: {lane: customer, stage: B}, b: {lane: customer, stage: A},"
     " c: {outcome: success}}\nflows: [[a, b], [b, c]]\nstart: a",
     {"b": 1, "c": 2, "a": 3}, {"c": "customer"}, {("a", "b")}),
    # parallel branches share a column; the join comes after both
    ("steps: {s: {lane: backstage, split: all}, x: {lane: backstage}, y: {lane: support},"
     " j: {lane: backstage, join: all}, o: {outcome: failure}}\nflows: [[s, x], [s, y], [x, j], [y, j], [j, o]]",
     {"s": 1, "x": 2, "y": 2, "j": 3, "o": 4}, {"o": "backstage"}, set()),
    # an outcome goes to the lane most of its flows come from
    ("steps: {a: {lane: customer}, b: {lane: frontstage}, c: {lane: frontstage}, o: {outcome: success}}\n"
     "flows: [[a, b], [b, c, 0.5], [b, o, 0.5], [c, o]]\nstart: a",
     {"a": 1, "b": 2, "c": 3, "o": 4}, {"o": "frontstage"}, set()),
])
def test_each_step_gets_the_column_and_lane_worked_out_by_hand(text, columns, lanes, backward):
    grid = placement(bp.loads(text))
    assert grid.column == columns
    assert {s: grid.lane[s] for s in lanes} == lanes
    assert set(grid.backward) == backward


def test_stages_are_bands_of_columns_left_to_right(shop):
    assert placement(shop).stages == [("Ask", 1, 2), ("Fix", 3, 5)]


@pytest.mark.parametrize("text", [
    "stages: [X, Y]\nsteps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b]]",
    "lanes: [customer]\nsteps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b]]",
    "steps: {a: {lane: frontstage}, b: {outcome: success}}\nflows: [[a, a, 0.5], [a, b, 0.5]]\nstart: a",
    "steps: {a: {lane: customer, timeout: {after: 2, to: b}}, b: {outcome: success}}\nflows: [[a, b]]",
    "steps: {a: {name: Supercalifragilisticexpialidocious_and_more_words_with_no_spaces_at_all, lane: support,"
    " evidence: Averyveryverylongevidencewordwithoutspaces}, b: {outcome: failure}}\nflows: [[a, b]]",
], ids=["empty stage", "one lane", "self loop", "timeout beside a flow", "long words"])
def test_odd_blueprints_are_drawn_too(text):
    model = bp.loads(text)
    assert_drawn_as_a_blueprint(model, bp.render(model, engine="embedded"))


# --- the DOT --------------------------------------------------------------------------------------
def _dot_clusters(source: str) -> dict[str, list[str]]:
    """{cluster name: [node names declared in it, nested clusters included]} from the DOT the renderer writes."""
    clusters, open_ = {}, []
    for line in source.splitlines():
        start = re.match(r'\t+subgraph "?(cluster[^"{]*?)"? \{$', line)
        if start:
            open_.append(start[1])
            clusters[start[1]] = []
        elif re.match(r"\t+}$", line) and open_:
            open_.pop()
        elif open_:
            node = re.match(r'\t+("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*) \[', line)
            if node:
                for name in open_:
                    clusters[name].append(node[1].strip('"'))
    return clusters


def _dot_edges(source: str) -> list[tuple[str, str]]:
    """The edges of the DOT, a flow through a connector (to one band, from another) as one edge."""
    edges = [(a.strip('"'), b.strip('"')) for a, b in
             re.findall(r'^\t("[^"]+"|[A-Za-z_]\w*) -> ("[^"]+"|[A-Za-z_]\w*) \[', source, re.M)]
    into = {a.replace(" in", ""): b for a, b in edges if a.startswith("connector ") and a.endswith(" in")}
    return [(a, into.get(b.replace(" out", ""), b)) for a, b in edges if not a.startswith("connector ")]


def _band(name: str) -> int:
    found = re.search(r" band(\d+)$", name)
    return int(found[1]) if found else 1


@pytest.mark.parametrize("path", EXAMPLE_FILES + [FIXTURES / "valid" / "minimal.yaml"], ids=lambda p: p.stem)
def test_dot_has_a_cluster_per_lane_in_order_holding_its_steps_and_an_edge_per_flow(path):
    model = bp.load(path)
    laid_out = drawing(model, engine="embedded")
    source = laid_out.source
    clusters = _dot_clusters(source)
    lane_clusters = [name for name in clusters if name.startswith("cluster_lane ")]
    bands = sorted({_band(name) for name in lane_clusters})
    assert bands == list(range(1, len(laid_out.sheet.bands) + 1))
    for band in bands:
        in_band = [re.sub(r" band\d+$", "", name)[len("cluster_lane "):]
                   for name in lane_clusters if _band(name) == band]
        assert in_band == list(model.lanes)
    grid = placement(model)
    for sid in model.steps:
        band = laid_out.sheet.band_of[sid] + 1
        assert sid in clusters[f"cluster_lane {grid.lane[sid]}" + (f" band{band}" if band > 1 else "")], sid
        if model.steps[sid].lane:
            assert grid.lane[sid] == model.steps[sid].lane
    for band in bands:
        suffix = f" band{band}" if band > 1 else ""
        tops = [float(re.search(rf'subgraph "cluster_lane {lane}{suffix}" {{\n\t\tbb="[^,]+,[^,]+,[^,]+,([^"]+)"',
                                source)[1]) for lane in model.lanes]
        assert tops == sorted(tops, reverse=True)  # top to bottom in lane order
    flows = [(f.source, f.target) for f in model.flows]
    flows += [(s, step.timeout.to) for s, step in model.steps.items() if step.timeout]
    steps_only = [e for e in _dot_edges(source) if e[0] in model.steps]
    assert sorted(steps_only) == sorted(flows)


def test_dot_names_the_three_lines_between_the_lanes(shop):
    source = drawing(shop, engine="embedded").source
    for name in LINE_NAMES.values():
        assert f'label="{name}"' in source


# --- the SVG: every step inside its lane, from both engines ----------------------------------------
def _box(element) -> tuple[float, float, float, float]:
    """The bounding box (x0, y0, x1, y1) of the shapes drawn in an SVG group."""
    xs, ys = [], []
    for shape in element.iter():
        tag = shape.tag.replace(SVG, "")
        if tag in ("polygon", "path") and shape.get("fill") != "none" or tag == "polygon":
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points") or shape.get("d") or "")]
            xs += nums[0::2]
            ys += nums[1::2]
        elif tag == "ellipse":
            cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
    return min(xs), min(ys), max(xs), max(ys)


def _groups(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def _texts(group) -> str:
    return " ".join((t.text or "").strip() for t in group.iter(f"{SVG}text"))


def _marks(svg: str) -> list[tuple[str, str]]:
    """(number, severity) of every finding mark drawn on a step."""
    return [("".join(g.itertext()).strip(), g.get("class").split("mark-")[1]) for g in _groups(svg)["marks"]]


def _channel_icons(svg: str) -> list[str]:
    """The kind of every channel icon drawn on a step."""
    return [g.get("class").split("channel-")[1] for g in _groups(svg)["channels"]]


def _lanes_by_band(groups) -> dict[int, dict[str, tuple]]:
    """{band: {lane: box}} of the lane groups of an SVG (``lane-LANE``, ``lane-LANE-bandN``)."""
    out: dict[int, dict[str, tuple]] = {}
    for gid, group in groups.items():
        found = re.fullmatch(r"lane-(.+?)(?:-band(\d+))?", gid)
        if found and "cluster" in (group.get("class") or ""):
            out.setdefault(int(found[2] or 1), {})[found[1]] = _box(group)
    return out


def assert_drawn_as_a_blueprint(model, svg: str) -> None:
    groups = _groups(svg)
    grid = placement(model)
    bands = _lanes_by_band(groups)
    for boxes in bands.values():
        assert set(boxes) == set(model.lanes)
        tops = [boxes[lane][1] for lane in model.lanes]
        assert tops == sorted(tops), "lanes top to bottom in lane order"
    for sid, step in model.steps.items():
        x0, y0, x1, y1 = _box(groups[f"step-{sid}"])
        inside = [b for b, boxes in bands.items() if boxes[grid.lane[sid]][0] <= x0 and x1 <= boxes[grid.lane[sid]][2]
                  and boxes[grid.lane[sid]][1] <= y0 and y1 <= boxes[grid.lane[sid]][3]]
        assert inside, f"{sid} outside its lane"
        words = _texts(groups[f"step-{sid}"])
        name = re.sub(r"\s+", " ", step.name or sid)
        assert name.replace(" ", "") in words.replace(" ", "").replace("✔", "").replace("✖", ""), sid
    for lane in model.lanes:
        assert _texts(groups[f"lane-label-{lane}"]).lower().startswith(lane.replace("_", " ")[:4].lower())
    for (a, b), name in LINE_NAMES.items():
        if (a, b) in zip(model.lanes, model.lanes[1:]):
            assert name in _texts(groups[name.replace(" ", "-")])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", EXAMPLE_FILES + [FIXTURES / "valid" / "minimal.yaml"], ids=lambda p: p.stem)
def test_every_example_is_drawn_with_each_step_inside_its_lane(path, engine):
    model = bp.load(path)
    assert_drawn_as_a_blueprint(model, bp.render(model, "svg", engine=engine))


def test_without_dot_on_path_the_embedded_graphviz_draws(shop, monkeypatch):
    monkeypatch.setenv("PATH", environment_without_dot()["PATH"])
    assert graphviz_engine() == "embedded"
    svg = bp.render(shop)
    assert_drawn_as_a_blueprint(shop, svg)
    assert "Help desk" in svg and "Repair lab" in svg


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blueprints(max_steps=12, lanes=("customer", "frontstage", "backstage", "support", "partners")))
def test_generated_blueprints_keep_every_step_in_its_lane(model):
    assert_drawn_as_a_blueprint(model, bp.render(model, "svg", engine="embedded", findings=False))


def test_hostile_names_and_ids_are_drawn_inside_their_lanes():
    model = bp.loads(HOSTILE.replace("  ok: {outcome: success}", "  title: {outcome: success}")
                     .replace("[a_b, ok, 0.6]", "[a_b, title, 0.6]"))
    svg = bp.render(model, engine="embedded")
    assert_drawn_as_a_blueprint(model, svg)
    assert 'Says "hello" | waves #1 <b>' in _texts(_groups(svg)["step-end"]).replace("&lt;", "<")


def test_fail_points_evidence_owners_contacts_and_outcomes_are_written_on_the_drawing(shop):
    groups = _groups(bp.render(shop, engine="embedded"))
    assert "⚠ Part missing" in _texts(groups["step-fix"])
    assert "Repair lab" in _texts(groups["step-fix"])
    assert "store" in _texts(groups["step-ask"])
    assert _channel_icons(bp.render(shop, engine="embedded")) == ["store"]
    assert _texts(groups["evidence-ask"]) == "Ticket"
    assert "success" in _texts(groups["step-done"])
    assert "outcome success" in groups["step-done"].get("class")
    assert "50%" in _texts(groups["flow-3"])
    stage = _texts(groups["stage-0"])
    assert stage == "Ask"


def test_errors_are_outlined_and_every_finding_is_a_numbered_mark_explained_in_plain_words():
    model = bp.loads("steps: {email: {name: Emails the manager, lane: customer, channel: email},"
                     " inbox: {name: Email auto-sorted, lane: backstage}}\nflows: [[email, inbox]]")
    svg = bp.render(model, engine="embedded")
    groups = _groups(svg)
    inbox = groups["step-inbox"]
    assert "finding-error" in inbox.get("class")
    assert 'stroke="#c62828"' in ET.tostring(inbox, encoding="unicode").lower()
    assert "dead-end" not in _texts(inbox)
    assert _marks(svg) == [("1", "error")]  # the second, about no step, is in the key only
    key = _texts(groups["key-findings"]) + " " + " ".join(_texts(g) for gid, g in groups.items()
                                                           if gid.startswith("key-findings-row"))
    assert f"Where it fails ({bp.check(model).summary['error']} errors)" in key
    assert "The case stops here" in key and "Nobody owns this step" in key and "No way from here" in key
    for rule in ("dead-end", "no-owner", "no-resolution"):
        assert rule not in svg
    plain = bp.render(model, engine="embedded", findings=False)
    assert "finding-error" not in plain and "Where it fails" not in plain and _marks(plain) == []


def test_heat_shades_teams_by_utilisation_and_steps_by_expected_visits(shop, tmp_path):
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"teams": {"desk": {"utilization": 0.25}, "lab": {"utilization": 0.9}}}))
    svg = bp.render(shop, engine="embedded", heat=str(result))
    groups = _groups(svg)
    # the repair loop is left half the time: fix and check are visited 2 times per case, by hand
    assert "2 visits per case" in _texts(groups["step-fix"])
    assert "1 visit per case" in _texts(groups["step-take"])
    assert "Repair lab · 90% busy" in _texts(groups["step-fix"])
    chips = [r for r in groups["step-fix"].iter(f"{SVG}rect") if r.get("class") == "team-heat"]
    assert chips and chips[0].get("fill") == "#8A84C0"
    key = " ".join(_texts(g) for gid, g in groups.items() if gid.startswith("key-"))
    assert "Team utilisation" in key and "Repair lab: 90%" in key and "Expected visits" in key


def test_heat_from_a_whatif_document_draws_the_scenario(shop):
    heat = read_heat(shop, {"baseline": {"teams": {"lab": {"utilization": 0.9}}},
                            "scenario": {"teams": {"lab": {"utilization": 0.4}}}})
    assert heat.utilization == {"lab": 0.4}


@pytest.mark.parametrize("heat, message", [
    ({"cases": {}}, "simulate"),
    ({"teams": {"nobody": {"utilization": 0.5}}}, "none of the teams"),
    ({"teams": {"desk": {"utilization": "busy"}}}, "teams.desk.utilization"),
    ("not json", "not JSON"),
])
def test_a_heat_file_that_cannot_be_used_is_bad_input(shop, tmp_path, heat, message):
    path = tmp_path / "heat.json"
    path.write_text(heat if isinstance(heat, str) else json.dumps(heat))
    with pytest.raises(bp.BlueprintError, match=message):
        bp.render(shop, engine="embedded", heat=str(path))


# --- engines ----------------------------------------------------------------------------------------
def test_a_failed_embedded_render_does_not_break_the_next():
    with pytest.raises(bp.BlueprintError, match="Graphviz could not draw"):
        run_graphviz("digraph { a -> ", engine="embedded")
    with pytest.raises(bp.BlueprintError, match="took more than"):
        run_graphviz("digraph { " + " ".join(f"n{i} -> n{i + 1};" for i in range(3000)) + " }",
                     engine="embedded", time_limit=0.01)
    assert b"<svg" in run_graphviz("digraph { a -> b }", engine="embedded")


@pytest.mark.skipif(not HAS_DOT, reason="no system Graphviz (dot)")
def test_a_failed_system_render_is_bad_input_not_a_traceback():
    with pytest.raises(bp.BlueprintError, match="Graphviz could not draw"):
        run_graphviz("digraph { a -> ", engine="system")


@pytest.mark.parametrize("fmt, start", [("png", b"\x89PNG"), ("pdf", b"%PDF-")])
def test_png_and_pdf_come_back_as_bytes(shop, fmt, start):
    data = bp.render(shop, fmt, engine="embedded")
    assert isinstance(data, bytes) and data.startswith(start)


def test_a_blueprint_shows_itself_inline_in_jupyter(shop):
    assert shop._repr_svg_().startswith("<svg")


# --- Mermaid ------------------------------------------------------------------------------------------
MERMAID_LINE = re.compile(r"""^(?:
    flowchart\ LR
  | \ {4}%%\ .*
  | \ {4}subgraph\ lane_\w+\["[^"]*"\]
  | \ {8}direction\ LR
  | \ {4}end
  | \ {8}(?P<node>s_\w+)(?:\["[^"]*"\]|\(\(\("[^"]*"\)\)\)|\{\{"[^"]*"\}\})
  | \ {4}(?P<src>s_\w+)\ (?:-->|-\.->)(?:\|"[^"]*"\|)?\ (?P<dst>s_\w+)
  | \ {4}classDef\ (?:error|warning|info)\ [\w:#,\ .-]+
  | \ {4}class\ s_\w+(?:,s_\w+)*\ (?:error|warning|info)
)$""", re.X)


def parse_mermaid(text: str):
    """A small grammar of the flowchart the renderer writes: nodes by subgraph, and edges."""
    nodes, edges, lane = {}, [], None
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    for line in lines:
        m = MERMAID_LINE.match(line)
        assert m, f"not Mermaid flowchart syntax: {line!r}"
        if line.startswith("    subgraph "):
            lane = line.split()[1].split("[")[0]
        elif line == "    end":
            lane = None
        elif m["node"]:
            assert lane, "a node outside its lane"
            nodes[m["node"]] = lane
        elif m["src"]:
            edges.append((m["src"], m["dst"]))
    return nodes, edges


HOSTILE = """
teams: {t: {name: 'R&D "lab" <1>'}}
steps:
  end: {name: 'Says "hello" | waves #1 <b>', lane: customer, channel: "e-mail & chat"}
  a-b: {name: "[brackets] {braces} (parens)", lane: frontstage, owner: t, fail_point: "100% -> fail"}
  a_b: {name: "`tick` ;semi; end", lane: frontstage, owner: t}
  ok: {outcome: success}
  ko: {outcome: failure}
flows:
  - {from: end, to: a-b, label: 'go "now"|later'}
  - [a-b, a_b]
  - [a_b, ok, 0.6]
  - [a_b, ko, 0.4]
start: end
"""


@pytest.mark.parametrize("text", [SHOP, HOSTILE] + [p.read_text() for p in EXAMPLE_FILES],
                         ids=["shop", "hostile"] + [p.stem for p in EXAMPLE_FILES])
def test_mermaid_is_a_flowchart_with_every_step_in_its_lane_and_every_flow(text):
    model = bp.loads(text)
    nodes, edges = parse_mermaid(bp.render(model, "mermaid"))
    from blueprint.drawing.mermaid import mermaid_ids

    ids = mermaid_ids(model.steps)
    grid = placement(model)
    assert {ids[s]: f"lane_{grid.lane[s]}" for s in model.steps} == nodes
    flows = [(ids[f.source], ids[f.target]) for f in model.flows]
    flows += [(ids[s], ids[st.timeout.to]) for s, st in model.steps.items() if st.timeout]
    assert sorted(edges) == sorted(flows)


def test_mermaid_keeps_hostile_names_inside_their_labels():
    text = bp.render(bp.loads(HOSTILE), "mermaid")
    assert "Says #quot;hello#quot; #124; waves #35;1 #lt;b#gt;" in text
    assert "s_end[" in text and "s_a_b[" in text and "s_a_b_2[" in text


def test_convert_writes_mermaid(tmp_path):
    out = tmp_path / "shop.mmd"
    src = tmp_path / "shop.yaml"
    src.write_text(SHOP)
    result = CliRunner().invoke(cli, ["convert", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("flowchart LR")


# --- HTML -----------------------------------------------------------------------------------------------
def test_html_is_one_page_that_opens_without_a_network(shop):
    page = bp.render(shop, "html", engine="embedded")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    outside = re.findall(r"""(?:src|href)\s*=\s*["'](?!#)|<link\b|<script\b|url\(|@import""", page, re.I)
    assert outside == []
    without_namespaces = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", page)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces
    for f in bp.check(shop):
        assert headline(f.rule) in page and f.rule not in page
    assert "Exact expectations" in page and "Phone works" in page


# --- the command line -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, fmt, marker", [
    ("out.svg", None, b"<svg"), ("out.png", None, b"\x89PNG"), ("out.pdf", None, b"%PDF"),
    ("out.dot", None, b"digraph"), ("out.mmd", None, b"flowchart LR"), ("out.html", None, b"<!DOCTYPE html>"),
    ("picture", "svg", b"<svg"), ("out.txt", "mermaid", b"flowchart"),
])
def test_render_writes_the_format_its_extension_or_format_names(tmp_path, name, fmt, marker, monkeypatch):
    monkeypatch.setenv("PATH", environment_without_dot()["PATH"])
    out = tmp_path / name
    args = ["render", str(FIXTURES / "valid" / "minimal.yaml"), "-o", str(out)] + (["--format", fmt] if fmt else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(marker)
    if marker != b"\x89PNG" and marker != b"%PDF":
        assert b"Help desk" in out.read_bytes()


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/out.jpeg"], "cannot tell the format"),
    (["-o", "{tmp}/missing/out.svg"], "does not exist"),
    (["-o", "{tmp}/out.svg", "--heat", "{tmp}/nothing.json"], "cannot read the heat file"),
])
def test_render_bad_input_is_one_message_and_exit_2(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, ["render", str(FIXTURES / "valid" / "minimal.yaml")] + args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_render_no_findings_and_heat_from_the_cli(tmp_path, shop):
    src = tmp_path / "shop.yaml"
    src.write_text(SHOP)
    heat = tmp_path / "heat.json"
    heat.write_text(json.dumps({"teams": {"lab": {"utilization": 0.5, "mean_wait": 1, "max_queue": 2}}}))
    out = tmp_path / "shop.svg"
    result = CliRunner().invoke(cli, ["render", str(src), "-o", str(out), "--no-findings", "--heat", str(heat)])
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    assert "Findings" not in svg and "Repair lab · 50% busy" in svg


def test_moments_are_written_and_feelings_drawn_as_a_curve_across_the_customer_steps():
    model = bp.loads("""
steps:
  greet: {name: Is greeted by name, lane: customer, channel: door, moment: "Warm: greeted as a person", emotion: 2}
  wait:  {name: Waits in, lane: customer, emotion: -1}
  done:  {outcome: success}
flows: [[greet, wait], [wait, done]]
""")
    dot = bp.render(model, format="dot")
    assert "★ Warm: greeted as a" in dot and "feels +2" not in dot
    svg = bp.render(model, format="svg", engine="embedded")
    curve = _groups(svg)["feelings-1"]
    points = [(float(c.get("cx")), float(c.get("cy"))) for c in curve.iter(f"{SVG}circle")]
    assert len(points) == 2 and points[0][0] < points[1][0] and points[0][1] < points[1][1]  # +2 above -1
    assert [t.text for t in curve.iter(f"{SVG}text")] == ["+2", "-1"]
    assert "how the customer feels" in svg and "a moment that matters to the customer" in svg
