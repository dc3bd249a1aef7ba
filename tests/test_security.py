"""Security: user text never becomes markup in a drawing; -o never replaces what is not a file;
--set is read with the file's guards; what is read is capped; a killed write leaves nothing."""
import html.parser
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
import yaml

import blueprint as bp
from blueprint.convert import dumps

HAS_DOT = shutil.which("dot") is not None
ENGINES = [pytest.param("system", marks=pytest.mark.skipif(not HAS_DOT, reason="no system Graphviz (dot)")),
           "embedded"]

#: Text that a Graphviz HTML-like label, an SVG or an HTML page would take for markup.
HOSTILE = [
    '<<table><tr><td href="javascript:alert(document.domain)">Click</td></tr></table>>',
    '<<a href="javascript:alert(1)">x</a>>',
    "<b>x</b>",
    '"><a xlink:href="javascript:alert(2)">y</a><"',
    "</text><script>alert(3)</script>",
    "a\\\"b\\",  # a backslash before a quote, and one at the end
    "%%{init: {'securityLevel': 'loose'}}%%",
]


def hostile_blueprint(text: str) -> bp.Blueprint:
    """A blueprint with `text` in every free-text field the drawings show."""
    data = {
        "name": text, "description": text,
        "lanes": ["customer", "frontstage", text], "stages": [text, "Later"],
        "teams": {"desk": {"name": text, "systems": [text]}, "lab": {"name": "Lab", "systems": ["erp"]}},
        "steps": {
            "ask": {"name": text, "description": text, "lane": "customer", "stage": text, "channel": text,
                    "evidence": text, "fail_point": text, "moment": text},
            "answer": {"name": text, "lane": "frontstage", "owner": "desk", "stage": text, "needs": [text],
                       "fail_point": text},
            "fix": {"name": text, "lane": text, "owner": "lab", "stage": "Later"},
            "done": {"name": text, "outcome": "success"},
            "lost": {"name": text, "outcome": "failure"},
        },
        "flows": [{"from": "ask", "to": "answer", "label": text}, {"from": "answer", "to": "fix", "p": 0.5},
                  {"from": "answer", "to": "lost", "p": 0.5, "label": text}, ["fix", "done"]],
        "start": "ask",
    }
    return bp.Blueprint.model_validate(data)


def _svg_links(svg: str) -> list[str]:
    """Every link an SVG document carries: href attributes and event handlers."""
    root = ET.fromstring(svg)
    return [f"{el.tag} {k}={v}" for el in root.iter() for k, v in el.attrib.items()
            if k.endswith("href") or k.lower().startswith("on")]


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k.endswith("href") or k.startswith("on") or tag == "script":
                self.found.append(f"{tag} {k}={v}")


def _html_links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.found


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_field_is_drawn_as_text_never_as_a_link(text, engine):
    model = hostile_blueprint(text)
    svg = bp.render(model, "svg", engine=engine)
    assert _svg_links(svg) == []
    texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
    assert text[:10].replace("\\", "\u29f5") in texts  # drawn, as the user wrote it
    page = bp.render(model, "html", engine=engine)
    assert _html_links(page) == []
    assert "<script" not in page.lower()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", HOSTILE)
def test_the_dot_source_draws_without_links_in_either_graphviz(text, engine):
    from blueprint.engines import run_graphviz

    source = bp.render(hostile_blueprint(text), "dot", engine=engine)
    svg = run_graphviz(source, "svg", engine=engine, layout="nop2").decode()
    assert _svg_links(svg) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_mermaid_writes_user_text_as_entities(text):
    out = bp.render(hostile_blueprint(text), "mermaid")
    user_lines = out.replace("<br/>", "").replace("<i>", "").replace("</i>", "")
    assert "<" not in user_lines and ">" not in user_lines.replace("-->", "").replace("-.->", "")
    assert "%%{" not in out


@pytest.mark.parametrize("engine", ENGINES)
def test_a_step_named_like_markup_draws(engine):
    model = bp.loads("steps: {ask: {name: '<b>x</b>', lane: customer}, done: {outcome: success}}\n"
                     "flows: [[ask, done]]")
    root = ET.fromstring(bp.render(model, "svg", engine=engine))
    assert "<b>x</b>" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("engine", ENGINES)
def test_bpmn_participant_and_lane_names_are_drawn_as_text(tmp_path, engine):
    text = HOSTILE[0]
    source = dumps(bp.loads((EXAMPLE := "steps: {ask: {name: Asks, lane: customer}, "
                                        "work: {name: Works, lane: backstage, owner: desk}, "
                                        "done: {outcome: success}}\nteams: {desk: {name: Desk}}\n"
                                        "flows: [[ask, work], [work, done]]")), "bpmn")
    assert EXAMPLE
    root = ET.fromstring(source)
    named = 0
    for el in root.iter():
        if el.get("name") is not None and re.search(r"(participant|lane|task|process)$", el.tag, re.I):
            el.set("name", text)
            named += 1
    assert named >= 3
    path = tmp_path / "hostile.bpmn"
    path.write_bytes(ET.tostring(root))
    model = bp.load(path)
    assert text in yaml.safe_dump(model.to_data(), width=10**6)
    assert _svg_links(bp.render(model, "svg", engine=engine)) == []
    assert _html_links(bp.render(model, "html", engine=engine)) == []
