"""What `generate` writes and whether it must: the overlay layout, file headers, input digests, the skip of
unchanged pairs, the plan and its diff.

Split from `generator.api` (finding and loading specs, the secret policy), which it builds on. Like the rest of
the library it never prints and never exits.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.api import Progress, _no_progress, needs_secrets, secret_in_output
from generator.clusterpair.files import UnreadableFileError
from generator.overlay.paths import posix_relpath
from generator.problems import Problem, ProblemsError
from generator.records import record

# Types only: the writer (with ctypes, shutil) is imported where overlays are planned, not on the KRM path; the
# checking and rendering stack where a pair is checked or rendered, not on a no-op run.
if TYPE_CHECKING:
    from generator.clusterpair.model import ClusterPair
    from generator.mtc.network import Environment
    from generator.mtc.resolve import ResolvedPair
    from generator.overlay import cache, writer

# --- generate: where each file goes -----------------------------------------------------------------------


def repository_root(start: Path) -> Path | None:
    """The git work tree holding `start` (a `.git` folder, or the `.git` file of a worktree or submodule)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


@record
class Header:
    """What each generated file's header says: the spec, and how to write the file again.

    Paths are relative to the spec's git repository root (or, outside git, to the output folder), so they
    read the same whichever folder the user ran `generate` from, and the command runs as shown from there.
    The command names this spec alone: it rewrites exactly this pair's files, however the spec was found.
    """

    spec: str
    command: str
    in_repository: bool

    @property
    def regenerate(self) -> str:
        """The header's "Regenerate ..." line after its first word."""
        return f"from the {'repository root' if self.in_repository else 'output folder'} with: {self.command}"

    @classmethod
    def of(
        cls,
        spec_file: Path,
        out_dir: Path,
        *,
        allow_secrets: bool = False,
        roots: dict[Path, Path | None] | None = None,
    ) -> Header:
        """`roots`: repository roots by folder, when the caller asks for many specs of few folders."""
        spec_abs, out_abs = Path(os.path.abspath(spec_file)), Path(os.path.abspath(out_dir))
        roots = roots if roots is not None else {}
        if spec_abs.parent not in roots:
            roots[spec_abs.parent] = repository_root(spec_abs.parent)
        root = roots[spec_abs.parent]
        anchor = root or out_abs
        spec = posix_relpath(spec_abs, anchor)
        argv = ["mtc-policygen", "generate", spec, "-o", posix_relpath(out_abs, anchor)]
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
    the same (a development build); the digest catches that. It reads only what a checkout, an editable and a
    wheel install of one commit all hold the same: the package's `*.py` files and the `*.j2` templates (a wheel
    ships templates/ inside the package; it must not count twice, nor change the code list).
    """
    import hashlib  # noqa: PLC0415 - only `generate` digests; OpenSSL's start-up is not render's

    from generator.overlay import templates  # noqa: PLC0415 - only `generate` needs it, not the KRM function

    digest = hashlib.sha256()
    package = templates.PACKAGE
    shipped = package / templates.FOLDER
    code = sorted(p for p in package.rglob("*.py") if shipped not in p.parents)
    for path in code:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in templates.names():
        digest.update(name.encode() + b"\0" + (templates.folder() / name).read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _digest_head(
    spec_bytes: bytes, spec_dir: Path, header: Header, out_dir: Path, env: Environment | str
) -> list[bytes | str]:
    """The first record of a pair's input digest: what is known before the spec is parsed (`env` may be
    given as its repr, made once for many specs)."""
    return [
        spec_bytes,
        header.spec,
        header.regenerate,
        env if isinstance(env, str) else repr(env),
        posix_relpath(Path(os.path.abspath(out_dir)), spec_dir),
    ]


def input_recipe(pair: ClusterPair, resolved: ResolvedPair) -> cache.Recipe:
    """The rest of the input digest: the files the spec names whose contents reach the output (CA bundles, the
    mirror mapping), and every file each cluster's `base` was read from, inside or outside it."""
    # open or closed (spec §9): a deadline passing re-renders the pair
    from generator.mtc.install import spec_inputs  # noqa: PLC0415 - see the TYPE_CHECKING import

    recipe: cache.Recipe = [["openings", "closed" if resolved.openings.closed else "open"]]
    for extra in spec_inputs(pair):  # spec §8: a mirror mapping and CA bundles shape the output too
        try:
            located: Path | str = pair.locate(extra, "input")
        except UnreadableFileError:
            located = "unreadable"  # outside the root: refused by the rules, never read here
        recipe.append(["input", extra, located])
    for cluster in resolved.clusters:
        if cluster.spec.base is None:
            continue
        # Every file the base reader read, inside the base folder or outside it (`../common`), in read order.
        recipe.append(["base", cluster.name, cluster.spec.base, *cluster.base_errors])
        for path in cluster.base_files:  # named relative to the spec: the digest must not depend on the checkout
            recipe.append([posix_relpath(path, pair.spec_dir), path])
    return recipe


