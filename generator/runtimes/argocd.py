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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator import pipeline
from generator.mtc import facts
from generator.mtc.holdings import Holdings, Identity, identity
from generator.mtc.install import SYNC_OPTIONS
from generator.mtc.network import Environment
from generator.mtc.openings import PAIR_ANNOTATION, now_from
from generator.mtc.resolve import ResolvedPair, base_folder
from generator.problems import Problem, ProblemsError, Severity, has_errors
from generator.render.objects import Obj
from generator.render.plan import ClusterRender
from generator.spec.base import KUSTOMIZATION_FILES
from generator.spec.files import FileAccess, UnreadableFileError, check_regular, read_limited
from generator.spec.model import ClusterPair, NetworkType
from generator.spec.yamlsource import MAX_BYTES, check_depth, decode, path_limit_problem
from generator.transform import plan_transform

PLUGIN_NAME = "mtc-policygen-v1"  # plugin.yaml: metadata.name + "-" + spec.version (plugin contracts §1.1)
PARAMETERS_VAR = "ARGOCD_APP_PARAMETERS"
API_VERSIONS_VAR = "KUBE_API_VERSIONS"
_SOURCE = "argocd-generate"  # the `file` of problems that are about the request, not a spec

# The lines plugin.yaml's discovery command greps for; `is_discoverable` applies the same test, so the plugin
# renders exactly the files that made Argo CD pick it (tests/test_argocd_cmp.py checks both agree).
API_VERSION_LINE = re.compile(r"""^apiVersion:[ \t]*["']?mtc-policygen\.io/""", re.MULTILINE)
KIND_LINE = re.compile(r"""^kind:[ \t]*["']?ClusterPair["']?[ \t]*(#.*)?$""", re.MULTILINE)
FUNCTION_MARK = re.compile(r"config\.kubernetes\.io/function")
_SPEC_SUFFIXES = (".yaml", ".yml")
_MAX_HEAD = 1 << 20  # a spec is far smaller; the loader refuses big files with a clear problem anyway
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Mode(enum.Enum):
    """Which of the cluster's objects the Application owns (the `mode` parameter)."""

    ALL = "all"  # default: every object of the cluster
    POLICIES = "policies"  # the openings (spec §9): our NetworkPolicies and the declared egress firewalls
    CONTROLLER = "controller"  # everything else: MTC (MigrationController, install, registrations), other base objects


@dataclass(frozen=True)
class Request:
    cluster: str
    mode: Mode
    spec: str | None  # file name of the spec in the app folder, when it holds several
    api_versions: frozenset[str]


def _fail(message: str, suggestion: str = "", rule: str = "argocd-request") -> ProblemsError:
    return ProblemsError([Problem(_SOURCE, 0, 0, "", Severity.ERROR, rule, message, suggestion)])


def _parameters(environ: Mapping[str, str]) -> dict[str, Any]:
    """`ARGOCD_APP_PARAMETERS` as {name: value}; unset, empty, `null` and `[]` all mean none."""
    raw = environ.get(PARAMETERS_VAR, "").strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except RecursionError:  # nested thousands deep: no parameter list looks like that
        raise _fail(f"{PARAMETERS_VAR} nests too deep", "Argo CD sets it from spec.source.plugin.parameters") from None
    except ValueError:
        raise _fail(f"{PARAMETERS_VAR} is not JSON", "Argo CD sets it from spec.source.plugin.parameters") from None
    if data is None:
        return {}
    if not isinstance(data, list):
        raise _fail(f"{PARAMETERS_VAR} must be a JSON list of parameters")
    out: dict[str, Any] = {}
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _fail(f"{PARAMETERS_VAR}: every parameter needs a name")
        value = next((entry[k] for k in ("string", "array", "map") if k in entry), None)
        out[entry["name"]] = value
    return out


