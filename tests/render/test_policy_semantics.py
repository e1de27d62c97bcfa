"""What the generated NetworkPolicies allow, computed by network-config-analyzer (nca) over a modelled cluster.

Test design notes:

* Matrix: every endpoint type (Route and NodePort between two clusters, ClusterIP within one cluster), with and
  without a stunnel TCP proxy given by IP, in ``strict`` and ``open`` mode. Specs are small YAML strings
  rendered through the library: ``parse_spec``, ``validate`` (no errors allowed), then ``render_pair``. The
  policies of both clusters go into one nca model. Namespace names differ between source and target, so one
  model serves the cross-cluster cases too.
* Model: source namespace ``shop`` and target namespace ``shop-v2``. Each holds the DVM pods with the labels
  mig-controller gives them (facts §3.2). The source has an fs rsync client and a 1.8 block client; the
  target has ``rsync-server`` and ``blockrsync-server``. Each namespace also holds three pods that must stay
  unselected: an app pod, a pod with only ``app: directvolumemigration-rsync-transfer`` (no ``owner``), and a
  pod with only the per-run ``directvolumemigration: <uid>`` label. Infrastructure namespaces are not ours and
  stay open: the router namespace (both router labels, facts §5), ``openshift-dns`` and a bystander.
* "Default deny in every namespace" means every namespace the policies are for, source and target. Default
  deny in the router or DNS namespace would block DVM whatever we generate, so they stay allow-all, as in
  tests/test_oracles.py.
* Strict mode is proved exact, one direction at a time, with ``nca.exactly`` (``--equiv``):
  * The source's policies under default deny in the source allow exactly DNS (53 and 5353, UDP and TCP) plus
    the endpoint, from the rsync clients only. The endpoint is the target cidrs on TCP 443 for Route, on TCP
    30000-32767 for NodePort, the target's rsync servers on 6443 for ClusterIP, or only the proxy's IP and
    port with a proxy. The strict DNS rule names no peer, so DNS is allowed to every pod outside the source
    and to every address, IPv6 included.
  * The target's policies under default deny in the target allow exactly TCP 6443 to the rsync servers: from
    the router pods for Route, from every pod and address for NodePort, from the source's rsync clients for
    ClusterIP.
* End to end, with both namespaces default-denied and every policy applied, in both modes:
  * ``permits``: the DVM connections.
  * nca's full ``connectivity`` report: an unselected pod appears in no line, a server is never a source, a
    client is never a destination, and in strict mode (except NodePort) only the expected peers reach the
    servers. This is exhaustive over pods, addresses and protocols, unlike a list of sample connections.
  * Strict mode also gets ``forbids`` over sample client connections to other ports and addresses, to name
    the cases the exact proof covers.
* Open mode allows all protocols, which nca counts beyond TCP/UDP/SCTP, so ``exactly`` cannot express it.
  ``permits`` shows the documented allow-all for the rsync pods instead.
* Stunnel proxy with a same-cluster ClusterIP: the service would be reached from the proxy, which strict
  ingress does not admit. Spec §3 makes a stunnel proxy on a same-cluster pair an error, so that scenario
  is not rendered: ``test_same_cluster_proxy_is_refused`` checks the error instead (it was two strict xfails).
* Per OpenShift version (spec §4.1, facts §9), each row on both sides of its boundary, in both modes
  (``VERSIONED``): egress enforced (SDN 4.9 / 4.10, and 3.11), ``endPort`` (OVN 4.9 / 4.10 NodePort), the
  namespace-name label (OVN 4.7 / 4.8: DNS to ``openshift-dns``; strict ClusterIP at 4.8, an error at 4.7)
  and the router label (target 4.6 / 4.7). The model follows the version: a target before 4.7 labels its
  router namespace only ``network.openshift.io/policy-group: ingress``. Where the source does not enforce
  egress policies (SDN before 4.10) none is generated, and the end-to-end model default-denies only the
  target (the source's egress is not filtered there): the DVM connections must still be permitted and the
  servers must admit only the endpoint path. Where ``endPort`` is missing, strict NodePort egress is exactly
  DNS plus any TCP port to the target cidrs.
* The router label ``policy-group.network.openshift.io/ingress: ""`` has an empty value, which nca 2.1.0
  misreads. ``tests.oracles.nca`` fixes that by default (``fix_empty_values``). A bystander namespace without
  the label is in the model, so an over-match would show (checked by hand: without the fix the Route
  ingress proof fails).
* Runtime: each nca call takes about 0.5 s. All connections of one question go into one call, every distinct
  question is asked once per module in threads (the open-mode policies do not depend on the endpoint, so
  they share answers), and the tests read the answers.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.clusterpair.load import parse_spec
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
TARGET_CIDR = "203.0.113.0/24"
TARGET_IP = "203.0.113.7"
OUTSIDE_IP = "198.51.100.7"
PROXY_IP, PROXY_PORT = "192.0.2.30", 3128
UID = "3f1c9d2e-7b5a-4c1e-9f00-0000000000aa"
DVM_FS, DVM_BLOCK = "directvolumemigration-rsync-transfer", "directvolumemigration-rsync-transfer-block"
DNS_PORTS = [(port, proto) for port in (53, 5353) for proto in ("UDP", "TCP")]
EVERYWHERE = ("0.0.0.0/0", "::/0")

CLIENTS = [Pod(SRC, "rsync-client"), Pod(SRC, "blockrsync-client")]
SERVERS = [Pod(DST, "rsync-server"), Pod(DST, "blockrsync-server")]
UNSELECTED = [Pod(ns, name) for ns in (SRC, DST) for name in ("web", "app-label-only", "uid-label-only")]
ROUTERS = [Pod(ROUTER_NS, "router-default")]
DNS_PODS = [Pod(DNS_NS, "dns-default")]
BYSTANDERS = [Pod(BYSTANDER_NS, "web")]
INFRA = ROUTERS + DNS_PODS + BYSTANDERS


def _resources(router_labels: Obj | None = None) -> list[Obj]:
    dvm = {
        "owner": "directvolumemigration",
        "directvolumemigration": UID,
        "app.kubernetes.io/part-of": "openshift-migration",
    }
    unselected = {
        "web": {"app": "web"},
        "app-label-only": {"app": DVM_FS},
        "uid-label-only": {"directvolumemigration": UID},
    }
    if router_labels is None:
        router_labels = {
            "policy-group.network.openshift.io/ingress": "",
            "network.openshift.io/policy-group": "ingress",
        }
    out = [
        nca.namespace(SRC),
        nca.namespace(DST),
        nca.namespace(ROUTER_NS, router_labels),
        nca.namespace(DNS_NS),
        nca.namespace(BYSTANDER_NS),
        # facts §3.2: fs clients carry created-for-pvc, block clients the -block app and pvc; servers purpose=rsync.
        nca.pod(SRC, "rsync-client", {**dvm, "app": DVM_FS, "migration.openshift.io/created-for-pvc": "data"}),
        nca.pod(SRC, "blockrsync-client", {**dvm, "app": DVM_BLOCK, "pvc": "disk"}),
        nca.pod(DST, "rsync-server", {**dvm, "app": DVM_FS, "purpose": "rsync"}),
        nca.pod(DST, "blockrsync-server", {**dvm, "app": DVM_BLOCK, "purpose": "rsync", "pvc": "disk"}),
        nca.pod(
            ROUTER_NS,
            "router-default",
            {"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"},
        ),
        nca.pod(DNS_NS, "dns-default", {"dns.operator.openshift.io/daemonset-dns": "default"}),
        nca.pod(BYSTANDER_NS, "web", {"app": "web"}),
    ]
    out += [nca.pod(p.namespace, p.name, unselected[p.name]) for p in UNSELECTED]
    return out


RESOURCES = _resources()
# facts §9: before 4.7 the router namespace carries only the legacy policy-group label.
RESOURCES_46 = _resources({"network.openshift.io/policy-group": "ingress"})
ALL_PODS = CLIENTS + SERVERS + UNSELECTED + INFRA


@dataclass(frozen=True)
class Scenario:
    endpoint: str  # Route | NodePort | ClusterIP (ClusterIP: source and target are one cluster)
    proxy: bool  # a stunnel TCP proxy given by IP
    mode: str  # strict | open
    source: str = "4.14"  # the source's OpenShift version
    plugin: str = "OVNKubernetes"  # the source's network plugin
    target: str = "4.14"  # the target's OpenShift version (the source's on a same-cluster pair)

    @property
    def id(self) -> str:
        versions = (
            ""
            if (self.source, self.plugin, self.target) == ("4.14", "OVNKubernetes", "4.14")
            else (f"{'sdn' if self.plugin == 'OpenShiftSDN' else 'ovn'}{self.source}-to-{self.target}-")
        )
        return f"{versions}{self.endpoint}-{'proxy' if self.proxy else 'direct'}-{self.mode}"

    @property
    def egress_enforced(self) -> bool:
        """facts §9: OVN enforces egress policies; OpenShift SDN from 4.10."""
        return self.plugin == "OVNKubernetes" or _minor(self.source) >= (4, 10)

    @property
    def end_port(self) -> bool:
        return _minor(self.source) >= (4, 10)

    @property
    def dns_by_name(self) -> bool:
        return _minor(self.source) >= (4, 8)

    @property
    def mtc18(self) -> bool:
        """facts §6: MTC 1.8 when both clusters are 4.10+; 1.7 otherwise."""
        return _minor(self.source) >= (4, 10) and _minor(self.target) >= (4, 10)

    @property
    def resources(self) -> list[Obj]:
        resources = RESOURCES if _minor(self.target) >= (4, 7) else RESOURCES_46
        if self.mtc18:
            return resources
        return [r for r in resources if r["metadata"]["name"] not in BLOCK_PODS]  # no block pods before 1.8

    def spec(self) -> str:
        target = "east" if self.endpoint == "ClusterIP" else "west"
        target_version = self.source if self.endpoint == "ClusterIP" else self.target
        target_plugin = self.plugin if self.endpoint == "ClusterIP" else "OVNKubernetes"
        cidrs = "" if self.endpoint == "ClusterIP" else f", cidrs: [{TARGET_CIDR}]"
        dvm = f"  dvm: {{stunnelTCPProxy: {{url: 'http://{PROXY_IP}:{PROXY_PORT}'}}}}\n" if self.proxy else ""
        return (
            "apiVersion: mtc-policygen.io/v1alpha1\n"
            "kind: ClusterPair\n"
            "metadata: {name: semantics}\n"
            "spec:\n"
            f"  source: {{name: east, openshiftVersion: '{self.source}', networkType: {self.plugin}}}\n"
            f"  target: {{name: {target}, openshiftVersion: '{target_version}', networkType: {target_plugin}, "
            f"rsyncEndpointType: {self.endpoint}{cidrs}}}\n"
            f"{dvm}"
            f"  networkPolicy: {{mode: {self.mode}}}\n"
            f"  namespaces: [{{source: {SRC}, target: {DST}}}]\n"
        )


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


BLOCK_PODS = {"blockrsync-client", "blockrsync-server"}


def _clients(scenario: Scenario) -> list[Pod]:
    """The rsync clients of the scenario's MTC version: block pods exist from MTC 1.8 (facts §3.2)."""
    return CLIENTS if scenario.mtc18 else [p for p in CLIENTS if p.name not in BLOCK_PODS]


