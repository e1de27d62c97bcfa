"""Egress firewall rules that let DVM rsync clients out, and the checks on a firewall's existing rules.

facts §4.4: only the source namespace's firewall matters (client pods open every connection); firewalls apply
to the whole namespace, so the Allow rules name destinations, never pods, and must come before any Deny.
"""

from __future__ import annotations

import re
from typing import Any

from generator.mtc import facts
from generator.mtc.addresses import parse_network, parse_proxy_url, sorted_networks
from generator.mtc.routes import route_hosts
from generator.mtc.versions import MtcVersion
from generator.spec.model import ClusterPair, EndpointType, NetworkType

Rule = dict[str, Any]


def _proxy_rule(pair: ClusterPair, kind: NetworkType) -> Rule | None:
    proxy = pair.dvm.stunnel_tcp_proxy
    address = parse_proxy_url(proxy.url) if proxy else None
    if address is None:
        return None
    to = {"cidrSelector": address.cidr} if address.cidr is not None else {"dnsName": address.host}
    rule: Rule = {"type": "Allow", "to": to}
    if kind is NetworkType.OVN_KUBERNETES and address.port is not None:
        rule["ports"] = [{"protocol": "TCP", "port": address.port}]
    return rule


def dvm_allow_rules(pair: ClusterPair, target_namespace: str, kind: NetworkType, mtc: MtcVersion) -> list[Rule]:
    """Allow rules, in order, for what the rsync clients of one source namespace reach (spec §4).

    With a stunnel TCP proxy the clients reach only the proxy. Otherwise: the destination `cidrs`, then one
    exact `dnsName` rule per DVM route host when the destination's `appsDomain` is known (Route endpoint).
    OVN rules for Route traffic carry TCP 443; EgressNetworkPolicy has no ports (facts §4.1).
    """
    proxy_rule = _proxy_rule(pair, kind)
    if proxy_rule is not None:
        return [proxy_rule]
    endpoint = pair.target.rsync_endpoint_type
    if endpoint is EndpointType.CLUSTER_IP and pair.same_cluster:
        return []  # pod-to-service traffic inside one cluster never meets an egress firewall
    ports = (
        {"ports": [{"protocol": "TCP", "port": facts.ROUTE_PORT}]}
        if kind is NetworkType.OVN_KUBERNETES and endpoint is EndpointType.ROUTE
        else {}
    )
    networks = sorted_networks(pair.target.cidrs)
    rules: list[Rule] = [{"type": "Allow", "to": {"cidrSelector": str(net)}, **ports} for net in networks]
    if endpoint is EndpointType.ROUTE and pair.target.apps_domain:
        hosts = route_hosts(target_namespace, pair.target.apps_domain, mtc)
        rules += [{"type": "Allow", "to": {"dnsName": host}, **ports} for host in hosts]
    return rules


def merged_rules(ours: list[Rule], existing: tuple[Rule, ...]) -> list[Rule]:
    """Our rules first, then the existing ones without copies of ours: applying twice changes nothing."""
    return ours + [rule for rule in existing if rule not in ours]


def existing_rule_problems(rule: object, kind: NetworkType) -> list[tuple[tuple[str | int, ...], str]]:
    """Schema checks of one existing rule, per the API types of facts §4.1 (SDN) and §4.2 (OVN)."""
    if not isinstance(rule, dict):
        return [((), "a firewall rule is a mapping with `type` and `to`")]
    ovn = kind is NetworkType.OVN_KUBERNETES
    allowed = {"type", "to", "ports"} if ovn else {"type", "to"}
    out: list[tuple[tuple[str | int, ...], str]] = []
    for key in rule:
        if key not in allowed:
            why = " (EgressNetworkPolicy has no ports)" if key == "ports" else ""
            out.append(((key,), f"unknown key {key!r} in a {_kind_name(kind)} rule{why}"))
    if rule.get("type") not in ("Allow", "Deny"):
        out.append((("type",), "type must be Allow or Deny"))
    out += [(("to", *sub), msg) for sub, msg in _destination_problems(rule.get("to"), kind)]
    if ovn and "ports" in rule:
        out += [(("ports", *sub), msg) for sub, msg in _ports_problems(rule["ports"])]
    return out


def _kind_name(kind: NetworkType) -> str:
    return facts.EGRESS_FIREWALL_KIND if kind is NetworkType.OVN_KUBERNETES else facts.EGRESS_NETWORK_POLICY_KIND


def _destination_problems(to: object, kind: NetworkType) -> list[tuple[tuple[str | int, ...], str]]:
    ovn = kind is NetworkType.OVN_KUBERNETES
    keys = ("cidrSelector", "dnsName", "nodeSelector") if ovn else ("cidrSelector", "dnsName")
    if not isinstance(to, dict) or sum(k in to for k in keys) != 1 or any(k not in keys for k in to):
        return [((), f"`to` must hold exactly one of {', '.join(keys)}")]
    if "cidrSelector" in to:
        net = parse_network(str(to["cidrSelector"])) if isinstance(to["cidrSelector"], str) else None
        if net is None or "/" not in str(to["cidrSelector"]):
            return [(("cidrSelector",), "cidrSelector must be a CIDR such as 0.0.0.0/0")]
        if net.version == 6 and not ovn:
            return [(("cidrSelector",), "EgressNetworkPolicy takes IPv4 CIDRs only")]
    if "dnsName" in to:
        pattern = facts.EF_DNS_NAME_PATTERN if ovn else facts.ENP_DNS_NAME_PATTERN
        if not isinstance(to["dnsName"], str) or not re.match(pattern, to["dnsName"]):
            return [(("dnsName",), f"dnsName must match {pattern}")]
    if "nodeSelector" in to and not isinstance(to["nodeSelector"], dict):
        return [(("nodeSelector",), "nodeSelector must be a label selector mapping")]
    return []


def _ports_problems(ports: object) -> list[tuple[tuple[str | int, ...], str]]:
    if not isinstance(ports, list):
        return [((), "ports must be a list of {protocol, port}")]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, port in enumerate(ports):
        ok = (
            isinstance(port, dict)
            and set(port) == {"protocol", "port"}
            and port["protocol"] in ("TCP", "UDP", "SCTP")
            and isinstance(port["port"], int)
            and not isinstance(port["port"], bool)
            and 1 <= port["port"] <= 65535
        )
        if not ok:
            out.append(((i,), "a port is {protocol: TCP|UDP|SCTP, port: 1-65535}"))
    return out
