"""Version thresholds: what each OpenShift and MTC version can do, in one table (facts §4, §6, §7.9, §9-§11).

Capabilities (generator.mtc.resolve), rules, renderers and preflight read these names; none of them writes a
version number of its own. Adding a boundary: a row here, then the capability or rule that reads it.
"""

from __future__ import annotations

from generator.clusterpair.model import ClusterPair, NetworkType
from generator.clusterpair.values import MtcVersion, OcpVersion

# --- OpenShift: a row per boundary, oldest first ----------------------------------------------------------------
OPENSHIFT_4 = OcpVersion(4, 0)  # below: OpenShift 3.x (3.11), SDN only, the older EgressNetworkPolicy limit
SERVER_SIDE_APPLY_FROM = OcpVersion(4, 3)  # facts §11: Kubernetes 1.16+; below, Argo CD applies client-side
LEGACY_PLATFORM_UNTIL = OcpVersion(4, 5)  # facts §6: "legacy platform: 4.5 and earlier" (3.x included)
# facts §9: router namespaces carry the new label form; OVN EgressFirewall takes dnsName; facts §11: SDN stops
# giving host-network router traffic the `default` namespace's VNID (the openshift-host-network case)
ROUTER_LABEL_FROM = OcpVersion(4, 7)
EGRESS_FIREWALL_DNS_NAME_FROM = OcpVersion(4, 7)
HOST_NETWORK_NAMESPACE_FROM = OcpVersion(4, 7)
# facts §9: `kubernetes.io/metadata.name` on every namespace, so cluster DNS is selectable by namespace name
NAMESPACE_NAME_LABEL_FROM = OcpVersion(4, 8)
MTC_17_UNTIL = OcpVersion(4, 9)  # facts §6: 4.9 and earlier run MTC 1.7; 1.8 supports only 4.10 and later
# facts §9: OpenShift SDN enforces egress NetworkPolicy (and `except` in an ipBlock); `endPort` is kept
SDN_EGRESS_POLICY_FROM = OcpVersion(4, 10)
END_PORT_FROM = OcpVersion(4, 10)
EGRESS_FIREWALL_NODE_SELECTOR_FROM = OcpVersion(4, 11)  # facts §4.2
NO_AUTO_TOKEN_FROM = OcpVersion(4, 11)  # facts §10: no API token Secrets created for service accounts
PSA_FROM = OcpVersion(4, 11)  # facts §7.9: mig-controller treats PSA as enforced from Kubernetes 1.24
OVN_ONLY_FROM = OcpVersion(4, 17)  # facts §4.3: OpenShift SDN is removed
NEWEST_KNOWN_OCP = OcpVersion(4, 19)  # facts §9 cites releases up to 4.19; newer ones behave like the newest

# --- MTC ----------------------------------------------------------------------------------------------------
MTC_17 = MtcVersion(7, None)
MTC_18 = MtcVersion(8, None)
BLOCK_RSYNC_FROM = MTC_18  # facts §3.2: `blockrsync-server` and its route from MTC 1.8
ENDPOINT_TYPES_FROM = (7, 7)  # facts §3.3: NodePort and ClusterIP rsync endpoints from MTC 1.7.7 (minor, patch)


def is_3x(version: OcpVersion) -> bool:
    return version < OPENSHIFT_4


def legacy_platform(version: OcpVersion) -> bool:
    return version <= LEGACY_PLATFORM_UNTIL


def needs_mtc_17(version: OcpVersion) -> bool:
    return version <= MTC_17_UNTIL


def block_rsync(mtc: MtcVersion) -> bool:
    return mtc.minor >= BLOCK_RSYNC_FROM.minor


def derived_mtc(source: OcpVersion, target: OcpVersion) -> MtcVersion | None:
    """The MTC a pair runs by the facts; None when the two clusters would need different MTC versions."""
    if needs_mtc_17(source):
        return MTC_17
    if needs_mtc_17(target):
        return None  # source 4.10+ runs 1.8, an older target only 1.7: mixed, unsupported
    return MTC_18


def effective_mtc(pair: ClusterPair) -> MtcVersion:
    """The MTC version the output is for: the explicit one, else derived (valid pairs: the rules checked it)."""
    if pair.mtc_version is not None:
        return pair.mtc_version
    return derived_mtc(pair.source.openshift_version, pair.target.openshift_version) or MTC_17


def default_network_type(version: OcpVersion) -> NetworkType | None:
    """facts §4.3: 3.x runs OpenShift SDN; SDN is removed in 4.17; in between either may run."""
    if is_3x(version):
        return NetworkType.OPENSHIFT_SDN
    if version >= OVN_ONLY_FROM:
        return NetworkType.OVN_KUBERNETES
    return None
