"""Reachability oracle: network-config-analyzer (nca) 2.1.0 over generated NetworkPolicies.

Tests build a small cluster (``namespace()``, ``pod()``), list connections (``Conn``) and ask whether
the generated policies, on top of a default-deny policy in every namespace, ``permits`` them,
``forbids`` them, or allow ``exactly`` them and nothing else; ``connectivity`` returns nca's full
pod-level report for debugging or snapshot assertions.

What nca 2.1.0 does (verified by hand on this project's venv; POL, WANT, RES are YAML files, a v1
``List`` or a multi-document stream both work)::

    nca --permits WANT --base_np_list POL --resource_list RES -o yaml -f OUT
    nca --forbids WANT --base_np_list POL --resource_list RES -o yaml -f OUT
    nca --equiv   WANT --base_np_list POL --resource_list RES -o yaml -f OUT
    nca --connectivity POL --resource_list RES -o txt_no_fw_rules --output_endpoints pods -f OUT

* ``--resource_list`` (namespaces, pods) is shared by both configs. Without ``--base_np_list`` nca
  would read the policies of a live cluster through kubectl, so it is always passed.
* Exit code: 0 the query holds, 1 it does not, 4 not executed (WANT holds no policy, or the two
  configs' topologies differ), 7 an error, reported as ``Error: ...`` on stderr: an unknown key
  (``egres is not a valid entry in the specification of spec``) or a Pod without ``spec``
  (``Error: 'spec'``). Bit 2 is the ``--expected_output`` mismatch, unused here.
* ``--permits WANT``: every connection WANT *captures* (allows to/from the pods its policies
  select) is allowed by POL. ``--forbids WANT``: none of them is. So WANT is written here as one
  egress policy at the source pod and/or one ingress policy at the destination pod per ``Conn``,
  each selecting a single pod through the unique label :data:`POD_KEY` that ``pod()`` adds. The
  same WANT plus default-deny serves ``--equiv``, which compares *all* allowed connections: with
  default-deny everywhere on both sides it answers "exactly these connections, nothing else".
* ``-o yaml -f OUT`` writes a YAML list with one answer (``numerical_result``, ``textual_result``,
  ``explanation`` naming the offending src/dst/conn); stdout carries only chatter ("global: cluster
  has N unique endpoints", run time), stderr selector warnings ("A podSelector selects all pods in
  the current namespace; it should better be removed.") that are harmless.
* ``txt_no_fw_rules --output_endpoints pods`` prints sorted ``SRC => DST : CONNS`` lines without
  self-loops; address blocks appear as ranges (``203.0.113.0-203.0.113.127``), CONNS as
  ``All connections`` or ``{protocols:TCP,dst_ports:30000-32767}`` (``TCP, UDP`` with a space when
  merged) or ``All but {...}`` when the complement is shorter: fine for snapshots, not for parsing.
* ipBlock, endPort ranges and ``except`` are modelled exactly; pods have no IPs in nca, so an
  ipBlock never matches a pod (``0.0.0.0/0`` means "outside the cluster"), while a rule without
  peers (``to`` omitted) reaches every pod *and* every address.
* Runtime: 0.5-0.6 s per call here, of which about 0.45 s is interpreter start and imports and
  10-20 ms the query itself; batch many ``Conn`` into one call. In-process ``nca_main()`` would take
  ~15 ms but prepends ``.`` to ``os.environ['PATH']`` on every call and keeps singletons, so no.

Caveats and what this module does about them:

* **Missing namespace label read as "".** nca evaluates namespaceSelector values with
  ``namespace.labels.get(key, '')``, so a namespace *without* the key counts as having value "".
  ``matchLabels: {policy-group.network.openshift.io/ingress: ""}`` (and ``In`` with ``""``) thus
  matches every namespace lacking the key as well as the router's: it over-matches, and a
  "nothing else reaches the rsync server" test would fail for a correct policy (or a broken one
  would pass a permits test). ``NotIn`` with ``""`` under-matches (misses namespaces lacking the
  key). Non-empty values (``network.openshift.io/policy-group: ingress``), ``Exists``,
  ``DoesNotExist`` and all pod selectors are read correctly. Fix, on by default
  (``fix_empty_values``): add ``{key: K, operator: Exists}`` to each namespaceSelector asking for
  K="", which changes nothing in Kubernetes (K="" implies K exists) and makes nca exact.
  ``NotIn`` with ``""`` is refused.
* A policy whose namespace is not in RES is dropped with only "Namespace X is missing from the
  network configuration" on stderr, and the query still exits 0; a ``Conn`` to a pod not in RES
  would be vacuous. Both raise ``ValueError`` here.
* LiveSim: a policy that selects pods labelled like kube-dns (``k8s-app: kube-dns``) that RES lacks
  makes nca add a fake ``kube-system/kube-dns-livesim`` pod. Model DNS pods explicitly.
"""

