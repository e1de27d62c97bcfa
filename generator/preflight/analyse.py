"""Verdicts per migrated namespace and DVM connection, today and after the generated output, and the other
findings the facts name (firewall count, name and limits, Deny 0.0.0.0/0, router labels, pod security, noProxy).

This module assembles the report; the parts live beside it: `views` (the cluster as evaluated today, after the
generated output, after the openings close), `verdicts` (whether one connection gets through, and why) and
`findings/` (one module per kind of finding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from generator.mtc.connections import connections
from generator.mtc.resolve import ResolvedPair
from generator.preflight.findings.firewalls import firewall_findings
from generator.preflight.findings.namespaces import missing_namespace_findings
from generator.preflight.findings.plugins import plugin_findings
from generator.preflight.findings.proxies import no_proxy_findings
from generator.preflight.findings.psa import psa_findings
from generator.preflight.findings.routers import router_findings
from generator.preflight.state import ClusterState
from generator.preflight.verdicts import Verdict, change, evaluate_connection, hint
from generator.preflight.views import View, after_view, closed_view, today_view
from generator.problems import Problem
from generator.records import record
from generator.render.plan import ClusterRender


class Row(NamedTuple):
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


@record
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
        c = None
        if closed:
            view = closed[conn.cluster.name]
            c = t if view.same_for(today[conn.cluster.name], conn.namespace) else evaluate_connection(conn, view)
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
                change(t, a, hint(conn, pair, a)),
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
    findings += plugin_findings(pair, states)
    return Report(pair.name, pair.spec.source_doc.file, tuple(rows), tuple(findings))
