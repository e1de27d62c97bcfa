"""Migrated namespaces the exported state lacks: an error on the source, MTC creates them on the target."""

from __future__ import annotations

from collections.abc import Mapping

from generator.mtc.resolve import ResolvedPair
from generator.preflight.state import missing_namespaces
from generator.preflight.views import View
from generator.problems import Problem, Severity


def missing_namespace_findings(pair: ResolvedPair, views: Mapping[str, View]) -> list[Problem]:
    source = views[pair.source.name].state
    out = missing_namespaces(source, pair.source.name, (m.source for m in pair.namespaces))
    for mapping in pair.namespaces:
        target = views[pair.target.name]
        if mapping.target not in target.state.namespaces:
            out.append(
                Problem.of(
                    target.state.origin,
                    "target-namespace-new",
                    f"namespace {mapping.target} does not exist on {pair.target.name} yet; MTC creates it "
                    "(evaluated without policies until then)",
                    severity=Severity.INFO,
                )
            )
    return out
