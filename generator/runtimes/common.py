"""What the Argo CD plugin and `appset` decide about a cluster's objects beyond rendering it: whether its `base`
can be reproduced without kustomize, the base merged with the overlay (as `kustomize build` of the generated
overlay gives it), which objects the openings Application owns, and what the cluster's served APIs say about
the spec's network plugin. The adapters (generator/runtimes/argocd.py, generator/appset.py) only parse their
request, call the pipeline and these, and select by mode.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator.clusterpair.model import ClusterPair, NetworkType
from generator.mtc import facts
from generator.mtc.holdings import Holdings, Identity, identity
from generator.mtc.resolve import ResolvedPair
from generator.problems import Problem, ProblemsError, Severity
from generator.render.objects import Obj
from generator.render.plan import ClusterRender
from generator.transform import plan_transform

SOURCE = "argocd-generate"  # the `file` of problems that are about the request, not a spec
API_VERSIONS_VAR = "KUBE_API_VERSIONS"


def fail(message: str, suggestion: str = "", rule: str = "argocd-request") -> ProblemsError:
    return ProblemsError([Problem.of(SOURCE, rule, message, suggestion=suggestion)])


def base_problems(pair: ClusterPair, resolved: ResolvedPair, clusters: Iterable[str]) -> list[Problem]:
    """Clusters whose base the plugin cannot reproduce exactly: their Applications must use the overlay route."""
    out = []
    for rc in resolved.clusters:
        cluster = rc.spec
        if cluster.base is None or cluster.name not in clusters:
            continue
        reasons = list(rc.base_errors)
        if rc.holdings is None:
            reasons.append("it is not a kustomize folder here")
        else:
            reasons += list(rc.holdings.unread)
            if rc.base_patched:
                reasons.append("it patches its own objects")
            reasons += list(rc.base_not_plain)
        if not reasons:
            continue
        out.append(
            pair.source_doc.problem(
                (*cluster.path, "base"),
                "argocd-base",
                f"the Argo CD plugin emits the base's objects with cluster {cluster.name!r}'s (an Application "
                f"owns everything it syncs), but cannot build this base exactly: {'; '.join(reasons)}",
                suggestion="keep the base to a plain list of files (resources:), or point this cluster's "
                "Application at its generated overlay (Argo CD's kustomize builds it; docs/argo-cd.md)",
            )
        )
    return out


def _duplicate(what: Obj, origin: str) -> ProblemsError:
    meta = what.get("metadata") or {}
    return fail(
        f"{origin} already holds {what.get('kind')} {meta.get('namespace')}/{meta.get('name')}, which the spec "
        "generates too (kustomize build of the overlay fails the same way)",
        "remove it from the base, or drop `rules:` from the spec to patch the base's firewall instead",
        rule="argocd-base",
    )


def with_base(pair: ClusterPair, render: ClusterRender, holdings: Holdings) -> tuple[list[Obj], list[Problem]]:
    """The base's objects with the overlay applied, as `kustomize build` of the generated overlay gives them.

    The merge itself is the KRM transformer's (`generator.transform`), over the base's objects; what the overlay
    adds as whole resources must not be in the base already, because kustomize fails there too. Returns the
    objects and the transformer's warnings (for the sidecar log).
    """
    held = {identity(o) for o in holdings.objects}
    resources = [
        *(p for _, p in render.policies),
        *(f.whole for f in render.firewalls if f.whole is not None),
        *(render.install.resources() if render.install is not None else ()),
    ]
    for obj in resources:
        if identity(obj) in held:
            raise _duplicate(obj, holdings.origin)
    items = list(holdings.objects)
    plan = plan_transform(pair, render, items)
    return plan.apply(items), list(plan.problems)


def network_problems(pair: ClusterPair, cluster: str, detected: NetworkType | None) -> list[Problem]:
    """Where the cluster's APIs and the spec disagree, or neither tells the firewall kind."""
    declared = pair.source.network_type
    needs_kind = any(ns.egress_firewall is not None for ns in pair.namespaces)
    path = (*pair.source.path, "networkType")
    if cluster != pair.source.name:
        return []
    if declared is None and detected is None and needs_kind:
        return [
            Problem.of(
                SOURCE,
                "argocd-network-type",
                (
                    f"{API_VERSIONS_VAR} lists neither {facts.EGRESS_FIREWALL_API} (OVN-Kubernetes) nor "
                    f"{facts.EGRESS_NETWORK_POLICY_API} (OpenShift SDN), so the destination's plugin is unknown"
                ),
                severity=Severity.INFO,
            )
        ]
    if detected is None or declared is None or declared is detected:
        return []
    return [
        pair.source_doc.problem(
            path,
            "argocd-network-type",
            f"the spec says {declared.value} but the cluster serves the egress firewall API of {detected.value}; "
            "the spec is followed",
            severity=Severity.WARNING,
            suggestion=f"networkType: {detected.value}, unless a network migration is under way",
        )
    ]


def openings_identities(resolved: ResolvedPair, render: ClusterRender) -> set[Identity]:
    """What the openings Application owns on this cluster: the rsync NetworkPolicies rendered, and every egress
    firewall the spec declares here, open or closed (closing must give it back as the user has it, so the
    same Application keeps owning it). Everything else is MTC's."""
    owned = {identity(p) for _, p in render.policies}
    api = resolved.source.caps.firewall
    if api is not None and render.cluster.name == resolved.source.name:
        group = api.api_version.rpartition("/")[0]
        owned |= {
            (group, api.kind, ns.source, ns.egress_firewall.name)
            for ns in resolved.namespaces
            if ns.egress_firewall is not None
        }
    return owned
