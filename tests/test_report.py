"""The report a consultant sends: one self-contained HTML or PDF file, built without a system Graphviz."""
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli
from blueprint.drawing.engines import graphviz_engine
from blueprint.drawing.labels import headline
from blueprint.report import _blocks, _cost, _Side

from .conftest import EXAMPLES, FIXTURES
from .test_render import environment_without_dot

FIRES, FIRES_AFTER = EXAMPLES / "damaged_fires.yaml", EXAMPLES / "damaged_fires_after.yaml"


@pytest.fixture
def no_dot(monkeypatch):
    """No system Graphviz: the embedded one draws the pictures."""
    monkeypatch.setenv("PATH", environment_without_dot()["PATH"])
    assert graphviz_engine() == "embedded"


@pytest.fixture(scope="module")
def fires_page():
    return bp.report(FIRES, after=FIRES_AFTER, cases=300, replications=3, seed=1, engine="embedded")


def _outside_references(page: str) -> list[str]:
    found = re.findall(r"""(?:src|href)\s*=\s*["'](?!#)|<link\b|<script\b|url\((?!#)|@import""", page, re.I)
    without_namespaces = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", page)
    return found + re.findall(r"https?://\S+", without_namespaces)


def test_the_fires_report_is_one_page_with_both_pictures_and_nothing_fetched(fires_page):
    assert fires_page.startswith("<!DOCTYPE html>")
    assert fires_page.count("<svg") == 2 and _outside_references(fires_page) == []
    for part in ("As it is: Damaged fire replacement (as it is today)", "As it could be: Damaged fire replacement",
                 "Where it fails, and the fix", "Exact expectations per case", "Simulated, with the teams",
                 "Before and after", "Findings the redesign resolves"):
        assert part in fires_page, part


def test_the_report_says_each_finding_in_plain_words_with_its_fix(fires_page):
    before = bp.check(bp.load(FIRES))
    for f in before:
        assert headline(f.rule) in fires_page
    assert fires_page.count('class="fix">Fix: ') >= len({f.steps[0] for f in before if f.steps}) - 1
    assert "[social_reply]" not in fires_page  # step ids are for editors, not clients
    assert "Give the team outbound_call" in fires_page


def test_the_report_gives_kpis_with_intervals_and_the_comparison(fires_page):
    assert re.search(r"customer contacts per case</td><td[^>]*>[\d.]+</td><td[^>]*>\[[\d.]+, [\d.]+\]", fires_page)
    row = re.search(r"<tr><td>customer contacts per case</td>(.*?)</tr>", fires_page.split("Before and after")[1])
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1])
    assert float(cells[2]) < 0 and cells[4] == "better"  # fewer contacts after, significantly
    assert "Home delivery: share of time busy" in fires_page and "cases ending at Fire fitted" in fires_page


def test_the_fires_pair_is_built_as_html_and_pdf_without_a_system_graphviz(no_dot, tmp_path):
    for name in ("fires.html", "fires.pdf"):
        result = CliRunner().invoke(cli, ["report", str(FIRES), "--after", str(FIRES_AFTER), "-o",
                                          str(tmp_path / name), "--cases", "300", "--seed", "2"])
        assert result.exit_code == 0, result.output
        assert "report: simulating" in result.output and f"report: wrote {tmp_path / name}" in result.output
    assert (tmp_path / "fires.html").read_text().count("<svg") == 2
    pdf = (tmp_path / "fires.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    sizes = [(round(float(w)), round(float(h))) for w, h in
             re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)]
    assert (595, 842) in sizes and sizes.count((842, 595)) == 2  # text portrait, the two pictures landscape


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no pdftoppm (poppler-utils)")
def test_every_page_of_the_pdf_renders(tmp_path):
    pdf = tmp_path / "fires.pdf"
    pdf.write_bytes(bp.report(FIRES, after=FIRES_AFTER, format="pdf", cases=200, replications=2, engine="embedded"))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4 and all(p.stat().st_size > 2000 for p in pages)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Where it fails, and the fix" in text and "Fix:" in text and "Before and after" in text


def test_a_report_of_one_file_has_one_picture_and_no_comparison(no_dot):
    page = bp.report(FIXTURES / "valid" / "minimal.yaml", cases=100, replications=2)
    assert page.count("<svg") == 1 and "Help desk" in page and "Before and after" not in page


def _side(stats_extra=None, simulated_extra=None) -> _Side:
    model = bp.load(FIXTURES / "valid" / "minimal.yaml")
    stats = {**bp.stats(model).to_json(), **(stats_extra or {})}
    simulated = {**bp.simulate(model, cases=50, replications=2).to_json(), **(simulated_extra or {})}
    return _Side("minimal", model, bp.check(model), stats, "", "<svg/>", simulated)


def test_cost_and_failure_demand_show_only_where_the_documents_carry_them():
    assert _cost(_side({"expected_failure_contacts": None}, {"failure_contacts": None})) == []
    blocks = _cost(_side({"expected_cost": 12.5, "expected_failure_contacts": 0.4},
                         {"cost": {"mean": 12.0, "total": 1200.0}, "ci95": {"cost.mean": [11.0, 13.0]}}))
    assert blocks[0].text.startswith("Cost and failure demand")
    rows = {row[0]: row[1:] for row in blocks[1].table.rows}
    assert rows["cost per case (exact, without queueing)"] == ["12.5", ""]
    assert rows["cost per case (simulated: queues, hours, customers giving up)"] == ["12", "[11, 13]"]
    assert "Failure contacts: contacts the customer makes only because something failed" in blocks[-1].text
    assert rows["contacts caused by a failure, per case (exact)"][0] == "0.4"
    kinds = [b.kind for b in _blocks(_side({"expected_cost": 3.0}), None, None, "settings")]
    assert kinds.count("picture") == 1 and "Cost and failure demand" in [b.text for b in _blocks(
        _side({"expected_cost": 3.0}), None, None, "")]


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/report.docx"], "cannot tell the format"),
    (["--after", "{tmp}/missing.yaml", "-o", "{tmp}/report.html"], "no such file"),
])
def test_report_bad_input_is_one_message_exit_2_and_nothing_written(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, ["report", str(FIXTURES / "valid" / "minimal.yaml"), "--cases", "50"] + args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
