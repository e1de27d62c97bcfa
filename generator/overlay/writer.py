"""Write generated overlays atomically, remove only our own stale files, and tell whether overlays are stale.

Ownership is recorded in `<out>/.mtc-policygen-manifest.json`: the files each pair's last run wrote. A run
builds every changed pair folder complete in a staging folder inside `<out>` (carrying over files that are not
ours), then swaps each folder in with one atomic exchange and replaces the manifest last. Killed at any point,
each pair folder is wholly old or wholly new; a file at a path we would write is adopted only when it already
holds exactly what we would write, so a rerun after a crash completes cleanly.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.problems import Problem, ProblemsError, Severity

MANIFEST = ".mtc-policygen-manifest.json"
STAGING = ".mtc-policygen-staging"
_MANIFEST_KIND = "mtc-policygen-manifest"


@dataclass(frozen=True)
class PairFiles:
    """What one ClusterPair produces: files relative to the output folder (`<pair>/<cluster>/<file>`).

    `files` is None for a pair whose inputs have not changed since the last run (same `digest`) and whose
    files on disk are intact (`intact`): it is not rendered again, and the plan keeps its recorded entry.
    """

    pair: str
    spec: str  # the spec relative to the output folder's parent: the manifest's anchor, whatever the cwd
    files: dict[str, str] | None
    digest: str = ""  # the inputs' digest (spec, tool, base, header), recorded in the manifest


@dataclass(frozen=True)
class PairChanges:
    """What a run changes in one pair's files (paths relative to the output folder)."""

    pair: str
    added: tuple[str, ...]
    modified: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass
class Plan:
    out_dir: Path
    manifest: dict[str, dict[str, object]]
    new_manifest: dict[str, dict[str, object]]
    generator: str = ""  # the tool that wrote the manifest last (version and a digest of its code)
    new_generator: str = ""
    changed_pairs: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    contents: dict[str, str] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        """Files differ from what this run produces, or the manifest records other files or specs.

        Input digests are left out: another tool build that writes the same files does not make overlays stale.
        """
        if self.added or self.modified or self.removed:
            return True
        return _without_digests(self.manifest) != _without_digests(self.new_manifest)

    @property
    def outdated(self) -> bool:
        """Anything to write, the manifest's input digests included (so that the next run can skip)."""
        return self.stale or self.manifest != self.new_manifest or self.generator != self.new_generator

    def by_pair(self) -> list[PairChanges]:
        """The changed files grouped by pair, pairs sorted; pairs without a changed file are left out."""
        groups: dict[str, tuple[list[str], list[str], list[str]]] = {}
        for index, paths in enumerate((self.added, self.modified, self.removed)):
            for path in paths:
                groups.setdefault(path.split("/", 1)[0], ([], [], []))[index].append(path)
        return [
            PairChanges(pair, tuple(sorted(a)), tuple(sorted(m)), tuple(sorted(r)))
            for pair, (a, m, r) in sorted(groups.items())
        ]


