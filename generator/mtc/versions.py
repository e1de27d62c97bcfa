"""OpenShift and MTC versions, and which MTC a cluster pair must run (facts §6)."""

from __future__ import annotations

from generator.spec.model import ClusterPair, NetworkType
from generator.spec.values import MtcVersion, OcpVersion, parse_mtc, parse_ocp

__all__ = [
    "MtcVersion",
    "OcpVersion",
    "default_network_type",
    "derived_mtc",
    "effective_mtc",
    "parse_mtc",
    "parse_ocp",
]


def derived_mtc(source: OcpVersion, target: OcpVersion) -> MtcVersion | None:
    """The MTC a pair runs by the facts; None when the two clusters would need different MTC versions."""
    if source.needs_mtc_17:
        return MtcVersion(7, None)
    if target.needs_mtc_17:
        return None  # source 4.10+ runs 1.8, an older target only 1.7: mixed, unsupported
    return MtcVersion(8, None)


def effective_mtc(pair: ClusterPair) -> MtcVersion:
    """The MTC version the output is for: the explicit one, else derived (valid pairs: the rules checked it)."""
    if pair.mtc_version is not None:
        return pair.mtc_version
    return derived_mtc(pair.source.openshift_version, pair.target.openshift_version) or MtcVersion(7, None)


def default_network_type(version: OcpVersion) -> NetworkType | None:
    """facts §4.3: 3.x runs OpenShift SDN; SDN is removed in 4.17; in between either may run."""
    if version.major == 3:
        return NetworkType.OPENSHIFT_SDN
    if version >= OcpVersion(4, 17):
        return NetworkType.OVN_KUBERNETES
    return None
