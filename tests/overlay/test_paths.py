"""`posix_relpath` answers as `os.path.relpath` does, for files and folders, inside and outside `start`."""

from __future__ import annotations

import itertools
import os
from pathlib import Path, PurePosixPath

import pytest

from generator.overlay.paths import posix_relpath

_PARTS = ("a", "b", "x y", "..", ".", "")
_PATHS = sorted(
    {
        lead + "/".join(parts)
        for lead in ("/", "//", "")
        for n in range(4)
        for parts in itertools.product(_PARTS, repeat=n)
    }
    - {""}
)


def _expected(path: str, start: str) -> str:
    return PurePosixPath(Path(os.path.relpath(path, start))).as_posix()


@pytest.mark.parametrize("start", ["/", "/a", "/a/b", "/a/b/x y", "//a", "a", "a/b", "b/../a", "/x y/a"])
def test_a_path_relative_to_a_folder_as_relpath_says(start: str) -> None:
    wrong = {
        p: posix_relpath(Path(p), Path(start))
        for p in _PATHS
        if posix_relpath(Path(p), Path(start)) != _expected(p, start)
    }
    assert wrong == {}
