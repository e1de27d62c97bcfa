"""Verdicts per migrated namespace and DVM connection, today and after the generated output, and the other
findings the facts name (firewall count, name and limits, Deny 0.0.0.0/0, router labels, pod security, noProxy).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.mtc import facts
from generator.mtc.addresses import IpNetwork
from generator.mtc.connections import (
    DNS_NAMED_PORTS,
    DNS_POD_LABELS,
    HOST_NETWORK_NAMESPACE,
    ROUTER_NAMESPACE,
    ROUTER_POD_LABELS,
    Connection,
    PeerKind,
    Side,
    connections,
)
from generator.mtc.resolve import ResolvedCluster, ResolvedPair
from generator.mtc.versions import OcpVersion
from generator.preflight.firewall import (
    EF_KIND,
    ENP_KIND,
    Firewall,
    FwRule,
    compile_firewall,
    evaluate_firewall,
)
from generator.preflight.netpol import (
    AddressEnd,
    End,
    Enforcement,
    Interval,
    PodEnd,
    Policy,
    Query,
    compile_policy,
    evaluate,
    interval,
)
from generator.preflight.state import ClusterState, missing_namespaces
from generator.problems import Problem, Severity
from generator.render.plan import ClusterRender
from generator.spec.model import NetworkType

PSA_LABELS = tuple(f"pod-security.kubernetes.io/{mode}" for mode in ("enforce", "audit", "warn"))
PSA_FROM = OcpVersion(4, 11)  # facts §7.9: mig-controller treats PSA as enforced from Kubernetes 1.24
LIMIT_WARN_RATIO = 0.9
HOST_NETWORK_DEFAULT = "default"  # facts §11: where host-network traffic comes from on OpenShift SDN 4.6 and older
ANY_V4 = AddressEnd(4, (0, 2**32 - 1), "any address")
MISSING_STATE_RULES = frozenset({"state-namespace-missing"})


@dataclass(frozen=True)
class Blocker:
    ref: str  # "NetworkPolicy shop/default-deny", "EgressFirewall shop/default"
    rule: str  # what in it blocks
    generated: bool = False

    def text(self) -> str:
        return f"{self.ref}: {self.rule}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    blockers: tuple[Blocker, ...] = ()
    allowed_by: tuple[str, ...] = ()  # generated objects (and rules) that allow it
    notes: tuple[str, ...] = ()
    allowed_by_theirs: tuple[str, ...] = ()  # the cluster's own objects (and rules) that allow it

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "blockedBy": [{"object": b.ref, "rule": b.rule, "generated": b.generated} for b in self.blockers],
            "allowedByGenerated": list(self.allowed_by),
            "allowedByExisting": list(self.allowed_by_theirs),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Row:
    source_namespace: str
    target_namespace: str
    connection: str  # endpoint | dns | server
    cluster: str
    namespace: str  # where the rsync pods of this side run
    description: str
    today: Verdict
    after: Verdict
    change: str
    spec_line: int
    spec_column: int
    closed: Verdict | None = None  # spec §9: after closing the openings (our objects gone, the user's rules back)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sourceNamespace": self.source_namespace,
            "targetNamespace": self.target_namespace,
            "connection": self.connection,
            "cluster": self.cluster,
            "namespace": self.namespace,
            "description": self.description,
            "today": self.today.as_dict(),
            "after": self.after.as_dict(),
            "afterClosing": self.closed.as_dict() if self.closed is not None else None,
            "change": self.change,
        }


@dataclass(frozen=True)
class Report:
    pair: str
    spec_file: str
    rows: tuple[Row, ...]
    findings: tuple[Problem, ...]

    @property
    def blocked_after(self) -> bool:
        return any(not r.after.allowed for r in self.rows) or any(p.is_error for p in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pair": self.pair,
            "spec": self.spec_file,
            "blockedAfter": self.blocked_after,
            "connections": [r.as_dict() for r in self.rows],
            "findings": [p.as_dict() for p in self.findings],
        }


# --- the cluster views -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """A cluster's objects as evaluated: the state today, or the state with the generated output applied."""

    cluster: ResolvedCluster
    state: ClusterState
    policies: Mapping[str, Sequence[Policy]]
    firewalls: Mapping[str, Sequence[Firewall]]
    notes: tuple[str, ...] = ()

    def namespace_labels(self, name: str) -> dict[str, str]:
        if name in self.state.namespaces:
            return self.state.namespaces[name]
        # a namespace MTC creates during the migration, or infrastructure the export lacks
        return {facts.NAMESPACE_NAME_LABEL: name} if self.cluster.caps.namespace_name_label else {}

    def enforcement(self) -> Enforcement:
        caps = self.cluster.caps
        return Enforcement(
            egress=caps.egress_policy is not False,
            ipblock_except=caps.ipblock_except,
            end_port=caps.end_port,
            named_ports=caps.named_ports,
        )

    def firewall_kinds(self) -> tuple[str, ...]:
        plugin = self.cluster.network_type
        if plugin is NetworkType.OPENSHIFT_SDN:
            return (ENP_KIND,)
        if plugin is NetworkType.OVN_KUBERNETES:
            return (EF_KIND,)
        return (ENP_KIND, EF_KIND)

    def namespace_firewalls(self, namespace: str) -> list[Firewall]:
        kinds = self.firewall_kinds()
        return sorted((f for f in self.firewalls.get(namespace, ()) if f.kind in kinds), key=lambda f: f.name)