def input_digest(
    pair: ClusterPair,
    spec_file: Path,
    header: Header,
    out_dir: Path,
    env: Environment,
    *,
    resolved: ResolvedPair,
) -> str:
    """A digest of everything a pair's files are made from, besides the tool (recorded beside it).

    The spec's bytes as parsed, the header, where the overlays lie relative to the spec (base paths in
    kustomizations depend on it), the runtime environment, then `input_recipe`.
    """
    from generator.overlay import cache  # noqa: PLC0415 - only generate digests

    # the bytes that were parsed (a second read could see an edit made since, and record it as rendered)
    spec_bytes = pair.source_doc.raw if pair.source_doc.raw is not None else spec_file.read_bytes()
    head = _digest_head(spec_bytes, pair.spec_dir, header, out_dir, env)
    return cache.digest_of(head, input_recipe(pair, resolved), _read_by_resolve(pair, resolved))


def _read_by_resolve(pair: ClusterPair, resolved: ResolvedPair) -> dict[Path, bytes | None]:
    """Every input as resolve read it, bases and named files: the same bytes the rules checked and the
    renderers used, so a file edited while the run goes on is never recorded as rendered."""
    out: dict[Path, bytes | None] = {}
    for cluster in resolved.clusters:
        out.update(cluster.base_read)
    for name, data in resolved.files.read.items():
        try:
            out[pair.locate(name, "input")] = data
        except UnreadableFileError:
            continue  # never read: the recipe says "unreadable"
    return out


def pair_files(resolved: ResolvedPair, header: Header, out_dir: Path, *, credentials: bool) -> dict[str, str]:
    """Every file of one pair, `<pair>/<cluster>/<file>` relative to the overlays folder; with `credentials`
    (--allow-secrets-in-output), those each cluster carries are read and written (`pipeline.render`)."""
    from generator import pipeline  # noqa: PLC0415 - see the TYPE_CHECKING import
    from generator.overlay.files import cluster_files  # noqa: PLC0415 - Jinja2 only when files are written

    pair = resolved.spec
    files: dict[str, str] = {}
    for cluster in pair.clusters:
        render = pipeline.render(resolved, cluster, credentials=credentials)
        overlay_dir = out_dir / pair.name / cluster.name
        texts = cluster_files(render, header.spec, pair.spec_dir, overlay_dir, header.regenerate)
        for name, text in texts.items():
            files[f"{pair.name}/{cluster.name}/{name}"] = text
    return files


def _holds_secret(rel: str, text: str) -> bool:
    """Files of a pair rendered with secrets that carry one: the install Secrets and the proxy URL's password."""
    return rel.endswith("/mtc-secrets.yaml") or "stunnel_tcp_proxy: " in text