def _servers(scenario: Scenario) -> list[Pod]:
    return SERVERS if scenario.mtc18 else [p for p in SERVERS if p.name not in BLOCK_PODS]


def _all_pods(scenario: Scenario) -> list[Pod]:
    return _clients(scenario) + _servers(scenario) + UNSELECTED + INFRA


# A stunnel proxy on a same-cluster pair is an error (spec §3): not rendered, see test_same_cluster_proxy_is_refused.
SCENARIOS = [
    Scenario(endpoint, proxy, mode)
    for mode in ("strict", "open")
    for endpoint in ("Route", "NodePort", "ClusterIP")
    for proxy in (False, True)
    if not (proxy and endpoint == "ClusterIP")
]
# spec §4.1, each row on both sides of its boundary version, both modes.
VERSIONED = [
    Scenario(endpoint, False, mode, source, plugin, target)
    for mode in ("strict", "open")
    for endpoint, source, plugin, target in (
        ("Route", "3.11", "OpenShiftSDN", "4.12"),  # egress unenforced, 3.x
        ("Route", "4.9", "OpenShiftSDN", "4.12"),  # egress unenforced
        ("Route", "4.10", "OpenShiftSDN", "4.12"),  # egress enforced
        ("NodePort", "4.9", "OVNKubernetes", "4.12"),  # no endPort
        ("NodePort", "4.10", "OVNKubernetes", "4.12"),  # endPort
        ("Route", "4.7", "OVNKubernetes", "4.12"),  # DNS port-only
        ("Route", "4.8", "OVNKubernetes", "4.12"),  # DNS to openshift-dns by name
        ("ClusterIP", "4.8", "OVNKubernetes", "4.8"),  # namespace-name selectors
        ("Route", "4.6", "OVNKubernetes", "4.6"),  # legacy router label
        ("Route", "4.6", "OVNKubernetes", "4.7"),  # new router label
    )
]
ALL_SCENARIOS = SCENARIOS + VERSIONED


