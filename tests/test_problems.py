"""Problems (generator/problems.py): their order."""

from __future__ import annotations

from generator.problems import Problem, Severity, sorted_problems

E, W = Severity.ERROR, Severity.WARNING


def test_problems_sort_without_comparing_severities() -> None:
    """Two problems at one place that differ only in severity: dataclass ordering used to compare the Enum."""
    error = Problem.of("spec.yaml", "rule", "message", line=3, column=5, path="spec.x", severity=E)
    warning = Problem.of("spec.yaml", "rule", "message", line=3, column=5, path="spec.x", severity=W)
    info = Problem.of("spec.yaml", "rule", "message", line=3, column=5, path="spec.x", severity=Severity.INFO)
    assert sorted([info, warning, error]) == [error, warning, info]
    assert sorted_problems([info, warning, error, error]) == [error, warning, info]