class SkipUnchanged:
    """`generate`'s cache of unchanged specs (generator/overlay/cache.py) for one overlays folder."""

    def __init__(self, out_dir: Path, env: Environment, *, allow_secrets: bool = False) -> None:
        from generator.overlay import cache, writer  # noqa: PLC0415 - see the TYPE_CHECKING import

        self.out_dir, self.env, self.allow_secrets = out_dir, env, allow_secrets
        self.cache = cache.GenerateCache(out_dir, tool_fingerprint())
        # read once per run: the plan starts from the same manifest (None: unreadable, the plan reports it)
        self.loaded: tuple[dict[str, dict[str, object]], str] | None = None
        with contextlib.suppress(ProblemsError):
            self.loaded = writer.load_manifest(out_dir)
        self.manifest, self.manifest_tool = self.loaded or ({}, "")
        self._problems: dict[Path, list[Problem]] = {}
        self._roots: dict[Path, Path | None] = {}
        self._anchor = Path(os.path.abspath(out_dir)).parent  # specs are named relative to it in the manifest
        self._env_text = repr(env)
        self._real: dict[Path, Path] = {}  # real folders by folder: many specs share few

    def lookup(self, file: Path) -> cache.Hit | None:
        if self.manifest_tool != self.cache.tool:
            return None
        header = Header.of(file, self.out_dir, allow_secrets=self.allow_secrets, roots=self._roots)
        spec_dir = self._spec_dir(file)
        spec = posix_relpath(file, self._anchor)

        def head(spec_bytes: bytes) -> list[bytes | str]:
            return _digest_head(spec_bytes, spec_dir, header, self.out_dir, self._env_text)

        return self.cache.lookup(file, head, self.manifest, spec)

    def _spec_dir(self, file: Path) -> Path:
        """`file.resolve().parent`, resolving each folder once: a file that is not a link lies in its folder."""
        if os.path.islink(file):
            return file.resolve().parent
        if file.parent not in self._real:
            self._real[file.parent] = file.parent.resolve()
        return self._real[file.parent]

    def checked(self, file: Path, problems: Sequence[Problem]) -> None:
        """A spec parsed and validated in this run; recorded once planned, when it has no error."""
        self._problems[file] = list(problems)

    def planned(self, pair: ClusterPair, digest: str, resolved: ResolvedPair) -> None:
        file = Path(pair.source_doc.file)
        problems = self._problems.get(file)
        # a base that could not be read whole may name a file that appears later: always checked again
        unreadable_base = any(c.base_errors for c in resolved.clusters)
        # a deadline passes without any input changing: such a pair is checked on every run
        deadline = resolved.openings.closes_at is not None
        if problems is None or any(p.is_error for p in problems) or unreadable_base or deadline:
            return
        if digest:
            self.cache.record(file, pair.name, digest, input_recipe(pair, resolved), problems)


@record(frozen=False)
class GenerateRun:
    """What `generate` would do: the writer's plan, and how many pairs had to be rendered."""

    plan: writer.Plan
    pairs: int
    rendered: int
    skip: SkipUnchanged | None = None

    @property
    def changes(self) -> list[writer.PairChanges]:
        return self.plan.by_pair()

    def apply(self) -> None:
        from generator.overlay import writer  # noqa: PLC0415 - see the TYPE_CHECKING import

        writer.apply(self.plan)
        if self.skip is not None:
            self.skip.cache.save(self.plan.new_manifest)


def _disk_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def stale_diff(run: GenerateRun, max_lines: int) -> tuple[str, int]:
    """A unified diff of the stale files (on disk -> what `generate` writes) in path order, cut after the last
    whole file that fits in `max_lines` lines (the first file is cut to fit), and how many files it leaves out."""
    import difflib  # noqa: PLC0415 - only --check --diff shows a diff

    plan = run.plan
    paths = sorted({*plan.added, *plan.modified, *plan.removed})
    shown: list[str] = []
    for index, rel in enumerate(paths):
        old = "" if rel in plan.added else _disk_text(plan.out_dir / rel)
        new = "" if rel in plan.removed else plan.contents.get(rel, "")
        shown_path = (plan.out_dir / rel).as_posix()  # as the user named the output folder
        before = "/dev/null" if rel in plan.added else f"a/{shown_path}"
        after = "/dev/null" if rel in plan.removed else f"b/{shown_path}"
        diff = [
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in difflib.unified_diff(old.splitlines(True), new.splitlines(True), before, after)
        ]
        if len(shown) + len(diff) > max_lines:
            if not shown:
                return "".join(diff[:max_lines]), len(paths) - 1
            return "".join(shown), len(paths) - index
        shown += diff
    return "".join(shown), 0


