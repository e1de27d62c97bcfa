"""The one pipeline every entry point runs: `check` a source, then `render` one of its clusters.

    source (spec file, spec text, a KRM function config already parsed) + Environment (decided once)
    check(source, env) -> Checked(pair, resolved, problems)   load -> resolve (reads every named file once) -> rules
    render(checked, cluster) -> ClusterRender                   plain data, from the same resolved pair

The command line (validate, generate, render, init, uninstall), the KRM function and the legacy plugin, the
Argo CD plugin, `appset` and preflight all call these two, so none of them loads, resolves or validates its own
way, and none filters problems afterwards: what differs between runtimes is said in the `Environment`.
Like the rest of the library this module never prints and never exits.
"""

from __future__ import annotations

from pathlib import Path

from generator.clusterpair.load import load_spec, parse_spec
from generator.clusterpair.model import Cluster, ClusterPair
from generator.clusterpair.yamlsource import shown
from generator.mtc.network import Environment
from generator.mtc.resolve import ResolvedPair, resolve
from generator.mtc.rules import validate
from generator.problems import Problem, ProblemsError, has_errors
from generator.records import record
from generator.render.plan import ClusterRender, render_cluster
from generator.secrets import install_secrets, password_for


@record
class SpecFile:
    """A spec on disk; `display` names it in problems (Argo CD: its path in the repository)."""

    path: Path
    display: str | None = None


@record
class SpecText:
    """A spec given as text (stdin, what `init` writes); relative paths in it are resolved from `spec_dir`."""

    text: str
    display: str
    spec_dir: Path


@record
class Parsed:
    """A spec an adapter parsed already (the KRM function config): `pair` None when it could not be."""

    pair: ClusterPair | None
    problems: tuple[Problem, ...] = ()


Source = SpecFile | SpecText | Parsed


@record
class Checked:
    """A checked spec: `resolved` is None only when the spec could not be loaded (then `problems` say why)."""

    resolved: ResolvedPair | None
    problems: list[Problem]

    @property
    def pair(self) -> ClusterPair | None:
        return self.resolved.spec if self.resolved is not None else None

    @property
    def failed(self) -> bool:
        return self.resolved is None or has_errors(self.problems)


def _load(source: Source, env: Environment) -> tuple[ClusterPair | None, list[Problem]]:
    if isinstance(source, SpecFile):
        return load_spec(source.path, source.display, env.files)
    if isinstance(source, SpecText):
        return parse_spec(source.text, source.display, source.spec_dir, env.files)
    return source.pair, list(source.problems)


def check(source: Source, env: Environment) -> Checked:
    """Load, resolve once (every base and named file is read here), run every rule on that resolved pair."""
    pair, problems = _load(source, env)
    if pair is None:
        return Checked(None, problems)
    resolved = resolve(pair, env)
    return Checked(resolved, [*problems, *validate(pair, env, resolved)])


def unknown_cluster(pair: ClusterPair, name: str, where: str, option: str, path: str = "") -> Problem | None:
    """The one "no such cluster" error: `option` says where the name came from (`--cluster`, an annotation)."""
    if any(c.name == name for c in pair.clusters):
        return None
    names = ", ".join(c.name for c in pair.clusters)
    return Problem.of(
        where,
        "unknown-cluster",
        f"{option} {shown(name)} is not a cluster of pair {pair.name!r}",
        path=path,
        suggestion=f"one of: {names}",
    )


def cluster_of(pair: ClusterPair, name: str, where: str, option: str, path: str = "") -> Cluster:
    """The cluster `name` of the pair; raises `ProblemsError` (`unknown_cluster`) when it has none."""
    problem = unknown_cluster(pair, name, where, option, path)
    if problem is not None:
        raise ProblemsError([problem])
    return next(c for c in pair.clusters if c.name == name)


def render(
    resolved: ResolvedPair, cluster: Cluster, *, credentials: bool = True, closed: bool | None = None
) -> ClusterRender:
    """One cluster of a checked pair. With `credentials`, the ones this cluster carries are read now (the proxy
    password, spec §8 Secrets); `closed` renders the openings closed or open whatever their state (uninstall,
    preflight)."""
    pair = resolved.spec
    if closed is not None:
        resolved = resolved.with_openings(closed=closed)
    if not credentials:
        return render_cluster(resolved, cluster, None)
    password, secrets = password_for(pair, cluster.name), install_secrets(pair, cluster.name)
    return render_cluster(resolved, cluster, password, secrets=secrets)


def render_all(resolved: ResolvedPair, *, closed: bool | None = None) -> list[ClusterRender]:
    """Every cluster of the pair, without credentials (what preflight and uninstall reason about)."""
    return [render(resolved, c, credentials=False, closed=closed) for c in resolved.spec.clusters]
