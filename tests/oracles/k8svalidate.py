"""NetworkPolicy oracle: the upstream OpenAPI schema (kubernetes-validate, strict) plus API-server rules.

``kubernetes_validate.validate(obj, version, strict=True)`` checks an object against the schema of the
given Kubernetes minor, with ``additionalProperties: false`` added everywhere (so a misspelt key fails).
It raises on the *first* error only, hence one schema message per bad object. We pin
:data:`K8S_VERSION` ``"1.37"``, the newest schema set kubernetes-validate 1.37.0 bundles (1.25-1.37),
so results do not move when the package adds a release.

The OpenAPI schema types fields but knows none of the API server's value rules (protocol names, port
ranges, CIDRs, ``endPort``): an object with ``protocol: TPC`` passes it. :func:`_api_rule_errors`
re-states those rules of the networking/v1 validation that the generator could plausibly break.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]  # ships no py.typed

__all__ = ["K8S_VERSION", "validate_networkpolicies"]

K8S_VERSION = "1.37"
_PROTOCOLS = {"TCP", "UDP", "SCTP"}
_DNS1123_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _cidr_error(value: object) -> str | None:
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError as exc:
        return str(exc)
    return None if "/" in str(value) else f"{value!r} has no /prefix length"


def _port_errors(where: str, port: Mapping[str, Any]) -> list[str]:
    errors = []
    protocol, number, end = port.get("protocol", "TCP"), port.get("port"), port.get("endPort")
    if protocol not in _PROTOCOLS:
        errors.append(f"{where}.protocol: {protocol!r} is not one of {sorted(_PROTOCOLS)}")
    if isinstance(number, int) and not 1 <= number <= 65535:
        errors.append(f"{where}.port: {number} is outside 1-65535")
    if end is not None:
        if not isinstance(number, int):
            errors.append(f"{where}.endPort: needs a numeric port")
        elif not number <= end <= 65535:
            errors.append(f"{where}.endPort: {end} must be within {number}-65535")
    return errors


def _peer_errors(where: str, peer: Mapping[str, Any]) -> list[str]:
    block = peer.get("ipBlock")
    if block is None:
        return []
    if "podSelector" in peer or "namespaceSelector" in peer:
        return [f"{where}: ipBlock cannot be combined with a selector"]
    problem = _cidr_error(block.get("cidr"))
    if problem:
        return [f"{where}.ipBlock.cidr: {problem}"]
    outer = ipaddress.ip_network(block["cidr"], strict=False)
    errors = []
    for i, value in enumerate(block.get("except") or []):
        problem = _cidr_error(value)
        inner = None if problem else ipaddress.ip_network(value, strict=False)
        # `in` (unlike subnet_of) is defined across IP versions: it is simply False there.
        if inner is None or inner.network_address not in outer or inner.prefixlen < outer.prefixlen:
            errors.append(f"{where}.ipBlock.except[{i}]: {problem or f'{value} is not inside {outer}'}")
    return errors


def _api_rule_errors(spec: Mapping[str, Any]) -> list[str]:
    errors = [
        f"spec.policyTypes: {t!r} is not Ingress or Egress"
        for t in spec.get("policyTypes") or []
        if t not in ("Ingress", "Egress")
    ]
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for r, rule in enumerate(spec.get(direction) or []):
            where = f"spec.{direction}[{r}]"
            for p, port in enumerate(rule.get("ports") or []):
                errors += _port_errors(f"{where}.ports[{p}]", port)
            for p, peer in enumerate(rule.get(peers_key) or []):
                errors += _peer_errors(f"{where}.{peers_key}[{p}]", peer)
    return errors


def validate_networkpolicies(objs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Errors of each NetworkPolicy, prefixed with its index and namespace/name; empty means valid."""
    errors: list[str] = []
    for i, obj in enumerate(objs):
        meta = obj.get("metadata") or {}
        label = f"[{i}] {meta.get('namespace', '')}/{meta.get('name', '')}"
        if (obj.get("apiVersion"), obj.get("kind")) != ("networking.k8s.io/v1", "NetworkPolicy"):
            errors.append(f"{label}: not a networking.k8s.io/v1 NetworkPolicy")
            continue
        if not _DNS1123_SUBDOMAIN.fullmatch(str(meta.get("name", ""))):
            errors.append(f"{label}: metadata.name: not a DNS-1123 subdomain")
        try:
            kubernetes_validate.validate(dict(obj), K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path) or "<root>"
            errors.append(f"{label}: {path}: {exc.message}")
            continue  # the value rules below assume the schema's shapes
        errors += [f"{label}: {e}" for e in _api_rule_errors(obj.get("spec") or {})]
    return errors