def _still_written(
    entry: dict[str, object] | None, digest: str, spec: str, same_tool: bool, inspector: writer.Inspector
) -> bool:
    """The manifest records the pair with these inputs by this tool, and its recorded files are intact on disk."""
    return bool(
        digest
        and same_tool
        and entry is not None
        and entry.get("digest") == digest
        and entry.get("spec") == spec
        and inspector.intact(entry)
    )


def _private_files(files: dict[str, str]) -> frozenset[str]:
    """The files that hold a secret: written but never recorded."""
    return frozenset(rel for rel, text in files.items() if _holds_secret(rel, text))


def plan_generate(
    checked: Sequence[ResolvedPair],
    out_dir: Path,
    env: Environment,
    *,
    allow_secrets: bool = False,
    progress: Progress = _no_progress,
    skip: SkipUnchanged | None = None,
    unchanged: Sequence[cache.Hit] = (),
) -> GenerateRun:
    """Plan the overlays of validated pairs; raises `ProblemsError` (a missing password, a file in the way).

    A pair whose input digest and tool match the manifest, and whose recorded files are intact on disk, is
    not rendered again; `checked` are the pairs as `load_specs` resolved them (never resolved again). A pair
    that writes the proxy password is always rendered: its digest would depend on the password, and no trace of
    it may be recorded.
    """
    from generator.overlay import writer  # noqa: PLC0415 - see the TYPE_CHECKING import

    pairs = [r.spec for r in checked]
    refused = [] if allow_secrets else secret_in_output(pairs)  # the library keeps the policy, whoever calls it
    if refused:
        raise ProblemsError(refused)
    manifest = skip.loaded if skip is not None and skip.loaded is not None else writer.load_manifest(out_dir)
    recorded, recorded_tool = manifest
    tool = tool_fingerprint()
    inspector = writer.Inspector(out_dir)
    anchor = Path(os.path.abspath(out_dir)).parent
    # specs `load_specs` did not parse: their inputs, tool and files are as the manifest records them
    planned = [
        writer.PairFiles(hit.pair, hit.spec or posix_relpath(Path(os.path.abspath(hit.file)), anchor), None, hit.digest)
        for hit in unchanged
    ]
    rendered = 0
    for index, pair in enumerate(pairs):
        progress("rendering pairs", index, len(pairs))
        spec_file = Path(pair.source_doc.file)
        header = Header.of(spec_file, out_dir, allow_secrets=allow_secrets)
        spec = posix_relpath(Path(os.path.abspath(spec_file)), anchor)
        secret = allow_secrets and needs_secrets(pair)
        known = checked[index]
        digest = "" if secret else input_digest(pair, spec_file, header, out_dir, env, resolved=known)
        if skip is not None:
            skip.planned(pair, digest, known)
        if _still_written(recorded.get(pair.name), digest, spec, recorded_tool == tool, inspector):
            planned.append(writer.PairFiles(pair.name, spec, None, digest))
            continue
        files = pair_files(known, header, out_dir, credentials=secret)
        private = _private_files(files) if secret else frozenset()
        planned.append(writer.PairFiles(pair.name, spec, files, digest, private))
        rendered += 1
    progress("rendering pairs", len(pairs), len(pairs))
    total = len(pairs) + len(unchanged)
    return GenerateRun(writer.plan(out_dir, planned, tool, manifest), total, rendered, skip)
