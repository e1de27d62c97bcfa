"""Pod security admission: privileged rsync needs namespaces labelled privileged (facts §7.9)."""

from __future__ import annotations

from collections.abc import Mapping

from generator.mtc.resolve import ResolvedPair
from generator.preflight.findings import finding
from generator.preflight.views import View
from generator.problems import Problem, Severity

PSA_LABELS = tuple(f"pod-security.kubernetes.io/{mode}" for mode in ("enforce", "audit", "warn"))


def psa_findings(pair: ResolvedPair, views: Mapping[str, View]) -> list[Problem]:
    if not pair.spec.dvm.rsync_privileged:
        return []
    out = []
    for mapping in pair.namespaces:
        for cluster, ns in ((pair.source, mapping.source), (pair.target, mapping.target)):
            view = views[cluster.name]
            labels = view.state.namespaces.get(ns)
            if not cluster.caps.psa_enforced or labels is None:
                continue
            missing = [k for k in PSA_LABELS if labels.get(k) != "privileged"]
            if missing:
                out.append(
                    finding(
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