def _param(name: str, environ: Mapping[str, str], parameters: Mapping[str, Any]) -> str | None:
    """A string parameter: plugin parameters first (as JSON, then PARAM_*), then the plugin env (ARGOCD_ENV_*)."""
    if name in parameters and parameters[name] is not None:
        value = parameters[name]
        if not isinstance(value, str):
            raise _fail(f"parameter {name!r} must be a string", f"parameters: [{{name: {name}, string: ...}}]")
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
        raise _fail(
            "no cluster given: set the plugin parameter `cluster` (or the plugin env CLUSTER)",
            "spec.source.plugin.parameters: [{name: cluster, string: <cluster name of the ClusterPair>}]",
        )
    mode_text = _param("mode", environ, parameters) or Mode.ALL.value
    try:
        mode = Mode(mode_text)
    except ValueError:
        choices = ", ".join(m.value for m in Mode)
        raise _fail(f"parameter mode: {mode_text!r} is not one of {choices}") from None
    spec = _param("spec", environ, parameters)
    if spec is not None and (spec in (".", "..") or "/" in spec or "\\" in spec):
        raise _fail(f"parameter spec: {spec!r} must be a file name in the Application's folder")
    too_long = path_limit_problem(spec) if spec is not None else None
    if spec is not None and too_long:
        raise _fail(f"parameter spec: {spec[:60]!r}…: {too_long}")
    versions = frozenset(v.strip() for v in environ.get(API_VERSIONS_VAR, "").split(",") if v.strip())
    return Request(cluster, mode, spec, versions)


def detected_network_type(api_versions: Iterable[str]) -> NetworkType | None:
    """The cluster's network plugin from its served APIs (facts §4.1-4.2).

    EgressFirewall (k8s.ovn.org) is served only by OVN-Kubernetes; EgressNetworkPolicy (network.openshift.io)
    only under OpenShift SDN, or on OVN during a migration, so OVN wins when both are there (facts §4.1: CNO
    installs each plugin's CRDs). Argo CD lists group/versions and group/version/Kind entries: the kinds decide
    first, the groups when no kind entry names a firewall.
    """
    served = set(api_versions)
    ovn_kind = f"{facts.EGRESS_FIREWALL_API}/{facts.EGRESS_FIREWALL_KIND}"
    sdn_kind = f"{facts.EGRESS_NETWORK_POLICY_API}/{facts.EGRESS_NETWORK_POLICY_KIND}"
    for ovn, sdn in ((ovn_kind, sdn_kind), (facts.EGRESS_FIREWALL_API, facts.EGRESS_NETWORK_POLICY_API)):
        if ovn in served:
            return NetworkType.OVN_KUBERNETES
        if sdn in served:
            return NetworkType.OPENSHIFT_SDN
    return None


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
            raise _fail(f"parameter spec: no file {request.spec!r} in {_display('.', environ)}")
        return path
    specs = discover(app_dir, files)
    if not specs:
        raise _fail(
            f"no ClusterPair spec in {_display('.', environ)} (a *.yaml with apiVersion mtc-policygen.io/... and "
            "kind: ClusterPair, in a folder without a kustomization)",
            "point the Application's source.path at the folder of the spec",
        )
    if len(specs) > 1:
        names = ", ".join(p.name for p in specs)
        raise _fail(
            f"{_display('.', environ)} holds several ClusterPair specs ({names})",
            "name one with the plugin parameter `spec`, or give each spec its own folder",
        )
    return specs[0]


# What a base's kustomization may use for the plugin to emit exactly what `kustomize build` of the overlay does:
# a plain list of files and folders. Anything else (namespace, name prefixes, labels, patches, generators,
# components, images...) is kustomize's to apply, and the plugin refuses rather than guess.
_PLAIN_KUSTOMIZATION_KEYS = frozenset({"apiVersion", "kind", "resources", "bases"})


