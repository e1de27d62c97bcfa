"""The parsers of a ClusterPair's typed values (generator.clusterpair.values), run once when the spec is loaded.

OpenShift and MTC versions, IP networks, proxy URLs (with their host's address) and noProxy entries have a type;
names have a pattern. The checker (generator.clusterpair.check) runs the parser the declaration names for each value: an
unparseable one is a problem at its file:line:col, and the model holds the parsed value. Nothing after loading
parses these strings again (import-linter keeps rules and renderers away from this module).

Each parser raises `ValueProblemError` (rule id, message, suggestion, severity): the rule ids of the values.
- `openshift-version` (error): "3.11" or "4.N".
- `mtc-version` (error): "1.7", "1.8" or "1.7.7"-style.
- `cidr` (error): an IP network (or one address) with no host bits set.
- `proxy-url` (error): `http://host:port` or `https://host:port` (httpProxy, httpsProxy), no path, query or fragment.
- `stunnel-proxy-url` (error): the stunnel proxy is `http://host:port`.
- `proxy-credentials` (error): any proxy URL carrying a user or password; the value is never echoed.
- `registration-api-url` (error): a cluster's `apiUrl` is `https://host[:port]`, no credentials, path or query.
- `repository-url` (error): `replicationRepository.s3Url` is `http(s)://host[:port]` without credentials.
- `dns1123-label` (error): names (the pair, clusters, namespaces, MigrationController, firewalls, MigStorage) are
  DNS-1123 labels: they become Kubernetes object and namespace names and folders under overlays/.
- `install-catalog` (error): `install.catalogSource` is a CatalogSource name (a DNS-1123 subdomain).
- `credential-source` (error; the rule of that id checks the variable names): a `secretRef` is a Secret name.
- `apps-domain` (error; the rule of that id checks the route hosts' length): `appsDomain` is a lower-case DNS name.
- `openings-closes-at` (error): `openings.closesAt` is an RFC 3339 timestamp in UTC (`2027-01-31T18:00:00Z`).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

from generator.clusterpair.patterns import DNS1123_LABEL, is_dns_subdomain
from generator.clusterpair.values import (
    EndpointUrl,
    IpAddress,
    IpNetwork,
    MtcVersion,
    NoProxyEntry,
    OcpVersion,
    ProxyAddress,
)
from generator.clusterpair.yamlsource import shown
from generator.problems import Severity

_OCP = re.compile(r"^(3)\.(11)$|^(4)\.(0|[1-9][0-9]?)$")
_MTC = re.compile(r"^1\.([78])(?:\.(0|[1-9][0-9]{0,8}))?$")  # a patch of at most 9 digits: no huge int()


class ValueProblemError(ValueError):
    """A value that does not parse (or parses with a finding); never carries the value when it is secret."""

    def __init__(self, rule: str, message: str, suggestion: str = "", severity: Severity = Severity.ERROR) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.suggestion = suggestion
        self.severity = severity


# --- versions ---------------------------------------------------------------------------------------------


def parse_ocp(text: str | OcpVersion) -> OcpVersion | None:
    if isinstance(text, OcpVersion):
        return text
    m = _OCP.match(text)
    if not m:
        return None
    major, minor = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return OcpVersion(int(major), int(minor))


def parse_mtc(text: str | MtcVersion) -> MtcVersion | None:
    if isinstance(text, MtcVersion):
        return text
    m = _MTC.match(text)
    if not m:
        return None
    return MtcVersion(int(m.group(1)), int(m.group(2)) if m.group(2) is not None else None)


def ocp_version(text: str) -> OcpVersion:
    version = parse_ocp(text)
    if version is not None:
        return version
    parts = text.split(".")
    # "4.12.3" -> "4.12"; a hint only when the first two parts already form a version we accept.
    hint = 'e.g. "4.12"'
    if len(parts) > 2 and parse_ocp(".".join(parts[:2])) is not None:
        hint = f'write "{parts[0]}.{parts[1]}"'
    raise ValueProblemError("openshift-version", f'{shown(text)} is not "3.11" or "4.N"', hint)


def mtc_version(text: str) -> MtcVersion:
    version = parse_mtc(text)
    if version is None:
        raise ValueProblemError("mtc-version", f"{shown(text)} is not an MTC version", '"1.7", "1.8" or "1.7.7"')
    return version


# --- names ------------------------------------------------------------------------------------------------


def _suggest(name: str) -> str:
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    return f"did you mean {fixed!r}?" if fixed and fixed != name else "use lower-case letters, digits and '-'"


def dns1123_label(text: str) -> str:
    """A name that becomes a Kubernetes name and a folder: at most 63 lower-case letters, digits and '-',
    alphanumeric at both ends (the API server validates names this way, so one that passes never fails later)."""
    if len(text) > 63:
        raise ValueProblemError("dns1123-label", f"{text!r} is {len(text)} characters; a DNS-1123 label has at most 63")
    if not re.match(DNS1123_LABEL, text):
        raise ValueProblemError("dns1123-label", f"{text!r} is not a DNS-1123 label", _suggest(text))
    return text


def catalog_source(text: str) -> str:
    """The OLM catalog source: an object name in openshift-marketplace (facts §10)."""
    if not is_dns_subdomain(text):
        raise ValueProblemError("install-catalog", f"{text!r} is not a CatalogSource name")
    return text


def apps_domain(text: str) -> str:
    """`appsDomain`: a lower-case DNS name (DVM route hosts `dvm-<ns>.<appsDomain>` are built under it)."""
    if not is_dns_subdomain(text):
        raise ValueProblemError("apps-domain", f"{text!r} is not a lower-case DNS name", "e.g. apps.ocp4.example.com")
    return text


def secret_name(text: str) -> str:
    """A Secret in openshift-config (`tokenFrom.secretRef`, `credentialsFrom.secretRef`): a DNS-1123 subdomain."""
    if not is_dns_subdomain(text):
        raise ValueProblemError("credential-source", f"{text!r} is not a Secret name")
    return text


# --- networks ---------------------------------------------------------------------------------------------


def parse_network(text: str) -> IpNetwork | None:
    """A CIDR (`10.0.0.0/16`) or a single address (taken as /32 or /128); None when it is neither."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def parse_ip(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def network(text: str) -> IpNetwork:
    """A `cidrs` entry: host bits set is usually a typo for another range, so it is named, not widened."""
    net = parse_network(text)
    if net is None:
        raise ValueProblemError("cidr", f"{shown(text)} is not an IP network", "e.g. 203.0.113.0/24")
    if "/" in text and net.network_address != parse_ip(text.split("/", maxsplit=1)[0]):
        raise ValueProblemError("cidr", f"{shown(text)} has host bits set", f"did you mean {str(net)!r}?")
    return net


