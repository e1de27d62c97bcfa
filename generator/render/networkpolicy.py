"""rsync NetworkPolicies: egress for the client pods in each source namespace, ingress for the server pods in
each target namespace (facts §3.3/§3.4: connections always go source -> destination, servers only listen).

What each cluster can enforce is read from its capabilities (spec §4.1, `ResolvedCluster.caps`): the source
decides the egress policy (whether one is emitted, `endPort`, the DNS peer), the target the ingress policy
(router namespace label, namespace-name selectors). `ipBlock.except` is never used (SDN < 4.10 ignores the
whole block).
"""

from __future__ import annotations

from generator.mtc import facts
from generator.mtc.resolve import ResolvedPair
from generator.mtc.versions import MtcVersion
from generator.render.objects import Obj, metadata, tcp
from generator.spec.model import EndpointType, PolicyMode


def rsync_pod_selector(mtc: MtcVersion) -> Obj:
    """Every DVM rsync pod of this MTC version and nothing else (facts §3.2).

    `owner` is on every rsync pod since 1.6; `app` is rsync-transfer, or rsync-transfer-block for 1.8 block
    pods. The per-run `directvolumemigration` UID label is never used: it changes on every migration.
    """
    apps = [facts.DVM_APP_FS, facts.DVM_APP_BLOCK] if mtc.minor >= 8 else [facts.DVM_APP_FS]
    owner_key, owner_value = facts.DVM_OWNER_LABEL
    return {
        "matchLabels": {owner_key: owner_value},
        "matchExpressions": [{"key": facts.DVM_APP_LABEL_KEY, "operator": "In", "values": apps}],
    }


def _namespace_selector(namespace: str) -> Obj:
    return {"matchLabels": {facts.NAMESPACE_NAME_LABEL: namespace}}


def _dns_rule(resolved: ResolvedPair) -> Obj:
    """DNS on 53 and 5353, TCP and UDP: to the cluster DNS pods where they are selectable by namespace name
    (4.8+, spec §4.1), port-only before (3.x serves DNS from the nodes; 4.6/4.7 lack the name label)."""
    ports = [{"protocol": proto, "port": port} for port in facts.DNS_PORTS for proto in ("UDP", "TCP")]
    dns_namespace = resolved.source.caps.dns_namespace
    if dns_namespace is None:
        return {"ports": ports}
    return {"to": [{"namespaceSelector": _namespace_selector(dns_namespace)}], "ports": ports}


def _target_networks(resolved: ResolvedPair) -> list[Obj]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in resolved.target_cidrs]


def _endpoint_egress(resolved: ResolvedPair, target_namespace: str) -> Obj:
    """Where the client stunnel connects (facts §3.3), or the proxy when one is set."""
    address = resolved.stunnel_proxy
    if address is not None and address.port is not None:
        rule: Obj = {"ports": [tcp(address.port)]}
        if address.cidr is not None:
            rule = {"to": [{"ipBlock": {"cidr": address.cidr}}], **rule}
        return rule
    endpoint = resolved.endpoint
    if endpoint is EndpointType.ROUTE:
        return {"to": _target_networks(resolved), "ports": [tcp(facts.ROUTE_PORT)]}
    if endpoint is EndpointType.NODE_PORT:
        if resolved.source.caps.end_port:
            return {"to": _target_networks(resolved), "ports": [tcp(*facts.NODE_PORT_RANGE)]}
        # Before 4.10 the API server drops endPort and only port 30000 would stay open (facts §9): any TCP port
        # to the destination's worker addresses instead (rule node-port-range says so).
        return {"to": _target_networks(resolved), "ports": [{"protocol": "TCP"}]}
    if resolved.same_cluster:
        peer = {
            "namespaceSelector": _namespace_selector(target_namespace),
            "podSelector": rsync_pod_selector(resolved.mtc),
        }
        return {"to": [peer], "ports": [tcp(facts.STUNNEL_PORT)]}
    return {"to": _target_networks(resolved), "ports": [tcp(facts.STUNNEL_PORT)]}


def _server_ingress(resolved: ResolvedPair, source_namespace: str) -> Obj:
    """Who reaches the server pods on 6443 (facts §5): the routers, anyone via a node port, or the clients."""
    endpoint = resolved.endpoint
    ports = {"ports": [tcp(facts.STUNNEL_PORT)]}
    if endpoint is EndpointType.ROUTE:
        router = dict(resolved.target.caps.router_namespace_label)
        return {"from": [{"namespaceSelector": {"matchLabels": router}}], **ports}
    if endpoint is EndpointType.CLUSTER_IP and resolved.same_cluster:
        peer = {
            "namespaceSelector": _namespace_selector(source_namespace),
            "podSelector": rsync_pod_selector(resolved.mtc),
        }
        return {"from": [peer], **ports}
    # NodePort: the source address after SNAT is not reliably matchable (facts §5), so the rule is port-only.
    return ports


def egress_policy(resolved: ResolvedPair, source_ns: str, target_ns: str) -> Obj | None:
    """The source namespace's policy; None in mode `none`, and where the source does not enforce egress
    policies (OpenShift SDN before 4.10: ignored, and 3.x mis-programs egress-only policies, spec §4.1)."""
    mode = resolved.spec.network_policy_mode
    if mode is PolicyMode.NONE or resolved.source.caps.egress_policy is False:
        return None
    egress: list[Obj]
    if mode is PolicyMode.OPEN:
        name, egress = facts.OPEN_EGRESS_POLICY, [{}]
    else:
        name, egress = facts.STRICT_EGRESS_POLICY, [_dns_rule(resolved), _endpoint_egress(resolved, target_ns)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, source_ns),
        "spec": {"podSelector": rsync_pod_selector(resolved.mtc), "policyTypes": ["Egress"], "egress": egress},
    }


def ingress_policy(resolved: ResolvedPair, source_ns: str, target_ns: str) -> Obj | None:
    mode = resolved.spec.network_policy_mode
    if mode is PolicyMode.NONE:
        return None
    ingress: list[Obj]
    if mode is PolicyMode.OPEN:
        name, ingress = facts.OPEN_INGRESS_POLICY, [{}]
    else:
        name, ingress = facts.STRICT_INGRESS_POLICY, [_server_ingress(resolved, source_ns)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, target_ns),
        "spec": {"podSelector": rsync_pod_selector(resolved.mtc), "policyTypes": ["Ingress"], "ingress": ingress},
    }
