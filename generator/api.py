"""What every entry point shares: find and load specs, the secret policy, render one cluster, lay out overlays.

The command line, the KRM function and the coming Argo CD entry are thin adapters over these calls, so two
entry points cannot disagree on which files are specs, when a secret may be written, or where a file goes.
Like the rest of the library this module never prints and never exits: problems are returned, or raised as
`ProblemsError`; progress goes to a callback the caller may give.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from generator import __version__
from generator.mtc.install import spec_inputs
from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair, resolve
from generator.mtc.rules import validate
from generator.problems import Problem, ProblemsError, Severity
from generator.render.install.plan import RenderSecrets
from generator.render.plan import ClusterRender, render_cluster
from generator.secrets import install_secrets, password_for, read_password, render_time_credentials
from generator.spec.load import load_spec
from generator.spec.model import Cluster, ClusterPair

if TYPE_CHECKING:  # the writer (with ctypes, shutil) is imported where overlays are planned, not on the KRM path
    from generator.overlay import writer

# Where a spec needs the proxy password, this is the way that never writes it to git. One constant, so a new
# runtime (the Argo CD plugin) is added to every message at once.
SECRET_AT_APPLY_TIME = "render it at apply time: `mtc-policygen render`, the KRM function, the Argo CD plugin"  # noqa: S105

SPEC_MARKER = "mtc-policygen.io/"
# A KRM function config that names its spec file holds no spec itself (docs/kustomize-krm.md).
SPEC_FILE_ANNOTATION = "mtc-policygen.io/spec-file"
# The apiVersion naming our API, in block, flow or JSON style: our annotations (`mtc-policygen.io/pair` on the
# generated NetworkPolicies) name the group too, and must not make an overlay file look like a spec.
_SPEC_API = re.compile(r"""apiVersion["']?[ \t]*:[ \t]*["']?mtc-policygen\.io/""")
_HEAD_BYTES = 65536  # bounded: a huge file is refused by the loader, not read here
_SPEC_SUFFIXES = (".yaml", ".yml")

Progress = Callable[[str, int, int], None]  # (what, done, total): lets a terminal show how far a long run is


def _no_progress(what: str, done: int, total: int) -> None:
    return None


# --- finding and loading specs ----------------------------------------------------------------------------


def looks_like_spec(path: Path) -> bool:
    """Whether a YAML file is a ClusterPair spec, by its text: it names the mtc-policygen.io API and is not a
    KRM function config that points at a spec file. An unreadable file counts: the loader says why."""
    try:
        with path.open(encoding="utf-8", errors="replace") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError:
        return True
    return _SPEC_API.search(head) is not None and SPEC_FILE_ANNOTATION not in head


@dataclass
class SpecFiles:
    files: list[Path] = field(default_factory=list)  # in the order given, each spec once
    skipped: list[Path] = field(default_factory=list)  # files given that are not specs (`specs_only`)
    problems: list[Problem] = field(default_factory=list)


def _folder_specs(folder: Path) -> list[Path]:
    """The ClusterPair specs directly inside a folder (not its sub-folders), by name."""
    with os.scandir(folder) as entries:
        names = sorted(
            e.name for e in entries if e.name.endswith(_SPEC_SUFFIXES) and not e.name.startswith(".") and e.is_file()
        )
    return [folder / name for name in names if looks_like_spec(folder / name)]


def find_specs(inputs: Iterable[str], *, specs_only: bool = False) -> SpecFiles:
    """Spec files, and the specs directly inside given folders; a file named twice (or also found in a
    folder given) is one spec. With `specs_only`, files given that are not specs are skipped, not errors."""
    found = SpecFiles()
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.files.append(path)

    for raw in inputs:
        path = Path(raw)
        if not raw:
            found.problems.append(_file_problem("''", "unreadable-file", "an empty path names no spec"))
        elif path.is_dir():
            try:
                specs = _folder_specs(path)
            except OSError as exc:
                found.problems.append(_file_problem(raw, "unreadable-file", f"cannot list: {exc.strerror or exc}"))
                continue
            if not specs:
                found.problems.append(
                    _file_problem(
                        raw, "no-specs", f"no ClusterPair spec (*.yaml with apiVersion {SPEC_MARKER}...) in this folder"
                    )
                )
            for spec in specs:
                add(spec)
        elif specs_only and path.is_file() and not looks_like_spec(path):
            found.skipped.append(path)
        else:
            add(path)
    return found


def _file_problem(file: str, rule: str, message: str) -> Problem:
    return Problem(file, 0, 0, "", Severity.ERROR, rule, message)


@dataclass
class Loaded:
    pairs: list[ClusterPair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    resolved: list[ResolvedPair] = field(default_factory=list)  # one per pair, decided once (bases read once)


def load_specs(
    inputs: Iterable[str],
    env: Environment,
    *,
    unique_names: bool = False,
    specs_only: bool = False,
    progress: Progress = _no_progress,
) -> Loaded:
    """Find, load and check specs. `unique_names` (generate) refuses two specs writing the same <out>/<pair>/."""
    found = find_specs(inputs, specs_only=specs_only)
    loaded = Loaded(problems=list(found.problems), skipped=found.skipped)
    names: dict[str, str] = {}
    for index, file in enumerate(found.files):
        progress("checking specs", index, len(found.files))
        pair, problems = load_spec(file)
        loaded.problems += problems
        if pair is None:
            continue
        resolved = resolve(pair, env)
        loaded.problems += validate(pair, env, resolved)
        if unique_names and pair.name in names:
            loaded.problems.append(
                pair.source_doc.problem(
                    ("metadata", "name"),
                    "duplicate-pair",
                    f"pair {pair.name!r} is also defined in {names[pair.name]}",
                    suggestion="give each ClusterPair its own name",
                )
            )
        names.setdefault(pair.name, str(file))
        loaded.pairs.append(pair)
        loaded.resolved.append(resolved)
    progress("checking specs", len(found.files), len(found.files))
    return loaded


# --- secrets and clusters ---------------------------------------------------------------------------------


def needs_secrets(pair: ClusterPair) -> bool:
    """The pair's output holds a credential read at render time: the proxy password or a spec §8 one."""
    return bool(render_time_credentials(pair))


def secret_in_output(pairs: Iterable[ClusterPair]) -> list[Problem]:
    """Spec §7/§8: files meant for git never hold a credential; one error per credential a spec reads."""
    return [
        pair.source_doc.problem(
            path,
            "secret-in-output",
            f"{what} would be written into overlays that are committed to git; generate refuses it",
            suggestion=f"{SECRET_AT_APPLY_TIME} (spec §8 fields also take secretRef), "
            "or pass --allow-secrets-in-output",
        )
        for pair in pairs
        for path, what in render_time_credentials(pair)
    ]


def cluster_of(pair: ClusterPair, name: str, where: str, option: str) -> Cluster:
    """The cluster `name` of the pair; `option` says where the name came from (`--cluster`, an annotation)."""
    for cluster in pair.clusters:
        if cluster.name == name:
            return cluster
    names = ", ".join(c.name for c in pair.clusters)
    raise ProblemsError(
        [
            Problem(
                where,
                0,
                0,
                "",
                Severity.ERROR,
                "unknown-cluster",
                f"{option} {name!r} is not a cluster of pair {pair.name!r}",
                f"one of: {names}",
            )
        ]
    )


def render_one(
    pair: ClusterPair, cluster: Cluster, env: Environment, resolved: ResolvedPair | None = None
) -> ClusterRender:
    """Only the cluster asked for; its credentials are read now, when that cluster carries them."""
    password, secrets = password_for(pair, cluster.name), install_secrets(pair, cluster.name)
    return render_cluster(pair, cluster, env, password, resolved, secrets=secrets)


# --- generate: where each file goes -----------------------------------------------------------------------


def repository_root(start: Path) -> Path | None:
    """The git work tree holding `start` (a `.git` folder, or the `.git` file of a worktree or submodule)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _posix_relpath(path: Path, start: Path) -> str:
    return PurePosixPath(Path(os.path.relpath(path, start))).as_posix()


@dataclass(frozen=True)
class Header:
    """What each generated file's header says: the spec, and how to write the file again.

    Paths are relative to the spec's git repository root (or, outside git, to the current folder), so they
    read the same whichever folder the user ran `generate` from, and the command runs as shown from there.
    The command names this spec alone: it rewrites exactly this pair's files, however the spec was found.
    """

    spec: str
    command: str
    in_repository: bool

    @property
    def regenerate(self) -> str:
        """The header's "Regenerate ..." line after its first word."""
        return f"{'from the repository root ' if self.in_repository else ''}with: {self.command}"

    @classmethod
    def of(cls, spec_file: Path, out_dir: Path, *, allow_secrets: bool = False) -> Header:
        spec_abs, out_abs = Path(os.path.abspath(spec_file)), Path(os.path.abspath(out_dir))
        root = repository_root(spec_abs.parent)
        anchor = root or Path.cwd()
        spec = _posix_relpath(spec_abs, anchor)
        argv = ["mtc-policygen", "generate", spec, "-o", _posix_relpath(out_abs, anchor)]
        if allow_secrets:
            argv.append("--allow-secrets-in-output")
        return cls(spec, shlex.join(argv), root is not None)


def output_dir_problem(raw: str) -> str | None:
    """Why `raw` cannot be the overlays folder (a usage error), or None."""
    if not raw.strip():
        return "the overlays folder is empty; name a folder, e.g. -o overlays"
    path = Path(raw)
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            what = "is" if folder == path else f"is inside {folder}, which is"
            return f"{raw} {what} not a folder; -o names the folder that holds the overlays"
    return None


@functools.cache
def tool_fingerprint() -> str:
    """This build of the tool: its version and a digest of its code and templates.

    A changed renderer or template must never be skipped as "unchanged" just because the version string is
    the same (a development build); the digest catches that.
    """
    from importlib import resources  # noqa: PLC0415 - only `generate` needs it, not the KRM function

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    code = sorted(package.rglob("*.py"))
    templates = resources.files("generator.templates")
    for path in code:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for entry in sorted(templates.iterdir(), key=lambda t: t.name):
        if entry.name.endswith(".j2"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _feed(digest: hashlib._Hash, *parts: bytes | str) -> None:
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(f"{len(data)}:".encode() + data)


def _bytes_or_marker(path: Path) -> bytes | str:
    try:
        return path.read_bytes()
    except OSError:
        return "unreadable"


def input_digest(
    pair: ClusterPair,
    spec_file: Path,
    header: Header,
    out_dir: Path,
    env: Environment,
    *,
    resolved: ResolvedPair | None = None,
) -> str:
    """A digest of everything a pair's files are made from, besides the tool (recorded beside it).

    The spec's bytes, the header, where the overlays lie relative to the spec (base paths in kustomizations
    depend on it), the runtime environment, the files the spec names whose contents reach the output (CA
    bundles, the mirror mapping), and every file each cluster's `base` was read from, inside or outside it.
    """
    digest = hashlib.sha256()
    _feed(digest, spec_file.read_bytes(), header.spec, header.regenerate, repr(env))
    _feed(digest, _posix_relpath(Path(os.path.abspath(out_dir)), pair.spec_dir))
    for extra in spec_inputs(pair):  # spec §8: a mirror mapping and CA bundles shape the output too
        _feed(digest, "input", extra, _bytes_or_marker(Path(pair.spec_dir, extra)))
    resolved = resolved if resolved is not None else resolve(pair, env)
    _feed(digest, "openings", "closed" if resolved.openings.closed else "open")  # a deadline passing re-renders
    for cluster in resolved.clusters:
        if cluster.spec.base is None:
            continue
        # Every file the base reader read, inside the base folder or outside it (`../common`), in read order.
        _feed(digest, "base", cluster.name, cluster.spec.base, *cluster.base_errors)
        for path in cluster.base_files:  # named relative to the spec: the digest must not depend on the checkout
            _feed(digest, _posix_relpath(path, pair.spec_dir), _bytes_or_marker(path))
    return digest.hexdigest()


def pair_files(
    pair: ClusterPair,
    header: Header,
    out_dir: Path,
    env: Environment,
    password: str | None,
    *,
    resolved: ResolvedPair | None = None,
    secrets: RenderSecrets | None = None,
) -> dict[str, str]:
    """Every file of one pair, `<pair>/<cluster>/<file>` relative to the overlays folder."""
    from generator.overlay.files import cluster_files  # noqa: PLC0415 - Jinja2 only when files are written

    files: dict[str, str] = {}
    resolved = resolved if resolved is not None else resolve(pair, env)
    for cluster in pair.clusters:
        render = render_cluster(pair, cluster, env, password, resolved, secrets=secrets)
        overlay_dir = out_dir / pair.name / cluster.name
        texts = cluster_files(render, header.spec, pair.spec_dir, overlay_dir, header.regenerate)
        for name, text in texts.items():
            files[f"{pair.name}/{cluster.name}/{name}"] = text
    return files


@dataclass
class GenerateRun:
    """What `generate` would do: the writer's plan, and how many pairs had to be rendered."""

    plan: writer.Plan
    pairs: int
    rendered: int

    @property
    def changes(self) -> list[writer.PairChanges]:
        return self.plan.by_pair()

    def apply(self) -> None:
        from generator.overlay import writer  # noqa: PLC0415 - see the TYPE_CHECKING import

        writer.apply(self.plan)


def plan_generate(
    pairs: Sequence[ClusterPair],
    out_dir: Path,
    env: Environment,
    *,
    allow_secrets: bool = False,
    resolved: Sequence[ResolvedPair] = (),
    progress: Progress = _no_progress,
) -> GenerateRun:
    """Plan the overlays of validated pairs; raises `ProblemsError` (a missing password, a file in the way).

    A pair whose input digest and tool match the manifest, and whose recorded files are intact on disk, is
    not rendered again; `resolved`, parallel to `pairs`, saves resolving a pair twice. A pair that writes the
    proxy password is always rendered: its digest would depend on the password, and no trace of it may be
    recorded.
    """
    from generator.overlay import writer  # noqa: PLC0415 - see the TYPE_CHECKING import

    refused = [] if allow_secrets else secret_in_output(pairs)  # the library keeps the policy, whoever calls it
    if refused:
        raise ProblemsError(refused)
    manifest = writer.load_manifest(out_dir)
    recorded, recorded_tool = manifest
    tool = tool_fingerprint()
    inspector = writer.Inspector(out_dir)
    anchor = Path(os.path.abspath(out_dir)).parent
    planned: list[writer.PairFiles] = []
    rendered = 0
    for index, pair in enumerate(pairs):
        progress("rendering pairs", index, len(pairs))
        spec_file = Path(pair.source_doc.file)
        header = Header.of(spec_file, out_dir, allow_secrets=allow_secrets)
        spec = _posix_relpath(Path(os.path.abspath(spec_file)), anchor)
        secret = allow_secrets and needs_secrets(pair)
        known = resolved[index] if index < len(resolved) else None
        digest = "" if secret else input_digest(pair, spec_file, header, out_dir, env, resolved=known)
        entry = recorded.get(pair.name)
        if (
            digest
            and recorded_tool == tool
            and entry is not None
            and entry.get("digest") == digest
            and entry.get("spec") == spec
            and inspector.intact(entry)
        ):
            planned.append(writer.PairFiles(pair.name, spec, None, digest))
            continue
        password = read_password(pair) if secret else None
        secrets = install_secrets(pair, pair.cluster(pair.control_cluster).name) if secret else None
        files = pair_files(pair, header, out_dir, env, password, resolved=known, secrets=secrets)
        planned.append(writer.PairFiles(pair.name, spec, files, digest))
        rendered += 1
    progress("rendering pairs", len(pairs), len(pairs))
    return GenerateRun(writer.plan(out_dir, planned, tool, manifest), len(pairs), rendered)
