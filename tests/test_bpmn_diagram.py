"""The exported BPMN as BPMN tools see it: every flow node lists its flows, no flow is drawn through
a shape, and bpmnlint (the linter of Camunda Modeler's problems panel, from npm) finds nothing the
blueprint's own check does not find too."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, given, settings

import blueprint as bp
from blueprint.bpmn import to_bpmn
from blueprint.strategies import blueprints

from .conftest import EXAMPLES, FIXTURES

NS = {"b": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
FLOW_NODES = ("task", "startEvent", "endEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway")
MODELS = sorted(EXAMPLES.glob("*.yaml")) + sorted((FIXTURES / "valid").glob("*.yaml"))
#: bpmnlint's rules for what a blueprint's own check reports on the same step.
SAME_FINDING = {"no-implicit-end": "dead-end", "no-implicit-start": "unreachable"}


def diagram(xml: str):
    """The flow nodes' shapes ``{id: (x, y, w, h)}`` and the flows ``[(id, source, target, points)]``."""
    root = SafeET.fromstring(xml)
    nodes = {el.get("id") for tag in FLOW_NODES for el in root.iter("{%s}%s" % (NS["b"], tag))}
    shapes = {}
    for shape in root.iter("{%s}BPMNShape" % NS["bpmndi"]):
        if shape.get("bpmnElement") in nodes:
            b = shape.find("dc:Bounds", NS)
            shapes[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    ends = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in root.iter("{%s}sequenceFlow" % NS["b"])}
    flows = []
    for edge in root.iter("{%s}BPMNEdge" % NS["bpmndi"]):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        flows.append((edge.get("bpmnElement"), *ends[edge.get("bpmnElement")], points))
    return shapes, flows


def crosses(a, b, box, margin: float = 1.0) -> bool:
    """Whether the axis-parallel segment a-b passes through, or runs along, the box (1 px around it)."""
    x, y, w, h = box
    (x1, y1), (x2, y2) = a, b
    return min(x1, x2) < x + w + margin and max(x1, x2) > x - margin and \
        min(y1, y2) < y + h + margin and max(y1, y2) > y - margin


def on_border(point, box) -> bool:
    x, y, w, h = box
    px, py = point
    inside = x - 0.5 <= px <= x + w + 0.5 and y - 0.5 <= py <= y + h + 0.5
    return inside and min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) < 0.5


def drawing_problems(model) -> list[str]:
    """Every flow drawn through a shape, with a slanted segment, or not starting and ending on its shapes."""
    shapes, flows = diagram(to_bpmn(model))
    problems = []
    for fid, source, target, points in flows:
        if len(points) < 2 or not on_border(points[0], shapes[source]) or not on_border(points[-1], shapes[target]):
            problems.append(f"{fid} does not run from the border of {source} to the border of {target}")
        for a, b in zip(points, points[1:]):
            if a[0] != b[0] and a[1] != b[1]:
                problems.append(f"{fid} has a slanted segment {a}-{b}")
            problems += [f"{fid} runs through {other}" for other, box in shapes.items()
                         if other not in (source, target) and crosses(a, b, box)]
    return problems


@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_no_flow_of_an_exported_example_is_drawn_through_a_shape(path):
    assert drawing_problems(bp.load(path)) == []


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(model=blueprints())
def test_no_flow_of_any_exported_blueprint_is_drawn_through_a_shape(model):
    assert drawing_problems(model) == []


@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_every_flow_node_lists_its_flows_in_and_out(path):
    root = SafeET.fromstring(to_bpmn(bp.load(path)))
    flows = list(root.iter("{%s}sequenceFlow" % NS["b"]))
    for tag in FLOW_NODES:
        for node in root.iter("{%s}%s" % (NS["b"], tag)):
            listed = ([i.text for i in node.findall("b:incoming", NS)],
                      [o.text for o in node.findall("b:outgoing", NS)])
            expected = ([f.get("id") for f in flows if f.get("targetRef") == node.get("id")],
                        [f.get("id") for f in flows if f.get("sourceRef") == node.get("id")])
            assert listed == expected, node.get("id")


def test_a_flow_that_skips_columns_goes_around_the_steps_between():
    # issue 16: in outside_in, the flow from the choice after 'unpack' to the merge before 'done'
    # was drawn straight through 'form' and 'photo'
    shapes, flows = diagram(to_bpmn(bp.load(EXAMPLES / "outside_in.yaml")))
    points = next(p for fid, s, t, p in flows if s == "Choice_unpack" and t == "Merge_done")
    assert not any(crosses(a, b, shapes[step]) for a, b in zip(points, points[1:]) for step in ("form", "photo"))


# --------------------------------------------------------------------------------------------
# bpmnlint, from npm, into a cache folder (skipped without node and npm, or offline)
# --------------------------------------------------------------------------------------------
LINT_JS = """
const { readFileSync } = require('node:fs');
const { BpmnModdle } = require('bpmn-moddle');
const Linter = require('bpmnlint/lib/linter');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
(async () => {
  const out = {};
  for (const file of process.argv.slice(2)) {
    const { rootElement, warnings } = await new BpmnModdle().fromXML(readFileSync(file, 'utf8'));
    const problems = warnings.map(w => ({ rule: 'import', id: '', message: w.message }));
    const linter = new Linter({ config: { extends: 'bpmnlint:recommended' }, resolver: new NodeResolver() });
    for (const [rule, reports] of Object.entries(await linter.lint(rootElement))) {
      for (const r of reports) problems.push({ rule, id: r.id, message: r.message });
    }
    out[file] = problems;
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(3); });
"""


@pytest.fixture(scope="session")
def bpmnlint() -> Path:
    """A folder with bpmnlint installed from npm and a script that lints files to JSON."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are needed to run bpmnlint")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "blueprint-tests" / "bpmnlint"
    if not (cache / "node_modules" / "bpmnlint" / "package.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                                   "bpmnlint@11"], capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            pytest.skip("npm took too long to install bpmnlint")
        if done.returncode != 0:
            pytest.skip(f"npm could not install bpmnlint (offline?): {done.stderr.strip()[-300:]}")
    (cache / "lint.js").write_text(LINT_JS)
    return cache


def test_bpmnlint_finds_nothing_in_the_exported_examples_that_check_does_not(bpmnlint, tmp_path):
    files = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        out = tmp_path / f"{path.stem}.bpmn"
        out.write_text(to_bpmn(bp.load(path)))
        files[str(out)] = path
    done = subprocess.run(["node", str(bpmnlint / "lint.js"), *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    left = []
    for file, problems in json.loads(done.stdout).items():
        findings = {(f.rule, step) for f in bp.check(bp.load(files[file])) for step in f.steps}
        left += [f"{Path(file).name}: {p['id']} {p['rule']}: {p['message']}" for p in problems
                 if (SAME_FINDING.get(p["rule"]), p["id"]) not in findings]
    assert left == []


def test_bpmnlint_runs_on_what_it_is_given(bpmnlint, tmp_path):
    # the harness itself: a file with an implicit end and no labels gives those problems
    path = tmp_path / "bad.bpmn"
    path.write_text('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"><process id="p">'
                    '<startEvent id="s"><outgoing>f</outgoing></startEvent><task id="t"><incoming>f</incoming></task>'
                    '<sequenceFlow id="f" sourceRef="s" targetRef="t"/></process></definitions>')
    done = subprocess.run(["node", str(bpmnlint / "lint.js"), str(path)], capture_output=True, text=True, timeout=60)
    rules = {p["rule"] for p in json.loads(done.stdout)[str(path)]}
    assert {"no-implicit-end", "label-required", "end-event-required"} <= rules
