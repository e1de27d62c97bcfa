"""Egress firewall output for one source namespace: a whole object (rules known) or a JSON6902 insert."""

from __future__ import annotations

from typing import Any

from generator.clusterpair.model import NamespaceMapping
from generator.mtc.firewall import allow_rules, merged_rules, rules_added
from generator.mtc.resolve import FirewallApi, ResolvedPair
from generator.records import record
from generator.render.objects import Obj, metadata


@record
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


def _whole(api: FirewallApi, name: str, ns: NamespaceMapping, rules: list[dict[str, Any]]) -> Obj:
    return {
        "apiVersion": api.api_version,
        "kind": api.kind,
        "metadata": metadata(name, ns.source),
        "spec": {"egress": rules},
    }


def firewall_output(resolved: ResolvedPair, ns: NamespaceMapping) -> FirewallOutput | None:
    """The namespace's firewall output; None when it declares no firewall, there is nothing to allow, or the
    base already holds every DVM rule where it takes effect (spec §4.2).

    With the openings closed (spec §9) no DVM rule is added: a firewall given with `rules:` is emitted with the
    user's rules only, as written; one in a `base` gets no patch, so the base's own object is what is built.
    The firewall is the user's object: it never carries our record annotations.
    """
    fw = ns.egress_firewall
    api = resolved.source.caps.firewall
    if fw is None or api is None:
        return None
    if resolved.openings.closed:
        if fw.rules is None:
            return None
        return FirewallOutput(
            ns.source, api.api_version, api.kind, fw.name, [], _whole(api, fw.name, ns, list(fw.rules))
        )
    rules = allow_rules(resolved, ns.target)
    if not rules:
        return None
    whole = None
    if fw.rules is not None:
        whole = _whole(api, fw.name, ns, merged_rules(rules, fw.rules))
    else:
        holdings = resolved.source.holdings
        held = holdings.firewall_rules(api.api_version, api.kind, ns.source, fw.name) if holdings else None
        rules = rules_added(rules, held, base_patched=resolved.source.base_patched)
        if not rules:
            return None
    return FirewallOutput(ns.source, api.api_version, api.kind, fw.name, rules, whole)
