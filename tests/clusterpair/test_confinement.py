"""Files a spec or a function config names are read only inside the run's root (and secret files also inside
MTC_POLICYGEN_SECRET_DIRS), through one bounded reader; what is read is never quoted back.

Every case puts a marker outside the root: a FIFO, which would block any reader (so a test that read it would
hang, and the timeout fails it), and a shadow-like file whose content must never appear in any output.
The runtimes: the CLI (validate, render, generate), the KRM function, the legacy exec plugin and kpt; Argo CD's
`argocd-generate` is covered in tests/runtimes/test_argocd_cmp.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from generator import krm
from generator.cli import run
from generator.clusterpair.files import FileAccess, UnreadableFileError, read_limited
from generator.runtimes import legacy

pytestmark = pytest.mark.timeout(60)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MARKER = "root:*:20228:0:99999:7:::secret-marker"
PASSWORD = "pr0xy-pass"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "shadow").write_text(MARKER + "\n")
    os.mkfifo(folder / "pipe")
    (folder / "base").mkdir()
    os.mkfifo(folder / "base" / "kustomization.yaml")
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the restricted-network example with its files (the run's root)."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for name in ("ca", "clusters", "mirror"):
        shutil.copytree(EXAMPLES / name, root / "pairs" / name)
    return root


def _spec(repo: Path, text: str) -> Path:
    path = repo / "pairs" / "spec.yaml"
    path.write_text(text)
    return path


def _restricted(old: str, new: str) -> str:
    text = (EXAMPLES / "install-restricted-network.yaml").read_text()
    assert old in text
    return text.replace(old, new, 1)


def _named(repo: Path, outside: Path, target: str, how: str) -> str:
    """How the spec names a file outside the root: absolute, `../` traversal, or a symlink inside the root."""
    if how == "absolute":
        return str(outside / target)
    if how == "traversal":
        return os.path.relpath(outside / target, repo / "pairs")
    link = repo / "pairs" / f"link-{target.replace('/', '-')}"
    link.symlink_to(outside / target)
    return link.name


FIELDS = [  # (field path, text replaced in the example, what it becomes (with {}), file outside)
    ("spec.source.base", "base: clusters/ocp311-legacy", "base: {}", "base"),
    ("spec.source.caBundleFile", "caBundleFile: ca/ocp311-api.pem", "caBundleFile: {}", "pipe"),
    ("spec.replicationRepository.caBundleFile", "caBundleFile: ca/ingress.pem", "caBundleFile: {}", "pipe"),
    ("spec.install.mirror.mapping", "mapping: mirror/mapping.txt", "mapping: {}", "pipe"),
]
HOW = ["absolute", "traversal", "symlink"]


def _assert_refused(text: str, field: str) -> None:
    line = next((ln for ln in text.splitlines() if "outside" in ln and f"{field}:" in ln), "")
    assert line, text
    assert "so it is not read" in line or "not read" in line
    assert MARKER not in text


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("field", "old", "new", "target"), FIELDS, ids=[f[0] for f in FIELDS])
@pytest.mark.parametrize("command", ["validate", "render", "generate"])
def test_cli_refuses_a_named_file_outside_the_root(  # noqa: PLR0917 - pytest passes parameters by position
    repo: Path,
    outside: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    field: str,
    old: str,
    new: str,
    target: str,
    how: str,
) -> None:
    spec = _spec(repo, _restricted(old, new.format(_named(repo, outside, target, how))))
    argv = {
        "validate": ["validate", str(spec)],
        "render": ["render", str(spec), "--cluster", "ocp412"],
        "generate": ["generate", str(spec), "-o", str(repo / "overlays")],
    }[command]
    assert run(argv) == 1
    out, err = capsys.readouterr()
    _assert_refused(err, field)
    assert MARKER not in out
    assert not (repo / "overlays").exists()


SECRETS = [  # a render-time secret named by file: (field path, text replaced, its replacement)
    (
        "spec.source.tokenFrom.file",
        "tokenFrom: {secretRef: ocp311-migration-controller-token}",
        "tokenFrom: {{file: {}}}",
    ),
    (
        "spec.replicationRepository.credentialsFrom.file",
        "credentialsFrom: {secretRef: mcg-credentials}",
        "credentialsFrom: {{file: {}}}",
    ),
]


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("target", ["pipe", "shadow"])
@pytest.mark.parametrize(("field", "old", "new"), SECRETS, ids=[s[0] for s in SECRETS])
def test_render_refuses_a_secret_file_outside_the_root_and_the_secret_dirs(  # noqa: PLR0917 - as above
    repo: Path,
    outside: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    old: str,
    new: str,
    target: str,
    how: str,
) -> None:
    monkeypatch.setenv("MTC_POLICYGEN_SECRET_DIRS", str(repo.parent / "elsewhere"))
    spec = _spec(repo, _restricted(old, new.format(_named(repo, outside, target, how))))
    assert run(["render", str(spec), "--cluster", "ocp412"]) == 1
    out, err = capsys.readouterr()
    _assert_refused(err, field)
    assert "MTC_POLICYGEN_SECRET_DIRS" in err
    assert out == ""


def _password_spec(repo: Path, file: str) -> Path:
    text = (EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml").read_text()
    return _spec(repo, text.replace("{env: DVM_PROXY_PASSWORD}", "{file: " + file + "}"))


@pytest.mark.parametrize("how", HOW)
def test_render_refuses_a_password_file_outside_the_root(
    repo: Path, outside: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    spec = _password_spec(repo, _named(repo, outside, "shadow", how))
    assert run(["render", str(spec), "--cluster", "ocp412"]) == 1
    out, err = capsys.readouterr()
    _assert_refused(err, "spec.dvm.stunnelTCPProxy.passwordFrom.file")
    assert out == ""


def test_a_password_file_in_a_secret_dir_is_read(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()
    (mount / "password").write_text(PASSWORD + "\n")
    monkeypatch.setenv("MTC_POLICYGEN_SECRET_DIRS", f"/nonexistent:{mount}")
    spec = _password_spec(repo, str(mount / "password"))
    assert run(["render", str(spec), "--cluster", "ocp412"]) == 0
    assert f"dvm:{PASSWORD}@" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (f"{PASSWORD}\nsecond line\n", "line break"),
        (MARKER + "\nroot2:*:1:0:::\n", "line break"),
        ("a\x00b=c\x00", "control character"),
        (f"{PASSWORD}\x07", "control character"),
        ("\n", "empty"),
    ],
    ids=["multi-line", "shadow-like", "environ-like", "bell", "empty"],
)
def test_a_password_that_is_not_one_line_of_text_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, why: str
) -> None:
    (repo / "pairs" / "password").write_text(content)
    spec = _password_spec(repo, "password")
    assert run(["render", str(spec), "--cluster", "ocp412"]) == 1
    out, err = capsys.readouterr()
    assert why in err
    assert out == ""
    assert MARKER not in err
    assert "second" not in err


@pytest.mark.skipif(sys.platform != "linux", reason="a non-UTF-8 environment value needs a POSIX environment")
def test_a_credential_env_var_with_a_non_utf8_byte_is_a_clean_error(repo: Path) -> None:
    spec = (EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml").read_text()
    path = _spec(repo, spec)
    env = {**os.environ, "DVM_PROXY_PASSWORD": "ab\udcffc"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "mtc-policygen"), "render", str(path), "--cluster", "ocp412"],
        env={k: os.fsencode(v) for k, v in env.items()},  # type: ignore[misc]
        capture_output=True,
        timeout=60,
        check=False,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "DVM_PROXY_PASSWORD is not UTF-8 text" in err
    assert "internal error" not in err


def test_root_option_overrides_the_repository(
    repo: Path, outside: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--root (or MTC_POLICYGEN_ROOT) decides the root; a spec outside it is not read either."""
    spec = _spec(repo, (EXAMPLES / "install-restricted-network.yaml").read_text())
    assert run(["validate", str(spec), "--root", str(repo / "pairs" / "clusters")]) == 2  # unreadable input
    err = capsys.readouterr().err
    assert "spec file:" in err
    assert "outside the root" in err
    monkeypatch.setenv("MTC_POLICYGEN_ROOT", str(repo / "pairs"))
    assert run(["validate", str(spec)]) == 0, capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        run(["validate", str(spec), "--root", str(outside / "shadow")])
    assert exc.value.code == 2


