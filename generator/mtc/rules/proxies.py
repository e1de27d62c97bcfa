"""Proxy rules: the MigrationController proxy override and the DVM stunnel TCP proxy.

Whether proxy URLs parse, and that none carries credentials (rules `proxy-url`, `stunnel-proxy-url`,
`proxy-credentials`), is checked when the spec is loaded (generator.clusterpair.parse): the model holds parsed
addresses without user or password, so no message here can repeat a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.clusterpair.model import PolicyMode
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Severity

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@rule("no-proxy")
def no_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """`noProxy` entries are a domain, `.domain` (subdomains only), `*`, an IP or a CIDR (seed doc §6.4.3).

    Passing::

        proxy: {httpProxy: "http://proxy:3128", noProxy: [.svc, example.com, 10.0.0.0/16]}

    Failing::

        proxy: {httpProxy: "http://proxy:3128", noProxy: ["*.example.com"]}
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        proxy = cluster.proxy
        if proxy is None or proxy.no_proxy is None:
            continue
        for i, entry in enumerate(proxy.no_proxy):
            if not entry.valid:
                yield Finding(
                    (*proxy.path, "noProxy", i),
                    f"{entry.text!r} is not a domain, .domain, *, IP or CIDR",
                    suggestion="e.g. .cluster.local, example.com or 10.0.0.0/16",
                )


@rule("no-proxy-ignored", Severity.WARNING)
def no_proxy_ignored(ctx: RuleContext) -> Iterator[Finding]:
    """`noProxy` without `httpProxy`/`httpsProxy` is ignored by the operator.

    The docs: "This field is ignored if neither the httpProxy nor the httpsProxy field is set"; a CR value
    replaces the inherited list rather than extending it (facts §1.4).

    Passing::

        proxy: {httpProxy: "http://proxy:3128", noProxy: [.svc]}

    Failing::

        proxy: {noProxy: [.svc]}
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        proxy = cluster.proxy
        if proxy is not None and proxy.no_proxy is not None and proxy.http_proxy is None and proxy.https_proxy is None:
            yield Finding(
                (*proxy.path, "noProxy"),
                "noProxy without httpProxy or httpsProxy is ignored by MTC",
                suggestion="add httpProxy/httpsProxy or remove noProxy",
            )


@rule("stunnel-proxy-password-unused")
def stunnel_proxy_password_unused(ctx: RuleContext) -> Iterator[Finding]:
    """A stunnel proxy password is sent only with a `username` (facts §3.3: Go url.Parse user info).

    Passing::

        stunnelTCPProxy: {url: "http://proxy:3128", username: dvm, passwordFrom: {env: PW}}

    Failing::

        stunnelTCPProxy: {url: "http://proxy:3128", passwordFrom: {env: PW}}
    """
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    if proxy is not None and proxy.password_from is not None and proxy.username is None:
        yield Finding(
            (*proxy.path, "passwordFrom"), "a password without `username` is never sent", suggestion="add username"
        )


@rule("stunnel-proxy-password-source")
def stunnel_proxy_password_source(ctx: RuleContext) -> Iterator[Finding]:
    """`passwordFrom` names an environment variable (a shell name) or a non-empty file path.

    The password is read at render time only (spec §7); a name that cannot exist fails there, later.

    Passing::

        passwordFrom: {env: DVM_PROXY_PASSWORD}

    Failing::

        passwordFrom: {env: 1PW}
    """
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    password = proxy.password_from if proxy is not None else None
    if proxy is None or password is None:
        return
    if password.env is not None and not ENV_NAME.match(password.env):
        yield Finding((*proxy.path, "passwordFrom", "env"), f"{password.env!r} is not an environment variable name")
    if password.file is not None and not password.file.strip():
        yield Finding((*proxy.path, "passwordFrom", "file"), "empty file path")


@rule("stunnel-proxy-no-password", Severity.WARNING)
def stunnel_proxy_no_password(ctx: RuleContext) -> Iterator[Finding]:
    """A stunnel proxy `username` without `passwordFrom` sends an empty password.

    Passing::

        stunnelTCPProxy: {url: "http://proxy:3128", username: dvm, passwordFrom: {file: /etc/pw}}

    Failing::

        stunnelTCPProxy: {url: "http://proxy:3128", username: dvm}
    """
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    if proxy is not None and proxy.username is not None and proxy.password_from is None:
        yield Finding(
            (*proxy.path, "username"),
            "a username without passwordFrom sends an empty password",
            suggestion="add passwordFrom: {env: NAME} or {file: PATH}",
        )


@rule("stunnel-proxy-strict-host", Severity.WARNING)
def stunnel_proxy_strict_host(ctx: RuleContext) -> Iterator[Finding]:
    """Strict mode names the stunnel proxy in a NetworkPolicy only by IP (ipBlock); a host name cannot be.

    The egress rule is then port-only: the rsync clients may reach any address on the proxy port.

    Passing::

        stunnelTCPProxy: {url: "http://192.0.2.30:3128"}
        networkPolicy: {mode: strict}

    Failing::

        stunnelTCPProxy: {url: "http://proxy.example.com:3128"}
        networkPolicy: {mode: strict}
    """
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    address = ctx.resolved.stunnel_proxy
    if proxy is None or address is None or ctx.pair.network_policy_mode is not PolicyMode.STRICT:
        return
    if address.ip is None and ctx.resolved.source.caps.egress_policy is not False:
        yield Finding(
            (*proxy.path, "url"),
            f"strict mode cannot name the proxy host {address.host!r} in a NetworkPolicy; the rsync "
            f"clients may reach any address on port {address.port}",
            suggestion="give the proxy as an IP address to narrow the policy",
        )


@rule("stunnel-proxy-same-cluster")
def stunnel_proxy_same_cluster(ctx: RuleContext) -> Iterator[Finding]:
    """No stunnel proxy on a same-cluster pair (spec §3).

    Nothing leaves the cluster, and the connection would reach the rsync server from the proxy, where strict
    ingress admits only the rsync clients: DVM would be blocked at the server.

    Passing::

        source: {name: east}
        target: {name: west}
        dvm: {stunnelTCPProxy: {url: "http://192.0.2.30:3128"}}

    Failing::

        source: {name: east}
        target: {name: east}
        dvm: {stunnelTCPProxy: {url: "http://192.0.2.30:3128"}}
    """
    proxy = ctx.pair.dvm.stunnel_tcp_proxy
    if proxy is not None and ctx.pair.same_cluster:
        yield Finding(
            proxy.path,
            f"source and target are one cluster ({ctx.pair.source.name}): DVM traffic never leaves it, and through "
            "a proxy it would reach the rsync server from the proxy, which strict ingress does not admit",
            suggestion="remove dvm.stunnelTCPProxy",
        )
