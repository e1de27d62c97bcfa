"""Each ClusterPair key is declared once (generator/clusterpair/schema.py), and version boundaries live in one table.

Test design notes:
- The loader must take every default from the declaration: a default value spelled again in load.py (as
  `data.get(key, "value")` or `... or "value"`) is a second copy a change would miss; the test reads load.py.
- A patterned key is enforced by the checker: each pattern the JSON Schema publishes has a parser in the
  declaration, so the checker (not a rule with its own regex) refuses what the pattern refuses.
- The version boundaries OpenShift 3.x/4.x and MTC 1.7/1.8 are named in generator/mtc/thresholds.py; no other
  module compares `.major` or `.minor` with a number or builds an OcpVersion literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.clusterpair import load
from generator.clusterpair.declare import AnyOf, Field, ListOf, Obj, Str, Type
from generator.clusterpair.load import parse_spec
from generator.clusterpair.schema import CLUSTER_PAIR, default
from tests.conftest import REPO


def _fields(type_: Type, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Field]]:
    if isinstance(type_, Obj):
        for key, f in type_.fields.items():
            yield (*path, key), f
            yield from _fields(f.type, (*path, key))
    elif isinstance(type_, ListOf):
        yield from _fields(type_.item, path)
    elif isinstance(type_, AnyOf):
        for option in type_.options:
            yield from _fields(option, path)


DEFAULTS = [(path, f.default) for path, f in _fields(CLUSTER_PAIR) if f.default is not None]


def test_the_declaration_has_defaults() -> None:
    assert len(DEFAULTS) >= 9


@pytest.mark.parametrize(("path", "value"), DEFAULTS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else "")
def test_the_loader_never_spells_a_default_again(path: tuple[str, ...], value: object) -> None:
    text = Path(load.__file__).read_text(encoding="utf-8")
    repeated = re.search(rf'(get\([^()]*,|\bor)\s*"{re.escape(str(value))}"', text)  # data.get(key, "x") or `or "x"`
    assert repeated is None, f"{'.'.join(path)}: load.py repeats its default {value!r}"
    assert default(path) == value


def test_an_undeclared_key_has_no_default() -> None:
    with pytest.raises(KeyError):
        default(("spec", "noSuchKey"))


def test_the_loaded_model_holds_the_declared_defaults(tmp_path: Path) -> None:
    text = (REPO / "examples" / "sdn-tcp-proxy-by-ip.yaml").read_text(encoding="utf-8")
    pair, problems = parse_spec(text, "spec.yaml", tmp_path)
    assert pair is not None, problems
    assert pair.target.rsync_endpoint_type.value == default(("spec", "target", "rsyncEndpointType"))
    assert pair.control_cluster.value == default(("spec", "controlCluster"))
    assert pair.source.migration_controller.namespace == default(("spec", "source", "migrationController", "namespace"))


@pytest.mark.parametrize(
    "path", [p for p, f in _fields(CLUSTER_PAIR) if isinstance(f.type, Str) and f.type.pattern], ids=".".join
)
def test_every_published_pattern_is_enforced_when_loading(path: tuple[str, ...]) -> None:
    field = next(f for p, f in _fields(CLUSTER_PAIR) if p == path)
    assert isinstance(field.type, Str)
    assert field.type.parse is not None, f"{'.'.join(path)}: its pattern is published but not checked"


_LITERAL_VERSION = re.compile(r"\.(major|minor) *[<>=!]=? *\d|OcpVersion\(\d|MtcVersion\(\d")


def test_version_numbers_are_written_only_in_the_thresholds_table() -> None:
    allowed = {"generator/mtc/thresholds.py", "generator/clusterpair/parse.py"}  # the table, and the parser of versions
    found = [
        f"{p.relative_to(REPO)}:{n}"
        for p in sorted((REPO / "generator").rglob("*.py"))
        if p.relative_to(REPO).as_posix() not in allowed
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if _LITERAL_VERSION.search(line)
    ]
    assert found == []
