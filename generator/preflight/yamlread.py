"""Reading an exported state's YAML safely and fast: UTF-8 text only, no deeper than MAX_DEPTH, no anchors or
aliases (an export never has them, and refusing them stops alias bombs), then libyaml composes and a small
builder turns the nodes into plain data.

The event pass that proves depth and the absence of aliases is skipped when the text alone proves both
(`clusterpair.yamlparse.check_nesting`, shared with the spec loader): what is refused, and where, is the same
either way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import yaml

from generator.clusterpair.yamlparse import check_nesting
from generator.clusterpair.yamlsource import MAX_DEPTH
from generator.clusterpair.yamlsource import decode as decode_text
from generator.problems import ProblemsError

_Fast: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Fast):  # type: ignore[misc,valid-type]
    """libyaml, but a timestamp stays text and an integer is read only when it is plainly one.

    YAML 1.1 reads `1:07:23` as 4043 (base 60) and an explicit `!!timestamp` on other text crashes PyYAML;
    the API server never sends either, so both stay strings, which the checks then refuse. Digits past
    `_MAX_DIGITS` stay a string too (Python refuses to convert thousands of digits).

    Plain scalars repeat all over an export (`apiVersion`, `v1`, label keys): each is resolved to its tag once.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}
        if not self.yaml_path_resolvers:  # none is ever added: nothing to track around each node
            self.descend_resolver = operator.is_  # (parent, index), result unused
            self.ascend_resolver = tuple  # (), result unused

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag


_MAX_DIGITS = 30


def _int_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    text = loader.construct_scalar(node)  # type: ignore[arg-type]
    plain = str(text).replace("_", "")
    if ":" in plain or len(plain) > _MAX_DIGITS:
        return str(text)
    return yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[arg-type]


def _text(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


Loader.add_constructor("tag:yaml.org,2002:int", _int_or_text)
Loader.add_constructor("tag:yaml.org,2002:timestamp", _text)


def decode(raw: bytes, display: str) -> str:
    """UTF-8 text of an export (its size was bounded when it was read)."""
    return decode_text(raw, display, len(raw), expected="a YAML export")


def mark_problem(display: str, rule: str, message: str, mark: Any) -> ProblemsError:
    """`mark`: a PyYAML or libyaml mark (line, column 0-based), or None."""
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return ProblemsError.of(display, rule, message, line=line, column=column)


_ANCHORS = "anchors and aliases are not read in a state export"


def documents(text: str, display: str) -> list[object]:
    """Every non-empty document of `text` as plain data; raises `ProblemsError` with the line of what is refused."""
    try:
        check_nesting(text, display, MAX_DEPTH, f"nests deeper than {MAX_DEPTH} levels", anchors=_ANCHORS)
        return _load(text)
    except (ValueError, TypeError, OverflowError) as exc:  # a tagged value PyYAML cannot construct (!!float x)
        raise ProblemsError.of(
            display, "not-yaml", f"invalid YAML: a value cannot be read ({type(exc).__name__})"
        ) from None
    except yaml.MarkedYAMLError as exc:
        what = exc.problem or exc.context or "invalid YAML"
        raise mark_problem(display, "not-yaml", f"invalid YAML: {what}", exc.problem_mark or exc.context_mark) from None
    except yaml.YAMLError as exc:
        raise ProblemsError.of(display, "not-yaml", f"invalid YAML: {exc}") from None


# --- building plain data from composed nodes -----------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class _UnusualNodeError(Exception):
    """A node the builder leaves to PyYAML's constructor (merge keys, other tags, collection keys)."""


def _load(text: str) -> list[object]:
    """What `yaml.load_all(text, Loader=Loader)` returns (without empty documents), built without the generic
    constructor's bookkeeping; a document with anything unusual is constructed by PyYAML itself."""
    loader = Loader(text)
    try:
        out = []
        while loader.check_node():
            node = loader.get_node()
            try:
                data = _build(node, loader)
            except _UnusualNodeError:
                data = loader.construct_document(node)
            if data is not None:
                out.append(data)
        return out
    finally:
        loader.dispose()


def _build(node: yaml.Node, loader: yaml.SafeLoader) -> object:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _MAP:
        data = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag not in _KEY_TAGS:
                raise _UnusualNodeError
            data[_build(key, loader)] = _build(value, loader)
        return data
    if tag == _SEQ:
        return [_build(item, loader) for item in node.value]
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return yaml.SafeLoader.bool_values[node.value.lower()]
    scalar = _SCALARS.get(tag)
    if scalar is None:
        raise _UnusualNodeError
    return scalar(loader, node)


_SCALARS: dict[str, Callable[[Any, Any], object]] = {
    "tag:yaml.org,2002:int": _int_or_text,
    "tag:yaml.org,2002:float": yaml.SafeLoader.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _text,
}
_KEY_TAGS = frozenset({_STR, _NULL, _BOOL, *_SCALARS})
