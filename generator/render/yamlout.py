"""YAML serialization with PyYAML's C emitter: fixed key order, no anchors, no line folding.

The C emitter is fast; PyYAML's representer, which turns objects into nodes for it, is pure Python and cost
as much as the emitting. `_Dumper.represent` builds the very nodes SafeRepresenter would (same tags, values,
styles) for the types the renderers emit, so the bytes are the same by construction; any other type goes
through the representer as before.
"""

from __future__ import annotations

import functools
import io
import operator
from collections.abc import Callable, Iterable
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_STR, _INT, _BOOL, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null"))
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class Quoted(str):
    """A string always written in double quotes, for values that merely look like plain scalars."""

    __slots__ = ()


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    """Never emits &anchors/*aliases, even when one dict is shared by several objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.yaml_path_resolvers:  # none is ever added: a tag depends on the scalar's text alone
            self.resolve = _resolver(super().resolve)
            # The emitter calls these around every node to track the path for path resolvers: with none there is
            # nothing to track, as the originals find; builtins that take the same arguments and do nothing.
            self.descend_resolver = operator.is_  # (parent, index), result unused
            self.ascend_resolver = tuple  # (), result unused

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent(self, data: Any) -> None:
        self.serialize(self.node(data))

    def node(self, data: Any) -> yaml.Node:
        """`data` as SafeRepresenter would represent it with this dumper's options, without aliases."""
        return self.node_builder()(data)

    def node_builder(self) -> Callable[[Any], yaml.Node]:
        """`node` for this dumper's options, as a function."""
        # a style computed per collection, or sorted keys: the representer's own way
        if self.default_style is not None or self.default_flow_style is None or self.sort_keys:
            return self.represent_data  # type: ignore[no-any-return]
        return _builder(self.default_flow_style, self.represent_data)


def _resolver(resolve: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """The emitter asks, for every scalar, which tag its text would read back as, written plain (implicit
    (True, False)) and quoted ((False, True): always str). Without path resolvers the answer depends on the
    text alone, so each distinct text is matched against the regexps once per dumper."""
    plain: dict[str, str] = {}

    def cached(kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR
            tag = plain.get(value)
            if tag is None:
                tag = plain[value] = resolve(kind, value, implicit)
            return tag
        return resolve(kind, value, implicit)

    return cached


def _builder(flow_style: bool, fallback: Callable[[Any], yaml.Node]) -> Callable[[Any], yaml.Node]:
    """SafeRepresenter's nodes, for exact types only (a subclass goes to `fallback`, as it selects by exact
    type too); a fresh node each time, as a shared one would be written as an &anchor."""

    def node(data: Any) -> yaml.Node:
        kind = type(data)
        if kind is str:
            return ScalarNode(_STR, data)
        if kind is dict:
            return MappingNode(_MAP, [(node(k), node(v)) for k, v in data.items()], None, None, flow_style)
        if kind is list:
            return SequenceNode(_SEQ, [node(item) for item in data], None, None, flow_style)
        if kind is Quoted:
            return ScalarNode(_STR, str(data), None, None, '"')
        if kind is bool:
            return ScalarNode(_BOOL, "true" if data else "false")
        if kind is int:
            return ScalarNode(_INT, str(data))
        if data is None:
            return ScalarNode(_NULL, "null")
        return fallback(data)  # float, tuple, date, bytes, subclasses ...: the representer's own way

    return node


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
    return _represent()(obj)


@functools.cache
def _represent() -> Callable[[Any], yaml.Node]:
    """One builder for every `represent` (the KRM function calls it per object): its fallback, the representer
    of a dumper with no aliases, keeps no state between calls."""
    return _Dumper(io.StringIO(), **_OPTIONS).node_builder()


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
