"""Router namespaces: the policy-group label that policies admitting the routers select them by (facts §5)."""

from __future__ import annotations

from generator.mtc.resolve import ResolvedPair
from generator.preflight.findings import finding
from generator.preflight.views import HOST_NETWORK_DEFAULT, View, router_namespaces
from generator.problems import Problem, Severity


def router_findings(pair: ResolvedPair, view: View) -> list[Problem]:
    if pair.endpoint.value != "Route":
        return []
    label = dict(pair.target.caps.router_namespace_label)
    out = []
    for ns in router_namespaces(view):
        labels = view.state.namespaces.get(ns)
        if labels is None:
            out.append(
                finding(
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
                finding(
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
                finding(
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