def _params(scenarios: Iterable[Scenario]) -> list[Any]:
    return [pytest.param(s, id=s.id) for s in scenarios]


STRICT = _params(s for s in ALL_SCENARIOS if s.mode == "strict")
STRICT_ENFORCED = _params(s for s in ALL_SCENARIOS if s.mode == "strict" and s.egress_enforced)
OPEN = _params(s for s in ALL_SCENARIOS if s.mode == "open")
OPEN_ENFORCED = _params(s for s in ALL_SCENARIOS if s.mode == "open" and s.egress_enforced)
ALL = _params(ALL_SCENARIOS)


@functools.cache
def _policies(scenario: Scenario) -> tuple[tuple[str, Obj], ...]:
    """(namespace, policy) of every cluster of the rendered pair; the spec must pass validation."""
    pair, problems = parse_spec(scenario.spec(), "semantics.yaml", Path.cwd())
    assert pair is not None, [str(p) for p in problems]
    problems += validate(pair, Environment(), resolve(pair))
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    return tuple(item for render in render_pair(resolve(pair), None) for item in render.policies)


def _in(scenario: Scenario, *namespaces: str) -> list[Obj]:
    return [policy for ns, policy in _policies(scenario) if ns in namespaces]


def _conns(srcs: Iterable[Pod | str], dsts: Iterable[Pod | str], ports: Sequence[tuple[int | None, str]]) -> list[Conn]:
    dst_list = list(dsts)
    return [Conn(s, d, port, proto) for s in srcs for d in dst_list for port, proto in ports if s != d]


