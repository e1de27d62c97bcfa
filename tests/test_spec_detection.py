""" "Is this file a ClusterPair spec?" is answered in three places that must agree: `api.looks_like_spec` (the
CLI's folder scan, the pre-commit hook's `--skip-non-specs`), `argocd.is_discoverable` (which spec the plugin
renders) and the shell loop of plugin.yaml's discovery (which Applications Argo CD hands the plugin; it stays
shell so that probing every app stays cheap).

Test design: one corpus (every YAML file of the examples, the generated overlays, the deploy manifests, the
golden and hostile test inputs, and a few written here for the edges), each file alone in a folder; the shell
is plugin.yaml's own script, run by `sh`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from generator.api import looks_like_spec
from generator.runtimes.argocd import is_discoverable
from tests.conftest import REPO

EDGES = {
    "quoted.yaml": 'apiVersion: "mtc-policygen.io/v1alpha1"\nkind: "ClusterPair"\nmetadata: {name: q}\n',
    "comment.yaml": "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair  # the pair\n",
    "mentions.yaml": "# files with `apiVersion: mtc-policygen.io/...` and kind: ClusterPair\nkind: ConfigMap\n",
    "other-kind.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations: {mtc-policygen.io/pair: x}\n",
    "spec-file-config.yaml": (
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata:\n  annotations:\n"
        "    config.kubernetes.io/function: |\n      exec: {path: mtc-policygen-krm}\n"
        "    mtc-policygen.io/spec-file: pair.yaml\n"
    ),
}


def _corpus() -> list[Path]:
    roots = [
        REPO / "examples",
        REPO / "overlays",
        REPO / "deploy",
        REPO / "tests" / "golden",
        REPO / "tests" / "hostile",
    ]
    files = [p for root in roots for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(files)


def _shell(plugin: dict[str, object], folder: Path) -> bool:
    find = plugin["spec"]["discover"]["find"]  # type: ignore[index]
    done = subprocess.run(
        [*find["command"], *find["args"]], cwd=folder, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip() != ""


def test_the_three_spec_tests_agree_on_one_corpus(tmp_path: Path) -> None:
    plugin = yaml.safe_load((REPO / "plugin.yaml").read_text(encoding="utf-8"))
    cases = [(p.relative_to(REPO).as_posix(), p.name, p.read_bytes()) for p in _corpus()]
    cases += [(f"edge {name}", name, text.encode()) for name, text in EDGES.items()]
    assert len(cases) > 50, "the corpus lost its files"
    disagree = []
    specs = 0
    for index, (label, name, data) in enumerate(cases):
        folder = tmp_path / str(index)
        folder.mkdir()
        path = folder / (name if name.endswith((".yaml", ".yml")) else name + ".yaml")
        path.write_bytes(data)
        text = data.decode("utf-8", errors="replace")
        answers = (looks_like_spec(path), is_discoverable(text), _shell(plugin, folder))
        specs += answers[0]
        if len(set(answers)) != 1:
            disagree.append(f"{label}: looks_like_spec, is_discoverable, shell = {answers}")
        shutil.rmtree(folder)
    assert not disagree, "\n".join(disagree)
    assert specs >= 10, "the corpus must hold specs as well as other YAML"
