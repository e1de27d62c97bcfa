"""Typed, immutable ClusterPair model with every default applied.

Each object keeps `path`, where it stands in the spec, so domain rules can point at the right line.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import field
from pathlib import Path
from typing import Any

from generator.clusterpair.files import FileAccess, repository_of
from generator.clusterpair.values import EndpointUrl, IpNetwork, MtcVersion, NoProxyEntry, OcpVersion, ProxyAddress
from generator.clusterpair.yamlsource import PathKey, Source
from generator.records import record


class Role(enum.Enum):
    SOURCE = "source"
    TARGET = "target"


class EndpointType(enum.Enum):
    ROUTE = "Route"
    NODE_PORT = "NodePort"
    CLUSTER_IP = "ClusterIP"


class NetworkType(enum.Enum):
    OPENSHIFT_SDN = "OpenShiftSDN"
    OVN_KUBERNETES = "OVNKubernetes"


class PolicyMode(enum.Enum):
    OPEN = "open"
    STRICT = "strict"
    NONE = "none"


class OpeningsState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@record
class OpeningsSpec:
    """spec §9 `openings` as written: the state, and the instant from which the pair renders closed."""

    state: OpeningsState = OpeningsState.OPEN
    closes_at: datetime.datetime | None = None  # UTC, whole seconds (parsed when loaded)
    path: PathKey = field(default=("spec", "openings"), compare=False)


@record
class ProxyOverride:
    """A cluster's own `proxy`: the proxy settings MTC uses there instead of the cluster-wide ones."""

    http_proxy: ProxyAddress | None  # parsed; credentials are refused at load time and never kept
    https_proxy: ProxyAddress | None
    no_proxy: tuple[NoProxyEntry, ...] | None  # parsed when loaded; rendered as written
    path: PathKey = field(compare=False)


@record
class ControllerRef:
    """Where the cluster's MigrationController is: its name and namespace."""

    name: str
    namespace: str


@record
class TokenFrom:
    """spec §8: the remote migration-controller token: a Secret reference, or read at render time."""

    env: str | None
    file: str | None
    secret_ref: str | None
    path: PathKey = field(compare=False)


@record
class Cluster:
    """One side of the pair as written (defaults applied): version, network, addresses, base, proxy, access."""

    role: Role
    name: str
    openshift_version: OcpVersion
    network_type: NetworkType | None
    cidrs: tuple[IpNetwork, ...]  # as listed (duplicates kept so the rules can name them)
    apps_domain: str | None
    proxy: ProxyOverride | None
    base: str | None
    migration_controller: ControllerRef
    rsync_endpoint_type: EndpointType  # meaningful on the target only; Route when unset
    path: PathKey = field(compare=False)
    # spec §8: where the control cluster reaches this one when it is registered as remote (MigCluster).
    api_url: EndpointUrl | None = None  # parsed when loaded; rendered as written
    ca_bundle_file: str | None = None  # relative to the spec file
    insecure: bool | None = None
    token_from: TokenFrom | None = None


@record
class PasswordFrom:
    """Where the stunnel proxy password is read at render time: an environment variable or a file."""

    env: str | None
    file: str | None

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


@record
class StunnelProxy:
    """`dvm.stunnelTcpProxy`: the proxy DVM's stunnel goes through, and its credentials."""

    url: ProxyAddress  # parsed `http://host:port`; inline credentials are refused at load time
    username: str | None
    password_from: PasswordFrom | None
    path: PathKey = field(compare=False)


@record
class Dvm:
    """`dvm`: the proxy and the rsync pods' supplemental groups and privilege."""

    stunnel_tcp_proxy: StunnelProxy | None
    source_supplemental_groups: tuple[int, ...] | None
    target_supplemental_groups: tuple[int, ...] | None
    rsync_privileged: bool | None


@record
class EgressFirewallDecl:
    """A source namespace's egress firewall: its name and rules, or None when `base` holds it."""

    name: str
    rules: tuple[dict[str, Any], ...] | None  # the firewall's existing rules; None when it lives in `base`
    path: PathKey = field(compare=False)


@record
class NamespaceMapping:
    """One namespace moved: its name on the source, on the target, and its egress firewall."""

    source: str
    target: str
    egress_firewall: EgressFirewallDecl | None
    path: PathKey = field(compare=False)


@record
class Install:
    """spec §8 `install`: the MTC operator on each cluster (OLM on modern clusters, legacy operator otherwise)."""

    catalog_source: str
    install_plan_approval: str  # Manual | Automatic
    mirror_mapping: str | None  # mapping.txt of `oc adm catalog mirror`, relative to the spec file
    path: PathKey = field(compare=False)


@record
class CredentialsFrom:
    """spec §8: S3 credentials: a Secret reference, two environment variables, or a file, read at render time."""

    secret_ref: str | None
    access_key_id_env: str | None
    secret_access_key_env: str | None
    file: str | None
    path: PathKey = field(compare=False)

    @property
    def at_render_time(self) -> bool:
        return self.secret_ref is None


@record
class ReplicationRepository:
    """spec §8: the MigStorage on the control cluster (MCG or any S3)."""

    name: str
    s3_url: EndpointUrl  # parsed when loaded; rendered as written
    bucket: str
    region: str
    ca_bundle_file: str | None
    credentials: CredentialsFrom
    path: PathKey = field(compare=False)


@record
class ClusterPair:
    """One ClusterPair spec, loaded: every key typed and defaulted, each object knowing where it was written."""

    name: str
    mtc_version: MtcVersion | None  # as written; the effective version is derived by generator.mtc.thresholds
    control_cluster: Role
    source: Cluster
    target: Cluster
    dvm: Dvm
    network_policy_mode: PolicyMode
    namespaces: tuple[NamespaceMapping, ...]
    annotations: dict[str, str]
    spec_dir: Path = field(compare=False)  # `base` paths are relative to the spec file's folder
    source_doc: Source = field(compare=False, repr=False)
    install: Install | None = None  # spec §8
    replication_repository: ReplicationRepository | None = None  # spec §8
    files: FileAccess | None = field(default=None, compare=False, repr=False)  # decided by the entry point

    def locate(self, relative: str, field: str, *, secret: bool = False) -> Path:
        """A file this spec names, as a real path inside the run's allowed folders (generator/clusterpair/files.py);
        raises `UnreadableFileError` naming `field` when it is outside. Without an entry point's decision the
        root is the spec's repository."""
        return self.access.locate(self.spec_dir, relative, field, secret=secret)

    @property
    def access(self) -> FileAccess:
        return self.files if self.files is not None else FileAccess.of(repository_of(self.spec_dir))

    openings: OpeningsSpec = OpeningsSpec()  # spec §9

    @property
    def same_cluster(self) -> bool:
        return self.source.name == self.target.name

    def cluster(self, role: Role) -> Cluster:
        return self.source if role is Role.SOURCE else self.target

    @property
    def clusters(self) -> tuple[Cluster, ...]:
        """Distinct clusters of the pair, source first (one when the pair moves within a cluster)."""
        return (self.source,) if self.same_cluster else (self.source, self.target)