def _not_plain(folder: Path, files: FileAccess, seen: set[Path] | None = None) -> list[str]:
    """Why `kustomize build` of this base would differ from its files' objects (empty: it would not)."""
    seen = set() if seen is None else seen
    if not files.inside(folder):
        return [f"{folder.as_posix()}: outside the root, not read"]
    real = folder.resolve()
    if real in seen:
        return [f"{folder.as_posix()}: included twice"]
    seen.add(real)
    file = next((folder / n for n in KUSTOMIZATION_FILES if (folder / n).is_file()), None)
    if file is None:
        return [f"{folder.as_posix()}: no kustomization"]
    try:
        if not files.inside(file):
            raise UnreadableFileError("outside the root")
        text = decode(read_limited(file, MAX_BYTES), file.as_posix())
        check_depth(text, file.as_posix())
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except (UnreadableFileError, ProblemsError, ValueError, yaml.YAMLError, RecursionError):
        return [f"{file.as_posix()}: unreadable"]
    if not isinstance(data, dict):
        return [f"{file.as_posix()}: not a mapping"]
    reasons = [f"{file.name} uses `{key}`" for key in sorted(set(data) - _PLAIN_KUSTOMIZATION_KEYS)]
    for key in ("resources", "bases"):
        for entry in data.get(key) or []:
            if isinstance(entry, str) and (folder / entry).is_dir():
                reasons += _not_plain(folder / entry, files, seen)
    return reasons


def base_problems(pair: ClusterPair, resolved: ResolvedPair, clusters: Iterable[str]) -> list[Problem]:
    """Clusters whose base the plugin cannot reproduce exactly: their Applications must use the overlay route."""
    out = []
    for rc in resolved.clusters:
        cluster = rc.spec
        if cluster.base is None or cluster.name not in clusters:
            continue
        reasons = list(rc.base_errors)
        if rc.holdings is None:
            reasons.append("it is not a kustomize folder here")
        else:
            reasons += list(rc.holdings.unread)
            if rc.base_patched:
                reasons.append("it patches its own objects")
            folder = base_folder(pair, cluster)
            reasons += _not_plain(folder, pair.access) if folder is not None else []
        if not reasons:
            continue
        out.append(
            pair.source_doc.problem(
                (*cluster.path, "base"),
                "argocd-base",
                f"the Argo CD plugin emits the base's objects with cluster {cluster.name!r}'s (an Application "
                f"owns everything it syncs), but cannot build this base exactly: {'; '.join(reasons)}",
                suggestion="keep the base to a plain list of files (resources:), or point this cluster's "
                "Application at its generated overlay (Argo CD's kustomize builds it; docs/argo-cd.md)",
            )
        )
    return out


def _duplicate(what: Obj, origin: str) -> ProblemsError:
    meta = what.get("metadata") or {}
    return _fail(
        f"{origin} already holds {what.get('kind')} {meta.get('namespace')}/{meta.get('name')}, which the spec "
        "generates too (kustomize build of the overlay fails the same way)",
        "remove it from the base, or drop `rules:` from the spec to patch the base's firewall instead",
        rule="argocd-base",
    )


def with_base(pair: ClusterPair, render: ClusterRender, holdings: Holdings) -> tuple[list[Obj], list[Problem]]:
    """The base's objects with the overlay applied, as `kustomize build` of the generated overlay gives them.

    The merge itself is the KRM transformer's (`generator.transform`), over the base's objects; what the overlay
    adds as whole resources must not be in the base already, because kustomize fails there too. Returns the
    objects and the transformer's warnings (for the sidecar log).
    """
    held = {identity(o) for o in holdings.objects}
    install = render.install
    resources = [
        *(p for _, p in render.policies),
        *(f.whole for f in render.firewalls if f.whole is not None),
        *((*install.operator, *install.secrets, *install.wiring) if install is not None else ()),
    ]
    for obj in resources:
        if identity(obj) in held:
            raise _duplicate(obj, holdings.origin)
    items = list(holdings.objects)
    plan = plan_transform(pair, render, items)
    return plan.apply(items), list(plan.problems)


