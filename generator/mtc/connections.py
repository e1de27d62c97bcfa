"""The network connections Direct Volume Migration opens, per namespace mapping, as domain data.

Derived once from a `ResolvedPair` (facts §3.2-§3.5, §5; spec §4 and §4.1), so the NetworkPolicy renderer,
the egress firewall renderer and `preflight` read one answer to "who opens what to where":

* `endpoint`: the source namespace's rsync client pods open TCP to where the destination exposes the rsync
  server — the route (destination `cidrs`, 443), a node port (destination `cidrs`, 30000-32767), the Service
  (ClusterIP, 6443: the target's rsync pods on one cluster, the destination `cidrs` across clusters) — or to
  the stunnel TCP proxy instead.
* `dns`: the same client pods resolve the route host (TCP/UDP 53 and 5353) — at the cluster DNS pods
  (`openshift-dns`, selectable by name from 4.8) or, before, anywhere (DNS is served from the nodes).
* `server`: the target namespace's rsync server pods accept TCP 6443 from where the endpoint type delivers —
  the router namespaces (the label the target's version carries), any address for a node port or a ClusterIP
  reached from another cluster (port-only), the source's rsync client pods for a same-cluster ClusterIP.

Servers never open a connection and clients never accept one (facts §3.4).
"""

from __future__ import annotations

import enum
import weakref
from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType
from typing import Any

from generator.clusterpair.model import EndpointType, NamespaceMapping
from generator.clusterpair.values import IpNetwork, MtcVersion
from generator.mtc import facts
from generator.mtc.resolve import ResolvedCluster, ResolvedPair
from generator.mtc.routes import route_hosts
from generator.mtc.thresholds import block_rsync
from generator.records import record

Labels = Mapping[str, str]

_DVM_COMMON: Labels = MappingProxyType(
    {facts.DVM_OWNER_LABEL[0]: facts.DVM_OWNER_LABEL[1], "app.kubernetes.io/part-of": "openshift-migration"}
)
# facts §3.1: container ports of the rsync server pods, for NetworkPolicy named ports.
SERVER_NAMED_PORTS: Mapping[str, int] = MappingProxyType({"stunnel": facts.STUNNEL_PORT, "rsyncd": 2222})
# Labels of the pods on the other side (facts §5, OpenShift's operators): never selected by our policies.
ROUTER_POD_LABELS: Labels = MappingProxyType(
    {"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"}
)
DNS_POD_LABELS: Labels = MappingProxyType({"dns.operator.openshift.io/daemonset-dns": "default"})
DNS_NAMED_PORTS: Mapping[str, int] = MappingProxyType({"dns": 5353, "dns-tcp": 5353})  # openshift-dns pods
HOST_NETWORK_NAMESPACE = "openshift-host-network"  # facts §5: host-network routers are matched through it
ROUTER_NAMESPACE = "openshift-ingress"


class Side(enum.Enum):
    """Which end of a connection a policy sees: the opener's egress or the listener's ingress."""

    EGRESS = "egress"
    INGRESS = "ingress"


class PeerKind(enum.Enum):
    PODS = "pods"  # pods matching `pod_labels` in the namespaces `namespace` or matching `namespace_labels`
    ADDRESSES = "addresses"  # `networks`, outside the cluster's pod network
    ANYWHERE = "anywhere"  # no peer restriction: any pod and any address (node-port and port-only rules)


@record
class PortRange:
    protocol: str
    port: int
    end_port: int | None = None

    @property
    def last(self) -> int:
        return self.end_port if self.end_port is not None else self.port

    def __str__(self) -> str:
        ports = f"{self.port}-{self.end_port}" if self.end_port is not None else str(self.port)
        return f"{self.protocol} {ports}"


@record
class Pods:
    """DVM rsync pods of one namespace: the selector our policies use and the concrete label sets (facts §3.2)."""

    namespace: str
    selector: Mapping[str, Any]
    label_sets: tuple[Labels, ...]  # one per pod kind: fs and (1.8) block
    named_ports: Mapping[str, int] = field(default_factory=dict)


@record
class Peer:
    kind: PeerKind
    what: str  # for people: "the destination routers", "the stunnel proxy 192.0.2.30"
    namespace: str | None = None  # PODS: one namespace by name
    namespace_labels: Labels | None = None  # PODS: the namespaces carrying these labels
    pod_labels: tuple[Labels, ...] = ()  # PODS: the labels of the pods DVM talks to there
    pod_selector: Mapping[str, Any] | None = None  # PODS: the selector our policies use; None: any pod there
    networks: tuple[IpNetwork, ...] = ()  # ADDRESSES
    hosts: tuple[str, ...] = ()  # the DNS names the clients connect to (egress firewall `dnsName` rules)
    named_ports: Mapping[str, int] = field(default_factory=dict)  # PODS: their container ports, by name


