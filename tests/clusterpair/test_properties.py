"""Property tests: whatever the text, loading and validating a spec returns problems, never raises.

Test design notes:
- Inputs: random YAML-ish text (YAML punctuation, anchors, tags, indentation, unicode), random unicode text,
  and random mutations of the shipped valid examples -- structural (delete a key, change a value's type, insert
  an unknown key, swap a list and a mapping, put a random unicode string in) and textual (delete, duplicate or
  insert a line, insert random characters).
- Invariants: `parse_spec` returns `(model, problems)` with a model only when no problem is an error, and
  `validate(model)` returns problems; every problem is a `Problem` with a non-empty rule and message, line >= 0
  and column >= 0 (both 0 or both >= 1), and a file-level problem (line 0) has no field path.
- Fast and deterministic for CI: derandomize=True, max_examples ~200, no deadline (the first examples pay for
  imports and regex compilation).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.clusterpair.load import parse_spec
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import validate
from generator.problems import Problem, Severity
from tests.conftest import EXAMPLES

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
EXAMPLE_TEXTS = [p.read_text() for p in sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("render-time/*.yaml")])]
EXAMPLE_DATA = [yaml.safe_load(t) for t in EXAMPLE_TEXTS]

TOKENS = [
    "apiVersion",
    "kind",
    "spec",
    "namespaces",
    "source",
    "target",
    "name",
    "cidrs",
    "egressFirewall",
    "rules",
    ": ",
    ":",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "!!str ",
    "!!binary ",
    "!!timestamp ",
    "!foo ",
    "? ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "---",
    "...",
    "%YAML 1.1",
    "\n",
    "\n  ",
    "\n    ",
    "\t",
    " ",
    "~",
    "null",
    "true",
    "4.10",
    "1.7.7",
    "0x1F",
    "1e9",
    ".nan",
    "-1",
    "203.0.113.0/24",
    "é",
    "\u2028",
    "\ufeff",
    "\x85",
    "\U0001f600",
]
yamlish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=60).map("".join)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def check_invariants(text: str) -> None:
    pair, problems = parse_spec(text, "spec.yaml", EXAMPLES)  # examples/ so that `base: clusters/...` resolves
    if pair is None:
        assert any(p.severity is Severity.ERROR for p in problems)
    else:
        assert not any(p.is_error for p in problems)
        problems = problems + validate(pair, Environment(), resolve(pair))
    for p in problems:
        assert isinstance(p, Problem)
        assert p.rule
        assert p.message
        assert p.line >= 0
        assert p.column >= 0
        assert (p.line == 0) == (p.column == 0), p
        assert p.line > 0 or not p.path, p
        assert p.text()


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside the data, the root excluded."""
    out: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        out.append((*prefix, key))
        out += paths(child, (*prefix, key))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> str:
    data = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DATA)))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(data)))
        parent = data
        for part in where[:-1]:
            parent = parent[part]
        key, old = where[-1], parent[where[-1]]
        action = draw(st.sampled_from(["delete", "retype", "unknown-key", "swap", "unicode"]))
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(values)
        elif action == "unknown-key" and isinstance(old, dict):
            old[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif action == "swap":
            parent[key] = (
                list(old.values())
                if isinstance(old, dict)
                else {str(i): v for i, v in enumerate(old)}
                if isinstance(old, list)
                else [old]
            )
        else:
            parent[key] = draw(st.text(max_size=30))
        if not paths(data):
            break
    return yaml.safe_dump(
        data, allow_unicode=draw(st.booleans()), default_flow_style=draw(st.sampled_from([None, True, False]))
    )


@st.composite
def text_mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(EXAMPLE_TEXTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "garble"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "insert":
            lines.insert(i, draw(yamlish) + "\n")
        else:
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.text(min_size=1, max_size=5)) + lines[i][at:]
    return "".join(lines)


@SETTINGS
@given(yamlish)
def test_yamlish_text(text: str) -> None:
    check_invariants(text)


@SETTINGS
@given(st.text(max_size=200))
def test_random_unicode(text: str) -> None:
    check_invariants(text)


@SETTINGS
@given(mutated())
def test_structural_mutations_of_examples(text: str) -> None:
    check_invariants(text)


@SETTINGS
@given(text_mutated())
def test_textual_mutations_of_examples(text: str) -> None:
    check_invariants(text)


def test_examples_hold_the_invariants_unmutated() -> None:
    for text in EXAMPLE_TEXTS:
        check_invariants(text)
