"""Installing and wiring MTC from a ClusterPair (spec §8): the facts it rests on and the decisions it takes.

Facts: `mtc-dvm-facts.md` §10 (OLM package, legacy operator, MigStorage, MigCluster, uninstall), §6 (legacy vs
modern platforms, channels), §1.3 (restricted networks). Renderers read the decisions made here.
"""

from __future__ import annotations

import copy
from typing import Final

from generator.clusterpair.model import Cluster, ClusterPair, Role
from generator.clusterpair.values import MtcVersion
from generator.mtc.holdings import Holdings, Obj
from generator.mtc.mirror import MirrorEntry, MirrorMapping, split_image
from generator.records import record

# facts §10 OLM: package, channels, OwnNamespace install mode; the catalog sources live in openshift-marketplace.
MTC_NAMESPACE: Final = "openshift-migration"
MARKETPLACE_NAMESPACE: Final = "openshift-marketplace"
OLM_PACKAGE: Final = "mtc-operator"
SUBSCRIPTION_NAME: Final = "mtc-operator"
OPERATOR_GROUP_NAME: Final = "openshift-migration"
OLM_API: Final = "operators.coreos.com/v1"
SUBSCRIPTION_API: Final = "operators.coreos.com/v1alpha1"

# facts §10 legacy operator: the image operator.yml runs, and its Deployment.
LEGACY_OPERATOR_IMAGE: Final = "registry.redhat.io/rhmtc/openshift-migration-legacy-rhel8-operator"
LEGACY_DEPLOYMENT: Final = "migration-operator"
REGISTRY_ENV: Final = "REGISTRY"

# facts §10 MigStorage / MigCluster.
MIGRATION_API: Final = "migration.openshift.io/v1alpha1"
CONFIG_NAMESPACE: Final = "openshift-config"  # where the credential and token Secrets live (docs)
S3_ACCESS_KEY: Final = "aws-access-key-id"
S3_SECRET_KEY: Final = "aws-secret-access-key"  # noqa: S105 - a key name, not a secret
TOKEN_KEY: Final = "saToken"  # noqa: S105 - a key name
CONTROLLER_SA: Final = "migration-controller"
SA_TOKEN_SECRET: Final = "migration-controller-token"  # noqa: S105 - on a remote 4.11+ cluster (no auto-created token)

# Argo CD: operator first, then the MigrationController (its CRD comes with the operator), then what the
# controller's CRDs define (MigStorage, MigCluster, the SA token Secret whose service account it creates).
WAVE_NAMESPACE: Final = "-2"
WAVE_OPERATOR: Final = "-1"
WAVE_CONTROLLER: Final = "0"
WAVE_WIRING: Final = "1"
SYNC_WAVE: Final = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
SKIP_DRY_RUN: Final = "SkipDryRunOnMissingResource=true"


def channel(mtc: MtcVersion) -> str:
    """facts §6/§10: `release-v1.7` for a pair that needs 1.7, else `release-v1.8`."""
    return f"release-v1.{mtc.minor}"


def wires(pair: ClusterPair) -> bool:
    """Cluster registrations are generated with `install` or a replication repository (spec §8)."""
    return pair.install is not None or pair.replication_repository is not None


def remote_cluster(pair: ClusterPair) -> Cluster | None:
    """The cluster registered as remote on the control cluster: the other one of a two-cluster pair."""
    if pair.same_cluster:
        return None
    return pair.target if pair.control_cluster is Role.SOURCE else pair.source


def spec_inputs(pair: ClusterPair) -> list[str]:
    """Files besides the spec and the bases that shape the output: the mirror mapping and the CA bundles."""
    files = [pair.install.mirror_mapping] if pair.install is not None and pair.install.mirror_mapping else []
    files += [c.ca_bundle_file for c in pair.clusters if c.ca_bundle_file]
    repo = pair.replication_repository
    if repo is not None and repo.ca_bundle_file:
        files.append(repo.ca_bundle_file)
    return files


# --- the legacy operator's base ---------------------------------------------------------------------------


def legacy_deployment(holdings: Holdings) -> Obj | None:
    return holdings.find("apps/v1", "Deployment", MTC_NAMESPACE, LEGACY_DEPLOYMENT)


def _containers(deployment: Obj) -> list[tuple[str, int, Obj]]:
    """(list key, index, container) of every init container and container of a Deployment."""
    spec = deployment.get("spec", {}).get("template", {}).get("spec", {})
    found = []
    for key in ("initContainers", "containers"):
        items = spec.get(key)
        if isinstance(items, list):
            found += [(key, i, c) for i, c in enumerate(items) if isinstance(c, dict)]
    return found


