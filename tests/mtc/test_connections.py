"""The DVM connection model (generator/mtc/connections.py) against the rendered NetworkPolicies, through nca.

Test design notes:

* One question per case and side: do the strict policies the library renders for a cluster, under default deny
  in the namespace they are for, allow *exactly* the connections the model lists for that side (nca
  ``--equiv``)? A rendered policy that allows something the model does not list, or misses something it lists,
  fails the test. The expected connections are derived from the model (``connections()``), never written here.
* The model is turned into nca connections over one modelled cluster: the DVM pods carry the labels the model
  gives them (facts §3.2), plus pods that must never be selected (an app pod, an ``app``-only pod, a UID-only
  pod), the routers, the DNS pods and a bystander namespace. A peer "anywhere" (port-only rules) is every pod
  outside the namespace plus every address; an address peer without networks (a proxy given by name) is the
  same, because a NetworkPolicy cannot name a host.
* Cases span the endpoint types, a proxy by IP and by name, and the §4.1 versions: a 4.7 source (no DNS
  namespace selector, no ``endPort``: every TCP port), a 4.6 target (legacy router label; the modelled router
  namespace then carries only that label, so a renderer using the new one fails), 4.14 clusters.
* Open mode is the documented allow-all: its policies allow more than the model on purpose, so only
  ``permits`` (every modelled connection allowed) is checked there.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from generator.clusterpair.load import parse_spec
from generator.clusterpair.values import MtcVersion, OcpVersion
from generator.mtc.connections import (
    DNS_POD_LABELS,
    ROUTER_POD_LABELS,
    Connection,
    PeerKind,
    Side,
    client_labels,
    connections,
    server_labels,
)
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import validate
from generator.render.plan import render_pair
from tests.oracles import nca
from tests.oracles.nca import Conn, Pod

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
SRC, DST = "shop", "shop-v2"
ROUTER_NS, DNS_NS, BYSTANDER_NS = "openshift-ingress", "openshift-dns", "bystander"
EVERYWHERE = ("0.0.0.0/0", "::/0")
M18 = MtcVersion(8, None)


def _pods() -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, name, labels): the DVM pods of 1.8 (1.7 selects only the fs ones), others, infrastructure."""
    fs_client, block_client = client_labels(M18)
    fs_server, block_server = server_labels(M18)
    out = [
        (SRC, "rsync-client", dict(fs_client)),
        (SRC, "blockrsync-client", dict(block_client)),
        (DST, "rsync-server", dict(fs_server)),
        (DST, "blockrsync-server", dict(block_server)),
        (ROUTER_NS, "router-default", dict(ROUTER_POD_LABELS)),
        (DNS_NS, "dns-default", dict(DNS_POD_LABELS)),
        (BYSTANDER_NS, "web", {"app": "web"}),
    ]
    for ns in (SRC, DST):
        out += [
            (ns, "web", {"app": "web"}),
            (ns, "app-label-only", {"app": "directvolumemigration-rsync-transfer"}),
            (ns, "uid-label-only", {"directvolumemigration": "3f1c9d2e"}),
        ]
    return out


PODS = _pods()
LEGACY_ROUTER_LABEL = {"network.openshift.io/policy-group": "ingress"}
# facts §5/§9: the router namespace carries both labels from 4.7, only the legacy one before.
ROUTER_LABELS = {
    True: {"policy-group.network.openshift.io/ingress": "", **LEGACY_ROUTER_LABEL},
    False: LEGACY_ROUTER_LABEL,
}


def _namespace_labels(ns: str, new_router_label: bool) -> dict[str, str]:
    return dict(ROUTER_LABELS[new_router_label]) if ns == ROUTER_NS else {}


@functools.cache
def _resources(new_router_label: bool) -> list[Obj]:
    namespaces = (SRC, DST, ROUTER_NS, DNS_NS, BYSTANDER_NS)
    out = [nca.namespace(ns, _namespace_labels(ns, new_router_label)) for ns in namespaces]
    return out + [nca.pod(ns, name, labels) for ns, name, labels in PODS]


def _spec(source: str, target: str, endpoint: str, *, proxy: str = "", same: bool = False, mode: str = "strict") -> str:
    cidrs = "" if same else ", cidrs: [203.0.113.0/24]"
    dvm = f"  dvm: {{stunnelTCPProxy: {{url: 'http://{proxy}:3128'}}}}\n" if proxy else ""
    target_name = "east" if same else "west"
    return (
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata: {name: model}\nspec:\n"
        f"  source: {{name: east, openshiftVersion: '{source}', networkType: OVNKubernetes}}\n"
        f"  target: {{name: {target_name}, openshiftVersion: '{target}', networkType: OVNKubernetes, "
        f"rsyncEndpointType: {endpoint}{cidrs}}}\n"
        f"{dvm}  networkPolicy: {{mode: {mode}}}\n  namespaces: [{{source: {SRC}, target: {DST}}}]\n"
    )


