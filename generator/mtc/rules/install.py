"""spec §8 rules: the operator install, the replication repository and the cluster registrations.

Messages name where a credential is looked for, never its value; validate never reads a credential.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from generator.clusterpair.values import IpAddress, NoProxyEntry
from generator.clusterpair.yamlsource import PathKey, dotted
from generator.mtc import install
from generator.mtc.inputs import ca_files, mapping_path
from generator.mtc.mirror import MirrorMapping
from generator.mtc.resolve import ResolvedCluster
from generator.mtc.rules.proxies import ENV_NAME
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Severity


def _legacy(ctx: RuleContext) -> list[ResolvedCluster]:
    return [c for c in ctx.resolved.clusters if c.caps.legacy_platform] if ctx.pair.install is not None else []


def _mapping(ctx: RuleContext) -> MirrorMapping | None:
    return ctx.resolved.files.mirror  # None: none named, or reported by mirror-mapping


@rule("install-legacy-operator")
def legacy_operator(ctx: RuleContext) -> Iterator[Finding]:
    """A legacy cluster (3.x, 4.2-4.5) installs MTC from the user's operator.yml/controller.yml (facts §10).

    They are never shipped here, so `install` needs them in the cluster's `base`, holding Deployment
    `migration-operator` (spec §4.2: a patch that matches nothing is skipped silently).

    Passing::

        install: {}
        source: {openshiftVersion: "3.11", base: clusters/ocp311}   # holds operator.yml and controller.yml

    Failing::

        install: {}
        source: {openshiftVersion: "3.11"}                           # no base: nothing to install from
    """
    for resolved in _legacy(ctx):
        cluster = resolved.spec
        if ctx.env.items_as_base:
            continue  # a KRM function: the items are the base; generator/transform.py looks for the Deployment
        if cluster.base is None:
            yield Finding(
                cluster.path,
                f"{cluster.name} runs OpenShift {cluster.openshift_version}, a legacy platform: `install` needs a "
                "`base` holding your operator.yml and controller.yml from the legacy operator image",
                suggestion="podman cp them out of "
                f"{install.LEGACY_OPERATOR_IMAGE}:v1.7 into a kustomize base and set base: <its folder>",
            )
            continue
        holdings = resolved.holdings
        if holdings is None or install.legacy_deployment(holdings) is not None:
            continue  # not read here (a missing folder is base-path's), or it holds the operator
        held = ", ".join(holdings.names_of("Deployment")) or "no Deployment"
        partial = "" if holdings.complete else f" (not read: {', '.join(holdings.unread)})"
        yield Finding(
            (*cluster.path, "base"),
            f"{holdings.origin} holds no Deployment {install.MTC_NAMESPACE}/{install.LEGACY_DEPLOYMENT} "
            f"(operator.yml); it holds {held}{partial}",
            suggestion="list operator.yml and controller.yml in the base's kustomization.yaml resources",
        )


@rule("mirror-mapping")
def mirror_mapping(ctx: RuleContext) -> Iterator[Finding]:
    """`install.mirror.mapping` is a mapping.txt holding one digest for each image of the legacy operator.

    Seed 003 §7.3 step 5: the operator's image and REGISTRY come from that file. It is parsed strictly (a bad
    line is an error at its line and column); an image with no line, or with several digests, is an error that
    lists what the mapping holds: the restricted cluster would otherwise pull from a registry it cannot reach.

    Passing::

        install: {mirror: {mapping: mirror/mapping.txt}}   # one digest line for the legacy operator image

    Failing::

        install: {mirror: {mapping: mirror/mapping.txt}}   # two digests for it: which one should run?
    """
    pair = ctx.pair
    if pair.install is None or pair.install.mirror_mapping is None:
        return
    path = mapping_path(pair)
    mapping = ctx.resolved.files.mirror
    for problem in ctx.resolved.files.mirror_problems:  # read and parsed once, by resolve
        if problem.line > 0:
            located = dataclasses.replace(problem, path=dotted(path))
            yield Finding(path, problem.message, elsewhere=located)
        else:
            yield Finding(path, f"{problem.file}: {problem.message}")
    if mapping is None:
        return
    for resolved in _legacy(ctx):
        deployment = install.legacy_deployment(resolved.holdings) if resolved.holdings is not None else None
        if deployment is None:
            continue  # install-legacy-operator
        plan = install.mirror_plan(deployment, mapping)
        if isinstance(plan, str):
            yield Finding(path, plan)


@rule("mirror-mapping-unused", Severity.WARNING)
def mirror_mapping_unused(ctx: RuleContext) -> Iterator[Finding]:
    """A mirror mapping rewrites the legacy operator only: without a legacy cluster it does nothing.

    Modern clusters install from the mirrored catalog (`install.catalogSource`), never from mapping.txt.

    Passing::

        install: {mirror: {mapping: mirror/mapping.txt}}
        source: {openshiftVersion: "3.11"}

    Failing::

        install: {mirror: {mapping: mirror/mapping.txt}}
        source: {openshiftVersion: "4.12"}                 # no legacy cluster
    """
    inst = ctx.pair.install
    if inst is not None and inst.mirror_mapping is not None and not _legacy(ctx):
        yield Finding(
            mapping_path(ctx.pair),
            "no cluster of this pair is legacy (4.5 or older): the mapping is not used",
            suggestion="mirror the OLM catalog with a CatalogSource and name it in install.catalogSource",
        )


@rule("legacy-registry-env", Severity.WARNING)
def legacy_registry_env(ctx: RuleContext) -> Iterator[Finding]:
    """With a mirror mapping, some container of Deployment migration-operator sets env REGISTRY.

    The operator composes its operands' images from REGISTRY (facts §1.3); without it they still come from
    registry.redhat.io, which a restricted network cannot reach.

    Passing::

        env: [{name: REGISTRY, value: registry.redhat.io}]   # in operator.yml: rewritten to the mirror

    Failing::

        env: [{name: PROJECT, value: rhmtc}]                 # no REGISTRY anywhere
    """
    mapping = _mapping(ctx)
    if mapping is None:
        return
    for resolved in _legacy(ctx):
        deployment = install.legacy_deployment(resolved.holdings) if resolved.holdings is not None else None
        plan = install.mirror_plan(deployment, mapping) if deployment is not None else None
        if plan is not None and not isinstance(plan, str) and not plan.env_paths:
            yield Finding(
                (*resolved.spec.path, "base"),
                f"no container of Deployment {install.LEGACY_DEPLOYMENT} sets env {install.REGISTRY_ENV}: the "
                "operator would pull its operands from registry.redhat.io",
            )


@rule("registration-remote")
def registration_remote(ctx: RuleContext) -> Iterator[Finding]:
    """The remote cluster's MigCluster needs `url` and a token Secret (facts §10).

    Registrations are generated with `install` or a replication repository: the control cluster then reaches
    the other cluster at `apiUrl` with the token of its service account migration-controller.

    Passing::

        install: {}
        source: {apiUrl: "https://api.ocp311.example.com:8443", tokenFrom: {secretRef: ocp311-token}}

    Failing::

        install: {}
        source: {name: ocp311}                               # where is it, and with which token?
    """
    pair = ctx.pair
    remote = install.remote_cluster(pair)
    if remote is None or not install.wires(pair):
        return
    if remote.api_url is None:
        yield Finding(
            remote.path,
            f"{remote.name} is registered as remote on the control cluster (MigCluster): it needs apiUrl",
            suggestion="add apiUrl: https://api.<cluster domain>:6443",
        )
    if remote.token_from is None:
        yield Finding(
            remote.path,
            f"{remote.name} is registered as remote on the control cluster: it needs tokenFrom, the token of its "
            f"service account {install.CONTROLLER_SA} in {install.MTC_NAMESPACE}",
            suggestion="add tokenFrom: {secretRef: <Secret in openshift-config with key saToken>}",
        )


@rule("registration-unused", Severity.WARNING)
def registration_unused(ctx: RuleContext) -> Iterator[Finding]:
    """`apiUrl`/`tokenFrom` are read only for the remote cluster of a pair that registers it.

    Passing::

        install: {}
        source: {apiUrl: "https://api.ocp311.example.com:8443", tokenFrom: {secretRef: t}}   # remote

    Failing::

        source: {apiUrl: "https://api.ocp311.example.com:8443"}   # no install, no repository: no registration
    """
    pair = ctx.pair
    remote = install.remote_cluster(pair)
    for cluster in pair.clusters:
        if (cluster.api_url or cluster.token_from) and (cluster is not remote or not install.wires(pair)):
            why = "no cluster is registered without install or replicationRepository"
            if install.wires(pair):
                why = f"{cluster.name} is the control cluster (MigCluster host): it is not registered by URL"
            yield Finding((*cluster.path, "apiUrl" if cluster.api_url else "tokenFrom"), f"not used: {why}", key=True)


@rule("registration-insecure", Severity.WARNING)
def registration_insecure(ctx: RuleContext) -> Iterator[Finding]:
    """`insecure: true` makes the control cluster skip the API server's certificate check (MigCluster).

    Passing::

        caBundleFile: ca/ocp311.pem

    Failing::

        insecure: true
    """
    for cluster in ctx.pair.clusters:
        if cluster.insecure and cluster.ca_bundle_file is None:
            yield Finding(
                (*cluster.path, "insecure"),
                "the control cluster will not verify this API server's certificate",
                suggestion="give caBundleFile instead",
            )


@rule("registration-insecure-with-ca")
def registration_insecure_with_ca(ctx: RuleContext) -> Iterator[Finding]:
    """`insecure: true` together with a CA bundle is a contradiction: the bundle would be ignored.

    Passing::

        caBundleFile: ca/ocp311.pem

    Failing::

        {caBundleFile: ca/ocp311.pem, insecure: true}
    """
    for cluster in ctx.pair.clusters:
        if cluster.insecure and cluster.ca_bundle_file is not None:
            yield Finding(
                (*cluster.path, "insecure"),
                "insecure: true with caBundleFile: the CA bundle would be ignored",
                suggestion="remove insecure",
            )


@rule("ca-bundle-file")
def ca_bundle_file(ctx: RuleContext) -> Iterator[Finding]:
    """A `caBundleFile` (cluster or repository) is a readable PEM file, relative to the spec (embedded base64).

    Passing::

        caBundleFile: ca/mcg.pem          # -----BEGIN CERTIFICATE----- ...

    Failing::

        caBundleFile: ca/missing.pem
    """
    why = ctx.resolved.files.ca_problems  # each bundle read and checked once, by resolve
    for file, path in ca_files(ctx.pair):
        if file in why:
            yield Finding(path, why[file], suggestion="give a PEM file relative to the spec file")


@rule("credential-source")
def credential_source(ctx: RuleContext) -> Iterator[Finding]:
    """`tokenFrom` and `credentialsFrom` name environment variables by name (a `secretRef`, a Secret name, is
    checked when the spec is loaded, generator.clusterpair.parse).

    Passing::

        tokenFrom: {env: OCP311_TOKEN}

    Failing::

        tokenFrom: {env: "OCP311-TOKEN"}
    """
    pair = ctx.pair
    envs: list[tuple[str | None, PathKey]] = [
        (c.token_from.env, (*c.token_from.path, "env")) for c in pair.clusters if c.token_from is not None
    ]
    repo = pair.replication_repository
    if repo is not None:
        creds = repo.credentials
        envs.append((creds.access_key_id_env, (*creds.path, "env", "accessKeyId")))
        envs.append((creds.secret_access_key_env, (*creds.path, "env", "secretAccessKey")))
    for env, path in envs:
        if env is not None and not ENV_NAME.match(env):
            yield Finding(path, f"{env!r} is not an environment variable name")


@rule("repository-bucket")
def repository_bucket(ctx: RuleContext) -> Iterator[Finding]:
    """The repository's `bucket` is an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens.

    It becomes the MigStorage's `awsBucketName`; a name S3 refuses fails only when MTC first uses the storage.

    Passing::

        {s3Url: "https://s3.example.com", bucket: migration-repo}

    Failing::

        {s3Url: "https://s3.example.com", bucket: Migration_Repo}
    """
    repo = ctx.pair.replication_repository
    if repo is not None and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", repo.bucket):
        yield Finding(
            (*repo.path, "bucket"),
            f"{repo.bucket!r} is not an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit",
            suggestion=f"e.g. {_bucket_suggestion(repo.bucket)!r}",
        )


def _bucket_suggestion(bucket: str) -> str:
    """The closest valid name: lower-cased, other characters as hyphens, trimmed and padded to the limits."""
    name = re.sub(r"[^a-z0-9.-]+", "-", bucket.lower()).strip(".-")[:63].strip(".-")
    return name if len(name) >= 3 else (name + "-mtc-repository").strip("-")[:63]


def _covers(entry: NoProxyEntry, host: str, ip: IpAddress | None) -> bool:
    """Go's httpproxy NO_PROXY matching, as the MTC pods use it: `*`, a domain and its subdomains, IP or CIDR."""
    if entry.text == "*":
        return True
    if ip is not None:
        return entry.network is not None and ip in entry.network
    name = entry.name
    host = host.lower().rstrip(".")
    if name.startswith("."):  # subdomains only
        return host.endswith(name)
    return host == name or host.endswith("." + name)


