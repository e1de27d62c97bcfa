"""Problems (generator/problems.py): their order."""

from __future__ import annotations

from generator.problems import Problem, Severity, sorted_problems

E, W = Severity.ERROR, Severity.WARNING


def test_problems_sort_without_comparing_severities() -> None:
    """Two problems at one place that differ only in severity: dataclass ordering used to compare the Enum."""
    error = Problem("spec.yaml", 3, 5, "spec.x", E, "rule", "message")
    warning = Problem("spec.yaml", 3, 5, "spec.x", W, "rule", "message")
    info = Problem("spec.yaml", 3, 5, "spec.x", Severity.INFO, "rule", "message")
    assert sorted([info, warning, error]) == [error, warning, info]
    assert sorted_problems([info, warning, error, error]) == [error, warning, info]