@record
class Connection:
    """One side of a DVM connection as the cluster `cluster` sees it at the pods `pods`."""

    name: str  # endpoint | dns | server
    mapping: NamespaceMapping
    cluster: ResolvedCluster
    side: Side
    pods: Pods
    peer: Peer
    ports: tuple[PortRange, ...]  # what DVM needs
    leaves_cluster: bool  # to an address outside the cluster: the namespace's egress firewall applies
    policy_ports: tuple[PortRange, ...] = ()  # how a NetworkPolicy on this cluster must write `ports` (if different)

    @property
    def allowed_ports(self) -> tuple[PortRange, ...]:
        """The ports a generated policy allows: `ports`, widened where the cluster cannot express them."""
        return self.policy_ports or self.ports

    @property
    def namespace(self) -> str:
        return self.pods.namespace

    def describe(self) -> str:
        ports = ", ".join(map(str, self.ports))
        arrow = "->" if self.side is Side.EGRESS else "<-"
        return f"{self.name}: rsync pods {arrow} {self.peer.what} on {ports}"


def rsync_pod_selector(mtc: MtcVersion) -> dict[str, Any]:
    """Every DVM rsync pod of this MTC version and nothing else (facts §3.2).

    `owner` is on every rsync pod since 1.6; `app` is rsync-transfer, or rsync-transfer-block for 1.8 block
    pods. The per-run `directvolumemigration` UID label is never used: it changes on every migration.
    """
    apps = [facts.DVM_APP_FS, facts.DVM_APP_BLOCK] if block_rsync(mtc) else [facts.DVM_APP_FS]
    owner_key, owner_value = facts.DVM_OWNER_LABEL
    return {
        "matchLabels": {owner_key: owner_value},
        "matchExpressions": [{"key": facts.DVM_APP_LABEL_KEY, "operator": "In", "values": apps}],
    }


def client_labels(mtc: MtcVersion) -> tuple[Labels, ...]:
    """facts §3.2: fs clients carry created-for-pvc, 1.8 block clients the -block app and `pvc`."""
    fs = {**_DVM_COMMON, "app": facts.DVM_APP_FS, "migration.openshift.io/created-for-pvc": "data"}
    block = {**_DVM_COMMON, "app": facts.DVM_APP_BLOCK, "pvc": "data"}
    return (fs, block) if block_rsync(mtc) else (fs,)


def server_labels(mtc: MtcVersion) -> tuple[Labels, ...]:
    """facts §3.2: `rsync-server` and the 1.8 `blockrsync-server` carry purpose=rsync."""
    fs = {**_DVM_COMMON, "app": facts.DVM_APP_FS, "purpose": "rsync"}
    block = {**_DVM_COMMON, "app": facts.DVM_APP_BLOCK, "purpose": "rsync", "pvc": "data"}
    return (fs, block) if block_rsync(mtc) else (fs,)


def _tcp(port: int, end_port: int | None = None) -> tuple[PortRange, ...]:
    return (PortRange("TCP", port, end_port),)


def _endpoint(pair: ResolvedPair, ns: NamespaceMapping) -> tuple[Peer, tuple[PortRange, ...], bool]:
    """Where the client stunnel connects (facts §3.3), or the proxy when one is set (spec §4)."""
    proxy = pair.stunnel_proxy
    if proxy is not None:
        net = proxy.network
        hosts: tuple[str, ...] = () if net is not None else (proxy.host,)
        port = proxy.port if proxy.port is not None else 0
        peer = Peer(
            PeerKind.ADDRESSES, f"the stunnel proxy {proxy.netloc}", networks=(net,) if net else (), hosts=hosts
        )
        return peer, _tcp(port), True
    nets = pair.target_networks
    apps_domain = pair.target.spec.apps_domain
    if pair.endpoint is EndpointType.ROUTE:
        hosts = tuple(route_hosts(ns.target, apps_domain, pair.mtc)) if apps_domain else ()
        peer = Peer(PeerKind.ADDRESSES, "the destination routers", networks=nets, hosts=hosts)
        return peer, _tcp(facts.ROUTE_PORT), True
    if pair.endpoint is EndpointType.NODE_PORT:
        peer = Peer(PeerKind.ADDRESSES, "the destination nodes", networks=nets)
        return peer, _tcp(*facts.NODE_PORT_RANGE), True
    if pair.same_cluster:
        peer = Peer(
            PeerKind.PODS,
            f"the rsync servers in {ns.target}",
            namespace=ns.target,
            pod_labels=server_labels(pair.mtc),
            pod_selector=rsync_pod_selector(pair.mtc),
            named_ports=SERVER_NAMED_PORTS,
        )
        return peer, _tcp(facts.STUNNEL_PORT), False
    return Peer(PeerKind.ADDRESSES, "the destination Service", networks=nets), _tcp(facts.STUNNEL_PORT), True


def _dns(pair: ResolvedPair) -> Peer:
    """The cluster DNS pods, by namespace name from 4.8 (any pod there); before, port-only (spec §4.1)."""
    dns_ns = pair.source.caps.dns_namespace
    if dns_ns is None:
        return Peer(PeerKind.ANYWHERE, "DNS (any address)")
    return Peer(
        PeerKind.PODS,
        f"the DNS pods in {dns_ns}",
        namespace=dns_ns,
        pod_labels=(DNS_POD_LABELS,),
        named_ports=DNS_NAMED_PORTS,
    )


