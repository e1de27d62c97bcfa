"""The objects of spec §8, one builder each, from the decisions of `generator.mtc.install` (facts §10)."""

from __future__ import annotations

import base64

from generator.clusterpair.model import Install, ReplicationRepository
from generator.mtc import install
from generator.mtc.facts import KEEP_OPTIONS
from generator.mtc.install import MirrorPlan
from generator.render.objects import Obj, metadata


def _waved(wave: str, *options: str) -> dict[str, str]:
    out = {install.SYNC_WAVE: wave}
    if options:
        out[install.SYNC_OPTIONS] = ",".join(options)
    return out


def _kept(wave: str, *options: str) -> dict[str, str]:
    """An MTC custom resource: kept when its Application is deleted or pruned, on every Argo CD version (the
    Application-level options count only from Argo CD 3.4, facts §11); the uninstall plan deletes it by name."""
    return _waved(wave, *options, *KEEP_OPTIONS)


def namespace() -> Obj:
    # Kept when the Application is deleted: the uninstall plan removes MTC in the documented order first.
    meta = metadata(install.MTC_NAMESPACE, "", _waved(install.WAVE_NAMESPACE, "Prune=false", "Delete=false"))
    del meta["namespace"]
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def operator_group() -> Obj:
    """facts §10: the CSV supports OwnNamespace only."""
    return {
        "apiVersion": install.OLM_API,
        "kind": "OperatorGroup",
        "metadata": metadata(install.OPERATOR_GROUP_NAME, install.MTC_NAMESPACE, _waved(install.WAVE_OPERATOR)),
        "spec": {"targetNamespaces": [install.MTC_NAMESPACE]},
    }


def subscription(settings: Install, channel: str) -> Obj:
    return {
        "apiVersion": install.SUBSCRIPTION_API,
        "kind": "Subscription",
        "metadata": metadata(install.SUBSCRIPTION_NAME, install.MTC_NAMESPACE, _waved(install.WAVE_OPERATOR)),
        "spec": {
            "channel": channel,
            "installPlanApproval": settings.install_plan_approval,
            "name": install.OLM_PACKAGE,
            "source": settings.catalog_source,
            "sourceNamespace": install.MARKETPLACE_NAMESPACE,
        },
    }


def registry_patch(plan: MirrorPlan) -> list[Obj]:
    """A JSON6902 patch setting each env REGISTRY the base holds; `test` first, so a base whose containers moved
    fails the build instead of having the wrong entry rewritten (a strategic merge would add REGISTRY where the
    operator never had it, and reorder the containers)."""
    ops: list[Obj] = []
    for path in plan.env_paths:
        ops.append({"op": "test", "path": f"{path}/name", "value": install.REGISTRY_ENV})
        ops.append({"op": "add", "path": f"{path}/value", "value": plan.registry})
    return ops


REGISTRY_PATCH_TARGET: Obj = {
    "group": "apps",
    "version": "v1",
    "kind": "Deployment",
    "name": install.LEGACY_DEPLOYMENT,
    "namespace": install.MTC_NAMESPACE,
}


def mirrored_deployment(plan: MirrorPlan) -> Obj:
    """What the overlay changes in the legacy operator's Deployment, as a partial object (for `render`)."""
    spec: dict[str, list[Obj]] = {}
    for key, name, image, registry in plan.containers:
        container: Obj = {"name": name, "image": image}
        if registry:
            container["env"] = [{"name": install.REGISTRY_ENV, "value": plan.registry}]
        spec.setdefault(key, []).append(container)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": install.LEGACY_DEPLOYMENT, "namespace": install.MTC_NAMESPACE},
        "spec": {"template": {"spec": spec}},
    }


def opaque_secret(name: str, data: dict[str, str]) -> Obj:
    """A Secret in openshift-config; values base64-encoded (`data`, so Argo CD's diff stays clean)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, install.CONFIG_NAMESPACE, _waved(install.WAVE_CONTROLLER)),
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode("utf-8")).decode("ascii") for k, v in sorted(data.items())},
    }


def sa_token_secret() -> Obj:
    """facts §10: 4.11+ no longer creates token Secrets; this one asks the token controller for a long-lived one."""
    meta = metadata(install.SA_TOKEN_SECRET, install.MTC_NAMESPACE, _waved(install.WAVE_WIRING))
    meta["annotations"]["kubernetes.io/service-account.name"] = install.CONTROLLER_SA
    meta["annotations"] = dict(sorted(meta["annotations"].items()))
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "kubernetes.io/service-account-token"}


def mig_storage(repo: ReplicationRepository, ca_b64: str | None, creds_secret: str) -> Obj:
    ref = {"name": creds_secret, "namespace": install.CONFIG_NAMESPACE}
    region = repo.region
    config: Obj = {
        "awsBucketName": repo.bucket,
        "awsRegion": region,
        "awsS3ForcePathStyle": True,  # facts §10: forced true whenever a URL is set
        "awsS3Url": repo.s3_url.text,
        "credsSecretRef": ref,
    }
    if ca_b64 is not None:
        config["s3CustomCABundle"] = ca_b64
    return {
        "apiVersion": install.MIGRATION_API,
        "kind": "MigStorage",
        "metadata": metadata(repo.name, install.MTC_NAMESPACE, _kept(install.WAVE_WIRING, install.SKIP_DRY_RUN)),
        "spec": {
            "backupStorageConfig": dict(sorted(config.items())),
            "backupStorageProvider": "aws",
            "volumeSnapshotConfig": {"awsRegion": region, "credsSecretRef": dict(ref)},
            "volumeSnapshotProvider": "aws",
        },
    }


def mig_cluster_remote(name: str, url: str, token_secret: str, ca_b64: str | None, insecure: bool) -> Obj:
    spec: Obj = {
        "isHostCluster": False,
        "serviceAccountSecretRef": {"name": token_secret, "namespace": install.CONFIG_NAMESPACE},
        "url": url,
    }
    if ca_b64 is not None:
        spec["caBundle"] = ca_b64
    if insecure:
        spec["insecure"] = True
    return {
        "apiVersion": install.MIGRATION_API,
        "kind": "MigCluster",
        "metadata": metadata(name, install.MTC_NAMESPACE, _kept(install.WAVE_WIRING, install.SKIP_DRY_RUN)),
        "spec": dict(sorted(spec.items())),
    }
