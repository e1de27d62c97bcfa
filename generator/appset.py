"""`mtc-policygen appset`: an Argo CD ApplicationSet that fans a folder of ClusterPair specs out to one
Application per pair and cluster, each rendered at sync time by the plugin (spec §6, §7).

A list generator holds one element per (pair, cluster), computed here from the specs in a fixed order, so the
output changes only when the specs do. The template never prunes and never deletes: MTC's MigrationController
is shared with the operator, and a removed rsync policy mid-migration breaks DVM; clean-up is the uninstall
plan's job (spec §8), done by a person.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.mtc import facts
from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair, resolve
from generator.mtc.rules import validate
from generator.problems import Problem, Severity
from generator.render.objects import Obj
from generator.runtimes.argocd import PLUGIN_NAME, Mode, base_problems, discover, open_network_type
from generator.spec.load import load_spec

APPSET_API = "argoproj.io/v1alpha1"
# Argo CD < 3.0 tracks resources with the app.kubernetes.io/instance label by default: a label value holds at
# most 63 characters, so a longer Application name breaks tracking there.
LABEL_VALUE_MAX = 63
# Application-level defaults (Argo CD sync options): never prune, never delete on Application deletion (read
# only from Argo CD 3.4; every MTC object also carries them as a per-resource annotation), and server-side apply
# where the cluster has it (facts §11: OpenShift 4.3+), so the partial MigrationController merges into the
# operator's object. The apply mode is per cluster: the element's `serverSideApply` ("true"/"false") fills the
# option's value through the default fasttemplate substitution; `ServerSideApply=false` is client-side apply.
SYNC_OPTIONS = ("Prune=false", "Delete=false", "ServerSideApply={{serverSideApply}}")


@dataclass(frozen=True)
class Options:
    repo_url: str
    revision: str
    path_prefix: str  # the spec folder's path inside the repository, posix, "" for the root
    name: str = "mtc-policygen"
    namespace: str = "argocd"
    project: str = "default"
    mode: Mode = Mode.ALL


def spec_files(spec_dir: Path) -> list[Path]:
    """Every ClusterPair the plugin's discovery would match, in spec_dir and below, by folder then name."""
    found: list[Path] = []
    for folder, dirs, _ in os.walk(spec_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += discover(Path(folder))
    return sorted(found, key=lambda p: (p.parent.relative_to(spec_dir).parts, p.name))


def _app_path(prefix: str, spec_dir: Path, spec: Path) -> str:
    rel = spec.parent.relative_to(spec_dir).as_posix()
    joined = PurePosixPath(prefix or ".", rel).as_posix()
    return "." if joined in ("", ".") else joined.removeprefix("./")


def elements(spec_dir: Path, options: Options) -> tuple[list[dict[str, str]], list[Problem]]:
    """One list-generator element per (pair, cluster), and the problems that stop the fan-out."""
    problems: list[Problem] = []
    files = spec_files(spec_dir)
    if not files:
        problems.append(
            Problem(
                str(spec_dir),
                0,
                0,
                "",
                Severity.ERROR,
                "no-specs",
                "no ClusterPair spec in this folder or below (outside folders holding a kustomization)",
            )
        )
    out: list[dict[str, str]] = []
    names: dict[str, str] = {}
    for file in files:
        pair, found = load_spec(file, file.relative_to(spec_dir.parent).as_posix())
        if pair is None:
            problems += found
            continue
        resolved = resolve(pair, Environment())
        found = open_network_type([*found, *validate(pair, Environment(), resolved)], pair, None)
        problems += found + base_problems(pair, resolved, [c.name for c in pair.clusters])
        path = _app_path(options.path_prefix, spec_dir, file)
        for cluster in pair.clusters:
            name = f"mtc-{pair.name}-{cluster.name}"
            doc = pair.source_doc
            if name in names:
                problems.append(
                    doc.problem(
                        ("metadata", "name"),
                        "appset-name",
                        f"Application {name!r} would also be made from {names[name]}",
                        suggestion="give each ClusterPair its own name",
                    )
                )
            names.setdefault(name, doc.file)
            if len(name) > LABEL_VALUE_MAX:
                problems.append(
                    doc.problem(
                        ("metadata", "name"),
                        "appset-name",
                        f"Application name {name!r} is longer than {LABEL_VALUE_MAX} characters: Argo CD's "
                        "label-based resource tracking (the default before 3.0) cannot carry it",
                        severity=Severity.WARNING,
                        suggestion="use annotation tracking (application.resourceTrackingMethod: annotation), "
                        "or shorter names",
                    )
                )
            out.append(
                {
                    "name": name,
                    "pair": pair.name,
                    "cluster": cluster.name,
                    "path": path,
                    "spec": file.name,
                    "namespace": cluster.migration_controller.namespace,
                    "mode": options.mode.value,
                    "serverSideApply": _server_side_apply(resolved, cluster.name),
                }
            )
    return out, problems


def _server_side_apply(resolved: ResolvedPair, cluster: str) -> str:
    """The element's apply mode: "false" (client-side) for a cluster before OpenShift 4.3 (facts §11)."""
    rc = resolved.cluster(cluster)
    return "false" if rc is not None and not rc.caps.server_side_apply else "true"


def application_set(items: list[dict[str, str]], options: Options) -> Obj:
    """The ApplicationSet; its template uses the default fasttemplate `{{key}}` substitution."""
    labels = dict(facts.MANAGED_BY_LABEL)
    return {
        "apiVersion": APPSET_API,
        "kind": "ApplicationSet",
        "metadata": {"name": options.name, "namespace": options.namespace, "labels": labels},
        "spec": {
            "generators": [{"list": {"elements": items}}],
            # Deleting the ApplicationSet (or a spec) removes Applications, never what they applied.
            "syncPolicy": {"preserveResourcesOnDeletion": True},
            "template": {
                "metadata": {
                    "name": "{{name}}",
                    "labels": {
                        **labels,
                        "mtc-policygen.io/pair": "{{pair}}",
                        "mtc-policygen.io/cluster": "{{cluster}}",
                    },
                },
                "spec": {
                    "project": options.project,
                    "source": {
                        "repoURL": options.repo_url,
                        "targetRevision": options.revision,
                        "path": "{{path}}",
                        "plugin": {
                            "name": PLUGIN_NAME,
                            "parameters": [
                                {"name": "cluster", "string": "{{cluster}}"},
                                {"name": "mode", "string": "{{mode}}"},
                                {"name": "spec", "string": "{{spec}}"},
                            ],
                        },
                    },
                    # The Argo CD cluster secret's `name` must equal the cluster's name in the spec.
                    "destination": {"name": "{{cluster}}", "namespace": "{{namespace}}"},
                    "syncPolicy": {
                        "automated": {"prune": False, "selfHeal": True},
                        "syncOptions": list(SYNC_OPTIONS),
                    },
                },
            },
        },
    }