def today_view(cluster: ResolvedCluster, state: ClusterState) -> View:
    return View(cluster, state, state.policies, state.firewalls)


def after_view(cluster: ResolvedCluster, state: ClusterState, render: ClusterRender | None) -> View:
    """The state with the cluster's generated NetworkPolicies and firewall rules applied (spec §4)."""
    if render is None:
        return today_view(cluster, state)
    policies: dict[str, list[Policy]] = {ns: list(items) for ns, items in state.policies.items()}
    for namespace, obj in render.policies:
        compiled = compile_policy(obj, "generated", generated=True)
        kept = [p for p in policies.get(namespace, []) if p.name != compiled.name]
        policies[namespace] = [*kept, compiled]
    firewalls: dict[str, list[Firewall]] = {ns: list(items) for ns, items in state.firewalls.items()}
    notes: list[str] = []
    for out in render.firewalls:
        existing = firewalls.get(out.namespace, [])
        same = [f for f in existing if f.kind == out.kind and f.name == out.name]
        if out.whole is not None:
            whole = compile_firewall(out.whole, "generated", generated_rules=len(out.rules))
            firewalls[out.namespace] = [*(f for f in existing if f not in same), whole]
            continue
        if not same:
            notes.append(
                f"the generated patch targets {out.kind} {out.namespace}/{out.name}, which the cluster does not have"
            )
            continue
        ours = compile_firewall(
            {
                "kind": out.kind,
                "metadata": {"namespace": out.namespace, "name": out.name},
                "spec": {"egress": out.rules},
            },
            "generated",
        )
        old = same[0]
        shifted = tuple(dataclasses.replace(r, index=r.index + len(ours.rules)) for r in old.rules)
        merged = dataclasses.replace(old, rules=ours.rules + shifted, generated_rules=len(ours.rules))
        firewalls[out.namespace] = [merged if f is old else f for f in existing]
    return View(cluster, state, policies, firewalls, tuple(notes))


def closed_view(cluster: ResolvedCluster, state: ClusterState, opened: ClusterRender, closed: ClusterRender) -> View:
    """The state after the openings close (spec §9): our NetworkPolicies gone (the state may hold them, applied
    earlier), each firewall without the DVM rules the open output puts there, then the closed output applied
    (a firewall given with `rules:` comes back with those rules only)."""
    ours = {(ns, p["metadata"]["name"]) for ns, p in opened.policies}
    policies = {ns: [p for p in items if (ns, p.name) not in ours] for ns, items in state.policies.items()}
    firewalls: dict[str, list[Firewall]] = {ns: list(items) for ns, items in state.firewalls.items()}
    for out in opened.firewalls:
        dvm = compile_firewall(
            {
                "kind": out.kind,
                "metadata": {"namespace": out.namespace, "name": out.name},
                "spec": {"egress": out.rules},
            },
            "generated",
        )
        keys = {dataclasses.replace(r, index=0) for r in dvm.rules}
        firewalls[out.namespace] = [
            _without(f, keys) if (f.kind, f.name) == (out.kind, out.name) else f
            for f in firewalls.get(out.namespace, [])
        ]
    return after_view(cluster, dataclasses.replace(state, policies=policies, firewalls=firewalls), closed)


def _without(fw: Firewall, keys: set[FwRule]) -> Firewall:
    kept = [r for r in fw.rules if dataclasses.replace(r, index=0) not in keys]
    return dataclasses.replace(fw, rules=tuple(dataclasses.replace(r, index=i) for i, r in enumerate(kept)))


