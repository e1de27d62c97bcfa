"""What a set of Kubernetes objects already holds: a cluster's `base`, or the items a KRM transformer receives.

Base checks (spec §4.2) and transformer mode (spec §7) ask the same question — is the MigrationController
there, is the namespace's egress firewall there, which DVM Allow rules does it already hold — so it is answered
here, once, over plain objects. Reading a base from disk is not done here (this module does no I/O).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from typing import Any

from generator.records import record

Obj = dict[str, Any]
Identity = tuple[str, str, str, str]  # (API group, kind, namespace, name)


def identity(obj: Obj) -> Identity:
    """Group (not version: v1 and v1beta1 are one object), kind, namespace and name."""
    api_version = obj.get("apiVersion")
    group = group_of(api_version) if isinstance(api_version, str) else ""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (group, str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


@record
class Holdings:
    """Objects indexed by identity; `unread` lists what could not be read, so a check over them is partial."""

    origin: str  # shown in problems: "base ../clusters/ocp311", "the input items"
    objects: tuple[Obj, ...]
    unread: tuple[str, ...] = ()
    _index: dict[Identity, Obj] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, origin: str, objects: Iterable[Obj], unread: Iterable[str] = ()) -> Holdings:
        objs = tuple(o for o in objects if isinstance(o, dict))
        holdings = cls(origin, objs, tuple(unread))
        for obj in objs:
            holdings._index.setdefault(identity(obj), obj)
        return holdings

    @property
    def complete(self) -> bool:
        return not self.unread

    def find(self, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        return self._index.get((group_of(api_version), kind, namespace, name))

    def names_of(self, kind: str) -> list[str]:
        """`namespace/name` of every object of a kind, sorted: what an error says the set holds instead."""
        return sorted(f"{ns}/{name}" if ns else name for (_, k, ns, name) in self._index if k == kind)

    def firewall_rules(self, api_version: str, kind: str, namespace: str, name: str) -> list[Obj] | None:
        """The `spec.egress` rules of a firewall, or None when the firewall is not here."""
        obj = self.find(api_version, kind, namespace, name)
        if obj is None:
            return None
        spec = obj.get("spec")
        egress = spec.get("egress") if isinstance(spec, dict) else None
        return [rule for rule in egress if isinstance(rule, dict)] if isinstance(egress, list) else []
