"""The benchmark compares like with like: its floor prints what the renderer prints, and its pipeline is `render`.

Test design notes:
- bench/run.py is a measurement, never a timed test; this module only checks its method, on small specs.
- The floor (PyYAML's CSafeDumper with `FLOOR_OPTIONS`) must print byte for byte the text `dump_stream` prints for
  the benchmark's objects, or the render ratio would compare different output.
- The in-process pipeline must print what `mtc-policygen render` prints, and run with the cyclic GC off, as the
  CLI does.
- The README's figures are `make bench`'s own: it writes them with the commit it measured, and a test fails
  when code under generator/render, mtc, preflight or overlay changed after that commit (git history decides,
  so a fresh clone passes exactly when the committed figures are current).
"""

from __future__ import annotations

import gc
import re
import subprocess
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


# --- the README's figures are current -----------------------------------------------------------------------


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=bench.ROOT, capture_output=True, text=True, check=False)


def test_the_readme_figures_were_measured_after_the_last_change_of_the_code() -> None:
    """`make bench` writes the table with the commit it measured; code it measures changed since means the
    figures are stale. Refresh: commit, `make bench` on a clean tree, commit README.md."""
    readme = (bench.ROOT / "README.md").read_text(encoding="utf-8")
    begin, end = readme.find(bench.README_BEGIN), readme.find(bench.README_END)
    assert 0 <= begin < end, "README.md lost its bench markers"
    found = re.search(r"at commit `([0-9a-f]{40})`( \+ uncommitted changes)?", readme[begin:end])
    assert found, "README.md has no figures from `make bench`: run it and commit README.md"
    assert not found.group(2), "the figures were measured with uncommitted code: commit, then run `make bench`"
    if _git("rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        pytest.skip("not a git checkout: the commits cannot be compared")
    measured = found.group(1)
    assert _git("cat-file", "-e", f"{measured}^{{commit}}").returncode == 0, (
        f"the figures' commit {measured[:12]} is not in this history: run `make bench` and commit README.md"
    )
    last = _git("log", "-1", "--format=%H", "--", *bench.MEASURED_CODE).stdout.strip()
    assert last, "no commit touches the measured code: is the history complete (not a shallow clone)?"
    assert _git("merge-base", "--is-ancestor", last, measured).returncode == 0, (
        f"{', '.join(bench.MEASURED_CODE)} changed in {last[:12]}, after the README's figures ({measured[:12]}): "
        "run `make bench` on a clean tree and commit README.md"
    )


def test_the_readme_table_is_written_between_its_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{bench.README_BEGIN}\nold\n{bench.README_END}\nafter\n", encoding="utf-8")
    report = bench.Report(
        data={"date": "2026-12-06T14:00:00+00:00", "machine": bench.machine()},
    )
    report.check("a check", "1.00x (1.00-1.00, n=1)", "<= 1.5x", passed=True)
    bench.write_readme(readme, bench.readme_table(report))
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"before\n{bench.README_BEGIN}\nMeasured by `make bench` at commit `")
    assert "| a check | 1.00x (1.00-1.00, n=1) | ≤ 1.5x | pass |" in text
    assert text.endswith(f"{bench.README_END}\nafter\n")
    assert "old" not in text
