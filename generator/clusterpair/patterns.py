"""Name patterns a ClusterPair's keys are declared with (generator.clusterpair.schema), and their one check."""

from __future__ import annotations

import re

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def is_dns_subdomain(name: str) -> bool:
    """RFC 1123 subdomain as Kubernetes checks it: lower-case labels, at most 253 characters."""
    return 0 < len(name) <= 253 and all(_DNS_LABEL.match(label) for label in name.split("."))
