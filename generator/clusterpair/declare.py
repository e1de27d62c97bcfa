"""The vocabulary a ClusterPair is declared in (generator.clusterpair.schema), cfgv-style: each key once, with its type,
default, pattern, parser and description. The checker (generator.clusterpair.check), the model builder
(generator.clusterpair.load) and the JSON Schema (generator.clusterpair.jsonschema) all read the one declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any

from generator.records import record


@record
class Str:
    """A string: one of `enum`, or matching `pattern`, parsed into its type by `parse` when given."""

    enum: tuple[str, ...] = ()
    pattern: str = ""
    version: bool = False  # a version: a YAML number here is a mistake worth naming ("4.10" vs 4.1)
    # parses the value into its type (generator.clusterpair.parse) or raises ValueProblemError; the model holds
    # the result
    parse: Callable[[str], object] | None = field(default=None, compare=False)


@record
class Int:
    """An integer within `minimum` and `maximum` when given."""

    minimum: int | None = None
    maximum: int | None = None


@record
class Bool:
    """A boolean."""


@record
class ListOf:
    """A list of `item`, at least `min_items` long."""

    item: Type
    min_items: int = 0


@record
class StrMap:
    """A map of strings to strings (labels, annotations)."""


@record
class Field:
    """One key of an object: its type, what it means, and whether it is required or has a default."""

    type: Type
    description: str
    required: bool = False
    default: Any = None


@record
class Obj:
    """An object: its keys, what it is, and the keys of which exactly one must be given."""

    fields: dict[str, Field]
    description: str = ""
    one_of_required: tuple[str, ...] = ()  # exactly one of these keys


@record
class AnyOf:
    """The first alternative whose JSON type matches is used (a namespace is a string or a mapping)."""

    options: tuple[Type, ...]


@record
class AnyValue:
    """Free-form data checked elsewhere (existing firewall rules are checked per firewall kind)."""


@record
class Timestamp:
    """An RFC 3339 instant: a string, or the datetime YAML 1.1 makes of an unquoted one (both accepted alike)."""


Type = Str | Int | Bool | ListOf | StrMap | Obj | AnyOf | AnyValue | Timestamp


def object_of(type_: Type) -> Obj | None:
    """The mapping a type holds: itself, a list's item, or the mapping alternative of an AnyOf."""
    if isinstance(type_, Obj):
        return type_
    if isinstance(type_, ListOf):
        return object_of(type_.item)
    if isinstance(type_, AnyOf):
        return next((o for o in map(object_of, type_.options) if o is not None), None)
    return None


def field_at(root: Obj, path: tuple[str | int, ...]) -> Field:
    """The declaration of the key at `path` (list indexes are looked through); KeyError for an undeclared one."""
    type_: Type = root
    found: Field | None = None
    for key in path:
        if isinstance(key, int):
            continue
        obj = object_of(type_)
        if obj is None:
            raise KeyError(key)
        found = obj.fields[key]
        type_ = found.type
    if found is None:
        raise KeyError(path)
    return found
