"""spec §8 rules: the operator install, the replication repository and the cluster registrations.

Messages name where a credential is looked for, never its value; validate never reads a credential.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterator

from generator.mtc import install
from generator.mtc.addresses import is_dns_subdomain, parse_network, parse_proxy_url
from generator.mtc.mirror import MirrorMapping, load_mapping
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.versions import parse_ocp
from generator.problems import ProblemsError, Severity
from generator.spec.model import Cluster, ClusterPair
from generator.spec.yamlsource import PathKey, dotted

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _legacy(cluster: Cluster) -> bool:
    version = parse_ocp(cluster.openshift_version)
    return version is not None and version.legacy


def mapping_of(pair: ClusterPair) -> MirrorMapping:
    """The pair's mirror mapping (install.mirror.mapping set); raises `ProblemsError` located in the mapping."""
    relative = pair.install.mirror_mapping if pair.install else None
    if relative is None:
        raise ValueError("no mirror mapping")
    return load_mapping(pair.spec_dir / relative, install.display_path(pair.source_doc.file, relative))


@rule("install-legacy-operator")
def legacy_operator(ctx: RuleContext) -> Iterator[Finding]:
    """A legacy cluster (3.x, 4.2-4.5) installs MTC from the user's operator.yml/controller.yml (facts §10).

    They are never shipped here, so `install` needs them in the cluster's `base`, holding Deployment
    `migration-operator` (spec §4.2: a patch that matches nothing is skipped silently). With a mirror mapping,
    every image of that Deployment must map to exactly one digest (seed 003 §7.3 step 5).
    """
    pair = ctx.pair
    if pair.install is None:
        return
    legacy = [c for c in pair.clusters if _legacy(c)]
    mapping: MirrorMapping | None = None
    mapping_path: PathKey = (*pair.install.path, "mirror", "mapping")
    if pair.install.mirror_mapping is not None:
        try:
            mapping = mapping_of(pair)
        except ProblemsError as exc:
            for problem in exc.problems:
                if problem.line > 0:
                    located = dataclasses.replace(problem, path=dotted(mapping_path))
                    yield Finding(mapping_path, problem.message, elsewhere=located)
                else:
                    yield Finding(mapping_path, f"{problem.file}: {problem.message}")
        if not legacy:
            yield Finding(
                mapping_path,
                "no cluster of this pair is legacy (4.5 or older): the mapping is not used",
                severity=Severity.WARNING,
                suggestion="mirror the OLM catalog with a CatalogSource and name it in install.catalogSource",
            )
    for cluster in legacy:
        if cluster.base is None:
            yield Finding(
                cluster.path,
                f"{cluster.name} runs OpenShift {cluster.openshift_version}, a legacy platform: `install` needs a "
                "`base` holding your operator.yml and controller.yml from the legacy operator image",
                suggestion="podman cp them out of "
                f"{install.LEGACY_OPERATOR_IMAGE}:v1.7 into a kustomize base and set base: <its folder>",
            )
            continue
        holdings = install.base_holdings(pair, cluster)
        if holdings is None:
            continue
        deployment = install.legacy_deployment(holdings)
        if deployment is None:
            held = ", ".join(holdings.names_of("Deployment")) or "no Deployment"
            partial = "" if holdings.complete else f" (not read: {', '.join(holdings.unread)})"
            yield Finding(
                (*cluster.path, "base"),
                f"{holdings.origin} holds no Deployment {install.MTC_NAMESPACE}/{install.LEGACY_DEPLOYMENT} "
                f"(operator.yml); it holds {held}{partial}",
                suggestion="list operator.yml and controller.yml in the base's kustomization.yaml resources",
            )
            continue
        if mapping is not None:
            plan = install.mirror_plan(deployment, mapping)
            if isinstance(plan, str):
                yield Finding(mapping_path, plan)
            elif not plan.env_paths:
                yield Finding(
                    (*cluster.path, "base"),
                    f"no container of Deployment {install.LEGACY_DEPLOYMENT} in {holdings.origin} sets env "
                    f"{install.REGISTRY_ENV}: the operator would pull its operands from registry.redhat.io",
                    severity=Severity.WARNING,
                )


def _ca_file(pair: ClusterPair, file: str, path: PathKey) -> Iterator[Finding]:
    try:
        install.read_ca_bundle(pair.spec_dir, file)
    except ValueError as exc:
        yield Finding(path, str(exc), suggestion="give a PEM file relative to the spec file")


def _env_name(name: str | None, path: PathKey) -> Iterator[Finding]:
    if name is not None and not _ENV_NAME.match(name):
        yield Finding(path, f"{name!r} is not an environment variable name")


