"""The rule registry and the runner.

One check per rule id, each with a default severity; its docstring says why it exists, which fact it rests
on, and shows a passing and a failing example (yamllint style). The catalogue is `RULES` / `SEVERITIES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator.clusterpair.model import ClusterPair
from generator.clusterpair.yamlsource import PathKey
from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair
from generator.problems import Problem, Severity, sorted_problems
from generator.records import record


@record
class Finding:
    """What a rule reports: where, what, and optionally how severe and how to fix it."""

    path: PathKey
    message: str
    severity: Severity | None = None  # None: the rule's default severity
    suggestion: str = ""
    key: bool = False  # point at the mapping key rather than its value
    elsewhere: Problem | None = None  # a problem located in another file the spec names (a mirror mapping)


@record
class RuleContext:
    """What every rule reads: the spec, the environment and the pair resolved once."""

    pair: ClusterPair
    env: Environment
    resolved: ResolvedPair  # decided once per pair: versions, capabilities, endpoint, proxy, networks, bases


RuleFunc = Callable[[RuleContext], Iterable[Finding]]
RULES: dict[str, RuleFunc] = {}
SEVERITIES: dict[str, Severity] = {}


def rule(rule_id: str, severity: Severity = Severity.ERROR) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id!r} registered twice")
        RULES[rule_id] = func
        SEVERITIES[rule_id] = severity
        return func

    return register


def validate(pair: ClusterPair, env: Environment, resolved: ResolvedPair) -> list[Problem]:
    """Every domain problem of a structurally valid ClusterPair, sorted by position.

    `resolved` is the pair's resolved form (generator/pipeline.py `check`): the render reads the same one.
    """
    ctx = RuleContext(pair, env, resolved)
    doc = pair.source_doc
    problems = [
        f.elsewhere
        or doc.problem(
            f.path, rule_id, f.message, severity=f.severity or SEVERITIES[rule_id], suggestion=f.suggestion, key=f.key
        )
        for rule_id, func in RULES.items()
        for f in func(ctx)
    ]
    return sorted_problems(problems)
