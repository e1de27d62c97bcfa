"""Write generated overlays atomically, remove only our own stale files, and tell whether overlays are stale.

Ownership is recorded in `<out>/.mtc-policygen-manifest.json`: the files each pair's last run wrote. A run
builds every changed pair folder complete in its own staging folder inside `<out>` (carrying over files that are
not ours), syncs once, writes a journal naming the staged folders, then swaps each folder in with one atomic
exchange and replaces the manifest last. Killed at any point, each pair folder is wholly old or wholly new, and
the next run (`recover`) finishes a run whose journal exists or removes the staging folder of one that had not
swapped anything in. The writer never goes through a symbolic link inside `<out>`.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.problems import Problem, ProblemsError, Severity

MANIFEST = ".mtc-policygen-manifest.json"
STAGING = ".mtc-policygen-staging"  # a run's staging folder is STAGING + "." + its pid
JOURNAL = ".mtc-policygen-journal.json"
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
    private: frozenset[str] = frozenset()  # files holding a secret: written 0600


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
    private: set[str] = field(default_factory=set)

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

    FILE, DIR, LINK, OTHER = "file", "dir", "link", "other"

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
                            is_link = entry.is_symlink()
                            is_dir, is_file = entry.is_dir(follow_symlinks=False), entry.is_file(follow_symlinks=False)
                        except OSError:
                            is_link = is_dir = is_file = False
                        kind = self.LINK if is_link else self.DIR if is_dir else self.FILE if is_file else self.OTHER
                        listing[entry.name] = kind
            except (FileNotFoundError, NotADirectoryError):
                listing = None
            self._listings[folder] = listing
        return self._listings[folder]

    def kind(self, rel: str) -> str | None:
        """The kind at `rel`: "file", "dir", "link" (never followed) or "other"; None when nothing is there."""
        folder, _, name = rel.rpartition("/")
        listing = self._listing(folder)
        return None if listing is None else listing.get(name)

    def read(self, rel: str) -> str | None:
        """The text of a file, None when there is none, or a marker that never equals generated text."""
        kind = self.kind(rel)
        if kind is None:
            return None
        if kind != self.FILE:  # a folder, link, device or FIFO: never opened, never equal to generated text
            return "\0"
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
            if kind == self.LINK:
                return _LINK.format(parent)
            if kind != self.DIR:
                return f"{parent} is a file, where a folder must be"
        kind = self.kind(rel)
        return _LINK.format(rel) if kind == self.LINK else f"{rel} is a directory" if kind == self.DIR else None


_LINK = (
    "{} is a symbolic link; mtc-policygen never writes through a link inside the output folder "
    "(it could put files anywhere, or link files from elsewhere into the overlays)"
)


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
        result.private.update(pf.private)
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


def _remove(path: Path) -> None:
    """Remove a staging leftover without following a link planted in its place."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def _carry_over(src_dir: Path, ours: set[str], out_dir: Path, staging: Path) -> None:
    """Hard-link into the staged folder everything of the old folder that is not ours.

    `src_dir` is a real folder inside the output folder (planning refuses links there); links below it are
    recreated as links, never followed, so nothing from outside the output folder is linked in.
    """
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
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            source = Path(root) / name
            if source.is_symlink():
                target.symlink_to(os.readlink(source))
                continue
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:
                if not stat.S_ISREG(source.lstat().st_mode):
                    raise  # a FIFO or device is never opened
                shutil.copy2(source, target, follow_symlinks=False)


def _restore_set_aside(out_dir: Path, staging: Path) -> None:
    """Put back a pair folder that an interrupted non-atomic swap left set aside as `<staging>/<pair>.old`.

    Without renameat2 a swap is two renames; a run killed between them leaves no live folder, and clearing the
    staging folder would then delete the user's own files that were in it. Pair names hold no dot.
    """
    for aside in sorted(staging.glob("*.old")):
        live = out_dir / aside.name.removesuffix(".old")
        if aside.is_dir() and not aside.is_symlink() and not live.exists():
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


