"""BPMN files as tools really write them, and as nobody should: namespace-prefixed id references
(GenMyModel, IBM Process Designer), processes in no pool, elements without ids, odd encodings,
broken extension values, timers that lead nowhere. Each gives a model or one located error."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.bpmn import import_bpmn
from blueprint.cli import cli as blueprint_cli
from blueprint.errors import BlueprintError

from .conftest import SHARED

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MIWG = sorted((SHARED / "bpmn" / "miwg").glob("*.bpmn"))

#: GenMyModel writes every element with the bpmn2: prefix, and the pool's processRef as a QName.
GENMYMODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="{MODEL}" id="_d" targetNamespace="http://genmymodel.com/bpmn2">
  <bpmn2:collaboration id="_c">
    <bpmn2:participant id="_pool" name="Help desk" processRef="bpmn2:P1"/>
  </bpmn2:collaboration>
  <bpmn2:process id="P1" name="Answer a question">
    <bpmn2:startEvent id="_s"><bpmn2:outgoing>bpmn2:_f1</bpmn2:outgoing></bpmn2:startEvent>
    <bpmn2:task id="_t" name="Answers the question"><bpmn2:incoming>bpmn2:_f1</bpmn2:incoming></bpmn2:task>
    <bpmn2:endEvent id="_e" name="Answered"/>
    <bpmn2:sequenceFlow id="_f1" sourceRef="bpmn2:_s" targetRef="bpmn2:_t"/>
    <bpmn2:sequenceFlow id="_f2" sourceRef="_t" targetRef="_e"/>
  </bpmn2:process>
</bpmn2:definitions>"""

#: IBM Process Designer qualifies references with the target namespace's prefix (tns:).
IBM = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{MODEL}" xmlns:tns="http://www.ibm.com/bpm/x" targetNamespace="http://www.ibm.com/bpm/x"
             id="d">
  <process id="p" name="Claims">
    <laneSet id="ls"><lane id="l" name="Adjusters"><flowNodeRef>tns:s</flowNodeRef>
      <flowNodeRef>tns:t</flowNodeRef><flowNodeRef>tns:chase</flowNodeRef></lane></laneSet>
    <startEvent id="s"/>
    <userTask id="t" name="Waits for the assessor"/>
    <boundaryEvent id="timer" attachedToRef="tns:t" cancelActivity="true">
      <timerEventDefinition><timeDuration>P2D</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <task id="chase" name="Chases the assessor"/>
    <endEvent id="e" name="Settled"/>
    <sequenceFlow id="f1" sourceRef="tns:s" targetRef="tns:t"/>
    <sequenceFlow id="f2" sourceRef="tns:t" targetRef="tns:e"/>
    <sequenceFlow id="f3" sourceRef="tns:timer" targetRef="tns:chase"/>
    <sequenceFlow id="f4" sourceRef="tns:chase" targetRef="tns:t"/>
  </process>
