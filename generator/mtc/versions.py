"""OpenShift and MTC versions, and which MTC a cluster pair must run (facts §6)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.spec.model import ClusterPair, NetworkType

_OCP = re.compile(r"^(3)\.(11)$|^(4)\.(0|[1-9][0-9]?)$")
_MTC = re.compile(r"^1\.([78])(?:\.(0|[1-9][0-9]*))?$")


@dataclass(frozen=True, order=True)
class OcpVersion:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def legacy(self) -> bool:
        """facts §6: "legacy platform: OpenShift Container Platform 4.5 and earlier" (3.x included)."""
        return self <= OcpVersion(4, 5)

    @property
    def needs_mtc_17(self) -> bool:
        """facts §6: a cluster at 4.9 or earlier runs MTC 1.7; 1.8 supports only 4.10 and later."""
        return self <= OcpVersion(4, 9)


@dataclass(frozen=True)
class MtcVersion:
    minor: int  # 7 or 8
    patch: int | None

    def __str__(self) -> str:
        return f"1.{self.minor}" + (f".{self.patch}" if self.patch is not None else "")

    def at_least(self, minor: int, patch: int) -> bool | None:
        """None when the answer depends on a patch version that was not given."""
        if self.minor != minor:
            return self.minor > minor
        return None if self.patch is None else self.patch >= patch


def parse_ocp(text: str) -> OcpVersion | None:
    m = _OCP.match(text)
    if not m:
        return None
    major, minor = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return OcpVersion(int(major), int(minor))


def parse_mtc(text: str) -> MtcVersion | None:
    m = _MTC.match(text)
    if not m:
        return None
    return MtcVersion(int(m.group(1)), int(m.group(2)) if m.group(2) is not None else None)


def derived_mtc(source: OcpVersion, target: OcpVersion) -> MtcVersion | None:
    """The MTC a pair runs by the facts; None when the two clusters would need different MTC versions."""
    if source.needs_mtc_17:
        return MtcVersion(7, None)
    if target.needs_mtc_17:
        return None  # source 4.10+ runs 1.8, an older target only 1.7: mixed, unsupported
    return MtcVersion(8, None)


def effective_mtc(pair: ClusterPair) -> MtcVersion:
    """The MTC version the output is for (valid pairs only: the rules have checked it)."""
    if pair.mtc_version is not None:
        explicit = parse_mtc(pair.mtc_version)
        if explicit is not None:
            return explicit
    src, tgt = parse_ocp(pair.source.openshift_version), parse_ocp(pair.target.openshift_version)
    derived = derived_mtc(src, tgt) if src and tgt else None
    return derived or MtcVersion(7, None)


def default_network_type(version: OcpVersion) -> NetworkType | None:
    """facts §4.3: 3.x runs OpenShift SDN; SDN is removed in 4.17; in between either may run."""
    if version.major == 3:
        return NetworkType.OPENSHIFT_SDN
    if version >= OcpVersion(4, 17):
        return NetworkType.OVN_KUBERNETES
    return None
