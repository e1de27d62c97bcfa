"""rsync NetworkPolicies: egress for the client pods in each source namespace, ingress for the server pods in
each target namespace (facts §3.3/§3.4: connections always go source -> destination, servers only listen)."""

from __future__ import annotations

from generator.mtc import facts
from generator.mtc.addresses import parse_proxy_url, sorted_networks
from generator.mtc.versions import MtcVersion
from generator.render.objects import Obj, metadata, tcp
from generator.spec.model import ClusterPair, EndpointType, PolicyMode


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


def _dns_rule() -> Obj:
    ports = [{"protocol": proto, "port": port} for port in facts.DNS_PORTS for proto in ("UDP", "TCP")]
    return {"ports": ports}


def _target_networks(pair: ClusterPair) -> list[Obj]:
    return [{"ipBlock": {"cidr": str(net)}} for net in sorted_networks(pair.target.cidrs)]


def _endpoint_egress(pair: ClusterPair, target_namespace: str, mtc: MtcVersion) -> Obj:
    """Where the client stunnel connects (facts §3.3), or the proxy when one is set."""
    proxy = pair.dvm.stunnel_tcp_proxy
    address = parse_proxy_url(proxy.url) if proxy else None
    if address is not None and address.port is not None:
        rule: Obj = {"ports": [tcp(address.port)]}
        if address.cidr is not None:
            rule = {"to": [{"ipBlock": {"cidr": address.cidr}}], **rule}
        return rule
    endpoint = pair.target.rsync_endpoint_type
    if endpoint is EndpointType.ROUTE:
        return {"to": _target_networks(pair), "ports": [tcp(facts.ROUTE_PORT)]}
    if endpoint is EndpointType.NODE_PORT:
        return {"to": _target_networks(pair), "ports": [tcp(*facts.NODE_PORT_RANGE)]}
    if pair.same_cluster:
        peer = {"namespaceSelector": _namespace_selector(target_namespace), "podSelector": rsync_pod_selector(mtc)}
        return {"to": [peer], "ports": [tcp(facts.STUNNEL_PORT)]}
    return {"to": _target_networks(pair), "ports": [tcp(facts.STUNNEL_PORT)]}


def _server_ingress(pair: ClusterPair, source_namespace: str, mtc: MtcVersion) -> Obj:
    """Who reaches the server pods on 6443 (facts §5): the routers, anyone via a node port, or the clients."""
    endpoint = pair.target.rsync_endpoint_type
    ports = {"ports": [tcp(facts.STUNNEL_PORT)]}
    if endpoint is EndpointType.ROUTE:
        return {"from": [{"namespaceSelector": {"matchLabels": dict(facts.ROUTER_NAMESPACE_LABEL)}}], **ports}
    if endpoint is EndpointType.CLUSTER_IP and pair.same_cluster:
        peer = {"namespaceSelector": _namespace_selector(source_namespace), "podSelector": rsync_pod_selector(mtc)}
        return {"from": [peer], **ports}
    # NodePort: the source address after SNAT is not reliably matchable (facts §5), so the rule is port-only.
    return ports


def egress_policy(pair: ClusterPair, source_ns: str, target_ns: str, mtc: MtcVersion) -> Obj | None:
    mode = pair.network_policy_mode
    if mode is PolicyMode.NONE:
        return None
    egress: list[Obj]
    if mode is PolicyMode.OPEN:
        name, egress = facts.OPEN_EGRESS_POLICY, [{}]
    else:
        name, egress = facts.STRICT_EGRESS_POLICY, [_dns_rule(), _endpoint_egress(pair, target_ns, mtc)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, source_ns),
        "spec": {"podSelector": rsync_pod_selector(mtc), "policyTypes": ["Egress"], "egress": egress},
    }


def ingress_policy(pair: ClusterPair, source_ns: str, target_ns: str, mtc: MtcVersion) -> Obj | None:
    mode = pair.network_policy_mode
    if mode is PolicyMode.NONE:
        return None
    ingress: list[Obj]
    if mode is PolicyMode.OPEN:
        name, ingress = facts.OPEN_INGRESS_POLICY, [{}]
    else:
        name, ingress = facts.STRICT_INGRESS_POLICY, [_server_ingress(pair, source_ns, mtc)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, target_ns),
        "spec": {"podSelector": rsync_pod_selector(mtc), "policyTypes": ["Ingress"], "ingress": ingress},
    }
