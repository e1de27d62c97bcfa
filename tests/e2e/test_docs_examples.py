"""The user's guide holds: its shipped KRM example builds with real kustomize, its links resolve, its claims hold.

Test design notes:
- examples/kustomize-krm/<cluster>/ (fn.yaml + kustomization.yaml) is built with kustomize v4.5.4
  (`--enable-alpha-plugins --enable-exec`) with the installed `mtc-policygen-krm` first on PATH; the objects
  must equal what the installed `mtc-policygen render` prints for that cluster of the spec the fn.yaml names.
- docs/kustomize-krm.md quotes the shipped fn.yaml and kustomization.yaml: the quoted YAML must parse to the
  shipped files' data, so the page cannot drift from the example that is tested.
- The page's warning is checked against the real binary: `kubectl kustomize --enable-alpha-plugins` (kubectl
  1.37, kustomize 5.8) builds the same folder to nothing, with exit 0.
- Every relative link in README.md and docs/*.md points at a file that exists.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, INSTALLED_BIN, REPO, installed_script
from tests.oracles import kubectl_kustomize, kustomize_build

KRM_EXAMPLE = EXAMPLES / "kustomize-krm"
CLUSTERS = sorted(p.name for p in KRM_EXAMPLE.iterdir() if p.is_dir())
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _env() -> dict[str, str]:
    return {"PATH": f"{INSTALLED_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _docs(text: str) -> list[dict[str, Any]]:
    return sorted((d for d in yaml.safe_load_all(text) if d), key=lambda d: (d["kind"], repr(d["metadata"])))


def test_the_example_covers_both_clusters() -> None:
    assert CLUSTERS == ["ocp311", "ocp412"]


@pytest.mark.e2e
@pytest.mark.parametrize("cluster", CLUSTERS)
def test_shipped_krm_example_builds_with_kustomize(cluster: str) -> None:
    folder = KRM_EXAMPLE / cluster
    fn = yaml.safe_load((folder / "fn.yaml").read_text(encoding="utf-8"))
    assert fn["metadata"]["annotations"]["mtc-policygen.io/cluster"] == cluster
    spec = (folder / fn["metadata"]["annotations"]["mtc-policygen.io/spec-file"]).resolve()
    built = kustomize_build(folder, "--enable-alpha-plugins", "--enable-exec", env=_env())
    rendered = subprocess.run(
        [str(installed_script("mtc-policygen")), "render", str(spec), "--cluster", cluster],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert _docs(built), "the function generated nothing"
    assert _docs(built) == _docs(rendered)


@pytest.mark.e2e
def test_kubectl_kustomize_silently_skips_exec_functions() -> None:
    out = kubectl_kustomize(KRM_EXAMPLE / CLUSTERS[0], "--enable-alpha-plugins", env=_env())
    assert out.strip() == "", "kubectl's kustomize ran the exec function: docs/kustomize-krm.md is wrong"


def _yaml_blocks(page: Path) -> list[Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


@pytest.mark.parametrize("name", ["fn.yaml", "kustomization.yaml"])
def test_the_krm_page_quotes_the_shipped_example(name: str) -> None:
    shipped = yaml.safe_load((KRM_EXAMPLE / CLUSTERS[0] / name).read_text(encoding="utf-8"))
    assert shipped in _yaml_blocks(REPO / "docs" / "kustomize-krm.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    missing = [link for link in local if not (page.parent / link).exists()]
    assert not missing, missing