</definitions>"""


def write(tmp_path: Path, text: str | bytes, name: str = "p.bpmn") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def run(*args) -> tuple[int, str]:
    """The command line, in this process: (exit code, stderr), with no traceback ever."""
    done = CliRunner().invoke(blueprint_cli, [str(a) for a in args])
    assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)
    return done.exit_code, done.stderr


def process(body: str, head: str = "") -> str:
    return f'<definitions xmlns="{MODEL}" xmlns:blueprint="urn:blueprint:bpmn:1">{head}<process id="p">{body}' \
           "</process></definitions>"


# --------------------------------------------------------------------------------------------
# QNames
# --------------------------------------------------------------------------------------------
def test_genmymodel_prefixed_process_ref_names_the_process_in_the_pool(tmp_path):
    model, notes = import_bpmn(write(tmp_path, GENMYMODEL))
    assert notes == []
    assert sorted(model.steps) == ["answered", "answers_the_question"] and model.name == "Help desk"
    assert model.steps["answers_the_question"].owner == "help_desk"
    assert [(f.source, f.target) for f in model.flows] == [("answers_the_question", "answered")]


def test_ibm_prefixed_attached_to_ref_keeps_the_boundary_timer_as_a_timeout(tmp_path):
    model, notes = import_bpmn(write(tmp_path, IBM))
    wait = model.steps["waits_for_the_assessor"]
    assert (wait.timeout.after, wait.timeout.to) == (2 * 24 * 60, "chases_the_assessor")
    assert wait.owner == "adjusters" and model.steps["chases_the_assessor"].owner == "adjusters"
    assert {(f.source, f.target) for f in model.flows} == {("waits_for_the_assessor", "settled"),
                                                           ("chases_the_assessor", "waits_for_the_assessor")}
    assert notes == []


@pytest.mark.skipif(not MIWG, reason="../shared/bpmn is not there")
@pytest.mark.parametrize("path", MIWG, ids=[p.name for p in MIWG])
def test_a_miwg_file_with_its_bpmn_prefix_changed_gives_the_same_model(path, tmp_path):
    # a file with a bpmn prefix loses it (BPMN becomes the default namespace); one without gets one
    raw = path.read_bytes()
    encoding = "latin-1" if b"ISO-8859-1" in raw[:200] else "utf-8"
    text = raw.decode(encoding)
    found = re.search(r'xmlns:(\w+)="%s"' % re.escape(MODEL), text)
    if found:
        prefix = found.group(1)
        changed = re.sub(r'\sxmlns="[^"]*"', "", text)
        changed = changed.replace(f'xmlns:{prefix}="', 'xmlns="')
        changed = changed.replace(f"<{prefix}:", "<").replace(f"</{prefix}:", "</")
    else:
        changed = re.sub(r"<(/?)([A-Za-z_][\w.-]*[\s/>])", r"<\1bpmn2:\2", text)
        changed = changed.replace(f'xmlns="{MODEL}"', f'xmlns:bpmn2="{MODEL}"')
    assert changed != text
    original, notes = import_bpmn(path)
    again, notes_again = import_bpmn(write(tmp_path, changed.encode(encoding), path.name))
    assert again.to_data() == original.to_data() and notes_again == notes


# --------------------------------------------------------------------------------------------
# every process
# --------------------------------------------------------------------------------------------
@pytest.mark.skipif(not MIWG, reason="../shared/bpmn is not there")
def test_a_process_in_no_pool_is_imported_beside_the_pooled_one():
    # MIWG A.4.0: a pool with 3 steps, and a process drawn without a pool with 7 more
    model, notes = import_bpmn(SHARED / "bpmn" / "miwg" / "A.4.0.bpmn")
    names = {s.name for s in model.steps.values()}
    assert {f"Task {i}" for i in range(1, 7)} <= names and {"End Event 1", "End Event 2", "End Event 5"} <= names
    assert notes == []
    # both processes start with the case, and the messages between them are handoffs
    start = model.steps[next(iter(model.entry))]
    assert start.split == "all" and len(model.outgoing[next(iter(model.entry))]) == 2


def test_a_process_a_call_activity_calls_is_said_to_be_left_out(tmp_path):
    path = write(tmp_path, f"""<definitions xmlns="{MODEL}">
      <collaboration id="c"><participant id="pool" name="Bank" processRef="main"/></collaboration>
      <process id="main"><startEvent id="s"/><callActivity id="call" name="Checks the client"
        calledElement="checks"/><endEvent id="e"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="call"/><sequenceFlow id="f2" sourceRef="call" targetRef="e"/>
      </process>
      <process id="checks"><startEvent id="s2"/><task id="t2"/><endEvent id="e2"/>
        <sequenceFlow id="g1" sourceRef="s2" targetRef="t2"/><sequenceFlow id="g2" sourceRef="t2" targetRef="e2"/>
      </process></definitions>""")
    model, notes = import_bpmn(path)
    assert sorted(model.steps) == ["checks_the_client", "e"]
    assert len(notes) == 1 and "'checks'" in notes[0] and "call activity 'call'" in notes[0] \
        and "3 activities and events" in notes[0]


# --------------------------------------------------------------------------------------------
# hostile input: a model with a note, or one error naming the file, never a traceback
# --------------------------------------------------------------------------------------------
def test_elements_without_ids_get_one_and_are_said(tmp_path):
    path = write(tmp_path, process('<startEvent id="s"/><task id="a" name="Asks"/><task name="Orphan"/>'
                                   '<endEvent id="e"/><sequenceFlow sourceRef="s" targetRef="a"/>'
                                   '<sequenceFlow sourceRef="a" targetRef="e"/>'))
    model, notes = import_bpmn(path)
    # both flows without ids are kept; the orphan is a step of its own, ending the case (an implicit end)
    assert [(f.source, f.target) for f in model.flows] == [("asks", "e"), ("orphan", "end")]
    assert any("task (Orphan) has no id" in n for n in notes)
    assert sum("sequenceFlow has no id" in n for n in notes) == 2


def test_a_process_without_an_id_still_imports(tmp_path):
    text = process('<startEvent id="s"/><task id="a"/><endEvent id="e"/>'
                   '<sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
                   '<sequenceFlow id="f2" sourceRef="a" targetRef="e"/>')
    model, notes = import_bpmn(write(tmp_path, text.replace('<process id="p">', "<process>")))
    assert sorted(model.steps) == ["a", "e"] and any("process has no id" in n for n in notes)


@pytest.mark.parametrize("declaration, body, words", [
    ('encoding="klingon"', b"", "the encoding 'klingon'"),
    ('encoding="UTF-16"', b"", "not well-formed XML"),          # says UTF-16, is UTF-8
    ('encoding="UTF-8"', "<task id='\u00e9'/>".encode("latin-1"), "not well-formed XML"),  # says UTF-8, is Latin-1
])
def test_an_encoding_that_does_not_fit_is_one_error(tmp_path, declaration, body, words):
    text = f'<?xml version="1.0" {declaration}?><definitions xmlns="{MODEL}"><process id="p">'.encode() + body + \
        b'<task id="a"/></process></definitions>'
    path = write(tmp_path, text)
    with pytest.raises(BlueprintError) as err:
        import_bpmn(path)
    assert words in str(err.value) and str(path) in str(err.value)
    assert run("check", path)[0] == 2


def test_a_latin1_file_that_says_so_imports(tmp_path):
    text = f'<?xml version="1.0" encoding="ISO-8859-1"?><definitions xmlns="{MODEL}"><process id="p">' \
           '<startEvent id="s"/><task id="a" name="Prüft"/><sequenceFlow id="f" sourceRef="s" targetRef="a"/>' \
           "</process></definitions>"
    model, _ = import_bpmn(write(tmp_path, text.encode("latin-1")))
    assert model.steps["pr_ft"].name == "Prüft"


@pytest.mark.parametrize("attribute", ['staff="lots"', 'systems="[till"', 'external="maybe"'])
def test_an_extension_value_that_is_not_json_is_one_located_error(tmp_path, attribute):
    head = ""
    body = (f'<extensionElements><blueprint:model name="x"/><blueprint:team id="t" {attribute}/></extensionElements>'
            '<laneSet id="ls"><lane id="l" name="T" blueprint:team="t"><flowNodeRef>a</flowNodeRef></lane></laneSet>'
            '<startEvent id="s"/><task id="a"/><endEvent id="e"/>'
            '<sequenceFlow id="f1" sourceRef="s" targetRef="a"/><sequenceFlow id="f2" sourceRef="a" targetRef="e"/>')
    path = write(tmp_path, process(body, head))
    with pytest.raises(BlueprintError) as err:
        import_bpmn(path)
    assert "teams.t." in str(err.value) and str(path) in str(err.value)
    assert run("stats", path)[0] == 2


def test_a_boundary_timer_with_no_way_out_ends_the_case(tmp_path):
    path = write(tmp_path, process(
        '<startEvent id="s"/><task id="a"/><boundaryEvent id="b" attachedToRef="a"><timerEventDefinition>'
        '<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent><endEvent id="e"/>'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="a"/><sequenceFlow id="f2" sourceRef="a" targetRef="e"/>'))
    model, notes = import_bpmn(path)
    assert (model.steps["a"].timeout.after, model.steps["a"].timeout.to) == (60, "end")
    assert model.steps["end"].outcome == "success" and any("'b'" in n and "no way out" in n for n in notes)
    assert run("stats", path)[0] == 0


def test_a_start_event_that_leads_nowhere_is_said(tmp_path):
    path = write(tmp_path, process('<startEvent id="s"/><task id="a"/><endEvent id="e"/>'))
    with pytest.raises(BlueprintError) as err:
        import_bpmn(path)
    assert "start event 's' leads nowhere" in str(err.value)


@pytest.mark.parametrize("command", ["convert", "check", "stats"])
def test_hostile_files_give_exit_code_2_through_every_command(tmp_path, command):
    path = write(tmp_path, '<?xml version="1.0" encoding="x-unknown"?><definitions/>')
    extra = ["-o", tmp_path / "out.yaml"] if command == "convert" else []
    code, stderr = run(command, path, *extra)
    assert code == 2 and "x-unknown" in stderr and not (tmp_path / "out.yaml").exists()


def test_a_loaded_qname_file_checks_and_simulates(tmp_path):
    model = bp.load(write(tmp_path, IBM))
    assert bp.stats(model).never_finishes == 0
