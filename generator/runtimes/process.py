"""One pass of the function, shared by every runtime: config -> pair -> rendered cluster -> edited items."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from generator import pipeline
from generator.clusterpair.files import FileAccess
from generator.mtc.network import Environment
from generator.mtc.openings import now_from
from generator.problems import Problem, ProblemsError, has_errors
from generator.records import record
from generator.runtimes import nodes
from generator.runtimes.config import CLUSTER_ANNOTATION, file_access, read_config
from generator.transform import plan_transform

# A whole kustomize build or kpt package. Reading one costs about 80 MiB of memory and 1.7 s of CPU per MiB
# (50,000 ConfigMaps, 5 MiB: 425 MiB, 9 s; bench/README.md): 32 MiB stays within about 2.5 GiB.
MAX_INPUT_BYTES = 32 * 1024 * 1024


@record
class Outcome:
    items: list[yaml.Node]  # the input items when anything failed: a tool must never lose them
    problems: list[Problem]

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def run_pass(items: list[yaml.Node], config: object, cwd: Path, environ: Mapping[str, str]) -> Outcome:
    """Never raises for bad input: every failure is a problem, and the items come back untouched.

    The run's root is decided here, once, from the config and `environ` (generator/runtimes/config.py)."""
    try:
        return _run(items, config, cwd, file_access(config, cwd, environ))
    except ProblemsError as exc:
        return Outcome(items, list(exc.problems))


def _run(items: list[yaml.Node], config: object, cwd: Path, files: FileAccess) -> Outcome:
    read = read_config(config, cwd, files)
    # The items are the base here: a `base` folder is not read, and a firewall without `rules:` is found among them.
    env = Environment(check_base=False, items_as_base=True, files=files, now=now_from(os.environ))
    checked = pipeline.check(pipeline.Parsed(read.pair, tuple(read.problems)), env)
    if checked.resolved is None or checked.failed:
        return Outcome(items, checked.problems)
    pair = checked.resolved.spec
    try:
        path = f"metadata.annotations.{CLUSTER_ANNOTATION}"
        cluster = pipeline.cluster_of(pair, read.cluster, read.where, f"{CLUSTER_ANNOTATION}:", path)
    except ProblemsError as exc:  # alone: the pair's other findings belong to a cluster not chosen yet
        return Outcome(items, list(exc.problems))
    render = pipeline.render(checked.resolved, cluster)  # reads the proxy password now, when this cluster carries it
    heads = [nodes.head(item, f"items[{i}]") for i, item in enumerate(items)]
    plan = plan_transform(pair, render, heads)
    return Outcome(nodes.apply(plan, items), [*checked.problems, *plan.problems])