# --- evaluation of one connection -----------------------------------------------------------------------------


def _router_namespaces(view: View) -> list[str]:
    """Where router traffic comes from (facts §5): openshift-ingress, or the host network for a default
    IngressController published on the host network."""
    ic = view.state.ingress_controllers.get("default") or {}
    strategy: Any = {}
    for part in ("status", "spec"):
        section = ic.get(part)
        if isinstance(section, dict) and isinstance(section.get("endpointPublishingStrategy"), dict):
            strategy = section["endpointPublishingStrategy"]
            break
    host = isinstance(strategy, dict) and strategy.get("type") == "HostNetwork"
    if host and view.cluster.caps.host_network_router_is_default:
        return [HOST_NETWORK_DEFAULT]  # facts §11: SDN 4.6 gives host-network traffic namespace default's VNID 0
    return [HOST_NETWORK_NAMESPACE if host else ROUTER_NAMESPACE]


def _ends(conn: Connection, view: View) -> list[tuple[End, Mapping[str, int]]]:
    """Concrete peers of a connection in this cluster, with the named ports of the peer pod."""
    peer = conn.peer
    if conn.name == "dns" and peer.kind is PeerKind.ANYWHERE and view.cluster.version.major >= 4:
        # 4.6/4.7: policies cannot select openshift-dns by name, but that is where the DNS pods answer
        ns = facts.DNS_NAMESPACE
        return [(PodEnd(ns, view.namespace_labels(ns), DNS_POD_LABELS, DNS_NAMED_PORTS), DNS_NAMED_PORTS)]
    if peer.kind is PeerKind.ANYWHERE:
        return [(ANY_V4, {})]
    if peer.kind is PeerKind.ADDRESSES:
        if not peer.networks:
            return [(dataclasses.replace(ANY_V4, text=f"{peer.what} (address unknown)"), {})]
        return [(_address(net), {}) for net in peer.networks]
    namespaces = _router_namespaces(view) if peer.namespace_labels is not None else [peer.namespace or conn.namespace]
    named = peer.named_ports
    labels = peer.pod_labels or (ROUTER_POD_LABELS,)

    def pods(ns: str) -> Sequence[Mapping[str, str]]:
        # facts §5: host-network routers reach pods from the node, carrying no pod labels at all
        return ({},) if ns in (HOST_NETWORK_NAMESPACE, HOST_NETWORK_DEFAULT) else labels

    return [(PodEnd(ns, view.namespace_labels(ns), pod, named), named) for ns in namespaces for pod in pods(ns)]


def _address(net: IpNetwork) -> AddressEnd:
    return AddressEnd(net.version, interval(net), str(net))


def _end_text(end: End) -> str:
    return end.text if isinstance(end, AddressEnd) else f"pods in {end.namespace}"


def _port_groups(conn: Connection) -> list[list[tuple[str, Interval]]]:
    """Each group needs one allowed member: DNS works on either port per protocol; everything else needs all."""
    if conn.name == "dns":
        protos = sorted({p.protocol for p in conn.ports}, reverse=True)
        return [[(p.protocol, (p.port, p.last)) for p in conn.ports if p.protocol == proto] for proto in protos]
    return [[(p.protocol, (p.port, p.last))] for p in conn.ports]


def _ports_text(protocol: str, ports: Interval) -> str:
    return f"{protocol} {ports[0]}" + (f"-{ports[1]}" if ports[1] != ports[0] else "")


