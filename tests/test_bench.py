"""The benchmark compares like with like: its floor prints what the renderer prints, and its pipeline is `render`.

Test design notes:
- bench/run.py is a measurement, never a timed test; this module only checks its method, on small specs.
- The floor (PyYAML's CSafeDumper with `FLOOR_OPTIONS`) must print byte for byte the text `dump_stream` prints for
  the benchmark's objects, or the render ratio would compare different output.
- The in-process pipeline must print what `mtc-policygen render` prints, and run with the cyclic GC off, as the
  CLI does.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from bench import run as bench


@pytest.mark.parametrize("namespaces", [pytest.param(1, id="1-ns"), pytest.param(60, id="60-ns")])
def test_floor_prints_what_the_renderer_prints(tmp_path: Path, namespaces: int) -> None:
    spec, cluster = bench.render_spec(tmp_path, namespaces)
    _, objects, text = bench.render_in_process(spec, cluster)
    assert objects
    assert bench.floor_dump(objects) == text


def test_pipeline_prints_what_the_cli_prints(tmp_path: Path) -> None:
    spec, cluster = bench.render_spec(tmp_path, 30)
    _, _, text = bench.render_in_process(spec, cluster)
    assert text == bench.cli_stdout(spec, cluster)


def test_render_section_runs_with_the_gc_off() -> None:
    assert gc.isenabled()
    with bench.gc_off():
        assert not gc.isenabled()
    assert gc.isenabled()
