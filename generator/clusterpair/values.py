"""Typed values of a ClusterPair: what the model holds once the spec is loaded (parse, don't re-validate).

OpenShift and MTC versions, IP networks, proxy URLs and noProxy entries have a type. The parsers that make them
live in `generator.clusterpair.parse` and run once, when the spec loads; nothing after loading parses a spec string
again (an import-linter contract keeps rules and renderers away from the parsers).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from generator.records import record

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- versions ---------------------------------------------------------------------------------------------


@record(order=True)
class OcpVersion:
    """An OpenShift version, major and minor; ordered."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@record
class MtcVersion:
    """An MTC 1.x version: the minor and, when given, the patch."""

    minor: int  # 7 or 8
    patch: int | None

    def __str__(self) -> str:
        return f"1.{self.minor}" + (f".{self.patch}" if self.patch is not None else "")

    def at_least(self, minor: int, patch: int) -> bool | None:
        """None when the answer depends on a patch version that was not given."""
        if self.minor != minor:
            return self.minor > minor
        return None if self.patch is None else self.patch >= patch


# --- networks ---------------------------------------------------------------------------------------------


def network_sort_key(net: IpNetwork) -> tuple[int, int, int]:
    return (net.version, int(net.network_address), net.prefixlen)


def sorted_networks(items: Iterable[IpNetwork]) -> list[IpNetwork]:
    """Distinct networks in address order: output never depends on the order of the spec's list."""
    return sorted(set(items), key=network_sort_key)


@record
class NoProxyEntry:
    """A `noProxy` entry as written (rendered verbatim) and parsed: `*`, a domain, `.domain`, an IP or a CIDR."""

    text: str
    network: IpNetwork | None  # the entry as an IP network, None when it is a name
    valid: bool  # one of the forms above (rule `no-proxy` reports the others)

    @property
    def name(self) -> str:
        """The entry as a name to match hosts against: lower-case, no trailing dot, `*.` dropped."""
        name = self.text.lower().rstrip(".")
        return name[1:] if name.startswith("*.") else name


# --- proxy URLs -------------------------------------------------------------------------------------------


@record
class ProxyAddress:
    """A proxy URL split into what the controller uses: host, port, and whether the host is an IP.

    The user and password are never kept: only whether there were any (an error, spec §3).
    """

    scheme: str
    host: str  # IPv6 without brackets
    port: int | None
    has_credentials: bool
    extra: str  # path, query or fragment that should not be there
    ip: IpAddress | None  # the host as an address, parsed when loaded; None when it is a name

    @property
    def network(self) -> IpNetwork | None:
        """The host as a single-address network (`/32`, `/128`), None when it is a name."""
        return ipaddress.ip_network(self.ip) if self.ip is not None else None

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port is not None else host

    @property
    def url(self) -> str:
        """`scheme://host:port`, credentials never included."""
        return f"{self.scheme}://{self.netloc}"

    def __str__(self) -> str:
        return self.url


# --- spec §8 endpoint URLs ---------------------------------------------------------------------------------


@record
class EndpointUrl:
    """An endpoint URL as written (rendered verbatim: MigCluster `url`, MigStorage `awsS3Url`) and parsed."""

    text: str
    address: ProxyAddress

    def __str__(self) -> str:
        return self.text
