"""The connection model's per-pair parts are built once per pair, not per namespace: asking about several pairs
in turn must give each pair its own answer.

Test design notes:

* Three pairs that differ in every shared part: a Route pair (router-namespace label peer, DNS pods selected by
  namespace from 4.8), a 4.7 source (DNS port-only) with NodePort (server port-only), and a same-cluster
  ClusterIP pair, whose server peer is each mapping's own source namespace and cannot be shared.
* Their connections, asked namespace by namespace in turn (A, B, C, A, B, C ...), must equal those asked pair by
  pair; the kinds and namespaces checked come from the facts the model encodes, not from a stored answer.
"""

from __future__ import annotations

from pathlib import Path

from generator.clusterpair.load import parse_spec
from generator.mtc.connections import Connection, PeerKind, namespace_connections
from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair, resolve


def _pair(source: str, endpoint: str, *, same: bool = False) -> ResolvedPair:
    target = "name: east" if same else "name: west, cidrs: [203.0.113.0/24]"
    text = (
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata: {name: model}\nspec:\n"
        f"  source: {{name: east, openshiftVersion: '{source}', networkType: OVNKubernetes}}\n"
        f"  target: {{{target}, openshiftVersion: '4.14', networkType: OVNKubernetes, rsyncEndpointType: {endpoint}}}\n"
        "  namespaces: [{source: shop, target: shop-v2}, {source: books, target: books-v2},"
        " {source: toys, target: toys-v2}]\n"
    )
    pair, problems = parse_spec(text, "model.yaml", Path.cwd())
    assert pair is not None, [p.text() for p in problems]
    return resolve(pair, Environment())


def test_pairs_asked_in_turn_get_their_own_connections() -> None:
    pairs = [_pair("4.14", "Route"), _pair("4.7", "NodePort"), _pair("4.14", "ClusterIP", same=True)]
    alone = [[namespace_connections(p, ns) for ns in p.namespaces] for p in pairs]
    in_turn: list[list[tuple[Connection, ...]]] = [[] for _ in pairs]
    for i in range(3):
        for j, p in enumerate(pairs):
            in_turn[j].append(namespace_connections(p, p.namespaces[i]))
    assert in_turn == alone

    route, nodeport, same = alone
    for conns in route:
        dns, server = conns[1].peer, conns[2].peer
        assert (dns.kind, dns.namespace) == (PeerKind.PODS, "openshift-dns")
        assert server.namespace_labels == pairs[0].target.caps.router_namespace_label
    for conns in nodeport:
        assert conns[1].peer.kind is PeerKind.ANYWHERE  # DNS is served from the nodes before 4.8
        assert conns[2].peer.kind is PeerKind.ANYWHERE  # node port: port-only
    for ns, conns in zip(pairs[2].namespaces, same, strict=True):
        server = conns[2].peer
        assert (server.kind, server.namespace) == (PeerKind.PODS, ns.source)
        assert conns[0].peer.namespace == ns.target