from __future__ import annotations

import copy
import ipaddress
import subprocess
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .tools import TIMEOUT_S, ToolError, nca_bin

__all__ = [
    "POD_KEY",
    "Conn",
    "NcaError",
    "Pod",
    "Verdict",
    "connectivity",
    "default_deny",
    "exactly",
    "fix_empty_namespace_values",
    "forbids",
    "namespace",
    "permits",
    "pod",
    "want_policies",
]

POD_KEY = "oracle.mtc-policygen.io/pod"  # unique per pod in its namespace, so WANT can select one pod
_NS_NAME_KEY = "kubernetes.io/metadata.name"
Obj = dict[str, Any]


class NcaError(ToolError):
    """nca failed or did not run the query; the message has its exit code, output and stderr."""


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


Endpoint = Pod | str  # str: an address or CIDR outside the cluster, e.g. "203.0.113.7" or "0.0.0.0/0"


@dataclass(frozen=True)
class Conn:
    """A connection from ``src`` to ``dst``; ``port=None`` means every port of ``protocol``."""

    src: Endpoint
    dst: Endpoint
    port: int | None = None
    protocol: str = "TCP"
    end_port: int | None = None


@dataclass(frozen=True, repr=False)
class Verdict:
    """nca's answer; truthy when the query holds. Its repr carries nca's report for assert messages."""

    ok: bool
    query: str
    report: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:  # multi-line on purpose: pytest prints it under a failed assert
        return f"<nca --{self.query}: {'holds' if self.ok else 'DOES NOT HOLD'}>\n{self.report}"


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Obj:
    """A Namespace with the ``kubernetes.io/metadata.name`` label the API server always sets."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {_NS_NAME_KEY: name, **(labels or {})}},
    }


def pod(namespace: str, name: str, labels: Mapping[str, str] | None = None) -> Obj:
    """A Pod carrying ``labels`` plus :data:`POD_KEY`; nca needs a ``spec``, containers are optional."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {**(labels or {}), POD_KEY: name}},
        "spec": {"containers": [{"name": "main", "image": "example.invalid/none"}]},
    }


