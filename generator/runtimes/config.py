"""The function config (a ClusterPair with annotations) -> the pair, the cluster, and where problems point.

Where the spec file is resolved from (`mtc-policygen.io/spec-file`): the folder of the kustomization.yaml or
Kptfile that lists the function. kustomize runs KRM functions and legacy plugins in that folder; `kpt fn
render` runs them in kpt's own folder but names the package folder on the config
(`internal.config.kubernetes.io/package-path`), so it is used; `kpt fn eval --fn-config` lists the function in
no file, so there it is kpt's working folder.

Where problems of an inline spec point: kustomize and kpt hand over a re-serialized copy of the config
(kustomize sorts its keys), so positions in it would point nowhere. The user's file is found instead — kpt
render names it (`config.kubernetes.io/path` under the package folder); for kustomize it is the file listed
under `generators:`, `transformers:` or `validators:` of the kustomization in that folder that holds the same
object — and read with positions. Only when no file holds it (kpt eval) do positions refer to the copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from generator.api import SPEC_FILE_ANNOTATION
from generator.clusterpair.base import KUSTOMIZATION_FILES
from generator.clusterpair.files import FileAccess, UnreadableFileError, read_limited, repository_of
from generator.clusterpair.load import load_spec, parse_source, parse_spec
from generator.clusterpair.model import ClusterPair
from generator.clusterpair.yamlparse import compose_documents, source_of
from generator.clusterpair.yamlsource import MAX_BYTES, decode
from generator.problems import Problem, ProblemsError
from generator.records import record
from generator.render.yamlout import dump_document
from generator.transform import FUNCTION_ANNOTATIONS, TOOL_ANNOTATION_PREFIXES, annotations_of

Obj = dict[str, Any]
CLUSTER_ANNOTATION = "mtc-policygen.io/cluster"
PACKAGE_PATH_ANNOTATION = "internal.config.kubernetes.io/package-path"
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
PLUGIN_LISTS = ("generators", "transformers", "validators")
COPY_LABEL = "functionConfig"  # positions in the copy the tool handed over (no file holds the config)
# What a tool adds to a config; the user's copy is the same object without these.
_ADDED = (*TOOL_ANNOTATION_PREFIXES,)


def fail(message: str, rule: str = "krm-input", where: str = COPY_LABEL, path: str = "") -> ProblemsError:
    return ProblemsError([Problem.of(where, rule, message, path=path)])


@record
class Config:
    pair: ClusterPair | None
    problems: list[Problem]
    cluster: str
    where: str  # the file problems about the config itself name


def _display(path: Path, cwd: Path) -> str:
    """How a file is named in problems: relative to the folder the tool runs us in, or absolute outside it."""
    rel = os.path.relpath(path, cwd)
    return rel if not rel.startswith("..") else str(path)


def _user_view(obj: Obj) -> Obj:
    """The config as the user wrote it: without the annotations kustomize or kpt add (local-config, index...)."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {}) if isinstance(out.get("metadata"), dict) else {}
    kept = {k: v for k, v in annotations_of(out).items() if not k.startswith(_ADDED) or k in FUNCTION_ANNOTATIONS}
    if kept:
        meta["annotations"] = kept
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def _read(path: Path, files: FileAccess) -> list[yaml.Node]:
    """A candidate file's documents; nothing for a file outside the root or not a small YAML text file."""
    if not files.inside(path):
        return []
    try:
        return compose_documents(decode(read_limited(path, MAX_BYTES), str(path)), str(path))
    except (UnreadableFileError, ProblemsError):
        return []


def _kustomize_candidates(root: Path, files: FileAccess) -> list[Path]:
    for name in KUSTOMIZATION_FILES:
        nodes = _read(root / name, files)
        if not nodes:
            continue
        try:
            data = source_of(nodes[0], name).data
        except ProblemsError:
            return []
        if not isinstance(data, dict):
            return []
        entries = [e for key in PLUGIN_LISTS for e in (data.get(key) or []) if isinstance(e, str)]
        return [root / e for e in entries if "\n" not in e and not e.startswith(("http://", "https://"))]
    return []


def _find_user_copy(
    config: Obj, candidates: list[tuple[Path, int | None]], cwd: Path, files: FileAccess
) -> tuple[yaml.Node, str] | None:
    """The one document, among candidate files, that is this config as the user wrote it."""
    wanted = _user_view(config)
    found: list[tuple[yaml.Node, str]] = []
    for path, index in candidates:
        nodes = _read(path, files)
        picked = [nodes[index]] if index is not None and 0 <= index < len(nodes) else nodes
        display = _display(path, cwd)
        for node in picked:
            try:
                data = source_of(node, display).data
            except ProblemsError:
                continue
            if isinstance(data, dict) and _user_view(data) == wanted:
                found.append((node, display))
    return found[0] if len(found) == 1 else None


def locate(config: Obj, root: Path, files: FileAccess) -> tuple[yaml.Node, str] | None:
    """The user's file holding the config: named by kpt render, else listed by the kustomization in `root`."""
    annotations = annotations_of(config)
    package = annotations.get(PACKAGE_PATH_ANNOTATION)
    rel = next((annotations[a] for a in PATH_ANNOTATIONS if isinstance(annotations.get(a), str)), None)
    if isinstance(package, str) and rel:
        raw_index = next((annotations[a] for a in INDEX_ANNOTATIONS if a in annotations), None)
        plain = isinstance(raw_index, str) and raw_index.isascii() and raw_index.isdigit() and len(raw_index) <= 9
        index = int(str(raw_index)) if plain else None  # a 5,000-digit index is no index (int() refuses it)
        return _find_user_copy(config, [(Path(package) / rel, index)], root, files)
    return _find_user_copy(config, [(path, None) for path in _kustomize_candidates(root, files)], root, files)