def _endpoint_conns(scenario: Scenario) -> list[Conn]:
    """Where the rsync clients' stunnel connects (facts §3.3), or the proxy (spec §4)."""
    if scenario.proxy:
        return _conns(_clients(scenario), [f"{PROXY_IP}/32"], [(PROXY_PORT, "TCP")])
    if scenario.endpoint == "Route":
        return _conns(_clients(scenario), [TARGET_CIDR], [(443, "TCP")])
    if scenario.endpoint == "NodePort" and not scenario.end_port:
        return _conns(_clients(scenario), [TARGET_CIDR], [(None, "TCP")])  # facts §9: no endPort before 4.10
    if scenario.endpoint == "NodePort":
        return [Conn(c, TARGET_CIDR, 30000, "TCP", end_port=32767) for c in _clients(scenario)]
    return _conns(_clients(scenario), _servers(scenario), [(6443, "TCP")])


def _dns_conns(scenario: Scenario, destinations: Iterable[Pod | str]) -> list[Conn]:
    return _conns(_clients(scenario), destinations, DNS_PORTS)


def _server_sources(scenario: Scenario) -> list[Pod | str]:
    """Who the rsync servers must accept 6443 from (spec §4): routers, anyone (node port), the clients.

    With a stunnel proxy the connection reaches a ClusterIP service from the proxy, not from the clients.
    """
    if scenario.endpoint == "Route":
        return list(ROUTERS)
    if scenario.endpoint == "NodePort":
        return [p for p in _all_pods(scenario) if p.namespace != DST] + list(EVERYWHERE)
    return [f"{PROXY_IP}/32"] if scenario.proxy else list(_clients(scenario))


def _dvm_conns(scenario: Scenario) -> list[Conn]:
    """The connections DVM needs, end to end."""
    # Default deny holds the source's other pods back, so node port traffic is shown coming from outside.
    sources = [*INFRA, *EVERYWHERE] if scenario.endpoint == "NodePort" else _server_sources(scenario)
    into_servers = _conns(sources, _servers(scenario), [(6443, "TCP")])
    return _endpoint_conns(scenario) + _dns_conns(scenario, DNS_PODS) + into_servers


