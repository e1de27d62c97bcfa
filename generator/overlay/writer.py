"""Write generated overlays atomically, remove only our own stale files, and tell whether overlays are stale.

Ownership is recorded in `<out>/.mtc-policygen-manifest.json`: the files each pair's last run wrote. A run
builds every changed pair folder complete in its own staging folder inside `<out>` (carrying over files that are
not ours), syncs once, writes a journal naming the staged folders, then swaps each folder in with one atomic
exchange and replaces the manifest last. Killed at any point, each pair folder is wholly old or wholly new, and
the next run (`recover`) finishes a run whose journal exists or removes the staging folder of one that had not
swapped anything in. The writer never goes through a symbolic link inside `<out>`.

This module commits a plan and recovers an interrupted run; the steps live beside it: `planning` (what a run
changes), `manifest` (which files are ours), `tree` (what stands on disk), `journal` (what an interrupted run
was swapping in) and `fsops` (exchange, exclusive create, one sync per run, owner-only secret files).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from generator.overlay.failures import os_error, problem, reason
from generator.overlay.fsops import carry_over, drop_empty, fsync_path, protect, restore_set_aside, sync
from generator.overlay.fsops import exchange as _exchange
from generator.overlay.fsops import remove as _remove
from generator.overlay.fsops import write as _write
from generator.overlay.journal import JOURNAL, STAGING, read_journal
from generator.overlay.journal import write_journal as _write_journal
from generator.overlay.manifest import MANIFEST, digest_text, load_manifest, manifest_text, owned_files
from generator.overlay.planning import PairChanges, PairFiles, Plan, plan
from generator.overlay.tree import Inspector

# What callers use of the writer; `_write`, `_exchange`, `_remove`, `_write_journal` and `_swap_in` are looked up
# here at each call, so a test can fail or kill a run at any of them.
__all__ = [
    "JOURNAL",
    "MANIFEST",
    "STAGING",
    "Inspector",
    "PairChanges",
    "PairFiles",
    "Plan",
    "apply",
    "digest_text",
    "load_manifest",
    "plan",
    "recover",
]

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


def _stage(p: Plan, staging: Path) -> None:
    out_dir = p.out_dir
    staging.mkdir()
    owned_now = {rel for entry in p.manifest.values() for rel in owned_files(entry)}
    by_pair: dict[str, dict[str, str]] = {}
    for rel, text in p.contents.items():
        by_pair.setdefault(rel.split("/", 1)[0], {})[rel] = text
    for pair in p.changed_pairs:
        new_files = by_pair.get(pair, {})
        live = out_dir / pair
        if live.is_dir() and not live.is_symlink():
            carry_over(live, owned_now | set(new_files), out_dir, staging)
        for rel, text in sorted(new_files.items()):
            _write(staging / rel, text, 0o600 if rel in p.private else 0o666)
        (staging / pair).mkdir(exist_ok=True)
    _write(staging / MANIFEST, manifest_text(p.new_manifest, p.new_generator))
    sync(staging)


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


def apply(p: Plan) -> None:
    """Carry out a plan; raises `ProblemsError` on failure, leaving the previous overlays as they were.

    Call it under `lock.locked(out_dir)`, after `recover`.
    """
    out_dir = p.out_dir
    try:
        protect(out_dir, p.private)
    except OSError as exc:
        raise os_error(out_dir, "cannot restrict a secret file to its owner", exc) from None
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
        raise os_error(out_dir, "cannot stage the new overlays", exc) from None
    done: list[tuple[str, str]] = []  # (pair, how it was swapped in), for undoing a commit that fails
    try:
        for pair in p.changed_pairs:
            done.append((pair, _swap_in(out_dir, staging, pair)))  # noqa: PERF401 - partial progress counts
        os.replace(staging / MANIFEST, out_dir / MANIFEST)
    except OSError as exc:
        stuck = _swap_back(out_dir, staging, done)
        if stuck:  # the journal stays: the next run finishes this one
            raise problem(
                out_dir,
                "write-failed",
                f"cannot swap in the new overlays: {reason(exc)}; pair folders {', '.join(stuck)} hold the new "
                f"files and could not be put back (the previous ones are in {staging.name})",
                "run generate again once the cause is fixed; it finishes this run first",
            ) from None
        (out_dir / JOURNAL).unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        raise os_error(out_dir, "cannot swap in the new overlays", exc) from None
    _finish_commit(out_dir, staging, p.changed_pairs)


def _finish_commit(out_dir: Path, staging: Path, pairs: Sequence[str]) -> None:
    """Make the swaps durable, then drop the old folders and, last, the journal."""
    try:
        fsync_path(out_dir)
        _remove(staging)
        (out_dir / JOURNAL).unlink(missing_ok=True)
        fsync_path(out_dir)
        drop_empty(out_dir, pairs)
    except OSError as exc:
        raise problem(
            out_dir,
            "write-failed",
            f"the new overlays are in place, but cleaning up failed: {reason(exc)}",
            "run generate again; it removes what is left",
        ) from None


def _finish(out_dir: Path, journal: dict[str, object]) -> str:
    """Swap in every staged pair folder not yet in place (by inode), then the manifest."""
    staging = out_dir / str(journal["staging"])
    pairs = journal["pairs"]
    assert isinstance(pairs, dict)  # noqa: S101 - checked by read_journal
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
    journal = read_journal(out_dir)
    try:
        done = _finish(out_dir, journal) if journal is not None else ""
        leftovers = sorted(p for p in out_dir.iterdir() if p.name.startswith(STAGING))
        for folder in leftovers:
            if folder.is_dir() and not folder.is_symlink():
                restore_set_aside(out_dir, folder)
            _remove(folder)
    except OSError as exc:
        raise problem(
            out_dir,
            "write-failed",
            f"cannot repair the generate run that was interrupted: {reason(exc)}",
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