@rule("cluster-registration")
def cluster_registration(ctx: RuleContext) -> Iterator[Finding]:
    """The remote cluster's MigCluster needs `url` and a token Secret; TLS by CA bundle or `insecure` (facts §10).

    `insecure` disables the API server's certificate check (a warning); together with a CA bundle it is
    contradictory (an error). Registrations are generated with `install` or a replication repository.
    """
    pair = ctx.pair
    for cluster in pair.clusters:
        if cluster.insecure and cluster.ca_bundle_file is not None:
            yield Finding(
                (*cluster.path, "insecure"),
                "insecure: true with caBundleFile: the CA bundle would be ignored",
                suggestion="remove insecure",
            )
        elif cluster.insecure:
            yield Finding(
                (*cluster.path, "insecure"),
                "the control cluster will not verify this API server's certificate",
                severity=Severity.WARNING,
                suggestion="give caBundleFile instead",
            )
        if cluster.ca_bundle_file is not None:
            yield from _ca_file(pair, cluster.ca_bundle_file, (*cluster.path, "caBundleFile"))
        if cluster.api_url is not None:
            address = parse_proxy_url(cluster.api_url)
            if address is None or address.scheme != "https" or address.has_credentials or address.extra:
                yield Finding(
                    (*cluster.path, "apiUrl"),
                    "not an API server URL",
                    suggestion="write https://api.<cluster domain>:6443 (8443 on 3.x)",
                )
        token = cluster.token_from
        if token is not None:
            yield from _env_name(token.env, (*token.path, "env"))
            if token.secret_ref is not None and not is_dns_subdomain(token.secret_ref):
                yield Finding((*token.path, "secretRef"), f"{token.secret_ref!r} is not a Secret name")
    remote = install.remote_cluster(pair)
    for cluster in pair.clusters:
        if (cluster.api_url or cluster.token_from) and (cluster is not remote or not install.wires(pair)):
            why = "no cluster is registered without install or replicationRepository"
            if install.wires(pair):
                why = f"{cluster.name} is the control cluster (MigCluster host): it is not registered by URL"
            yield Finding(
                (*cluster.path, "apiUrl" if cluster.api_url else "tokenFrom"),
                f"not used: {why}",
                severity=Severity.WARNING,
                key=True,
            )
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


def _covers(entry: str, host: str) -> bool:
    """Go's httpproxy NO_PROXY matching, as the MTC pods use it: `*`, a domain and its subdomains, IP or CIDR."""
    if entry == "*":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        network = parse_network(entry)
        return network is not None and ip in network
    name = entry.lower().rstrip(".")
    name = name[1:] if name.startswith("*.") else name
    host = host.lower().rstrip(".")
    if name.startswith("."):  # subdomains only
        return host.endswith(name)
    return host == name or host.endswith("." + name)


@rule("replication-repository")
def replication_repository(ctx: RuleContext) -> Iterator[Finding]:
    """The MigStorage: an S3 URL without credentials, a readable CA bundle, credentials named not written.

    facts §10: the host controller, velero and restic/node-agent on every cluster reach the repository, through
    `http.ProxyFromEnvironment`: a proxy override whose noProxy misses the S3 host sends it through the proxy.
    """
    repo = ctx.pair.replication_repository
    if repo is None:
        return
    address = parse_proxy_url(repo.s3_url)
    if address is None or address.scheme not in ("http", "https"):
        yield Finding((*repo.path, "s3Url"), "not an S3 URL", suggestion="write https://host[:port]")
        return
    if address.has_credentials:
        yield Finding(
            (*repo.path, "s3Url"),
            "the URL carries credentials, which would be committed to git",
            suggestion="use credentialsFrom",
        )
    if repo.ca_bundle_file is not None:
        yield from _ca_file(ctx.pair, repo.ca_bundle_file, (*repo.path, "caBundleFile"))
    creds = repo.credentials
    yield from _env_name(creds.access_key_id_env, (*creds.path, "env", "accessKeyId"))
    yield from _env_name(creds.secret_access_key_env, (*creds.path, "env", "secretAccessKey"))
    if creds.secret_ref is not None and not is_dns_subdomain(creds.secret_ref):
        yield Finding((*creds.path, "secretRef"), f"{creds.secret_ref!r} is not a Secret name")
    if not is_dns_subdomain(repo.bucket) and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", repo.bucket):
        yield Finding((*repo.path, "bucket"), f"{repo.bucket!r} is not an S3 bucket name")
    for cluster in ctx.pair.clusters:
        proxy = cluster.proxy
        if proxy is None or (proxy.http_proxy is None and proxy.https_proxy is None):
            continue
        if not any(_covers(entry, address.host) for entry in proxy.no_proxy or ()):
            yield Finding(
                (*proxy.path, "noProxy") if proxy.no_proxy is not None else proxy.path,
                f"noProxy does not cover the replication repository host {address.host}: {cluster.name} reaches "
                "it through the proxy",
                severity=Severity.WARNING,
                suggestion=f"add {address.host} to noProxy, or make sure the proxy allows it",
            )


@rule("install-catalog")
def install_catalog(ctx: RuleContext) -> Iterator[Finding]:
    """The OLM catalog source is an object name in openshift-marketplace (facts §10)."""
    inst = ctx.pair.install
    if inst is not None and not is_dns_subdomain(inst.catalog_source):
        yield Finding((*inst.path, "catalogSource"), f"{inst.catalog_source!r} is not a CatalogSource name")
