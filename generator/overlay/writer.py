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
    """What one ClusterPair produces: files relative to the output folder (`<pair>/<cluster>/<file>`)."""

    pair: str
    spec: str  # the spec as shown in file headers, relative to the output folder's parent
    files: dict[str, str]


@dataclass
class Plan:
    out_dir: Path
    manifest: dict[str, dict[str, object]]
    new_manifest: dict[str, dict[str, object]]
    changed_pairs: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    contents: dict[str, str] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        return bool(self.added or self.modified or self.removed) or self.manifest != self.new_manifest

    def summary(self) -> list[str]:
        lines = [f"+ {p}" for p in self.added] + [f"~ {p}" for p in self.modified]
        return sorted(lines + [f"- {p}" for p in self.removed], key=lambda line: line[2:])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _problem(out_dir: Path, rule: str, message: str, suggestion: str = "") -> ProblemsError:
    return ProblemsError([Problem(str(out_dir), 0, 0, "", Severity.ERROR, rule, message, suggestion)])


def _os_error(out_dir: Path, action: str, exc: OSError) -> ProblemsError:
    reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename else ""
    return _problem(out_dir, "write-failed", f"{action}: {reason}{where}; the previous overlays are unchanged")


def read_manifest(out_dir: Path) -> dict[str, dict[str, object]]:
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise _problem(
            out_dir,
            "manifest",
            f"cannot read {MANIFEST}: {exc}",
            "restore it from git, or remove it if no generated files remain",
        ) from None
    if not isinstance(data, dict) or data.get("kind") != _MANIFEST_KIND or not isinstance(data.get("pairs"), dict):
        raise _problem(out_dir, "manifest", f"{MANIFEST} is not an mtc-policygen manifest")
    return data["pairs"]  # type: ignore[no-any-return]


def _manifest_text(pairs: dict[str, dict[str, object]]) -> str:
    return json.dumps({"kind": _MANIFEST_KIND, "version": 1, "pairs": pairs}, indent=2, sort_keys=True) + "\n"


def _owned(entry: dict[str, object]) -> dict[str, str]:
    files = entry.get("files", {})
    return dict(files) if isinstance(files, dict) else {}


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (UnicodeDecodeError, IsADirectoryError):
        return "\0"  # something else stands there; never equal to generated text


def _in_the_way(out_dir: Path, rel: str) -> str | None:
    """Why `rel` cannot be written: a directory at its place, or a file where a parent folder must be."""
    path = out_dir / rel
    if path.is_dir():
        return f"{rel} is a directory"
    parent = Path(rel).parent
    while parent != Path("."):
        if (out_dir / parent).exists() and not (out_dir / parent).is_dir():
            return f"{parent.as_posix()} is a file, where a folder must be"
        parent = parent.parent
    return None


def plan(out_dir: Path, pairs: Sequence[PairFiles]) -> Plan:
    """Compare what `pairs` produce with what is on disk; raise `ProblemsError` on conflicts.

    Recorded pairs not in this run are kept while their spec (recorded relative to the output folder's parent)
    still exists, and removed once it is gone. Pairs of this run lose the files they no longer produce.
    """
    manifest = read_manifest(out_dir)
    keep = {str(e.get("spec")) for e in manifest.values() if (out_dir.parent / str(e.get("spec"))).is_file()}
    result = Plan(out_dir, manifest, {})
    owners: dict[str, str] = {}
    conflicts: list[str] = []
    for pf in pairs:
        recorded = manifest.get(pf.pair)
        if recorded is not None and recorded.get("spec") != pf.spec and recorded.get("spec") in keep:
            conflicts.append(f"pair {pf.pair!r} is generated from {recorded.get('spec')} already")
        owned = _owned(recorded or {})
        changes_before = len(result.added) + len(result.modified)
        for rel in sorted(pf.files):
            owners[rel] = pf.pair
            text = pf.files[rel]
            blocker = _in_the_way(out_dir, rel)
            if blocker:
                conflicts.append(blocker)
                continue
            current = _read(out_dir / rel)
            if current is None:
                result.added.append(rel)
            elif current != text:
                if rel not in owned and not any(rel in _owned(e) for e in manifest.values()):
                    conflicts.append(f"{rel} exists and was not generated by mtc-policygen")
                    continue
                result.modified.append(rel)
        stale = [rel for rel in owned if rel not in pf.files and (out_dir / rel).is_file()]
        result.removed += stale
        result.new_manifest[pf.pair] = {
            "spec": pf.spec,
            "files": {rel: _digest(t) for rel, t in sorted(pf.files.items())},
        }
        result.contents.update(pf.files)
        if stale or len(result.added) + len(result.modified) > changes_before:
            result.changed_pairs.append(pf.pair)
    for pair, entry in manifest.items():
        if pair in result.new_manifest:
            continue
        if entry.get("spec") in keep:
            result.new_manifest[pair] = entry
        else:
            gone = [rel for rel in _owned(entry) if (out_dir / rel).is_file() and rel not in owners]
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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def apply(p: Plan) -> None:
    """Carry out a plan; raises `ProblemsError` on failure, leaving the previous overlays as they were."""
    if not p.stale:
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
        _write(staging / MANIFEST, _manifest_text(p.new_manifest))
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _os_error(out_dir, "cannot stage the new overlays", exc) from None
    try:
        for pair in p.changed_pairs:
            live, new = out_dir / pair, staging / pair
            if not live.exists():
                new.rename(live)
            elif not _exchange(new, live):
                aside = staging / f"{pair}.old"
                live.rename(aside)
                try:
                    new.rename(live)
                except OSError:
                    aside.rename(live)
                    raise
        os.replace(staging / MANIFEST, out_dir / MANIFEST)
    except OSError as exc:
        raise _os_error(out_dir, "cannot swap in the new overlays", exc) from None
    shutil.rmtree(staging, ignore_errors=True)
    for pair in p.changed_pairs:
        live = out_dir / pair
        if live.is_dir() and not any(live.iterdir()):
            live.rmdir()  # a removed pair leaves no empty folder behind