def registry_env_paths(deployment: Obj) -> list[str]:
    """JSON pointers of every env REGISTRY entry of the Deployment's containers (facts §10: patch each one)."""
    paths = []
    for key, index, container in _containers(deployment):
        env = container.get("env")
        for j, entry in enumerate(env if isinstance(env, list) else []):
            if isinstance(entry, dict) and entry.get("name") == REGISTRY_ENV:
                paths.append(f"/spec/template/spec/{key}/{index}/env/{j}")
    return paths


FieldPath = tuple[str | int, ...]


def mirror_values(deployment: Obj, plan: MirrorPlan) -> list[tuple[FieldPath, str]]:
    """What the overlay's `images:` and REGISTRY patch change in the Deployment, as (path, new value) pairs.

    The same change applied to the Deployment itself (a KRM function holds it among its items): every image by
    its repository to the mirror by digest, and every env REGISTRY entry's value to the mirror registry.
    """
    mirrored = {i["name"]: f"{i['newName']}@{i['digest']}" for i in plan.images}
    out: list[tuple[FieldPath, str]] = []
    for key, index, container in _containers(deployment):
        where: FieldPath = ("spec", "template", "spec", key, index)
        image = container.get("image")
        if image:
            out.append(((*where, "image"), mirrored[split_image(str(image))[0]]))
        env = container.get("env")
        for j, entry in enumerate(env if isinstance(env, list) else []):
            if isinstance(entry, dict) and entry.get("name") == REGISTRY_ENV:
                out.append(((*where, "env", j, "value"), plan.registry))
    return out


def unmirrored(deployment: Obj, mapping: MirrorMapping) -> Obj:
    """The Deployment with each image already rewritten to a mirror by digest put back to its source repository:
    a second pass of the KRM function plans the same rewrite as the first (and changes nothing)."""
    sources = {f"{e.mirror}@{e.digest}": e.source for e in mapping.entries if e.digest}
    out = copy.deepcopy(deployment)
    for _, _, container in _containers(out):
        image = str(container.get("image", ""))
        if image in sources:
            container["image"] = sources[image]
    return out


@record
class MirrorPlan:
    """The legacy operator's Deployment moved to a mirror registry: images, the registry and where it goes."""

    images: tuple[dict[str, str], ...]  # kustomize `images:` entries, by repository
    registry: str  # the mirror registry host, for env REGISTRY
    env_paths: tuple[str, ...]  # JSON pointers of the env REGISTRY entries
    containers: tuple[tuple[str, str, str, bool], ...]  # (list key, name, mirrored image, sets REGISTRY)


def mirror_plan(deployment: Obj, mapping: MirrorMapping) -> MirrorPlan | str:
    """Every image of the Deployment rewritten to its mirror by digest; or an error message.

    The legacy operator image must be mapped (seed 003 §7.3 step 5); any other image of the Deployment must be
    too, or the cluster would still pull it from a registry it cannot reach.
    """
    repos = {split_image(str(c.get("image", "")))[0] for _, _, c in _containers(deployment) if c.get("image")}
    repos.add(LEGACY_OPERATOR_IMAGE)
    images = []
    registry = ""
    for repo in sorted(repos):
        found = _single_mirror(repo, mapping)
        if isinstance(found, str):
            return found
        entry, digest = found
        images.append({"name": repo, "newName": entry.mirror, "digest": digest})
        if repo == LEGACY_OPERATOR_IMAGE:
            registry = entry.registry
    paths = registry_env_paths(deployment)
    return MirrorPlan(tuple(images), registry, tuple(paths), _mirrored_containers(deployment, images, paths))


def _single_mirror(repo: str, mapping: MirrorMapping) -> tuple[MirrorEntry, str] | str:
    """The one mirror entry of a repository and its digest; or an error message when none or several."""
    entries = mapping.by_digest(repo)
    digests = sorted({e.digest or "" for e in entries})
    if not entries:
        return f"{mapping.file} has no digest line for {repo}; it holds {mapping.holds()}"
    if len(digests) > 1 or len({e.mirror for e in entries}) > 1:
        lines = ", ".join(str(e.line) for e in entries)
        return (
            f"{mapping.file} has several mirrors or digests for {repo} (lines {lines}); keep the one the "
            "cluster should run"
        )
    return entries[0], digests[0]


def _mirrored_containers(
    deployment: Obj, images: list[dict[str, str]], paths: list[str]
) -> tuple[tuple[str, str, str, bool], ...]:
    """(list key, name, mirrored image, sets REGISTRY) of every container of the Deployment that has an image."""
    mirrored = {i["name"]: f"{i['newName']}@{i['digest']}" for i in images}
    return tuple(
        (
            key,
            str(c.get("name")),
            mirrored[split_image(str(c.get("image", "")))[0]],
            any(p.startswith(f"/spec/template/spec/{key}/{index}/") for p in paths),
        )
        for key, index, c in _containers(deployment)
        if c.get("image")
    )
