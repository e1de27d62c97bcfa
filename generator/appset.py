"""`mtc-policygen appset`: Argo CD ApplicationSets that fan a folder of ClusterPair specs out to two
Applications per pair and cluster, each rendered at sync time by the plugin (spec §6, §7, §9).

- MTC (`mtc-<pair>-<cluster>`, plugin mode `controller`): the MigrationController settings, the install and
  registrations, every other base object. It never prunes and never deletes: MTC's MigrationController is
  shared with the operator, and clean-up is the uninstall plan's job, done by a person. Application-level
  `Prune=false`/`Delete=false` only work from Argo CD 3.4 (facts: argo-cd PR #23370), so the plugin also puts
  them on each object in this mode.
- Openings (`mtc-<pair>-<cluster>-openings`, mode `policies`): the rsync NetworkPolicies and the declared egress
  firewalls. It prunes, with `allowEmpty` (a closed window renders no object): closing the window in the spec
  removes the NetworkPolicies and gives each firewall back as the user has it on the next sync.

Each is its own ApplicationSet, because the two sync policies differ in booleans, which a template's string
substitution cannot vary per element. A list generator holds one element per (pair, cluster), computed here
from the specs in a fixed order, so the output changes only when the specs do.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from generator import pipeline
from generator.mtc import facts
from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair
from generator.problems import Problem, Severity
from generator.records import record
from generator.render.objects import Obj
from generator.runtimes.argocd import PLUGIN_NAME, Mode, discover
from generator.runtimes.common import base_problems

APPSET_API = "argoproj.io/v1alpha1"
# Argo CD < 3.0 tracks resources with the app.kubernetes.io/instance label by default: a label value holds at
# most 63 characters, so a longer Application name breaks tracking there.
LABEL_VALUE_MAX = 63
# The MTC Application's sync options (Argo CD sync options): never prune, never delete on Application deletion (read
# only from Argo CD 3.4; every MTC object also carries them as a per-resource annotation), and server-side apply
# where the cluster has it (facts §11: OpenShift 4.3+), so the partial MigrationController merges into the
# operator's object. The apply mode is per cluster: the element's `serverSideApply` ("true"/"false") fills the
# option's value through the default fasttemplate substitution; `ServerSideApply=false` is client-side apply.
SYNC_OPTIONS = ("Prune=false", "Delete=false", "ServerSideApply={{serverSideApply}}")
OPENINGS_SUFFIX = "-openings"  # the openings Application and ApplicationSet: `<MTC one's name>-openings`


@record
class Options:
    repo_url: str
    revision: str
    path_prefix: str  # the spec folder's path inside the repository, posix, "" for the root
    name: str = "mtc-policygen"
    namespace: str = "argocd"
    project: str = "default"


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
    """One list-generator element per (pair, cluster) for the MTC Applications (the openings Application of
    each is named `<name>-openings`), and the problems that stop the fan-out."""
    problems: list[Problem] = []
    files = spec_files(spec_dir)
    if not files:
        problems.append(
            Problem.of(
                str(spec_dir),
                "no-specs",
                "no ClusterPair spec in this folder or below (outside folders holding a kustomization)",
            )
        )
    out: list[dict[str, str]] = []
    names: dict[str, str] = {}
    # Checked as the plugin renders them: each Application learns its cluster's firewall kind from the APIs that
    # cluster serves, so a spec leaving the source's networkType open is not asked for it here.
    env = Environment(firewall_kind_at_render=True)
    for file in files:
        checked = pipeline.check(pipeline.SpecFile(file, file.relative_to(spec_dir.parent).as_posix()), env)
        if checked.resolved is None:
            problems += checked.problems
            continue
        resolved, pair = checked.resolved, checked.resolved.spec
        problems += checked.problems + base_problems(pair, resolved, [c.name for c in pair.clusters])
        path = _app_path(options.path_prefix, spec_dir, file)
        for cluster in pair.clusters:
            name = f"mtc-{pair.name}-{cluster.name}"
            longest = name + OPENINGS_SUFFIX
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
            if len(longest) > LABEL_VALUE_MAX:
                problems.append(
                    doc.problem(
                        ("metadata", "name"),
                        "appset-name",
                        f"Application name {longest!r} is longer than {LABEL_VALUE_MAX} characters: Argo CD's "
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
                    "serverSideApply": _server_side_apply(resolved, cluster.name),
                }
            )
    return out, problems


def _server_side_apply(resolved: ResolvedPair, cluster: str) -> str:
    """The element's apply mode: "false" (client-side) for a cluster before OpenShift 4.3 (facts §11)."""
    rc = resolved.cluster(cluster)
    return "false" if rc is not None and not rc.caps.server_side_apply else "true"


def application_sets(items: list[dict[str, str]], options: Options) -> list[Obj]:
    """The MTC ApplicationSet, then the openings one; their templates use fasttemplate `{{key}}` substitution."""
    mtc_sync = {"automated": {"prune": False, "selfHeal": True}, "syncOptions": list(SYNC_OPTIONS)}
    # allowEmpty: automated sync with prune refuses an empty render without it, and a closed window is empty.
    openings_sync = {"automated": {"prune": True, "selfHeal": True, "allowEmpty": True}}
    openings_items = [{**item, "name": item["name"] + OPENINGS_SUFFIX} for item in items]
    return [
        _application_set(options.name, items, options, Mode.CONTROLLER, mtc_sync),
        _application_set(options.name + OPENINGS_SUFFIX, openings_items, options, Mode.POLICIES, openings_sync),
    ]


def _application_set(name: str, items: list[dict[str, str]], options: Options, mode: Mode, sync: Obj) -> Obj:
    labels = dict(facts.MANAGED_BY_LABEL)
    return {
        "apiVersion": APPSET_API,
        "kind": "ApplicationSet",
        "metadata": {"name": name, "namespace": options.namespace, "labels": labels},
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
                                {"name": "mode", "string": mode.value},
                                {"name": "spec", "string": "{{spec}}"},
                            ],
                        },
                    },
                    # The Argo CD cluster secret's `name` must equal the cluster's name in the spec.
                    "destination": {"name": "{{cluster}}", "namespace": "{{namespace}}"},
                    "syncPolicy": sync,
                },
            },
        },
    }