def _strict_denied_client_conns(scenario: Scenario) -> list[Conn]:
    """Client traffic that strict mode must not allow: other ports, other addresses, pods directly."""
    any_tcp_to_target = scenario.endpoint == "NodePort" and not scenario.proxy and not scenario.end_port
    clients = _clients(scenario)
    other_ports = [(22, "TCP"), (6443, "UDP"), (8080, "TCP")]
    conns = _conns(clients, [OUTSIDE_IP, f"{PROXY_IP}/32"], other_ports)
    conns += _conns(clients, [TARGET_IP], [(6443, "UDP")] if any_tcp_to_target else other_ports)
    if scenario.dns_by_name:  # 4.8+: DNS only to the cluster DNS pods
        conns += _conns(_clients(scenario), [*BYSTANDERS, OUTSIDE_IP], [(53, "UDP"), (5353, "TCP")])
    conns += _conns(_clients(scenario), [*BYSTANDERS, *ROUTERS], [(443, "TCP"), (6443, "TCP")])
    if (scenario.proxy or scenario.endpoint != "Route") and not any_tcp_to_target:
        conns += _conns(_clients(scenario), [TARGET_IP], [(443, "TCP")])
    if scenario.proxy or scenario.endpoint != "NodePort":
        conns += _conns(_clients(scenario), [TARGET_IP], [(30000, "TCP"), (32767, "TCP")])
    elif scenario.end_port:
        conns += _conns(_clients(scenario), [TARGET_IP], [(29999, "TCP"), (32768, "TCP")])
    conns += _conns(_clients(scenario), [OUTSIDE_IP], [(443, "TCP"), (30000, "TCP")])
    if scenario.proxy:
        conns += _conns(_clients(scenario), [f"{PROXY_IP}/32"], [(PROXY_PORT + 1, "TCP"), (443, "TCP")])
    if scenario.proxy or scenario.endpoint != "ClusterIP":
        conns += _conns(_clients(scenario), _servers(scenario), [(6443, "TCP")])  # a pod is never inside an ipBlock
    else:
        conns += _conns(_clients(scenario), _servers(scenario), [(2222, "TCP"), (443, "TCP")])
    return conns


# --------------------------------------------------------------------------- nca questions

Question = tuple[str, tuple[Obj, ...], tuple[Conn, ...], tuple[str, ...]]  # query, policies, conns, deny_in


def q_source_exact(scenario: Scenario) -> Question:
    """4.8+: DNS to the openshift-dns pods only; before, the port-only rule reaches every pod and address."""
    outside_source = [p for p in _all_pods(scenario) if p.namespace != SRC]
    dns = DNS_PODS if scenario.dns_by_name else [*outside_source, *EVERYWHERE]
    want = _endpoint_conns(scenario) + _dns_conns(scenario, dns)
    return ("exactly", tuple(_in(scenario, SRC)), tuple(want), (SRC,))


def _deny_in(scenario: Scenario) -> tuple[str, ...]:
    """Default deny where the cluster filters: the source's egress only where egress policies are enforced."""
    return (SRC, DST) if scenario.egress_enforced else (DST,)


def q_target_exact(scenario: Scenario) -> Question:
    want = _conns(_server_sources(scenario), _servers(scenario), [(6443, "TCP")])
    return ("exactly", tuple(_in(scenario, DST)), tuple(want), (DST,))


def q_dvm_permitted(scenario: Scenario) -> Question:
    return ("permits", tuple(_in(scenario, SRC, DST)), tuple(_dvm_conns(scenario)), _deny_in(scenario))


def q_report(scenario: Scenario) -> Question:
    return ("connectivity", tuple(_in(scenario, SRC, DST)), (), _deny_in(scenario))


def q_strict_denied(scenario: Scenario) -> Question:
    return ("forbids", tuple(_in(scenario, SRC, DST)), tuple(_strict_denied_client_conns(scenario)), (SRC, DST))


