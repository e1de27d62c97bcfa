"""The state reader: the fast builder returns what PyYAML loads, and the scan that skips the event pass never
lets through what the event pass refuses (nesting past the cap, anchors, aliases)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.preflight import yamlread
from generator.preflight.yamlread import Loader
from generator.problems import ProblemsError

TRICKY = [
    "",
    "yes",
    "on",
    "017",
    "0x1f",
    "1:07:23",
    "2020-01-01",
    "null",
    "~",
    "1e3",
    ".inf",
    "- a",
    ": b",
    "#c",
    "a: b",
    "*.example.com",
    "&x",
    "[x]",
    "{}",
    "multi\nline",
    "tab\there",
    "ünï",
    "'q'",
    '"d"',
    "12_000",
]

scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=8),
    st.integers(-(10**40), 10**40),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)
data = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(TRICKY) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=25,
)


def _pyyaml(text: str) -> list[object]:
    return [d for d in yaml.load_all(text, Loader=Loader) if d is not None]


def _outcome(load: Any, text: str) -> object:
    try:
        return load(text)
    except yaml.YAMLError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(data, min_size=1, max_size=3), flow=st.sampled_from([False, True, None]))
def test_the_builder_returns_what_pyyaml_loads(docs: list[object], flow: bool | None) -> None:
    text = yaml.dump_all(docs, Dumper=yaml.SafeDumper, default_flow_style=flow, allow_unicode=True)
    assert yamlread._load(text) == _pyyaml(text)


@pytest.mark.parametrize(
    "text",
    [
        "base: {a: 1}\nmerged:\n  <<: {a: 2, b: 3}\n  c: 4\n",  # merge key: PyYAML's own constructor
        "= : value\n",
        "!!binary aGVsbG8=\n",
        "!!set {a, b}\n",
        "? [a, b]\n: c\n",  # a collection as key: PyYAML's error, unchanged
        "a: !!str 12\nb: !!int '12'\nc: !!float '1'\nd: 2001-12-14t21:59:43.10-05:00\ne: 190:20:30\n",
        "a: !custom x\n",
        "---\n---\na: 1\n...\n---\n",
        "a: 1\na: 2\n",  # a repeated key: the last wins, as in PyYAML
    ],
)
def test_unusual_documents_load_as_pyyaml_loads_them(text: str) -> None:
    assert _outcome(yamlread._load, text) == _outcome(_pyyaml, text)


def test_what_the_event_pass_refuses_is_refused_with_its_line() -> None:
    deep = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 70)) + "  " * 70 + "x\n"
    with pytest.raises(ProblemsError) as too_deep:
        yamlread.documents(deep, "deep.yaml")
    assert too_deep.value.problems[0].rule == "too-deep"
    assert too_deep.value.problems[0].line > 60
    with pytest.raises(ProblemsError) as alias:
        yamlread.documents("items:\n- &x {a: 1}\n- *x\n", "alias.yaml")
    assert (alias.value.problems[0].rule, alias.value.problems[0].line) == ("yaml-alias", 2)