def _without_digests(pairs: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {pair: {k: v for k, v in entry.items() if k != "digest"} for pair, entry in pairs.items()}


def digest_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _problem(out_dir: Path, rule: str, message: str, suggestion: str = "") -> ProblemsError:
    return ProblemsError([Problem(str(out_dir), 0, 0, "", Severity.ERROR, rule, message, suggestion)])


def _reason(exc: OSError) -> str:
    reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return f"{reason} ({exc.filename})" if exc.filename else reason


def _os_error(out_dir: Path, action: str, exc: OSError) -> ProblemsError:
    return _problem(out_dir, "write-failed", f"{action}: {_reason(exc)}; the previous overlays are unchanged")


def load_manifest(out_dir: Path) -> tuple[dict[str, dict[str, object]], str]:
    """The recorded pairs and the tool that recorded them ("" when unknown)."""
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except (OSError, ValueError) as exc:
        raise _problem(
            out_dir,
            "manifest",
            f"cannot read {MANIFEST}: {exc}",
            "restore it from git, or remove it if no generated files remain",
        ) from None
    if not isinstance(data, dict) or data.get("kind") != _MANIFEST_KIND or not isinstance(data.get("pairs"), dict):
        raise _problem(out_dir, "manifest", f"{MANIFEST} is not an mtc-policygen manifest")
    generator = data.get("generator")
    return data["pairs"], generator if isinstance(generator, str) else ""


def _manifest_text(pairs: dict[str, dict[str, object]], generator: str) -> str:
    data: dict[str, object] = {"kind": _MANIFEST_KIND, "version": 1, "pairs": pairs}
    if generator:
        data["generator"] = generator
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _owned(entry: dict[str, object]) -> dict[str, str]:
    files = entry.get("files", {})
    return dict(files) if isinstance(files, dict) else {}


class _Tree:
    """What stands at each path under the output folder, one `os.scandir` per folder (not a stat per file)."""

    FILE, DIR, OTHER = "file", "dir", "other"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listings: dict[str, dict[str, str] | None] = {}

    def _listing(self, folder: str) -> dict[str, str] | None:
        """`{name: kind}` of a folder ("" is the root), or None when no folder stands there."""
        if folder not in self._listings:
            if folder and self.kind(folder) != self.DIR:
                self._listings[folder] = None
                return None
            try:
                with os.scandir(os.path.join(self.root, folder)) as entries:
                    listing = {}
                    for entry in entries:
                        try:
                            is_dir, is_file = entry.is_dir(), entry.is_file()
                        except OSError:
                            is_dir = is_file = False
                        listing[entry.name] = self.DIR if is_dir else self.FILE if is_file else self.OTHER
            except (FileNotFoundError, NotADirectoryError):
                listing = None
            self._listings[folder] = listing
        return self._listings[folder]

    def kind(self, rel: str) -> str | None:
        """ "file", "dir" or "other" (symlinks followed, as `open` would), or None when nothing is there."""
        folder, _, name = rel.rpartition("/")
        listing = self._listing(folder)
        return None if listing is None else listing.get(name)

    def read(self, rel: str) -> str | None:
        """The text of a file, None when there is none, or a marker that never equals generated text."""
        kind = self.kind(rel)
        if kind is None:
            return None
        if kind == self.DIR:
            return "\0"
        if kind == self.OTHER:  # a dangling symlink counts as absent; a device or FIFO is never opened
            return None if not (self.root / rel).exists() else "\0"
        try:
            return (self.root / rel).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (UnicodeDecodeError, OSError):
            return "\0"  # something else stands there; never equal to generated text

    def in_the_way(self, rel: str) -> str | None:
        """Why `rel` cannot be written: a directory at its place, or a file where a parent folder must be."""
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            kind = self.kind(parent)
            if kind is None:
                return None  # the rest is created
            if kind != self.DIR:
                return f"{parent} is a file, where a folder must be"
        return f"{rel} is a directory" if self.kind(rel) == self.DIR else None


class Inspector:
    """Answers "are this pair's recorded files intact?" for many pairs, listing each folder once."""

    def __init__(self, out_dir: Path) -> None:
        self._root = os.fspath(out_dir)
        self._tree = _Tree(out_dir)

    def intact(self, entry: dict[str, object]) -> bool:
        """Whether every file a manifest entry records is on disk with the recorded content."""
        owned = _owned(entry)
        if not owned:
            return False
        for rel, digest in owned.items():
            if self._tree.kind(rel) != _Tree.FILE:
                return False
            try:
                with open(os.path.join(self._root, rel), "rb") as handle:
                    data = handle.read()
            except OSError:
                return False
            if hashlib.sha256(data).hexdigest() != digest:
                return False
        return True


def _compare(tree: _Tree, files: dict[str, str], owned: set[str]) -> tuple[list[str], list[str], list[str]]:
    """Files to add, files to rewrite, and conflicts (what stands in the way, or is someone else's)."""
    added, modified, conflicts = [], [], []
    for rel in sorted(files):
        blocker = tree.in_the_way(rel)
        if blocker:
            conflicts.append(blocker)
            continue
        current = tree.read(rel)
        if current is None:
            added.append(rel)
        elif current != files[rel]:
            if rel not in owned:
                conflicts.append(f"{rel} exists and was not generated by mtc-policygen")
                continue
            modified.append(rel)
    return added, modified, conflicts


def plan(
    out_dir: Path,
    pairs: Sequence[PairFiles],
    generator: str = "",
    manifest: tuple[dict[str, dict[str, object]], str] | None = None,
) -> Plan:
    """Compare what `pairs` produce with what is on disk; raise `ProblemsError` on conflicts.

    Recorded pairs not in this run are kept while their spec (recorded relative to the output folder's parent)
    still exists, and removed once it is gone. Pairs of this run lose the files they no longer produce. A pair
    given without files (unchanged inputs, intact files) keeps its recorded entry as it is. `generator` names
    the tool in the new manifest; `manifest` is what `load_manifest` returned, when the caller has read it.
    """
    recorded, recorded_generator = load_manifest(out_dir) if manifest is None else manifest
    keep = {str(e.get("spec")) for e in recorded.values() if (out_dir.parent / str(e.get("spec"))).is_file()}
    tree = _Tree(out_dir)
    result = Plan(out_dir, recorded, {}, recorded_generator, generator or recorded_generator)
    owners: dict[str, str] = {}
    conflicts: list[str] = []
    owned_by_anyone = {rel for entry in recorded.values() for rel in _owned(entry)}
    for pf in pairs:
        before = recorded.get(pf.pair)
        if before is not None and before.get("spec") != pf.spec and before.get("spec") in keep:
            conflicts.append(f"pair {pf.pair!r} is generated from {before.get('spec')} already")
        owned = _owned(before or {})
        if pf.files is None:
            if before is None:
                raise ValueError(f"pair {pf.pair!r} has no files and no manifest entry")  # a caller's bug
            owners.update(dict.fromkeys(owned, pf.pair))
            result.new_manifest[pf.pair] = before
            continue
        owners.update(dict.fromkeys(pf.files, pf.pair))
        added, modified, found = _compare(tree, pf.files, owned_by_anyone)
        conflicts += found
        stale = [rel for rel in owned if rel not in pf.files and tree.kind(rel) == _Tree.FILE]
        result.added += added
        result.modified += modified
        result.removed += stale
        entry: dict[str, object] = {"spec": pf.spec, "files": {r: digest_text(t) for r, t in sorted(pf.files.items())}}
        if pf.digest:
            entry["digest"] = pf.digest
        result.new_manifest[pf.pair] = entry
        result.contents.update(pf.files)
        if stale or added or modified:
            result.changed_pairs.append(pf.pair)
    for pair, entry in recorded.items():
        if pair in result.new_manifest:
            continue
        if entry.get("spec") in keep:
            result.new_manifest[pair] = entry
        else:
            gone = [rel for rel in _owned(entry) if tree.kind(rel) == _Tree.FILE and rel not in owners]
            result.removed += gone
            if gone:
                result.changed_pairs.append(pair)
    if conflicts:
        raise ProblemsError(
            [
                Problem(
                    str(out_dir),
                    0,
                    0,
                    "",
                    Severity.ERROR,
                    "file-in-the-way",
                    c,
                    "move it away or delete it, then run generate again",
                )
                for c in conflicts
            ]
        )
    result.changed_pairs = sorted(set(result.changed_pairs))
    return result


# --- applying a plan --------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _carry_over(src_dir: Path, ours: set[str], out_dir: Path) -> None:
    """Copy into the staged folder everything of the old folder that is not ours (hard links where possible)."""
    for root, dirs, files in os.walk(src_dir):
        rel_root = Path(root).relative_to(out_dir)
        for name in sorted(dirs):
            if (Path(root) / name).is_symlink():
                dirs.remove(name)
                files.append(name)
        for name in files:
            rel = (rel_root / name).as_posix()
            if rel in ours:
                continue
            target = out_dir / STAGING / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            source = Path(root) / name
            if source.is_symlink():
                target.symlink_to(os.readlink(source))
                continue
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)


