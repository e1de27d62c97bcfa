"""The resolved form of a ClusterPair: what every rule, renderer and runtime needs, decided once.

`resolve()` parses and derives, one time per pair: the effective MTC version, each cluster's OpenShift version,
network plugin, firewall API and capabilities (spec §4.1, facts §9), the rsync endpoint, the stunnel proxy
address and the destination networks. Readers never re-parse the spec's strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

from generator.clusterpair.files import UnreadableFileError
from generator.clusterpair.model import (
    Cluster,
    ClusterPair,
    EndpointType,
    NamespaceMapping,
    NetworkType,
    OpeningsState,
    Role,
)
from generator.clusterpair.values import IpNetwork, MtcVersion, OcpVersion, ProxyAddress, sorted_networks
from generator.clusterpair.yamlsource import dotted
from generator.mtc import facts
from generator.mtc import thresholds as at
from generator.mtc.holdings import Holdings
from generator.mtc.inputs import NamedFiles, read_named_files
from generator.mtc.network import Environment, network_type
from generator.mtc.openings import Openings, decide
from generator.mtc.thresholds import NEWEST_KNOWN_OCP, effective_mtc
from generator.records import record


@record
class FirewallApi:
    """The egress firewall API of a network plugin (facts §4.1 SDN, §4.2 OVN)."""

    api_version: str
    kind: str
    max_rules: int


@record
class Capabilities:
    """What one cluster enforces or offers, by OpenShift version and network plugin (spec §4.1).

    `egress_policy` is None when it depends on a network plugin the spec leaves open (4.6-4.9).
    """

    egress_policy: bool | None  # egress NetworkPolicy enforced: OVN 4.6+, OpenShift SDN 4.10+
    end_port: bool  # NetworkPolicy `endPort` kept by the API server: 4.10+
    namespace_name_label: bool  # `kubernetes.io/metadata.name` on every namespace: 4.8+
    router_namespace_label: Mapping[str, str]  # the label router namespaces carry: new form 4.7+, legacy before
    dns_namespace: str | None  # cluster DNS pods selectable by namespace name (4.8+); None: port-only DNS rule
    ipblock_except: bool  # OpenShift SDN before 4.10 ignores a whole ipBlock that has `except`
    firewall: FirewallApi | None  # None when the network plugin is not known
    firewall_dns_name: bool  # dnsName rules: EgressNetworkPolicy always, EgressFirewall 4.7+
    firewall_node_selector: bool  # nodeSelector rules: EgressFirewall 4.11+
    known_version: bool  # False for a version newer than the facts know (newest behaviour assumed)
    legacy_platform: bool  # facts §6: 4.5 and earlier (3.x included): no OLM, cannot run the MTC controller
    auto_token_secret: bool  # facts §10: service accounts get an API token Secret (before 4.11)
    psa_enforced: bool  # facts §7.9: mig-controller treats Pod Security Admission as enforced (4.11+)
    server_side_apply: bool = True  # facts §11: Kubernetes 1.16+ (4.3+); below, Argo CD applies client-side
    named_ports: bool = True  # facts §11: OpenShift SDN ignores a named NetworkPolicy port; OVN supports them
    # facts §11: SDN 4.6 and older give host-network router traffic VNID 0 as namespace `default` only: a
    # router-namespace label selector never matches it (the openshift-host-network case starts in 4.7).
    host_network_router_is_default: bool = False


def capabilities(version: OcpVersion, plugin: NetworkType | None) -> Capabilities:
    """Spec §4.1, one row per field; sources in facts §9."""
    sdn = plugin is NetworkType.OPENSHIFT_SDN
    ovn = plugin is NetworkType.OVN_KUBERNETES
    at_least = version.__ge__
    if ovn or at_least(at.SDN_EGRESS_POLICY_FROM):
        egress: bool | None = True
    elif sdn or at.is_3x(version):
        egress = False
    else:
        egress = None
    firewall = None
    if sdn:
        limit = facts.EGRESS_NETWORK_POLICY_MAX_RULES_3X if at.is_3x(version) else facts.EGRESS_NETWORK_POLICY_MAX_RULES
        firewall = FirewallApi(facts.EGRESS_NETWORK_POLICY_API, facts.EGRESS_NETWORK_POLICY_KIND, limit)
    elif ovn:
        firewall = FirewallApi(facts.EGRESS_FIREWALL_API, facts.EGRESS_FIREWALL_KIND, facts.EGRESS_FIREWALL_MAX_RULES)
    return Capabilities(
        egress_policy=egress,
        end_port=at_least(at.END_PORT_FROM),
        namespace_name_label=at_least(at.NAMESPACE_NAME_LABEL_FROM),
        router_namespace_label=dict(
            facts.ROUTER_NAMESPACE_LABEL if at_least(at.ROUTER_LABEL_FROM) else facts.ROUTER_NAMESPACE_LABEL_LEGACY
        ),
        dns_namespace=facts.DNS_NAMESPACE if at_least(at.NAMESPACE_NAME_LABEL_FROM) else None,
        ipblock_except=not (sdn and version < at.SDN_EGRESS_POLICY_FROM),
        firewall=firewall,
        firewall_dns_name=sdn or (ovn and at_least(at.EGRESS_FIREWALL_DNS_NAME_FROM)),
        firewall_node_selector=ovn and at_least(at.EGRESS_FIREWALL_NODE_SELECTOR_FROM),
        known_version=version <= NEWEST_KNOWN_OCP,
        legacy_platform=at.legacy_platform(version),
        auto_token_secret=version < at.NO_AUTO_TOKEN_FROM,
        psa_enforced=at_least(at.PSA_FROM),
        server_side_apply=at_least(at.SERVER_SIDE_APPLY_FROM),
        named_ports=not sdn,
        host_network_router_is_default=not ovn and not at_least(at.HOST_NETWORK_NAMESPACE_FROM),
    )


@record
class ResolvedCluster:
    """A cluster of the pair as the rules and renderers see it: version, network, roles, capabilities, base."""

    spec: Cluster
    version: OcpVersion
    network_type: NetworkType | None  # from the spec, the version, or the runtime (Environment)
    roles: frozenset[Role]  # both on a same-cluster pair
    control: bool  # runs the MTC controller and UI
    caps: Capabilities
    # spec §4.2: what the cluster's `base` holds (None: no base, or not read here: Environment.check_base off or
    # the folder is missing, which the base-path rule reports); `base_errors`: what breaks `kustomize build`.
    holdings: Holdings | None = None
    base_errors: tuple[str, ...] = ()
    base_patched: bool = False  # the base patches its objects: rules read from its files may differ
    base_files: tuple[Path, ...] = ()  # every file the base was read from (e.g. for a digest of the inputs)
    base_read: Mapping[Path, bytes] = dataclasses.field(default_factory=dict)  # their bytes, as read
    base_not_plain: tuple[str, ...] = ()  # why its objects are not exactly its files' (kustomize features used)

    @property
    def name(self) -> str:
        return self.spec.name


@record
class ResolvedPair:
    """A pair decided once: MTC version, clusters, endpoint, proxy, networks, namespaces, openings, files."""

    spec: ClusterPair
    mtc: MtcVersion
    source: ResolvedCluster
    target: ResolvedCluster
    endpoint: EndpointType
    stunnel_proxy: ProxyAddress | None
    target_networks: tuple[IpNetwork, ...]  # distinct, in address order
    namespaces: tuple[NamespaceMapping, ...]  # sorted by (source, target)
    openings: Openings  # spec §9: whether DVM's NetworkPolicies and firewall rules are rendered, decided once
    files: NamedFiles  # spec §8: the mirror mapping and CA bundles, read and parsed once

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def same_cluster(self) -> bool:
        return self.spec.same_cluster

    @property
    def clusters(self) -> tuple[ResolvedCluster, ...]:
        """Distinct clusters, source first (one when the pair moves within a cluster)."""
        return (self.source,) if self.same_cluster else (self.source, self.target)

    @property
    def control(self) -> ResolvedCluster:
        return self.source if self.source.control else self.target

    def cluster(self, name: str) -> ResolvedCluster | None:
        return next((c for c in self.clusters if c.name == name), None)

    @cached_property
    def _by_pair(self) -> Mapping[tuple[str, str], NamespaceMapping]:
        return {(m.source, m.target): m for m in reversed(self.namespaces)}  # reversed: the first one wins

    @cached_property
    def _by_target(self) -> Mapping[str, NamespaceMapping]:
        return {m.target: m for m in reversed(self.namespaces)}

    def mapping(self, source: str, target: str) -> NamespaceMapping | None:
        """The first mapping from `source` to `target`, in O(1): renderers look one up per namespace."""
        return self._by_pair.get((source, target))

    def mapping_to(self, target: str) -> NamespaceMapping | None:
        """The first mapping into the namespace `target`, in O(1)."""
        return self._by_target.get(target)

    def with_openings(self, *, closed: bool) -> ResolvedPair:
        """The pair rendered open or closed whatever its state now: what the openings are (uninstall) and what
        closing leaves (preflight)."""
        state = OpeningsState.CLOSED if closed else OpeningsState.OPEN
        return dataclasses.replace(self, openings=Openings(state, None, self.openings.now, closed=closed))


def base_folder(pair: ClusterPair, cluster: Cluster) -> Path | None:
    """The cluster's base folder when it is a kustomize folder here; None otherwise."""
    if cluster.base is None:
        return None
    try:
        pair.locate(cluster.base, dotted((*cluster.path, "base")))
    except UnreadableFileError:
        return None  # outside the run's root: reported by the base-exists rule, never read
    from generator.clusterpair.base import KUSTOMIZATION_FILES  # noqa: PLC0415 - a pair without base never loads it

    folder = Path(pair.spec_dir, cluster.base)
    return folder if any((folder / name).is_file() for name in KUSTOMIZATION_FILES) else None