def q_open_wide(scenario: Scenario) -> Question:
    any_port = [(None, "TCP"), (None, "UDP"), (None, "SCTP")]
    wide = _conns(_clients(scenario), [*INFRA, *_servers(scenario), *EVERYWHERE], any_port)
    wide += _conns([*INFRA, *EVERYWHERE], _servers(scenario), any_port)
    return ("permits", tuple(_in(scenario, SRC, DST)), tuple(wide), (SRC, DST))


def _questions(scenario: Scenario) -> list[Question]:
    if scenario.mode == "strict" and scenario.egress_enforced:
        builders = [q_source_exact, q_target_exact, q_dvm_permitted, q_report, q_strict_denied]
    elif scenario.mode == "strict":
        builders = [q_target_exact, q_dvm_permitted, q_report]
    elif scenario.egress_enforced:
        builders = [q_dvm_permitted, q_report, q_open_wide]
    else:
        builders = [q_dvm_permitted, q_report]
    return [build(scenario) for build in builders]


def _key(question: Question, scenario: Scenario) -> str:
    query, policies, conns, deny_in = question
    model = [_minor(scenario.target) >= (4, 7), scenario.mtc18]
    return json.dumps([query, policies, [repr(c) for c in conns], deny_in, model], sort_keys=True)


def _answer(question: Question, resources: list[Obj]) -> Any:
    query, policies, conns, deny_in = question
    if query == "connectivity":
        return nca.connectivity(list(policies), resources, deny_in=list(deny_in))
    ask = {"exactly": nca.exactly, "permits": nca.permits, "forbids": nca.forbids}[query]
    return ask(list(policies), resources, list(conns), deny_in=list(deny_in))


@pytest.fixture(scope="module")
def answers() -> dict[str, object]:
    """Every distinct question of the module, asked once, in threads (nca is a subprocess per call).

    Open-mode policies do not depend on the endpoint, so several scenarios share one answer.
    """
    unique = {_key(q, scenario): (q, scenario.resources) for scenario in ALL_SCENARIOS for q in _questions(scenario)}

    def safe(question: Question, resources: list[Obj]) -> object:
        try:
            return _answer(question, resources)
        except Exception as exc:  # noqa: BLE001 - re-raised in the test that asked
            return exc

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {key: pool.submit(safe, q, res) for key, (q, res) in unique.items()}
        return {key: future.result() for key, future in futures.items()}


def _ask(answers: dict[str, object], question: Question, scenario: Scenario) -> Any:
    key = _key(question, scenario)
    result = answers[key] if key in answers else _answer(question, scenario.resources)
    if isinstance(result, BaseException):
        raise result
    return result


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("scenario", ALL)
def test_generated_policies_match_the_mode(scenario: Scenario) -> None:
    """A cheap structural guard first: one egress policy in the source (where enforced), one ingress policy in
    the target; no selector on a label the cluster's version lacks (facts §9)."""
    names = sorted((ns, p["metadata"]["name"], tuple(p["spec"]["policyTypes"])) for ns, p in _policies(scenario))
    if scenario.mode == "strict":
        expected = [
            (SRC, "allow-dvm-rsync-client-egress", ("Egress",)),
            (DST, "allow-dvm-rsync-server-ingress", ("Ingress",)),
        ]
    else:
        expected = [
            (SRC, "allow-all-egress-from-rsync-pods", ("Egress",)),
            (DST, "allow-all-ingress-to-rsync-pods", ("Ingress",)),
        ]
    if not scenario.egress_enforced:
        expected = expected[1:]  # spec §4.1: no egress policy on an SDN source before 4.10
    assert names == expected
    text = json.dumps([p for _, p in _policies(scenario)])
    if not scenario.dns_by_name:
        assert "kubernetes.io/metadata.name" not in text
    assert ("endPort" in text) == (
        scenario.mode == "strict" and scenario.endpoint == "NodePort" and scenario.end_port and not scenario.proxy
    )
    assert '"except"' not in text


@pytest.mark.parametrize("scenario", STRICT_ENFORCED)
def test_strict_source_egress_is_exactly_dns_and_the_endpoint(answers: dict[str, object], scenario: Scenario) -> None:
    verdict = _ask(answers, q_source_exact(scenario), scenario)
    assert verdict, verdict


