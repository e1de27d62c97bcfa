"""The Argo CD Config Management Plugin entry (`mtc-policygen argocd-generate`, spec §7).

argocd-cmp-server runs the plugin's generate command in the Application's folder inside a copy of the repo,
with stdin closed and the request in the environment (plugin contracts §1.3): `ARGOCD_APP_PARAMETERS` (JSON:
unset, `null`, `[]` or a list of `{name, string|array|map}`), `PARAM_<NAME>`, `ARGOCD_ENV_<NAME>` and
`KUBE_API_VERSIONS` (group/versions, and group/version/Kind entries, of the destination cluster).

The contract kept here: one ClusterPair spec per app folder (a `spec` parameter picks one when there are
several); every object of the chosen cluster — with a `base`, the base's objects with the overlay applied, as
`kustomize build` of the generated overlay gives them — or a `ProblemsError`, never an empty result, which
Argo CD would apply as "delete everything" under auto-prune. Problems carry no secret: Argo CD shows them.
"""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from generator import pipeline
from generator.clusterpair.base import KUSTOMIZATION_FILES
from generator.clusterpair.files import FileAccess, UnreadableFileError, check_regular, path_limit_problem
from generator.clusterpair.model import ClusterPair
from generator.mtc.facts import KEEP_OPTIONS
from generator.mtc.holdings import Identity, identity
from generator.mtc.network import Environment, detected_network_type
from generator.mtc.openings import PAIR_ANNOTATION, now_from
from generator.mtc.resolve import ResolvedPair
from generator.problems import Problem, ProblemsError, Severity, has_errors
from generator.records import record
from generator.render.objects import Obj, with_sync_options
from generator.runtimes.common import (
    API_VERSIONS_VAR,
    base_problems,
    fail,
    network_problems,
    openings_identities,
    with_base,
)

PLUGIN_NAME = "mtc-policygen-v1"  # plugin.yaml: metadata.name + "-" + spec.version (plugin contracts §1.1)
PARAMETERS_VAR = "ARGOCD_APP_PARAMETERS"

# The lines plugin.yaml's discovery command greps for; `is_discoverable` applies the same test, so the plugin
# renders exactly the files that made Argo CD pick it (tests/test_argocd_cmp.py checks both agree).
API_VERSION_LINE = re.compile(r"""^apiVersion:[ \t]*["']?mtc-policygen\.io/""", re.MULTILINE)
KIND_LINE = re.compile(r"""^kind:[ \t]*["']?ClusterPair["']?[ \t]*(#.*)?$""", re.MULTILINE)
FUNCTION_MARK = re.compile(r"config\.kubernetes\.io/function")
_SPEC_SUFFIXES = (".yaml", ".yml")
_MAX_HEAD = 1 << 20  # a spec is far smaller; the loader refuses big files with a clear problem anyway


class Mode(enum.Enum):
    """Which of the cluster's objects the Application owns (the `mode` parameter)."""

    ALL = "all"  # default: every object of the cluster
    POLICIES = "policies"  # the openings (spec §9): our NetworkPolicies and the declared egress firewalls
    CONTROLLER = "controller"  # everything else: MTC (MigrationController, install, registrations), other base objects


@record
class Request:
    cluster: str
    mode: Mode
    spec: str | None  # file name of the spec in the app folder, when it holds several
    api_versions: frozenset[str]


def _parameters(environ: Mapping[str, str]) -> dict[str, Any]:
    """`ARGOCD_APP_PARAMETERS` as {name: value}; unset, empty, `null` and `[]` all mean none."""
    raw = environ.get(PARAMETERS_VAR, "").strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except RecursionError:  # nested thousands deep: no parameter list looks like that
        raise fail(f"{PARAMETERS_VAR} nests too deep", "Argo CD sets it from spec.source.plugin.parameters") from None
    except ValueError:
        raise fail(f"{PARAMETERS_VAR} is not JSON", "Argo CD sets it from spec.source.plugin.parameters") from None
    if data is None:
        return {}
    if not isinstance(data, list):
        raise fail(f"{PARAMETERS_VAR} must be a JSON list of parameters")
    out: dict[str, Any] = {}
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise fail(f"{PARAMETERS_VAR}: every parameter needs a name")
        value = next((entry[k] for k in ("string", "array", "map") if k in entry), None)
        out[entry["name"]] = value
    return out


