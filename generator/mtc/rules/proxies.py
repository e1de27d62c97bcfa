"""Proxy rules: the MigrationController proxy override and the DVM stunnel TCP proxy.

Messages never repeat a URL that may carry credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.mtc.addresses import no_proxy_entry_ok, parse_proxy_url
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Severity
from generator.spec.model import PolicyMode

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@rule("proxy-url")
def proxy_url(ctx: RuleContext) -> Iterator[Finding]:
    """`httpProxy`/`httpsProxy` are `http://host:port` (spec §3).

    The operator copies them into the controller's HTTP(S)_PROXY env and the `migration-proxy` Secret (facts
    §1.2); a removed value is not cleaned up from the deployments (facts §7.6), so a wrong one is costly.
    Credentials written here would be committed to git.
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        proxy = cluster.proxy
        if proxy is None:
            continue
        for key, value in (("httpProxy", proxy.http_proxy), ("httpsProxy", proxy.https_proxy)):
            if value is None:
                continue
            path = (*proxy.path, key)
            address = parse_proxy_url(value)
            if address is None or address.scheme not in ("http", "https"):
                yield Finding(path, "not a proxy URL", suggestion="write http://host:port")
                continue
            if address.scheme == "https":
                yield Finding(
                    path,
                    "https:// proxy URL; the contract expects http://host:port",
                    severity=Severity.WARNING,
                    suggestion="use http:// unless the proxy itself speaks TLS",
                )
            if address.port is None:
                yield Finding(path, "the proxy URL has no port", suggestion="write http://host:port")
            if address.extra:
                yield Finding(path, "a proxy URL has no path, query or fragment", suggestion="write http://host:port")
            if address.has_credentials:
                yield Finding(
                    path,
                    "the proxy URL carries credentials, which would be committed to git",
                    severity=Severity.WARNING,
                    suggestion="use a proxy that authenticates otherwise",
                )


@rule("no-proxy")
def no_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """`noProxy` entries are a domain, `.domain` (subdomains only), `*`, an IP or a CIDR (seed doc §6.4.3).

    The operator ignores `noProxy` when neither httpProxy nor httpsProxy is set ("This field is ignored if
    neither the httpProxy nor the httpsProxy field is set"), and a CR value replaces the inherited list rather
    than extending it (facts §1.4).
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        proxy = cluster.proxy
        if proxy is None or proxy.no_proxy is None:
            continue
        for i, entry in enumerate(proxy.no_proxy):
            if not no_proxy_entry_ok(entry):
                yield Finding(
                    (*proxy.path, "noProxy", i),
                    f"{entry!r} is not a domain, .domain, *, IP or CIDR",
                    suggestion="e.g. .cluster.local, example.com or 10.0.0.0/16",
                )
        if proxy.http_proxy is None and proxy.https_proxy is None:
            yield Finding(
                (*proxy.path, "noProxy"),
                "noProxy without httpProxy or httpsProxy is ignored by MTC",
                severity=Severity.WARNING,
                suggestion="add httpProxy/httpsProxy or remove noProxy",
            )


@rule("stunnel-proxy")
def stunnel_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """The stunnel TCP proxy is `http://host:port`, with credentials only from `username` + `passwordFrom`.

    facts §3.3: the controller parses the URL with Go url.Parse and uses only host, user and password; the
    client stunnel speaks a plain HTTP CONNECT tunnel, so the scheme is ignored and TLS to the proxy is
    impossible; a URL without a scheme silently disables the proxy. The value lands in a plain ConfigMap
    (peers §1.6), so inline credentials would reach git: they are refused, and read at render time instead.
    """
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    if proxy is None:
        return
    path = (*proxy.path, "url")
    address = parse_proxy_url(proxy.url)
    if address is None:
        yield Finding(path, "not a URL with a host", suggestion="write http://host:port")
        return
    if address.has_credentials:
        yield Finding(
            path,
            "the URL carries inline credentials, which would be committed to git",
            suggestion="move the user to `username` and the password to `passwordFrom`",
        )
    if address.scheme != "http":
        yield Finding(
            path,
            f"scheme {address.scheme!r}: stunnel speaks plain HTTP CONNECT to the proxy and the "
            "controller ignores the scheme, so TLS to the proxy is impossible",
            suggestion="write http://host:port",
        )
    if address.port is None:
        yield Finding(path, "the URL has no port", suggestion="write http://host:port")
    if address.extra:
        yield Finding(path, "the URL has a path, query or fragment", suggestion="write http://host:port")
    password = proxy.password_from
    if password is not None and proxy.username is None:
        yield Finding(
            (*proxy.path, "passwordFrom"), "a password without `username` is never sent", suggestion="add username"
        )
    if password is not None and password.env is not None and not _ENV_NAME.match(password.env):
        yield Finding((*proxy.path, "passwordFrom", "env"), f"{password.env!r} is not an environment variable name")
    if password is not None and password.file is not None and not password.file.strip():
        yield Finding((*proxy.path, "passwordFrom", "file"), "empty file path")
    if proxy.username is not None and password is None:
        yield Finding(
            (*proxy.path, "username"),
            "a username without passwordFrom sends an empty password",
            severity=Severity.WARNING,
            suggestion="add passwordFrom: {env: NAME} or {file: PATH}",
        )
    if ctx.pair.network_policy_mode is PolicyMode.STRICT and address.ip is None:
        yield Finding(
            path,
            f"strict mode cannot name the proxy host {address.host!r} in a NetworkPolicy; the rsync "
            f"clients may reach any address on port {address.port}",
            severity=Severity.WARNING,
            suggestion="give the proxy as an IP address to narrow the policy",
        )