def evaluate_connection(conn: Connection, view: View) -> Verdict:
    enf = view.enforcement()
    direction = conn.side.value
    policies = view.policies.get(conn.namespace, ())
    blockers: list[Blocker] = []
    allowed_by: list[str] = []
    theirs: list[str] = []
    notes: list[str] = list(view.notes)
    if conn.side is Side.EGRESS and not enf.egress:
        notes.append(f"{view.cluster.name} does not enforce egress NetworkPolicy (OpenShift SDN before 4.10)")
    ok = True
    ends = _ends(conn, view)
    for labels in conn.pods.label_sets:
        for group in _port_groups(conn):
            group_ok = False
            group_blockers: list[Blocker] = []
            for protocol, ports in group:
                member_ok = True
                for end, named in ends:
                    dest_named = conn.pods.named_ports if conn.side is Side.INGRESS else named
                    query = Query(direction, conn.namespace, labels, end, protocol, ports, dest_named)
                    out = evaluate(policies, query, enf)
                    what = (
                        f"{_ports_text(protocol, ports)} {'to' if direction == 'egress' else 'from'} {_end_text(end)}"
                    )
                    if out.allowed:
                        allowed_by += [f"{p.ref()} {direction}[{i}]" for p, i in out.allowing if p.generated]
                        theirs += [f"{p.ref()} {direction}[{i}]" for p, i in out.allowing if not p.generated]
                    else:
                        member_ok = False
                        for policy in out.isolating:
                            rules = policy.egress if direction == "egress" else policy.ingress
                            why = f"denies all {direction}" if not rules else f"no {direction} rule allows {what}"
                            group_blockers.append(Blocker(policy.ref(), why, policy.generated))
                    if conn.leaves_cluster and conn.side is Side.EGRESS and isinstance(end, AddressEnd):
                        fw_ok = _firewalls(conn, view, end, protocol, ports, group_blockers, (allowed_by, theirs))
                        member_ok = member_ok and fw_ok
                group_ok = group_ok or member_ok
            if not group_ok:
                ok = False
                blockers += group_blockers
    first_per_object = {b.ref: b for b in reversed(blockers)}  # one line per object: its first reason
    unique = tuple(b for b in dict.fromkeys(blockers) if first_per_object[b.ref] is b)
    return Verdict(
        ok, unique, tuple(dict.fromkeys(allowed_by)), tuple(dict.fromkeys(notes)), tuple(dict.fromkeys(theirs))
    )


def _firewalls(  # noqa: PLR0917 - one call site, the loop's state
    conn: Connection,
    view: View,
    end: AddressEnd,
    protocol: str,
    ports: Interval,
    blockers: list[Blocker],
    allowing: tuple[list[str], list[str]],  # (generated, the cluster's own)
) -> bool:
    allowed_by, theirs = allowing
    networks = [] if end.text.endswith("(address unknown)") else [(end.version, end.span)]
    ok = True
    for fw in view.namespace_firewalls(conn.namespace):
        out = evaluate_firewall(fw, networks, conn.peer.hosts, protocol, ports)
        generated = out.rule is not None and out.rule.index < fw.generated_rules
        if not out.allowed and out.rule is not None:
            ok = False
            blockers.append(Blocker(fw.ref(), f"egress[{out.rule.index}] {out.rule.text} (first match)", generated))
        elif generated and out.rule is not None:
            allowed_by.append(f"{fw.ref()} egress[{out.rule.index}] {out.rule.text}")
        elif out.rule is not None:
            theirs.append(f"{fw.ref()} egress[{out.rule.index}] {out.rule.text}")
    return ok


def _change(today: Verdict, after: Verdict, hint: str) -> str:
    if not today.allowed and after.allowed:
        by = ", ".join(after.allowed_by) if after.allowed_by else "the generated output"
        return f"unblocked by {by}"
    if today.allowed and after.allowed:
        return "no change needed"
    if today.allowed and not after.allowed:
        return "the generated output blocks it: " + "; ".join(b.text() for b in after.blockers)
    return "still blocked" + (f": {hint}" if hint else "")


def _hint(conn: Connection, pair: ResolvedPair, after: Verdict) -> str:
    kinds = {b.ref.split(" ")[0] for b in after.blockers}
    hints = []
    if kinds & {ENP_KIND, EF_KIND} and conn.mapping.egress_firewall is None:
        hints.append(f"declare egressFirewall for namespace {conn.mapping.source} in the spec")
    if "NetworkPolicy" in kinds and pair.spec.network_policy_mode.value == "none":
        hints.append("networkPolicy.mode is none: nothing is generated")
    if not hints:
        hints.append("the generated output does not reach what blocks it")
    return "; ".join(hints)


# --- findings ------------------------------------------------------------------------------------------------


def _finding(state: ClusterState, path: str, severity: Severity, rule: str, message: str, fix: str = "") -> Problem:  # noqa: PLR0917
    return Problem(state.origin, 0, 0, path, severity, rule, message, fix)


