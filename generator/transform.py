"""Transformer mode (spec §7): one cluster's rendered objects applied to the objects a runtime already holds.

A pure function of the input items and the rendered cluster. It decides, object by object, what the KRM
function and the legacy exec plugin do; those adapters only read and write the items (generator/runtimes/).

Generator or transformer — decided per object, never by asking the tool which list the function sits in
(kustomize does not say). The input items are every item except function configs and the Kptfile:

* MigrationController: the one named by the spec (`migrationController`, default
  `openshift-migration/migration-controller`) among the items gets its keys merged into `spec` (and the
  managed-by label); no MigrationController at all among the items -> the rendered one is added (generator);
  others but not that one -> an error naming them (a renamed or misplaced controller would stay unpatched).
  With spec §8 `install` on a modern cluster it also gets `render`'s Argo CD ordering: the controller's sync wave
  and SkipDryRunOnMissingResource added to the sync options it holds (kept, in order, each once).
* The legacy operator's Deployment (spec §8, legacy cluster with a mirror mapping): among the items -> its images
  rewritten to their mirrors by digest and its env REGISTRY values set, as the overlay `generate` writes does;
  not among the items -> an error naming the Deployments they hold.
* Egress firewall of a source namespace (kind by the source's network type): among the items -> the DVM Allow
  rules it does not already hold before its first Deny are inserted at the top of `spec.egress`. Not among the
  items: with `rules:` in the spec the whole firewall is added (generator); without `rules:` the firewall is
  expected among the items, so its absence is an error naming the firewalls they hold (a partial firewall
  holding only the Allow rules would replace the user's and drop every Deny).
* NetworkPolicies and the MTC install objects of spec §8 (operator subscription, MigStorage, MigClusters,
  their Secrets): added; one already among the items (a second pass) is replaced in place, keeping the item's
  tool annotations (path, index, ids).

Every other item is left alone; the adapters pass it through untouched. So a second pass adds nothing.
"""

from __future__ import annotations

import copy
from dataclasses import field
from typing import Any

from generator.clusterpair.model import ClusterPair, EgressFirewallDecl
from generator.clusterpair.yamlsource import PathKey
from generator.mtc.facts import KEEP_OPTIONS
from generator.mtc.firewall import rules_to_insert
from generator.mtc.holdings import Holdings, identity
from generator.mtc.install import (
    LEGACY_DEPLOYMENT,
    MTC_NAMESPACE,
    SKIP_DRY_RUN,
    SYNC_OPTIONS,
    legacy_deployment,
    mirror_plan,
    mirror_values,
    unmirrored,
)
from generator.problems import Problem, ProblemsError, Severity
from generator.records import record
from generator.render.egressfirewall import FirewallOutput
from generator.render.objects import merged_options, sync_options
from generator.render.plan import ClusterRender

Obj = dict[str, Any]

FUNCTION_ANNOTATIONS = ("config.kubernetes.io/function", "config.k8s.io/function")
LOCAL_CONFIG_ANNOTATION = "config.kubernetes.io/local-config"
# What kustomize and kpt put on items and read back (paths, indexes, ids, build options): kept on every item.
TOOL_ANNOTATION_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
)
_NOT_COPIED = (LOCAL_CONFIG_ANNOTATION, *FUNCTION_ANNOTATIONS)


@record
class MergeController:
    """Merge `spec` keys, `labels` and `annotations` (final values, decided by the planner) into the
    MigrationController at `index`."""

    index: int
    labels: dict[str, str]
    spec: dict[str, Any]
    annotations: dict[str, str] = field(default_factory=dict)


@record
class SetValues:
    """Set each scalar at its path (mapping keys and sequence indexes, all present) in the item at `index`."""

    index: int
    values: tuple[tuple[tuple[str | int, ...], str], ...]


@record
class InsertRules:
    """Insert `rules` at the top of `spec.egress` of the firewall at `index`, in order."""

    index: int
    rules: list[Obj]


@record
class ReplaceObject:
    """Replace the item at `index` by `obj` (which already carries the item's tool annotations)."""

    index: int
    obj: Obj


Edit = MergeController | InsertRules | ReplaceObject | SetValues