# --- the KRM function, the legacy plugin and kpt -----------------------------------------------------------

CONFIG = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: fn
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: mtc-policygen-krm
    mtc-policygen.io/cluster: ocp412
    mtc-policygen.io/spec-file: SPEC
"""


def _resource_list(config: str) -> bytes:
    body = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
    return (body + "functionConfig:\n" + textwrap.indent(config, "  ")).encode()


@pytest.mark.parametrize("how", ["absolute", "traversal", "symlink", "deep-traversal"])
def test_krm_spec_file_outside_the_root_is_not_read(repo: Path, outside: Path, how: str) -> None:
    kustomization = repo / "pairs"
    named = (
        "../" * 12 + str(outside / "shadow").lstrip("/")
        if how == "deep-traversal"
        else _named(repo, outside, "shadow", how)
    )
    out, err, code = krm.run(_resource_list(CONFIG.replace("SPEC", named)), kustomization)
    assert code == 1
    assert "mtc-policygen.io/spec-file: " in err
    assert "outside the root" in err
    results = yaml.safe_load(out)["results"]
    assert results[0]["field"]["path"] == "metadata.annotations.mtc-policygen.io/spec-file"
    assert MARKER not in out + err


def test_krm_spec_file_naming_a_fifo_or_holding_nul_is_refused(repo: Path, outside: Path) -> None:
    os.mkfifo(repo / "pairs" / "pipe.yaml")
    _, err, code = krm.run(_resource_list(CONFIG.replace("SPEC", "pipe.yaml")), repo / "pairs")
    assert code == 1
    assert "is not a regular file" in err
    _, err, code = krm.run(_resource_list(CONFIG.replace("SPEC", '"spec\\0.yaml"')), repo / "pairs")
    assert code == 1
    assert "NUL" in err


@pytest.mark.parametrize(
    "content",
    [MARKER + "\n", f"root: x\nshadow: '{MARKER}'\n", f"- {MARKER}\n", f"{{{MARKER}: [\n", f"{MARKER}: 1\n"],
    ids=["scalar", "mapping", "list", "broken-yaml", "key"],
)
def test_a_file_that_is_not_a_cluster_pair_is_never_quoted(repo: Path, content: str) -> None:
    (repo / "pairs" / "notes.yaml").write_text(content)
    out, err, code = krm.run(_resource_list(CONFIG.replace("SPEC", "notes.yaml")), repo / "pairs")
    assert code == 1
    assert MARKER not in out + err
    assert "secret-marker" not in out + err


def test_unknown_keys_and_values_of_a_cluster_pair_are_cut(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (EXAMPLES / "install-restricted-network.yaml").read_text()
    long_key = "k" * 30 + MARKER
    text = text.replace("spec:\n", f"spec:\n  {long_key}: 1\n", 1).replace('"3.11"', f'"3.11-{MARKER}"')
    spec = _spec(repo, text)
    assert run(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "unknown key" in err
    assert "..." in err
    assert MARKER not in err
    assert "secret-marker" not in err


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_krm_inline_password_file_naming_a_fifo_is_refused(repo: Path, outside: Path, where: str) -> None:
    """The function used to block on a FIFO until killed: now it is refused by place, or by type, unopened."""
    if where == "inside":
        os.mkfifo(repo / "pairs" / "pipe")
    pipe = outside / "pipe" if where == "outside" else repo / "pairs" / "pipe"
    text = (EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml").read_text()
    text = text.replace("{env: DVM_PROXY_PASSWORD}", "{file: " + str(pipe) + "}").replace(
        "metadata:\n  name: ocp311-to-ocp412\n",
        "metadata:\n  name: ocp311-to-ocp412\n  annotations:\n    mtc-policygen.io/cluster: ocp412\n",
    )
    out, err, code = krm.run(_resource_list(text), repo / "pairs")
    assert code == 1
    assert "spec.dvm.stunnelTCPProxy.passwordFrom.file" in err
    assert ("outside the root" if where == "outside" else "is not a regular file") in err
    assert MARKER not in out + err


def test_secret_bearing_fields_are_never_quoted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml").read_text()
    spec = _spec(repo, text.replace("url: http://proxy.example.com:3128", "url: 31415926535", 1))
    assert run(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "spec.dvm.stunnelTCPProxy.url: expected a string" in err
    assert "31415926535" not in err


def test_legacy_plugin_refuses_a_spec_file_outside_the_root(repo: Path, outside: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"  # kustomize's temp copy of the config: outside the root, and read
    config.write_text(CONFIG.replace("SPEC", str(outside / "pipe")))
    out, err, code = legacy.run([str(config)], b"", repo / "pairs")
    assert (out, code) == ("", 1)
    assert "outside the root" in err
    assert MARKER not in err


def test_legacy_plugin_refuses_a_fifo_config(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "config.yaml")
    out, err, code = legacy.run([str(tmp_path / "config.yaml")], b"", tmp_path)
    assert (out, code) == ("", 1)
    assert "is not a regular file" in err


def test_kpt_refuses_a_spec_file_outside_the_root(repo: Path, outside: Path) -> None:
    kpt = shutil.which("kpt")
    if kpt is None:
        pytest.skip("kpt is not installed")
    package = repo / "pkg"
    package.mkdir()
    (package / "fn.yaml").write_text(CONFIG.replace("SPEC", str(outside / "pipe")))
    (package / "Kptfile").write_text(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: pkg}\n"
        "pipeline:\n  mutators:\n  - {exec: mtc-policygen-krm, configPath: fn.yaml}\n"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [kpt, "fn", "render", str(package), "--allow-exec"],
        cwd=repo.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "outside the root" in proc.stdout + proc.stderr
    assert MARKER not in proc.stdout + proc.stderr


def test_krm_accepts_a_resource_list_over_the_spec_limit(repo: Path) -> None:
    """The 4 MiB cap is a spec's; a ResourceList (a whole build) has its own limit: 50,000 items work."""
    spec = _spec(repo, (EXAMPLES / "ovn-nodeport-strict.yaml").read_text())
    data = yaml.safe_load(spec.read_text())
    config = CONFIG.replace("SPEC", spec.name).replace("ocp412", data["spec"]["source"]["name"])
    items = "".join(
        f"- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}, namespace: n}}, data: {{k: {'v' * 20}}}}}\n"
        for i in range(50_000)
    )
    raw = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
        + items
        + "functionConfig:\n"
        + textwrap.indent(config, "  ")
    ).encode()
    assert len(raw) > 4 * 1024 * 1024
    out, err, code = krm.run(raw, repo / "pairs")
    assert code == 0, err
    assert out.count("kind: ConfigMap") == 50_000


