"""A network plugin preflight does not know: egress NetworkPolicy is then assumed enforced."""

from __future__ import annotations

from collections.abc import Mapping

from generator.mtc.resolve import ResolvedPair
from generator.preflight.findings import finding
from generator.preflight.state import ClusterState
from generator.problems import Problem, Severity


def plugin_findings(pair: ResolvedPair, states: Mapping[str, ClusterState]) -> list[Problem]:
    return [
        finding(
            states[cluster.name],
            "",
            Severity.INFO,
            "egress-enforcement-unknown",
            f"{cluster.name}: the network plugin is not known; egress NetworkPolicy is assumed enforced",
            "set networkType in the spec",
        )
        for cluster in pair.clusters
        if cluster.caps.egress_policy is None
    ]
