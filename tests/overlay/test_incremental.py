"""What a run renders and touches: unchanged pairs are skipped, and only the cluster asked for is rendered.

Test design notes:

* Rendering is observed by wrapping `generator.render.plan.render_cluster` as `generator.pipeline` calls it
  (the one place every entry point renders through), counting calls per (pair, cluster). Disk access is observed by
  wrapping `os.stat`, `os.lstat` and `os.scandir`, counting the calls that land inside the output folder.
* A no-op `generate` renders nothing, writes nothing (inode, mtime and bytes of every path, folders included)
  and looks at each file it wrote once: one stat relative to the open output folder (size and mtime against
  the cache), no listing per folder on top.
* Each input of a pair's digest, changed alone, re-renders that pair and no other: its spec's bytes, a file
  under its `base`, a file the spec names whose contents reach the output (the mirror mapping), the header
  (another output folder), and the tool (its code fingerprint). A hand-edited or
  deleted generated file is rewritten although the digest is unchanged; `--check` reports it.
* A pair that writes the proxy password is rendered on every run: its digest would depend on the password,
  which must leave no trace in the manifest.
* `render --cluster X` and the KRM function render X alone.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import overlays, pipeline
from generator.cli import run
from generator.krm import main as krm_main
from generator.overlay.writer import MANIFEST
from tests.conftest import EXAMPLES

Renders = Counter[tuple[str, str]]


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Renders:
    counts: Renders = Counter()
    original = pipeline.render_cluster

    def counting(resolved: Any, cluster: Any, *args: Any, **kwargs: Any) -> Any:
        counts[(resolved.name, cluster.name)] += 1
        return original(resolved, cluster, *args, **kwargs)

    monkeypatch.setattr(pipeline, "render_cluster", counting)
    return counts


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """examples/ copied (bases included), generated once into overlays/; the current folder is the copy."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    assert run(["generate", "examples", "-o", "overlays"]) == 0
    return tmp_path


def _generate(*extra: str) -> int:
    return run(["generate", "examples", "-o", "overlays", *extra])


def _state(root: Path) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        rel = path.relative_to(root).as_posix()
        body = b"" if stat.S_ISDIR(st.st_mode) else path.read_bytes()
        out[rel] = (st.st_ino, st.st_mtime_ns, body)
    out["."] = (root.stat().st_ino, root.stat().st_mtime_ns)  # the lock is on the folder: no file comes and goes
    return out


def _pairs(renders: Renders) -> set[str]:
    return {pair for pair, _ in renders}


def test_noop_generate_renders_and_writes_nothing(ws: Path, renders: Renders) -> None:
    before = _state(ws / "overlays")
    assert _generate() == 0
    assert renders == Counter()
    assert _state(ws / "overlays") == before


def test_noop_generate_stats_each_written_file_once(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = os.path.abspath(ws / "overlays")
    calls: Counter[str] = Counter()
    stats: Counter[str] = Counter()

    def where(path: Any, dir_fd: int | None) -> str:
        if isinstance(path, int):
            return ""
        if dir_fd is not None:  # a lookup relative to an open folder: name it by what the descriptor holds
            return os.path.abspath(os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), os.fspath(path)))
        return os.path.abspath(os.fspath(path))

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            full = where(path, kwargs.get("dir_fd"))
            if full == out or full.startswith(out + os.sep):
                calls[name] += 1
                stats[full] += name != "scandir"
            return original(path, *args, **kwargs)

        return wrapper

    for name in ("stat", "lstat", "scandir"):
        monkeypatch.setattr(os, name, wrap(name, getattr(os, name)))
    assert _generate() == 0
    monkeypatch.undo()
    seen = dict(calls)
    files = {os.path.abspath(p) for p in (ws / "overlays").rglob("*") if p.is_file() and p.name != MANIFEST}
    folders = sum(1 for p in (ws / "overlays").rglob("*") if p.is_dir()) + 1
    assert seen.get("scandir", 0) <= folders, seen
    assert {path for path in files if stats[path] != 1} == set(), stats  # each written file looked at once
    assert sum(stats.values()) <= len(files) + folders, seen


def _spec_changed(ws: Path) -> None:
    path = ws / "examples" / "ovn-nodeport-strict.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment changes the bytes, not the output\n")


def _base_changed(ws: Path) -> None:
    path = ws / "examples" / "clusters" / "ocp413-dc1" / "migrationcontroller.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")


def _mapping_changed(ws: Path) -> None:
    path = ws / "examples" / "mirror" / "mapping.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "pair"),
    [
        pytest.param(_spec_changed, "ovn-nodeport-strict", id="spec-bytes"),
        pytest.param(_base_changed, "firewall-in-base", id="base-file"),
        pytest.param(_mapping_changed, "install-restricted-network", id="file-the-spec-names"),
    ],
)
def test_a_changed_input_renders_its_pair_alone(
    ws: Path, renders: Renders, change: Callable[[Path], None], pair: str
) -> None:
    change(ws)
    assert _generate() == 0
    assert _pairs(renders) == {pair}
    renders.clear()
    assert _generate() == 0
    assert renders == Counter(), "the new digest is recorded"


