"""One `generate` at a time per output folder: an exclusive `fcntl.flock` on a lock file, held from planning to commit.

Two runs into one folder (parallel CI jobs, a pre-commit hook) would otherwise plan against the same manifest and
swap folders under each other. The second run waits a bounded time, then fails naming the holder's pid. The lock
file exists only while a run holds it, so it never shows up in git; a run that locked a file another run has just
removed locks again on the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from generator.problems import Problem, ProblemsError, Severity

LOCK = ".mtc-policygen.lock"
WAIT_ENV = "MTC_POLICYGEN_LOCK_WAIT"
DEFAULT_WAIT = 60.0
_POLL = 0.05


def _wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


def _holder(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            text = handle.read(32).decode("ascii", "replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


def _busy(out_dir: Path, pid: str, waited: float) -> ProblemsError:
    return ProblemsError(
        [
            Problem(
                str(out_dir),
                0,
                0,
                "",
                Severity.ERROR,
                "output-locked",
                f"another mtc-policygen run (pid {pid}) is writing to this folder; waited {waited:g} s for it",
                f"run generate again once it has finished (set {WAIT_ENV} to wait longer)",
            )
        ]
    )


def _try_lock(path: Path) -> int | None:
    """A descriptor holding the lock on the file now at `path`, or None while another run holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    try:
        same = os.fstat(fd).st_ino == os.lstat(path).st_ino
    except FileNotFoundError:
        same = False
    if not same:  # the holder removed the file between our open and our lock: lock the new one
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's lock (creating the folder); raises `ProblemsError` when it stays busy.

    Folders that this call created and that are still empty at the end are removed again.
    """
    created = [f for f in (out_dir, *out_dir.parents) if not f.exists()]  # innermost first
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProblemsError(
            [Problem(str(out_dir), 0, 0, "", Severity.ERROR, "write-failed", f"cannot create the folder: {exc}")]
        ) from None
    path = out_dir / LOCK
    wait = _wait_seconds()
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = _try_lock(path)
        except OSError as exc:
            reason = f"{exc.strerror or exc} ({path})"
            message = f"cannot lock the folder for this run: {reason}; the previous overlays are unchanged"
            raise ProblemsError([Problem(str(out_dir), 0, 0, "", Severity.ERROR, "write-failed", message)]) from None
        if fd is not None:
            break
        if time.monotonic() >= deadline:
            raise _busy(out_dir, _holder(path), wait)
        time.sleep(_POLL)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still under the lock: a waiting run sees the inode change and locks again
        os.close(fd)
        with contextlib.suppress(OSError):
            for folder in created:
                folder.rmdir()  # only when empty: a run that wrote nothing leaves no folder behind