@rule("repository-behind-proxy", Severity.WARNING)
def repository_behind_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """Every cluster must reach the repository: a proxy override whose noProxy misses the S3 host sends it
    through the proxy (facts §10: velero, restic/node-agent and the controller use `ProxyFromEnvironment`).

    Passing::

        proxy: {httpsProxy: "http://proxy:3128", noProxy: [.apps.ocp412.example.com]}  # covers the MCG route
        proxy: {httpProxy: "http://proxy:3128"}      # an https:// repository never uses HTTP_PROXY

    Failing::

        proxy: {httpsProxy: "http://proxy:3128", noProxy: [.svc]}
    """
    repo = ctx.pair.replication_repository
    if repo is None:
        return
    address = repo.s3_url.address
    for cluster in ctx.pair.clusters:
        proxy = cluster.proxy
        # Go's ProxyFromEnvironment: an https:// repository goes through HTTPS_PROXY only, http:// through HTTP_PROXY
        used = (proxy.https_proxy if address.scheme == "https" else proxy.http_proxy) if proxy is not None else None
        if proxy is None or used is None:
            continue
        if not any(_covers(entry, address.host, address.ip) for entry in proxy.no_proxy or ()):
            yield Finding(
                (*proxy.path, "noProxy") if proxy.no_proxy is not None else proxy.path,
                f"noProxy does not cover the replication repository host {address.host}: {cluster.name} reaches "
                "it through the proxy",
                suggestion=f"add {address.host} to noProxy, or make sure the proxy allows it",
            )