def default_deny(namespace: str) -> Obj:
    """Deny all ingress and egress of every pod in ``namespace``."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "oracle-default-deny", "namespace": namespace},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def _peer(end: Endpoint) -> Obj:
    if isinstance(end, Pod):
        return {
            "namespaceSelector": {"matchLabels": {_NS_NAME_KEY: end.namespace}},
            "podSelector": {"matchLabels": {POD_KEY: end.name}},
        }
    return {"ipBlock": {"cidr": str(ipaddress.ip_network(end, strict=False))}}


def _ports(conn: Conn) -> list[Obj]:
    port: Obj = {"protocol": conn.protocol}
    if conn.port is not None:
        port["port"] = conn.port
    if conn.end_port is not None:
        port["endPort"] = conn.end_port
    return [port]


def want_policies(conns: Iterable[Conn], only_in: Collection[str] | None = None) -> list[Obj]:
    """NetworkPolicies that allow exactly ``conns``: egress at a source pod, ingress at a destination pod.

    ``only_in`` limits them to pod ends in those namespaces (None: all); ``exactly`` needs that because
    a policy at a pod of an allow-all namespace would isolate the pod instead of allowing anything.
    """
    policies: list[Obj] = []
    for i, conn in enumerate(conns):
        if not isinstance(conn.src, Pod) and not isinstance(conn.dst, Pod):
            raise ValueError(f"{conn}: at least one end must be a Pod")
        for end, other, direction, peers in (
            (conn.src, conn.dst, "egress", "to"),
            (conn.dst, conn.src, "ingress", "from"),
        ):
            if isinstance(end, Pod) and (only_in is None or end.namespace in only_in):
                policies.append(
                    {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "NetworkPolicy",
                        "metadata": {"name": f"oracle-want-{i}-{direction}", "namespace": end.namespace},
                        "spec": {
                            "podSelector": {"matchLabels": {POD_KEY: end.name}},
                            "policyTypes": [direction.capitalize()],
                            direction: [{"ports": _ports(conn), peers: [_peer(other)]}],
                        },
                    }
                )
    return policies


def _fix_selector(selector: Obj) -> Obj:
    empty = [k for k, v in (selector.get("matchLabels") or {}).items() if v == ""]
    for expr in selector.get("matchExpressions") or []:
        if "" in (expr.get("values") or []):
            if expr.get("operator") == "NotIn":
                raise ValueError(f"nca 2.1.0 misreads NotIn with an empty value: {expr}")
            empty.append(expr["key"])
    if not empty:
        return selector
    exists = [{"key": k, "operator": "Exists"} for k in dict.fromkeys(empty)]
    return {**selector, "matchExpressions": [*(selector.get("matchExpressions") or []), *exists]}


def fix_empty_namespace_values(policy: Mapping[str, Any]) -> Obj:
    """A copy of ``policy`` whose namespaceSelectors nca 2.1.0 reads exactly (see module docstring)."""
    fixed: Obj = copy.deepcopy(dict(policy))
    spec = fixed.get("spec") or {}
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(direction) or []:
            for peer in rule.get(peers_key) or []:
                if peer.get("namespaceSelector") is not None:
                    peer["namespaceSelector"] = _fix_selector(peer["namespaceSelector"])
    return fixed


def _namespaces(resources: Sequence[Mapping[str, Any]]) -> list[str]:
    return [r["metadata"]["name"] for r in resources if r.get("kind") == "Namespace"]


def _check(
    policies: Sequence[Mapping[str, Any]],
    resources: Sequence[Mapping[str, Any]],
    conns: Sequence[Conn] | None,
) -> None:
    """Refuse input that nca would silently turn into a vacuous answer."""
    if conns is not None and not conns:
        raise ValueError("no connections to check")
    known = set(_namespaces(resources))
    pods = {
        (r["metadata"].get("namespace"), (r["metadata"].get("labels") or {}).get(POD_KEY))
        for r in resources
        if r.get("kind") == "Pod"
    }
    for r in resources:
        if r.get("kind") == "Pod" and r["metadata"].get("namespace") not in known:
            raise ValueError(f"pod {r['metadata'].get('name')}: namespace not in resources")
    for p in policies:
        if p.get("metadata", {}).get("namespace") not in known:
            raise ValueError(
                f"policy {p.get('metadata', {}).get('name')}: namespace not in resources (nca would ignore the policy)"
            )
    for conn in conns or []:
        for end in (conn.src, conn.dst):
            if isinstance(end, Pod) and (end.namespace, end.name) not in pods:
                raise ValueError(f"{end}: no such pod built with oracles.nca.pod() in resources")


def _prepare(
    policies: Iterable[Mapping[str, Any]],
    resources: Sequence[Mapping[str, Any]],
    deny_in: Collection[str] | None,
    fix_empty_values: bool,
) -> list[Obj]:
    namespaces = _namespaces(resources)
    if deny_in is not None and set(deny_in) - set(namespaces):
        raise ValueError(f"deny_in names namespaces not in resources: {sorted(set(deny_in) - set(namespaces))}")
    out = [default_deny(ns) for ns in namespaces if deny_in is None or ns in deny_in]
    out += [fix_empty_namespace_values(p) if fix_empty_values else copy.deepcopy(dict(p)) for p in policies]
    return out


def _run(args: list[str], files: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[int, str]:
    """Write ``files`` as YAML streams into a temp dir, run nca there, return (exit code, OUT text)."""
    with tempfile.TemporaryDirectory(prefix="nca-oracle-") as tmp:
        for name, objs in files.items():
            Path(tmp, name).write_text(yaml.safe_dump_all(list(objs), sort_keys=False), encoding="utf-8")
        argv = [nca_bin(), *args, "-f", "out"]
        proc = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        out = Path(tmp, "out")
        report = out.read_text(encoding="utf-8") if out.exists() else ""
    if proc.returncode not in (0, 1):
        raise NcaError(f"{' '.join(args)} exited {proc.returncode}\n{report}{proc.stdout}{proc.stderr}")
    return proc.returncode, report


def _pair_query(query: str, want: list[Obj], base: list[Obj], resources: Sequence[Mapping[str, Any]]) -> Verdict:
    args = [f"--{query}", "want.yaml", "--base_np_list", "policies.yaml", "--resource_list", "resources.yaml"]
    rc, report = _run([*args, "-o", "yaml"], {"want.yaml": want, "policies.yaml": base, "resources.yaml": resources})
    return Verdict(rc == 0, query, report)


def permits(
    policies: Sequence[Mapping[str, Any]],
    resources: Sequence[Mapping[str, Any]],
    conns: Sequence[Conn],
    *,
    deny_in: Collection[str] | None = None,
    fix_empty_values: bool = True,
) -> Verdict:
    """Do ``policies`` plus default-deny in ``deny_in`` (None: every namespace) allow all of ``conns``?"""
    _check(policies, resources, conns)
    base = _prepare(policies, resources, deny_in, fix_empty_values)
    return _pair_query("permits", want_policies(conns), base, resources)


def forbids(
    policies: Sequence[Mapping[str, Any]],
    resources: Sequence[Mapping[str, Any]],
    conns: Sequence[Conn],
    *,
    deny_in: Collection[str] | None = None,
    fix_empty_values: bool = True,
) -> Verdict:
    """Do ``policies`` plus default-deny in ``deny_in`` (None: every namespace) block all of ``conns``?"""
    _check(policies, resources, conns)
    base = _prepare(policies, resources, deny_in, fix_empty_values)
    return _pair_query("forbids", want_policies(conns), base, resources)


def exactly(
    policies: Sequence[Mapping[str, Any]],
    resources: Sequence[Mapping[str, Any]],
    conns: Sequence[Conn],
    *,
    deny_in: Collection[str] | None = None,
    fix_empty_values: bool = True,
) -> Verdict:
    """Do ``policies`` allow ``conns`` and nothing else (``--equiv``), both sides with default-deny in
    ``deny_in`` (None: every namespace)? Namespaces left open are allow-all on both sides."""
    _check(policies, resources, conns or None)
    want = _prepare(want_policies(conns, deny_in), resources, deny_in, False)
    base = _prepare(policies, resources, deny_in, fix_empty_values)
    return _pair_query("equiv", want, base, resources)


def connectivity(
    policies: Sequence[Mapping[str, Any]],
    resources: Sequence[Mapping[str, Any]],
    *,
    deny_in: Collection[str] | None = None,
    fix_empty_values: bool = True,
) -> list[str]:
    """nca's pod-level report: sorted ``SRC => DST : CONNS`` lines of everything allowed."""
    _check(policies, resources, None)
    args = ["--connectivity", "policies.yaml", "--resource_list", "resources.yaml"]
    base = _prepare(policies, resources, deny_in, fix_empty_values)
    rc, report = _run(
        [*args, "-o", "txt_no_fw_rules", "--output_endpoints", "pods"],
        {"policies.yaml": base, "resources.yaml": resources},
    )
    if rc != 0:
        raise NcaError(f"--connectivity exited {rc}\n{report}")
    return [line for line in report.splitlines() if " => " in line]
