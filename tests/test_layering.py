"""The library never prints and never exits; only the CLI talks to the terminal.

Test design notes:
- import-linter (run by `make lint`) locks which package may import which; this test covers what it cannot:
  calls to print(), sys.exit(), exit()/quit(), and `raise SystemExit` anywhere in the library.
- The CLI and the runtime entry points (generator/cli.py with generator/commands/, generator/krm.py, and the
  `main` of generator/runtimes/legacy.py, which kustomize and kpt run) are the adapters allowed to do so.
- The committed JSON Schema (schema/clusterpair.schema.json, used by the examples' modeline) is current.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from generator.clusterpair.schema import json_schema
from tests.conftest import REPO

ADAPTERS = {"generator/cli.py", "generator/krm.py", "generator/runtimes/legacy.py"}
COMMANDS = REPO / "generator" / "commands"  # one module per CLI command: the command line's own body
LIBRARY = sorted(
    p
    for p in (REPO / "generator").rglob("*.py")
    if p.relative_to(REPO).as_posix() not in ADAPTERS and COMMANDS not in p.parents
)


def _terminal_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            if name in {"print", "exit", "quit"} or (owner, name) in {("sys", "exit"), ("os", "_exit")}:
                found.append(f"line {node.lineno}: {owner + '.' if owner else ''}{name}()")
        if isinstance(node, ast.Raise) and "SystemExit" in ast.unparse(node):
            found.append(f"line {node.lineno}: raise SystemExit")
        if isinstance(node, ast.Attribute) and ast.unparse(node) in {"sys.stdout", "sys.stderr"}:
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("module", LIBRARY, ids=lambda p: p.relative_to(REPO).as_posix())
def test_library_module_never_prints_or_exits(module: Path) -> None:
    assert _terminal_calls(ast.parse(module.read_text())) == []


def test_the_check_finds_what_it_looks_for() -> None:
    sample = "import sys\nprint('x')\nsys.exit(1)\nraise SystemExit(2)\nsys.stderr.write('y')\n"
    assert len(_terminal_calls(ast.parse(sample))) == 4


def test_committed_schema_is_current() -> None:
    committed = json.loads((REPO / "schema" / "clusterpair.schema.json").read_text())
    assert committed == json_schema()


def test_no_library_module_is_over_400_lines() -> None:
    """Small files that each do one thing: a module that grows past 400 lines is split (CONTRIBUTING.md)."""
    package = REPO / "generator"
    sizes = {p.relative_to(REPO).as_posix(): len(p.read_text().splitlines()) for p in package.rglob("*.py")}
    assert not {name: n for name, n in sizes.items() if n > 400}