@pytest.mark.parametrize("scenario", STRICT)
def test_strict_target_ingress_is_exactly_6443_from_the_endpoint_path(
    answers: dict[str, object], scenario: Scenario
) -> None:
    verdict = _ask(answers, q_target_exact(scenario), scenario)
    assert verdict, verdict


@pytest.mark.parametrize("scenario", ALL)
def test_dvm_connections_are_permitted_end_to_end(answers: dict[str, object], scenario: Scenario) -> None:
    verdict = _ask(answers, q_dvm_permitted(scenario), scenario)
    assert verdict, verdict


def _ends(line: str) -> tuple[str, str]:
    """SRC and DST of one ``SRC => DST : CONNS`` line of nca's connectivity report."""
    src, rest = line.split(" => ", 1)
    return src.strip(), rest.split(" : ", 1)[0].strip()


@pytest.mark.parametrize("scenario", ALL)
def test_nobody_else_gains_anything(answers: dict[str, object], scenario: Scenario) -> None:
    """Exhaustive over pods, addresses and protocols: nca's full report under default deny where the cluster
    filters (the source only where it enforces egress policies)."""
    lines = _ask(answers, q_report(scenario), scenario)
    assert lines, "nca reported no connection at all"
    groups = (UNSELECTED, _clients(scenario), _servers(scenario))
    unselected, clients, servers = ({str(p) for p in group} for group in groups)
    into_servers = {str(p) for p in _server_sources(scenario) if isinstance(p, Pod)}
    only_some_into_servers = scenario.mode == "strict" and scenario.endpoint != "NodePort"
    enforced = scenario.egress_enforced
    if not enforced:  # the source namespace is not default-denied there: only the target's pods are ours to check
        unselected = {str(p) for p in UNSELECTED if p.namespace == DST}
    problems = []
    for line in lines:
        src, dst = _ends(line)
        if src in unselected or dst in unselected:
            problems.append(f"an unselected pod is reachable or reaches out: {line}")
        if src in servers:
            problems.append(f"the rsync servers only listen: {line}")
        if dst in clients and enforced:
            problems.append(f"the rsync clients only connect: {line}")
        if only_some_into_servers and dst in servers and src not in into_servers:
            problems.append(f"{scenario.endpoint}: the servers accept only {sorted(into_servers)}: {line}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scenario", STRICT_ENFORCED)
def test_strict_clients_reach_no_other_port_or_address(answers: dict[str, object], scenario: Scenario) -> None:
    verdict = _ask(answers, q_strict_denied(scenario), scenario)
    assert verdict, verdict


@pytest.mark.parametrize("scenario", OPEN_ENFORCED)
def test_open_mode_is_the_documented_allow_all_for_rsync_pods(answers: dict[str, object], scenario: Scenario) -> None:
    verdict = _ask(answers, q_open_wide(scenario), scenario)
    assert verdict, verdict


@pytest.mark.parametrize("mode", ["strict", "open"])
def test_same_cluster_proxy_is_refused(mode: str) -> None:
    """Spec §3 (was two strict xfails): the server would be reached from the proxy, which strict ingress does
    not admit; a stunnel proxy on a same-cluster pair is now an error, in both modes."""
    pair, problems = parse_spec(Scenario("ClusterIP", True, mode).spec(), "semantics.yaml", Path.cwd())
    assert pair is not None, [str(p) for p in problems]
    errors = [p for p in validate(pair, Environment(), resolve(pair)) if p.is_error]
    assert [p.rule for p in errors] == ["stunnel-proxy-same-cluster"], [p.text() for p in errors]


@pytest.mark.parametrize(
    ("source", "rule"),
    [pytest.param("4.7", "strict-namespace-by-name", id="4.7-error"), pytest.param("4.8", None, id="4.8-ok")],
)
def test_strict_clusterip_needs_namespace_name_labels(source: str, rule: str | None) -> None:
    """Spec §4.1: before 4.8 a strict ClusterIP policy cannot select the peer namespace by name (an error)."""
    spec = Scenario("ClusterIP", False, "strict", source).spec()
    pair, problems = parse_spec(spec, "semantics.yaml", Path.cwd())
    assert pair is not None, [str(p) for p in problems]
    errors = [p.rule for p in validate(pair, Environment(), resolve(pair)) if p.is_error]
    assert errors == ([rule] if rule else [])