CASES = [
    pytest.param(_spec("4.7", "4.12", "Route"), id="ovn47-route"),
    pytest.param(_spec("4.7", "4.12", "ClusterIP"), id="ovn47-clusterip-cross-cluster"),
    pytest.param(_spec("4.7", "4.12", "Route", proxy="proxy.example.com"), id="ovn47-route-proxy-by-name"),
    pytest.param(_spec("4.7", "4.12", "Route", proxy="192.0.2.30"), id="ovn47-route-proxy-by-ip"),
    pytest.param(_spec("4.7", "4.12", "NodePort"), id="ovn47-nodeport-no-endport"),
    pytest.param(_spec("4.6", "4.6", "Route"), id="ovn46-route-legacy-router-label"),
    pytest.param(_spec("4.14", "4.14", "Route"), id="ovn414-route"),
    pytest.param(_spec("4.14", "4.14", "NodePort"), id="ovn414-nodeport"),
    pytest.param(_spec("4.14", "4.14", "ClusterIP", same=True), id="ovn414-clusterip-same-cluster"),
]


@functools.cache
def _rendered(spec: str) -> tuple[tuple[Connection, ...], tuple[tuple[str, Obj], ...], bool]:
    pair, problems = parse_spec(spec, "model.yaml", Path.cwd())
    assert pair is not None, [p.text() for p in problems]
    problems += validate(pair, Environment(), resolve(pair))
    assert not [p for p in problems if p.is_error], [p.text() for p in problems]
    policies = tuple(item for render in render_pair(resolve(pair), None) for item in render.policies)
    resolved = resolve(pair)
    return connections(resolved), policies, resolved.target.version >= OcpVersion(4, 7)


def _pods_where(namespaces: Iterable[str], label_sets: Iterable[Any] | None) -> list[Pod]:
    wanted = None if label_sets is None else [dict(labels) for labels in label_sets]
    names = set(namespaces)
    return [Pod(ns, name) for ns, name, labels in PODS if ns in names and (wanted is None or labels in wanted)]


def _peer_ends(conn: Connection, new_router_label: bool) -> list[Pod | str]:
    peer = conn.peer
    if peer.kind is PeerKind.ANYWHERE or (peer.kind is PeerKind.ADDRESSES and not peer.networks):
        return [Pod(ns, name) for ns, name, _ in PODS if ns != conn.namespace] + list(EVERYWHERE)
    if peer.kind is PeerKind.ADDRESSES:
        return [str(net) for net in peer.networks]
    if peer.namespace_labels is not None:
        wanted = dict(peer.namespace_labels).items()
        namespaces = [ns for ns, _, _ in PODS if wanted <= _namespace_labels(ns, new_router_label).items()]
    else:
        namespaces = [peer.namespace or conn.namespace]
    return list(_pods_where(namespaces, None if peer.pod_selector is None else peer.pod_labels))


def model_conns(conn: Connection, new_router_label: bool) -> list[Conn]:
    """The nca connections one modelled connection stands for."""
    own = _pods_where([conn.namespace], conn.pods.label_sets)
    out = []
    for port in conn.allowed_ports:
        number, end = (None, None) if (port.port, port.last) == (1, 65535) else (port.port, port.end_port)
        for pod in own:
            for other in _peer_ends(conn, new_router_label):
                src, dst = (pod, other) if conn.side is Side.EGRESS else (other, pod)
                out.append(Conn(src, dst, number, port.protocol, end))
    return out


def _exactly(spec: str, cluster_side: Side) -> nca.Verdict:
    conns, policies, new_label = _rendered(spec)
    namespace = SRC if cluster_side is Side.EGRESS else DST
    want = [c for conn in conns if conn.side is cluster_side for c in model_conns(conn, new_label)]
    resources = _resources(new_label)
    return nca.exactly([p for ns, p in policies if ns == namespace], resources, want, deny_in=[namespace])


@pytest.mark.parametrize("spec", CASES)
def test_rendered_policies_allow_exactly_the_modelled_connections(spec: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        egress, ingress = pool.map(lambda side: _exactly(spec, side), (Side.EGRESS, Side.INGRESS))
    assert egress, "source egress policies differ from the model"
    assert ingress, "target ingress policies differ from the model"


def test_open_mode_permits_every_modelled_connection() -> None:
    spec = _spec("4.14", "4.14", "Route", mode="open")
    conns, policies, new_label = _rendered(spec)
    want = [c for conn in conns for c in model_conns(conn, new_label)]
    assert nca.permits([p for _, p in policies], _resources(new_label), want, deny_in=[SRC, DST])


def test_the_model_is_derived_once_per_namespace_and_side() -> None:
    conns, _, _ = _rendered(_spec("4.14", "4.14", "Route"))
    assert [(c.name, c.side, c.namespace, c.cluster.name) for c in conns] == [
        ("endpoint", Side.EGRESS, SRC, "east"),
        ("dns", Side.EGRESS, SRC, "east"),
        ("server", Side.INGRESS, DST, "west"),
    ]
    endpoint = conns[0]
    assert [str(p) for p in endpoint.ports] == ["TCP 443"]
    assert [str(n) for n in endpoint.peer.networks] == ["203.0.113.0/24"]
    assert endpoint.leaves_cluster
