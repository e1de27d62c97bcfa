"""Preflight's NetworkPolicy evaluator against network-config-analyzer (nca), an independent implementation.

Test design notes:

* Property test (hypothesis): random policy sets in one namespace — pod and namespace selectors with
  ``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists, DoesNotExist), ``ipBlock`` with and without
  ``except``, ports with and without ``endPort``, TCP and UDP, ``policyTypes`` given or defaulted — and a fixed
  small cluster: three namespaces with labels, pods with labels in each, three outside addresses. Every
  connection between a pod of the policies' namespace and every other pod and address (both directions, three
  ports) gets the evaluator's verdict; nca must permit exactly the ones the evaluator allows and forbid the
  others (one ``permits`` and one ``forbids`` call per example, single ports and single addresses so
  "not allowed" means "forbidden").
* What an OpenShift version enforces (spec §4.1) is checked the same way: the evaluator reads the original
  policies with SDN-before-4.10 enforcement (no egress, no ipBlock with except, no endPort); nca reads the
  policies rewritten by this module the way such a cluster treats them (Egress dropped from policyTypes, every
  ipBlock with except removed, endPort removed). The two must agree.
* Scenario tests build cluster states from scratch the way OpenShift users write them — default-deny,
  allow-same-namespace, OpenShift's allow-from-openshift-ingress, a policy with matchExpressions, one with an
  ipBlock except — run the whole ``preflight()`` over state files, and check every verdict (today and after the
  generated output) against nca over the same objects, one nca call per verdict.
* Left out: ``egress: []`` without ``policyTypes`` (the API server does not default Egress for an empty list,
  nca does; exported state always carries policyTypes), and rules of a direction ``policyTypes`` omits (nca
  refuses them, the API ignores them).
* nca does not model egress firewalls: their verdicts are checked against the facts: tests/preflight/test_preflight.py.
* Example counts are modest (2 cores): nca costs about 0.5 s per call.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from generator.clusterpair.load import load_spec
from generator.clusterpair.values import MtcVersion
from generator.mtc.connections import DNS_POD_LABELS, ROUTER_POD_LABELS, client_labels, server_labels
from generator.mtc.resolve import resolve
from generator.preflight.analyse import Row
from generator.preflight.netpol import compile_policy, interval
from generator.preflight.policyeval import AddressEnd, Enforcement, PodEnd, Query, evaluate
from generator.preflight.run import preflight
from generator.render.plan import render_pair
from tests.oracles import nca
from tests.oracles.nca import Conn, Pod

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
NS_LABELS = {
    "app": {"team": "a"},
    "other": {"team": "b"},
    "infra": {"env": "prod", "team": "a"},
}
PODS = {
    ("app", "p0"): {"role": "db", "tier": "x"},
    ("app", "p1"): {"role": "web"},
    ("app", "p2"): {},
    ("other", "q0"): {"role": "db"},
    ("infra", "r0"): {"role": "web", "tier": "x"},
}
ADDRESSES = ("10.0.0.5", "10.0.1.5", "192.0.2.7")
PORTS = ((80, "TCP"), (443, "TCP"), (80, "UDP"))
RESOURCES = [nca.namespace(ns, labels) for ns, labels in NS_LABELS.items()]
RESOURCES += [nca.pod(ns, name, labels) for (ns, name), labels in PODS.items()]
SDN_49 = Enforcement(egress=False, ipblock_except=False, end_port=False)
FULL = Enforcement()

# --- strategies ----------------------------------------------------------------------------------------------

KEYS = ("role", "tier", "team", "env")
VALUES = ("db", "web", "x", "a", "b", "prod")
expressions = st.builds(
    lambda key, op, values: {"key": key, "operator": op, **({"values": values} if op in ("In", "NotIn") else {})},
    st.sampled_from(KEYS),
    st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True),
)
selectors = st.builds(
    lambda labels, exprs: {
        **({"matchLabels": labels} if labels else {}),
        **({"matchExpressions": exprs} if exprs else {}),
    },
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
    st.lists(expressions, max_size=2),
)
ip_blocks = st.sampled_from(
    [
        {"cidr": "10.0.0.0/16"},
        {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]},
        {"cidr": "10.0.0.0/24", "except": ["10.0.0.0/29"]},
        {"cidr": "0.0.0.0/0", "except": ["192.0.2.0/24"]},
        {"cidr": "192.0.2.7/32"},
    ]
)
peers = st.one_of(
    st.builds(lambda s: {"podSelector": s}, selectors),
    st.builds(lambda s: {"namespaceSelector": s}, selectors),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, selectors, selectors),
    st.builds(lambda b: {"ipBlock": b}, ip_blocks),
)
ports = st.one_of(
    st.builds(
        lambda proto, port: {"protocol": proto, "port": port},
        st.sampled_from(("TCP", "UDP")),
        st.sampled_from((80, 443)),
    ),
    st.just({"protocol": "TCP", "port": 70, "endPort": 90}),
    st.just({"protocol": "UDP"}),
)


def _rule(peer_key: str) -> st.SearchStrategy[Obj]:
    return st.builds(
        lambda ps, pts: {**({peer_key: ps} if ps else {}), **({"ports": pts} if pts else {})},
        st.lists(peers, max_size=2),
        st.lists(ports, max_size=2),
    )


@st.composite
def policies(draw: st.DrawFn) -> list[Obj]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        spec: Obj = {"podSelector": draw(selectors)}
        ingress = draw(st.none() | st.lists(_rule("from"), max_size=2))
        egress = draw(st.none() | st.lists(_rule("to"), max_size=2))
        if ingress is not None:
            spec["ingress"] = ingress
        if egress is not None:
            spec["egress"] = egress
        types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
        if types is not None:  # nca refuses rules of a direction policyTypes leaves out (the API ignores them)
            spec["policyTypes"] = types
            for direction in ("ingress", "egress"):
                if direction.capitalize() not in types:
                    spec.pop(direction, None)
        elif spec.get("egress") == []:
            # The API server defaults Egress only for a non-empty egress list (len != 0); nca takes any egress
            # key. Exported state always carries policyTypes, so the case is left out rather than argued.
            del spec["egress"]
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"p{i}", "namespace": "app"},
                "spec": spec,
            }
        )
    return out


# --- the evaluator's answers and the version rewrite for nca ---------------------------------------------------


def _ns_labels(ns: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": ns, **NS_LABELS[ns]}


def _end(end: Pod | str) -> PodEnd | AddressEnd:
    if isinstance(end, Pod):
        return PodEnd(end.namespace, _ns_labels(end.namespace), PODS[(end.namespace, end.name)], {})
    net = ipaddress.ip_network(end)
    return AddressEnd(net.version, interval(net), end)


def evaluator_allows(objs: list[Obj], conn: Conn, enf: Enforcement) -> bool:
    compiled = [compile_policy(o, f"items[{i}]") for i, o in enumerate(objs)]
    port = conn.port or 1
    ok = True
    if isinstance(conn.src, Pod):
        q = Query(
            "egress",
            conn.src.namespace,
            PODS[(conn.src.namespace, conn.src.name)],
            _end(conn.dst),
            conn.protocol,
            (port, port),
            {},
        )
        ok = ok and evaluate(compiled, q, enf).allowed
    if isinstance(conn.dst, Pod):
        q = Query(
            "ingress",
            conn.dst.namespace,
            PODS[(conn.dst.namespace, conn.dst.name)],
            _end(conn.src),
            conn.protocol,
            (port, port),
            {},
        )
        ok = ok and evaluate(compiled, q, enf).allowed
    return ok


def as_enforced_by_sdn_49(objs: list[Obj]) -> list[Obj]:
    """What OpenShift SDN before 4.10 enforces (facts §9), written as plain policies for nca."""
    out = []
    for obj in copy.deepcopy(objs):
        spec = obj["spec"]
        types = spec.get("policyTypes") or ["Ingress", *(["Egress"] if spec.get("egress") else [])]
        types = [t for t in types if t != "Egress"]
        spec.pop("egress", None)
        if not types:
            continue
        spec["policyTypes"] = types
        for rule in spec.get("ingress") or []:
            if rule.get("from"):
                kept = [p for p in rule["from"] if not ("ipBlock" in p and p["ipBlock"].get("except"))]
                rule["from"] = kept or [{"ipBlock": {"cidr": "255.255.255.255/32"}}]  # nothing left: matches nothing
            for port in rule.get("ports") or []:
                port.pop("endPort", None)
        out.append(obj)
    return out


def _conns() -> list[Conn]:
    subjects = [Pod(ns, name) for (ns, name) in PODS if ns == "app"]
    others: list[Pod | str] = [Pod(ns, name) for (ns, name) in PODS] + [f"{a}/32" for a in ADDRESSES]
    out = []
    for s in subjects:
        for o in others:
            if o == s:
                continue
            for port, proto in PORTS:
                out.append(Conn(s, o, port, proto))
                if not isinstance(o, Pod) or o.namespace != "app":
                    out.append(Conn(o, s, port, proto))
    return out


CONNS = _conns()


def _agree(objs: list[Obj], enf: Enforcement, for_nca: list[Obj]) -> None:
    allowed = [c for c in CONNS if evaluator_allows(objs, c, enf)]
    blocked = [c for c in CONNS if c not in allowed]
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = []
        if allowed:
            jobs.append(pool.submit(nca.permits, for_nca, RESOURCES, allowed, deny_in=[]))
        if blocked:
            jobs.append(pool.submit(nca.forbids, for_nca, RESOURCES, blocked, deny_in=[]))
        for job in jobs:
            verdict = job.result()
            assert verdict, f"nca disagrees with the evaluator on:\n{yaml.safe_dump(objs)}\n{verdict!r}"


# No shrinking: each step costs nca calls (minutes); a failure prints the whole policy set instead.
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def _policy(name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "app"},
        "spec": spec,
    }


def _expr(key: str, op: str, *values: str) -> Obj:
    return {"key": key, "operator": op, **({"values": list(values)} if values else {})}


# Explicit examples first: every operator, except and endPort decide at least one connection.
EXAMPLES = [
    [
        _policy(
            "notin",
            {
                "podSelector": {"matchExpressions": [_expr("role", "NotIn", "db")]},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"namespaceSelector": {"matchExpressions": [_expr("team", "NotIn", "b")]}}],
                        "ports": [{"port": 80}],
                    }
                ],
            },
        )
    ],
    [
        _policy(
            "exists",
            {
                "podSelector": {"matchExpressions": [_expr("tier", "DoesNotExist")]},
                "ingress": [
                    {"from": [{"podSelector": {"matchExpressions": [_expr("role", "Exists")]}}]},
                    {"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}]},
                ],
            },
        )
    ],
    [
        _policy(
            "ranges",
            {
                "podSelector": {"matchLabels": {"role": "db"}},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [{"ports": [{"protocol": "TCP", "port": 70, "endPort": 90}, {"protocol": "UDP"}]}],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {"matchExpressions": [_expr("team", "In", "a")]},
                                "podSelector": {"matchExpressions": [_expr("role", "In", "web")]},
                            }
                        ]
                    }
                ],
            },
        ),
        _policy(
            "other",
            {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["192.0.2.0/24"]}}]}]},
        ),
    ],
]


def _examples(test: Any) -> Any:
    for objs in EXAMPLES:
        test = example(objs)(test)
    return test


@SETTINGS
@_examples
@given(policies())
def test_evaluator_agrees_with_nca_on_random_policies(objs: list[Obj]) -> None:
    _agree(objs, FULL, objs)


@SETTINGS
@_examples
@given(policies())
def test_evaluator_reads_sdn_before_410_as_nca_reads_the_rewritten_policies(objs: list[Obj]) -> None:
    _agree(objs, SDN_49, as_enforced_by_sdn_49(objs))


# --- whole-preflight scenarios ---------------------------------------------------------------------------------

SRC, DST = "shop", "shop"
M18 = MtcVersion(8, None)
TARGET_NET = "203.0.113.0/24"


def _np(ns: str, name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


DEFAULT_DENY = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
ALLOW_SAME_NS = {
    "podSelector": {},
    "ingress": [{"from": [{"podSelector": {}}]}],
    "egress": [{"to": [{"podSelector": {}}]}],
}
ALLOW_FROM_INGRESS = {
    "podSelector": {},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}}]}],
    "policyTypes": ["Ingress"],
}
EXPRESSIONS = {  # blocks all egress of pods with an `app` label other than web: the rsync pods among them
    "podSelector": {
        "matchExpressions": [
            {"key": "app", "operator": "Exists"},
            {"key": "app", "operator": "NotIn", "values": ["web"]},
        ]
    },
    "policyTypes": ["Egress"],
    "egress": [
        {
            "to": [
                {
                    "namespaceSelector": {
                        "matchExpressions": [
                            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["openshift-dns"]}
                        ]
                    }
                }
            ]
        }
    ],
}
EXCEPT = {  # egress to the destination network minus its first half: the route VIPs are in the excluded half
    "podSelector": {},
    "policyTypes": ["Egress"],
    "egress": [{"to": [{"ipBlock": {"cidr": TARGET_NET, "except": ["203.0.113.0/25"]}}], "ports": [{"port": 443}]}],
}
ROUTER_LABELS = {"policy-group.network.openshift.io/ingress": "", "network.openshift.io/policy-group": "ingress"}


def _ns(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
    }


def _write(path: Path, objs: list[Obj]) -> Path:
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objs}), encoding="utf-8")
    return path


SPEC = """apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: scenario}
spec:
  source: {name: east, openshiftVersion: '4.14', networkType: OVNKubernetes}
  target: {name: west, openshiftVersion: '4.14', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  networkPolicy: {mode: MODE}
  namespaces: [shop]
"""

SCENARIOS = {
    "default-deny": [DEFAULT_DENY],
    "default-deny-allow-same-namespace": [DEFAULT_DENY, ALLOW_SAME_NS],
    "allow-from-openshift-ingress": [DEFAULT_DENY, ALLOW_FROM_INGRESS],
    "match-expressions": [EXPRESSIONS],
    "ipblock-except": [EXCEPT],
    "none": [],
}


def _cluster_objs(policies: Iterable[Obj]) -> list[Obj]:
    return [_ns(SRC), _ns("openshift-dns"), _ns("openshift-ingress", ROUTER_LABELS)] + [
        _np(SRC, f"p{i}", spec) for i, spec in enumerate(policies)
    ]


def _nca_resources() -> list[Obj]:
    out = [nca.namespace(SRC), nca.namespace("openshift-dns"), nca.namespace("openshift-ingress", ROUTER_LABELS)]
    out += [
        nca.pod(SRC, "rsync-client", dict(client_labels(M18)[0])),
        nca.pod(SRC, "blockrsync-client", dict(client_labels(M18)[1])),
    ]
    out += [
        nca.pod(SRC, "rsync-server", dict(server_labels(M18)[0])),
        nca.pod(SRC, "blockrsync-server", dict(server_labels(M18)[1])),
    ]
    out += [
        nca.pod("openshift-dns", "dns", dict(DNS_POD_LABELS)),
        nca.pod("openshift-ingress", "router", dict(ROUTER_POD_LABELS)),
    ]
    return out


def _row_conns(row: Row) -> list[Conn]:
    """The connections one row stands for (the scenarios allow or block DNS on 53 and 5353 together)."""
    clients = [Pod(SRC, "rsync-client"), Pod(SRC, "blockrsync-client")]
    servers = [Pod(SRC, "rsync-server"), Pod(SRC, "blockrsync-server")]
    if row.connection == "endpoint":
        return [Conn(c, TARGET_NET, 443, "TCP") for c in clients]
    if row.connection == "server":
        return [Conn(Pod("openshift-ingress", "router"), s, 6443, "TCP") for s in servers]
    dns = Pod("openshift-dns", "dns")
    return [Conn(c, dns, port, proto) for c in clients for port in (53, 5353) for proto in ("UDP", "TCP")]


def _check(policies: list[Obj], rows: list[tuple[Row, bool]], label: str) -> None:
    """One nca call for every row the evaluator allows, one per row it blocks (which nca must not permit)."""
    allowed = [c for row, ok in rows if ok for c in _row_conns(row)]
    questions = [(None, allowed)] if allowed else []
    questions += [(row, _row_conns(row)) for row, ok in rows if not ok]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda q: nca.permits(policies, _nca_resources(), q[1], deny_in=[]), questions))
    for (row, _), answer in zip(questions, answers, strict=True):
        if row is None:
            assert answer, f"{label}: nca blocks what the evaluator allows\n{answer!r}"
        else:
            assert not answer, f"{label}: nca permits {row.connection}, which the evaluator says is blocked"


@pytest.mark.parametrize(
    ("scenario", "mode"),
    [pytest.param(s, "strict", id=f"{s}-strict") for s in SCENARIOS]
    + [pytest.param(s, "open", id=f"{s}-open") for s in ("default-deny", "ipblock-except")],
)
def test_preflight_verdicts_agree_with_nca(tmp_path: Path, scenario: str, mode: str) -> None:
    objs = _cluster_objs(SCENARIOS[scenario])
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("MODE", mode), encoding="utf-8")
    east, west = _write(tmp_path / "east.yaml", objs), _write(tmp_path / "west.yaml", objs)
    outcome = preflight(spec, {"east": east, "west": west})
    assert outcome.report is not None, [p.text() for p in outcome.problems]
    existing = [o for o in objs if o["kind"] == "NetworkPolicy"]
    pair, _ = load_spec(spec)
    assert pair is not None
    generated = {r.cluster.name: [p for _, p in r.policies] for r in render_pair(resolve(pair), None)}
    rows = outcome.report.rows
    _check(existing, [(r, r.today.allowed) for r in rows], f"{scenario}/{mode} today")
    for cluster in ("east", "west"):
        after = existing + generated[cluster]
        _check(after, [(r, r.after.allowed) for r in rows if r.cluster == cluster], f"{scenario}/{mode} after")


@pytest.mark.parametrize("scenario", ["default-deny-allow-same-namespace", "allow-from-openshift-ingress", "none"])
def test_after_closing_the_verdicts_are_the_users_own_per_nca(tmp_path: Path, scenario: str) -> None:
    """spec §9: a state that already holds the generated NetworkPolicies (applied earlier); after closing, every
    verdict must be nca's over the user's own policies alone, and an allowed one names the user's object."""
    existing = [_np(SRC, f"p{i}", spec) for i, spec in enumerate(SCENARIOS[scenario])]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("MODE", "strict"), encoding="utf-8")
    pair, _ = load_spec(spec)
    assert pair is not None
    generated = {r.cluster.name: [p for _, p in r.policies] for r in render_pair(resolve(pair), None)}
    base = [_ns(SRC), _ns("openshift-dns"), _ns("openshift-ingress", ROUTER_LABELS)]
    states = {c: _write(tmp_path / f"{c}.yaml", base + existing + generated[c]) for c in ("east", "west")}
    outcome = preflight(spec, states)
    assert outcome.report is not None, [p.text() for p in outcome.problems]
    rows = outcome.report.rows
    assert all(r.closed is not None for r in rows)
    assert all(r.today.allowed for r in rows), "the oracle: with ours applied, today is open"
    for cluster in ("east", "west"):
        mine = [r for r in rows if r.cluster == cluster]
        _check(existing, [(r, r.closed.allowed) for r in mine if r.closed], f"{scenario} closed on {cluster}")
    for row in rows:
        assert row.closed is not None
        assert not any("allow-dvm" in ref for ref in row.closed.allowed_by_theirs), "ours must be gone"
        if row.closed.allowed and existing:
            assert row.closed.allowed_by_theirs, f"{row.connection}: an allowed connection names what allows it"
            assert all(ref.startswith(f"NetworkPolicy {SRC}/p") for ref in row.closed.allowed_by_theirs)
