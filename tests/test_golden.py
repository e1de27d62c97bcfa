"""Golden tests: the exact files `generate` writes for each case, compared with syrupy snapshots.

Test design notes:
- One case per folder: every shipped example (examples/*.yaml, whose bases live under examples/) and every
  extra case under tests/golden/<case>/spec.yaml (cases the examples do not show).
- The snapshot holds every generated file, path and text, so any byte that changes shows in the diff.
- syrupy fails on a missing snapshot; `pytest --snapshot-update` writes them and each diff is read before commit.
- The committed overlays/ must equal what `generate examples` writes today (byte for byte, manifest included).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from generator.cli import run
from tests.conftest import EXAMPLES, GOLDEN, REPO

CASES = [
    *(pytest.param(spec, id=f"example-{spec.stem}") for spec in sorted(EXAMPLES.glob("*.yaml"))),
    *(pytest.param(case / "spec.yaml", id=case.name) for case in sorted(GOLDEN.iterdir()) if case.is_dir()),
]


def generated_files(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("spec", CASES)
def test_generated_overlay_matches_snapshot(
    spec: Path, tmp_path: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Overlays go next to a copy of the case so the `from <spec>` header and base paths do not depend on tmp_path.
    work = tmp_path / "repo"
    shutil.copytree(spec.parent, work / "case")
    monkeypatch.setenv("DVM_PROXY_PASSWORD", "golden-Pa55:word@x")
    monkeypatch.setenv("MTC_S3_ACCESS_KEY_ID", "golden-access-key-id")  # spec §8 render-time S3 credentials
    monkeypatch.setenv("MTC_S3_SECRET_ACCESS_KEY", "golden-secret-access-key")
    argv = ["generate", str(work / "case" / spec.name), "-o", str(work / "overlays")]
    if "secret" in spec.parent.name:
        argv.append("--allow-secrets-in-output")
    assert run(argv) == 0
    files = generated_files(work / "overlays")
    assert files, "generate wrote nothing"
    assert files == snapshot


def test_committed_overlays_are_in_sync_with_examples(tmp_path: Path) -> None:
    out = tmp_path / "overlays"
    shutil.copytree(REPO / "overlays", out)
    # Spec paths in headers are relative to the output folder's parent: generate from a copy laid out the same.
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    assert run(["generate", str(tmp_path / "examples"), "-o", str(out), "--check"]) == 0
    assert generated_files(out) == generated_files(REPO / "overlays")
