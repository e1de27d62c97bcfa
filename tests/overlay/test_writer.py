"""`generate` on disk: idempotence, `--check`, cleanup of our own files only, and every bad state we can provoke.

Test design notes:

* Workspace: ``<tmp>/specs/`` holds two pairs. ``alpha`` runs between two clusters, with strict policies, three
  namespaces and a firewall; ``beta`` is one cluster. Output goes to ``<tmp>/overlays``. The CLI runs in
  process through ``generator.cli.run``, except where the process has to die.
* The expected tree after a change is never written by hand. It comes from generating the changed specs
  into a fresh copy of the workspace, which has the same layout and so the same header paths. Every check
  compares whole trees: relative path to bytes, or to (inode, mtime_ns, bytes) where "untouched" is the claim.
* "Nothing written" means every file and folder keeps its inode, mtime and bytes (folders too, so an added
  and deleted temp file shows). On a failed run the output folder's own mtime may move, because the
  staging folder was made and removed, so there only the overlays' files are compared.
* Kill tests run ``generate`` in a child ``python -c`` wrapper. The wrapper swaps a writer function for one
  that SIGKILLs the process at the chosen call: ``_write`` after N writes (N is counted in a dry run on a
  copy, so the kill always lands inside the run), ``_exchange`` on its 1st and 2nd call (the commit), and
  ``os.replace`` of the manifest. A fourth variant forces the swap used where renameat2 is missing (macOS,
  NFS): ``_exchange`` returns False and the child dies between the two renames. The checks:
  * The child died of SIGKILL, so the kill really happened.
  * Each pair folder is wholly old or wholly new. In the rename variant a folder may also be missing (set
    aside in the staging folder), because plain renames cannot swap two folders atomically.
  * A journal exists exactly when the kill came after everything was staged (inside the swap, or in the cleanup
    after it): then the rerun says it finished the interrupted run; otherwise it says it rolled it back. Further
    variants kill before the journal is written, after it with nothing swapped, after one swap, and in cleanup.
  * A normal rerun exits 0 and ends in exactly the expected tree, user files included, with a manifest that
    records every file on disk with its digest.
  * The rerun leaves no staging folder, journal or lock file.
* Concurrent runs fork from the pytest process (no interpreter start-up per run) and start together on a pipe;
  the run that waited for the lock must find everything written and say "0 file(s) changed".
* Unwritable output: ``chmod 0555`` is skipped when the process can still write there (root). The
  ``chattr +i`` variant makes the folder unwritable even for root. It is skipped where chattr is missing or
  not permitted, and the flag is always removed again.
* Disk full: ``generator.overlay.writer._write`` raises ENOSPC at its first call, a middle call, and the last
  call (the manifest). A failure in the commit itself (``_exchange`` raising on the second pair, the
  fallback's rename of the second pair failing, or the manifest's ``os.replace`` failing) must undo the swaps
  already done, remove the staging folder, and leave every file as it was, as the message says.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from generator.cli import run
from generator.overlay import writer
from tests.conftest import REPO

OUT = "overlays"
MANIFEST = ".mtc-policygen-manifest.json"
STAGING = ".mtc-policygen-staging"  # a run's staging folder is STAGING.<pid>
JOURNAL = ".mtc-policygen-journal.json"


def _leftovers(out: Path) -> list[str]:
    """Staging folders, journal or lock file left in the output folder."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith((STAGING, JOURNAL)))


