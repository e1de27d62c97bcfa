"""rsync NetworkPolicies: egress for the client pods in each source namespace, ingress for the server pods in
each target namespace (facts §3.3/§3.4: connections always go source -> destination, servers only listen).

Strict rules are written from the DVM connection model (`generator.mtc.connections`), which preflight reads
too, so the two cannot disagree. What each cluster can enforce comes from its capabilities (spec §4.1) through
that model: the DNS peer, `endPort`, the router namespace label; whether an egress policy is emitted at all
is decided here. `ipBlock.except` is never used (SDN < 4.10 ignores the whole block).
"""

from __future__ import annotations

import copy

from generator.clusterpair.model import NamespaceMapping, PolicyMode
from generator.mtc import connections, facts
from generator.mtc.connections import Connection, PeerKind, PortRange, Side
from generator.mtc.resolve import ResolvedPair
from generator.render.objects import Obj, metadata


def _peers(conn: Connection) -> list[Obj] | None:
    """The `to`/`from` peers of one modelled connection; None for a port-only rule."""
    peer = conn.peer
    if peer.kind is PeerKind.ANYWHERE or (peer.kind is PeerKind.ADDRESSES and not peer.networks):
        return None  # a node port, pre-4.8 DNS, or a proxy given by name: a NetworkPolicy cannot name a host
    if peer.kind is PeerKind.ADDRESSES:
        return [{"ipBlock": {"cidr": str(net)}} for net in peer.networks]
    if peer.namespace_labels is not None:
        namespaces: Obj = {"matchLabels": dict(peer.namespace_labels)}
    else:
        namespaces = {"matchLabels": {facts.NAMESPACE_NAME_LABEL: peer.namespace or conn.namespace}}
    out: Obj = {"namespaceSelector": namespaces}
    if peer.pod_selector is not None:
        out["podSelector"] = copy.deepcopy(dict(peer.pod_selector))  # never shared: the dumper would alias it
    return [out]


def _port(port: PortRange) -> Obj:
    if (port.port, port.last) == (1, 65535):
        return {"protocol": port.protocol}
    return {"protocol": port.protocol, "port": port.port, **({"endPort": port.end_port} if port.end_port else {})}


def connection_rule(conn: Connection) -> Obj:
    """The NetworkPolicy rule that allows one modelled connection and nothing else (spec §4 strict mode)."""
    peers = _peers(conn)
    ports = {"ports": [_port(p) for p in conn.allowed_ports]}
    if peers is None:
        return ports
    return {("to" if conn.side is Side.EGRESS else "from"): peers, **ports}


def _connections(resolved: ResolvedPair, source_ns: str, target_ns: str) -> dict[str, Connection]:
    mapping = resolved.mapping(source_ns, target_ns) or NamespaceMapping(source_ns, target_ns, None, ())
    return {conn.name: conn for conn in connections.namespace_connections(resolved, mapping)}


def egress_policy(resolved: ResolvedPair, source_ns: str, target_ns: str) -> Obj | None:
    """The source namespace's policy; None in mode `none`, with the openings closed (spec §9), and where the
    source does not enforce egress policies (OpenShift SDN before 4.10: ignored, and 3.x mis-programs
    egress-only policies, spec §4.1)."""
    mode = resolved.spec.network_policy_mode
    if mode is PolicyMode.NONE or resolved.openings.closed or resolved.source.caps.egress_policy is False:
        return None
    egress: list[Obj]
    if mode is PolicyMode.OPEN:
        name, egress = facts.OPEN_EGRESS_POLICY, [{}]
    else:
        conns = _connections(resolved, source_ns, target_ns)
        name, egress = facts.STRICT_EGRESS_POLICY, [connection_rule(conns["dns"]), connection_rule(conns["endpoint"])]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, source_ns, resolved.openings.record(resolved.name)),
        "spec": {
            "podSelector": connections.rsync_pod_selector(resolved.mtc),
            "policyTypes": ["Egress"],
            "egress": egress,
        },
    }


def ingress_policy(resolved: ResolvedPair, source_ns: str, target_ns: str) -> Obj | None:
    """The target namespace's policy; None in mode `none` and with the openings closed (spec §9)."""
    mode = resolved.spec.network_policy_mode
    if mode is PolicyMode.NONE or resolved.openings.closed:
        return None
    ingress: list[Obj]
    if mode is PolicyMode.OPEN:
        name, ingress = facts.OPEN_INGRESS_POLICY, [{}]
    else:
        server = _connections(resolved, source_ns, target_ns)["server"]
        name, ingress = facts.STRICT_INGRESS_POLICY, [connection_rule(server)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, target_ns, resolved.openings.record(resolved.name)),
        "spec": {
            "podSelector": connections.rsync_pod_selector(resolved.mtc),
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }
