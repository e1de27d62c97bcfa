"""The package as users install it: a wheel with everything in it, `pipx install` from a checkout, pre-commit hooks.

Test design notes:

* `make test` builds the sdist and the wheel, installs the wheel into a fresh venv and runs the CLI and the KRM
  function from there (`.ci/smoke-installed`); the end-to-end tests then run those installed scripts. This
  module adds what that cannot show: the wheel's file list (every package under generator/, the templates,
  py.typed) compared with the source tree, and the two other ways in — pipx, and pre-commit's own install.
* pipx: a copy of the checkout's files (no venv, no build leftovers) is installed with `pipx install`, into a
  PIPX_HOME and PIPX_BIN_DIR under tmp; its `mtc-policygen` must render an example from a folder outside the
  repository.
* pre-commit: `pre-commit try-repo <this checkout>` in a scratch git repository holding specs, generated
  overlays and other YAML (a KRM function config, a plain manifest). Both hooks pass; a spec edited without
  regenerating makes the check hook fail and name the pair; an invalid spec makes the validate hook fail.
  PRE_COMMIT_HOME is under tmp, so the hook environment is built from this checkout every run.
* `make example` installs the package's runtime dependencies only: its dry run (`make -n -B`) installs no
  extra.
* The README and docs name no file a user does not have (the team's spec.md), and say "kubectl 1.37 with
  kustomize 5.8"; the shipped KRM example is covered in tests/e2e/test_docs_examples.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from generator.overlay.writer import MANIFEST as TOOL_MANIFEST
from tests.conftest import EXAMPLES, REPO

VENV_BIN = Path(sys.executable).parent
WEST = "ocp416-west"
DOC_PAGES = ["README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))]
pytestmark = pytest.mark.e2e


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (REPO / name).is_file()]


def _checkout_copy(dest: Path) -> Path:
    for name in _tracked_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout's tracked files, once for this module."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = _checkout_copy(tmp / "src")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(src)],
        check=True,
        timeout=600,
    )
    (built,) = (tmp / "dist").glob("mtc_policygen-*.whl")
    return built


def test_wheel_holds_every_package_and_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {p.relative_to(REPO).as_posix() for p in (REPO / "generator").rglob("*.py")}
    expected |= {f"generator/templates/{p.name}" for p in (REPO / "templates").glob("*.j2")}
    expected |= {"generator/py.typed"}
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.startswith("generator/templates/") and not n.endswith(".j2")]


FINGERPRINT = (
    "import generator.overlays as api, generator.overlay.templates as t; "
    "print(api.tool_fingerprint(), t.folder(), api.__file__)"
)


def _fingerprint(cwd: Path, pythonpath: Path | None) -> tuple[str, Path, Path]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run(
        [sys.executable, "-c", FINGERPRINT], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    fingerprint, folder, module = out.stdout.split()
    return fingerprint, Path(folder), Path(module)


def test_checkout_editable_and_wheel_find_the_templates_and_agree_on_the_fingerprint(
    wheel: Path, tmp_path: Path
) -> None:
    """The skip cache keys on the tool fingerprint: one commit run three ways must not look like three tools."""
    unpacked = tmp_path / "wheel"
    zipfile.ZipFile(wheel).extractall(unpacked)
    checkout = _checkout_copy(tmp_path / "checkout")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    runs = {
        "wheel": _fingerprint(outside, unpacked),
        "checkout, not installed": _fingerprint(outside, checkout),
        "this venv's install": _fingerprint(outside, None),
    }
    assert runs["wheel"][1] == unpacked / "generator" / "templates"
    assert runs["wheel"][2].is_relative_to(unpacked)
    assert runs["checkout, not installed"][1] == checkout / "templates"
    assert runs["checkout, not installed"][2].is_relative_to(checkout)
    assert len({fingerprint for fingerprint, _, _ in runs.values()}) == 1, runs


def test_a_checkout_without_an_install_writes_the_committed_overlays(tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path / "checkout")
    shutil.rmtree(checkout / "overlays")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(checkout)}
    argv = ["generate", "examples", "-o", "overlays"]
    code = "import sys, generator.cli as c; sys.exit(c.run(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    ours, committed = files(checkout / "overlays"), files(REPO / "overlays")
    ours.pop(TOOL_MANIFEST), committed.pop(TOOL_MANIFEST)  # fingerprint, digests: tests/overlay/test_incremental.py
    assert ours == committed


def test_pipx_install_from_a_checkout(tmp_path: Path) -> None:
    src = _checkout_copy(tmp_path / "checkout")
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    done = subprocess.run(
        [str(VENV_BIN / "pipx"), "install", "--python", sys.executable, str(src)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work / "examples")
    for script in ("mtc-policygen", "mtc-policygen-krm"):
        assert (tmp_path / "bin" / script).exists(), f"pipx did not expose {script}"
    rendered = subprocess.run(
        [str(tmp_path / "bin" / "mtc-policygen"), "render", "examples/ovn-nodeport-strict.yaml", "--cluster", WEST],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert "kind: MigrationController" in rendered.stdout


# --------------------------------------------------------------------------- pre-commit

SPEC_A = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: east-west}
spec:
  source: {name: east, openshiftVersion: "4.14", networkType: OVNKubernetes}
  target: {name: west, openshiftVersion: "4.16", networkType: OVNKubernetes, rsyncEndpointType: NodePort,
           cidrs: [203.0.113.0/24]}
  networkPolicy: {mode: strict}
  namespaces: [billing, reports]
"""
FN_CONFIG = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: dvm-policies
  annotations:
    config.kubernetes.io/function: |
      exec: {path: mtc-policygen-krm}
    mtc-policygen.io/cluster: east
    mtc-policygen.io/spec-file: ../specs/east-west.yaml