def test_legacy_plugin_accepts_a_stream_over_the_spec_limit(repo: Path, tmp_path: Path) -> None:
    """The legacy plugin reads its items with the ResourceList limit too, not a spec's 4 MiB."""
    spec = _spec(repo, (EXAMPLES / "ovn-nodeport-strict.yaml").read_text())
    source = yaml.safe_load(spec.read_text())["spec"]["source"]["name"]
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("SPEC", spec.name).replace("ocp412", source))
    value = "v" * 4096
    items = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{k: {value}}}\n" for i in range(1_200)
    )
    assert len(items) > 4 * 1024 * 1024
    out, err, code = legacy.run([str(config)], items.encode(), repo / "pairs")
    assert code == 0, err
    assert out.count("kind: ConfigMap") == 1_200


# --- the reader itself -------------------------------------------------------------------------------------


def test_reader_refuses_devices_fifos_and_sparse_files_before_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as stream:
        stream.truncate(3 << 30)
    for path, why in (
        (tmp_path / "pipe", "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (sparse, "the limit is 4,096"),
        (tmp_path, "is a directory"),
    ):
        with pytest.raises(UnreadableFileError, match=why):
            read_limited(path, 4096)


def test_root_is_the_repository_or_the_folder(tmp_path: Path) -> None:
    (tmp_path / "r" / ".git").mkdir(parents=True)
    (tmp_path / "r" / "a" / "b").mkdir(parents=True)
    assert FileAccess.decide(tmp_path / "r", {}).root == (tmp_path / "r").resolve()
    access = FileAccess.decide(tmp_path / "r", {"MTC_POLICYGEN_ROOT": str(tmp_path / "r" / "a")})
    assert access.root == (tmp_path / "r" / "a").resolve()
    with pytest.raises(UnreadableFileError, match="outside the root"):
        access.locate(tmp_path / "r" / "a", "../x", "base")
    assert access.locate(tmp_path / "r" / "a", "b", "base") == (tmp_path / "r" / "a" / "b").resolve()


@pytest.mark.parametrize("argv", [["validate", "--skip-non-specs"], ["validate"], ["render", "--cluster", "x"]])
def test_a_spec_given_as_a_fifo_is_refused_unopened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    os.mkfifo(tmp_path / "spec.yaml")
    code = run([argv[0], str(tmp_path / "spec.yaml"), *argv[1:]])
    assert code == 2  # unreadable input
    assert "is not a regular file" in capsys.readouterr().err


def test_argocd_root_is_the_app_folder_minus_the_source_path(tmp_path: Path) -> None:
    from generator.runtimes.argocd import repository_root  # noqa: PLC0415

    app = tmp_path / "copy" / "pairs" / "east"
    app.mkdir(parents=True)
    real = tmp_path.resolve()
    assert repository_root(app, {"ARGOCD_APP_SOURCE_PATH": "pairs/east"}) == real / "copy"
    assert repository_root(app, {"ARGOCD_APP_SOURCE_PATH": "/pairs/east/"}) == real / "copy"
    assert repository_root(app, {"ARGOCD_APP_SOURCE_PATH": "."}) == app.resolve()
    # a source path that does not end the folder, or climbs, never widens the root
    assert repository_root(app, {"ARGOCD_APP_SOURCE_PATH": "other/east"}) == app.resolve()
    assert repository_root(app, {"ARGOCD_APP_SOURCE_PATH": "../east"}) == app.resolve()


def _run_runtime(runtime: str, repo: Path, tmp_path: Path) -> str:
    """Render cluster ocp412 of repo/pairs/spec.yaml with one runtime; its messages (it must fail)."""
    from generator.problems import ProblemsError, format_text  # noqa: PLC0415
    from generator.runtimes import argocd  # noqa: PLC0415

    folder = repo / "pairs"
    if runtime == "argocd":
        environ = {"ARGOCD_APP_SOURCE_PATH": "pairs", "PARAM_CLUSTER": "ocp412"}
        with pytest.raises(ProblemsError) as exc:
            argocd.generate(folder, environ)
        return format_text(exc.value.problems)
    config = CONFIG.replace("SPEC", "spec.yaml")
    if runtime == "krm":
        out, err, code = krm.run(_resource_list(config), folder)
        assert code == 1
        return out + err
    (tmp_path / "config.yaml").write_text(config)
    out, err, code = legacy.run([str(tmp_path / "config.yaml")], b"", folder)
    assert (out, code) == ("", 1)
    return err


@pytest.mark.parametrize("runtime", ["krm", "legacy", "argocd"])
@pytest.mark.parametrize(
    ("field", "old", "new", "target"),
    [*FIELDS[1:], *((f, o, n, "pipe") for f, o, n in SECRETS)],
    ids=[f[0] for f in [*FIELDS[1:], *SECRETS]],
)
def test_every_runtime_refuses_every_named_file_outside_the_root(  # noqa: PLR0917 - pytest parameters
    repo: Path, outside: Path, tmp_path: Path, runtime: str, field: str, old: str, new: str, target: str
) -> None:
    """The KRM function and the legacy plugin take the objects as the base (`base` is not read there); every
    other field is refused the same way in each runtime, and the FIFO outside is never opened."""
    _spec(repo, _restricted(old, new.format(str(outside / target))))
    _assert_refused(_run_runtime(runtime, repo, tmp_path), field)


def test_argocd_refuses_a_base_outside_the_repository(repo: Path, outside: Path, tmp_path: Path) -> None:
    _spec(repo, _restricted("base: clusters/ocp311-legacy", f"base: {outside / 'base'}"))
    from generator.problems import ProblemsError, format_text  # noqa: PLC0415
    from generator.runtimes import argocd  # noqa: PLC0415

    with pytest.raises(ProblemsError) as exc:
        argocd.generate(repo / "pairs", {"ARGOCD_APP_SOURCE_PATH": "pairs", "PARAM_CLUSTER": "ocp311"})
    _assert_refused(format_text(exc.value.problems), "spec.source.base")


@pytest.mark.parametrize(("field", "old", "new", "target"), FIELDS[1:], ids=[f[0] for f in FIELDS[1:]])
def test_a_fifo_inside_the_root_is_refused_unopened(  # noqa: PLR0917 - pytest parameters
    repo: Path, capsys: pytest.CaptureFixture[str], field: str, old: str, new: str, target: str
) -> None:
    os.mkfifo(repo / "pairs" / target)
    spec = _spec(repo, _restricted(old, new.format(target)))
    assert run(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    line = next((ln for ln in err.splitlines() if "is not a regular file" in ln), "")
    assert f"{field}:" in line, err
