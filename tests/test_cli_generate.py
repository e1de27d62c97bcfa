"""`generate` and `mtc-policygen-krm` as a user meets them: arguments, messages, headers, progress.

Test design notes:

* In-process through `generator.cli.run` where only the result matters; the installed console scripts (from
  `tests.conftest.installed_script`, run outside the repository) where the terminal matters: a pseudo-terminal
  on stdin (the KRM function must refuse it at once) or on stderr (the progress line).
* One spec named twice — the same path, another spelling of it, a symlink, or a file also found through its
  folder — is one spec: `validate` counts it once and `generate` reports no clash with itself.
* Bad `-o` values (a file, /dev/null, '', a path under a file) are usage errors: exit 2, a message naming
  the value, and nothing written.
* The default `generate` report is one line per changed pair (added/changed/removed counts); `-v` adds the
  files. The expected counts come from the specs (namespaces and clusters), not from the generator.
* Headers: in a scratch git repository with specs under `specs/prod/` and `-o gitops/overlays`, every file
  names `specs/prod/<spec>` whichever folder `generate` ran from, and its "Regenerate" command, run from the
  repository root, writes the very same bytes (checked by running it on a deleted file).
* `passwordFrom` in `generate`: the suggestion names only runtimes that exist (`render`, the KRM function);
  the text is `generator.api.SECRET_AT_APPLY_TIME`, spelled out here so the test reads on its own.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from generator import __version__, api, overlays
from generator.cli import run
from generator.mtc.network import Environment
from generator.problems import ProblemsError
from tests.conftest import EXAMPLES, installed_script

SPEC = EXAMPLES / "ovn-nodeport-strict.yaml"
SECRET_SPEC = EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml"


def invoke(*argv: str) -> int:
    try:
        return run(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def _pair_spec(name: str, namespaces: int) -> str:
    listed = ", ".join(f"ns{i}" for i in range(namespaces))
    return (
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n"
        f"  source: {{name: {name}-a, openshiftVersion: '4.14', networkType: OVNKubernetes}}\n"
        f"  target: {{name: {name}-b, openshiftVersion: '4.14', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}}\n"
        "  networkPolicy: {mode: strict}\n"
        f"  namespaces: [{listed}]\n"
    )


# --------------------------------------------------------------------------- one spec named twice


def _twice(tmp_path: Path) -> dict[str, list[str]]:
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = specs / "a.yaml"
    spec.write_text(_pair_spec("alpha", 2), encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(spec)
    return {
        "same-path": [str(spec), str(spec)],
        "other-spelling": [str(spec), str(specs / ".." / "specs" / "a.yaml")],
        "symlink": [str(spec), str(tmp_path / "link.yaml")],
        "file-and-folder": [str(spec), str(specs)],
    }


@pytest.mark.parametrize("how", ["same-path", "other-spelling", "symlink", "file-and-folder"])
def test_one_spec_given_twice_is_one_spec(tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = _twice(tmp_path)[how]
    assert invoke("validate", *inputs) == 0
    assert "ok: 1 ClusterPair spec(s) valid" in capsys.readouterr().err
    assert invoke("generate", *inputs, "-o", str(tmp_path / "out")) == 0
    err = capsys.readouterr().err
    assert "duplicate-pair" not in err
    assert "1 pair," in err


# --------------------------------------------------------------------------- -o


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("FILE", "is not a folder", id="a-file"),
        pytest.param("/dev/null", "is not a folder", id="dev-null"),
        pytest.param("", "empty", id="empty"),
        pytest.param("FILE/overlays", "not a folder", id="under-a-file"),
    ],
)
def test_bad_output_folder_is_a_usage_error(
    tmp_path: Path, value: str, shown: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("not a folder\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert invoke("generate", str(SPEC), "-o", value) == 2
    err = capsys.readouterr().err
    assert shown in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a usage error must write nothing"
    assert (tmp_path / "FILE").read_text(encoding="utf-8") == "not a folder\n"


# --------------------------------------------------------------------------- the report


def _many(tmp_path: Path, pairs: int, namespaces: int) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    for i in range(pairs):
        (specs / f"p{i}.yaml").write_text(_pair_spec(f"p{i}", namespaces), encoding="utf-8")
    return specs


def test_default_report_is_one_line_per_pair(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _many(tmp_path, 3, 40)
    assert invoke("generate", str(specs), "-o", str(tmp_path / "out")) == 0
    lines = capsys.readouterr().err.splitlines()
    # Per pair: 2 clusters x (40 policy files + controller patch + kustomization) = 84 files added.
    assert lines[1:] == [f"  p{i}: 84 added, 0 changed, 0 removed" for i in range(3)]
    assert "3 pairs, 252 file(s) changed" in lines[0]


def test_verbose_report_lists_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _many(tmp_path, 2, 3)
    assert invoke("generate", str(specs), "-o", str(tmp_path / "out")) == 0
    capsys.readouterr()
    (specs / "p1.yaml").write_text(_pair_spec("p1", 2), encoding="utf-8")  # ns2 goes away
    assert invoke("generate", str(specs), "-o", str(tmp_path / "out"), "-v") == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[1:] == [
        "  p1: 0 added, 2 changed, 2 removed",
        "    ~ p1/p1-a/kustomization.yaml",
        "    - p1/p1-a/networkpolicy-ns2.yaml",
        "    ~ p1/p1-b/kustomization.yaml",
        "    - p1/p1-b/networkpolicy-ns2.yaml",
    ]


def _read_pty(fd: int, timeout: float) -> str:
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.e2e
@pytest.mark.parametrize(("tty", "shown"), [pytest.param(True, True, id="tty"), pytest.param(False, False, id="pipe")])
def test_progress_line_only_on_a_terminal(tmp_path: Path, tty: bool, shown: bool) -> None:
    specs = _many(tmp_path, 30, 5)
    env = {**os.environ, "MTC_POLICYGEN_PROGRESS_DELAY": "0"}  # a long run, as far as the progress line knows
    argv = [str(installed_script("mtc-policygen")), "generate", str(specs), "-o", str(tmp_path / "out")]
    if tty:
        controller, terminal = pty.openpty()
        proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=terminal)
        os.close(terminal)
        err = _read_pty(controller, 60)
        os.close(controller)
        assert proc.wait(timeout=60) == 0
    else:
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0
        err = done.stderr
    assert bool(re.search(r"rendering pairs: \d+/30", err)) is shown, err
    assert "30 pairs, " in err
    if tty:  # the progress line is cleared before the report
        assert "\r\x1b[K" in err


# --------------------------------------------------------------------------- headers


def _git_repo(tmp_path: Path) -> Path:
    root = tmp_path / "gitops"
    (root / "specs" / "prod").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.copy(SPEC, root / "specs" / "prod" / "east-west.yaml")
    return root


HEADER = re.compile(
    r"# Generated by mtc-policygen from (.+); do not edit\.\n# Regenerate from the repository root with: (.+)\n"
)


@pytest.mark.parametrize("cwd", ["", "specs", "specs/prod", "gitops"])
def test_headers_name_paths_from_the_repository_root(tmp_path: Path, cwd: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _git_repo(tmp_path)
    (root / cwd).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(root / cwd)
    out = os.path.relpath(root / "gitops" / "overlays", root / cwd)
    spec = os.path.relpath(root / "specs" / "prod" / "east-west.yaml", root / cwd)
    assert invoke("generate", spec, "-o", out) == 0
    files = sorted((root / "gitops" / "overlays").rglob("*.yaml"))
    assert files
    for path in files:
        match = HEADER.match(path.read_text(encoding="utf-8"))
        assert match, path.read_text(encoding="utf-8")[:200]
        assert match[1] == "specs/prod/east-west.yaml"
        assert match[2] == "mtc-policygen generate specs/prod/east-west.yaml -o gitops/overlays"


@pytest.mark.e2e
def test_regenerate_command_reproduces_the_file(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    other = root / "specs" / "prod" / "other.yaml"
    other.write_text(_pair_spec("other", 1), encoding="utf-8")
    # Generated from the folder, run from a subfolder: the header still names this spec alone.
    script = installed_script("mtc-policygen")
    subprocess.run([str(script), "generate", "prod", "-o", "../gitops/overlays"], cwd=root / "specs", check=True)
    target = root / "gitops" / "overlays" / "ovn-nodeport-strict" / "ocp416-west" / "networkpolicy-reports.yaml"
    original = target.read_bytes()
    match = HEADER.match(original.decode())
    assert match
    target.unlink()
    argv = shlex.split(match[2])
    assert argv[0] == "mtc-policygen"
    done = subprocess.run([str(script), *argv[1:]], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == original
    check = subprocess.run(
        [str(script), "generate", "specs/prod", "-o", "gitops/overlays", "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_headers_outside_git_are_relative_to_the_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    shutil.copy(SPEC, tmp_path / "specs" / "s.yaml")
    monkeypatch.chdir(tmp_path)
    assert invoke("generate", "specs", "-o", "out") == 0
    text = next((tmp_path / "out").rglob("kustomization.yaml")).read_text(encoding="utf-8")
    assert text.startswith(
        "# Generated by mtc-policygen from ../specs/s.yaml; do not edit.\n"
        "# Regenerate from the output folder with: mtc-policygen generate ../specs/s.yaml -o .\n"
    )
    monkeypatch.chdir(tmp_path / "specs")  # the same bytes from another folder: --check passes
    assert invoke("generate", ".", "-o", "../out", "--check") == 0


# --------------------------------------------------------------------------- secrets


def test_password_refusal_names_only_runtimes_that_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DVM_PROXY_PASSWORD", "x-Pa55")
    assert invoke("generate", str(SECRET_SPEC), "-o", str(tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert "secret-in-output" in err
    assert "render it at apply time: `mtc-policygen render`, the KRM function, the Argo CD plugin" in err
    assert "x-Pa55" not in err


# --------------------------------------------------------------------------- the KRM function


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("argv", "code", "out"),
    [
        pytest.param(["--help"], 0, "ResourceList", id="help"),
        pytest.param(["--version"], 0, f"mtc-policygen-krm {__version__}", id="version"),
        pytest.param(["--frobnicate"], 2, "", id="unknown-option"),
    ],
)
def test_krm_options(tmp_path: Path, argv: list[str], code: int, out: str) -> None:
    done = subprocess.run(
        [str(installed_script("mtc-policygen-krm")), *argv],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert out in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_krm_refuses_a_terminal_on_stdin_at_once(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(installed_script("mtc-policygen-krm"))],
            cwd=tmp_path,
            stdin=terminal,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail("mtc-policygen-krm waited on a terminal")
    finally:
        with contextlib.suppress(OSError):
            os.close(terminal)
        os.close(controller)
    assert proc.returncode == 2
    assert "stdin is a terminal" in err
    assert "kustomize" in err


def test_render_refuses_a_folder(tmp_path: Path) -> None:
    """`render` prints one cluster of one pair; a folder could hold several, so it is a usage error (exit 2)."""
    shutil.copy(EXAMPLES / "ovn-nodeport-strict.yaml", tmp_path)
    with pytest.raises(SystemExit) as exited:
        run(["render", str(tmp_path), "--cluster", "ocp414-east"])
    assert exited.value.code == 2


def test_the_library_refuses_secrets_in_overlays_whoever_calls_it(tmp_path: Path) -> None:
    """spec §7: `overlays.plan_generate` keeps the secret policy itself, not only the CLI in front of it."""
    env = Environment()
    loaded = api.load_specs([str(EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml")], env)
    with pytest.raises(ProblemsError) as refused:
        overlays.plan_generate(loaded.resolved, tmp_path / "overlays", env)
    assert {p.rule for p in refused.value.problems} == {"secret-in-output"}
    assert not (tmp_path / "overlays").exists()


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_render_stdout_is_only_objects_in_every_format(fmt: str) -> None:
    """`render ... | oc apply -f -`: with problems present (a 3.11 source gets info findings), stdout parses as
    a YAML stream of Kubernetes objects and nothing else; the problems are on stderr in the format asked for."""
    cli = Path(sys.executable).parent / "mtc-policygen"
    spec = EXAMPLES / "ocp311-to-ocp412.yaml"
    proc = subprocess.run(
        [str(cli), "render", str(spec), "--cluster", "ocp311", "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    assert docs
    for doc in docs:
        assert isinstance(doc, dict), doc
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc
    assert "client-side-apply" in proc.stderr
    marker = {"text": "info:", "json": '"rule": "client-side-apply"', "github": "::notice"}[fmt]
    assert marker in proc.stderr
    assert "::notice" not in proc.stdout
