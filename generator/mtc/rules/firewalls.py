"""Egress firewall and NetworkPolicy rules."""

from __future__ import annotations

from collections.abc import Iterator

from generator.mtc import facts
from generator.mtc.firewall import dvm_allow_rules, existing_rule_problems, merged_rules
from generator.mtc.network import firewall_api, firewall_rule_limit, network_type
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.versions import effective_mtc
from generator.problems import Severity
from generator.spec.model import EndpointType, NetworkType, PolicyMode


@rule("egress-firewall")
def egress_firewall(ctx: RuleContext) -> Iterator[Finding]:
    """A declared egress firewall gets DVM Allow rules placed before its existing rules, within the limits.

    facts §4: firewalls are evaluated in order, first match wins, so the Allow rules must precede any Deny;
    OVN's EgressFirewall must be named `default` (CRD pattern ^default$); EgressNetworkPolicy allows 1,000
    rules and EgressFirewall 8,000 per namespace; only the source namespace's firewall matters. The generator
    must either patch the firewall in `base` or rewrite it whole from `rules:`; anything else would be a guess.
    """
    pair = ctx.pair
    kind = network_type(pair.source, ctx.env)
    if kind is None:
        return  # reported by the network-type rule
    _, kind_name = firewall_api(kind)
    mtc = effective_mtc(pair)
    for ns in pair.namespaces:
        fw = ns.egress_firewall
        if fw is None:
            continue
        if kind is NetworkType.OVN_KUBERNETES and fw.name != facts.EGRESS_FIREWALL_NAME:
            yield Finding(
                (*fw.path, "name"),
                f"an EgressFirewall must be named 'default', not {fw.name!r}",
                suggestion="name: default",
            )
        for i, existing in enumerate(fw.rules or ()):
            for sub, message in existing_rule_problems(existing, kind):
                yield Finding((*fw.path, "rules", i, *sub), message)
        ours = dvm_allow_rules(pair, ns.target, kind, mtc)
        if not ours:
            if pair.target.rsync_endpoint_type is EndpointType.CLUSTER_IP and pair.same_cluster:
                yield Finding(
                    fw.path,
                    f"namespace {ns.source!r}: a ClusterIP move stays inside the cluster, where "
                    "egress firewalls do not apply; no rules are generated",
                    severity=Severity.INFO,
                )
            else:
                yield Finding(
                    fw.path,
                    f"namespace {ns.source!r}: nothing to allow through its {kind_name}",
                    suggestion="give target.cidrs, or target.appsDomain for a Route endpoint",
                )
            continue
        if fw.rules is None and pair.source.base is None and not ctx.env.items_as_base:
            yield Finding(
                fw.path,
                f"namespace {ns.source!r}: the existing {kind_name} {fw.name!r} is needed to "
                "insert the DVM rules before its rules",
                suggestion="add its current rules as `rules:`, or set source.base to the kustomize base that holds it",
            )
        total = len(merged_rules(ours, fw.rules or ()))
        limit = firewall_rule_limit(kind)
        if total > limit:
            yield Finding(fw.path, f"namespace {ns.source!r}: {total} rules exceed the {kind_name} limit of {limit}")
        proxy = pair.dvm.stunnel_tcp_proxy
        if kind is NetworkType.OPENSHIFT_SDN and proxy is not None and ":" in ours[0]["to"].get("cidrSelector", ""):
            # Target CIDRs are checked where they are written (rule `cidr`); the proxy address is checked here.
            yield Finding((*proxy.path, "url"), "the proxy address is IPv6; EgressNetworkPolicy is IPv4 only",
                          suggestion="give the proxy's IPv4 address")


@rule("strict-endpoint")
def strict_endpoint(ctx: RuleContext) -> Iterator[Finding]:
    """Strict NetworkPolicies allow the rsync clients only to where the endpoint type sends them.

    facts §3.3: Route traffic goes to the destination routers on 443, NodePort to worker addresses on the node
    port range, and both are named in NetworkPolicy only by IP block, so the destination `cidrs` are needed;
    with a stunnel proxy the clients reach only the proxy.
    """
    pair = ctx.pair
    if pair.network_policy_mode is not PolicyMode.STRICT or pair.dvm.stunnel_tcp_proxy is not None:
        return
    endpoint = pair.target.rsync_endpoint_type
    if endpoint in (EndpointType.ROUTE, EndpointType.NODE_PORT) and not pair.target.cidrs:
        where = "router VIP / load balancer" if endpoint is EndpointType.ROUTE else "worker InternalIP"
        yield Finding(
            (*pair.target.path, "cidrs"),
            f"strict mode with a {endpoint.value} endpoint needs the target's {where} CIDRs",
            suggestion="add target.cidrs, or use networkPolicy.mode: open",
        )
    if endpoint is EndpointType.CLUSTER_IP and not pair.same_cluster and not pair.target.cidrs:
        yield Finding(
            (*pair.target.path, "cidrs"),
            "strict mode with a ClusterIP endpoint on another cluster needs the target's service CIDRs",
            suggestion="add target.cidrs, or use networkPolicy.mode: open",
        )