def test_another_tool_build_renders_every_pair(ws: Path, renders: Renders, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlays, "tool_fingerprint", lambda: "0.0.0+another-build")
    before = {p: b for p, b in _files(ws / "overlays").items() if p != MANIFEST}
    assert _generate("--check") == 0, "the same files from another build are not stale"
    assert len(_pairs(renders)) == len(list((ws / "examples").glob("*.yaml")))
    assert _generate() == 0
    assert {p: b for p, b in _files(ws / "overlays").items() if p != MANIFEST} == before
    manifest = json.loads((ws / "overlays" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["generator"] == "0.0.0+another-build"


def test_another_output_folder_is_another_header(ws: Path, renders: Renders) -> None:
    shutil.copytree(ws / "overlays", ws / "elsewhere")
    assert run(["generate", "examples", "-o", "elsewhere"]) == 0
    assert len(_pairs(renders)) == len(list((ws / "examples").glob("*.yaml")))
    text = (ws / "elsewhere" / "ocp311-to-ocp412" / "ocp311" / "kustomization.yaml").read_text(encoding="utf-8")
    assert "generate ../examples/ocp311-to-ocp412.yaml -o .\n" in text  # outside git: from the output folder


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("damage", ["edit", "delete"])
def test_a_damaged_file_is_rewritten_though_the_digest_is_unchanged(
    ws: Path, renders: Renders, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _files(ws / "overlays")
    target = ws / "overlays" / "ocp311-to-ocp412" / "ocp412" / "networkpolicy-db-migrated.yaml"
    if damage == "edit":
        target.write_text(target.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    else:
        target.unlink()
    capsys.readouterr()
    assert _generate("--check") == 1
    assert "ocp311-to-ocp412: " in capsys.readouterr().err
    assert _generate() == 0
    assert _pairs(renders) == {"ocp311-to-ocp412"}
    assert _files(ws / "overlays") == expected


def test_a_pair_holding_the_password_is_rendered_every_run(
    tmp_path: Path, renders: Renders, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DVM_PROXY_PASSWORD", "inc-Pa55word")
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml", tmp_path / "s.yaml")
    for _ in range(2):
        assert run(["generate", "s.yaml", "-o", "out", "--allow-secrets-in-output"]) == 0
    assert renders == Counter({("ocp311-to-ocp412", "ocp311"): 2, ("ocp311-to-ocp412", "ocp412"): 2})
    manifest = (tmp_path / "out" / MANIFEST).read_text(encoding="utf-8")
    assert "digest" not in json.loads(manifest)["pairs"]["ocp311-to-ocp412"]
    assert "inc-Pa55word" not in manifest


# --------------------------------------------------------------------------- one cluster


def test_render_renders_the_cluster_asked_for_alone(renders: Renders, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["render", str(EXAMPLES / "ocp311-to-ocp412.yaml"), "--cluster", "ocp412"]) == 0
    assert capsys.readouterr().out
    assert renders == Counter({("ocp311-to-ocp412", "ocp412"): 1})


@pytest.fixture
def stdin_list(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Any]], None]:
    class _Stdin:
        def __init__(self, text: str) -> None:
            self.text = text

        def read(self) -> str:
            return self.text

        def isatty(self) -> bool:
            return False

    def feed(resource_list: dict[str, Any]) -> None:
        monkeypatch.setattr("sys.stdin", _Stdin(yaml.safe_dump(resource_list)))

    return feed


def test_krm_function_renders_the_cluster_asked_for_alone(
    renders: Renders,
    stdin_list: Callable[[dict[str, Any]], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(EXAMPLES)
    config = {
        "apiVersion": "mtc-policygen.io/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {
            "name": "fn",
            "annotations": {
                "mtc-policygen.io/cluster": "ocp311",
                "mtc-policygen.io/spec-file": "ocp311-to-ocp412.yaml",
            },
        },
    }
    stdin_list({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [], "functionConfig": config})
    assert krm_main([]) == 0
    out = yaml.safe_load(capsys.readouterr().out)
    assert out["items"]
    assert renders == Counter({("ocp311-to-ocp412", "ocp311"): 1})


def test_a_base_file_outside_the_base_folder_is_an_input(ws: Path, renders: Renders) -> None:
    """A base may list another kustomization (`../common`): its files shape what the base holds, so they count."""
    common = ws / "examples" / "clusters" / "common"
    common.mkdir()
    (common / "kustomization.yaml").write_text("resources: [extra.yaml]\n", encoding="utf-8")
    extra = common / "extra.yaml"
    extra.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n", encoding="utf-8")
    base = ws / "examples" / "clusters" / "ocp413-dc1" / "kustomization.yaml"
    base.write_text(base.read_text(encoding="utf-8") + "  - ../common\n", encoding="utf-8")
    assert _generate() == 0
    renders.clear()
    extra.write_text(extra.read_text(encoding="utf-8") + "data: {a: b}\n", encoding="utf-8")
    assert _generate() == 0
    assert _pairs(renders) == {"firewall-in-base"}


# --- specs not parsed again (generator/overlay/cache.py) --------------------------------------------------


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Specs parsed, by file name, as `generator.pipeline` parses them."""
    counts: Counter[str] = Counter()
    original = pipeline.load_spec

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        counts[Path(path).name] += 1
        return original(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "load_spec", counting)
    return counts


def test_noop_generate_parses_no_spec_and_reports_the_same_problems(
    ws: Path, parses: Counter[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_dir = os.environ["MTC_POLICYGEN_CACHE_DIR"]
    monkeypatch.setenv("MTC_POLICYGEN_CACHE_DIR", "")  # no cache: every spec parsed and checked
    capsys.readouterr()
    assert _generate() == 0
    checked = capsys.readouterr().err
    assert "info:" in checked, "the examples report problems (info) worth keeping"
    assert sum(parses.values()) == len(list((ws / "examples").glob("*.yaml")))
    parses.clear()
    monkeypatch.setenv("MTC_POLICYGEN_CACHE_DIR", cache_dir)
    assert _generate() == 0
    assert parses == Counter()
    assert capsys.readouterr().err == checked


def test_a_changed_spec_is_parsed_again_alone(ws: Path, parses: Counter[str]) -> None:
    _spec_changed(ws)
    assert _generate() == 0
    assert parses == Counter({"ovn-nodeport-strict.yaml": 1})


def test_the_digest_is_of_the_bytes_parsed(ws: Path, renders: Renders, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ws / "examples" / "ovn-nodeport-strict.yaml"
    _spec_changed(ws)
    original = pipeline.load_spec

    def edited_once_read(spec: Path, *args: Any, **kwargs: Any) -> Any:
        loaded = original(spec, *args, **kwargs)
        if Path(spec).name == path.name:
            path.write_text(path.read_text(encoding="utf-8") + "# edited while generate runs\n", encoding="utf-8")
        return loaded

    monkeypatch.setattr(pipeline, "load_spec", edited_once_read)
    assert _generate() == 0
    monkeypatch.setattr(pipeline, "load_spec", original)
    renders.clear()
    assert _generate() == 0
    assert _pairs(renders) == {"ovn-nodeport-strict"}, "the edit made during the last run was never rendered"


@pytest.mark.parametrize(
    ("edit", "pair"),
    [
        pytest.param(_base_changed, "firewall-in-base", id="base-file"),
        pytest.param(_mapping_changed, "install-restricted-network", id="mirror-mapping"),
    ],
)
def test_the_digest_is_of_the_inputs_resolve_read(
    ws: Path, renders: Renders, monkeypatch: pytest.MonkeyPatch, edit: Callable[[Path], None], pair: str
) -> None:
    """A base file or a named file edited after resolve read it (while generate runs) is not recorded as
    rendered: the digest is of the bytes resolve read, so the next run renders the edit."""
    spec = ws / "examples" / f"{pair}.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "# checked again on the next run\n", encoding="utf-8")
    original = pipeline.resolve

    def edited_once_resolved(*args: Any, **kwargs: Any) -> Any:
        resolved = original(*args, **kwargs)
        if resolved.name == pair:
            edit(ws)
        return resolved

    monkeypatch.setattr(pipeline, "resolve", edited_once_resolved)
    assert _generate() == 0
    monkeypatch.setattr(pipeline, "resolve", original)
    renders.clear()
    assert _generate() == 0
    assert _pairs(renders) == {pair}, "the edit made during the last run was never rendered"


def test_an_unreadable_cache_means_a_full_run(ws: Path, parses: Counter[str], renders: Renders) -> None:
    caches = list(Path(os.environ["MTC_POLICYGEN_CACHE_DIR"]).iterdir())
    assert caches
    for cache in caches:
        cache.write_text("{not json", encoding="utf-8")
    assert _generate() == 0
    assert sum(parses.values()) == len(list((ws / "examples").glob("*.yaml")))
    assert renders == Counter(), "the manifest's digests still spare the rendering"


def _cache_state() -> list[tuple[int, int, bytes]]:
    caches = sorted(Path(os.environ["MTC_POLICYGEN_CACHE_DIR"]).iterdir())
    return [(c.stat().st_ino, c.stat().st_mtime_ns, c.read_bytes()) for c in caches]


def test_a_noop_run_leaves_the_cache_as_it_was(ws: Path, parses: Counter[str]) -> None:
    """Every spec a hit, no output re-recorded: the cache would come out the same, so it is not written."""
    assert _generate() == 0
    before = _cache_state()
    assert len(before) == 1
    assert _generate() == 0
    assert parses == Counter()
    assert _cache_state() == before


def test_a_touched_output_with_the_same_bytes_is_recorded_again(ws: Path, parses: Counter[str]) -> None:
    """A generated file whose mtime changed but not its bytes is hashed once, then its new mtime is kept."""
    assert _generate() == 0
    before = _cache_state()
    touched = next((ws / "overlays" / "ovn-nodeport-strict").rglob("kustomization.yaml"))
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert _generate() == 0
    assert parses == Counter()
    after = _cache_state()
    assert after != before
    assert str(touched.stat().st_mtime_ns).encode() in after[0][2]
    assert _generate() == 0
    assert _cache_state() == after
