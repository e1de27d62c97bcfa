"""Check a loaded ClusterPair against its declaration (generator.clusterpair.schema) and parse its typed values.

Unknown keys (with hints), types, required keys, enums, ranges and values that do not parse are problems at
their file:line:col; the parsed values come back by path for the model (generator.clusterpair.load).
"""

from __future__ import annotations

import datetime
from dataclasses import field, replace
from typing import Any, cast

from generator.clusterpair import parse as values
from generator.clusterpair.declare import AnyOf, AnyValue, Bool, Int, ListOf, Obj, Str, StrMap, Timestamp, Type
from generator.clusterpair.parse import ValueProblemError
from generator.clusterpair.schema import API_VERSION, CLUSTER_PAIR, KIND, SECRET_BEARING
from generator.clusterpair.yamlsource import PathKey, Source, dotted, shown
from generator.problems import Problem
from generator.records import record

# --- structure checking ----------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _expected(type_: Type) -> str:
    names = {
        Str: "a string",
        Int: "an integer",
        Bool: "true or false",
        ListOf: "a list",
        StrMap: "a mapping",
        Obj: "a mapping",
        AnyValue: "a value",
        Timestamp: "an RFC 3339 timestamp",
    }
    if isinstance(type_, AnyOf):
        return " or ".join(_expected(o) for o in type_.options)
    return names[type(type_)]


def _matches(type_: Type, value: object) -> bool:
    if isinstance(type_, Str):
        return isinstance(value, str)
    if isinstance(type_, Int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(type_, Bool):
        return isinstance(value, bool)
    if isinstance(type_, ListOf):
        return isinstance(value, list)
    if isinstance(type_, StrMap | Obj):
        return isinstance(value, dict)
    if isinstance(type_, AnyOf):
        return any(_matches(o, value) for o in type_.options)
    if isinstance(type_, Timestamp):
        return isinstance(value, str | datetime.datetime)
    return True


@record(frozen=False)
class _Checker:
    """One spec being checked against the declaration: the problems found and the parsed values by path."""

    source: Source
    problems: list[Problem] = field(default_factory=list)
    parsed: dict[PathKey, Any] = field(default_factory=dict)  # typed values by path, for the model

    def check(self, type_: Type, value: object, path: PathKey) -> None:
        if not _matches(type_, value):
            self._wrong_type(type_, value, path)
        elif isinstance(type_, AnyOf):
            self.check(next(o for o in type_.options if _matches(o, value)), value, path)
        elif isinstance(type_, Str):
            self._string(type_, str(value), path)
        elif isinstance(type_, Int):
            self._int(type_, int(value), path)  # type: ignore[call-overload]
        elif isinstance(type_, ListOf):
            self._list(type_, cast(list[object], value), path)
        elif isinstance(type_, StrMap):
            self._str_map(cast(dict[str, object], value), path)
        elif isinstance(type_, Obj):
            self._object(type_, cast(dict[str, object], value), path)
        elif isinstance(type_, Timestamp):
            self._timestamp(cast(str | datetime.datetime, value), path)

    def _list(self, type_: ListOf, value: list[object], path: PathKey) -> None:
        if len(value) < type_.min_items:
            self.problems.append(self.source.problem(path, "empty-list", "must list at least one entry"))
        for i, item in enumerate(value):
            self.check(type_.item, item, (*path, i))

    def _str_map(self, value: dict[str, object], path: PathKey) -> None:
        for k, v in value.items():
            if not isinstance(v, str):
                self.problems.append(
                    self.source.problem(
                        (*path, k),
                        "wrong-type",
                        f"expected a string, got {_json_type(v)}",
                        suggestion="quote the value",
                    )
                )

    def _timestamp(self, value: str | datetime.datetime, path: PathKey) -> None:
        try:
            self.parsed[path] = values.timestamp(value)
        except ValueProblemError as exc:
            self.problems.append(self.source.problem(path, exc.rule, exc.message, suggestion=exc.suggestion))

    def _wrong_type(self, type_: Type, value: object, path: PathKey) -> None:
        suggestion = ""
        secret = bool(path) and path[-1] in SECRET_BEARING
        if isinstance(type_, Str) and type_.version and isinstance(value, int | float):
            suggestion = "quote it: YAML reads an unquoted version as a number, so 4.10 becomes 4.1"
        elif isinstance(type_, Str) and isinstance(value, int | float | bool):
            suggestion = "quote it" if secret else f"quote it: {_quoted(value)}"
        elif isinstance(type_, Timestamp) and isinstance(value, datetime.date):
            suggestion = f"a date and a time are needed: write {value.isoformat()}T00:00:00Z (UTC)"
        elif isinstance(type_, ListOf) and isinstance(value, str | int):
            suggestion = f"write a list: [{shown(value, quote=False)}]"
        self.problems.append(
            self.source.problem(
                path, "wrong-type", f"expected {_expected(type_)}, got {_json_type(value)}", suggestion=suggestion
            )
        )

    def _string(self, type_: Str, value: str, path: PathKey) -> None:
        if type_.parse is not None:
            try:
                self.parsed[path] = type_.parse(value)
            except ValueProblemError as exc:
                self.problems.append(
                    self.source.problem(path, exc.rule, exc.message, severity=exc.severity, suggestion=exc.suggestion)
                )
        if type_.enum and value not in type_.enum:
            import difflib  # noqa: PLC0415 - only a misspelt value needs it

            close = difflib.get_close_matches(value, type_.enum, n=1, cutoff=0.5) or [
                e for e in type_.enum if e.lower() == value.lower()
            ]
            hint = f"did you mean {close[0]!r}?" if close else ""
            self.problems.append(
                self.source.problem(
                    path,
                    "invalid-value",
                    f"{shown(value)} is not one of {', '.join(type_.enum)} (case-sensitive)",
                    suggestion=hint,
                )
            )

    def _int(self, type_: Int, value: int, path: PathKey) -> None:
        if (type_.minimum is not None and value < type_.minimum) or (
            type_.maximum is not None and value > type_.maximum
        ):
            self.problems.append(
                self.source.problem(path, "out-of-range", f"{value} is outside {type_.minimum}..{type_.maximum}")
            )

    def _object(self, type_: Obj, value: dict[str, object], path: PathKey) -> None:
        for key in value:
            if key not in type_.fields:
                import difflib  # noqa: PLC0415

                close = difflib.get_close_matches(key, list(type_.fields), n=1, cutoff=0.6)
                lowered = [k for k in type_.fields if k.lower() == key.lower().replace("_", "")]
                hint = close or lowered
                problem = self.source.problem(
                    (*path, key),
                    "unknown-key",
                    f"unknown key {shown(key)}",
                    suggestion=f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(type_.fields)}",
                    key=True,
                )
                # the field path names the key too: cut like the message
                self.problems.append(replace(problem, path=dotted((*path, shown(key, quote=False)))))
        for key, spec in type_.fields.items():
            if key in value:
                self.check(spec.type, value[key], (*path, key))
            elif spec.required:
                self.problems.append(self.source.problem(path, "missing-key", f"missing required key {key!r}"))
        if type_.one_of_required:
            present = [k for k in type_.one_of_required if k in value]
            if len(present) != 1:
                self.problems.append(
                    self.source.problem(path, "one-of", f"give exactly one of {', '.join(type_.one_of_required)}")
                )


