"""Mutated BPMN files through the command line: exit code 0, 1 or 2, never a traceback.

The real files of ../shared/bpmn (36 tools' worth of MIWG, bpmnlint, pm4py and Prosimos models)
and the examples exported to BPMN are mutated the ways outside testers found to break readers:
namespace prefixes stripped or changed, ids deleted, references broken or qualified, encodings
that do not fit, truncation, junk bytes, bad numbers and durations, elements deleted, duplicated
or moved, ``blueprint:`` values that are not JSON. Each mutant goes through one of ``convert``,
``check`` and ``stats`` in this process (click's CliRunner). A failure names the mutant's seed:
``mutant(source, random.Random(seed))`` makes it again.
"""
from __future__ import annotations

import random
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.bpmn import to_bpmn
from blueprint.cli import cli

from .conftest import EXAMPLES, SHARED

REAL = sorted((SHARED / "bpmn").glob("*/*.bpmn"))
OWN = sorted(EXAMPLES.glob("*.yaml"))
MUTANTS_PER_FILE = 64
COMMANDS = ("check", "stats", "convert")
ODD_VALUES = ["NaN", "-1", "1e999", "", "abc", "99999999999999999999999999", "-0", "inf", "0", "1,5", " 2 "]
ODD_DURATIONS = ["P", "PT", "P1Y2M3W4DT5H6M7.5S", "R3/PT1H", "${wait}", "P99999999999999D", "PT-5M", "2024-01-01",
                 "P1,5D", "PT0S"]
ODD_JSON = ["lots", "[", "{}", "null", "-5", "1e999", '{"exponential": -1}', '"x"', "[1, 2", "true"]
ENCODINGS = ["klingon", "UTF-16", "ISO-8859-1", "ascii", "UTF-32", "cp1252", "utf-8-sig", ""]


def source_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.suffix == ".bpmn" else to_bpmn(bp.load(path)).encode()


def _decode(raw: bytes) -> tuple[str, str]:
    head = raw[:200].decode("ascii", "replace")
    declared = re.search(r'encoding="([^"]+)"', head)
    encoding = declared.group(1) if declared else "utf-8"
    try:
        return raw.decode(encoding), encoding
    except (LookupError, UnicodeDecodeError):
        return raw.decode("latin-1"), "latin-1"


# --------------------------------------------------------------------------------------------
# mutations of the text
# --------------------------------------------------------------------------------------------
def strip_prefixes(text: str, rng: random.Random) -> str:
    """Every namespace prefix dropped from tags and attributes, declarations left as they are or gone."""
    text = re.sub(r"<(/?)[A-Za-z_][\w.-]*:", r"<\1", text)
    text = re.sub(r"\s[A-Za-z_][\w.-]*:([A-Za-z_][\w.-]*=)", r" \1", text)
    return re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", text) if rng.random() < 0.5 else text


def rebind_prefix(text: str, rng: random.Random) -> str:
    """The BPMN namespace given another prefix, or made the default one, in the declaration only."""
    found = re.search(r'xmlns(?::(\w+))?="http://www.omg.org/spec/BPMN/20100524/MODEL"', text)
    if not found:
        return text
    new = rng.choice(["", ":bpmn2", ":semantic", ":x"])
    return text.replace(found.group(0), f'xmlns{new}="http://www.omg.org/spec/BPMN/20100524/MODEL"', 1)


def delete_ids(text: str, rng: random.Random) -> str:
    share = rng.choice([0.1, 0.5, 1.0])
    return re.sub(r'\sid="[^"]*"', lambda m: "" if rng.random() < share else m.group(0), text)


def break_references(text: str, rng: random.Random) -> str:
    ids = re.findall(r'\sid="([^"]*)"', text) or ["x"]

    def swap(m):
        if rng.random() > 0.3:
            return m.group(0)
        value = rng.choice([rng.choice(ids), "missing", "x:" + m.group(2), "", "a b", m.group(2) + ":", "::"])
        return f'{m.group(1)}="{value}"'

    text = re.sub(r'(\w*Ref|default|calledElement|elementId|elementRef)="([^"]*)"', swap, text)
    return re.sub(r"<(\w+:)?flowNodeRef>([^<]*)<", lambda m: f"<{m.group(1) or ''}flowNodeRef>"
                  f"{rng.choice(ids) if rng.random() < 0.3 else m.group(2)}<", text)


def qualify_references(text: str, rng: random.Random) -> str:
    prefix = rng.choice(["tns:", "bpmn2:", "undeclared:"])
    return re.sub(r'(sourceRef|targetRef|attachedToRef|processRef)="([^"]*)"', rf'\1="{prefix}\2"', text)


