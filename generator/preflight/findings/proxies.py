"""noProxy: a list that replaces the inherited one must keep the in-cluster service domains."""

from __future__ import annotations

from generator.mtc.resolve import ResolvedPair
from generator.problems import Problem, Severity


def no_proxy_findings(pair: ResolvedPair) -> list[Problem]:
    out = []
    for cluster in pair.clusters:
        proxy = cluster.spec.proxy
        if proxy is None or proxy.no_proxy is None or not (proxy.http_proxy or proxy.https_proxy):
            continue
        dropped = [d for d in (".svc", ".cluster.local") if d not in {entry.text for entry in proxy.no_proxy}]
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
