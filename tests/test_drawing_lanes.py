"""A blueprint need not have every lane: one without a backstage (a counter service: the customer
and the staff they meet) is drawn like any other, on a page and at its own size, with only the
lines between the lanes it has."""
import xml.etree.ElementTree as ET

import pytest
import yaml
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli

SVG = "{http://www.w3.org/2000/svg}"
LINES = {("customer", "frontstage"): "line of interaction", ("frontstage", "backstage"): "line of visibility"}


def journey(lanes: list[str], length: int) -> dict:
    """`length` steps going round the lanes in turn, each staffed step owned by the desk."""
    steps = {}
    for i in range(length):
        lane = lanes[i % len(lanes)]
        steps[f"s{i}"] = {"name": f"Step {i}", "lane": lane, **({"owner": "desk"} if lane != "customer" else {})}
    steps["done"] = {"outcome": "success"}
    ids = list(steps)
    return {"name": "Counter service", "lanes": lanes, "teams": {"desk": {"name": "Desk", "staff": 3}},
            "arrivals": {"rate": "1/hour"}, "steps": steps, "flows": [[a, b] for a, b in zip(ids, ids[1:])]}


def texts(svg: str) -> set[str]:
    return {"".join(e.itertext()).strip() for e in ET.fromstring(svg).iter(f"{SVG}text")}


@pytest.mark.parametrize("lanes", [["customer", "frontstage"], ["customer", "frontstage", "support"],
                                   ["customer", "backstage"], ["customer"]])
@pytest.mark.parametrize("length,page", [(3, "a4"), (3, "none"), (40, "a4"), (40, "none")])
def test_a_blueprint_without_a_backstage_lane_is_drawn_with_its_own_lanes(tmp_path, lanes, length, page):
    source = tmp_path / "counter.yaml"
    source.write_text(yaml.safe_dump(journey(lanes, length)))
    target = tmp_path / "counter.svg"
    result = CliRunner().invoke(cli, ["render", str(source), "-o", str(target), "--page", page])
    assert result.exit_code == 0, result.stderr
    root = ET.fromstring(target.read_text())
    ids = {e.get("id") for e in root.iter()}
    assert {f"lane-{lane}" for lane in lanes} <= ids
    assert not {f"lane-{lane}" for lane in ("frontstage", "backstage", "support") if lane not in lanes} & ids
    assert {f"step-s{i}" for i in range(length)} | {"step-done"} <= ids
    drawn = texts(target.read_text())
    for (upper, lower), line in LINES.items():
        assert (line in drawn) == (upper in lanes and lower in lanes), line


@pytest.mark.parametrize("fmt", ["png", "mermaid", "html", "dot"])
def test_a_blueprint_without_a_backstage_lane_is_drawn_in_every_format(fmt):
    model = bp.loads(yaml.safe_dump(journey(["customer", "frontstage"], 4)))
    out = bp.render(model, fmt)
    assert out and (isinstance(out, bytes) or "backstage" not in out.lower())
