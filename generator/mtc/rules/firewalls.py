"""Egress firewall and strict NetworkPolicy endpoint rules, one check each.

facts §4: firewalls are evaluated in order, first match wins, so DVM's Allow rules must precede any Deny;
only the source namespace's firewall matters (rsync clients open every connection). The firewall API, its
rule limit and which destination kinds it has follow from the source's version and plugin (spec §4.1).
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.clusterpair.model import EndpointType, NamespaceMapping, NetworkType, PolicyMode
from generator.mtc import facts
from generator.mtc.firewall import allow_rules, existing_rule_problems, merged_rules, rules_added
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.thresholds import is_3x
from generator.problems import Severity


def _declared(ctx: RuleContext) -> Iterator[NamespaceMapping]:
    """Namespaces with a declared firewall, when the source's firewall API is known (else network-type-needed)."""
    if ctx.resolved.source.caps.firewall is None:
        return
    yield from (ns for ns in ctx.pair.namespaces if ns.egress_firewall is not None)


def _not_applicable(ctx: RuleContext) -> bool:
    resolved = ctx.resolved
    return resolved.stunnel_proxy is None and resolved.endpoint is EndpointType.CLUSTER_IP and resolved.same_cluster


@rule("egress-firewall-name")
def egress_firewall_name(ctx: RuleContext) -> Iterator[Finding]:
    """An OVN-Kubernetes EgressFirewall is named `default` (its CRD pattern is ^default$, facts §4.2).

    Passing::

        source: {networkType: OVNKubernetes}
        namespaces: [{source: app1, egressFirewall: {name: default, rules: []}}]

    Failing::

        source: {networkType: OVNKubernetes}
        namespaces: [{source: app1, egressFirewall: {name: fw, rules: []}}]
    """
    if ctx.resolved.source.network_type is not NetworkType.OVN_KUBERNETES:
        return
    for ns in _declared(ctx):
        fw = ns.egress_firewall
        if fw is not None and fw.name != facts.EGRESS_FIREWALL_NAME:
            yield Finding(
                (*fw.path, "name"),
                f"an EgressFirewall must be named 'default', not {fw.name!r}",
                suggestion="name: default",
            )


@rule("egress-firewall-rules")
def egress_firewall_rules(ctx: RuleContext) -> Iterator[Finding]:
    """Existing `rules:` fit the source's firewall API and version.

    facts §4.1 (EgressNetworkPolicy: type, to {cidrSelector IPv4 | dnsName}, no ports) and §4.2
    (EgressFirewall: type, to {cidrSelector | dnsName | nodeSelector}, ports); facts §9: EgressFirewall
    `dnsName` exists from 4.7 and `nodeSelector` from 4.11, so an older cluster rejects such a rule.

    Passing::

        source: {openshiftVersion: "4.11", networkType: OVNKubernetes}
        egressFirewall: {rules: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]}

    Failing::

        source: {openshiftVersion: "4.10", networkType: OVNKubernetes}
        egressFirewall: {rules: [{type: Allow, to: {nodeSelector: {matchLabels: {a: b}}}}]}

    The rules of a firewall held in the source's `base` are checked the same way (reported at the declaration).
    """
    source = ctx.resolved.source
    kind, api = source.network_type, source.caps.firewall
    if kind is None or api is None:
        return
    version = f"OpenShift {source.version}"
    for ns in _declared(ctx):
        fw = ns.egress_firewall
        if fw is None:
            continue
        for i, existing in enumerate(fw.rules or ()):
            for sub, message in existing_rule_problems(existing, kind, source.caps, version):
                yield Finding((*fw.path, "rules", i, *sub), message)
        held = (
            source.holdings.firewall_rules(api.api_version, api.kind, ns.source, fw.name)
            if (fw.rules is None and source.holdings is not None)
            else None
        )
        for i, existing in enumerate(held or ()):
            for sub, message in existing_rule_problems(existing, kind, source.caps, version):
                where = ".".join(["egress", str(i), *map(str, sub)])
                yield Finding(fw.path, f"base {source.spec.base}: {api.kind} {ns.source}/{fw.name} {where}: {message}")


@rule("egress-firewall-existing")
def egress_firewall_existing(ctx: RuleContext) -> Iterator[Finding]:
    """The generator patches the firewall in `base` or rewrites it whole from `rules:`; anything else is a guess.

    Passing::

        namespaces: [{source: app1, egressFirewall: {name: default, rules: []}}]

    Failing::

        namespaces: [{source: app1, egressFirewall: {name: default}}]    # and no source.base
    """
    if ctx.pair.source.base is not None or ctx.env.items_as_base or _not_applicable(ctx):
        return  # items_as_base: a KRM function finds the firewall among its input items (generator/transform.py)
    api = ctx.resolved.source.caps.firewall
    for ns in _declared(ctx):
        fw = ns.egress_firewall
        if fw is not None and fw.rules is None and api is not None:
            yield Finding(
                fw.path,
                f"namespace {ns.source!r}: the existing {api.kind} {fw.name!r} is needed to "
                "insert the DVM rules before its rules",
                suggestion="add its current rules as `rules:`, or set source.base to the kustomize base that holds it",
            )