def bad_numbers(text: str, rng: random.Random) -> str:
    text = re.sub(r'="(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)"',
                  lambda m: f'="{rng.choice(ODD_VALUES)}"' if rng.random() < 0.3 else m.group(0), text)
    return re.sub(r"(<(?:\w+:)?timeDuration[^>]*>)([^<]*)<",
                  lambda m: f"{m.group(1)}{rng.choice(ODD_DURATIONS)}<", text)


def bad_extension_values(text: str, rng: random.Random) -> str:
    return re.sub(r'(blueprint:\w+)="([^"]*)"',
                  lambda m: f'{m.group(1)}="{rng.choice(ODD_JSON)}"' if rng.random() < 0.3 else m.group(0), text)


def odd_encoding(raw: bytes, rng: random.Random) -> bytes:
    text, _ = _decode(raw)
    declared = rng.choice(ENCODINGS)
    body = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else '<?xml version="1.0"?>'
    actual = rng.choice(["utf-8", "utf-16", "latin-1", "utf-8-sig", "utf-32"])
    return (head + body).encode(actual, "replace")


# --------------------------------------------------------------------------------------------
# mutations of the tree
# --------------------------------------------------------------------------------------------
def _tree_mutation(raw: bytes, rng: random.Random) -> bytes:
    try:
        root = ET.fromstring(raw)
    except (ET.ParseError, LookupError, ValueError):  # already broken past parsing
        return raw
    parents = [(p, c) for p in root.iter() for c in p]
    if not parents:
        return raw
    parent, child = rng.choice(parents)
    action = rng.choice(["delete", "duplicate", "move", "swap", "junk attribute", "empty"])
    if action == "delete":
        parent.remove(child)
    elif action == "duplicate":
        parent.append(child)
    elif action == "move":
        parent.remove(child)
        rng.choice(list(root.iter())).append(child)
    elif action == "swap":
        other = rng.choice(parents)[1]
        child.attrib, other.attrib = dict(other.attrib), dict(child.attrib)
    elif action == "junk attribute" and child.attrib:
        child.set(rng.choice(list(child.attrib)), rng.choice(ODD_VALUES + ODD_JSON + ["x:y"]))
    else:
        child.clear()
    return ET.tostring(root)


def mutant(raw: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """`raw` with one to three mutations, and their names."""
    done = []
    text_mutations = [strip_prefixes, rebind_prefix, delete_ids, break_references, qualify_references,
                      bad_numbers, bad_extension_values]
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["text"] * 4 + ["tree"] * 2 + ["encoding", "truncate", "junk"])
        if kind == "text":
            fn = rng.choice(text_mutations)
            text, encoding = _decode(raw)
            raw = fn(text, rng).encode(encoding, "replace")
            done.append(fn.__name__)
        elif kind == "tree":
            raw = _tree_mutation(raw, rng)
            done.append("tree")
        elif kind == "encoding":
            raw = odd_encoding(raw, rng)
            done.append("odd_encoding")
        elif kind == "truncate":
            raw = raw[: rng.randrange(len(raw) + 1)]
            done.append("truncate")
        else:
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 12))) + raw[at:]
            done.append("junk")
    return raw, done


SOURCES = REAL + OWN


@pytest.mark.skipif(not REAL, reason="../shared/bpmn is not there")
@pytest.mark.parametrize("source", SOURCES, ids=[f"{p.parent.name}/{p.name}" for p in SOURCES])
def test_mutated_bpmn_files_give_exit_0_1_or_2_and_no_traceback(source, tmp_path):
    runner = CliRunner()
    original = source_bytes(source)
    for i in range(MUTANTS_PER_FILE):
        seed = f"{source.name}#{i}"
        raw, what = mutant(original, random.Random(seed))
        path = tmp_path / f"mutant{i}.bpmn"
        path.write_bytes(raw)
        command = COMMANDS[i % len(COMMANDS)]
        args = [command, str(path)] + (["-o", str(tmp_path / f"out{i}.yaml")] if command == "convert" else [])
        start = time.perf_counter()
        result = runner.invoke(cli, args)
        took = time.perf_counter() - start
        where = f"mutant {seed!r} ({', '.join(what)}) through {command}"
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"{where}: {type(result.exception).__name__}: {result.exception}"
        assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output, where
        if result.exit_code == 2:
            assert str(path) in result.stderr, f"{where}: the error does not name the file: {result.stderr}"
        assert took < 30, f"{where} took {took:.1f} s"