def _write(path: Path, text: str, mode: int = 0o666) -> None:
    """Create a new file (no fsync: `_sync` flushes the whole staging folder once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with open(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _sync(folder: Path) -> None:
    """Flush everything written so far: one syncfs of the output folder's file system, `sync` where missing.

    One sync per run instead of one fsync per file: a first run writes thousands of small files.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            syncfs = ctypes.CDLL(None, use_errno=True).syncfs
        except (OSError, AttributeError):
            syncfs = None
        if syncfs is None or syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _protect(out_dir: Path, private: set[str]) -> None:
    """Make files that hold a secret readable by their owner only, also when an earlier run wrote them 0644."""
    for rel in sorted(private):
        try:
            fd = os.open(out_dir / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)


_JOURNAL_KIND = "mtc-policygen-journal"


def _write_journal(out_dir: Path, staging: Path, pairs: list[str]) -> None:
    """Record, durably and before the first swap, which staged folder (by inode) replaces each pair folder."""
    inodes = {pair: os.lstat(staging / pair).st_ino for pair in pairs}
    data = {"kind": _JOURNAL_KIND, "pid": os.getpid(), "staging": staging.name, "pairs": inodes}
    draft = staging / JOURNAL
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, out_dir / JOURNAL)
    _fsync(out_dir)


def _stage(p: Plan, staging: Path) -> None:
    out_dir = p.out_dir
    staging.mkdir()
    owned_now = {rel for entry in p.manifest.values() for rel in _owned(entry)}
    by_pair: dict[str, dict[str, str]] = {}
    for rel, text in p.contents.items():
        by_pair.setdefault(rel.split("/", 1)[0], {})[rel] = text
    for pair in p.changed_pairs:
        new_files = by_pair.get(pair, {})
        live = out_dir / pair
        if live.is_dir() and not live.is_symlink():
            _carry_over(live, owned_now | set(new_files), out_dir, staging)
        for rel, text in sorted(new_files.items()):
            _write(staging / rel, text, 0o600 if rel in p.private else 0o666)
        (staging / pair).mkdir(exist_ok=True)
    _write(staging / MANIFEST, _manifest_text(p.new_manifest, p.new_generator))
    _sync(staging)


def _swap_in(out_dir: Path, staging: Path, pair: str) -> str:
    """Put the staged folder of `pair` in place of the live one; how it was done."""
    live, new = out_dir / pair, staging / pair
    if not os.path.lexists(live):
        new.rename(live)
        return _MOVED
    if _exchange(new, live):
        return _EXCHANGED
    aside = staging / f"{pair}.old"
    live.rename(aside)
    try:
        new.rename(live)
    except OSError:
        aside.rename(live)
        raise
    return _SET_ASIDE


def _drop_empty(out_dir: Path, pairs: Sequence[str]) -> None:
    for pair in pairs:
        live = out_dir / pair
        if live.is_dir() and not live.is_symlink() and not any(live.iterdir()):
            live.rmdir()  # a removed pair leaves no empty folder behind


def apply(p: Plan) -> None:
    """Carry out a plan; raises `ProblemsError` on failure, leaving the previous overlays as they were.

    Call it under `lock.locked(out_dir)`, after `recover`.
    """
    out_dir = p.out_dir
    try:
        _protect(out_dir, p.private)
    except OSError as exc:
        raise _os_error(out_dir, "cannot restrict a secret file to its owner", exc) from None
    if not p.outdated:
        return
    staging = out_dir / f"{STAGING}.{os.getpid()}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _stage(p, staging)
        _write_journal(out_dir, staging, p.changed_pairs)
    except OSError as exc:
        (out_dir / JOURNAL).unlink(missing_ok=True)  # before the staging folder: a journal means "complete"
        shutil.rmtree(staging, ignore_errors=True)
        raise _os_error(out_dir, "cannot stage the new overlays", exc) from None
    done: list[tuple[str, str]] = []  # (pair, how it was swapped in), for undoing a commit that fails
    try:
        for pair in p.changed_pairs:
            done.append((pair, _swap_in(out_dir, staging, pair)))  # noqa: PERF401 - partial progress counts
        os.replace(staging / MANIFEST, out_dir / MANIFEST)
    except OSError as exc:
        stuck = _swap_back(out_dir, staging, done)
        if stuck:  # the journal stays: the next run finishes this one
            raise _problem(
                out_dir,
                "write-failed",
                f"cannot swap in the new overlays: {_reason(exc)}; pair folders {', '.join(stuck)} hold the new "
                f"files and could not be put back (the previous ones are in {staging.name})",
                "run generate again once the cause is fixed; it finishes this run first",
            ) from None
        (out_dir / JOURNAL).unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        raise _os_error(out_dir, "cannot swap in the new overlays", exc) from None
    _finish_commit(out_dir, staging, p.changed_pairs)


