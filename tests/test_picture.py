"""The picture a consultant puts on a slide: it fits a landscape page, no text covers other text or an
arrow, findings are numbered marks in plain words, and it shows channels, outside parties, case
records and how the customer feels."""
import re
import shutil
import xml.etree.ElementTree as ET
from functools import cache, lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import blueprint as bp
from blueprint.cli import cli
from blueprint.drawing.labels import CHANNEL_KINDS, headline, marks
from blueprint.drawing.placing import crosses, overlaps, path_points
from blueprint.drawing.swimlane import drawing
from blueprint.strategies import blueprints

from .conftest import EXAMPLES, FIXTURES

SVG = "{http://www.w3.org/2000/svg}"
HAS_DOT = shutil.which("dot") is not None
ENGINES = [pytest.param("system", marks=pytest.mark.skipif(not HAS_DOT, reason="no system Graphviz (dot)")),
           "embedded"]
PICTURES = sorted(EXAMPLES.glob("*.yaml")) + [FIXTURES / "valid" / "minimal.yaml",
                                              FIXTURES / "valid" / "every_feature.yaml"]


@cache
def _svg(path: Path, engine: str, page: str = "a4") -> str:
    return bp.render(bp.load(path), "svg", engine=engine, page=page)


# --- reading the SVG as a person sees it -----------------------------------------------------------------
@lru_cache(maxsize=2)
def _font(bold: bool):
    """DejaVu Sans's advance widths (the font Graphviz sizes the labels for), from matplotlib's copy."""
    fonttools = pytest.importorskip("fontTools.ttLib")
    matplotlib = pytest.importorskip("matplotlib")
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    font = fonttools.TTFont(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / name)
    return font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm


def text_width(text: str, size: float, bold: bool = False) -> float:
    cmap, metrics, units = _font(bold)
    return sum(metrics[cmap[ord(ch)]][0] if ord(ch) in cmap else units * 0.6 for ch in text) * size / units


def _shift(element, x: float, y: float) -> tuple[float, float]:
    found = re.search(r"translate\(\s*(-?[\d.]+)[ ,]+(-?[\d.]+)\s*\)", element.get("transform") or "")
    return (x + float(found[1]), y + float(found[2])) if found else (x, y)


def _walk(element, x=0.0, y=0.0, parents=()):
    x, y = _shift(element, x, y)
    yield element, x, y, parents
    for child in element:
        yield from _walk(child, x, y, parents + (element,))


def text_boxes(svg: str) -> list[tuple[str, tuple[float, float, float, float], str]]:
    """(text, box, id of the nearest group with an id) of every text drawn, in page coordinates."""
    out = []
    for element, dx, dy, parents in _walk(ET.fromstring(svg)):
        if element.tag != f"{SVG}text" or not (element.text or "").strip():
            continue
        size = float(element.get("font-size", "14"))
        width = text_width(element.text, size, element.get("font-weight") == "bold")
        x, y = float(element.get("x")) + dx, float(element.get("y")) + dy
        anchor = element.get("text-anchor", "start")
        x0 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
        owner = next((p.get("id") for p in reversed(parents) if p.get("id")), "")
        out.append((element.text, (x0, y - 0.76 * size, x0 + width, y + 0.24 * size), owner))
    return out


def arrows(svg: str) -> dict[str, list[tuple[float, float]]]:
    """Every arrow's path, by the id of its group, in page coordinates."""
    out = {}
    for element, dx, dy, _ in _walk(ET.fromstring(svg)):
        if element.tag == f"{SVG}g" and "flow" in (element.get("class") or "").split():
            for path in element.iter(f"{SVG}path"):
                out[element.get("id")] = [(px + dx, py + dy) for px, py in path_points(path.get("d"))]
    return out


def _groups(svg: str) -> dict:
    return {g.get("id"): g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("id")}