def _param(name: str, environ: Mapping[str, str], parameters: Mapping[str, Any]) -> str | None:
    """A string parameter: plugin parameters first (as JSON, then PARAM_*), then the plugin env (ARGOCD_ENV_*)."""
    if name in parameters and parameters[name] is not None:
        value = parameters[name]
        if not isinstance(value, str):
            raise fail(f"parameter {name!r} must be a string", f"parameters: [{{name: {name}, string: ...}}]")
        if value:
            return value
    for var in (f"PARAM_{name.upper()}", f"ARGOCD_ENV_{name.upper()}"):
        value = environ.get(var, "")
        if value:
            return value
    return None


def parse_request(environ: Mapping[str, str]) -> Request:
    """What the Application asks for; raises `ProblemsError` naming the missing or bad parameter."""
    parameters = _parameters(environ)
    cluster = _param("cluster", environ, parameters)
    if cluster is None:
        raise fail(
            "no cluster given: set the plugin parameter `cluster` (or the plugin env CLUSTER)",
            "spec.source.plugin.parameters: [{name: cluster, string: <cluster name of the ClusterPair>}]",
        )
    mode_text = _param("mode", environ, parameters) or Mode.ALL.value
    try:
        mode = Mode(mode_text)
    except ValueError:
        choices = ", ".join(m.value for m in Mode)
        raise fail(f"parameter mode: {mode_text!r} is not one of {choices}") from None
    spec = _param("spec", environ, parameters)
    if spec is not None and (spec in (".", "..") or "/" in spec or "\\" in spec):
        raise fail(f"parameter spec: {spec!r} must be a file name in the Application's folder")
    too_long = path_limit_problem(spec) if spec is not None else None
    if spec is not None and too_long:
        raise fail(f"parameter spec: {spec[:60]!r}…: {too_long}")
    versions = frozenset(v.strip() for v in environ.get(API_VERSIONS_VAR, "").split(",") if v.strip())
    return Request(cluster, mode, spec, versions)


def is_discoverable(text: str) -> bool:
    """The discovery test of plugin.yaml on one file's text: a ClusterPair spec, not a KRM function config."""
    return bool(API_VERSION_LINE.search(text) and KIND_LINE.search(text) and not FUNCTION_MARK.search(text))


def discover(app_dir: Path, files: FileAccess | None = None) -> list[Path]:
    """The ClusterPair specs directly in `app_dir`, sorted; none when it is a kustomization folder.

    A file outside the root (`files`, by default the app folder), or that is not a regular file, is not opened."""
    files = files if files is not None else FileAccess.of(app_dir)
    if any((app_dir / name).exists() for name in KUSTOMIZATION_FILES):
        return []
    found = []
    for path in sorted(app_dir.iterdir()):
        # `*.yaml *.yml` in sh: no hidden files, case-sensitive suffixes, symlinks followed.
        if path.name.startswith(".") or path.suffix not in _SPEC_SUFFIXES or not files.inside(path):
            continue
        try:
            check_regular(path)
            with path.open(encoding="utf-8", errors="replace") as stream:
                head = stream.read(_MAX_HEAD)
        except (OSError, UnreadableFileError):
            continue
        if is_discoverable(head):
            found.append(path)
    return found


def _display(name: str, environ: Mapping[str, str]) -> str:
    """The spec as the repo knows it (`pairs/x/spec.yaml`), so the Argo CD UI error points at the right file."""
    source_path = environ.get("ARGOCD_APP_SOURCE_PATH", "").strip("/")
    return str(PurePosixPath(source_path, name)) if source_path not in ("", ".") else name


def repository_root(app_dir: Path, environ: Mapping[str, str]) -> Path:
    """The repository copy argocd-cmp-server hands the plugin: the app folder minus `ARGOCD_APP_SOURCE_PATH`.

    When the source path does not end the app folder's real path (or climbs with `..`), the app folder itself:
    the narrowest root, never a wider one."""
    real = Path(os.path.realpath(app_dir))
    parts = [p for p in PurePosixPath(environ.get("ARGOCD_APP_SOURCE_PATH", "").strip("/")).parts if p != "."]
    if not parts:
        return real
    if ".." in parts or len(parts) >= len(real.parts) or list(real.parts[-len(parts) :]) != parts:
        return real
    return real.parents[len(parts) - 1]


