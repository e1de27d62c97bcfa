"""What spec §8 adds to one cluster's output, decided from the resolved pair (facts §10)."""

from __future__ import annotations

import base64
from dataclasses import field
from typing import Any

from generator.clusterpair.model import Cluster, ClusterPair
from generator.mtc import install
from generator.mtc.holdings import Holdings
from generator.mtc.mirror import MirrorMapping
from generator.mtc.resolve import ResolvedPair
from generator.records import record
from generator.render.install import objects
from generator.render.objects import Obj


@record
class RenderSecrets:
    """Credentials read at render time (generator.secrets); only the control cluster's output uses them."""

    s3: tuple[str, str] | None = None  # (access key id, secret access key)
    token: str | None = None  # the remote cluster's migration-controller token

    def __repr__(self) -> str:  # never show a value, whatever logs an object
        return "RenderSecrets(<redacted>)"


@record
class InstallRender:
    operator: list[Obj] = field(default_factory=list)  # OLM: Namespace, OperatorGroup, Subscription
    secrets: list[Obj] = field(default_factory=list)  # credential Secrets, only with values read at render time
    wiring: list[Obj] = field(default_factory=list)  # MigStorage, MigClusters, the SA token Secret
    images: list[dict[str, str]] = field(default_factory=list)  # kustomize `images:` (legacy mirror)
    deployment_patch: list[Obj] | None = None  # JSON6902: env REGISTRY on the legacy operator (legacy mirror)
    deployment_partial: Obj | None = None  # the same change, and the images, as a partial object
    controller_annotations: dict[str, str] = field(default_factory=dict)
    mirror: MirrorMapping | None = None  # legacy cluster with a mirror mapping: the KRM function rewrites the items

    def groups(self) -> tuple[tuple[str, list[Obj]], ...]:
        """The whole objects spec §8 adds, by overlay file, in output order: the install object list, spelled
        once for the overlay files, `render`, the KRM transformer and the Argo CD plugin."""
        return (
            ("mtc-operator.yaml", self.operator),
            ("mtc-secrets.yaml", self.secrets),
            ("mtc-wiring.yaml", self.wiring),
        )

    def resources(self) -> list[Obj]:
        return [obj for _, objs in self.groups() for obj in objs]

    def objects(self) -> list[Obj]:
        patch = [self.deployment_partial] if self.deployment_partial is not None else []
        return [*self.resources(), *patch]


def credentials_secret_name(pair: ClusterPair) -> str:
    repo = pair.replication_repository
    assert repo is not None  # noqa: S101 - called only with a repository
    return repo.credentials.secret_ref or f"migstorage-{repo.name}-credentials"


def token_secret_name(remote: Cluster) -> str:
    token = remote.token_from
    return token.secret_ref if token is not None and token.secret_ref else f"migcluster-{remote.name}-token"


def _legacy_mirror(mapping: MirrorMapping | None, holdings: Holdings | None) -> InstallRender:
    if mapping is None:
        return InstallRender()  # reported by the mirror-mapping rule
    deployment = install.legacy_deployment(holdings) if holdings is not None else None
    if deployment is None:
        return InstallRender(mirror=mapping)  # reported by the install-legacy-operator rule
    plan = install.mirror_plan(deployment, mapping)
    if isinstance(plan, str):
        return InstallRender(mirror=mapping)  # reported by the mirror-mapping rule
    return InstallRender(
        images=list(plan.images),
        deployment_patch=objects.registry_patch(plan) if plan.env_paths else None,
        deployment_partial=objects.mirrored_deployment(plan),
        mirror=mapping,
    )


def _ca(resolved: ResolvedPair, file: str | None) -> str | None:
    """A CA bundle as resolve read it, base64 for the object that embeds it."""
    return base64.b64encode(resolved.files.ca_bundles[file]).decode("ascii") if file else None


def _control(resolved: ResolvedPair, secrets: RenderSecrets, out: InstallRender) -> None:
    pair = resolved.spec
    repo = pair.replication_repository
    if repo is not None:
        name = credentials_secret_name(pair)
        if repo.credentials.at_render_time and secrets.s3 is not None:
            key_id, key = secrets.s3
            out.secrets.append(objects.opaque_secret(name, {install.S3_ACCESS_KEY: key_id, install.S3_SECRET_KEY: key}))
        out.wiring.append(objects.mig_storage(repo, _ca(resolved, repo.ca_bundle_file), name))
    if not install.wires(pair):
        return
    # facts §11: the operator creates the host MigCluster (named after the controller's `cluster_name`); a copy
    # here would have two owners, Argo CD and the operator. The remote cluster's registration is ours.
    remote = install.remote_cluster(pair)
    if remote is None or remote.api_url is None:
        return
    token_name = token_secret_name(remote)
    if remote.token_from is not None and remote.token_from.secret_ref is None and secrets.token is not None:
        out.secrets.append(objects.opaque_secret(token_name, {install.TOKEN_KEY: secrets.token}))
    ca = _ca(resolved, remote.ca_bundle_file)
    out.wiring.append(
        objects.mig_cluster_remote(remote.name, remote.api_url.text, token_name, ca, bool(remote.insecure))
    )


def _where(obj: Obj) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def render_install(
    resolved: ResolvedPair, cluster: Cluster, secrets: RenderSecrets | None = None
) -> InstallRender | None:
    """spec §8 for one cluster of a valid pair; None when the pair declares none of it."""
    pair = resolved.spec
    if pair.install is None and pair.replication_repository is None:
        return None
    rc = resolved.cluster(cluster.name)
    assert rc is not None  # noqa: S101 - a cluster of this pair
    out = InstallRender()
    annotations: dict[str, Any] = {}
    if pair.install is not None and not rc.caps.legacy_platform:
        sub = objects.subscription(pair.install, install.channel(resolved.mtc))
        operator = [objects.namespace(), objects.operator_group(), sub]
        holdings = rc.holdings
        if holdings is not None:  # a base that already holds one (its Namespace, say) keeps it: no duplicate ID
            operator = [o for o in operator if holdings.find(o["apiVersion"], o["kind"], *_where(o)) is None]
        out.operator.extend(operator)
        annotations = {install.SYNC_WAVE: install.WAVE_CONTROLLER}
    elif pair.install is not None and pair.install.mirror_mapping is not None:
        out = _legacy_mirror(resolved.files.mirror, rc.holdings)
    out.controller_annotations.update(annotations)
    if rc.control:
        _control(resolved, secrets or RenderSecrets(), out)
    elif install.wires(pair) and not rc.caps.auto_token_secret:
        out.wiring.append(objects.sa_token_secret())
    return out