def _finish_commit(out_dir: Path, staging: Path, pairs: Sequence[str]) -> None:
    """Make the swaps durable, then drop the old folders and, last, the journal."""
    try:
        _fsync(out_dir)
        _remove(staging)
        (out_dir / JOURNAL).unlink(missing_ok=True)
        _fsync(out_dir)
        _drop_empty(out_dir, pairs)
    except OSError as exc:
        raise _problem(
            out_dir,
            "write-failed",
            f"the new overlays are in place, but cleaning up failed: {_reason(exc)}",
            "run generate again; it removes what is left",
        ) from None


# --- an interrupted run -----------------------------------------------------------------------------------


def _read_journal(out_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((out_dir / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = None
    pairs = data.get("pairs") if isinstance(data, dict) else None
    name = data.get("staging") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("kind") != _JOURNAL_KIND
        or not isinstance(name, str)
        or not name.startswith(STAGING + ".")
        or "/" in name
        or not isinstance(pairs, dict)
        or not all(isinstance(k, str) and _plain(k) and isinstance(v, int) for k, v in pairs.items())
    ):
        raise _problem(
            out_dir,
            "journal",
            f"{JOURNAL} (left by an interrupted run) is not a journal mtc-policygen can read",
            f"remove it and any {STAGING}.* folder, then check the overlays with git status and run generate",
        )
    return data


def _plain(name: str) -> bool:
    return bool(name) and "/" not in name and not name.startswith(".")


def _finish(out_dir: Path, journal: dict[str, object]) -> str:
    """Swap in every staged pair folder not yet in place (by inode), then the manifest."""
    staging = out_dir / str(journal["staging"])
    pairs = journal["pairs"]
    assert isinstance(pairs, dict)  # noqa: S101 - checked by _read_journal
    swapped = 0
    for pair, inode in sorted(pairs.items()):
        live, new = out_dir / pair, staging / pair
        try:
            current: int | None = os.lstat(live).st_ino
        except FileNotFoundError:
            current = None
        if current == inode:
            continue
        if not new.is_dir() or new.is_symlink() or os.lstat(new).st_ino != inode:
            raise OSError(errno.ENOENT, "the staged folder of the interrupted run is gone", str(new))
        if current is None and (staging / f"{pair}.old").is_dir():
            new.rename(live)  # killed between the two renames of the fallback swap
        else:
            _swap_in(out_dir, staging, pair)
        swapped += 1
    manifest = staging / MANIFEST
    if manifest.is_file():
        os.replace(manifest, out_dir / MANIFEST)
    _finish_commit(out_dir, staging, sorted(pairs))
    return (
        f"finished the generate run (pid {journal.get('pid')}) that was interrupted while swapping in its "
        f"pair folders: {swapped} more swapped in, manifest written"
    )


def recover(out_dir: Path) -> str:
    """Finish or roll back a killed run; call under the output folder's lock, before planning.

    A journal is written once every staged folder and the manifest are complete and synced: that run is
    finished. Staging folders without a journal swapped nothing in: they are removed (rolled back). Returns
    what was done, "" when no run was interrupted.
    """
    if not out_dir.is_dir():
        return ""
    journal = _read_journal(out_dir)
    try:
        done = _finish(out_dir, journal) if journal is not None else ""
        leftovers = sorted(p for p in out_dir.iterdir() if p.name.startswith(STAGING))
        for folder in leftovers:
            if folder.is_dir() and not folder.is_symlink():
                _restore_set_aside(out_dir, folder)
            _remove(folder)
    except OSError as exc:
        raise _problem(
            out_dir,
            "write-failed",
            f"cannot repair the generate run that was interrupted: {_reason(exc)}",
            "fix the cause and run generate again",
        ) from None
    if done:
        return done
    if leftovers:
        return (
            "rolled back a generate run that was interrupted before it changed any pair folder: removed "
            + ", ".join(p.name for p in leftovers)
        )
    return ""