def _size(svg: str) -> tuple[float, float]:
    view = [float(v) for v in ET.fromstring(svg).get("viewBox").split()]
    return view[2], view[3]


# --- the page -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PICTURES, ids=lambda p: p.stem)
def test_every_example_fits_a_landscape_page_never_more_than_two_to_one(path):
    width, height = _size(_svg(path, "embedded"))
    assert max(width / height, height / width) <= 2.0, (width, height)


def _journey(stages: int, per_stage: int) -> bp.Blueprint:
    names = [f"S{i}" for i in range(stages)]
    steps, flows, previous = {}, [], None
    for s, stage in enumerate(names):
        for k in range(per_stage):
            sid = f"s{s}_{k}"
            lane = ("customer", "frontstage", "backstage")[k % 3]
            steps[sid] = {"name": f"Step {k} of stage {stage}", "lane": lane, "stage": stage}
            if lane != "customer":
                steps[sid]["owner"] = "team"
            if previous:
                flows.append([previous, sid])
            previous = sid
    steps["done"] = {"outcome": "success"}
    flows.append([previous, "done"])
    flows.append({"from": "s3_1", "to": "s0_1", "p": 0.3})
    flows.append({"from": "s3_1", "to": "s3_2", "p": 0.7})
    flows.remove(["s3_1", "s3_2"])
    return bp.Blueprint.model_validate({"name": "A long journey", "stages": names, "teams": {"team": {}},
                                        "steps": steps, "flows": flows})


def test_a_long_journey_wraps_by_stage_into_bands_joined_by_lettered_connectors():
    model = _journey(stages=6, per_stage=4)
    laid_out = drawing(model, engine="embedded")
    sheet = laid_out.sheet
    assert len(sheet.bands) > 1 and sheet.aspect <= 2
    for band in sheet.bands:  # cut between stages: a band holds whole stages
        assert not any(label.endswith("(continued)") for label, _, _ in band.stages)
    letters = [c.letter for c in sheet.connectors]
    assert letters == [chr(ord("A") + i) for i in range(len(letters))]
    for con in sheet.connectors:
        assert sheet.band_of[con.source] != sheet.band_of[con.target]
        assert sheet.band_of[con.source] == _band_at(sheet, sheet.where[con.out_node])
        assert sheet.band_of[con.target] == _band_at(sheet, sheet.where[con.in_node])
    assert ("s3_1", "s0_1") in {(c.source, c.target) for c in sheet.connectors}  # the loop back too
    one = drawing(model, engine="embedded", page="none").sheet
    assert len(one.bands) == 1 and not one.connectors and one.aspect > 2


def _band_at(sheet, point) -> int:
    return next(b.index for b in sheet.bands if b.top <= point[1] <= b.bottom)


def test_a3_keeps_more_of_the_journey_in_one_band_than_a4():
    model = _journey(stages=8, per_stage=3)
    a4, a3 = (drawing(model, engine="embedded", page=p).sheet for p in ("a4", "a3"))
    assert len(a3.bands) <= len(a4.bands)
    assert a4.aspect <= 2 and a3.aspect <= 2


@pytest.mark.parametrize("page, size", [("a4", (842, 595)), ("a3", (1191, 842))])
def test_a_pdf_is_the_landscape_page_it_was_fitted_to(tmp_path, page, size):
    out = tmp_path / "fires.pdf"
    result = CliRunner().invoke(cli, ["render", str(EXAMPLES / "damaged_fires.yaml"), "-o", str(out), "--page", page])
    assert result.exit_code == 0, result.output
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out.read_bytes())
    assert box and (round(float(box[3])), round(float(box[4]))) == size


def test_an_unknown_page_is_bad_input(tmp_path):
    result = CliRunner().invoke(cli, ["render", str(FIXTURES / "valid" / "minimal.yaml"), "-o",
                                      str(tmp_path / "x.svg"), "--page", "letter"])
    assert result.exit_code == 2 and "letter" in result.output


