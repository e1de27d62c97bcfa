"""A YAML document read into plain data that keeps the line and column of every node (`Source`), how paths
in it are named, and the bounded reading and decoding of its text.

The YAML parser itself is generator/clusterpair/yamlparse.py, imported only where text is parsed: a `Source`
kept from an earlier run (a no-op `generate`) needs no parser. Safety limits make hostile input fail fast with
a clear problem instead of hanging or eating memory: a size cap, a node budget that also stops alias bombs
(aliases are expanded while walking), and a depth cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from pathlib import Path

from generator.clusterpair.files import UnreadableFileError, check_regular, read_limited
from generator.problems import Problem, ProblemsError, Severity
from generator.records import record

PathKey = tuple[str | int, ...]

MAX_BYTES = 4 * 1024 * 1024  # a ClusterPair is a few KB; 10,000 namespaces fit in well under 1 MiB
MAX_NODES = 500_000  # bounds alias expansion ("billion laughs") and huge documents alike
MAX_DEPTH = 64

SHOWN_CHARS = 40  # the most of a value or key a message quotes back


def shown(value: object, *, quote: bool = True) -> str:
    """`repr(value)` (`str` without `quote`) for a message, cut to a few dozen characters: a message never
    carries a whole file back. A number too long to print (Python refuses ints over 4,300 digits) is described."""
    try:
        text = repr(value) if quote else str(value)
    except ValueError:
        return "a number of thousands of digits"
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[: SHOWN_CHARS - 4]}...{text[-1]}" if quote else f"{text[: SHOWN_CHARS - 3]}..."


def dotted(path: PathKey) -> str:
    """`("spec", "namespaces", 1, "source")` -> `spec.namespaces[1].source`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@record
class Source:
    """A loaded document: its plain data and where each value (and each mapping key) stands in the file."""

    file: str
    data: object
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # the file's bytes exactly as parsed (None for text not read from a file): a digest of the input must be
    # of these, never of a second read that an edit in between could make differ
    raw: bytes | None = field(default=None, compare=False, repr=False)

    def position(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its closest ancestor present in the file (a missing field)."""
        if key and path in self.key_marks:
            return self.key_marks[path]
        probe = path
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))

    def problem(
        self,
        path: PathKey,
        rule: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        suggestion: str = "",
        key: bool = False,
    ) -> Problem:
        line, column = self.position(path, key=key)
        return Problem.of(
            self.file,
            rule,
            message,
            severity=severity,
            line=line,
            column=column,
            path=dotted(path),
            suggestion=suggestion,
        )


def read_bounded(
    path: Path, display: str, *, limit: int, expected: str, too_large: Callable[[int], str], fix: str = ""
) -> bytes:
    """Read at most `limit` bytes of a regular file, or raise a clean file-level problem (never a traceback).

    `expected` names what the file should be (for a folder given instead); `too_large(size)` is the message
    for a file over `limit`, with `fix` as its suggestion. A FIFO, device or socket is refused before it is
    opened (generator/clusterpair/files.py), and the read itself is bounded too.
    """
    try:
        size = check_regular(path)
        if size > limit:
            raise ProblemsError.of(display, "file-too-large", too_large(size), suggestion=fix)
        return read_limited(path, limit)
    except UnreadableFileError as exc:
        message = f"{exc}, expected {expected}" if str(exc) == "is a directory" else str(exc)
        raise ProblemsError.of(
            display, exc.rule, message, suggestion=fix if exc.rule == "file-too-large" else ""
        ) from None


def read_text(path: Path, display: str) -> str:
    """Read a spec file as UTF-8 text, refusing what is not a small text file."""
    return decode(read_spec_bytes(path, display), display)


def read_spec_bytes(path: Path, display: str) -> bytes:
    """Read a spec file's bytes, refusing what is not a small regular file."""
    return read_bounded(
        path,
        display,
        limit=MAX_BYTES,
        expected="a ClusterPair YAML file",
        too_large=lambda size: f"file is {size:,} bytes; a ClusterPair spec must be under {MAX_BYTES:,} bytes",
        fix="split the namespaces over several ClusterPair specs",
    )


def decode(raw: bytes, display: str, limit: int = MAX_BYTES, *, expected: str = "a YAML text file") -> str:
    """UTF-8 text of at most `limit` bytes (a spec by default; a ResourceList passes its own, larger limit)."""
    if len(raw) > limit:
        raise ProblemsError.of(display, "file-too-large", f"input is {len(raw):,} bytes; the limit is {limit:,}")
    if b"\x00" in raw:
        raise ProblemsError.of(display, "not-yaml", f"binary data (NUL bytes), expected {expected}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemsError.of(display, "not-yaml", f"not UTF-8 text (byte {exc.start})") from None
