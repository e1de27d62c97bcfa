"""Render and preflight stay linear: the cost per namespace (or per policy) at 10x the size stays flat.

Test design notes:
- Not a timed test: each check is a ratio of two CPU-time measurements made in this one process, so a fast or
  a slow machine moves both sides. A lookup that scans every namespace once per namespace makes the cost per
  namespace grow with the size (10x here); linear code keeps it flat (measured about 1.0-1.1).
- Best of a few repeats on each side, cyclic GC off (as the CLI runs), so other load on the machine can only
  make a run slower, never the ratio pass by luck. The limit 1.5 leaves room for noise and none for a
  quadratic path (at 10x the size, one costs 2x-10x per namespace).
- The specs and states are the benchmark's own (bench/run.py, bench/preflight.py).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import preflight as preflight_bench
from bench import run as bench
from generator import pipeline
from generator.mtc.network import Environment

MAX_GROWTH = 1.5


def _best_cpu(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def _growth(small: Callable[[], object], large: Callable[[], object], factor: int) -> float:
    """Cost per unit at the large size over cost per unit at the small one (1.0: exactly linear)."""
    small()  # warm: imports and caches are not what is measured
    return _best_cpu(large, 2) / factor / _best_cpu(small, 3)


def _render(spec: Path, cluster: str) -> None:
    """`render` up to its objects: load, validate, render one cluster (the YAML dump is PyYAML's, linear, and
    timed against its floor by the benchmark)."""
    checked = pipeline.check(pipeline.SpecFile(spec), Environment())
    assert checked.resolved is not None, checked.problems
    assert not checked.problems
    pair = checked.resolved.spec
    assert pipeline.render(checked.resolved, pipeline.cluster_of(pair, cluster, str(spec), "--cluster")).objects()


def test_render_cost_per_namespace_is_flat(tmp_path: Path) -> None:
    small_spec, small_cluster = bench.render_spec(tmp_path, 500)
    large_spec, large_cluster = bench.render_spec(tmp_path, 5_000)
    growth = _growth(lambda: _render(small_spec, small_cluster), lambda: _render(large_spec, large_cluster), 10)
    assert growth <= MAX_GROWTH, f"render: cost per namespace grows {growth:.2f}x from 500 to 5,000 namespaces"


@pytest.mark.parametrize(
    ("small", "large", "factor", "what"),
    [
        pytest.param((100, 1), (1_000, 1), 10, "namespace", id="namespaces"),
        pytest.param((20, 10), (20, 100), 10, "policy", id="policies"),
    ],
)
def test_preflight_cost_is_flat(
    tmp_path: Path, small: tuple[int, int], large: tuple[int, int], factor: int, what: str
) -> None:
    cases = [preflight_bench.write_case(tmp_path, *size) for size in (small, large)]
    growth = _growth(
        lambda: preflight_bench.run_preflight(*cases[0]),
        lambda: preflight_bench.run_preflight(*cases[1]),
        factor,
    )
    assert growth <= MAX_GROWTH, f"preflight: cost per {what} grows {growth:.2f}x from {small} to {large}"
