"""Preflight's findings besides the connection verdicts, one module per kind: egress firewalls (count, name,
Deny 0.0.0.0/0, limits), router namespace labels, pod security, noProxy, namespaces missing from the state, and
a network plugin preflight does not know.
"""

from __future__ import annotations

from generator.preflight.state import ClusterState
from generator.problems import Problem, Severity


def finding(state: ClusterState, path: str, severity: Severity, rule: str, message: str, fix: str = "") -> Problem:  # noqa: PLR0917
    return Problem.of(state.origin, rule, message, severity=severity, path=path, suggestion=fix)
