"""YAML serialization with PyYAML's C emitter: fixed key order, no anchors, no line folding."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import yaml

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    """Never emits &anchors/*aliases, even when one dict is shared by several objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class Quoted(str):
    """A string always written in double quotes, for values that merely look like plain scalars."""

    __slots__ = ()


def _quoted(dumper: yaml.SafeDumper, data: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


_Dumper.add_representer(Quoted, _quoted)

_OPTIONS: dict[str, Any] = {"sort_keys": False, "default_flow_style": False, "width": 1 << 20, "allow_unicode": True}


def dump_stream(objects: Iterable[Any]) -> str:
    """A `---`-separated YAML stream."""
    return yaml.dump_all(objects, Dumper=_Dumper, explicit_start=True, **_OPTIONS)  # type: ignore[no-any-return]


def dump_document(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Dumper, **_OPTIONS)  # type: ignore[no-any-return]


def flow(value: Any) -> str:
    """One value on one line (a scalar or a flow mapping), safe to place after `key: ` or `- `."""
    text: str = yaml.dump(
        value, Dumper=_Dumper, default_flow_style=True, width=1 << 20, sort_keys=False, allow_unicode=True
    )
    return text.removesuffix("\n...\n").rstrip("\n")


def represent(obj: Any) -> yaml.Node:
    """`obj` as a node graph, to be placed among composed nodes (transformer output keeps input nodes as read)."""
    dumper = _Dumper(io.StringIO(), **_OPTIONS)
    node: yaml.Node = dumper.represent_data(obj)
    return node


def serialize(nodes: Iterable[yaml.Node], *, explicit_start: bool = False) -> str:
    """Composed or represented nodes as YAML documents: scalars keep the text and quoting style they were read
    with, so an item passed through comes out as it came in (no YAML 1.1 re-typing of `017`, `on`, dates)."""
    stream = io.StringIO()
    dumper = _Dumper(stream, explicit_start=explicit_start, **_OPTIONS)
    dumper.open()
    for node in nodes:
        dumper.serialize(node)
    dumper.close()
    return stream.getvalue()