@rule("egress-firewall-nothing")
def egress_firewall_nothing(ctx: RuleContext) -> Iterator[Finding]:
    """A declared firewall gets at least one Allow rule: something must say where DVM goes.

    Passing::

        target: {cidrs: [203.0.113.0/24]}
        namespaces: [{source: app1, egressFirewall: {rules: []}}]

    Failing::

        target: {}                              # no cidrs, no appsDomain
        namespaces: [{source: app1, egressFirewall: {rules: []}}]
    """
    if _not_applicable(ctx):
        return
    resolved = ctx.resolved
    api = resolved.source.caps.firewall
    address = resolved.stunnel_proxy
    if address is not None and address.ip is None and not resolved.source.caps.firewall_dns_name:
        return  # egress-firewall-proxy-host says why
    for ns in _declared(ctx):
        fw = ns.egress_firewall
        if fw is not None and api is not None and not allow_rules(resolved, ns.target):
            yield Finding(
                fw.path,
                f"namespace {ns.source!r}: nothing to allow through its {api.kind}",
                suggestion="give target.cidrs"
                + (", or target.appsDomain for a Route endpoint" if resolved.source.caps.firewall_dns_name else ""),
            )


@rule("egress-firewall-not-applicable", Severity.INFO)
def egress_firewall_not_applicable(ctx: RuleContext) -> Iterator[Finding]:
    """A same-cluster ClusterIP move never meets an egress firewall (pod-to-service inside one cluster).

    Passing::

        source: {name: east}
        target: {name: west}
        namespaces: [{source: app1, egressFirewall: {rules: []}}]

    Failing (info)::

        source: {name: east}
        target: {name: east, rsyncEndpointType: ClusterIP}
        namespaces: [{source: app1, egressFirewall: {rules: []}}]
    """
    if not _not_applicable(ctx):
        return
    for ns in _declared(ctx):
        if ns.egress_firewall is not None:
            yield Finding(
                ns.egress_firewall.path,
                f"namespace {ns.source!r}: a ClusterIP move stays inside the cluster, where "
                "egress firewalls do not apply; no rules are generated",
            )


@rule("egress-firewall-limit")
def egress_firewall_limit(ctx: RuleContext) -> Iterator[Finding]:
    """The firewall with DVM's rules stays within its API's rule limit.

    facts §4 / §9: EgressNetworkPolicy 1,000 rules on 4.x and 50 on 3.x (origin's EgressNetworkPolicyMaxRules,
    "too many egress rules (max 50)"); EgressFirewall 8,000.

    Passing::

        source: {openshiftVersion: "3.11"}
        egressFirewall: {rules: [...48 rules...]}

    Failing::

        source: {openshiftVersion: "3.11"}
        egressFirewall: {rules: [...50 rules...]}     # plus DVM's rule: 51 > 50
    """
    resolved = ctx.resolved
    api = resolved.source.caps.firewall
    if api is None:
        return
    for ns in _declared(ctx):
        fw = ns.egress_firewall
        if fw is None:
            continue
        ours = allow_rules(resolved, ns.target)
        if fw.rules is not None:  # rewritten whole: ours, then the existing rules without copies of ours
            total = len(merged_rules(ours, list(fw.rules)))
        else:  # inserted above what the base holds, exactly as the renderer does
            holdings = resolved.source.holdings
            held = holdings.firewall_rules(api.api_version, api.kind, ns.source, fw.name) if holdings else None
            total = len(rules_added(ours, held, base_patched=resolved.source.base_patched)) + len(held or [])
        if total > api.max_rules:
            yield Finding(
                fw.path,
                f"namespace {ns.source!r}: {total} rules exceed the {api.kind} limit of {api.max_rules}"
                + (f" on OpenShift {resolved.source.version}" if is_3x(resolved.source.version) else ""),
            )