def _clients_peer(pair: ResolvedPair, ns: NamespaceMapping) -> Peer:
    """The mapping's rsync clients: who reaches the server pods of a same-cluster ClusterIP on 6443."""
    return Peer(
        PeerKind.PODS,
        f"the rsync clients in {ns.source}",
        namespace=ns.source,
        pod_labels=client_labels(pair.mtc),
        pod_selector=rsync_pod_selector(pair.mtc),
    )


def _server_peer(pair: ResolvedPair) -> Peer | None:
    """Who reaches the server pods on 6443 (facts §5): the routers or anyone via a node port, the same for every
    mapping of the pair; None when it is the clients of the mapping (a same-cluster ClusterIP, `_clients_peer`)."""
    if pair.endpoint is EndpointType.ROUTE and pair.target.caps.host_network_router_is_default:
        # facts §11: host-network routers on SDN 4.6 and older carry namespace default's identity, which no
        # router-namespace label matches, and default has no label we can count on: port-only.
        return Peer(PeerKind.ANYWHERE, "the destination routers (any source: host-network routers match no label)")
    if pair.endpoint is EndpointType.ROUTE:
        label = pair.target.caps.router_namespace_label
        return Peer(
            PeerKind.PODS,
            "the router namespaces",
            namespace_labels=label,
            pod_labels=(ROUTER_POD_LABELS,),
        )
    if pair.endpoint is EndpointType.CLUSTER_IP and pair.same_cluster:
        return None
    # NodePort: the source address after SNAT is not reliably matchable (facts §5), so the rule is port-only.
    return Peer(PeerKind.ANYWHERE, "any node or address (node port)")


def dns_ports() -> tuple[PortRange, ...]:
    return tuple(PortRange(proto, port) for port in facts.DNS_PORTS for proto in ("UDP", "TCP"))


_DNS_PORTS = dns_ports()
_SERVER_PORTS = _tcp(facts.STUNNEL_PORT)


def endpoint_connection(pair: ResolvedPair, target_namespace: str) -> Connection:
    """The clients' connection to the endpoint alone (it depends only on the target namespace)."""
    mapping = pair.mapping_to(target_namespace) or NamespaceMapping(target_namespace, target_namespace, None, ())
    return namespace_connections(pair, mapping)[0]


@record
class _Shared:
    """What the connections of every namespace mapping of one pair have in common: renderers and rules ask for
    one mapping's connections at a time, once per namespace, so this is built once per pair, not per namespace.
    The label sets are shared between connections: read-only (`Labels` is a Mapping)."""

    selector: Mapping[str, Any]
    clients: tuple[Labels, ...]
    servers: tuple[Labels, ...]
    dns: Peer
    server: Peer | None  # None: it names the mapping's source namespace (a same-cluster ClusterIP)

    @classmethod
    def of(cls, pair: ResolvedPair) -> _Shared:
        mtc = pair.mtc
        return cls(rsync_pod_selector(mtc), client_labels(mtc), server_labels(mtc), _dns(pair), _server_peer(pair))


class _LastPair:
    """`_Shared` of the last pair asked about, held weakly and matched by identity (a pair's hash would cover
    every namespace); one tuple swapped whole, so concurrent callers never pair one's parts with another."""

    def __init__(self) -> None:
        self._entry: tuple[weakref.ref[ResolvedPair], _Shared] | None = None

    def shared(self, pair: ResolvedPair) -> _Shared:
        entry = self._entry
        if entry is not None and entry[0]() is pair:
            return entry[1]
        shared = _Shared.of(pair)
        self._entry = (weakref.ref(pair), shared)
        return shared


_LAST = _LastPair()


def namespace_connections(pair: ResolvedPair, ns: NamespaceMapping) -> tuple[Connection, ...]:
    """The three connections of one namespace mapping: endpoint and DNS (source), server (target)."""
    shared = _LAST.shared(pair)
    clients = Pods(ns.source, shared.selector, shared.clients)
    servers = Pods(ns.target, shared.selector, shared.servers, SERVER_NAMED_PORTS)
    peer, ports, leaves = _endpoint(pair, ns)
    # Before 4.10 the API server drops endPort (facts §9): a policy can only allow every TCP port for a range.
    ranged = any(p.end_port is not None for p in ports) and not pair.source.caps.end_port
    widened = tuple(PortRange(p.protocol, 1, 65535) for p in ports) if ranged else ()
    server = shared.server if shared.server is not None else _clients_peer(pair, ns)
    return (
        Connection("endpoint", ns, pair.source, Side.EGRESS, clients, peer, ports, leaves, widened),
        Connection("dns", ns, pair.source, Side.EGRESS, clients, shared.dns, _DNS_PORTS, False),
        Connection("server", ns, pair.target, Side.INGRESS, servers, server, _SERVER_PORTS, False),
    )


def connections(pair: ResolvedPair) -> tuple[Connection, ...]:
    """Every DVM connection of the pair, by namespace mapping (sorted as the pair's namespaces are)."""
    return tuple(conn for ns in pair.namespaces for conn in namespace_connections(pair, ns))
