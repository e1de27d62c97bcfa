"""The JSON Schema export of a declaration (generator.clusterpair.declare): editors and CI validate specs with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from generator.clusterpair.declare import AnyOf, AnyValue, Bool, Int, ListOf, Obj, Str, StrMap, Timestamp, Type

Schema = dict[str, Any]
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def _present(**items: object) -> Schema:
    """The items that are set, in order: an empty enum, pattern, list or description is not written."""
    return {k: v for k, v in items.items() if v}


def _str(type_: Str) -> Schema:
    return {"type": "string", **_present(enum=list(type_.enum), pattern=type_.pattern)}


def _int(type_: Int) -> Schema:
    bounds = {"minimum": type_.minimum, "maximum": type_.maximum}
    return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}


def _list(type_: ListOf) -> Schema:
    return {"type": "array", "items": schema_of(type_.item), **_present(minItems=type_.min_items)}


def _object(type_: Obj) -> Schema:
    properties = {k: schema_of(f.type, f.description, f.default) for k, f in type_.fields.items()}
    required = [k for k, f in type_.fields.items() if f.required]
    one_of = [{"required": [k]} for k in type_.one_of_required]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        **_present(required=required, oneOf=one_of),
    }


_BY_TYPE: dict[type, Callable[[Any], Schema]] = {
    Str: _str,
    Int: _int,
    Bool: lambda _: {"type": "boolean"},
    ListOf: _list,
    StrMap: lambda _: {"type": "object", "additionalProperties": {"type": "string"}},
    Obj: _object,
    AnyOf: lambda t: {"anyOf": [schema_of(o) for o in cast(AnyOf, t).options]},
    AnyValue: lambda _: {},
    Timestamp: lambda _: {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN},
}


def schema_of(type_: Type, description: str = "", default: Any = None) -> Schema:
    """One declared type as JSON Schema; a mapping without a field description takes its own."""
    if isinstance(type_, Obj):
        description = description or type_.description
    out = _BY_TYPE[type(type_)](type_)
    return {**out, **_present(description=description), **({"default": default} if default is not None else {})}


def export(root: Obj, title: str) -> Schema:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mtc-policygen.io/schemas/v1alpha1/clusterpair.json",
        "title": title,
        **schema_of(root),
    }
