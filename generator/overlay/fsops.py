"""File-system steps of a commit: atomic exchange, exclusive create, one sync, owner-only secret files."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

_RENAME_EXCHANGE = 2


_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    import ctypes  # noqa: PLC0415 - only a run that writes swaps or syncs (a no-op run does neither)

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


def remove(path: Path) -> None:
    """Remove a staging leftover without following a link planted in its place."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def carry_over(src_dir: Path, ours: set[str], out_dir: Path, staging: Path) -> None:
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


def restore_set_aside(out_dir: Path, staging: Path) -> None:
    """Put back a pair folder that an interrupted non-atomic swap left set aside as `<staging>/<pair>.old`.

    Without renameat2 a swap is two renames; a run killed between them leaves no live folder, and clearing the
    staging folder would then delete the user's own files that were in it. Pair names hold no dot.
    """
    for aside in sorted(staging.glob("*.old")):
        live = out_dir / aside.name.removesuffix(".old")
        if aside.is_dir() and not aside.is_symlink() and not live.exists():
            aside.rename(live)


def write(path: Path, text: str, mode: int = 0o666) -> None:
    """Create a new file (no fsync: `sync` flushes the whole staging folder once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with open(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def sync(folder: Path) -> None:
    """Flush everything written so far: one syncfs of the output folder's file system, `sync` where missing.

    One sync per run instead of one fsync per file: a first run writes thousands of small files.
    """
    import ctypes  # noqa: PLC0415 - see exchange

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


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def protect(out_dir: Path, private: set[str]) -> None:
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


def drop_empty(out_dir: Path, pairs: Sequence[str]) -> None:
    for pair in pairs:
        live = out_dir / pair
        if live.is_dir() and not live.is_symlink() and not any(live.iterdir()):
            live.rmdir()  # a removed pair leaves no empty folder behind