def firewall_findings(view_today: View, view_after: View, namespaces: Iterable[str]) -> list[Problem]:
    state = view_today.state
    caps = view_today.cluster.caps
    out: list[Problem] = []
    for ns in sorted(set(namespaces)):
        present = view_today.namespace_firewalls(ns)
        if len(present) > 1:
            names = ", ".join(f.ref() for f in present)
            out.append(
                _finding(
                    state,
                    present[1].where,
                    Severity.ERROR,
                    "firewall-duplicate",
                    f"namespace {ns} has {len(present)} egress firewall objects ({names}); only one per namespace "
                    "is allowed and the firewall is then broken (docs/why.md#egress-firewalls)",
                    "merge the rules into one object",
                )
            )
        for fw in present:
            if fw.kind == EF_KIND and fw.name != facts.EGRESS_FIREWALL_NAME:
                out.append(
                    _finding(
                        state,
                        fw.where,
                        Severity.ERROR,
                        "firewall-name",
                        f"{fw.ref()}: an EgressFirewall must be named 'default' (docs/why.md#egress-firewalls)",
                        "rename it to default",
                    )
                )
            for rule in fw.rules:
                if rule.is_deny_all:
                    earlier = [r for r in fw.rules[: rule.index] if r.allow and r.cidr is not None]
                    if not earlier:
                        out.append(
                            _finding(
                                state,
                                f"{fw.where}.spec.egress[{rule.index}]",
                                Severity.WARNING,
                                "firewall-deny-all",
                                f"{fw.ref()}: Deny 0.0.0.0/0 with no Allow rule before it for the API servers' "
                                "range blocks the pods' access to the API servers (docs/why.md#egress-firewalls)",
                                "add an Allow rule for the API server range before it",
                            )
                        )
                    break
        limit = caps.firewall.max_rules if caps.firewall else None
        for fw in view_after.namespace_firewalls(ns):
            if limit is None:
                continue
            count = len(fw.rules)
            if count > limit:
                out.append(
                    _finding(
                        state,
                        fw.where,
                        Severity.ERROR,
                        "firewall-limit",
                        f"{fw.ref()} holds {count} rules after the DVM rules; the limit is {limit}",
                    )
                )
            elif count >= LIMIT_WARN_RATIO * limit:
                out.append(
                    _finding(
                        state,
                        fw.where,
                        Severity.WARNING,
                        "firewall-limit",
                        f"{fw.ref()} holds {count} rules after the DVM rules, near the limit of {limit}",
                    )
                )
    return out


def router_findings(pair: ResolvedPair, view: View) -> list[Problem]:
    if pair.endpoint.value != "Route":
        return []
    label = dict(pair.target.caps.router_namespace_label)
    out = []
    for ns in _router_namespaces(view):
        labels = view.state.namespaces.get(ns)
        if labels is None:
            out.append(
                _finding(
                    view.state,
                    "",
                    Severity.WARNING,
                    "router-namespace-missing",
                    f"the router namespace {ns} is not in the exported state; assumed unlabelled",
                    "export every namespace (oc get namespace -A)",
                )
            )
        elif ns == HOST_NETWORK_DEFAULT and any(labels.get(k) != v for k, v in label.items()):
            key, value = next(iter(label.items()))
            out.append(
                _finding(
                    view.state,
                    f"Namespace {ns}",
                    Severity.INFO,
                    "router-host-network-default",
                    f"host-network routers on OpenShift SDN {view.cluster.version} reach pods as namespace default "
                    f"(it has no {key}={value!r} label): a policy admitting the routers by that label misses them; "
                    "the generated strict policy admits port 6443 from any source instead",
                    f"only if you accept a cluster-wide change: oc label namespace default {key}={value}",
                )
            )
        elif any(labels.get(k) != v for k, v in label.items()):
            want = ", ".join(f"{k}={v!r}" for k, v in label.items())
            out.append(
                _finding(
                    view.state,
                    f"Namespace {ns}",
                    Severity.WARNING,
                    "router-namespace-label",
                    f"router namespace {ns} lacks the policy-group label {want} that OpenShift "
                    f"{view.cluster.version} uses (docs/why.md#routers-and-host-network-traffic): policies allowing "
                    "the routers by it miss them",
                    f"label it: oc label namespace {ns} {next(iter(label))}={next(iter(label.values()))}",
                )
            )
    return out