def _restore_set_aside(out_dir: Path, staging: Path) -> None:
    """Put back a pair folder that an interrupted non-atomic swap left set aside as `<staging>/<pair>.old`.

    Without renameat2 a swap is two renames; a run killed between them leaves no live folder, and clearing the
    staging folder would then delete the user's own files that were in it. Pair names hold no dot.
    """
    for aside in sorted(staging.glob("*.old")):
        live = out_dir / aside.name.removesuffix(".old")
        if aside.is_dir() and not live.exists():
            aside.rename(live)


_MOVED, _EXCHANGED, _SET_ASIDE = "moved", "exchanged", "set-aside"


def _swap_back(out_dir: Path, staging: Path, done: list[tuple[str, str]]) -> list[str]:
    """Undo the swaps of a commit that failed, last first; the pairs that could not be put back.

    An exchange is its own inverse; a moved-in folder goes back to the staging folder; a set-aside old folder
    returns after the new one leaves.
    """
    stuck = []
    for pair, how in reversed(done):
        live, new = out_dir / pair, staging / pair
        try:
            if how == _EXCHANGED:
                if not _exchange(new, live):
                    raise OSError(errno.ENOSYS, "cannot exchange", str(live))
            elif how == _MOVED:
                live.rename(new)
            else:
                live.rename(new)
                (staging / f"{pair}.old").rename(live)
        except OSError:
            stuck.append(pair)
    return sorted(stuck)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def apply(p: Plan) -> None:
    """Carry out a plan; raises `ProblemsError` on failure, leaving the previous overlays as they were."""
    if not p.outdated:
        return
    out_dir = p.out_dir
    staging = out_dir / STAGING
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            _restore_set_aside(out_dir, staging)
            shutil.rmtree(staging)  # left by an interrupted run; the live overlays never depend on it
        staging.mkdir()
        owned_now = {rel for entry in p.manifest.values() for rel in _owned(entry)}
        by_pair: dict[str, dict[str, str]] = {}
        for rel, text in p.contents.items():
            by_pair.setdefault(rel.split("/", 1)[0], {})[rel] = text
        for pair in p.changed_pairs:
            new_files = by_pair.get(pair, {})
            if (out_dir / pair).is_dir():
                _carry_over(out_dir / pair, owned_now | set(new_files), out_dir)
            for rel, text in sorted(new_files.items()):
                _write(staging / rel, text)
            (staging / pair).mkdir(exist_ok=True)
        _write(staging / MANIFEST, _manifest_text(p.new_manifest, p.new_generator))
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _os_error(out_dir, "cannot stage the new overlays", exc) from None
    done: list[tuple[str, str]] = []  # (pair, how it was swapped in), for undoing a commit that fails
    try:
        for pair in p.changed_pairs:
            live, new = out_dir / pair, staging / pair
            if not live.exists():
                new.rename(live)
                done.append((pair, _MOVED))
            elif _exchange(new, live):
                done.append((pair, _EXCHANGED))
            else:
                aside = staging / f"{pair}.old"
                live.rename(aside)
                try:
                    new.rename(live)
                except OSError:
                    aside.rename(live)
                    raise
                done.append((pair, _SET_ASIDE))
        os.replace(staging / MANIFEST, out_dir / MANIFEST)
    except OSError as exc:
        stuck = _swap_back(out_dir, staging, done)
        if stuck:  # the old folders of these pairs are still in the staging folder: keep it
            raise _problem(
                out_dir,
                "write-failed",
                f"cannot swap in the new overlays: {_reason(exc)}; pair folders {', '.join(stuck)} hold the new "
                f"files and could not be put back (the previous ones are in {STAGING})",
                "run generate again once the cause is fixed; it completes or restores them",
            ) from None
        shutil.rmtree(staging, ignore_errors=True)
        raise _os_error(out_dir, "cannot swap in the new overlays", exc) from None
    shutil.rmtree(staging, ignore_errors=True)
    for pair in p.changed_pairs:
        live = out_dir / pair
        if live.is_dir() and not any(live.iterdir()):
            live.rmdir()  # a removed pair leaves no empty folder behind
