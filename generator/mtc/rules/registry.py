"""The rule registry and the runner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from generator.mtc.network import Environment
from generator.problems import Problem, Severity, sorted_problems
from generator.spec.model import ClusterPair
from generator.spec.yamlsource import PathKey


@dataclass(frozen=True)
class Finding:
    path: PathKey
    message: str
    severity: Severity = Severity.ERROR
    suggestion: str = ""
    key: bool = False  # point at the mapping key rather than its value
    elsewhere: Problem | None = None  # a problem located in another file the spec names (a mirror mapping)


@dataclass(frozen=True)
class RuleContext:
    pair: ClusterPair
    env: Environment


RuleFunc = Callable[[RuleContext], Iterable[Finding]]
RULES: dict[str, RuleFunc] = {}


def rule(rule_id: str) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id!r} registered twice")
        RULES[rule_id] = func
        return func

    return register


def validate(pair: ClusterPair, env: Environment | None = None) -> list[Problem]:
    """Every domain problem of a structurally valid ClusterPair, sorted by position."""
    ctx = RuleContext(pair, env or Environment())
    doc = pair.source_doc
    problems = [
        f.elsewhere
        or doc.problem(f.path, rule_id, f.message, severity=f.severity, suggestion=f.suggestion, key=f.key)
        for rule_id, func in RULES.items()
        for f in func(ctx)
    ]
    return sorted_problems(problems)