ALPHA_NAMESPACES = """\
  - app1
  - app2
  - source: db
    target: db-migrated
    egressFirewall:
      name: default
      rules:
        - type: Allow
          to: {cidrSelector: 192.0.2.0/24}
        - type: Deny
          to: {cidrSelector: 0.0.0.0/0}
"""
ALPHA = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: alpha
spec:
  source: {name: east, openshiftVersion: "4.14", networkType: OVNKubernetes}
  target: {name: west, openshiftVersion: "4.14", networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  networkPolicy: {mode: strict}
  namespaces:
"""
BETA = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: beta
spec:
  source: {name: solo, openshiftVersion: "4.16", networkType: OVNKubernetes}
  target: {name: solo, openshiftVersion: "4.16", networkType: OVNKubernetes, rsyncEndpointType: ClusterIP}
  networkPolicy: {mode: strict}
  namespaces: [{source: shop, target: shop-v2}, {source: cart, target: cart-v2}]
"""
SECRET = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: secret
spec:
  source: {name: east, openshiftVersion: "4.14", networkType: OVNKubernetes}
  target: {name: west, openshiftVersion: "4.14", networkType: OVNKubernetes}
  dvm:
    stunnelTCPProxy:
      url: http://proxy.example.com:3128
      username: dvm user
      passwordFrom: {env: WRITER_TEST_PROXY_PASSWORD}
  namespaces: [app1]
"""
PASSWORD = "p@ss:w/rd %&?#x"

State = dict[str, tuple[object, ...]]


# --------------------------------------------------------------------------- helpers


def _write_specs(root: Path, alpha_namespaces: str = ALPHA_NAMESPACES, *, beta: bool = True) -> None:
    specs = root / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    (specs / "alpha.yaml").write_text(ALPHA + alpha_namespaces, encoding="utf-8")
    if beta:
        (specs / "beta.yaml").write_text(BETA, encoding="utf-8")
    elif (specs / "beta.yaml").exists():
        (specs / "beta.yaml").unlink()


def _generate(root: Path, *extra: str, specs: list[str] | None = None) -> int:
    """`generate` run from `root`: outside git, file headers name the spec relative to the output folder."""
    targets = specs if specs is not None else [str(root / "specs")]
    with contextlib.chdir(root):
        return run(["generate", *targets, "-o", str(root / OUT), *extra])


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _state(root: Path, *, folders: bool = True) -> State:
    """Path -> (inode, mtime_ns, bytes) of files, and (inode, mtime_ns) of folders when `folders`."""
    out: State = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        rel = p.relative_to(root).as_posix()
        if stat.S_ISDIR(st.st_mode):
            if folders:
                out[rel + "/"] = (st.st_ino, st.st_mtime_ns)
        else:
            out[rel] = (st.st_ino, st.st_mtime_ns, p.read_bytes())
    return out


def _expected(tmp_path: Path, name: str, prepare: Callable[[Path], None]) -> dict[str, bytes]:
    """The tree a fresh generate produces for the specs `prepare` writes, in the same layout."""
    ref = tmp_path / f"expected-{name}"
    prepare(ref)
    assert _generate(ref) == 0
    return _files(ref / OUT)


def _pair_files(files: dict[str, bytes], pair: str) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.startswith(pair + "/")}


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A folder holding the two specs; no overlays generated yet."""
    root = tmp_path / "ws"
    _write_specs(root)
    return root


@pytest.fixture
def workspace(fresh: Path) -> Path:
    """`fresh` after a first successful generate."""
    root = fresh
    assert _generate(root) == 0
    assert (root / OUT / MANIFEST).is_file()
    return root


@pytest.fixture
def failing(capsys: pytest.CaptureFixture[str]) -> Callable[[Path], str]:
    """Runs a generate that must exit 1 and returns its stderr (and only its own)."""

    def generate_failing(root: Path) -> str:
        capsys.readouterr()
        assert _generate(root) == 1
        return capsys.readouterr().err

    return generate_failing


@pytest.fixture
def secret_spec(tmp_path: Path) -> Path:
    """A spec whose stunnel proxy password is read from $WRITER_TEST_PROXY_PASSWORD at render time."""
    spec = tmp_path / "secret.yaml"
    spec.write_text(SECRET, encoding="utf-8")
    return spec


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    """The proxy password, set in the environment `secret_spec` names."""
    monkeypatch.setenv("WRITER_TEST_PROXY_PASSWORD", PASSWORD)
    return PASSWORD


# --------------------------------------------------------------------------- idempotence and --check


def test_first_run_writes_both_pairs(workspace: Path) -> None:
    files = _files(workspace / OUT)
    assert "alpha/east/networkpolicy-app2.yaml" in files
    assert "alpha/west/networkpolicy-db-migrated.yaml" in files
    assert "alpha/east/egressfirewall-db.yaml" in files
    assert "beta/solo/networkpolicy-shop-v2.yaml" in files
    assert all(b"Generated by mtc-policygen" in text for path, text in files.items() if path.endswith(".yaml"))


def test_second_run_writes_nothing(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _state(workspace / OUT)
    capsys.readouterr()
    assert _generate(workspace) == 0
    assert _state(workspace / OUT) == before
    assert "0 file(s) changed" in capsys.readouterr().err


def test_check_in_sync_exits_0(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _state(workspace / OUT)
    assert _generate(workspace, "--check") == 0
    assert "up to date" in capsys.readouterr().err
    assert _state(workspace / OUT) == before


def _edit(ws: Path) -> None:
    path = ws / OUT / "alpha/east/networkpolicy-app1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("port: 443", "port: 8443"), encoding="utf-8")


def _delete(ws: Path) -> None:
    (ws / OUT / "beta/solo/kustomization.yaml").unlink()


def _remove_namespace(ws: Path) -> None:
    _write_specs(ws, ALPHA_NAMESPACES.replace("  - app2\n", ""))


def _add_namespace(ws: Path) -> None:
    _write_specs(ws, ALPHA_NAMESPACES + "  - app3\n")


@pytest.mark.parametrize(
    ("change", "expected_lines"),
    [
        pytest.param(_edit, ["~ alpha/east/networkpolicy-app1.yaml"], id="generated-file-edited"),
        pytest.param(_delete, ["+ beta/solo/kustomization.yaml"], id="generated-file-deleted"),
        pytest.param(
            _remove_namespace,
            [
                "- alpha/east/networkpolicy-app2.yaml",
                "- alpha/west/networkpolicy-app2.yaml",
                "~ alpha/east/kustomization.yaml",
                "~ alpha/west/kustomization.yaml",
            ],
            id="namespace-removed-from-spec",
        ),
        pytest.param(
            _add_namespace,
            ["+ alpha/east/networkpolicy-app3.yaml", "+ alpha/west/networkpolicy-app3.yaml"],
            id="namespace-added-to-spec",
        ),
    ],
)
def test_check_reports_stale_overlays_and_writes_nothing(
    workspace: Path, change: Callable[[Path], None], expected_lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    change(workspace)
    before = _state(workspace / OUT)
    capsys.readouterr()
    assert _generate(workspace, "--check", "-v") == 1
    err = capsys.readouterr().err
    assert "stale" in err
    summary = {line.strip() for line in err.splitlines()}
    for line in expected_lines:
        assert line in summary, err
    assert _state(workspace / OUT) == before


# --------------------------------------------------------------------------- removal of our own files only


def test_removed_namespace_loses_its_files_and_user_files_stay(workspace: Path, tmp_path: Path) -> None:
    out = workspace / OUT
    user_files = {
        "alpha/east/README.md": b"notes on east\n",
        "alpha/NOTES.md": b"pair notes\n",
        "README.md": b"overlays root notes\n",
        "alpha/west/extra/keep.yaml": b"kind: Something\n",
    }
    for rel, text in user_files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(text)
    user_before = {rel: s for rel, s in _state(out).items() if rel in user_files}
    _remove_namespace(workspace)
    assert _generate(workspace) == 0
    assert not (out / "alpha/east/networkpolicy-app2.yaml").exists()
    assert not (out / "alpha/west/networkpolicy-app2.yaml").exists()
    assert {rel: s for rel, s in _state(out).items() if rel in user_files} == user_before, "user files touched"
    expected = _expected(tmp_path, "removed-ns", _remove_namespace_fresh)
    assert _files(out) == {**expected, **user_files}


def _remove_namespace_fresh(root: Path) -> None:
    _write_specs(root, ALPHA_NAMESPACES.replace("  - app2\n", ""))


def test_pair_whose_spec_was_deleted_is_removed(workspace: Path, tmp_path: Path) -> None:
    out = workspace / OUT
    (out / "beta/solo/README.md").write_text("kept\n", encoding="utf-8")
    alpha_before = {rel: s for rel, s in _state(out, folders=False).items() if rel.startswith("alpha/")}
    _write_specs(workspace, beta=False)
    assert _generate(workspace) == 0
    assert sorted(p.relative_to(out / "beta").as_posix() for p in (out / "beta").rglob("*")) == [
        "solo",
        "solo/README.md",
    ]
    assert {rel: s for rel, s in _state(out, folders=False).items() if rel.startswith("alpha/")} == alpha_before
    expected = _expected(tmp_path, "no-beta", lambda root: _write_specs(root, beta=False))
    assert _files(out) == {**expected, "beta/solo/README.md": b"kept\n"}


def test_pair_without_user_files_leaves_no_folder(workspace: Path) -> None:
    _write_specs(workspace, beta=False)
    assert _generate(workspace) == 0
    assert not (workspace / OUT / "beta").exists()


def test_generating_one_spec_keeps_the_other_pair(workspace: Path) -> None:
    before = _state(workspace / OUT)
    assert _generate(workspace, specs=[str(workspace / "specs" / "alpha.yaml")]) == 0
    assert _state(workspace / OUT) == before


# --------------------------------------------------------------------------- things in the way


def _no_output_but(root: Path, *allowed: str) -> None:
    present = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())
    assert present == sorted(allowed), "generate wrote something although it failed"


def test_foreign_file_at_a_generated_path_is_a_clean_error(fresh: Path, failing: Callable[[Path], str]) -> None:
    root = fresh
    foreign = root / OUT / "alpha/east/kustomization.yaml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("# my own kustomization\nresources: [mine.yaml]\n", encoding="utf-8")
    before = _state(root / OUT)
    err = failing(root)
    assert "alpha/east/kustomization.yaml exists and was not generated by mtc-policygen" in err
    assert "Traceback" not in err
    assert _state(root / OUT) == before
    _no_output_but(root / OUT, "alpha/east/kustomization.yaml")


def test_foreign_file_for_a_new_namespace_is_a_clean_error(workspace: Path, failing: Callable[[Path], str]) -> None:
    (workspace / OUT / "alpha/east/networkpolicy-app3.yaml").write_text("# hand written\n", encoding="utf-8")
    _add_namespace(workspace)
    before = _state(workspace / OUT)
    assert "networkpolicy-app3.yaml exists and was not generated" in failing(workspace)
    assert _state(workspace / OUT) == before


def test_file_with_exactly_our_text_is_adopted(workspace: Path, tmp_path: Path) -> None:
    """A file that already holds what we would write (e.g. restored from git without the manifest) is ours."""
    (workspace / OUT / MANIFEST).unlink()
    assert _generate(workspace) == 0
    assert _files(workspace / OUT) == _expected(tmp_path, "adopted", _write_specs)


@pytest.mark.parametrize(
    ("blocker", "message"),
    [
        pytest.param("alpha/east/kustomization.yaml", "alpha/east/kustomization.yaml is a directory", id="dir-at-file"),
        pytest.param("alpha/west/networkpolicy-app1.yaml", "networkpolicy-app1.yaml is a directory", id="dir-at-np"),
    ],
)
def test_directory_where_a_file_goes_is_a_clean_error(
    fresh: Path, blocker: str, message: str, failing: Callable[[Path], str]
) -> None:
    root = fresh
    (root / OUT / blocker).mkdir(parents=True)
    before = _state(root / OUT)
    assert message in failing(root)
    assert _state(root / OUT) == before


def test_file_where_a_folder_goes_is_a_clean_error(workspace: Path, failing: Callable[[Path], str]) -> None:
    shutil.rmtree(workspace / OUT / "beta")
    (workspace / OUT / "beta").write_text("not a folder\n", encoding="utf-8")
    before = _state(workspace / OUT)
    assert "beta is a file, where a folder must be" in failing(workspace)
    assert _state(workspace / OUT) == before


# --------------------------------------------------------------------------- failures while writing


@pytest.fixture(params=["chmod-0555", "chattr-immutable"])
def unwritable(request: pytest.FixtureRequest) -> Iterator[Callable[[Path], None]]:
    """Make a folder unwritable; undone at teardown so pytest can clean up."""
    done: list[Path] = []

    def make(folder: Path) -> None:
        if request.param == "chmod-0555":
            folder.chmod(0o555)
            done.append(folder)
            if os.access(folder, os.W_OK):
                pytest.skip("running as root: chmod 0555 does not stop writes")
            return
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("chattr is not installed")
        proc = subprocess.run([chattr, "+i", str(folder)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"chattr +i not permitted here: {proc.stderr.strip()}")
        done.append(folder)
        if os.access(folder, os.W_OK) and _can_create(folder):
            pytest.skip("chattr +i does not stop writes here")

    yield make
    for folder in done:
        if request.param == "chmod-0555":
            folder.chmod(0o755)
        else:
            subprocess.run([shutil.which("chattr") or "chattr", "-i", str(folder)], check=False)


def _can_create(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.mkdir()
    except OSError:
        return False
    probe.rmdir()
    return True


def test_unwritable_output_is_a_clean_error(
    workspace: Path, unwritable: Callable[[Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(workspace / OUT)
    _add_namespace(workspace)
    unwritable(workspace / OUT)
    capsys.readouterr()
    assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert "cannot stage the new overlays" in err or "cannot lock the folder for this run" in err
    assert "the previous overlays are unchanged" in err
    assert "Traceback" not in err
    assert _files(workspace / OUT) == before
    assert not _leftovers(workspace / OUT)


def _count_writes(tmp_path: Path, workspace: Path, change: Callable[[Path], None]) -> int:
    """How many `_write` calls the changed run makes, counted on a copy."""
    copy = tmp_path / "count"
    shutil.copytree(workspace, copy)
    change(copy)
    calls = []
    original = writer._write

    def counting(path: Path, text: str, *mode: int) -> None:
        calls.append(path)
        original(path, text, *mode)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(writer, "_write", counting)
        assert _generate(copy) == 0
    return len(calls)


def _change_both(ws: Path) -> None:
    """A change that touches both pairs: app2 removed and app3 added in alpha, a namespace added in beta."""
    _write_specs(ws, ALPHA_NAMESPACES.replace("  - app2\n", "  - app3\n"))
    (ws / "specs" / "beta.yaml").write_text(
        BETA.replace(
            "{source: cart, target: cart-v2}]", "{source: cart, target: cart-v2}, {source: orders, target: orders-v2}]"
        ),
        encoding="utf-8",
    )


@pytest.mark.parametrize("where", ["first", "middle", "manifest"])
def test_disk_full_keeps_previous_overlays(
    workspace: Path, tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    total = _count_writes(tmp_path, workspace, _change_both)
    fail_at = {"first": 0, "middle": total // 2, "manifest": total - 1}[where]
    before = _state(workspace / OUT, folders=False)
    _change_both(workspace)
    calls = []
    original = writer._write

    def full(path: Path, text: str, *mode: int) -> None:
        if len(calls) == fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        calls.append(path)
        original(path, text, *mode)

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(writer, "_write", full)
        assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert "no space left on device" in err
    assert "Traceback" not in err
    assert _state(workspace / OUT, folders=False) == before, "previous overlays changed"
    assert not _leftovers(workspace / OUT), "staging folder left behind"


def test_failed_commit_leaves_previous_overlays(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(workspace / OUT)
    _change_both(workspace)
    calls = []
    original = writer._exchange

    def failing(a: Path, b: Path) -> bool:
        calls.append(b)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(b))
        return original(a, b)

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(writer, "_exchange", failing)
        assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert "no space left on device" in err
    assert "the previous overlays are unchanged" in err
    assert len(calls) == 3, "the second pair's swap fails, then the first pair's is undone"
    assert calls[2] == calls[0] != calls[1]
    assert _files(workspace / OUT) == before, "the error says the previous overlays are unchanged"
    assert not _leftovers(workspace / OUT)


def test_failed_fallback_commit_leaves_previous_overlays(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without renameat2 each swap is two renames; a failure at the second pair undoes the first pair's."""
    before = _files(workspace / OUT)
    _change_both(workspace)
    original_rename = Path.rename
    into_live = []

    def rename(self: Path, target: str | Path) -> Path:
        if Path(target).parent == workspace / OUT and self.parent.name.startswith(STAGING) and self.suffix != ".old":
            into_live.append(self.name)  # a new pair folder moving in
            if len(into_live) == 2:
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(target))
        return original_rename(self, target)

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(writer, "_exchange", lambda a, b: False)
        mp.setattr(Path, "rename", rename)
        assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert "the previous overlays are unchanged" in err
    assert len(into_live) == 2, "the failure must hit the second pair's swap"
    assert _files(workspace / OUT) == before
    assert not _leftovers(workspace / OUT)


def test_failed_manifest_replace_undoes_every_swap(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(workspace / OUT)
    _change_both(workspace)
    original_replace = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == MANIFEST:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        original_replace(src, dst)

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "replace", replace)
        assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert "no space left on device" in err
    assert "the previous overlays are unchanged" in err
    assert _files(workspace / OUT) == before
    assert not _leftovers(workspace / OUT)


# --------------------------------------------------------------------------- killed mid-run

KILLER = """
import os, signal, sys
import generator.overlay.writer as writer
from generator.cli import run

target, after = os.environ["KILL_AT"], int(os.environ["KILL_AFTER"])
calls = 0


def killing(original, only=None):
    def wrapper(*args, **kwargs):
        global calls
        if only is None or only(*args):
            if calls == after:
                os.kill(os.getpid(), signal.SIGKILL)
            calls += 1
        return original(*args, **kwargs)
    return wrapper


if target == "fallback-swap":  # a system without renameat2 (macOS, NFS): the rename-aside path of the commit
    import pathlib

    writer._exchange = lambda a, b: False
    original_rename = pathlib.Path.rename

    def rename(self, target):
        result = original_rename(self, target)
        global calls
        if str(target).endswith(".old"):
            if calls == after:
                os.kill(os.getpid(), signal.SIGKILL)
            calls += 1
        return result

    pathlib.Path.rename = rename
elif target == "os.replace":
    writer.os.replace = killing(os.replace, only=lambda src, dst: str(dst).endswith(writer.MANIFEST))
else:
    setattr(writer, target, killing(getattr(writer, target)))
sys.exit(run(sys.argv[1:]))
"""


def _killed_generate(ws: Path, target: str, after: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILLER, "generate", str(ws / "specs"), "-o", str(ws / OUT)],
        cwd=ws,
        env={**os.environ, "KILL_AT": target, "KILL_AFTER": str(after), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("target", "after"),
    [
        pytest.param("_write", 0, id="write-first"),
        pytest.param("_write", 1, id="write-second"),
        pytest.param("_write", -2, id="write-middle"),
        pytest.param("_write", -1, id="write-manifest"),
        pytest.param("_exchange", 0, id="swap-first-pair"),
        pytest.param("_exchange", 1, id="swap-second-pair"),
        pytest.param("os.replace", 0, id="commit-manifest"),
        pytest.param("fallback-swap", 0, id="fallback-swap-first-pair"),
        pytest.param("fallback-swap", 1, id="fallback-swap-second-pair"),
        pytest.param("_write_journal", 0, id="before-journal"),
        pytest.param("_swap_in", 0, id="journal-written-nothing-swapped"),
        pytest.param("_swap_in", 1, id="journal-written-one-swapped"),
        pytest.param("_remove", 0, id="committed-cleanup"),
    ],
)
def test_killed_generate_leaves_each_pair_wholly_old_or_new(
    workspace: Path, tmp_path: Path, target: str, after: int, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workspace / OUT
    (out / "alpha/east/README.md").write_text("user notes\n", encoding="utf-8")
    old = _files(out)
    new = {**_expected(tmp_path, "changed", _change_both_fresh), "alpha/east/README.md": b"user notes\n"}
    if target == "_write" and after < 0:
        total = _count_writes(tmp_path, workspace, _change_both)
        after = total // 2 if after == -2 else total - 1
    _change_both(workspace)

    proc = _killed_generate(workspace, target, after)
    assert proc.returncode == -signal.SIGKILL, f"the child was not killed: rc={proc.returncode}\n{proc.stderr}"
    now = _files(out)
    for pair in ("alpha", "beta"):
        allowed = [_pair_files(old, pair), _pair_files(new, pair)]
        if target == "fallback-swap":
            allowed.append({})  # set aside between the two renames; the next run must put it back
        assert _pair_files(now, pair) in allowed, f"{pair} is half old, half new"
    assert now.get(MANIFEST) in (old[MANIFEST], new[MANIFEST])
    journal = (out / JOURNAL).exists()
    if target in ("_write", "_write_journal"):
        assert not journal, "a journal before everything was staged"
    elif target != "_remove":
        assert journal, "killed inside the swap without a journal"

    capsys.readouterr()
    assert _generate(workspace) == 0
    err = capsys.readouterr().err
    if journal:
        assert "finished the generate run (pid " in err, err
    else:
        assert "rolled back a generate run that was interrupted before it changed any pair folder" in err, err
    assert _files(out) == new
    assert not _leftovers(out)
    assert _generate(workspace, "--check") == 0
    _assert_manifest_matches(out)


def _assert_manifest_matches(out: Path) -> None:
    """Every file the manifest records is on disk with the recorded digest, and every generated file is recorded."""
    recorded = {
        rel: digest
        for entry in json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pairs"].values()
        for rel, digest in entry["files"].items()
    }
    for rel, digest in recorded.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, rel
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.yaml") if p.is_file()}
    assert on_disk <= set(recorded), f"files not recorded: {sorted(on_disk - set(recorded))}"


def test_a_run_with_nothing_to_write_rolls_back_leftover_staging(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(workspace / OUT)
    _change_both(workspace)
    proc = _killed_generate(workspace, "_write", 1)
    assert proc.returncode == -signal.SIGKILL
    assert _leftovers(workspace / OUT), "the kill left no staging folder to clean up"
    _write_specs(workspace)  # back to the specs of the overlays on disk: nothing to write
    capsys.readouterr()
    assert _generate(workspace) == 0
    err = capsys.readouterr().err
    assert "rolled back a generate run that was interrupted" in err
    assert "0 file(s) changed" in err
    assert _files(workspace / OUT) == before
    assert not _leftovers(workspace / OUT)


def _change_both_fresh(root: Path) -> None:
    _write_specs(root)
    _change_both(root)


# --------------------------------------------------------------------------- secrets


def test_generate_refuses_a_password_without_the_flag(
    tmp_path: Path, secret_spec: Path, password: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(["generate", str(secret_spec), "-o", str(tmp_path / OUT)]) == 1
    captured = capsys.readouterr()
    assert "--allow-secrets-in-output" in captured.err
    assert "passwordFrom" in captured.err
    assert password not in captured.err + captured.out
    assert not (tmp_path / OUT).exists() or not any((tmp_path / OUT).iterdir()), "something was written"


def test_generate_with_the_flag_writes_the_url_encoded_password(
    tmp_path: Path, secret_spec: Path, password: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(["generate", str(secret_spec), "-o", str(tmp_path / OUT), "--allow-secrets-in-output"]) == 0
    captured = capsys.readouterr()
    assert password not in captured.err + captured.out
    control = (tmp_path / OUT / "secret/west/migrationcontroller-patch.yaml").read_text(encoding="utf-8")
    value = f"http://{quote('dvm user', safe='')}:{quote(password, safe='')}@proxy.example.com:3128"
    assert f"stunnel_tcp_proxy: {value}\n" in control
    assert password not in control
    source = (tmp_path / OUT / "secret/east/migrationcontroller-patch.yaml").read_text(encoding="utf-8")
    assert "stunnel_tcp_proxy" not in source, "the proxy belongs on the control cluster only"


def test_generate_with_the_flag_but_no_password_is_a_clean_error(
    tmp_path: Path, secret_spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WRITER_TEST_PROXY_PASSWORD", raising=False)
    capsys.readouterr()
    assert run(["generate", str(secret_spec), "-o", str(tmp_path / OUT), "--allow-secrets-in-output"]) == 1
    assert "WRITER_TEST_PROXY_PASSWORD is not set" in capsys.readouterr().err
    assert not (tmp_path / OUT).exists() or not any((tmp_path / OUT).iterdir())


def test_generate_with_the_flag_writes_secret_files_for_the_owner_only(
    tmp_path: Path, secret_spec: Path, password: str
) -> None:
    argv = ["generate", str(secret_spec), "-o", str(tmp_path / OUT), "--allow-secrets-in-output"]
    assert run(argv) == 0
    control = tmp_path / OUT / "secret/west/migrationcontroller-patch.yaml"
    assert stat.S_IMODE(control.stat().st_mode) == 0o600
    plain = tmp_path / OUT / "secret/west/kustomization.yaml"
    assert stat.S_IMODE(plain.stat().st_mode) & 0o044, "a file without a secret keeps the usual mode"
    control.chmod(0o644)  # as an earlier version wrote it: the next run, with nothing to change, fixes it
    assert run(argv) == 0
    assert stat.S_IMODE(control.stat().st_mode) == 0o600


# --------------------------------------------------------------------------- links inside the output folder


@pytest.mark.parametrize("level", ["pair", "cluster", "file"])
def test_a_symlink_inside_the_output_folder_is_refused(
    workspace: Path, tmp_path: Path, level: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link planted as a pair or cluster folder (or a file) would send writes, or hard links, outside `-o`."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.key").write_text("KEY\n", encoding="utf-8")
    (outside / "kustomization.yaml").write_text("mine\n", encoding="utf-8")
    out = workspace / OUT
    planted = {"pair": out / "alpha", "cluster": out / "alpha/east", "file": out / "alpha/east/kustomization.yaml"}[
        level
    ]
    if planted.is_dir():
        shutil.rmtree(planted)
    else:
        planted.unlink()
    planted.symlink_to(outside / "kustomization.yaml" if level == "file" else outside)
    manifest = (out / MANIFEST).read_bytes()
    _change_both(workspace)
    capsys.readouterr()
    assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert f"{planted.relative_to(out).as_posix()} is a symbolic link" in err
    assert "never writes through a link inside the output folder" in err
    assert sorted(p.name for p in outside.iterdir()) == ["kustomization.yaml", "private.key"]
    assert (outside / "kustomization.yaml").read_text(encoding="utf-8") == "mine\n"
    assert (outside / "private.key").stat().st_nlink == 1, "an outside file was hard-linked into the overlays"
    assert (out / MANIFEST).read_bytes() == manifest
    assert planted.is_symlink()
    assert not _leftovers(out)


# --------------------------------------------------------------------------- concurrent runs


def _forked_generate(ws: Path, gate: int, log: Path) -> int:
    """A child process that waits for the gate, runs generate from `ws`, and exits with its code."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        os.read(gate, 1)
        with open(log, "w", encoding="utf-8") as stream:
            sys.stdout = sys.stderr = stream
            os.chdir(ws)
            code = run(["generate", str(ws / "specs"), "-o", str(ws / OUT)])
            stream.flush()
    finally:
        os._exit(code)


def test_concurrent_runs_take_turns(workspace: Path, tmp_path: Path) -> None:
    """Two runs started together, 20 times: one writes, the other waits, finds the overlays up to date and says so.

    The runs fork from this process (no interpreter start-up), so the test costs little CPU.
    """
    out = workspace / OUT
    (out / "alpha/east/USER-NOTES.txt").write_text("mine\n", encoding="utf-8")
    old = tmp_path / "old"
    shutil.copytree(out, old)
    new = {**_expected(tmp_path, "changed", _change_both_fresh), "alpha/east/USER-NOTES.txt": b"mine\n"}
    _change_both(workspace)
    for trial in range(20):
        shutil.rmtree(out)
        shutil.copytree(old, out)
        read, write = os.pipe()
        logs = [tmp_path / f"run-{trial}-{i}.log" for i in range(2)]
        pids = [_forked_generate(workspace, read, log) for log in logs]
        os.write(write, b"go")
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        os.close(read)
        os.close(write)
        errs = [log.read_text(encoding="utf-8") for log in logs]
        assert codes == [0, 0], f"trial {trial}: {codes}\n{errs}"
        assert _files(out) == new, f"trial {trial}: the folder is not one run's complete output\n{errs}"
        _assert_manifest_matches(out)
        assert not _leftovers(out)
        wrote = [e.split(" file(s) changed")[0].rsplit(" ", 1)[-1] != "0" for e in errs]
        assert sorted(wrote) == [False, True], f"trial {trial}: both runs wrote, or neither\n{errs}"
        assert any("2 pairs, 0 file(s) changed" in e and "0 rendered, 2 unchanged" in e for e in errs), errs


def test_a_run_that_cannot_get_the_lock_names_the_holder(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.overlay import lock  # noqa: PLC0415

    before = _files(workspace / OUT)
    _change_both(workspace)
    monkeypatch.setenv("MTC_POLICYGEN_LOCK_WAIT", "0.2")
    capsys.readouterr()
    with lock.locked(workspace / OUT):  # another open file description: flock refuses it even in this process
        assert _generate(workspace) == 1
    err = capsys.readouterr().err
    assert f"another mtc-policygen run (pid {os.getpid()}) is writing to this folder; waited 0.2 s" in err
    assert "[output-locked]" in err
    assert _files(workspace / OUT) == before
    assert not _leftovers(workspace / OUT), "the lock file outlives the run"