def _cluster(pair: ClusterPair, cluster: Cluster, env: Environment) -> ResolvedCluster:
    version = cluster.openshift_version
    plugin = network_type(cluster, env)
    roles = frozenset(role for role in Role if pair.cluster(role).name == cluster.name)
    folder = base_folder(pair, cluster) if env.check_base else None
    holdings: Holdings | None = None
    errors: tuple[str, ...] = ()
    patched = False
    files: tuple[Path, ...] = ()
    not_plain: tuple[str, ...] = ()
    read: Mapping[Path, bytes] = {}
    if folder is not None:
        from generator.clusterpair.base import read_base  # noqa: PLC0415 - see base_folder

        contents = read_base(folder, pair.access.root)
        holdings = Holdings.of(f"base {cluster.base}", contents.objects, contents.unread)
        errors, patched, files = tuple(contents.errors), contents.patched, tuple(contents.files)
        not_plain, read = tuple(contents.not_plain), contents.data
    return ResolvedCluster(
        spec=cluster,
        version=version,
        network_type=plugin,
        roles=roles,
        control=pair.control_cluster in roles,
        caps=capabilities(version, plugin),
        holdings=holdings,
        base_errors=errors,
        base_patched=patched,
        base_files=files,
        base_not_plain=not_plain,
        base_read=read,
    )


def resolve(pair: ClusterPair, env: Environment | None = None) -> ResolvedPair:
    """Decide everything once, from a loaded pair (its values are parsed already, so this never fails)."""
    env = env or Environment()
    source = _cluster(pair, pair.source, env)
    target = source if pair.same_cluster else _cluster(pair, pair.target, env)
    proxy = pair.dvm.stunnel_tcp_proxy
    networks = tuple(sorted_networks(pair.target.cidrs))
    return ResolvedPair(
        spec=pair,
        mtc=effective_mtc(pair),
        source=source,
        target=target,
        endpoint=pair.target.rsync_endpoint_type,
        stunnel_proxy=proxy.url if proxy is not None else None,
        target_networks=networks,
        namespaces=tuple(sorted(pair.namespaces, key=lambda ns: (ns.source, ns.target))),
        openings=decide(pair.openings, env.now),
        files=read_named_files(pair),
    )
