"""Paths written into headers and the manifest: relative, in POSIX form, whatever the current folder."""

from __future__ import annotations

import functools
import os
from pathlib import Path, PurePosixPath


def posix_relpath(path: Path, start: Path) -> str:
    """`path` relative to `start`, in POSIX form. Many specs share few folders (a no-op `generate` asks this
    five times per spec), so a file's folder is made relative once and the file's name joined to it."""
    target, anchor = os.path.abspath(path), os.path.abspath(start)
    folder, name = os.path.split(target)
    parts = [p for p in target.split("/") if p]
    within = [p for p in anchor.split("/") if p][: len(parts)] == parts
    if not name or within:
        return _relpath(target, anchor)  # `start` is `path` or inside it: the folder's answer differs
    rel = _relpath(folder, anchor)
    return name if rel == "." else f"{rel}/{name}"


@functools.lru_cache(maxsize=1024)
def _relpath(path: str, start: str) -> str:
    return PurePosixPath(Path(os.path.relpath(path, start))).as_posix()