def _network_problems(pair: ClusterPair, cluster: str, detected: NetworkType | None) -> list[Problem]:
    """Where the cluster's APIs and the spec disagree, or neither tells the firewall kind."""
    declared = pair.source.network_type
    needs_kind = any(ns.egress_firewall is not None for ns in pair.namespaces)
    path = (*pair.source.path, "networkType")
    if cluster != pair.source.name:
        return []
    if declared is None and detected is None and needs_kind:
        return [
            Problem(
                _SOURCE,
                0,
                0,
                "",
                Severity.INFO,
                "argocd-network-type",
                f"{API_VERSIONS_VAR} lists neither {facts.EGRESS_FIREWALL_API} (OVN-Kubernetes) nor "
                f"{facts.EGRESS_NETWORK_POLICY_API} (OpenShift SDN), so the destination's plugin is unknown",
            )
        ]
    if detected is None or declared is None or declared is detected:
        return []
    return [
        pair.source_doc.problem(
            path,
            "argocd-network-type",
            f"the spec says {declared.value} but the cluster serves the egress firewall API of {detected.value}; "
            "the spec is followed",
            severity=Severity.WARNING,
            suggestion=f"networkType: {detected.value}, unless a network migration is under way",
        )
    ]


def openings_identities(resolved: ResolvedPair, render: ClusterRender) -> set[Identity]:
    """What the openings Application owns on this cluster: the rsync NetworkPolicies rendered, and every egress
    firewall the spec declares here, open or closed (closing must give it back as the user has it, so the
    same Application keeps owning it). Everything else is MTC's."""
    owned = {identity(p) for _, p in render.policies}
    api = resolved.source.caps.firewall
    if api is not None and render.cluster.name == resolved.source.name:
        group = api.api_version.rpartition("/")[0]
        owned |= {
            (group, api.kind, ns.source, ns.egress_firewall.name)
            for ns in resolved.namespaces
            if ns.egress_firewall is not None
        }
    return owned


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


def _never_pruned(obj: Obj) -> Obj:
    """MTC's Application never prunes or deletes: Application-level `Prune=false`/`Delete=false` are ignored
    before Argo CD 3.4, the per-resource annotation works on every version (facts: Argo CD prune/delete)."""
    meta = dict(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    options = [o for o in str(annotations.get(SYNC_OPTIONS, "")).split(",") if o]
    options += [o for o in ("Prune=false", "Delete=false") if o not in options]
    annotations[SYNC_OPTIONS] = ",".join(options)
    meta["annotations"] = annotations
    return {**obj, "metadata": meta}


def _nothing_open(pair: ClusterPair, cluster: str, resolved: ResolvedPair) -> Problem:
    return Problem(
        pair.source_doc.file,
        0,
        0,
        "spec.openings",
        Severity.INFO,
        "argocd-no-openings",
        f"mode 'policies': no DVM opening on cluster {cluster!r} (openings {resolved.openings.describe()}); "
        "the Application owns nothing, so a sync prunes what it made before",
    )


@dataclass(frozen=True)
class Output:
    objects: list[Obj]  # never empty, but in mode `policies` when nothing is open
    problems: list[Problem]  # warnings and infos, for the sidecar log


def generate(app_dir: Path, environ: Mapping[str, str]) -> Output:
    """The objects of the requested cluster; raises `ProblemsError` on anything that would give no output."""
    request = parse_request(environ)
    try:  # decided once for the run: every file the spec names is read inside it (docs/argo-cd.md)
        files = FileAccess.decide(repository_root(app_dir, environ), environ)
    except UnreadableFileError as exc:
        raise _fail(str(exc), rule=exc.rule) from None
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
    problems = [*checked.problems, *_network_problems(pair, request.cluster, detected)]
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
                Problem(
                    _display(spec_file.name, environ),
                    0,
                    0,
                    "",
                    Severity.ERROR,
                    "argocd-empty",
                    f"mode {request.mode.value!r} selects no object for cluster {request.cluster!r}; empty output "
                    "would make Argo CD prune everything the Application owns",
                    "use mode all, or remove this Application",
                ),
            ]
        )
    return Output(objects, problems)
