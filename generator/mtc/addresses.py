"""Parsing of the addresses a spec names: CIDRs, proxy URLs, noProxy entries and DNS names.

The parsers live with the spec model (`generator.spec.values`), which holds parsed values; re-exported here.
"""

from __future__ import annotations

from generator.spec.values import (
    IpNetwork,
    ProxyAddress,
    is_dns_subdomain,
    network_sort_key,
    no_proxy_entry_ok,
    parse_ip,
    parse_network,
    parse_proxy_url,
    sorted_networks,
)

__all__ = [
    "IpNetwork",
    "ProxyAddress",
    "is_dns_subdomain",
    "network_sort_key",
    "no_proxy_entry_ok",
    "parse_ip",
    "parse_network",
    "parse_proxy_url",
    "sorted_networks",
]