def no_proxy_entry(text: str) -> NoProxyEntry:
    """noProxy grammar (seed doc): a domain, `.domain` for subdomains only, `*`, an IP or a CIDR. Never fails:
    an entry of another form is kept with `valid=False` for rule `no-proxy` to name among the other findings."""
    net = parse_network(text)
    name = text[1:] if text.startswith(".") else text
    valid = text == "*" or net is not None or is_dns_subdomain(name.lower())
    return NoProxyEntry(text, net, valid)


def parse_proxy_url(text: str | ProxyAddress) -> ProxyAddress | None:
    """Split `scheme://[user[:password]@]host:port`; None when it does not parse as a URL with a host."""
    if isinstance(text, ProxyAddress):
        return text
    try:
        parts: SplitResult = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    extra = "".join(p for p in (parts.path if parts.path != "/" else "", parts.query, parts.fragment) if p)
    return ProxyAddress(
        scheme=parts.scheme.lower(),
        host=parts.hostname,
        port=port,
        has_credentials=parts.username is not None or parts.password is not None,
        extra=extra,
        ip=parse_ip(parts.hostname),
    )


def _credentials(rule_hint: str) -> ValueProblemError:
    return ValueProblemError(
        "proxy-credentials",
        "the proxy URL carries credentials; the spec is committed to git, so they are refused (and not repeated)",
        rule_hint,
    )


