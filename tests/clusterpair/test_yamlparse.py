"""The scan that lets `check_nesting` skip its event pass never lets through what the event pass refuses
(nesting past the limit, anchors, aliases), and a shipped export or spec takes the quick way."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.clusterpair.yamlparse import check_nesting, may_hold_anchors, nesting_within
from generator.clusterpair.yamlsource import MAX_DEPTH
from generator.problems import ProblemsError

REPO = Path(__file__).parents[2]


def _proved(text: str, limit: int = MAX_DEPTH) -> bool:
    """What `check_nesting` needs to skip the event pass when it also refuses anchors."""
    return nesting_within(text, limit) and not may_hold_anchors(text)


def _events_depth_and_properties(text: str) -> tuple[int, bool]:
    depth = deepest = 0
    properties = False
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            properties = True
    return deepest, properties


def _nest(depth: int, kinds: list[str]) -> object:
    value: object = "leaf"
    for i in range(depth):
        kind = kinds[i % len(kinds)]
        value = [value] if kind == "seq" else {f"k{i}": value}
    return value


COMPACT = [
    "- - - - - - - - a\n",
    "a:\n- b:\n  - c:\n    - d:\n      - e\n",
    "? - - a\n: - - b\n",
    "- !!map a: {b: [c, [d, [e]]]}\n",
    "[[[[[[[[[[a]]]]]]]]]]\n",
    "{a: {b: {c: {d: {}}}}}\n",
    "a: '[[[[[[[[['\nb: [[[[x]]]]\n",
    "x: a]]]]]]]]\nb: [[[[[[[[y]]]]]]]]\n",
    "- &a x\n- *a\n",
    "a: &b {c: d}\ne: *b\n",
    "[&a x, *a]\n",
    "{a: *b}\n",
    "- !!str &a x\n",
    "a: \"*not an alias\"\nb: '&neither'\nc: x*y&z\n",
]


@settings(max_examples=300, deadline=None)
@given(
    depth=st.integers(1, 14),
    kinds=st.lists(st.sampled_from(["seq", "map"]), min_size=1, max_size=4),
    flow=st.sampled_from([False, True, None]),
    cap=st.integers(1, 16),
    indent=st.integers(2, 4),
)
def test_a_text_proved_plain_is_within_the_cap_and_has_no_anchor(
    depth: int, kinds: list[str], flow: bool | None, cap: int, indent: int
) -> None:
    text = yaml.dump(_nest(depth, kinds), Dumper=yaml.SafeDumper, default_flow_style=flow, indent=indent)
    deepest, properties = _events_depth_and_properties(text)
    if _proved(text, cap):
        assert deepest <= cap, text
        assert not properties, text


@pytest.mark.parametrize("text", COMPACT)
@pytest.mark.parametrize("cap", range(1, 12))
def test_compact_and_flow_nesting_is_bounded(text: str, cap: int) -> None:
    deepest, properties = _events_depth_and_properties(text)
    if _proved(text, cap):
        assert deepest <= cap
        assert not properties


def test_anchors_aliases_and_other_line_breaks_are_left_to_the_event_pass() -> None:
    assert _proved("a: '*.example.com'\nb: \"&x\"\n")
    for text in ("a: *x\n", "- &a b\n", "[a,*b]\n", "a: b\rc: d\n", "a: b\u2028"):
        assert not _proved(text)


@pytest.mark.parametrize("name", ["east-state.yaml", "west-state.yaml"])
def test_a_shipped_export_skips_the_event_pass(name: str) -> None:
    assert _proved((REPO / "examples" / "preflight" / name).read_text(encoding="utf-8"))


def test_every_shipped_spec_skips_the_event_pass() -> None:
    specs = sorted((REPO / "examples").glob("*.yaml"))
    assert specs
    assert all(nesting_within(p.read_text(encoding="utf-8"), MAX_DEPTH + 1) for p in specs)


def test_a_refusal_names_the_rule_and_line_given() -> None:
    with pytest.raises(ProblemsError) as exc:
        check_nesting("a:\n  b: [[x]]\n", "f.yaml", 2, "too deep here")
    problem = exc.value.problems[0]
    assert (problem.rule, problem.message, problem.line) == ("too-deep", "too deep here", 2)
    check_nesting("a: &x 1\nb: *x\n", "f.yaml", 5, "")  # anchors are the caller's choice
    with pytest.raises(ProblemsError) as alias:
        check_nesting("a: &x 1\nb: *x\n", "f.yaml", 5, "", anchors="no anchors here")
    assert (alias.value.problems[0].rule, alias.value.problems[0].line) == ("yaml-alias", 1)