def psa_findings(pair: ResolvedPair, views: Mapping[str, View]) -> list[Problem]:
    if not pair.spec.dvm.rsync_privileged:
        return []
    out = []
    for mapping in pair.namespaces:
        for cluster, ns in ((pair.source, mapping.source), (pair.target, mapping.target)):
            view = views[cluster.name]
            labels = view.state.namespaces.get(ns)
            if cluster.version < PSA_FROM or labels is None:
                continue
            missing = [k for k in PSA_LABELS if labels.get(k) != "privileged"]
            if missing:
                out.append(
                    _finding(
                        view.state,
                        f"Namespace {ns}",
                        Severity.WARNING,
                        "rsync-privileged-psa",
                        f"rsyncPrivileged is set but namespace {ns} lacks {', '.join(missing)}=privileged: "
                        "rsync falls back to a non-root user (docs/why.md#mtc-versions-and-topology)",
                        f"oc label namespace {ns} " + " ".join(f"{k}=privileged" for k in missing),
                    )
                )
    return out


def no_proxy_findings(pair: ResolvedPair) -> list[Problem]:
    out = []
    for cluster in pair.clusters:
        proxy = cluster.spec.proxy
        if proxy is None or proxy.no_proxy is None or not (proxy.http_proxy or proxy.https_proxy):
            continue
        dropped = [d for d in (".svc", ".cluster.local") if d not in proxy.no_proxy]
        if dropped:
            out.append(
                pair.spec.source_doc.problem(
                    (*proxy.path, "noProxy"),
                    "no-proxy-service-domains",
                    f"noProxy replaces the inherited list and lacks {', '.join(dropped)}: in-cluster traffic of MTC "
                    "goes to the proxy (docs/why.md#proxies)",
                    severity=Severity.WARNING,
                    suggestion=f"add {', '.join(dropped)}",
                )
            )
    return out


def missing_namespace_findings(pair: ResolvedPair, views: Mapping[str, View]) -> list[Problem]:
    source = views[pair.source.name].state
    out = missing_namespaces(source, pair.source.name, (m.source for m in pair.namespaces))
    for mapping in pair.namespaces:
        target = views[pair.target.name]
        if mapping.target not in target.state.namespaces:
            out.append(
                Problem(
                    target.state.origin,
                    0,
                    0,
                    "",
                    Severity.INFO,
                    "target-namespace-new",
                    f"namespace {mapping.target} does not exist on {pair.target.name} yet; MTC creates it "
                    "(evaluated without policies until then)",
                )
            )
    return out


# --- the report ----------------------------------------------------------------------------------------------


def analyse(
    pair: ResolvedPair,
    states: Mapping[str, ClusterState],
    renders: Sequence[ClusterRender],
    closing: tuple[Sequence[ClusterRender], Sequence[ClusterRender]] | None = None,
) -> Report:
    """Evaluate every DVM connection of every migrated namespace, today, after the generated output and, given
    `closing` (the pair's renders open, then closed), after the openings close."""
    by_cluster = {r.cluster.name: r for r in renders}
    today = {c.name: today_view(c, states[c.name]) for c in pair.clusters}
    after = {c.name: after_view(c, states[c.name], by_cluster.get(c.name)) for c in pair.clusters}
    closed: dict[str, View] = {}
    if closing is not None:
        opened, shut = ({r.cluster.name: r for r in renders} for renders in closing)
        closed = {c.name: closed_view(c, states[c.name], opened[c.name], shut[c.name]) for c in pair.clusters}
    rows = []
    for conn in connections(pair):
        t = evaluate_connection(conn, today[conn.cluster.name])
        a = evaluate_connection(conn, after[conn.cluster.name])
        c = evaluate_connection(conn, closed[conn.cluster.name]) if closed else None
        line, column = pair.spec.source_doc.position(conn.mapping.path)
        rows.append(
            Row(
                conn.mapping.source,
                conn.mapping.target,
                conn.name,
                conn.cluster.name,
                conn.namespace,
                conn.describe(),
                t,
                a,
                _change(t, a, _hint(conn, pair, a)),
                line,
                column,
                c,
            )
        )
    findings = missing_namespace_findings(pair, today)
    source = pair.source.name
    findings += firewall_findings(today[source], after[source], (m.source for m in pair.namespaces))
    findings += router_findings(pair, today[pair.target.name])
    findings += psa_findings(pair, today)
    findings += no_proxy_findings(pair)
    for cluster in pair.clusters:
        if cluster.caps.egress_policy is None:
            findings.append(
                _finding(
                    states[cluster.name],
                    "",
                    Severity.INFO,
                    "egress-enforcement-unknown",
                    f"{cluster.name}: the network plugin is not known; egress NetworkPolicy is assumed enforced",
                    "set networkType in the spec",
                )
            )
    return Report(pair.name, pair.spec.source_doc.file, tuple(rows), tuple(findings))
