"""Namespace, topology and file rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from generator.clusterpair.files import UnreadableFileError
from generator.mtc.resolve import base_folder
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Severity


@rule("duplicate-namespace")
def duplicate_namespace(ctx: RuleContext) -> Iterator[Finding]:
    """Each source namespace is migrated once, and each target namespace receives one source.

    Two entries for one namespace would generate two NetworkPolicies of the same name (a kustomize id clash)
    and make MTC's namespace mapping ambiguous.

    Passing::

        namespaces: [app1, {source: db, target: db-migrated}]

    Failing::

        namespaces: [app1, {source: db, target: app1}]
    """
    pair = ctx.pair
    sources: dict[str, int] = {}
    targets: dict[str, int] = {}
    for i, ns in enumerate(pair.namespaces):
        if ns.source in sources:
            yield Finding(
                ns.path,
                f"source namespace {ns.source!r} is already listed at namespaces[{sources[ns.source]}]",
                suggestion="list each source namespace once",
            )
        if ns.target in targets:
            yield Finding(
                ns.path,
                f"target namespace {ns.target!r} is already the target of namespaces[{targets[ns.target]}]",
                suggestion="map each source to its own target",
            )
        sources.setdefault(ns.source, i)
        targets.setdefault(ns.target, i)


@rule("namespace-mapping")
def namespace_mapping(ctx: RuleContext) -> Iterator[Finding]:
    """Within one cluster, every namespace is mapped (a move) or none is (a storage class conversion).

    mig-controller treats a same-cluster plan with no mapped namespaces as a storage class conversion and
    rejects one that maps only some (migplan validation); a mapped namespace cannot also be the target of
    another, since its policies would serve two roles.

    Passing::

        source: {name: east}
        target: {name: east}
        namespaces: [{source: a, target: a2}, {source: b, target: b2}]

    Failing::

        source: {name: east}
        target: {name: east}
        namespaces: [app1, {source: a, target: a2}]
    """
    pair = ctx.pair
    if not pair.same_cluster:
        return
    sources = {ns.source for ns in pair.namespaces}
    mapped = [ns for ns in pair.namespaces if ns.source != ns.target]
    if mapped and len(mapped) != len(pair.namespaces):
        first_same = next(ns for ns in pair.namespaces if ns.source == ns.target)
        yield Finding(
            first_same.path,
            f"{first_same.source!r} keeps its name while other namespaces are mapped; "
            "MTC rejects a same-cluster plan that maps only some namespaces",
            suggestion="map every namespace (a move) or none (a storage class conversion)",
        )
    for ns in mapped:
        if ns.target in sources:
            yield Finding(
                ns.path,
                f"{ns.target!r} is both a target and a source on cluster {pair.source.name}",
                suggestion="migrate in two steps with two ClusterPairs",
            )


@rule("same-cluster")
def same_cluster(ctx: RuleContext) -> Iterator[Finding]:
    """When source and target name the same cluster, they must describe it the same way.

    One overlay folder is written for that cluster (spec §4), holding one MigrationController patch.

    Passing::

        source: {name: east, openshiftVersion: "4.12"}
        target: {name: east, openshiftVersion: "4.12"}

    Failing::

        source: {name: east, openshiftVersion: "4.12"}
        target: {name: east, openshiftVersion: "4.14"}
    """
    pair = ctx.pair
    if not pair.same_cluster:
        return
    src, tgt = pair.source, pair.target
    fields = (
        ("openshiftVersion", src.openshift_version, tgt.openshift_version),
        ("networkType", src.network_type, tgt.network_type),
        ("base", src.base, tgt.base),
        ("migrationController", src.migration_controller, tgt.migration_controller),
        ("proxy", src.proxy, tgt.proxy),
    )
    for key, a, b in fields:
        if a != b:
            yield Finding(
                (*tgt.path, key),
                f"the target is the source cluster {src.name}, but its {key} differs",
                suggestion=f"give the same {key} on both sides",
            )


@rule("base-path")
def base_path(ctx: RuleContext) -> Iterator[Finding]:
    """`base` is a kustomize directory relative to the spec file; it must exist and hold a kustomization.

    The overlay lists it as a resource; a missing base would only fail later, inside Argo CD.

    Passing::

        source: {base: ../clusters/ocp311}      # a folder with a kustomization.yaml

    Failing::

        source: {base: ../clusters/missing}
    """
    if not ctx.env.check_base:
        return
    for cluster in ctx.pair.clusters:
        if cluster.base is None:
            continue
        path = (*cluster.path, "base")
        folder = Path(ctx.pair.spec_dir, cluster.base)
        try:
            ctx.pair.locate(cluster.base, "")
        except UnreadableFileError as exc:
            yield Finding(path, str(exc), suggestion="keep the base inside the repository of the spec")
            continue
        if not folder.is_dir():
            yield Finding(
                path,
                f"base {cluster.base!r} is not a directory next to the spec",
                suggestion="give a path relative to the spec file",
            )
        elif base_folder(ctx.pair, cluster) is None:
            yield Finding(path, f"base {cluster.base!r} has no kustomization.yaml")


@rule("supplemental-groups", Severity.WARNING)
def supplemental_groups(ctx: RuleContext) -> Iterator[Finding]:
    """Supplemental groups are listed once each.

    The generator writes them as the comma-joined string the controller parses without trimming (facts §1.2:
    "1000, 2000" or a YAML list crash-loops the controller); a repeated group is harmless but a likely typo.

    Passing::

        dvm: {sourceSupplementalGroups: [1000, 2000]}

    Failing::

        dvm: {sourceSupplementalGroups: [1000, 1000]}
    """
    dvm = ctx.pair.dvm
    for key, groups in (
        ("sourceSupplementalGroups", dvm.source_supplemental_groups),
        ("targetSupplementalGroups", dvm.target_supplemental_groups),
    ):
        for i, gid in enumerate(groups or ()):
            if gid in (groups or ())[:i]:
                yield Finding(("spec", "dvm", key, i), f"group {gid} is listed twice")