def check_and_parse(source: Source) -> tuple[list[Problem], dict[PathKey, Any]]:
    """Structural problems of a loaded ClusterPair (unknown keys with hints, types, required keys, values that
    do not parse), and the parsed typed values by path."""
    checker = _Checker(source)
    if not isinstance(source.data, dict):
        checker.problems.append(
            source.problem((), "wrong-type", f"a ClusterPair is a mapping, got {_json_type(source.data)}")
        )
        return checker.problems, checker.parsed
    if source.data.get("apiVersion") != API_VERSION or source.data.get("kind") != KIND:
        # Not a ClusterPair (a file named by mistake, or on purpose): nothing of it is quoted back.
        checker.problems.append(not_a_cluster_pair(source))
        return checker.problems, checker.parsed
    checker.check(CLUSTER_PAIR, source.data, ())
    return checker.problems, checker.parsed


def not_a_cluster_pair(source: Source) -> Problem:
    """The one problem of a file that is not a ClusterPair; it names none of its keys or values."""
    return source.problem(
        (),
        "not-a-cluster-pair",
        f"not a ClusterPair: expected a mapping with apiVersion {API_VERSION} and kind {KIND}",
        suggestion=f"name a ClusterPair spec, or write apiVersion: {API_VERSION} and kind: {KIND}",
    )


def _quoted(value: object) -> str:
    text = shown(value, quote=False)
    return f'"{text}"' if not text.startswith("a number of") else "a string"