"""
MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {a: b}
"""


def _git(repo: Path, *argv: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *argv], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("gitops")
    _git(repo, "init", "-q")
    (repo / "specs").mkdir()
    (repo / "specs" / "east-west.yaml").write_text(SPEC_A, encoding="utf-8")
    (repo / "kustomize").mkdir()
    (repo / "kustomize" / "fn.yaml").write_text(FN_CONFIG, encoding="utf-8")
    (repo / "kustomize" / "configmap.yaml").write_text(MANIFEST, encoding="utf-8")
    generate = [str(VENV_BIN / "mtc-policygen"), "generate", "specs", "-o", "overlays"]
    subprocess.run(generate, cwd=repo, check=True, capture_output=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "specs and overlays")
    return repo


def _try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "pre-commit"), "try-repo", str(REPO), hook, "--all-files", "--verbose"],
        cwd=repo,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.parametrize("hook", ["mtc-policygen-validate", "mtc-policygen-check"])
def test_hooks_pass_on_specs_and_current_overlays(scratch: Path, home: Path, hook: str) -> None:
    done = _try_repo(scratch, hook, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_check_hook_fails_on_a_stale_overlay(scratch: Path, home: Path) -> None:
    spec = scratch / "specs" / "east-west.yaml"
    spec.write_text(SPEC_A.replace("[billing, reports]", "[billing, reports, ledger]"), encoding="utf-8")
    try:
        done = _try_repo(scratch, "mtc-policygen-check", home)
    finally:
        spec.write_text(SPEC_A, encoding="utf-8")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "overlays are stale" in done.stdout
    assert "east-west: 2 added, 2 changed, 0 removed" in done.stdout


def test_validate_hook_fails_on_an_invalid_spec(scratch: Path, home: Path) -> None:
    spec = scratch / "specs" / "east-west.yaml"
    spec.write_text(SPEC_A.replace("networkPolicy:", "networkPolcy:"), encoding="utf-8")
    try:
        done = _try_repo(scratch, "mtc-policygen-validate", home)
    finally:
        spec.write_text(SPEC_A, encoding="utf-8")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "networkPolcy" in done.stdout


# --------------------------------------------------------------------------- make example, README


def test_make_example_installs_runtime_dependencies_only() -> None:
    done = subprocess.run(
        ["make", "-n", "-B", "example"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    installs = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert installs, done.stdout
    assert not [line for line in installs if "[" in line or "test" in line or "lint" in line], installs


@pytest.mark.parametrize("page", DOC_PAGES)
def test_user_docs_name_nothing_a_user_lacks(page: str) -> None:
    text = (REPO / page).read_text(encoding="utf-8")
    assert "spec.md" not in text, "users do not have the team's spec.md"
    assert "kubectl 5.8" not in text
