"""Which files a run may read, and the one bounded reader every file a spec or a function config names goes through.

Whoever writes an app's spec must not reach the rest of the machine the tool runs on: an Argo CD sidecar is
shared by every team that pushes to a synced repository. So a file named by a spec (`base`, `caBundleFile`, the
mirror mapping) resolves, after following symlinks, inside one root; a render-time secret file (`passwordFrom`,
credential files, `tokenFrom`) inside the root or a folder the operator of the runtime allows
(`MTC_POLICYGEN_SECRET_DIRS`). The root is decided once per run by the entry point (docs/argo-cd.md).

The reader refuses what is not a regular file before opening it (a FIFO would block, /dev/zero never ends, a
sparse file reports a huge size) and reads at most `limit` bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from generator.records import record
from generator.settings import ROOT_ENV, SECRET_DIRS_ENV

_CHUNK = 1 << 20


class UnreadableFileError(ValueError):
    """Why a file was not read; the message names no content of it (`rule` says which kind of refusal)."""

    def __init__(self, message: str, rule: str = "unreadable-file") -> None:
        super().__init__(message)
        self.rule = rule


def repository_of(path: Path) -> Path:
    """The repository that holds `path`: the nearest ancestor with `.git`, or the folder itself when none has."""
    folder = Path(os.path.realpath(path))
    folder = folder if folder.is_dir() else folder.parent
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return folder


@record
class FileAccess:
    """The folders a run may read: `root` for every named file, `secret_dirs` besides it for secret files."""

    root: Path
    secret_dirs: tuple[Path, ...] = ()

    @classmethod
    def of(cls, root: Path, environ: Mapping[str, str] | None = None) -> FileAccess:
        """`root` (made real), with the secret folders the runtime's operator allows in `environ`."""
        raw = (environ or {}).get(SECRET_DIRS_ENV, "")
        dirs = tuple(Path(os.path.realpath(d)) for d in raw.split(":") if d.strip())
        return cls(Path(os.path.realpath(root)), dirs)

    @classmethod
    def decide(cls, default: Path, environ: Mapping[str, str], override: str | None = None) -> FileAccess:
        """The run's root: `override` (`--root`), else `MTC_POLICYGEN_ROOT`, else the entry point's `default`;
        raises `UnreadableFileError` when a root given is not a folder."""
        given = override or environ.get(ROOT_ENV) or ""
        if given and not os.path.isdir(given):
            source = "--root" if override else ROOT_ENV
            raise UnreadableFileError(f"{source} {given}: not a folder", "bad-root")
        return cls.of(Path(given) if given else default, environ)

    def inside(self, path: Path) -> bool:
        """Whether `path` resolves (symlinks followed) inside the root."""
        real = Path(os.path.realpath(path))
        return real == self.root or real.is_relative_to(self.root)

    def locate(self, folder: Path, relative: str, field: str, *, secret: bool = False) -> Path:
        """`relative` (to `folder`) as a real path inside the allowed folders; raises `UnreadableFileError`
        naming the field (unless empty: the caller's problem names it), the path and the root when it is
        outside, before anything is read."""
        if "\x00" in relative:
            raise UnreadableFileError(f"{field}: the path holds a NUL byte" if field else "the path holds a NUL byte")
        real = Path(os.path.realpath(folder / relative))
        allowed = (self.root, *self.secret_dirs) if secret else (self.root,)
        if any(real == a or real.is_relative_to(a) for a in allowed):
            return real
        where = f"the root {self.root}" + (f" or {SECRET_DIRS_ENV}" if secret else "")
        fix = f"; allow its folder in {SECRET_DIRS_ENV}" if secret else f"; move it under {self.root}"
        named = f"{field}: {relative}" if field else relative  # no field: the problem's path names it
        message = f"{named} resolves outside {where}, so it is not read{fix}"
        raise UnreadableFileError(message, "outside-root")


def check_regular(path: Path) -> int:
    """The size of a regular file; raises `UnreadableFileError` for a folder, a FIFO, a device or a socket
    (checked by `stat`, before any open: opening a FIFO blocks until a writer comes)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFileError("no such file") from None
    except PermissionError:
        raise UnreadableFileError("permission denied") from None
    except (OSError, ValueError) as exc:
        raise UnreadableFileError(f"cannot read: {getattr(exc, 'strerror', None) or 'bad path'}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFileError("is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFileError("is not a regular file (a FIFO, device or socket is never read)")
    return info.st_size


def read_limited(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; raises `UnreadableFileError` (rule `file-too-large` when over).

    The size is checked before reading (a sparse file is refused without being read), and the read stops at
    `limit + 1` bytes whatever the size said (a file that grows meanwhile).
    """
    size = check_regular(path)
    if size > limit:
        raise UnreadableFileError(f"the file is {size:,} bytes; the limit is {limit:,}", "file-too-large")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except PermissionError:
        raise UnreadableFileError("permission denied") from None
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or 'error'}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the check and the open
            raise UnreadableFileError("is not a regular file (a FIFO, device or socket is never read)")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or 'error'}") from None
    finally:
        os.close(fd)
    if total > limit:
        raise UnreadableFileError(f"the file is more than {limit:,} bytes, the limit", "file-too-large")
    return b"".join(chunks)


NAME_MAX = 255  # bytes in one path component (Linux, macOS)
PATH_MAX = 4096  # bytes in a whole path, its terminating NUL included (Linux)


def path_limit_problem(raw: str) -> str | None:
    """Why the file system refuses `raw` by its length alone (ENAMETOOLONG), or None: a usage error to name."""
    try:
        encoded = os.fsencode(raw)
    except UnicodeEncodeError:
        return "the path cannot be encoded for the file system"
    if len(encoded) >= PATH_MAX:
        return f"the path is {len(encoded):,} bytes long; the limit is {PATH_MAX - 1:,}"
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return f"a file or folder name in the path is {len(longest):,} bytes long; the limit is {NAME_MAX}"
    return None
