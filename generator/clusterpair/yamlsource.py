"""Read one YAML document into plain data while keeping the line and column of every node.

Safety limits make hostile input fail fast with a clear problem instead of hanging or eating memory: a size
cap, a node budget that also stops alias bombs (aliases are expanded while walking), and a depth cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path

import yaml

from generator.clusterpair.files import UnreadableFileError, check_regular, read_limited
from generator.problems import Problem, ProblemsError, Severity
from generator.records import record

PathKey = tuple[str | int, ...]

MAX_BYTES = 4 * 1024 * 1024  # a ClusterPair is a few KB; 10,000 namespaces fit in well under 1 MiB
MAX_NODES = 500_000  # bounds alias expansion ("billion laughs") and huge documents alike
MAX_DEPTH = 64

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def decode(raw: bytes, display: str, limit: int = MAX_BYTES) -> str:
    """UTF-8 text of at most `limit` bytes (a spec by default; a ResourceList passes its own, larger limit)."""
    if len(raw) > limit:
        raise ProblemsError.of(display, "file-too-large", f"input is {len(raw):,} bytes; the limit is {limit:,}")
    if b"\x00" in raw:
        raise ProblemsError.of(display, "not-yaml", "binary data (NUL bytes), expected a YAML text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemsError.of(display, "not-yaml", f"not UTF-8 text (byte {exc.start})") from None


def check_depth(text: str, display: str) -> None:
    """Refuse deep nesting before composing: libyaml's composer recurses in C and overflows the stack."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:
                line, column = (event.start_mark.line + 1, event.start_mark.column + 1) if event.start_mark else (1, 1)
                message = f"the document nests deeper than {MAX_DEPTH} levels"
                raise ProblemsError([Problem.of(display, "too-deep", message, line=line, column=column)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _single_node(text: str, display: str) -> yaml.Node:
    nodes = compose_documents(text, display)
    if not nodes:
        raise ProblemsError.of(
            display, "empty-document", "the file holds no YAML document", suggestion="write a ClusterPair"
        )
    if len(nodes) > 1:
        second = nodes[1].start_mark
        raise ProblemsError(
            [
                Problem.of(
                    display,
                    "multiple-documents",
                    "expected one YAML document, found several",
                    line=second.line + 1,
                    column=second.column + 1,
                    suggestion="put each ClusterPair in its own file",
                )
            ]
        )
    return nodes[0]


def _syntax_hint(text: str, mark: yaml.Mark | None) -> str:
    """A fix for the syntax errors whose PyYAML wording does not say it: a tab in the indentation."""
    if mark is None:
        return ""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[: len(line) - len(line.lstrip())]:
        return "tabs are not allowed for indentation in YAML; use spaces"
    return ""


def compose_documents(text: str, display: str) -> list[yaml.Node]:
    """The non-empty documents of a YAML stream as nodes (with marks), within the depth limit."""
    try:
        check_depth(text, display)
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        hint = _syntax_hint(text, mark)
        what = what if len(what) <= 2 * SHOWN_CHARS else f"{what[: 2 * SHOWN_CHARS]}..."  # may quote the file
        raise ProblemsError(
            [Problem.of(display, "yaml-syntax", f"invalid YAML: {what}", line=line, column=column, suggestion=hint)]
        ) from None
    except yaml.reader.ReaderError as exc:  # control characters or bad encoding: not a YAML text file
        raise ProblemsError.of(display, "not-yaml", f"{exc.reason} (character offset {exc.position})") from None
    except yaml.YAMLError as exc:
        raise ProblemsError.of(display, "yaml-syntax", f"invalid YAML: {exc}") from None
    return [n for n in nodes if not (isinstance(n, yaml.ScalarNode) and n.tag.endswith(":null"))]


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _Walker:
    """Turns a composed node graph into plain data, recording marks, within the node and depth budgets."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.marks: dict[PathKey, tuple[int, int]] = {}
        self.key_marks: dict[PathKey, tuple[int, int]] = {}
        self.budget = MAX_NODES
        self.constructor = _Loader("")

    def fail(self, node: yaml.Node, rule: str, message: str, suggestion: str = "") -> ProblemsError:
        mark = node.start_mark
        return ProblemsError(
            [Problem.of(self.display, rule, message, line=mark.line + 1, column=mark.column + 1, suggestion=suggestion)]
        )

    def walk(self, node: yaml.Node, path: PathKey) -> object:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(
                node, "too-many-nodes", f"the document expands to more than {MAX_NODES:,} nodes (alias bomb?)"
            )
        if len(path) > MAX_DEPTH:
            raise self.fail(node, "too-deep", f"the document nests deeper than {MAX_DEPTH} levels")
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag in _NUMBER_TAGS and ":" in str(node.value):
            raise self.fail(
                node,
                "yaml-syntax",
                f"{node.value} is read by YAML 1.1 as a base-60 number, not as written",
                "write the number itself, or quote the value if it is text",
            )
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            # a bad explicit tag (`!!int xyz`, `!!timestamp 2001-13-45`) fails inside PyYAML's constructors
            raise self.fail(node, "yaml-syntax", f"cannot read this value as {node.tag}") from None

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in self._pairs(node):
            if not isinstance(key_node, yaml.ScalarNode) or not key_node.tag.endswith(":str"):
                raise self.fail(key_node, "non-string-key", "mapping keys must be plain strings")
            key = str(key_node.value)
            if key in result:
                raise self.fail(key_node, "duplicate-key", f"key {key!r} appears twice in this mapping")
            self.key_marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.walk(value_node, (*path, key))
        return result

    def _pairs(self, node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # `<<: *anchor` merge keys would hide where values come from; specs are small enough without.
                raise self.fail(key_node, "merge-key", "YAML merge keys (<<) are not supported in a ClusterPair")
            yield key_node, value_node


def load_yaml(text: str, display: str) -> Source:
    """Parse `text` (one YAML document) into a `Source`; raises `ProblemsError` on anything unreadable."""
    return source_of(_single_node(text, display), display)


def source_of(node: yaml.Node, display: str) -> Source:
    """A composed document (from `compose_documents`) as plain data with its marks, within the budgets."""
    walker = _Walker(display)
    try:
        data = walker.walk(node, ())
    except RecursionError:
        raise walker.fail(node, "too-deep", "the document nests too deeply") from None
    return Source(display, data, walker.marks, walker.key_marks)
