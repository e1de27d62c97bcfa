"""Load a ClusterPair: read, parse with positions, check structure, build the typed model."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

from generator.clusterpair.check import check_and_parse
from generator.clusterpair.files import FileAccess, UnreadableFileError, repository_of
from generator.clusterpair.model import (
    Cluster,
    ClusterPair,
    ControllerRef,
    CredentialsFrom,
    Dvm,
    EgressFirewallDecl,
    EndpointType,
    Install,
    NamespaceMapping,
    NetworkType,
    OpeningsSpec,
    OpeningsState,
    PasswordFrom,
    PolicyMode,
    ProxyOverride,
    ReplicationRepository,
    Role,
    StunnelProxy,
    TokenFrom,
)
from generator.clusterpair.schema import default
from generator.clusterpair.yamlparse import load_yaml
from generator.clusterpair.yamlsource import PathKey, Source, decode, read_spec_bytes
from generator.problems import Problem, ProblemsError

Mapping = dict[str, Any]
Parsed = dict[PathKey, Any]  # typed values by path, from the structure check (generator.clusterpair.parse)
_FIREWALL: PathKey = ("spec", "namespaceDefaults", "egressFirewall")  # declared like every entry's egressFirewall


def _get(data: Mapping, path: PathKey, key: str) -> Any:
    """The value of `key` in the mapping at `path`, or the default the declaration gives it
    (generator.clusterpair.schema)."""
    return data[key] if key in data else default((*path, key))


def _cluster(data: Mapping, role: Role, path: PathKey, parsed: Parsed) -> Cluster:
    proxy = data.get("proxy")
    ref = data.get("migrationController", {})
    proxy_path = (*path, "proxy")
    ref_path = (*path, "migrationController")
    no_proxy = proxy.get("noProxy") if proxy else None
    return Cluster(
        role=role,
        name=data["name"],
        openshift_version=parsed[(*path, "openshiftVersion")],
        network_type=NetworkType(data["networkType"]) if "networkType" in data else None,
        cidrs=tuple(parsed[(*path, "cidrs", i)] for i in range(len(data.get("cidrs", ())))),
        apps_domain=data.get("appsDomain"),
        proxy=ProxyOverride(
            parsed.get((*proxy_path, "httpProxy")),
            parsed.get((*proxy_path, "httpsProxy")),
            tuple(parsed[(*proxy_path, "noProxy", i)] for i in range(len(no_proxy))) if no_proxy is not None else None,
            proxy_path,
        )
        if proxy is not None
        else None,
        base=data.get("base"),
        migration_controller=ControllerRef(_get(ref, ref_path, "name"), _get(ref, ref_path, "namespace")),
        # declared on the target only, where it means something; the source reads the same default
        rsync_endpoint_type=EndpointType(_get(data, ("spec", "target"), "rsyncEndpointType")),
        path=path,
        **_remote(data, path, parsed),
    )


# --- spec §8: install, replication repository, cluster registrations ---------------------------------------


def _remote(data: Mapping, path: PathKey, parsed: Parsed) -> Mapping:
    token = data.get("tokenFrom")
    return {
        "api_url": parsed.get((*path, "apiUrl")),
        "ca_bundle_file": data.get("caBundleFile"),
        "insecure": data.get("insecure"),
        "token_from": TokenFrom(token.get("env"), token.get("file"), token.get("secretRef"), (*path, "tokenFrom"))
        if token is not None
        else None,
    }


def _install(spec: Mapping) -> Install | None:
    data = spec.get("install")
    if data is None:
        return None
    path: PathKey = ("spec", "install")
    return Install(
        catalog_source=_get(data, path, "catalogSource"),
        install_plan_approval=_get(data, path, "installPlanApproval"),
        mirror_mapping=data.get("mirror", {}).get("mapping"),
        path=path,
    )


def _repository(spec: Mapping, parsed: Parsed) -> ReplicationRepository | None:
    data = spec.get("replicationRepository")
    if data is None:
        return None
    path: PathKey = ("spec", "replicationRepository")
    creds = data["credentialsFrom"]
    env = creds.get("env") or {}
    return ReplicationRepository(
        name=data["name"],
        s3_url=parsed[(*path, "s3Url")],
        bucket=data["bucket"],
        region=_get(data, path, "region"),
        ca_bundle_file=data.get("caBundleFile"),
        credentials=CredentialsFrom(
            creds.get("secretRef"),
            env.get("accessKeyId"),
            env.get("secretAccessKey"),
            creds.get("file"),
            (*path, "credentialsFrom"),
        ),
        path=path,
    )


def _openings(spec: Mapping, parsed: Parsed) -> OpeningsSpec:
    data = spec.get("openings") or {}
    path: PathKey = ("spec", "openings")
    return OpeningsSpec(OpeningsState(_get(data, path, "state")), parsed.get((*path, "closesAt")), path)


def _firewall(entry: Mapping | None, defaults: Mapping | None, path: PathKey) -> EgressFirewallDecl | None:
    if entry is None and defaults is None:
        return None
    merged = {**(defaults or {}), **(entry or {})}
    rules = merged.get("rules")
    return EgressFirewallDecl(
        name=_get(merged, _FIREWALL, "name"),
        rules=tuple(cast(list[Mapping], rules)) if rules is not None else None,
        path=path,
    )


def _namespaces(spec: Mapping) -> tuple[NamespaceMapping, ...]:
    defaults = spec.get("namespaceDefaults", {}).get("egressFirewall")
    out = []
    for i, entry in enumerate(spec["namespaces"]):
        path: PathKey = ("spec", "namespaces", i)
        if isinstance(entry, str):
            out.append(NamespaceMapping(entry, entry, _firewall(None, defaults, _FIREWALL), path))
            continue
        own = entry.get("egressFirewall")
        fw_path = (*path, "egressFirewall") if own is not None else _FIREWALL
        out.append(
            NamespaceMapping(
                entry["source"], entry.get("target", entry["source"]), _firewall(own, defaults, fw_path), path
            )
        )
    return tuple(out)


def _dvm(spec: Mapping, parsed: Parsed) -> Dvm:
    dvm = spec.get("dvm", {})
    proxy = dvm.get("stunnelTCPProxy")
    stunnel = None
    if proxy is not None:
        pw = proxy.get("passwordFrom")
        stunnel = StunnelProxy(
            url=parsed[("spec", "dvm", "stunnelTCPProxy", "url")],
            username=proxy.get("username"),
            password_from=PasswordFrom(pw.get("env"), pw.get("file")) if pw is not None else None,
            path=("spec", "dvm", "stunnelTCPProxy"),
        )
    src = dvm.get("sourceSupplementalGroups")
    tgt = dvm.get("targetSupplementalGroups")
    return Dvm(
        stunnel_tcp_proxy=stunnel,
        source_supplemental_groups=tuple(src) if src is not None else None,
        target_supplemental_groups=tuple(tgt) if tgt is not None else None,
        rsync_privileged=dvm.get("rsyncPrivileged"),
    )


def build_model(source: Source, spec_dir: Path, parsed: Parsed, files: FileAccess | None = None) -> ClusterPair:
    """Build the model from structurally valid data and its parsed values (from `check_and_parse`)."""
    data = cast(Mapping, source.data)
    spec = cast(Mapping, data["spec"])
    return ClusterPair(
        name=data["metadata"]["name"],
        mtc_version=parsed.get(("spec", "mtcVersion")),
        control_cluster=Role(_get(spec, ("spec",), "controlCluster")),
        source=_cluster(spec["source"], Role.SOURCE, ("spec", "source"), parsed),
        target=_cluster(spec["target"], Role.TARGET, ("spec", "target"), parsed),
        dvm=_dvm(spec, parsed),
        network_policy_mode=PolicyMode(_get(spec.get("networkPolicy", {}), ("spec", "networkPolicy"), "mode")),
        namespaces=_namespaces(spec),
        annotations=dict(data["metadata"].get("annotations", {})),
        spec_dir=spec_dir,
        source_doc=source,
        install=_install(spec),
        replication_repository=_repository(spec, parsed),
        # decided by the entry point; a library caller without one gets the spec's repository, once
        files=files if files is not None else FileAccess.of(repository_of(spec_dir)),
        openings=_openings(spec, parsed),
    )


def parse_spec(
    text: str, display: str, spec_dir: Path, files: FileAccess | None = None, raw: bytes | None = None
) -> tuple[ClusterPair | None, list[Problem]]:
    """Parse spec text; returns the model (None when the structure is broken) and structural problems.
    `raw`: the bytes `text` was decoded from, kept for the input digest."""
    try:
        source = load_yaml(text, display)
    except ProblemsError as exc:
        return None, list(exc.problems)
    if raw is not None:
        source = dataclasses.replace(source, raw=raw)
    return parse_source(source, spec_dir, files)


def parse_source(
    source: Source, spec_dir: Path, files: FileAccess | None = None
) -> tuple[ClusterPair | None, list[Problem]]:
    """Check and build a document already read (a KRM function config found in the user's file)."""
    problems, parsed = check_and_parse(source)
    if any(p.is_error for p in problems):
        return None, problems
    return build_model(source, spec_dir, parsed, files), problems


def load_spec(
    path: Path, display: str | None = None, files: FileAccess | None = None
) -> tuple[ClusterPair | None, list[Problem]]:
    """Read and parse a spec file; never raises for bad input, every failure is a problem.

    With `files` (the run's allowed folders), the spec itself must lie inside its root too."""
    shown = display if display is not None else str(path)
    try:
        if files is not None:
            files.locate(Path.cwd(), str(path), "spec file")
        raw = read_spec_bytes(path, shown)
        text = decode(raw, shown)
    except UnreadableFileError as exc:  # the spec itself outside the root: input this run may not read
        return None, [Problem.of(shown, "unreadable-file", str(exc))]
    except ProblemsError as exc:
        return None, list(exc.problems)
    return parse_spec(text, shown, path.resolve().parent, files, raw)
