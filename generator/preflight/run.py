"""Preflight as one library call, and its three renderings (text table, JSON, GitHub annotations).

`preflight()` never prints and never exits: it returns the report, or the problems that stopped it. Problems
whose rule is in `UNREADABLE_RULES` mean bad usage or unreadable state (exit 2 in the CLI).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from generator.mtc.network import Environment
from generator.pipeline import SpecFile, check, render_all
from generator.preflight.analyse import Report, Row, analyse
from generator.preflight.state import ClusterState, load_state_file, load_state_live, missing_namespaces
from generator.problems import Problem, ProblemsError, Severity, format_github, format_text, sorted_problems
from generator.records import record

UNREADABLE_RULES = frozenset(
    {
        "unreadable-file",
        "file-too-large",
        "not-yaml",
        "too-deep",
        "yaml-alias",
        "state-object",
        "state-item",
        "state-empty",
        "unreadable-state",
        "state-namespace-missing",
        "preflight-usage",
    }
)


@record(frozen=False)
class Outcome:
    report: Report | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def unreadable(self) -> bool:
        return any(p.rule in UNREADABLE_RULES and p.is_error for p in self.problems)


def _usage(file: str, message: str, fix: str = "") -> Problem:
    return Problem.of(file, "preflight-usage", message, suggestion=fix)


def preflight(
    spec: Path,
    states: Mapping[str, Path],
    contexts: Mapping[str, str] | None = None,
    *,
    kubectl: str | None = None,
    env: Environment | None = None,
) -> Outcome:
    """Load the spec and each cluster's state (a file, or live through kubectl), render, evaluate."""
    env = env or Environment()
    contexts = contexts or {}
    checked = check(SpecFile(spec), env)  # resolves once: the bases are read here, and only here
    problems = checked.problems
    if checked.resolved is None or checked.failed:
        return Outcome(None, problems)
    resolved, pair = checked.resolved, checked.resolved.spec
    names = [c.name for c in pair.clusters]
    problems += _cluster_problems(str(spec), pair.name, names, [*states, *contexts])
    if any(p.is_error for p in problems):
        return Outcome(None, problems)
    loaded, load_problems = _load_states(names, states, contexts, kubectl)
    problems += load_problems
    if not any(p.is_error for p in problems):
        problems += missing_namespaces(loaded[pair.source.name], pair.source.name, (m.source for m in pair.namespaces))
    if any(p.is_error for p in problems):
        return Outcome(None, problems)
    renders = render_all(resolved)
    # open, the pair renders what it renders now but for the deadline's annotation, which preflight never reads
    opened = renders if not resolved.openings.closed else render_all(resolved, closed=False)
    report = analyse(resolved, loaded, renders, (opened, render_all(resolved, closed=True)))
    return Outcome(report, problems)


def _cluster_problems(spec: str, pair: str, names: list[str], given: list[str]) -> list[Problem]:
    """Usage problems of the clusters named by --state and --context: unknown, given twice, or missing."""
    out = [
        _usage(spec, f"{name!r} is not a cluster of pair {pair!r}", f"one of: {', '.join(names)}")
        for name in sorted(set(given) - set(names))
    ]
    out += [
        _usage(spec, f"cluster {name!r} has both --state and --context; give one")
        for name in sorted(n for n in set(given) if given.count(n) > 1)
    ]
    out += [
        _usage(spec, f"no state for cluster {name!r}", f"pass --state {name}=FILE or --context {name}=CONTEXT")
        for name in names
        if name not in given
    ]
    return out


def _load_states(
    names: list[str], states: Mapping[str, Path], contexts: Mapping[str, str], kubectl: str | None
) -> tuple[dict[str, ClusterState], list[Problem]]:
    """Each cluster's state, from its file or live through kubectl, and the problems of those that cannot be read."""
    loaded: dict[str, ClusterState] = {}
    problems: list[Problem] = []
    for name in names:
        try:
            loaded[name] = load_state_file(states[name]) if name in states else load_state_live(contexts[name], kubectl)
        except ProblemsError as exc:
            problems += exc.problems
    return loaded, problems