def _choose_spec(app_dir: Path, request: Request, environ: Mapping[str, str], files: FileAccess) -> Path:
    if request.spec is not None:
        path = app_dir / request.spec
        if not path.is_file():
            raise fail(f"parameter spec: no file {request.spec!r} in {_display('.', environ)}")
        return path
    specs = discover(app_dir, files)
    if not specs:
        raise fail(
            f"no ClusterPair spec in {_display('.', environ)} (a *.yaml with apiVersion mtc-policygen.io/... and "
            "kind: ClusterPair, in a folder without a kustomization)",
            "point the Application's source.path at the folder of the spec",
        )
    if len(specs) > 1:
        names = ", ".join(p.name for p in specs)
        raise fail(
            f"{_display('.', environ)} holds several ClusterPair specs ({names})",
            "name one with the plugin parameter `spec`, or give each spec its own folder",
        )
    return specs[0]


def _never_pruned(obj: Obj) -> Obj:
    """MTC's Application never prunes or deletes: Application-level `Prune=false`/`Delete=false` are ignored
    before Argo CD 3.4, the per-resource annotation works on every version (facts: Argo CD prune/delete)."""
    return with_sync_options(obj, KEEP_OPTIONS)


def _select(objects: list[Obj], mode: Mode, openings: set[Identity]) -> list[Obj]:
    if mode is Mode.POLICIES:
        # The openings Application prunes what exists only for DVM (it carries the pair annotation); a user's
        # egress firewall it also syncs must never be pruned or deleted with it: closing restores its rules.
        return [o if _only_for_dvm(o) else _never_pruned(o) for o in objects if identity(o) in openings]
    if mode is Mode.CONTROLLER:
        return [_never_pruned(o) for o in objects if identity(o) not in openings]
    return objects


def _only_for_dvm(obj: Obj) -> bool:
    return PAIR_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})


def _nothing_open(pair: ClusterPair, cluster: str, resolved: ResolvedPair) -> Problem:
    return Problem.of(
        pair.source_doc.file,
        "argocd-no-openings",
        (
            f"mode 'policies': no DVM opening on cluster {cluster!r} (openings {resolved.openings.describe()}); "
            "the Application owns nothing, so a sync prunes what it made before"
        ),
        severity=Severity.INFO,
        path="spec.openings",
    )


@record
class Output:
    objects: list[Obj]  # never empty, but in mode `policies` when nothing is open
    problems: list[Problem]  # warnings and infos, for the sidecar log


def generate(app_dir: Path, environ: Mapping[str, str]) -> Output:
    """The objects of the requested cluster; raises `ProblemsError` on anything that would give no output."""
    request = parse_request(environ)
    try:  # decided once for the run: every file the spec names is read inside it (docs/argo-cd.md)
        files = FileAccess.decide(repository_root(app_dir, environ), environ)
    except UnreadableFileError as exc:
        raise fail(str(exc), rule=exc.rule) from None
    spec_file = _choose_spec(app_dir, request, environ, files)
    detected = detected_network_type(request.api_versions)
    env = Environment(
        network_types={request.cluster: detected} if detected is not None else {},
        files=files,
        now=now_from(environ),
        firewall_kind_at_render=True,  # learnt from KUBE_API_VERSIONS when the source is rendered
        rendering=request.cluster,
    )
    checked = pipeline.check(pipeline.SpecFile(spec_file, _display(spec_file.name, environ)), env)
    if checked.resolved is None:
        raise ProblemsError(checked.problems)
    resolved, pair = checked.resolved, checked.resolved.spec
    cluster = pipeline.cluster_of(pair, request.cluster, pair.source_doc.file, "parameter cluster")
    problems = [*checked.problems, *network_problems(pair, request.cluster, detected)]
    problems += base_problems(pair, resolved, [request.cluster])
    if has_errors(problems):
        raise ProblemsError(problems)
    render = pipeline.render(resolved, cluster)  # reads the proxy password now, if this cluster needs it
    holdings = next(rc.holdings for rc in resolved.clusters if rc.name == cluster.name)
    everything = render.objects()
    if cluster.base is not None and holdings:
        everything, merged = with_base(pair, render, holdings)
        problems += merged
    objects = _select(everything, request.mode, openings_identities(resolved, render))
    if not objects and request.mode is Mode.POLICIES:
        # The openings Application with nothing open: empty is the intended state, and pruning what it made
        # earlier is exactly how the window closes (spec §9).
        return Output([], [*problems, _nothing_open(pair, request.cluster, resolved)])
    if not objects:
        raise ProblemsError(
            [
                *problems,
                Problem.of(
                    _display(spec_file.name, environ),
                    "argocd-empty",
                    (
                        f"mode {request.mode.value!r} selects no object for cluster {request.cluster!r}; empty output "
                        "would make Argo CD prune everything the Application owns"
                    ),
                    suggestion="use mode all, or remove this Application",
                ),
            ]
        )
    return Output(objects, problems)
