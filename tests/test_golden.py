"""Golden tests: the exact files `generate` writes for each case, one reviewable file per generated file.

Test design notes:
- One case per folder under tests/golden/<case>/: its input (`spec.yaml`, bases, CA bundles, mirror mappings) and
  `expected/`, the overlays `generate` writes for it, laid out as written (`<pair>/<cluster>/<file>` and the
  manifest). A changed byte shows in a review as a diff of that one file.
- syrupy owns them (tests/golden_snapshots.py: one snapshot per generated file, kept at that path, bytes
  verbatim). The check fails on a changed byte (with a diff), on a written file with no expected file and on
  an expected file no longer written; `pytest tests/test_golden.py --snapshot-update` has syrupy rewrite
  `expected/` from today's output and deletes the files no longer written; each diff is read before commit.
- The shipped examples' goldens are `overlays/` itself: the committed overlays must equal what `generate examples`
  writes today, byte for byte (manifest included, see below). There is no second copy of them here.
- `generate` runs from the copy's root (outside git), so file headers name the spec and the regenerate command
  relative to it. The in-sync check makes its copy a git repository, as the real one is.
- The manifest's `generator` field (tool version and a digest of its code) and its per-pair input `digest`s
  change with any code change; both only let the next run skip unchanged pairs, so goldens and the in-sync
  check leave them out (tests/overlay/test_incremental.py covers them).
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation
from syrupy.session import SnapshotSession

from generator.cli import run
from generator.overlay.writer import MANIFEST
from tests.conftest import EXAMPLES, GOLDEN, REPO
from tests.golden_snapshots import EXPECTED, GoldenFiles, golden_problems

CASES = [pytest.param(case, id=case.name) for case in sorted(GOLDEN.iterdir()) if (case / "spec.yaml").is_file()]


def generated_files(out: Path) -> dict[str, bytes]:
    """`{path relative to out: bytes}` of every file under `out`."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _without_digests(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files, with the manifest's tool fingerprint and input digests left out."""
    manifest = json.loads(files[MANIFEST])
    manifest.pop("generator", None)
    for entry in manifest["pairs"].values():
        entry.pop("digest", None)
    return {**files, MANIFEST: (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()}


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """What a reviewer must know: files missing, files nobody expected, and a diff of each changed file."""
    found = [f"missing: {name} (expected, not written)" for name in sorted(expected.keys() - actual.keys())]
    found += [f"unexpected: {name} (written, not expected)" for name in sorted(actual.keys() - expected.keys())]
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(keepends=True),
                actual[name].decode(errors="replace").splitlines(keepends=True),
                f"expected/{name}",
                f"generated/{name}",
            )
            found.append(f"changed: {name}\n{''.join(diff) or '(bytes differ: line endings or encoding)'}")
    return found


@pytest.mark.parametrize("case", CASES)
def test_generated_overlay_matches_golden(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion
) -> None:
    # Overlays go next to a copy of the case so the `from <spec>` header and base paths do not depend on tmp_path.
    work = tmp_path / "repo"
    shutil.copytree(case, work / "case", ignore=shutil.ignore_patterns(EXPECTED))
    monkeypatch.chdir(work)
    monkeypatch.setenv("DVM_PROXY_PASSWORD", "golden-Pa55:word@x")
    monkeypatch.setenv("MTC_S3_ACCESS_KEY_ID", "golden-access-key-id")  # spec §8 render-time S3 credentials
    monkeypatch.setenv("MTC_S3_SECRET_ACCESS_KEY", "golden-secret-access-key")
    argv = ["generate", str(work / "case" / "spec.yaml"), "-o", str(work / "overlays")]
    if "secret" in case.name:
        argv.append("--allow-secrets-in-output")
    assert run(argv) == 0
    problems = golden_problems(snapshot, case.name, _without_digests(generated_files(work / "overlays")))
    assert not problems, "\n".join(problems)


def test_golden_files_fail_on_a_changed_byte_a_missing_and_an_extra_file(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    class Golden(GoldenFiles):
        golden_root = tmp_path

    def check(actual: dict[str, bytes], *, update: bool = False) -> list[str]:
        # syrupy's own assertion over golden files under tmp_path, in a session of its own: the failures it is
        # made to report and the files it writes neither count in this run nor depend on its --snapshot-update.
        snapshot = SnapshotAssertion(
            session=SnapshotSession(pytest_session=request.session),
            extension_class=Golden,
            test_location=PyTestLocation(request.node),
            update_snapshots=update,
        )
        return golden_problems(snapshot, "c", actual, extension=Golden)

    files = {"a/b/kustomization.yaml": b"kind: Kustomization\n", "a/b/x.yaml": b"x: 1\n"}
    expected = tmp_path / "c" / EXPECTED
    (expected / "old").mkdir(parents=True)
    (expected / "old" / "gone.yaml").write_bytes(b"")
    update = "run pytest tests/test_golden.py --snapshot-update"
    assert check(files) == [
        f"stale: c/expected/old/gone.yaml (expected, not written; {update})",
        *(
            f"no golden: c/expected/{name} (written, not expected; {update})\n"
            f"  Snapshot '{request.node.name}[c/{name}]' does not exist!"
            for name in sorted(files)
        ),
    ]
    assert check(files, update=True) == []  # written verbatim, the stale file deleted
    assert {p.relative_to(expected).as_posix(): p.read_bytes() for p in expected.rglob("*") if p.is_file()} == files
    assert check(files) == []

    changed = check({**files, "a/b/x.yaml": b"x: 2\n"})
    assert len(changed) == 1
    assert changed[0].startswith("changed: c/expected/a/b/x.yaml\n")
    assert "- x: 1" in changed[0]
    assert "+ x: 2" in changed[0]
    assert check({**files, "a/b/x.yaml": b"x: 1\r\n"})[0].startswith("changed: c/expected/a/b/x.yaml")
    assert check({**files, "a/b/x.yaml": b"x: 1\xff\n"})[0].startswith("changed: c/expected/a/b/x.yaml")
    assert check({"a/b/x.yaml": b"x: 1\n"}) == [
        f"stale: c/expected/a/b/kustomization.yaml (expected, not written; {update})"
    ]
    extra = check({**files, "a/c/y.yaml": b""})
    assert len(extra) == 1
    assert extra[0].startswith("no golden: c/expected/a/c/y.yaml (written, not expected")
    (expected / "a/b/x.yaml").unlink()
    assert check(files)[0].startswith("no golden: c/expected/a/b/x.yaml (written, not expected")


def test_committed_overlays_are_in_sync_with_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh generate, not --check: it renders every pair, so a stale committed manifest cannot hide a change.
    # Headers name paths from the repository root; a copy laid out the same, run from its root, gives them too.
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path / "examples")  # any folder of the repository gives the same headers
    assert run(["generate", ".", "-o", "../overlays"]) == 0
    ours, committed = generated_files(tmp_path / "overlays"), generated_files(REPO / "overlays")
    problems = differences(_without_digests(committed), _without_digests(ours))
    assert not problems, "overlays/ is stale: run `make overlays` and review the diff\n" + "\n".join(problems)
