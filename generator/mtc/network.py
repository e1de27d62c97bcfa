"""Which network plugin a cluster runs, and so which egress firewall kind it uses (facts §4)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import field

from generator.clusterpair.files import FileAccess
from generator.clusterpair.model import Cluster, NetworkType
from generator.mtc import facts
from generator.mtc.thresholds import default_network_type
from generator.records import record


def _clock() -> datetime.datetime:
    """A library caller's "now" when its entry point gives none: the clock (entry points read SOURCE_DATE_EPOCH)."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@record
class Environment:
    """What the runtime knows beyond the spec.

    `network_types`: plugin per cluster name detected by an adapter (Argo CD's KUBE_API_VERSIONS), used only
    where the spec leaves `networkType` open. `check_base`: whether `base` folders must exist here.
    `files`: where named files may be read from (None: each spec's repository).
    `items_as_base`: a KRM function or exec plugin, whose input items stand in for each cluster's `base`
    (a firewall without `rules:` is looked up among them, generator/transform.py).
    `now`: the instant `openings.closesAt` is compared with (spec §9), decided once per run by the entry point
    that builds the Environment: `SOURCE_DATE_EPOCH` when set, else the clock. Not in its repr: generate's input
    digest records what `now` decides (open or closed), not the instant, so a pair is not re-rendered every second.
    `firewall_kind_at_render`: the runtime learns the source's network plugin when it renders the source (Argo
    CD reads KUBE_API_VERSIONS there), so a spec leaving it open is not asked for it; `rendering`: the one
    cluster this run renders (None: every cluster, or none yet, as `appset`). Neither is digested: generate sets
    neither.
    """

    network_types: Mapping[str, NetworkType] = field(default_factory=dict)
    check_base: bool = True
    items_as_base: bool = False
    # The folders this run may read (generator/clusterpair/files.py), decided once by the entry point. Not part of
    # the repr: the environment is digested into the overlays' manifest, which must not name a checkout.
    files: FileAccess | None = field(default=None, repr=False, compare=False)
    now: datetime.datetime = field(default_factory=_clock, repr=False, compare=False)
    firewall_kind_at_render: bool = field(default=False, repr=False)
    rendering: str | None = field(default=None, repr=False)

    def asks_network_type(self, source: str) -> bool:
        """Whether a source whose firewall kind the spec leaves open must say it now: not where the runtime
        learns it when rendering the source, nor where this run renders another cluster only."""
        return not self.firewall_kind_at_render or self.rendering == source


def network_type(cluster: Cluster, env: Environment) -> NetworkType | None:
    if cluster.network_type is not None:
        return cluster.network_type
    return default_network_type(cluster.openshift_version) or env.network_types.get(cluster.name)


def detected_network_type(api_versions: Iterable[str]) -> NetworkType | None:
    """The cluster's network plugin from its served APIs (facts §4.1-4.2).

    EgressFirewall (k8s.ovn.org) is served only by OVN-Kubernetes; EgressNetworkPolicy (network.openshift.io)
    only under OpenShift SDN, or on OVN during a migration, so OVN wins when both are there (facts §4.1: CNO
    installs each plugin's CRDs). Argo CD lists group/versions and group/version/Kind entries: the kinds decide
    first, the groups when no kind entry names a firewall.
    """
    served = set(api_versions)
    ovn_kind = f"{facts.EGRESS_FIREWALL_API}/{facts.EGRESS_FIREWALL_KIND}"
    sdn_kind = f"{facts.EGRESS_NETWORK_POLICY_API}/{facts.EGRESS_NETWORK_POLICY_KIND}"
    for ovn, sdn in ((ovn_kind, sdn_kind), (facts.EGRESS_FIREWALL_API, facts.EGRESS_NETWORK_POLICY_API)):
        if ovn in served:
            return NetworkType.OVN_KUBERNETES
        if sdn in served:
            return NetworkType.OPENSHIFT_SDN
    return None