# --- nothing covers anything ---------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", PICTURES, ids=lambda p: p.stem)
def test_no_text_covers_other_text(path, engine):
    boxes = text_boxes(_svg(path, engine))
    clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlaps(a[1], b[1], margin=0.6)]
    assert clashes == []


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", PICTURES, ids=lambda p: p.stem)
def test_no_label_sits_on_an_arrow(path, engine):
    svg = _svg(path, engine)
    paths = arrows(svg)
    labels = [(text, box, owner) for text, box, owner in text_boxes(svg) if owner in paths]
    assert labels or not any(f.label or f.p for f in bp.load(path).flows)
    shrunk = [(text, (x0 + 0.5, y0 + 0.5, x1 - 0.5, y1 - 0.5), owner) for text, (x0, y0, x1, y1), owner in labels]
    assert [(text, gid) for text, box, _ in shrunk for gid, line in paths.items() if crosses(box, line)] == []


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blueprints(max_steps=14, lanes=("customer", "frontstage", "backstage", "support", "partners")))
def test_generated_blueprints_fit_the_page_and_no_text_covers_text(model):
    svg = bp.render(model, "svg", engine="embedded")
    width, height = _size(svg)
    assert max(width / height, height / width) <= 2.0
    boxes = text_boxes(svg)
    assert [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlaps(a[1], b[1], margin=0.6)] == []


# --- what it shows --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PICTURES, ids=lambda p: p.stem)
def test_each_finding_is_one_mark_on_one_step_and_said_in_plain_words(path):
    model = bp.load(path)
    report = bp.check(model)
    svg = _svg(path, "embedded")
    groups = _groups(svg)
    drawn = [g for g in groups["marks"]]
    on_steps = [m for m in marks(model, report) if m.step]
    assert len(drawn) == len(on_steps) == len({m.step for m in on_steps})  # at most one mark a step
    key = " ".join(t for t, _, owner in text_boxes(svg) if owner.startswith("key-findings"))
    for f in report:
        assert headline(f.rule).split(":")[0][:20] in key.replace("  ", " ")
        assert f.rule not in key
    outlined = {sid for sid in model.steps if "finding-error" in groups[f"step-{sid}"].get("class")}
    assert outlined == {m.step for m in on_steps if m.severity == "error"}


def test_the_fires_story_outlines_only_its_two_errors():
    svg = _svg(EXAMPLES / "damaged_fires.yaml", "embedded")
    groups = _groups(svg)
    outlined = sorted(gid for gid, g in groups.items() if "finding-error" in (g.get("class") or ""))
    assert outlined == ["step-refer", "step-social_reply"]
    flows = [g for g in groups.values() if g.get("id", "").startswith("flow")]
    assert not any("finding-warning" in (g.get("class") or "") for g in flows)


CHANNELS = [("phone", "phone"), ("e-mail", "email"), ("letter", "letter"), ("post", "letter"), ("store", "store"),
            ("in person", "store"), ("social", "social"), ("chat", "chat"), ("sms", "chat"), ("home", "home"),
            ("door", "home"), ("web", "other"), ("carrier pigeon", "other")]


def test_each_channel_has_its_own_icon():
    steps = {f"c{i}": {"name": channel, "lane": "customer", "channel": channel}
             for i, (channel, _) in enumerate(CHANNELS)}
    steps["done"] = {"outcome": "success"}
    flows = [[f"c{i}", f"c{i + 1}"] for i in range(len(CHANNELS) - 1)] + [[f"c{len(CHANNELS) - 1}", "done"]]
    svg = bp.render(bp.Blueprint.model_validate({"steps": steps, "flows": flows}), engine="embedded")
    icons = [g.get("class").split("channel-")[1] for g in _groups(svg)["channels"]]
    assert icons == [kind for _, kind in CHANNELS]
    assert set(CHANNEL_KINDS) | {"other"} == set(icons)
    shapes = {kind: ET.tostring(g, encoding="unicode") for kind, g in zip(icons, _groups(svg)["channels"])}
    assert len({re.search(r' d="([^"]+)"', s)[1] for s in shapes.values()}) == len(set(icons))