@record
class Plan:
    edits: tuple[Edit, ...] = ()
    added: tuple[Obj, ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    def apply(self, items: list[Obj]) -> list[Obj]:
        """The plan over plain objects: edited items in place (copies), then the added objects."""
        out = list(items)
        for edit in self.edits:
            obj = copy.deepcopy(out[edit.index])
            if isinstance(edit, ReplaceObject):
                obj = copy.deepcopy(edit.obj)
            elif isinstance(edit, MergeController):
                meta = obj.setdefault("metadata", {})
                meta["labels"] = {**(meta.get("labels") or {}), **edit.labels}
                if edit.annotations:
                    meta["annotations"] = {**(meta.get("annotations") or {}), **edit.annotations}
                obj["spec"] = {**(obj.get("spec") or {}), **copy.deepcopy(edit.spec)}
            elif isinstance(edit, SetValues):
                for path, value in edit.values:
                    parent: Any = obj
                    for step in path[:-1]:
                        parent = parent[step]
                    parent[path[-1]] = value
            else:
                spec = obj.setdefault("spec", {})
                spec["egress"] = copy.deepcopy(edit.rules) + list(spec.get("egress") or [])
            out[edit.index] = obj
        return out + [copy.deepcopy(o) for o in self.added]


def annotations_of(obj: Obj) -> dict[str, Any]:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return annotations if isinstance(annotations, dict) else {}


def is_function_config(obj: Obj) -> bool:
    return any(a in annotations_of(obj) for a in FUNCTION_ANNOTATIONS)


def is_tool_file(obj: Obj) -> bool:
    """kpt passes its Kptfile as an item: never a target of ours."""
    return obj.get("kind") == "Kptfile" and str(obj.get("apiVersion", "")).startswith("kpt.dev/")


def tool_annotations(obj: Obj) -> dict[str, Any]:
    return {
        k: v for k, v in annotations_of(obj).items() if k.startswith(TOOL_ANNOTATION_PREFIXES) and k not in _NOT_COPIED
    }


def _with_tool_annotations(generated: Obj, item: Obj) -> Obj:
    keep = tool_annotations(item)
    if not keep:
        return generated
    obj = copy.deepcopy(generated)
    meta = obj.setdefault("metadata", {})
    meta["annotations"] = {**(meta.get("annotations") or {}), **keep}
    return obj


def _value_at(obj: Obj, path: tuple[str | int, ...]) -> Any:
    value: Any = obj
    for step in path:
        value = value[step]
    return value


class _Planner:
    def __init__(self, pair: ClusterPair, render: ClusterRender, items: list[Obj]) -> None:
        self.pair = pair
        self.render = render
        self.positions: dict[tuple[str, str, str, str], tuple[int, Obj]] = {}
        candidates = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or is_function_config(item) or is_tool_file(item):
                continue
            candidates.append(item)
            self.positions.setdefault(identity(item), (index, item))
        self.held = Holdings.of("the input items", candidates)
        self.edits: list[Edit] = []
        self.added: list[Obj] = []
        self.problems: list[Problem] = []

    def _held(self, obj: Obj) -> tuple[int, Obj] | None:
        """Where the input items hold an object of the same group, kind, namespace and name, and that item."""
        return self.positions.get(identity(obj))

    def controller(self) -> None:
        rendered = self.render.controller
        cluster = self.render.cluster
        ref = cluster.migration_controller
        held = self._held(rendered)
        if held is not None:
            spec = rendered.get("spec") or {}
            labels = (rendered.get("metadata") or {}).get("labels") or {}
            annotations = self._controller_annotations(held[1])
            self.edits.append(MergeController(held[0], dict(labels), dict(spec), annotations))
            return
        others = self.held.names_of(rendered["kind"])
        if not others:
            self.added.append(rendered)
            return
        self.problems.append(
            self.pair.source_doc.problem(
                (*cluster.path, "migrationController"),
                "krm-controller-missing",
                f"the input items hold no MigrationController {ref.namespace}/{ref.name} for cluster "
                f"{cluster.name!r} to patch; they hold {', '.join(others)}",
                suggestion="set migrationController {name, namespace} to the one the items hold",
            )
        )

    def _controller_annotations(self, item: Obj) -> dict[str, str]:
        """Prune=false,Delete=false always (facts §11: Argo CD before 3.4 ignores them at Application level);
        with spec §8 `install`, as `render` gives it: the controller syncs after the operator, and without a dry
        run while its CRD is missing. The item's own sync options are kept, in their order; ours follow, each once."""
        install = self.render.install
        ordering = install is not None and bool(install.controller_annotations)
        ours = [SKIP_DRY_RUN] if ordering else []
        held = sync_options(item)
        extra = install.controller_annotations if install is not None and ordering else {}
        return {**extra, SYNC_OPTIONS: merged_options(held, KEEP_OPTIONS, ours)}

    def legacy_mirror(self) -> None:
        """spec §8: the legacy operator's Deployment among the items gets the overlay's mirror rewrite."""
        install = self.render.install
        if install is None or install.mirror is None:
            return
        path = ("spec", "install", "mirror", "mapping")
        deployment = legacy_deployment(self.held)
        held = self._held(deployment) if deployment is not None else None
        if deployment is None or held is None:
            names = self.held.names_of("Deployment")
            self.problems.append(
                self.pair.source_doc.problem(
                    path,
                    "krm-operator-missing",
                    f"the input items hold no Deployment {MTC_NAMESPACE}/{LEGACY_DEPLOYMENT} (operator.yml) to "
                    f"rewrite to the mirror for cluster {self.render.cluster.name!r} (Deployment: "
                    f"{', '.join(names) if names else 'none'})",
                    suggestion="list the function under `transformers:` after the resources that hold your "
                    "operator.yml and controller.yml",
                )
            )
            return
        source = unmirrored(deployment, install.mirror)
        plan = mirror_plan(source, install.mirror)
        if isinstance(plan, str):
            self.problems.append(self.pair.source_doc.problem(path, "krm-mirror-mapping", plan))
            return
        changes = tuple((p, v) for p, v in mirror_values(source, plan) if _value_at(deployment, p) != v)
        if changes:
            self.edits.append(SetValues(held[0], changes))

    def firewall(self, fw: FirewallOutput) -> None:
        meta = {"name": fw.name, "namespace": fw.namespace}
        held = self._held({"apiVersion": fw.api_version, "kind": fw.kind, "metadata": meta})
        decl = next(ns for ns in self.pair.namespaces if ns.source == fw.namespace).egress_firewall
        path = decl.path if decl is not None else ("spec", "namespaces")
        if held is not None:
            self._held_firewall(fw, decl, path, *held)
        elif fw.whole is not None:
            self.added.append(fw.whole)
        else:
            self._missing_firewall(fw, path)

    def _held_firewall(
        self, fw: FirewallOutput, decl: EgressFirewallDecl | None, path: PathKey, index: int, item_obj: Obj
    ) -> None:
        """The firewall is among the items: insert the DVM rules it lacks; warn when `rules:` says otherwise."""
        spec = item_obj.get("spec")
        egress = spec.get("egress") if isinstance(spec, dict) else None
        if egress is not None and not isinstance(egress, list):
            self.problems.append(
                self.pair.source_doc.problem(
                    path,
                    "krm-firewall-unreadable",
                    f"{fw.kind} {fw.namespace}/{fw.name} among the input items: spec.egress is not a list",
                )
            )
            return
        existing = [r for r in egress or [] if isinstance(r, dict)]
        missing = rules_to_insert(fw.rules, existing)
        if missing:
            self.edits.append(InsertRules(index, missing))
        if decl is not None and decl.rules is not None:
            self._compare_declared_rules(fw, decl.rules, path, existing)

    def _compare_declared_rules(
        self, fw: FirewallOutput, rules: tuple[Obj, ...], path: PathKey, existing: list[Obj]
    ) -> None:
        declared = [r for r in rules if r not in fw.rules]
        if declared != [r for r in existing if r not in fw.rules]:
            self.problems.append(
                self.pair.source_doc.problem(
                    (*path, "rules"),
                    "krm-firewall-rules-differ",
                    f"{fw.kind} {fw.namespace}/{fw.name} is among the input items with other rules than "
                    "`rules:` gives; the item's rules were kept and the DVM rules put before them",
                    severity=Severity.WARNING,
                    suggestion="drop `rules:` from the spec when the firewall lives among the items",
                )
            )

    def _missing_firewall(self, fw: FirewallOutput, path: PathKey) -> None:
        """No firewall among the items and no `rules:` to build it whole: an error naming those they hold."""
        same_kind = self.held.names_of(fw.kind)
        other_kind = "EgressNetworkPolicy" if fw.kind == "EgressFirewall" else "EgressFirewall"
        others = self.held.names_of(other_kind)
        holds = f"{fw.kind}: {', '.join(same_kind) if same_kind else 'none'}"
        if others:
            holds += f"; {other_kind}: {', '.join(others)}"
        self.problems.append(
            self.pair.source_doc.problem(
                path,
                "krm-firewall-missing",
                f"the input items hold no {fw.kind} {fw.namespace}/{fw.name} to insert the DVM Allow rules into "
                f"({holds})",
                suggestion="list the function under `transformers:` after the resources that hold the firewall, "
                "fix egressFirewall.name, or give the firewall's `rules:` to generate it whole",
            )
        )

    def whole(self, obj: Obj) -> None:
        """An object we own whole (NetworkPolicy, the MTC install objects): added, or replaced in place."""
        held = self._held(obj)
        if held is None:
            self.added.append(obj)
            return
        index, item_obj = held
        replacement = _with_tool_annotations(obj, item_obj)
        if replacement != item_obj:
            self.edits.append(ReplaceObject(index, replacement))


def plan_transform(pair: ClusterPair, render: ClusterRender, items: list[Obj]) -> Plan:
    """What to do to `items` for one rendered cluster; raises `ProblemsError` when an expected object is missing.

    `items` need only be complete for MigrationControllers, egress firewalls and NetworkPolicies; of every
    other item only apiVersion, kind and metadata are read.
    """
    planner = _Planner(pair, render, items)
    planner.controller()
    for _, policy in render.policies:
        planner.whole(policy)
    for fw in render.firewalls:
        planner.firewall(fw)
    install = render.install
    if install is not None:  # spec §8
        for obj in install.resources():
            planner.whole(obj)
        planner.legacy_mirror()
    problems = tuple(planner.problems)
    if any(p.is_error for p in problems):
        raise ProblemsError(problems)
    return Plan(tuple(planner.edits), tuple(planner.added), problems)
