"""What each cluster can enforce (spec §4.1, facts §9): where the output differs from the newest behaviour,
a rule says which version lacks what and what was generated instead.

The renderers read the same `ResolvedCluster.caps`; these rules only explain (or refuse) what they do.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.clusterpair.model import EndpointType, PolicyMode
from generator.mtc import facts
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.thresholds import is_3x
from generator.problems import Severity

_MODE = ("spec", "networkPolicy", "mode")


def _egress_emitted(ctx: RuleContext) -> bool:
    return ctx.pair.network_policy_mode is not PolicyMode.NONE and ctx.resolved.source.caps.egress_policy is not False


@rule("egress-policy-unenforced", Severity.INFO)
def egress_policy_unenforced(ctx: RuleContext) -> Iterator[Finding]:
    """No egress NetworkPolicy on an OpenShift SDN source before 4.10 (open or strict).

    facts §9: SDN ignores egress rules before 4.10 ("Ignoring egress rules in NetworkPolicy"), and 3.x
    mis-programs egress-only policies (BZ 1905761: an OVS flow error that can break the namespace's traffic).
    The source namespaces get no egress policy; their egress firewall is what must let DVM out.

    Passing::

        source: {openshiftVersion: "4.10", networkType: OpenShiftSDN}

    Failing (info)::

        source: {openshiftVersion: "3.11"}
        networkPolicy: {mode: strict}
    """
    source = ctx.resolved.source
    if ctx.pair.network_policy_mode is PolicyMode.NONE or source.caps.egress_policy is not False:
        return
    yield Finding(
        (*source.spec.path, "openshiftVersion"),
        f"OpenShift SDN on {source.version} does not enforce egress NetworkPolicies"
        + (" and mis-programs egress-only ones" if is_3x(source.version) else "")
        + ": no egress policy is generated in the source namespaces (the ingress policies are)",
        suggestion="an egress firewall (egressFirewall) is what must let DVM out there",
    )


@rule("egress-policy-plugin-unknown", Severity.INFO)
def egress_policy_plugin_unknown(ctx: RuleContext) -> Iterator[Finding]:
    """A 4.6-4.9 source whose network plugin is not given gets the egress policy, enforced only on OVN.

    On OVN-Kubernetes the policy is enforced and needed; OpenShift SDN 4.6.z-4.9 ignores egress rules without
    harm (the 3.x flow error is fixed there, facts §9). Emitting it is right on both; this says so.

    Passing::

        source: {openshiftVersion: "4.8", networkType: OVNKubernetes}

    Failing (info)::

        source: {openshiftVersion: "4.8"}
    """
    source = ctx.resolved.source
    if ctx.pair.network_policy_mode is PolicyMode.NONE or source.caps.egress_policy is not None:
        return
    yield Finding(
        (*source.spec.path, "openshiftVersion"),
        f"the source's network plugin is not given: the egress policies are generated, and OpenShift "
        f"{source.version} enforces them only on OVN-Kubernetes (OpenShift SDN before 4.10 ignores egress rules)",
        suggestion="set source.networkType",
    )


@rule("node-port-range", Severity.WARNING)
def node_port_range(ctx: RuleContext) -> Iterator[Finding]:
    """Strict NodePort egress needs `endPort` (30000-32767), which the API server keeps only from 4.10.

    facts §9: before Kubernetes 1.22 the field is dropped and "the Network Policy will be created covering
    only the port field": only 30000 would be open while the controller picks a random node port. The policy
    allows TCP to the destination `cidrs` on any port instead (never a lone 30000).

    Passing::

        source: {openshiftVersion: "4.10", networkType: OVNKubernetes}
        target: {rsyncEndpointType: NodePort, cidrs: [192.0.2.0/24]}
        networkPolicy: {mode: strict}

    Failing::

        source: {openshiftVersion: "4.8", networkType: OVNKubernetes}
        target: {rsyncEndpointType: NodePort, cidrs: [192.0.2.0/24]}
        networkPolicy: {mode: strict}
    """
    resolved = ctx.resolved
    if (
        ctx.pair.network_policy_mode is PolicyMode.STRICT
        and _egress_emitted(ctx)
        and resolved.endpoint is EndpointType.NODE_PORT
        and resolved.stunnel_proxy is None
        and not resolved.source.caps.end_port
    ):
        low, high = facts.NODE_PORT_RANGE
        yield Finding(
            (*resolved.target.spec.path, "rsyncEndpointType"),
            f"OpenShift {resolved.source.version} drops NetworkPolicy endPort (from 4.10), so TCP {low}-{high} "
            "cannot be expressed: the strict egress policy allows TCP to the target cidrs on any port",
            suggestion="list only the target's worker addresses in target.cidrs",
        )


@rule("strict-namespace-by-name")
def strict_namespace_by_name(ctx: RuleContext) -> Iterator[Finding]:
    """Strict ClusterIP selects the peer namespace by `kubernetes.io/metadata.name`, which exists from 4.8.

    facts §9: the label is set on every namespace from Kubernetes 1.21 (OCP 4.8); before, a selector on it
    matches nothing, so both the client egress and the server ingress would admit nothing.

    Passing::

        source: {name: east, openshiftVersion: "4.8"}
        target: {name: east, rsyncEndpointType: ClusterIP}
        networkPolicy: {mode: strict}

    Failing::

        source: {name: east, openshiftVersion: "4.7"}
        target: {name: east, rsyncEndpointType: ClusterIP}
        networkPolicy: {mode: strict}
    """
    resolved = ctx.resolved
    if (
        ctx.pair.network_policy_mode is PolicyMode.STRICT
        and resolved.endpoint is EndpointType.CLUSTER_IP
        and resolved.same_cluster
        and resolved.stunnel_proxy is None
        and not resolved.source.caps.namespace_name_label
    ):
        yield Finding(
            _MODE,
            f"OpenShift {resolved.source.version} does not label namespaces with {facts.NAMESPACE_NAME_LABEL} "
            "(from 4.8), so strict ClusterIP policies cannot select the peer namespace and would block DVM",
            suggestion="use networkPolicy.mode: open",
        )


@rule("dns-port-only", Severity.INFO)
def dns_port_only(ctx: RuleContext) -> Iterator[Finding]:
    """Strict DNS egress goes to `openshift-dns` by namespace name from 4.8; before, it is port-only.

    facts §9: `kubernetes.io/metadata.name` exists from 4.8; 3.x serves DNS from the nodes. The rule then
    allows 53 and 5353 (TCP and UDP) to any address.

    Passing::

        source: {openshiftVersion: "4.8", networkType: OVNKubernetes}
        networkPolicy: {mode: strict}

    Failing (info)::

        source: {openshiftVersion: "4.7", networkType: OVNKubernetes}
        networkPolicy: {mode: strict}
    """
    resolved = ctx.resolved
    if (
        ctx.pair.network_policy_mode is PolicyMode.STRICT
        and _egress_emitted(ctx)
        and resolved.source.caps.dns_namespace is None
    ):
        yield Finding(
            (*resolved.source.spec.path, "openshiftVersion"),
            f"OpenShift {resolved.source.version} cannot select {facts.DNS_NAMESPACE} by name (from 4.8): the "
            "strict DNS rule allows ports 53 and 5353 to any address",
        )


@rule("router-label-legacy", Severity.INFO)
def router_label_legacy(ctx: RuleContext) -> Iterator[Finding]:
    """Strict Route ingress on a target before 4.7 selects the router namespace by the older label, or, where
    the target may run OpenShift SDN, admits port 6443 from any source.

    facts §9: cluster-ingress-operator release-4.6 labels the router namespace only
    `network.openshift.io/policy-group: ingress`; `policy-group.network.openshift.io/ingress: ""` arrives in 4.7.
    facts §11: on SDN 4.6 host-network routers carry namespace default's VNID 0 and match no router-namespace
    label; what admits them there is a rule for namespace `default` (by a label it has — none is certain before
    4.8) or a port-only rule. Labelling `default` is a cluster-wide change, so it is suggested, never made.

    Passing::

        target: {openshiftVersion: "4.7"}
        networkPolicy: {mode: strict}

    Failing (info)::

        target: {openshiftVersion: "4.6"}
        networkPolicy: {mode: strict}
    """
    resolved = ctx.resolved
    label = resolved.target.caps.router_namespace_label
    if (
        ctx.pair.network_policy_mode is PolicyMode.STRICT
        and resolved.endpoint is EndpointType.ROUTE
        and dict(label) != facts.ROUTER_NAMESPACE_LABEL
    ):
        key, value = next(iter(label.items()))
        if resolved.target.caps.host_network_router_is_default:
            yield Finding(
                (*resolved.target.spec.path, "openshiftVersion"),
                f"on OpenShift SDN {resolved.target.version} host-network routers reach pods as namespace default, "
                "which no router-namespace label matches: the strict ingress policy admits TCP 6443 to the rsync "
                "server pods from any source",
                suggestion=f"to admit only the routers, label namespace default {key}={value} (a cluster-wide "
                "change, yours to make) and keep your own policy; OVN-Kubernetes targets keep the label selector",
            )
            return
        yield Finding(
            (*resolved.target.spec.path, "openshiftVersion"),
            f"OpenShift {resolved.target.version} router namespaces lack the policy-group.network.openshift.io/"
            f"ingress label (from 4.7): the strict ingress policy selects {key}: {value} instead",
        )


@rule("client-side-apply", Severity.INFO)
def client_side_apply(ctx: RuleContext) -> Iterator[Finding]:
    """A cluster before OpenShift 4.3 gets its partial MigrationController applied client-side; without a base
    it must already exist there.

    facts §11: server-side apply is absent in Kubernetes 1.11 (3.11), off in 1.14 (4.2), on from 1.16 (4.3), and
    those servers reject Argo CD's apply patch. Client-side apply of a partial custom resource is a merge patch of
    the existing object; on a cluster that has none yet it creates a MigrationController holding only these keys.
    A `base` holding the cluster's MigrationController (controller-3.yml, say) makes the overlay a whole object.

    Passing::

        source: {openshiftVersion: "4.3"}

    Failing (info)::

        source: {openshiftVersion: "3.11"}
    """
    for cluster in ctx.resolved.clusters:
        if cluster.caps.server_side_apply or cluster.spec.base is not None:
            continue
        ref = cluster.spec.migration_controller
        yield Finding(
            (*cluster.spec.path, "openshiftVersion"),
            f"OpenShift {cluster.version} has no server-side apply (from 4.3): Argo CD applies the partial "
            f"MigrationController {ref.namespace}/{ref.name} client-side, a merge into the one the cluster holds; "
            "if it does not exist yet, one holding only these keys is created",
            suggestion="create the MigrationController first (controller-3.yml), or give this cluster a `base` "
            "holding it",
        )
