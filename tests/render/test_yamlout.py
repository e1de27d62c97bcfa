"""generator.render.yamlout builds nodes itself instead of going through PyYAML's representer: its output must be
byte-identical to what PyYAML's own representer gives with the same C dumper and options.

Test design notes:

* The reference is PyYAML unchanged: a CSafeDumper subclass with only what the tool needs on top (no aliases,
  the `Quoted` representer), through ``yaml.dump_all`` / ``yaml.dump`` with the tool's options.
* One varied object covers every type the renderers emit and the strings whose plain form would read back as
  something else ('', 'true', 'on', '017', '1.0', 'null', '~', ': x', '- a', '#', multi-line, unicode), also
  as `Quoted`, as keys, and repeated (the emitter's per-text tag cache must answer the same for each).
* Nodes are compared field by field (class, tag, value, style, flow_style) and no node object may appear
  twice in a graph (the emitter would write it as an &anchor).
* Other types (float, tuple, date, a str subclass) take the representer's own path, errors included.
* A Hypothesis property over nested dicts/lists of arbitrary text, ints, bools and None, with the examples
  fixed (``derandomize=True``) so a failure reproduces.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.render import yamlout
from generator.render.yamlout import Quoted


class Reference(yaml.CSafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


Reference.add_representer(Quoted, lambda d, data: d.represent_scalar("tag:yaml.org,2002:str", str(data), style='"'))
OPTIONS: dict[str, Any] = {"sort_keys": False, "default_flow_style": False, "width": 1 << 20, "allow_unicode": True}
TRICKY = ["", "true", "on", "017", "1.0", "null", "~", ": x", "- a", "#", "a: b", "two\nlines\n", "ünïcødé ✓", "0x1F"]


def varied() -> list[Any]:
    shared = {"shared": ["x", 1]}
    return [
        {
            "apiVersion": "v1",
            "kind": "Thing",
            "metadata": {"name": "n", "labels": {}, "annotations": {"a": "true", "b": Quoted("true")}},
            "spec": {
                "empty_list": [],
                "empty_map": {},
                "nested": [[1, [2, {}]], {"k": [None, True, False]}, [], ""],
                "ints": [0, -1, 65535, 10**20],
                "strings": TRICKY,
                "quoted": [Quoted(s) for s in TRICKY],
                **{s or "empty": s for s in TRICKY},
                "017": Quoted("017"),
                "again": TRICKY,
                "none": None,
                "one": shared,
                "two": shared,
            },
        },
        {},
        [],
        "a document that is a string",
        None,
        Quoted("017"),
        [shared, shared],
    ]


def reference_stream(objects: list[Any]) -> str:
    return yaml.dump_all(objects, Dumper=Reference, explicit_start=True, **OPTIONS)  # type: ignore[no-any-return]


def same_nodes(ours: yaml.Node, theirs: yaml.Node, seen: set[int]) -> None:
    assert id(ours) not in seen, "a node appears twice"
    seen.add(id(ours))
    assert type(ours) is type(theirs)
    assert (ours.tag, getattr(ours, "style", None), getattr(ours, "flow_style", None)) == (
        theirs.tag,
        getattr(theirs, "style", None),
        getattr(theirs, "flow_style", None),
    )
    if isinstance(ours, yaml.ScalarNode):
        assert ours.value == theirs.value
        assert type(ours.value) is type(theirs.value)
    elif isinstance(ours, yaml.SequenceNode):
        assert len(ours.value) == len(theirs.value)
        for a, b in zip(ours.value, theirs.value, strict=True):
            same_nodes(a, b, seen)
    else:
        assert len(ours.value) == len(theirs.value)
        for (ak, av), (bk, bv) in zip(ours.value, theirs.value, strict=True):
            same_nodes(ak, bk, seen)
            same_nodes(av, bv, seen)


def test_the_stream_is_byte_identical_to_the_representers() -> None:
    objects = varied()
    text = yamlout.dump_stream(objects)
    assert text == reference_stream(objects)
    assert "&" not in text  # the shared dict is repeated, not aliased
    assert "*" not in text
    for case in ("'017'", '"017"', "''", "'true'", "': x'"):  # the cases that matter were exercised
        assert case in text


def test_a_document_and_a_flow_value_are_byte_identical_to_the_representers() -> None:
    for obj in varied():
        assert yamlout.dump_document(obj) == yaml.dump(obj, Dumper=Reference, **OPTIONS)
        flow = yaml.dump(obj, Dumper=Reference, **{**OPTIONS, "default_flow_style": True})
        assert yamlout.flow(obj) == flow.removesuffix("\n...\n").rstrip("\n")


def test_represented_nodes_equal_the_representers_and_serialize_the_same() -> None:
    reference = Reference(io.StringIO(), **OPTIONS)
    for obj in varied():
        same_nodes(yamlout.represent(obj), reference.represent_data(obj), set())
    nodes = [yamlout.represent(obj) for obj in varied()]
    assert yamlout.serialize(nodes, explicit_start=True) == reference_stream(varied())


def test_other_types_take_the_representers_path() -> None:
    objects = [{"f": [1.5, 1e17, float("inf"), -0.0], "t": ("a", (1, {"b": 2.0})), "d": datetime.date(2026, 1, 2)}]
    assert yamlout.dump_stream(objects) == reference_stream(objects)

    class Sub(str):
        pass

    with pytest.raises(yaml.representer.RepresenterError):
        reference_stream([{"k": Sub("v")}])
    with pytest.raises(yaml.representer.RepresenterError):
        yamlout.dump_stream([{"k": Sub("v")}])


scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(TRICKY),
    st.sampled_from(TRICKY).map(Quoted),
    st.integers(),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.lists(values, max_size=4))
def test_any_rendered_shape_is_byte_identical_to_the_representers(objects: list[Any]) -> None:
    assert yamlout.dump_stream(objects) == reference_stream(objects)