def spec_root(config: Obj, cwd: Path) -> Path:
    """Where `mtc-policygen.io/spec-file` is relative to (module docstring)."""
    package = annotations_of(config).get(PACKAGE_PATH_ANNOTATION)
    return Path(package) if isinstance(package, str) and package else cwd


def _is_kpt_package(folder: Path, cwd: Path, here: Path) -> bool:
    """Whether the package folder named on the config may decide the root: kpt render names it, but a config
    written by hand for kustomize could name any folder. kustomize runs a function in the kustomization's
    folder; so the folder counts when it lies in the working folder's repository, or when it is a kpt package
    (a Kptfile) and the working folder is no kustomization."""
    if FileAccess.of(here).inside(folder):
        return True
    in_kustomization = any(os.path.lexists(cwd / name) for name in KUSTOMIZATION_FILES)
    return not in_kustomization and os.path.isfile(folder / "Kptfile")


def file_access(config: object, cwd: Path, environ: Mapping[str, str]) -> FileAccess:
    """The run's root, decided once by the entry point: `MTC_POLICYGEN_ROOT`, else the repository holding the
    kustomization or Kptfile that lists the function (its nearest ancestor with `.git`, or its own folder)."""
    here = repository_of(cwd)
    folder = spec_root(config, cwd) if isinstance(config, dict) else cwd
    if folder != cwd and _is_kpt_package(folder, cwd, here):
        here = repository_of(folder)
    try:
        return FileAccess.decide(here, environ)
    except UnreadableFileError as exc:
        raise fail(str(exc), rule=exc.rule) from None


def read_config(config: object, cwd: Path, files: FileAccess) -> Config:
    """The pair named by a function config (inline spec, or a spec file), its structural problems, the cluster.

    Nothing outside `files` (the run's root) is read."""
    if not isinstance(config, dict):
        raise fail("the functionConfig must be a ClusterPair object")
    located = locate(config, cwd, files)
    where = located[1] if located is not None else COPY_LABEL
    annotations = annotations_of(config)
    cluster = _cluster_of(annotations, where)
    spec_file = annotations.get(SPEC_FILE_ANNOTATION)
    if isinstance(spec_file, str) and spec_file:
        pair, problems = _from_spec_file(config, cwd, files, spec_file, where)
        if pair is None and located is None and PACKAGE_PATH_ANNOTATION not in annotations:
            problems = _hint_old_kustomize(problems)
        return Config(pair, problems, cluster, where)
    if located is not None:
        return _from_located(located, cwd, files, cluster, where)
    # No file holds it: check the copy, without what the tool added, with positions in a dump of it.
    clean = _user_view(config)
    meta = clean.get("metadata") or {}
    clean["metadata"] = {k: v for k, v in meta.items() if k in ("name", "namespace", "labels", "annotations")}
    pair, problems = parse_spec(dump_document(clean), COPY_LABEL, cwd, files)
    return Config(pair, problems, cluster, where)


def _cluster_of(annotations: dict[str, Any], where: str) -> str:
    """The cluster the config names; a problem when it names none."""
    cluster = annotations.get(CLUSTER_ANNOTATION)
    if not isinstance(cluster, str) or not cluster:
        raise fail(
            f"the function config needs the annotation {CLUSTER_ANNOTATION}: <cluster name>",
            where=where,
            path=f"metadata.annotations.{CLUSTER_ANNOTATION}",
        )
    return cluster


def _from_spec_file(
    config: Obj, cwd: Path, files: FileAccess, spec_file: str, where: str
) -> tuple[ClusterPair | None, list[Problem]]:
    """The pair of the spec file the config names (and no inline spec beside it)."""
    if "spec" in config:
        raise fail(f"give the spec inline or with {SPEC_FILE_ANNOTATION}, not both", where=where, path="spec")
    field = f"metadata.annotations.{SPEC_FILE_ANNOTATION}"
    try:
        path = files.locate(spec_root(config, cwd), spec_file, "")
    except UnreadableFileError as exc:
        raise fail(str(exc), rule=exc.rule, where=where, path=field) from None
    return load_spec(path, _display(spec_root(config, cwd) / spec_file, cwd), files)


def _hint_old_kustomize(problems: list[Problem]) -> list[Problem]:
    """kustomize before v5.0 runs a KRM function in the folder of the last base it lists (issue #4347)."""
    hint = (
        f"{SPEC_FILE_ANNOTATION} is resolved from the folder of the kustomization that lists the function; "
        "kustomize before v5.0 runs it in the folder of the last base listed under `resources:` instead. "
        "There give the spec inline, or use the legacy exec plugin or kustomize v5"
    )
    return [replace(p, suggestion=hint) if p.rule == "unreadable-file" else p for p in problems]


def _from_located(located: tuple[yaml.Node, str], cwd: Path, files: FileAccess, cluster: str, where: str) -> Config:
    """The pair of the inline spec, read from the user's file that holds the config (with its positions)."""
    node, display = located
    try:
        source = source_of(node, display)
    except ProblemsError as exc:
        return Config(None, list(exc.problems), cluster, where)
    pair, problems = parse_source(source, (cwd / display).resolve().parent, files)
    return Config(pair, problems, cluster, where)
