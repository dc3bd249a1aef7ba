"""compare: two files of one service on common random numbers; results shown as tables in Jupyter."""
import json
from html.parser import HTMLParser

from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli

from .conftest import EXAMPLES, FIXTURES

FIRES, FIRES_AFTER = EXAMPLES / "damaged_fires.yaml", EXAMPLES / "damaged_fires_after.yaml"
MINIMAL = FIXTURES / "valid" / "minimal.yaml"


def test_a_file_compared_with_itself_changes_nothing():
    both = bp.compare(FIRES, FIRES, cases=300, replications=3, seed=2)
    assert both.delta and all(d["value"] == 0 for d in both.delta.values())
    assert both.findings == {"appeared": [], "resolved": []}


def test_compare_is_whatif_with_the_changed_model_as_the_scenario():
    """The same seeds and the same machinery: a file with the change made gives the what-if's deltas."""
    model = bp.load(FIRES)
    changes = {"teams.store.staff": 1, "flows[unpack->fitted].p": 0.9}
    asked = bp.whatif(model, changes, cases=400, replications=3, seed=5)
    compared = bp.compare(model, model.with_changes(changes), cases=400, replications=3, seed=5)
    assert compared.delta == asked.delta
    assert compared.to_json()["changes"] == [model.name, model.name]


def test_the_redesigned_fires_service_needs_fewer_contacts_and_resolves_its_findings():
    doc = bp.compare(FIRES, FIRES_AFTER, cases=1000, replications=4, seed=1).to_json()
    assert doc["changes"] == [str(FIRES), str(FIRES_AFTER)]
    contacts = doc["delta"]["contacts.mean"]
    assert contacts["value"] < 0 and contacts["ci95"][1] < 0 and contacts["significant"]
    assert doc["delta"]["story_repeats.mean"]["value"] < 0
    resolved = {f["rule"] for f in doc["findings"]["resolved"]}
    assert {"incapable-handoff", "lost-context", "displaced-ownership"} <= resolved
    assert doc["findings"]["appeared"] == []
    assert set(doc) >= {"baseline", "scenario", "changes", "delta"}


def test_compare_on_the_command_line_prints_the_whatif_document(tmp_path):
    result = CliRunner().invoke(cli, ["compare", str(MINIMAL), str(MINIMAL), "--cases", "200", "--seed", "3",
                                      "--replications", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["changes"] == [str(MINIMAL), str(MINIMAL)]
    assert all(d["value"] == 0 for d in doc["delta"].values())
    text = CliRunner().invoke(cli, ["compare", str(FIRES), str(FIRES_AFTER), "--cases", "200",
                                    "--replications", "2"])
    assert text.exit_code == 0 and f"After:  {FIRES_AFTER}" in text.output and "Findings resolved" in text.output


def test_compare_with_a_missing_file_is_bad_input(tmp_path):
    result = CliRunner().invoke(cli, ["compare", str(MINIMAL), str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "no such file" in result.output and "Traceback" not in result.output


# --- Jupyter ---------------------------------------------------------------------------------------
class _Cells(HTMLParser):
    """The tables of an HTML fragment: the text of every cell, row by row."""

    def __init__(self):
        super().__init__()
        self.tables, self.tags, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _tables(fragment: str) -> list[list[list[str]]]:
    parser = _Cells()
    parser.feed(fragment)
    assert "table" in parser.tags and "pre" not in parser.tags
    return parser.tables


def _row(tables, first: str) -> list[str]:
    return next(row for table in tables for row in table if row and row[0] == first)


def test_results_show_as_tables_in_jupyter():
    model = bp.load(MINIMAL)
    broken = bp.loads("steps: {email: {name: Emails, lane: customer, channel: email},"
                      " inbox: {name: Sorted, lane: backstage}}\nflows: [[email, inbox]]")
    findings = _tables(bp.check(broken)._repr_html_())
    assert _row(findings, "error")[1] == "dead-end"
    stats = _tables(bp.stats(model)._repr_html_())
    assert _row(stats, "customer contacts") == ["customer contacts", "1"]
    assert _row(stats, "Answers [answer]") == ["Answers [answer]", "1"]
    result = bp.simulate(model, cases=100, replications=2, seed=1)
    kpis = _tables(result._repr_html_())
    assert _row(kpis, "customer contacts per case")[1] == "1"
    assert _row(kpis, "desk")[0] == "desk"
    answer = bp.whatif(model, {"teams.desk.staff": 3}, cases=100, replications=2, seed=1)
    rows = _tables(answer._repr_html_())
    assert _row(rows, "customer contacts per case")[1:4] == ["1", "1", "0"]
    both = bp.compare(model, model, cases=100, replications=2)
    assert _row(_tables(both._repr_html_()), "customer contacts per case")[-1] == "no clear change"
