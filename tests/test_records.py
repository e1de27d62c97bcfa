"""`@record` behaves as the dataclass it replaces: equality, hash, repr and order over the same fields.

Each case declares one class twice, as a record and as `@dataclass(frozen=True)` (or `@dataclass` for a mutable
record), builds equal and different values of both and compares every answer; the repr is compared as text, since
`generate` digests the repr of its `Environment`.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any

import pytest

from generator.records import record


def _twins(
    body: Callable[[], dict[str, Any]], *, frozen: bool = True, kw_only: bool = False, order: bool = False
) -> tuple[type, type]:
    """The same class body as a record and as the dataclass it stands for."""

    def make(name: str) -> type:
        namespace = body()
        return type(name, (), {"__annotations__": namespace.pop("__annotations__"), **namespace})

    ours = record(frozen=frozen, kw_only=kw_only, order=order)(make("Value"))
    theirs = dataclasses.dataclass(frozen=frozen, kw_only=kw_only, order=order)(make("Value"))
    return ours, theirs


def _plain() -> dict[str, Any]:
    return {"__annotations__": {"name": "str", "count": "int", "tags": "tuple[str, ...]"}, "tags": ()}


def _with_hidden() -> dict[str, Any]:
    return {
        "__annotations__": {"name": "str", "path": "tuple[str, ...]", "note": "str", "size": "int"},
        "path": dataclasses.field(default=(), compare=False),
        "note": dataclasses.field(default="", repr=False),
        "size": dataclasses.field(default=0, hash=False),
    }


def _one() -> dict[str, Any]:
    return {"__annotations__": {"only": "int"}}


def _none() -> dict[str, Any]:
    return {"__annotations__": {}}


CASES = [
    pytest.param(_plain, [("a", 1), ("a", 1, ("x",)), ("b", 2)], id="plain"),
    pytest.param(_with_hidden, [("a",), ("a", ("p",)), ("a", (), "n"), ("a", (), "", 3), ("b",)], id="field-options"),
    pytest.param(_one, [(1,), (2,), (-1,)], id="one-field"),
    pytest.param(_none, [()], id="no-field"),
]


@pytest.mark.parametrize(("body", "values"), CASES)
@pytest.mark.parametrize("order", [False, True])
def test_a_record_answers_as_its_dataclass(
    body: Callable[[], dict[str, Any]], values: list[tuple[Any, ...]], order: bool
) -> None:
    ours, theirs = _twins(body, order=order)
    pairs = [(ours(*v), theirs(*v)) for v in values]
    for a, a_dc in pairs:
        assert repr(a) == repr(a_dc)
        assert hash(a) == hash(a_dc)
        assert dataclasses.replace(a) == a
        assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(a_dc)]
        assert (a == object()) is False
        assert (a != object()) is True
        for b, b_dc in pairs:
            assert (a == b) is (a_dc == b_dc)
            assert (a != b) is (a_dc != b_dc)
            if order:
                for compare in (operator.lt, operator.le, operator.gt, operator.ge):
                    assert compare(a, b) is compare(a_dc, b_dc)
    if not order:
        with pytest.raises(TypeError):
            operator.lt(pairs[0][0], pairs[0][0])


def test_a_record_is_never_equal_to_another_class_with_the_same_fields() -> None:
    ours, theirs = _twins(_plain)
    again, _ = _twins(_plain)
    assert ours("a", 1) != again("a", 1)
    assert ours("a", 1) != theirs("a", 1)
    assert len({ours("a", 1), ours("a", 1), ours("b", 1)}) == 2


def test_a_mutable_record_is_compared_by_value_and_not_hashable() -> None:
    ours, theirs = _twins(_plain, frozen=False)
    a = ours("a", 1)
    a.count = 2
    assert a == ours("a", 2)
    assert repr(a) == repr(theirs("a", 2))
    with pytest.raises(TypeError):
        hash(a)


def test_keyword_only_fields_as_a_dataclass() -> None:
    ours, theirs = _twins(_plain, kw_only=True)
    assert repr(ours(name="a", count=1)) == repr(theirs(name="a", count=1))
    with pytest.raises(TypeError):
        ours("a", 1)


def test_a_record_keeps_its_own_repr_and_refuses_its_own_equality() -> None:
    class Secret:
        value: str

        def __repr__(self) -> str:
            return "Secret(***)"

    assert repr(record(Secret)("x")) == "Secret(***)"

    class Compared:
        value: str

        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    with pytest.raises(TypeError, match="equality"):
        record(Compared)