def proxy_url(text: str) -> ProxyAddress:
    """httpProxy / httpsProxy: `http://host:port` or `https://host:port` (spec §3)."""
    address = parse_proxy_url(text)
    if address is None or address.scheme not in ("http", "https"):
        raise ValueProblemError("proxy-url", "not a proxy URL", "write http://host:port")
    if address.has_credentials:
        raise _credentials("use a proxy that authenticates otherwise, or rotate the exposed password")
    if address.port is None:
        raise ValueProblemError("proxy-url", "the proxy URL has no port", "write http://host:port")
    if address.extra:
        raise ValueProblemError("proxy-url", "a proxy URL has no path, query or fragment", "write http://host:port")
    return address


def stunnel_url(text: str) -> ProxyAddress:
    """The stunnel TCP proxy: `http://host:port` (facts §3.3: a plain CONNECT tunnel; scheme ignored)."""
    address = parse_proxy_url(text)
    if address is None:
        raise ValueProblemError("stunnel-proxy-url", "not a URL with a host", "write http://host:port")
    if address.has_credentials:
        raise _credentials("move the user to `username` and the password to `passwordFrom`")
    if address.scheme != "http":
        raise ValueProblemError(
            "stunnel-proxy-url",
            f"scheme {shown(address.scheme)}: stunnel speaks plain HTTP CONNECT to the proxy and the controller "
            "ignores the scheme, so TLS to the proxy is impossible",
            "write http://host:port",
        )
    if address.port is None:
        raise ValueProblemError("stunnel-proxy-url", "the URL has no port", "write http://host:port")
    if address.extra:
        raise ValueProblemError("stunnel-proxy-url", "the URL has a path, query or fragment", "write http://host:port")
    return address


def api_server_url(text: str) -> EndpointUrl:
    """A cluster's `apiUrl`: the API server's `https://host:port` (MigCluster `url`), nothing else in it."""
    address = parse_proxy_url(text)
    if address is None or address.scheme != "https" or address.has_credentials or address.extra:
        raise ValueProblemError(
            "registration-api-url", "not an API server URL", "write https://api.<cluster domain>:6443 (8443 on 3.x)"
        )
    return EndpointUrl(text, address)


def s3_url(text: str) -> EndpointUrl:
    """`replicationRepository.s3Url`: an `http(s)://host[:port]` S3 endpoint; keys come from `credentialsFrom`."""
    address = parse_proxy_url(text)
    if address is None or address.scheme not in ("http", "https"):
        raise ValueProblemError("repository-url", "not an S3 URL", "write https://host[:port]")
    if address.has_credentials:
        raise ValueProblemError(
            "repository-url", "the URL carries credentials, which would be committed to git", "use credentialsFrom"
        )
    return EndpointUrl(text, address)


# --- spec §9 openings deadline -----------------------------------------------------------------------------


def _utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamp(value: str | datetime.datetime) -> datetime.datetime:
    """`openings.closesAt`: an RFC 3339 instant in UTC (`2027-01-31T18:00:00Z`), whole seconds.

    YAML 1.1 reads an unquoted timestamp as a datetime, a quoted one stays a string: both are accepted and give
    the same instant. Another offset, no offset, or fractional seconds are refused with the UTC spelling to write,
    so the `closes-at` annotation and every comparison use exactly what the spec says.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise ValueProblemError(
                "openings-closes-at", "not an RFC 3339 timestamp", "write it in UTC, like 2027-01-31T18:00:00Z"
            ) from None
        if "T" not in text.upper():
            raise ValueProblemError(
                "openings-closes-at", "a date and a time are needed", f"write {text[:10]}T00:00:00Z (UTC)"
            )
    else:
        moment = value
    if moment.tzinfo is None:
        raise ValueProblemError(
            "openings-closes-at",
            "the timestamp has no time zone",
            f"write it in UTC with a Z: {moment.strftime('%Y-%m-%dT%H:%M:%S')}Z if that time is UTC",
        )
    if moment.utcoffset() != datetime.timedelta(0):
        raise ValueProblemError("openings-closes-at", "the timestamp is not in UTC", f"write {_utc_text(moment)}")
    if moment.microsecond:
        raise ValueProblemError("openings-closes-at", "fractional seconds are not kept", f"write {_utc_text(moment)}")
    return moment.astimezone(datetime.UTC)
