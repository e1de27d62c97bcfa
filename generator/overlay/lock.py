"""One `generate` at a time per output folder: an exclusive `fcntl.flock` on the folder, held from planning to commit.

Two runs into one folder (parallel CI jobs, a pre-commit hook) would otherwise plan against the same manifest and
swap folders under each other. The second run waits a bounded time, then fails naming the holder's pid (read from
the kernel's lock table). The lock is taken on the folder's own descriptor, so no lock file is written: nothing
shows up in git, and a run with nothing to write leaves the folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from generator.problems import Problem, ProblemsError

WAIT_ENV = "MTC_POLICYGEN_LOCK_WAIT"
DEFAULT_WAIT = 60.0
_POLL = 0.05


def _wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


def _holder(out_dir: Path) -> str:
    """The pid holding an flock on the folder, from the kernel's table of locks (Linux); "unknown" elsewhere."""
    try:
        st = os.stat(out_dir)
        with open("/proc/locks", encoding="ascii", errors="replace") as table:
            lines = table.read(1 << 20).splitlines()
    except OSError:
        return "unknown"
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[3] != "WRITE":
            continue
        try:
            major, minor, inode = fields[5].split(":")
            same = (int(major, 16), int(minor, 16), int(inode)) == (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
        except ValueError:
            continue
        if same and fields[4].isdigit():
            return fields[4]
    return "unknown"


def _busy(out_dir: Path, pid: str, waited: float) -> ProblemsError:
    return ProblemsError(
        [
            Problem.of(
                str(out_dir),
                "output-locked",
                f"another mtc-policygen run (pid {pid}) is writing to this folder; waited {waited:g} s for it",
                suggestion=f"run generate again once it has finished (set {WAIT_ENV} to wait longer)",
            )
        ]
    )


def _try_lock(out_dir: Path) -> int | None:
    """A descriptor of the folder holding its lock now, or None while another run holds it. The lock is on the
    folder itself: nothing is created in it, so a run that has nothing to write changes nothing at all."""
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
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
        raise ProblemsError([Problem.of(str(out_dir), "write-failed", f"cannot create the folder: {exc}")]) from None
    wait = _wait_seconds()
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = _try_lock(out_dir)
        except OSError as exc:
            reason = f"{exc.strerror or exc} ({out_dir})"
            message = f"cannot lock the folder for this run: {reason}; the previous overlays are unchanged"
            raise ProblemsError([Problem.of(str(out_dir), "write-failed", message)]) from None
        if fd is not None:
            break
        if time.monotonic() >= deadline:
            raise _busy(out_dir, _holder(out_dir), wait)
        time.sleep(_POLL)
    try:
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            for folder in created:
                folder.rmdir()  # only when empty: a run that wrote nothing leaves no folder behind
