"""Parse YAML text into a `Source` (generator/clusterpair/yamlsource.py), within the safety limits declared there.

Split from yamlsource so that PyYAML is imported where text is parsed, not wherever a `Source` is named.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from generator.clusterpair.yamlsource import MAX_DEPTH, MAX_NODES, SHOWN_CHARS, PathKey, Source
from generator.problems import Problem, ProblemsError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