# --- renderings ----------------------------------------------------------------------------------------------


def _cell(row: Row, when: str) -> str:
    verdict = {"today": row.today, "after": row.after, "closed": row.closed}[when]
    if verdict is None:
        return "-"
    return "allowed" if verdict.allowed else "BLOCKED"


def format_report_text(report: Report) -> str:
    """A table, then the reason for every blocked connection, then the findings."""
    lines = [f"preflight {report.pair} ({report.spec_file})", "", *_table_lines(report)]
    details = [r for r in report.rows if not (r.today.allowed and r.after.allowed) or _still_open(r)]
    if details:
        lines.append("")
    for r in details:
        lines += _detail_lines(r)
    if report.findings:
        lines += ["", "findings:"]
        lines += [f"  {p.text()}" for p in sorted_problems(report.findings)]
    blocked = sum(not r.after.allowed for r in report.rows)
    lines += ["", f"{blocked} of {len(report.rows)} connection(s) blocked after the generated output"]
    return "\n".join(lines) + "\n"


def _table_lines(report: Report) -> list[str]:
    """The header and a row per connection, each column as wide as its widest cell."""
    header = ("NAMESPACE", "CONNECTION", "CLUSTER", "TODAY", "AFTER", "CLOSED")
    cells = [
        (
            f"{r.source_namespace}->{r.target_namespace}",
            r.connection,
            f"{r.cluster}/{r.namespace}",
            _cell(r, "today"),
            _cell(r, "after"),
            _cell(r, "closed"),
        )
        for r in report.rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *cells, strict=False)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in (header, *cells)]


def _detail_lines(r: Row) -> list[str]:
    """Why one connection is blocked (or still open after closing), and the change that opens it."""
    lines = [f"{r.source_namespace}->{r.target_namespace} {r.description} [{r.cluster}/{r.namespace}]"]
    for label, verdict in (("today", r.today), ("after", r.after)):
        lines += [f"  {label}: blocked by {b.text()}" for b in verdict.blockers]
        lines += [f"  {label}: note: {note}" for note in verdict.notes]
    lines.append(f"  change: {r.change}")
    if _still_open(r):
        lines.append(f"  after closing: {_closed_text(r)}")
    return lines


def _still_open(row: Row) -> bool:
    """After closing, the connection is still allowed: by the cluster's own objects, which are not ours."""
    return row.closed is not None and row.closed.allowed


def _closed_text(row: Row) -> str:
    assert row.closed is not None  # noqa: S101 - called for rows with a closed verdict
    if row.closed.allowed_by_theirs:
        return "still allowed by " + ", ".join(row.closed.allowed_by_theirs) + " (the cluster's own, not ours)"
    return "still allowed: no NetworkPolicy or egress firewall of the cluster restricts it"


def format_report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n"


def report_problems(report: Report) -> list[Problem]:
    """Blocked connections as problems at their namespace entry in the spec, plus the findings."""
    out = list(report.findings)
    for r in report.rows:
        if r.after.allowed and r.today.allowed:
            continue
        severity = Severity.ERROR if not r.after.allowed else Severity.INFO
        why = "; ".join(b.text() for b in (r.after if not r.after.allowed else r.today).blockers)
        state = "blocked after the generated output" if not r.after.allowed else "blocked today"
        out.append(
            Problem.of(
                report.spec_file,
                f"dvm-{r.connection}",
                (
                    f"{r.source_namespace}->{r.target_namespace} {r.description} on {r.cluster}: {state} ({why}); "
                    f"{r.change}"
                ),
                severity=severity,
                line=r.spec_line,
                column=r.spec_column,
            )
        )
    return out


def format_report_github(report: Report) -> str:
    return format_github(report_problems(report))


def format_problems(problems: list[Problem], fmt: str) -> str:
    if fmt == "json":
        return (
            json.dumps({"problems": [p.as_dict() for p in sorted_problems(problems)]}, indent=2, sort_keys=True) + "\n"
        )
    if fmt == "github":
        return format_github(problems)
    return format_text(problems)
