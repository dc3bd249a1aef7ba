"""The shape of the package: its layers hold (import-linter, configured in pyproject.toml), no
module imports itself round a loop (every import counted, function-level ones too), no module is
over 600 lines and no function over 120, and the code passes ruff's chosen rules.

The allowances below are narrow and temporary: each names one import and why it is still there.
"""
from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import networkx as nx
import pytest

from .conftest import ROOT

PACKAGE = ROOT / "blueprint"
MOST_MODULE_LINES = 600
MOST_FUNCTION_LINES = 120

#: Imports inside functions between the package's own modules, each with its reason. The compiled
#: simulation loop imports numba (0.2 s, and llvmlite) at the top: only a compiled run loads it, so
#: that importing blueprint, and every command but a long simulation, does not pay for it.
FUNCTION_LEVEL: set[tuple[str, str]] = {("blueprint.simulation.compiled", "blueprint.simulation.loop")}
#: The imports that may close a loop: none.
CYCLE_ALLOWED: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(known: dict[str, Path]):
    """Every import between the package's modules: (importer, imported, line, inside a function)."""
    for name, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        in_function = {id(inner) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for inner in ast.walk(node) if inner is not node}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    yield name, target, node.lineno, id(node) in in_function


def import_graph(skip: set = frozenset()) -> nx.DiGraph:
    known = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for importer, imported, line, _ in imports(known):
        if (importer, imported) not in skip:
            graph.add_edge(importer, imported, line=line)
    return graph


def test_the_import_walker_sees_relative_function_level_and_package_imports(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("def f():\n    from .b import x\n    return x\n")
    (tmp_path / "b.py").write_text("x = 1\n")
    known = {"pkg": tmp_path / "__init__.py", "pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"}
    assert list(imports(known)) == [("pkg.a", "pkg.b", 2, True)]                # inside a function
    graph = import_graph()
    assert graph.has_edge("blueprint.bpmn.write", "blueprint.bpmn.layout")  # from .layout import ...
    assert graph.has_edge("blueprint.cli", "blueprint.simulation")          # a package's __init__


def test_no_import_cycle_among_the_package_modules_counting_every_import():
    # the package's own __init__ gathers the public names; it is above every module
    graph = import_graph(skip=CYCLE_ALLOWED)
    graph.remove_node("blueprint")
    cycles = sorted(nx.simple_cycles(graph), key=len)[:5]
    shown = ["\n  " + " -> ".join(cycle + cycle[:1]) for cycle in cycles]
    assert not cycles, "modules import each other round a loop:" + "".join(shown)


def test_every_allowed_cycle_import_still_exists_so_the_allowance_can_be_removed():
    graph = import_graph()
    inside = {(a, b) for a, b, _, in_function in imports(modules()) if in_function}
    stale = [edge for edge in CYCLE_ALLOWED if not graph.has_edge(*edge)] + sorted(FUNCTION_LEVEL - inside)
    assert not stale, f"these allowances are no longer needed; remove them here and in pyproject.toml: {stale}"


def test_no_new_function_level_import_between_the_package_modules():
    found = {(a, b): line for a, b, line, inside in imports(modules()) if inside}
    new = {edge: line for edge, line in found.items() if edge not in FUNCTION_LEVEL}
    assert not new, ("import at the top of the module, or (for an optional extra) import the extra, "
                     f"not a module of the package: {new}")


def sizes():
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        yield path, len(text.splitlines()), ast.parse(text)


@pytest.mark.parametrize("path,lines", [(p.relative_to(ROOT).as_posix(), n) for p, n, _ in sizes()])
def test_no_module_is_over_600_lines(path, lines):
    assert lines <= MOST_MODULE_LINES, f"{path} has {lines} lines; split it by concern"


def test_no_function_is_over_120_lines():
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path, _, tree in sizes() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MOST_FUNCTION_LINES]
    assert not long, "functions over 120 lines: " + ", ".join(long)


def test_the_layers_contracts_hold():
    importlinter_cli = pytest.importorskip("importlinter.cli")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = importlinter_cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True,
                                             no_logo=True)
    assert code == 0, out.getvalue()


def test_the_architecture_page_names_every_layer_rule_and_command():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on

    from blueprint.cli import cli
    from blueprint.rules import RULES

    page = (ROOT / "docs" / "architecture.md").read_text()
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["id"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    missing = [name for name in named if name not in page]
    assert not missing, f"docs/architecture.md does not place {missing} in its layers"
    for rule_id, module in RULES.items():
        assert f"| `{rule_id}` | {module.SEVERITY} | `blueprint/rules/{module.__name__.rsplit('.', 1)[1]}.py`" in page
    assert all(f"| `blueprint {name}` |" in page for name in cli.commands)
    assert "architecture.md" in (ROOT / "mkdocs.yml").read_text()