@rule("egress-firewall-dns-name", Severity.INFO)
def egress_firewall_dns_name(ctx: RuleContext) -> Iterator[Finding]:
    """EgressFirewall `dnsName` rules exist from OpenShift 4.7: before, DVM routes are allowed by CIDR only.

    facts §9: ovn-kubernetes added dnsName in e52e32d49 ("use DNS names in rules"); the 4.6 docs list only
    CIDRs. With `appsDomain` set on a 4.6 OVN source, only the `cidrs` rules are generated.

    Passing::

        source: {openshiftVersion: "4.7", networkType: OVNKubernetes}
        target: {appsDomain: apps.example.com}

    Failing (info)::

        source: {openshiftVersion: "4.6", networkType: OVNKubernetes}
        target: {appsDomain: apps.example.com}
    """
    resolved = ctx.resolved
    if (
        resolved.source.caps.firewall is None
        or resolved.source.caps.firewall_dns_name
        or resolved.stunnel_proxy is not None
        or resolved.endpoint is not EndpointType.ROUTE
        or resolved.target.spec.apps_domain is None
        or not any(True for _ in _declared(ctx))
    ):
        return
    yield Finding(
        (*resolved.target.spec.path, "appsDomain"),
        f"the source's EgressFirewall on OpenShift {resolved.source.version} has no dnsName rules (from 4.7): "
        "DVM routes are allowed by the target cidrs only",
    )


@rule("egress-firewall-proxy-host")
def egress_firewall_proxy_host(ctx: RuleContext) -> Iterator[Finding]:
    """A stunnel proxy given by host name needs a `dnsName` firewall rule, which EgressFirewall has from 4.7.

    Passing::

        source: {openshiftVersion: "4.6", networkType: OVNKubernetes}
        dvm: {stunnelTCPProxy: {url: "http://192.0.2.30:3128"}}

    Failing::

        source: {openshiftVersion: "4.6", networkType: OVNKubernetes}
        dvm: {stunnelTCPProxy: {url: "http://proxy.example.com:3128"}}
    """
    resolved = ctx.resolved
    address = resolved.stunnel_proxy
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    if address is None or proxy is None or address.ip is not None or resolved.source.caps.firewall_dns_name:
        return
    if any(True for _ in _declared(ctx)):
        yield Finding(
            (*proxy.path, "url"),
            f"the source's EgressFirewall on OpenShift {resolved.source.version} has no dnsName rules (from 4.7), "
            f"so the proxy host {address.host!r} cannot be allowed by name",
            suggestion="give the proxy's IP address",
        )


@rule("egress-firewall-proxy-ipv6")
def egress_firewall_proxy_ipv6(ctx: RuleContext) -> Iterator[Finding]:
    """An EgressNetworkPolicy (OpenShift SDN) takes IPv4 only, so the stunnel proxy it allows must be IPv4.

    Passing::

        source: {networkType: OpenShiftSDN}
        dvm: {stunnelTCPProxy: {url: "http://192.0.2.30:3128"}}

    Failing::

        source: {networkType: OpenShiftSDN}
        dvm: {stunnelTCPProxy: {url: "http://[2001:db8::30]:3128"}}
    """
    resolved = ctx.resolved
    address = resolved.stunnel_proxy
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    if proxy is None or address is None or address.ip is None or address.ip.version != 6:
        return
    if resolved.source.network_type is NetworkType.OPENSHIFT_SDN and any(True for _ in _declared(ctx)):
        yield Finding(
            (*proxy.path, "url"),
            "the proxy address is IPv6; EgressNetworkPolicy is IPv4 only",
            suggestion="give the proxy's IPv4 address",
        )


@rule("strict-endpoint")
def strict_endpoint(ctx: RuleContext) -> Iterator[Finding]:
    """Strict NetworkPolicies name the destination by IP block, so they need the target's `cidrs`.

    facts §3.3: Route traffic goes to the destination routers on 443, NodePort to worker addresses on the node
    port range, ClusterIP between clusters to the service network; with a stunnel proxy the clients reach
    only the proxy, and a same-cluster ClusterIP peer is selected by namespace and pod labels.

    Passing::

        target: {rsyncEndpointType: NodePort, cidrs: [192.0.2.0/24]}
        networkPolicy: {mode: strict}

    Failing::

        target: {rsyncEndpointType: NodePort}
        networkPolicy: {mode: strict}
    """
    pair = ctx.pair
    resolved = ctx.resolved
    if pair.network_policy_mode is not PolicyMode.STRICT or resolved.stunnel_proxy is not None or pair.target.cidrs:
        return
    if resolved.source.caps.egress_policy is False:
        return  # no egress policy on this source (egress-policy-unenforced)
    endpoint = resolved.endpoint
    if endpoint in (EndpointType.ROUTE, EndpointType.NODE_PORT):
        where = "router VIP / load balancer" if endpoint is EndpointType.ROUTE else "worker InternalIP"
        yield Finding(
            (*pair.target.path, "cidrs"),
            f"strict mode with a {endpoint.value} endpoint needs the target's {where} CIDRs",
            suggestion="add target.cidrs, or use networkPolicy.mode: open",
        )
    elif not pair.same_cluster:
        yield Finding(
            (*pair.target.path, "cidrs"),
            "strict mode with a ClusterIP endpoint on another cluster needs the target's service CIDRs",
            suggestion="add target.cidrs, or use networkPolicy.mode: open",
        )