def test_an_outside_partys_steps_sit_in_a_hatched_strip_of_their_lane():
    model = bp.load(EXAMPLES / "damaged_fires.yaml")
    sheet = drawing(model, engine="embedded").sheet
    band = sheet.bands[sheet.band_of["maker_answers"]]
    top, low = band.rows["outside backstage"]
    lane_top, lane_low = band.rows["backstage"]
    x, y = sheet.where["maker_answers"]
    assert lane_low <= top < y < low  # under the lane's own steps, in the strip
    assert all(not (top <= sheet.where[s][1] <= low) for s in model.steps
               if sheet.band_of[s] == band.index and s != "maker_answers")
    groups = _groups(_svg(EXAMPLES / "damaged_fires.yaml", "embedded"))
    strip = groups["outside-backstage" + (f"-band{band.index + 1}" if band.index else "")]
    assert strip.find(f"{SVG}polygon").get("fill") == "url(#outside-hatch)"
    step = groups["step-maker_answers"]
    assert "outside" in step.get("class").split()
    assert "(outside party)" in " ".join(t.text or "" for t in step.iter(f"{SVG}text"))


@pytest.mark.parametrize("path, records", [
    ("damaged_fires.yaml", ["till: Store", "orders: Home delivery", "social_inbox: Social media team",
                            "Manufacturer: no record"]),
    ("damaged_fires_after.yaml", ["cases: shared by Store, Home delivery, Social media team",
                                  "supplier_portal: shared by Store, Manufacturer"]),
])
def test_the_key_says_which_team_holds_which_case_record(path, records):
    svg = _svg(EXAMPLES / path, "embedded")
    said = [" ".join(t.text or "" for t in g.iter(f"{SVG}text")) for gid, g in _groups(svg).items()
            if gid.startswith("key-records-row")]
    for record in records:
        assert record in said


def test_the_emotion_curve_follows_the_customer_steps_in_journey_order():
    model = bp.load(EXAMPLES / "damaged_fires.yaml")
    laid_out = drawing(model, engine="embedded")
    svg = _svg(EXAMPLES / "damaged_fires.yaml", "embedded")
    groups = _groups(svg)
    felt = [sid for sid, s in model.steps.items() if s.emotion is not None]
    values = []
    for band in laid_out.sheet.bands:
        curve = groups.get(f"feelings-{band.index + 1}")
        if curve is not None:
            values += [t.text for t in curve.iter(f"{SVG}text")]
    in_order = sorted(felt, key=lambda s: (laid_out.sheet.band_of[s], laid_out.sheet.where[s][0]))
    assert values == [f"{model.steps[s].emotion:+g}" for s in in_order]


@pytest.mark.parametrize("lanes", [["customer", "frontstage", "support"], ["customer", "frontstage"],
                                   ["customer"], ["frontstage", "customer"], ["partners", "customer", "backstage"]])
def test_a_blueprint_without_the_usual_lanes_is_drawn(lanes):
    staff = next((lane for lane in lanes if lane != "customer"), None)
    steps = {"a": {"name": "Asks", "lane": "customer", "channel": "phone"}, "z": {"outcome": "success"}}
    flows = [["a", "z"]]
    if staff:
        steps["b"] = {"name": "Answers", "lane": staff, "owner": "desk"}
        flows = [["a", "b"], ["b", "z"]]
    model = bp.Blueprint.model_validate({"lanes": lanes, "teams": {"desk": {}}, "steps": steps, "flows": flows})
    for engine in ("embedded",):
        svg = bp.render(model, "svg", engine=engine)
        assert "Asks" in svg and bp.render(model, "png", engine=engine)[:4] == b"\x89PNG"
