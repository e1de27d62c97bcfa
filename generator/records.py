"""`@record`: a dataclass whose `__eq__`, `__hash__` and `__repr__` are shared functions, not generated code.

On Python 3.11 `@dataclass(frozen=True)` compiles six functions per class from generated source (`__init__`,
`__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`): about 0.3 ms a class, and a `render` imports some
sixty classes, a third of its start-up beyond the interpreter and PyYAML. A record has the dataclass's
`__init__` (the one function that must know its fields) and, shared by every record, value equality, the same
hash and the same repr as the dataclass would have generated (over the same fields: `compare`, `hash` and `repr`
of `field()` are honoured), so sets, dict keys, digests of a repr and messages are unchanged.

Frozen is checked by mypy (`frozen_default`: assigning a field is a type error), not at run time: the two
functions that refuse assignment are the costliest to generate and guard nothing mypy --strict does not.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values as one tuple (attrgetter returns a bare value for one name)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)  # a tuple for two or more names


def _eq(self: Any, other: Any) -> Any:  # bool, or NotImplemented for another class (as a dataclass)
    if other.__class__ is self.__class__:
        compared: Callable[[Any], tuple[Any, ...]] = self.__record_compared__
        return compared(self) == compared(other)
    return NotImplemented


def _order(compare: Callable[[tuple[Any, ...], tuple[Any, ...]], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:  # bool, or NotImplemented for another class (as a dataclass)
        if other.__class__ is self.__class__:
            compared: Callable[[Any], tuple[Any, ...]] = self.__record_compared__
            return compare(compared(self), compared(other))
        return NotImplemented

    return method


_ORDER = {
    "__lt__": _order(operator.lt),
    "__le__": _order(operator.le),
    "__gt__": _order(operator.gt),
    "__ge__": _order(operator.ge),
}


def _hash(self: Any) -> int:
    return hash(self.__record_hashed__(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{self.__class__.__qualname__}({shown})"


def _make(cls: type[T], frozen: bool, kw_only: bool, order: bool) -> type[T]:
    own = cls.__dict__
    if "__eq__" in own or "__hash__" in own or (order and any(name in own for name in _ORDER)):
        raise TypeError(f"{cls.__qualname__}: a record takes its equality, hash and order from its fields")
    made = dataclasses.dataclass(eq=False, repr=False, kw_only=kw_only)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]  # a dataclass now
    # static: a lambda kept on the class would be bound to the instance
    compared = _getter(tuple(f.name for f in fields if f.compare))
    made.__record_compared__ = staticmethod(compared)  # type: ignore[attr-defined]
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    made.__record_hashed__ = staticmethod(_getter(hashed))  # type: ignore[attr-defined]
    made.__record_shown__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    made.__eq__ = _eq  # type: ignore[method-assign]
    # as a dataclass: hashable by value when frozen, unhashable when mutable and compared by value
    made.__hash__ = _hash if frozen else None  # type: ignore[assignment,method-assign]
    if "__repr__" not in own:
        made.__repr__ = _repr  # type: ignore[method-assign]
    if order:
        for name, method in _ORDER.items():
            setattr(made, name, method)
    return made


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, frozen: bool = True, kw_only: bool = False, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = True, kw_only: bool = False, order: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """`@record` for an immutable value, `@record(frozen=False)` for one that is filled in (both compared by
    value, as `@dataclass(frozen=True)` and `@dataclass` are); `order=True` adds `<`, `<=`, `>`, `>=` over the
    compared fields in order, as a dataclass's."""
    if cls is None:
        return lambda c: _make(c, frozen, kw_only, order)
    return _make(cls, frozen, kw_only, order)
