"""Address rules: cluster CIDRs and the apps domain.

Whether each `cidrs` entry parses (an IP network without host bits) is checked when the spec is loaded
(rule `cidr`, generator.clusterpair.parse); these rules read the parsed networks.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.clusterpair.model import NetworkType
from generator.mtc.routes import route_names, route_prefix
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Severity


@rule("cidr-duplicate", Severity.WARNING)
def cidr_duplicate(ctx: RuleContext) -> Iterator[Finding]:
    """A network is listed once in `cidrs` (a repeat is harmless, and usually a typo for another range).

    Passing::

        cidrs: [203.0.113.0/24, 198.51.100.7]

    Failing::

        cidrs: [203.0.113.0/24, 203.0.113.0/24]
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        seen: dict[object, int] = {}
        for i, net in enumerate(cluster.cidrs):
            if net in seen:
                yield Finding(
                    (*cluster.path, "cidrs", i),
                    f"{str(net)!r} repeats cidrs[{seen[net]}]",
                    suggestion="remove the duplicate",
                )
            seen.setdefault(net, i)


@rule("cidr-ipv4-firewall")
def cidr_ipv4_firewall(ctx: RuleContext) -> Iterator[Finding]:
    """Target CIDRs that an OpenShift SDN source's EgressNetworkPolicy must allow are IPv4.

    facts §4.1: the EgressNetworkPolicy cidrSelector has an IPv4-only pattern.

    Passing::

        source: {networkType: OpenShiftSDN}
        target: {cidrs: [203.0.113.0/24]}
        namespaces: [{source: app1, egressFirewall: {name: egress, rules: []}}]

    Failing::

        source: {networkType: OpenShiftSDN}
        target: {cidrs: ["2001:db8::/64"]}
        namespaces: [{source: app1, egressFirewall: {name: egress, rules: []}}]
    """
    resolved = ctx.resolved
    if resolved.source.network_type is not NetworkType.OPENSHIFT_SDN or resolved.stunnel_proxy is not None:
        return
    if not any(ns.egress_firewall is not None for ns in ctx.pair.namespaces):
        return
    target = ctx.pair.target
    for i, net in enumerate(target.cidrs):
        if net.version == 6:
            yield Finding(
                (*target.path, "cidrs", i),
                f"{str(net)!r} is IPv6, but the source's EgressNetworkPolicy takes IPv4 only",
                suggestion="list the target's IPv4 addresses",
            )


@rule("apps-domain")
def apps_domain(ctx: RuleContext) -> Iterator[Finding]:
    """`appsDomain` is a DNS name under which DVM route hosts `dvm-<ns>.<appsDomain>` stay valid DNS names.

    facts §3.3 / §9: the route host is `<prefix>.<subdomain>` where the subdomain is the destination's ingress
    domain (or the MigrationController's `cluster_subdomain`); the firewall `dnsName` rules are built from it.
    That it is a lower-case DNS name is checked when the spec is loaded (generator.clusterpair.parse).

    Passing::

        target: {appsDomain: apps.ocp414.example.com}

    Failing::

        target: {appsDomain: aaa(60 a's).aaa(60 a's).aaa(60 a's).aaa(60 a's)}  # 243 characters
    """
    domain = ctx.pair.target.apps_domain
    if domain is not None:
        routes = route_names(ctx.resolved.mtc)
        longest = max((len(route_prefix(r, ns.target)) for r in routes for ns in ctx.pair.namespaces), default=0)
        if longest + 1 + len(domain) > 253:
            yield Finding(
                (*ctx.pair.target.path, "appsDomain"), "DVM route hosts under this domain would exceed 253 characters"
            )
