"""A syrupy extension that keeps golden files where a reviewer reads them: `tests/golden/<case>/expected/<file>`.

Why not syrupy's own layout: its snapshots live in `__snapshots__/<test module>/<test name>`, one file per
assertion; a golden here is the tree `generate` writes, so a changed byte shows in a review as a diff of that
one generated file, at the path `generate` gave it.

- The snapshot name of a file is `<case>/<file>`; the extension maps it to `<case>/expected/<file>` under
  `golden_root`. Bytes are written and read verbatim: no header, no serialisation, line endings kept.
- A file with no snapshot fails (syrupy's rule: only `--snapshot-update` writes a missing snapshot).
- syrupy reports unused snapshots only in some modes (never under `-k`, never per test), so the extension
  discovers none and `golden_problems` checks the other direction itself: an expected file the generator no
  longer writes fails, and `--snapshot-update` deletes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from syrupy.assertion import SnapshotAssertion
from syrupy.data import SnapshotCollections
from syrupy.extensions.base import AbstractSyrupyExtension
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.terminal import disable_color

if TYPE_CHECKING:
    from syrupy.location import PyTestLocation
    from syrupy.types import SerializedData, SnapshotIndex

EXPECTED = "expected"
UPDATE_COMMAND = "pytest tests/test_golden.py --snapshot-update"


class GoldenFiles(SingleFileSnapshotExtension):
    """One snapshot per generated file, stored at `<golden_root>/<case>/expected/<file>`."""

    golden_root: ClassVar[Path] = Path(__file__).resolve().parent / "golden"
    file_extension = ""  # the generated file's own name, suffix included
    _write_mode = WriteMode.BINARY

    @classmethod
    def get_location(cls, *, test_location: PyTestLocation, index: SnapshotIndex) -> str:
        case, _, name = str(index).partition("/")
        if not case or not name:
            raise ValueError(f"a golden file is named <case>/<file>, not {index!r}")
        return str(cls.golden_root / case / EXPECTED / name)

    @classmethod
    def get_snapshot_name(cls, *, test_location: PyTestLocation, index: SnapshotIndex = 0) -> str:
        # syrupy's name (test name, then `[<case>/<file>]`) without the single-file clean-up that drops "/".
        return AbstractSyrupyExtension.get_snapshot_name(test_location=test_location, index=index)

    @classmethod
    def matches_test_location(cls, *, test_location: PyTestLocation, snapshot_location: str) -> bool:
        """Golden files sit under `golden_root`, not beside the test module (which syrupy would warn about)."""
        return Path(snapshot_location).is_relative_to(cls.golden_root)

    def discover_snapshots(
        self, *, test_location: PyTestLocation, ignore_extensions: list[str] | None = None
    ) -> SnapshotCollections:
        """None: `golden_problems` finds stale files per case, so syrupy never deletes or reports one."""
        return SnapshotCollections()

    def diff_lines(self, serialized_data: SerializedData, snapshot_data: SerializedData) -> Iterator[str]:
        """A line diff of the text; undecodable bytes are shown escaped, so distinct bytes never look alike."""
        return super().diff_lines(_text(serialized_data), _text(snapshot_data))


def _text(data: SerializedData) -> str:
    return data.decode("utf-8", errors="backslashreplace") if isinstance(data, bytes) else str(data)


def expected_files(root: Path, case: str) -> set[str]:
    """The paths, relative to `<root>/<case>/expected/`, of every golden file of `case`."""
    expected = root / case / EXPECTED
    return {p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file()}


def golden_problems(
    snapshot: SnapshotAssertion, case: str, files: Mapping[str, bytes], extension: type[GoldenFiles] = GoldenFiles
) -> list[str]:
    """Compare `files` (path relative to the output folder -> bytes) with the golden files of `case`, through
    syrupy; under `--snapshot-update` syrupy writes them instead. What a reviewer must know, one entry a file:
    a changed file with its diff, a file written with no golden, a golden file no longer written."""
    golden, root = snapshot.use_extension(extension), extension.golden_root
    stale = sorted(expected_files(root, case) - files.keys())
    if golden.update_snapshots:
        for name in stale:
            (root / case / EXPECTED / name).unlink()
        stale = []
    found = [f"stale: {case}/{EXPECTED}/{name} (expected, not written; run {UPDATE_COMMAND})" for name in stale]
    for name in sorted(files):
        if golden(name=f"{case}/{name}") == files[name]:
            continue
        with disable_color():
            diff = golden.get_assert_diff()
        if golden.executions[golden.num_executions - 1].recalled_data is None:
            found.append(
                f"no golden: {case}/{EXPECTED}/{name} (written, not expected; run {UPDATE_COMMAND})\n  {diff[0]}"
            )
        else:
            found.append(f"changed: {case}/{EXPECTED}/{name}\n" + "\n".join(diff))
    return found
