"""Parsing of the addresses a spec names: CIDRs, proxy URLs, noProxy entries and DNS names."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def is_dns_subdomain(name: str) -> bool:
    """RFC 1123 subdomain as Kubernetes checks it: lower-case labels, at most 253 characters."""
    return 0 < len(name) <= 253 and all(_DNS_LABEL.match(label) for label in name.split("."))


def parse_network(text: str) -> IpNetwork | None:
    """A CIDR (`10.0.0.0/16`) or a single address (taken as /32 or /128); None when it is neither."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def network_sort_key(net: IpNetwork) -> tuple[int, int, int]:
    return (net.version, int(net.network_address), net.prefixlen)


def sorted_networks(texts: Iterable[str]) -> list[IpNetwork]:
    """Distinct networks in address order: output never depends on the order of the spec's list."""
    return sorted({n for n in map(parse_network, texts) if n is not None}, key=network_sort_key)


@dataclass(frozen=True)
class ProxyAddress:
    """A proxy URL split into what the controller uses: host, port, and whether the host is an IP."""

    scheme: str
    host: str  # IPv6 without brackets
    port: int | None
    has_credentials: bool
    extra: str  # path, query or fragment that should not be there

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        return parse_ip(self.host)

    @property
    def cidr(self) -> str | None:
        """The host as a single-address CIDR (`/32`, `/128`), None when it is a name."""
        ip = self.ip
        return f"{ip}/{ip.max_prefixlen}" if ip is not None else None

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port is not None else host


def parse_proxy_url(text: str) -> ProxyAddress | None:
    """Split `scheme://[user[:password]@]host:port`; None when it does not parse as a URL with a host."""
    try:
        parts: SplitResult = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    extra = "".join(p for p in (parts.path if parts.path != "/" else "", parts.query, parts.fragment) if p)
    return ProxyAddress(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        has_credentials=parts.username is not None or parts.password is not None,
        extra=extra,
    )


def no_proxy_entry_ok(entry: str) -> bool:
    """noProxy grammar (seed doc): a domain, `.domain` for subdomains only, `*`, an IP or a CIDR."""
    if entry == "*":
        return True
    if parse_network(entry) is not None:
        return True
    name = entry[1:] if entry.startswith(".") else entry
    return is_dns_subdomain(name.lower())
