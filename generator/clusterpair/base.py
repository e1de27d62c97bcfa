"""Read a cluster's kustomize `base` folder the way `kustomize build` would find its objects (spec §4.2).

Only what decides which objects exist, and under which name and namespace, is followed: the kustomization
(`kustomization.yaml`, `.yml` or `Kustomization`), its `resources`, `bases` and `components` (files, and
folders holding a kustomization, recursively), YAML streams and `...List` kinds, and the kustomization's
`namespace`, `namePrefix` and `nameSuffix`. What cannot be followed without running kustomize or fetching
something, and could produce or alter a MigrationController or an egress firewall (remote resources, helm
charts, `generators`/`transformers`/`validators` plugins and exec functions, files over the limits) is listed in
`unread`: a check over the objects is then partial, never a silent pass. `configMapGenerator` and
`secretGenerator` only ever make ConfigMaps and Secrets, so they leave the check complete; only the files they
name are checked to exist. What makes `kustomize build` itself fail (a missing file, YAML that does not parse, a
cycle) is listed in `errors`.

Reading is bounded like the spec loader: per-file size, a total size, a file count and a nesting depth, and
symlinked folders are followed once per path (a loop is an error).
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from generator.clusterpair.files import UnreadableFileError, check_regular, read_limited, repository_of
from generator.clusterpair.yamlparse import check_depth
from generator.clusterpair.yamlsource import MAX_BYTES, decode
from generator.problems import ProblemsError
from generator.records import record

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_FILES = 1000
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_NESTING = 20

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REMOTE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=|\.git(?:$|/|//)"
)
# Kustomization fields that may produce or rewrite any object through plugins or fetched content: not followed.
_GENERATORS = ("helmCharts", "helmChartInflationGenerator", "generators", "transformers", "validators")
# Built-in generators that make only ConfigMaps / Secrets: they cannot hide a MigrationController or a firewall.
_DATA_GENERATORS = ("configMapGenerator", "secretGenerator")
_PATCHES = ("patches", "patchesStrategicMerge", "patchesJson6902", "replacements")
# What a kustomization may use for its objects to be exactly its files' objects (the Argo CD plugin emits a base
# without kustomize): a plain list of files and folders. Anything else is kustomize's to apply.
_PLAIN_KEYS = frozenset({"apiVersion", "kind", "resources", "bases"})
_CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "SecurityContextConstraints",
    "StorageClass",
    "PersistentVolume",
    "PriorityClass",
}

Obj = dict[str, Any]


@record(frozen=False)
class BaseContents:
    """The objects of a base as kustomize would emit them (by identity; patches not applied)."""

    objects: list[Obj] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # why the objects may be incomplete
    errors: list[str] = field(default_factory=list)  # what makes `kustomize build` of the base fail
    patched: bool = False  # the base patches its objects: their content (not identity) may differ from files
    files: list[Path] = field(default_factory=list)  # every file read (kustomizations too), outside the base included
    data: dict[Path, bytes] = field(default_factory=dict)  # what was read of each (generate digests these bytes)
    # why `kustomize build` of the base would differ from its files' objects (empty: it would not)
    not_plain: list[str] = field(default_factory=list)


@record(frozen=False)
class _Reader:
    """One base folder being read: its root, the run's root, what was read so far and how much."""

    root: Path  # the base folder: files are named relative to it
    allowed: Path  # the run's root (real): nothing outside it is read
    contents: BaseContents = field(default_factory=BaseContents)
    files: int = 0
    total: int = 0
    folders: set[Path] = field(default_factory=set)  # kustomization folders read (real paths)

    def rel(self, path: Path) -> str:
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:
            return path.as_posix()

    def outside(self, path: Path) -> bool:
        """Whether `path` resolves outside the run's root; recorded as an error (kustomize would read it)."""
        real = Path(os.path.realpath(path))
        if real == self.allowed or real.is_relative_to(self.allowed):
            return False
        self.contents.errors.append(f"{self.rel(path)}: outside the root {self.allowed}, not read")
        return True

    def kustomization(self, folder: Path, stack: tuple[Path, ...]) -> list[Obj]:
        real = folder.resolve()
        file = self.kustomization_file(folder, real, stack)
        if file is None:
            return []
        data = self.kustomization_data(file)
        if data is None:
            return []
        self.plainness(folder, file, real, data)
        objects = self.listed_objects(folder, file, data, (*stack, real))
        self.generated(folder, file, data)
        if any(data.get(key) for key in _PATCHES):
            self.contents.patched = True
        return self.transform(objects, data)

    def kustomization_file(self, folder: Path, real: Path, stack: tuple[Path, ...]) -> Path | None:
        """The folder's kustomization file; None (and a reason recorded) when it is not to be read."""
        if self.outside(folder):
            return None
        if real in stack:
            self.contents.errors.append(f"{self.rel(folder)}: a kustomization cycle (a folder includes itself)")
            return None
        if len(stack) >= MAX_NESTING:
            self.contents.unread.append(f"{self.rel(folder)}: kustomizations nested deeper than {MAX_NESTING}")
            return None
        file = next((folder / n for n in KUSTOMIZATION_FILES if (folder / n).is_file()), None)
        if file is None:
            self.contents.errors.append(f"{self.rel(folder)}: no kustomization.yaml in this folder")
        return file

    def kustomization_data(self, file: Path) -> dict[str, Any] | None:
        """The kustomization's mapping; None (and a reason recorded) when unreadable or not a mapping."""
        docs = self.documents(file)
        if docs is None:
            return None
        data = next((d for d in docs if d is not None), {})
        if not isinstance(data, dict):
            self.contents.errors.append(f"{self.rel(file)}: a kustomization is a mapping")
            return None
        return data

    def listed_objects(self, folder: Path, file: Path, data: dict[str, Any], stack: tuple[Path, ...]) -> list[Obj]:
        """The objects of the `resources`, `bases` and `components` the kustomization lists, in order."""
        objects: list[Obj] = []
        for key in ("resources", "bases", "components"):
            entries = data.get(key) or []
            if not isinstance(entries, list):
                self.contents.errors.append(f"{self.rel(file)}: `{key}` must be a list")
                continue
            for entry in entries:
                objects += self.entry(folder, file, entry, stack)
        return objects

    def generated(self, folder: Path, file: Path, data: dict[str, Any]) -> None:
        """Generators are not read: recorded as unread; the files data generators name are checked."""
        for key in _GENERATORS:
            if data.get(key):
                self.contents.unread.append(f"{self.rel(file)}: `{key}` (generated objects are not read)")
        for key in _DATA_GENERATORS:
            self.generator_files(folder, file, key, data.get(key))

    def plainness(self, folder: Path, file: Path, real: Path, data: dict[str, Any]) -> None:
        """Records what makes the base more than a plain list of files (`not_plain`)."""
        if real in self.folders:
            self.contents.not_plain.append(f"{self.rel(folder)}: included twice")
            return
        self.folders.add(real)
        self.contents.not_plain += [f"{file.name} uses `{key}`" for key in sorted(set(data) - _PLAIN_KEYS)]

    def generator_files(self, folder: Path, file: Path, key: str, generators: object) -> None:
        """The `files`/`envs`/`env` a ConfigMap/Secret generator names must be files: `kustomize build` fails else."""
        if not isinstance(generators, list):
            return
        for generator in generators:
            if not isinstance(generator, dict):
                continue
            files, envs, env = generator.get("files"), generator.get("envs"), generator.get("env")
            paths = [e.partition("=")[2] or e for e in files if isinstance(e, str)] if isinstance(files, list) else []
            paths += [e for e in envs if isinstance(e, str)] if isinstance(envs, list) else []
            paths += [env] if isinstance(env, str) and env else []
            for path in paths:
                if not (folder / path).is_file():
                    self.contents.errors.append(f"{self.rel(file)}: `{key}` names {path}, which is not a file")

    def entry(self, folder: Path, file: Path, entry: object, stack: tuple[Path, ...]) -> list[Obj]:
        if not isinstance(entry, str) or not entry:
            self.contents.errors.append(f"{self.rel(file)}: a resource entry is a path")
            return []
        if _REMOTE.search(entry):
            self.contents.unread.append(f"{self.rel(file)}: remote resource {entry} (not fetched)")
            return []
        path = folder / entry
        if self.outside(path):
            return []
        if path.is_dir():
            return self.kustomization(path, stack)
        if not path.is_file():
            self.contents.errors.append(f"{self.rel(file)}: resource {entry} does not exist")
            return []
        docs = self.documents(path)
        return [] if docs is None else self.objects_of(docs)

    def documents(self, file: Path) -> list[object] | None:
        """The YAML documents of one file, within the limits; None (and a reason recorded) otherwise."""
        self.files += 1
        if self.files > MAX_FILES:
            if self.files == MAX_FILES + 1:
                self.contents.unread.append(f"more than {MAX_FILES} files (the rest is not read)")
            return None
        if self.outside(file):
            return None
        try:
            size = check_regular(file)
            if size > MAX_BYTES or self.total + size > MAX_TOTAL_BYTES:
                self.contents.unread.append(f"{self.rel(file)}: {size:,} bytes, over the size limit (not read)")
                return None
            raw = read_limited(file, MAX_BYTES)
        except UnreadableFileError as exc:
            self.contents.errors.append(f"{self.rel(file)}: cannot read ({exc})")
            return None
        self.total += len(raw)
        self.contents.files.append(Path(os.path.abspath(file)))
        self.contents.data[Path(os.path.abspath(file))] = raw
        try:
            text = decode(raw, self.rel(file))
            check_depth(text, self.rel(file))
            return list(yaml.load_all(text, Loader=_Loader))
        except ProblemsError as exc:
            self.contents.errors.append(f"{self.rel(file)}: {exc.problems[0].message}")
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            self.contents.errors.append(f"{self.rel(file)}{where}: invalid YAML ({exc.problem or 'syntax error'})")
        except (yaml.YAMLError, ValueError, TypeError, RecursionError):
            self.contents.errors.append(f"{self.rel(file)}: invalid YAML")
        return None

    def objects_of(self, docs: list[object]) -> list[Obj]:
        out: list[Obj] = []
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            kind = doc.get("kind")
            items = doc.get("items")
            if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
                out += [item for item in items if isinstance(item, dict)]
            else:
                out.append(doc)
        return out

    @staticmethod
    def transform(objects: list[Obj], data: dict[str, Any]) -> list[Obj]:
        """The kustomization's own `namespace`, `namePrefix`, `nameSuffix`, on copies of the metadata."""
        namespace, prefix, suffix = data.get("namespace"), data.get("namePrefix"), data.get("nameSuffix")
        if not any(isinstance(v, str) and v for v in (namespace, prefix, suffix)):
            return objects
        out = []
        for obj in objects:
            meta = dict(obj.get("metadata") or {}) if isinstance(obj.get("metadata"), dict) else {}
            if isinstance(namespace, str) and namespace and obj.get("kind") not in _CLUSTER_SCOPED:
                meta["namespace"] = namespace
            if isinstance(meta.get("name"), str) and obj.get("kind") not in ("Namespace", "CustomResourceDefinition"):
                meta["name"] = f"{prefix if isinstance(prefix, str) else ''}{meta['name']}" + (
                    suffix if isinstance(suffix, str) else ""
                )
            out.append({**obj, "metadata": meta})
        return out


def read_base(folder: Path, root: Path | None = None) -> BaseContents:
    """Read a base folder, nothing outside `root` (the run's); never raises for bad content (it is recorded in
    `errors` or `unread`). Without `root`, the folder's repository."""
    reader = _Reader(folder, Path(os.path.realpath(root if root is not None else repository_of(folder))))
    try:
        reader.contents.objects = reader.kustomization(folder, ())
    except RecursionError:  # a pathological tree beyond the nesting limit's protection
        reader.contents.errors.append("the base nests too deeply to read")
    return reader.contents
