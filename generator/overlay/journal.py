"""The journal: written durably before the first swap, it names the staged folder (by inode) of each pair.

A run killed after writing it is finished by the next one (`writer.recover`); one killed before is rolled back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from generator.overlay.failures import problem
from generator.overlay.fsops import fsync_path

STAGING = ".mtc-policygen-staging"  # a run's staging folder is STAGING + "." + its pid


JOURNAL = ".mtc-policygen-journal.json"


JOURNAL_KIND = "mtc-policygen-journal"


def write_journal(out_dir: Path, staging: Path, pairs: list[str]) -> None:
    """Record, durably and before the first swap, which staged folder (by inode) replaces each pair folder."""
    inodes = {pair: os.lstat(staging / pair).st_ino for pair in pairs}
    data = {"kind": JOURNAL_KIND, "pid": os.getpid(), "staging": staging.name, "pairs": inodes}
    draft = staging / JOURNAL
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, out_dir / JOURNAL)
    fsync_path(out_dir)


def read_journal(out_dir: Path) -> dict[str, object] | None:
    """The journal of an interrupted run, None when there is none; a `ProblemsError` when it cannot be read."""
    try:
        data = json.loads((out_dir / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not _is_journal(data):
        raise problem(
            out_dir,
            "journal",
            f"{JOURNAL} (left by an interrupted run) is not a journal mtc-policygen can read",
            f"remove it and any {STAGING}.* folder, then check the overlays with git status and run generate",
        )
    return data


def _is_journal(data: dict[str, object]) -> bool:
    """Our kind, a staging folder of ours beside the journal, and an inode for each plainly named pair."""
    name, pairs = data.get("staging"), data.get("pairs")
    return (
        data.get("kind") == JOURNAL_KIND
        and isinstance(name, str)
        and name.startswith(STAGING + ".")
        and "/" not in name
        and isinstance(pairs, dict)
        and all(isinstance(k, str) and _plain(k) and isinstance(v, int) for k, v in pairs.items())
    )


def _plain(name: str) -> bool:
    return bool(name) and "/" not in name and not name.startswith(".")
