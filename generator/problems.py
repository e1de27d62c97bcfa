"""One problem type for every finding, whatever renders it.

Every check in the library (YAML loading, structure, MTC rules, file writing) reports a `Problem`; the CLI
and the plugin adapters only choose how to show them (text, JSON, GitHub annotations, KRM `results`).
The library never prints or exits: a fatal condition raises `ProblemsError` carrying the problems.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence

from generator.records import record


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for errors, 1 warnings, 2 info: the order problems of one place are listed in."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@functools.total_ordering
@record(kw_only=True)  # made by `Problem.of`: no positional field order to get wrong
class Problem:
    """A finding at a place in a file.

    `line` and `column` are 1-based; 0 means "the whole file" (a missing or unreadable file has no place).
    `path` is the dotted field path (`spec.namespaces[1].source`), empty for the document itself.
    """

    file: str
    line: int
    column: int
    path: str
    severity: Severity
    rule: str
    message: str
    suggestion: str = ""

    @classmethod
    def of(
        cls,
        file: str,
        rule: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        line: int = 0,
        column: int = 0,
        path: str = "",
        suggestion: str = "",
    ) -> Problem:
        """The one way the library makes a problem: where it is and how bad are keywords (an error of the whole
        file by default)."""
        return cls(
            file=file,
            line=line,
            column=column,
            path=path,
            severity=severity,
            rule=rule,
            message=message,
            suggestion=suggestion,
        )

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str, str, int, str]:
        """The one order of problems: by place, then rule and message; `sorted_problems` orders files as given."""
        return (
            self.file,
            self.line,
            self.column,
            self.rule,
            self.message,
            self.path,
            self.severity.rank,
            self.suggestion,
        )

    def __lt__(self, other: object) -> bool:
        # Never compares Severity members themselves (an Enum has no order): ties in place sort by rank.
        if not isinstance(other, Problem):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def location(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def text(self) -> str:
        """`file:line:col: severity: field.path: message (suggestion) [rule]`, the format of spec §6."""
        head = f"{self.location()}: {self.severity.value}: "
        if self.path:
            head += f"{self.path}: "
        tail = f" ({self.suggestion})" if self.suggestion else ""
        return f"{head}{self.message}{tail} [{self.rule}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "suggestion": self.suggestion,
        }


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Files in the order they were given, each in position order, duplicates removed."""
    items = list(problems)
    file_order: dict[str, int] = {}
    for problem in items:
        file_order.setdefault(problem.file, len(file_order))
    return sorted(set(items), key=lambda p: (file_order[p.file], *p.sort_key()[1:]))


def has_errors(problems: Iterable[Problem], *, strict: bool = False) -> bool:
    return any(p.is_error or (strict and p.severity is Severity.WARNING) for p in problems)


class ProblemsError(Exception):
    """Raised by the library when it cannot go on; carries the problems that say why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted_problems(problems)
        super().__init__("\n".join(p.text() for p in self.problems))

    @classmethod
    def of(
        cls, file: str, rule: str, message: str, *, line: int = 0, column: int = 0, suggestion: str = ""
    ) -> ProblemsError:
        """A fatal error of one problem (`Problem.of`, an error): an unreadable file, a broken document."""
        return cls([Problem.of(file, rule, message, line=line, column=column, suggestion=suggestion)])


# --- renderings -------------------------------------------------------------------------------------------


def format_text(problems: Iterable[Problem]) -> str:
    return "".join(p.text() + "\n" for p in sorted_problems(problems))


def format_json(problems: Iterable[Problem]) -> str:
    import json  # noqa: PLC0415 - only --format json needs it; keeps start-up small

    return json.dumps([p.as_dict() for p in sorted_problems(problems)], indent=2, sort_keys=True) + "\n"


def _github_escape(value: str, *, property_value: bool = False) -> str:
    # GitHub workflow commands: %, CR and LF always; ':' and ',' inside properties.
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(problems: Iterable[Problem]) -> str:
    lines = []
    for p in sorted_problems(problems):
        level = {"error": "error", "warning": "warning", "info": "notice"}[p.severity.value]
        props = [f"file={_github_escape(p.file, property_value=True)}"]
        if p.line > 0:
            props += [f"line={p.line}", f"col={p.column}"]
        props.append(f"title={_github_escape(p.rule, property_value=True)}")
        text = f"{p.path}: {p.message}" if p.path else p.message
        if p.suggestion:
            text += f" ({p.suggestion})"
        lines.append(f"::{level} {','.join(props)}::{_github_escape(text)}\n")
    return "".join(lines)


def krm_results(problems: Iterable[Problem]) -> list[dict[str, object]]:
    """KRM function `results` entries (functions-spec: message, severity, field, file, tags)."""
    results: list[dict[str, object]] = []
    for p in sorted_problems(problems):
        result: dict[str, object] = {"message": p.message, "severity": p.severity.value}
        if p.path:
            field: dict[str, object] = {"path": p.path}
            if p.suggestion:
                field["proposedValue"] = p.suggestion
            result["field"] = field
        result["file"] = {"path": p.file}
        result["tags"] = {"rule": p.rule, "position": f"{p.line}:{p.column}"}
        results.append(result)
    return results
