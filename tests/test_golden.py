"""Golden tests: the exact files `generate` writes for each case, compared with syrupy snapshots.

Test design notes:
- One case per folder: every shipped example (examples/*.yaml, whose bases live under examples/) and every
  extra case under tests/golden/<case>/spec.yaml (cases the examples do not show).
- The snapshot holds every generated file, path and text, so any byte that changes shows in the diff.
- syrupy fails on a missing snapshot; `pytest --snapshot-update` writes them and each diff is read before commit.
- The committed overlays/ must equal what `generate examples` writes today (byte for byte, manifest included).
- `generate` runs from the copy's root (outside git), so file headers name the spec and the regenerate command
  relative to it. The in-sync check makes its copy a git repository, as the real one is.
- The manifest's `generator` field (tool version and a digest of its code) and its per-pair input `digest`s
  change with any code change; both only let the next run skip unchanged pairs, so snapshots and the in-sync
  check leave them out (tests/test_incremental.py covers them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from generator.cli import run
from generator.overlay.writer import MANIFEST
from tests.conftest import EXAMPLES, GOLDEN, REPO

CASES = [
    *(pytest.param(spec, id=f"example-{spec.stem}") for spec in sorted(EXAMPLES.glob("*.yaml"))),
    *(pytest.param(case / "spec.yaml", id=case.name) for case in sorted(GOLDEN.iterdir()) if case.is_dir()),
]


def generated_files(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def _without_digests(files: dict[str, str]) -> dict[str, str]:
    """The files, with the manifest's tool fingerprint and input digests left out."""
    manifest = json.loads(files[MANIFEST])
    manifest.pop("generator", None)
    for entry in manifest["pairs"].values():
        entry.pop("digest", None)
    return {**files, MANIFEST: json.dumps(manifest, indent=2, sort_keys=True) + "\n"}


@pytest.mark.parametrize("spec", CASES)
def test_generated_overlay_matches_snapshot(
    spec: Path, tmp_path: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Overlays go next to a copy of the case so the `from <spec>` header and base paths do not depend on tmp_path.
    work = tmp_path / "repo"
    shutil.copytree(spec.parent, work / "case")
    monkeypatch.chdir(work)
    monkeypatch.setenv("DVM_PROXY_PASSWORD", "golden-Pa55:word@x")
    monkeypatch.setenv("MTC_S3_ACCESS_KEY_ID", "golden-access-key-id")  # spec §8 render-time S3 credentials
    monkeypatch.setenv("MTC_S3_SECRET_ACCESS_KEY", "golden-secret-access-key")
    argv = ["generate", str(work / "case" / spec.name), "-o", str(work / "overlays")]
    if "secret" in spec.parent.name:
        argv.append("--allow-secrets-in-output")
    assert run(argv) == 0
    files = generated_files(work / "overlays")
    assert files, "generate wrote nothing"
    assert _without_digests(files) == snapshot


def test_committed_overlays_are_in_sync_with_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh generate, not --check: it renders every pair, so a stale committed manifest cannot hide a change.
    # Headers name paths from the repository root; a copy laid out the same, run from its root, gives them too.
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path / "examples")  # any folder of the repository gives the same headers
    assert run(["generate", ".", "-o", "../overlays"]) == 0
    ours, committed = generated_files(tmp_path / "overlays"), generated_files(REPO / "overlays")
    assert _without_digests(ours) == _without_digests(committed)
