"""Address rules: cluster CIDRs and the apps domain."""

from __future__ import annotations

from collections.abc import Iterator

from generator.mtc.addresses import is_dns_subdomain, parse_ip, parse_network
from generator.mtc.network import network_type
from generator.mtc.routes import route_names, route_prefix
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.versions import effective_mtc
from generator.problems import Severity
from generator.spec.model import NetworkType


@rule("cidr")
def cidr(ctx: RuleContext) -> Iterator[Finding]:
    """`cidrs` entries are IP networks (or single addresses) with no host bits set, listed once.

    They become NetworkPolicy `ipBlock.cidr` and firewall `cidrSelector` values. A CIDR with host bits set is
    usually a typo for a different range, so it is named, not silently widened. EgressNetworkPolicy takes IPv4
    only (facts §4.1: its cidrSelector has an IPv4-only pattern), so a target CIDR that an SDN source's
    firewall must allow has to be IPv4.
    """
    pair = ctx.pair
    enp_source = network_type(pair.source, ctx.env) is NetworkType.OPENSHIFT_SDN and any(
        ns.egress_firewall is not None for ns in pair.namespaces
    )
    for cluster in (pair.source, pair.target):
        seen: dict[str, int] = {}
        for i, text in enumerate(cluster.cidrs):
            path = (*cluster.path, "cidrs", i)
            net = parse_network(text)
            if net is None:
                yield Finding(path, f"{text!r} is not an IP network", suggestion="e.g. 203.0.113.0/24")
                continue
            if "/" in text and net.network_address != parse_ip(text.split("/")[0]):
                yield Finding(path, f"{text!r} has host bits set", suggestion=f"did you mean {str(net)!r}?")
            if str(net) in seen:
                yield Finding(
                    path,
                    f"{text!r} repeats cidrs[{seen[str(net)]}]",
                    severity=Severity.WARNING,
                    suggestion="remove the duplicate",
                )
            seen.setdefault(str(net), i)
            if cluster is pair.target and enp_source and net.version == 6:
                yield Finding(
                    path,
                    f"{text!r} is IPv6, but the source's EgressNetworkPolicy takes IPv4 only",
                    suggestion="list the target's IPv4 addresses",
                )


@rule("apps-domain")
def apps_domain(ctx: RuleContext) -> Iterator[Finding]:
    """`appsDomain` is a DNS name; DVM route hosts `dvm-<ns>.<appsDomain>` must stay valid DNS names.

    facts §3.3: the route host is `<prefix>.<subdomain>` where the subdomain is the destination's ingress
    domain; the firewall `dnsName` rules are built from it.
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        domain = cluster.apps_domain
        if domain is None:
            continue
        path = (*cluster.path, "appsDomain")
        if not is_dns_subdomain(domain):
            yield Finding(path, f"{domain!r} is not a lower-case DNS name", suggestion="e.g. apps.ocp4.example.com")
            continue
        if cluster is ctx.pair.target:
            routes = route_names(effective_mtc(ctx.pair))
            longest = max((len(route_prefix(r, ns.target)) for r in routes for ns in ctx.pair.namespaces), default=0)
            if longest + 1 + len(domain) > 253:
                yield Finding(path, "DVM route hosts under this domain would exceed 253 characters")
