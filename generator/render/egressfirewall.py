"""Egress firewall output for one source namespace: a whole object (rules known) or a JSON6902 insert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.mtc.firewall import dvm_allow_rules, merged_rules
from generator.mtc.network import firewall_api
from generator.mtc.versions import MtcVersion
from generator.render.objects import Obj, metadata
from generator.spec.model import ClusterPair, NamespaceMapping, NetworkType


@dataclass(frozen=True)
class FirewallOutput:
    namespace: str
    api_version: str
    kind: str
    name: str
    rules: list[dict[str, Any]]  # our Allow rules, in order
    whole: Obj | None  # the full object when the existing rules are known; None: patch the base's object

    def json6902(self) -> list[Obj]:
        """Insert our rules at the top, keeping their order: /spec/egress/0, /spec/egress/1, ..."""
        return [{"op": "add", "path": f"/spec/egress/{i}", "value": rule} for i, rule in enumerate(self.rules)]

    def target(self) -> Obj:
        group, version = self.api_version.split("/")
        return {"group": group, "version": version, "kind": self.kind, "name": self.name, "namespace": self.namespace}

    def partial_object(self) -> Obj:
        """The object to print: whole, or (a patch) only our rules, marked so nobody applies it alone."""
        if self.whole is not None:
            return self.whole
        meta = metadata(self.name, self.namespace, {"mtc-policygen.io/patch": "insert-rules-at=/spec/egress/0"})
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": meta, "spec": {"egress": self.rules}}


def firewall_output(
    pair: ClusterPair, ns: NamespaceMapping, kind: NetworkType, mtc: MtcVersion
) -> FirewallOutput | None:
    fw = ns.egress_firewall
    if fw is None:
        return None
    rules = dvm_allow_rules(pair, ns.target, kind, mtc)
    if not rules:
        return None
    api_version, kind_name = firewall_api(kind)
    whole = None
    if fw.rules is not None:
        whole = {
            "apiVersion": api_version,
            "kind": kind_name,
            "metadata": metadata(fw.name, ns.source),
            "spec": {"egress": merged_rules(rules, fw.rules)},
        }
    return FirewallOutput(ns.source, api_version, kind_name, fw.name, rules, whole)
