"""Everything one ClusterPair produces, per cluster, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair, resolve
from generator.render.egressfirewall import FirewallOutput, firewall_output
from generator.render.migrationcontroller import controller_object
from generator.render.networkpolicy import egress_policy, ingress_policy
from generator.render.objects import Obj
from generator.spec.model import Cluster, ClusterPair


@dataclass(frozen=True)
class ClusterRender:
    cluster: Cluster
    controller: Obj  # a patch over `base` when the cluster has one, else a server-side-apply resource
    policies: list[tuple[str, Obj]]  # (namespace, NetworkPolicy), sorted
    firewalls: list[FirewallOutput]  # sorted by namespace

    @property
    def base(self) -> str | None:
        return self.cluster.base

    def objects(self) -> list[Obj]:
        """The cluster's objects as one stream: patches shown as partial objects (spec §6 `render`)."""
        return [self.controller, *(p for _, p in self.policies), *(f.partial_object() for f in self.firewalls)]


def render_pair(
    pair: ClusterPair, env: Environment, password: str | None, resolved: ResolvedPair | None = None
) -> list[ClusterRender]:
    """Render a ClusterPair that passed validation; `password` is the stunnel proxy password, if any.

    `resolved` is the pair's resolved form when the caller has it (validated with it); resolved here otherwise.
    """
    resolved = resolved if resolved is not None else resolve(pair, env)
    return [render_cluster(pair, cluster, env, password, resolved) for cluster in pair.clusters]


def render_cluster(
    pair: ClusterPair, cluster: Cluster, env: Environment, password: str | None, resolved: ResolvedPair | None = None
) -> ClusterRender:
    """One cluster of a validated pair: `render` and the KRM function need only the cluster asked for."""
    resolved = resolved if resolved is not None else resolve(pair, env)
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
    controller = controller_object(pair, cluster, password, as_patch=cluster.base is not None)
    return ClusterRender(cluster, controller, policies, firewalls)
