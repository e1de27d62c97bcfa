"""Everything one ClusterPair produces, per cluster, as plain data."""

from __future__ import annotations

from generator.clusterpair.model import Cluster
from generator.mtc.holdings import Holdings
from generator.mtc.install import SKIP_DRY_RUN, SYNC_OPTIONS
from generator.mtc.resolve import ResolvedPair
from generator.records import record
from generator.render.egressfirewall import FirewallOutput, firewall_output
from generator.render.install.plan import InstallRender, RenderSecrets, render_install
from generator.render.migrationcontroller import controller_object
from generator.render.networkpolicy import egress_policy, ingress_policy
from generator.render.objects import Obj, merged_options, sync_options


@record
class ClusterRender:
    cluster: Cluster
    controller: Obj  # a patch over `base` when the cluster has one, else a server-side-apply resource
    policies: list[tuple[str, Obj]]  # (namespace, NetworkPolicy), sorted
    firewalls: list[FirewallOutput]  # sorted by namespace
    install: InstallRender | None = None  # spec §8: operator, repository, registrations

    @property
    def base(self) -> str | None:
        return self.cluster.base

    def objects(self) -> list[Obj]:
        """The cluster's objects as one stream: patches shown as partial objects (spec §6 `render`)."""
        extra = self.install.objects() if self.install is not None else []
        return [self.controller, *(p for _, p in self.policies), *(f.partial_object() for f in self.firewalls), *extra]


def render_pair(
    resolved: ResolvedPair, password: str | None, *, secrets: RenderSecrets | None = None
) -> list[ClusterRender]:
    """Render a ClusterPair that passed validation, from the resolved form it was validated with; `password` is
    the stunnel proxy password, if any, and `secrets` the spec §8 credentials read at render time (None:
    Secrets for them are not rendered)."""
    return [render_cluster(resolved, cluster, password, secrets=secrets) for cluster in resolved.spec.clusters]


def render_cluster(
    resolved: ResolvedPair, cluster: Cluster, password: str | None, *, secrets: RenderSecrets | None = None
) -> ClusterRender:
    """One cluster of a validated pair: `render` and the KRM function need only the cluster asked for."""
    pair = resolved.spec
    policies: list[tuple[str, Obj]] = []
    firewalls: list[FirewallOutput] = []
    for ns in resolved.namespaces:
        if cluster.name == pair.source.name:
            egress = egress_policy(resolved, ns.source, ns.target)
            if egress is not None:
                policies.append((ns.source, egress))
            fw = firewall_output(resolved, ns)
            if fw is not None:
                firewalls.append(fw)
        if cluster.name == pair.target.name:
            ingress = ingress_policy(resolved, ns.source, ns.target)
            if ingress is not None:
                policies.append((ns.target, ingress))
    policies.sort(key=lambda item: (item[0], item[1]["metadata"]["name"]))
    firewalls.sort(key=lambda f: f.namespace)
    rc = resolved.cluster(cluster.name)
    ssa = rc.caps.server_side_apply if rc is not None else True
    controller = controller_object(pair, cluster, password, as_patch=cluster.base is not None, server_side_apply=ssa)
    if cluster.base is not None and rc is not None and rc.holdings is not None:
        _keep_held_options(controller, rc.holdings)
    install = render_install(resolved, cluster, secrets)
    if install is not None and install.controller_annotations:
        _annotate_controller(controller, install.controller_annotations)
    return ClusterRender(cluster, controller, policies, firewalls, install)


def _keep_held_options(controller: Obj, holdings: Holdings) -> None:
    """The patch's annotation replaces the base controller's: it carries the base's own options, then ours."""
    meta = controller["metadata"]
    held = holdings.find(controller["apiVersion"], controller["kind"], meta["namespace"], meta["name"])
    if held is not None and sync_options(held) != [""]:
        meta["annotations"][SYNC_OPTIONS] = merged_options(sync_options(held), sync_options(controller))


def _annotate_controller(controller: Obj, extra: dict[str, str]) -> None:
    """spec §8: after the operator (a later sync wave), and no dry run while its CRD is still missing."""
    meta = controller["metadata"]
    annotations = dict(meta.get("annotations") or {})
    annotations[SYNC_OPTIONS] = merged_options(sync_options(controller), [SKIP_DRY_RUN])
    annotations.update(extra)
    meta["annotations"] = dict(sorted(annotations.items()))
