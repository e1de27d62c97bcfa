"""Parse YAML text into a `Source` (generator/clusterpair/yamlsource.py), within the safety limits declared there.

Split from yamlsource so that PyYAML is imported where text is parsed, not wherever a `Source` is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from generator.clusterpair.yamlsource import MAX_DEPTH, MAX_NODES, SHOWN_CHARS, PathKey, Source
from generator.problems import Problem, ProblemsError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_depth(text: str, display: str) -> None:
    """Refuse deep nesting before composing: libyaml's composer recurses in C and overflows the stack."""
    check_nesting(text, display, MAX_DEPTH + 1, f"the document nests deeper than {MAX_DEPTH} levels")


def check_nesting(text: str, display: str, limit: int, message: str, *, anchors: str = "") -> None:
    """Refuse nesting deeper than `limit` collections (`too-deep`, `message`) and, given `anchors` (the message),
    any anchor or alias (`yaml-alias`), at the event that shows it. The event pass costs about a third of a
    load: it is skipped when the text alone proves there is nothing to refuse."""
    if nesting_within(text, limit) and not (anchors and may_hold_anchors(text)):
        return
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                raise _event_problem(display, "too-deep", message, event)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if anchors and (isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)):
            raise _event_problem(display, "yaml-alias", anchors, event)


def _event_problem(display: str, rule: str, message: str, event: yaml.Event) -> ProblemsError:
    mark = event.start_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return ProblemsError([Problem.of(display, rule, message, line=line, column=column)])


# An anchor (&) or alias (*) can only start a node: at a line start or after a blank or an indicator.
_PROPERTY = re.compile(r"(?:^|[\s\[\]{},:?!-])[&*]", re.MULTILINE)
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # libyaml breaks lines on these too


def may_hold_anchors(text: str) -> bool:
    """False when no anchor or alias can be in `text` (neither indicator stands where a node can start)."""
    return ("&" in text or "*" in text) and _PROPERTY.search(text) is not None


def nesting_within(text: str, limit: int) -> bool:
    """True when `text` provably nests no deeper than `limit` collections; False when it cannot tell.

    Block collections nest by indentation: a child starts at least one column right of its parent, except a
    sequence at its mapping key's column, which cannot repeat without an indented mapping between. So block
    depth is at most 2 x (the last column a block collection can start at) + 1, and that column is within the
    run of blanks and indicators (`-`, `?`, `:`) that begins a line. Flow collections add at most one level per
    `[` or `{` that does not close at once, plus one for an empty pair. Lines must break on `\n` only.
    """
    if any(brk in text for brk in _OTHER_BREAKS):
        return False
    flow = text.count("[") - text.count("[]") + text.count("{") - text.count("{}") + 1
    column_budget = (limit - flow - 1) // 2  # block depth 2c + 1 must leave room for the flow levels
    if column_budget < 0:
        return False
    too_far = rf"[ \t?:-]{{{column_budget + 1}}}"  # a line whose start runs past the budget
    return re.match(too_far, text) is None and re.search("\n" + too_far, text) is None


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
