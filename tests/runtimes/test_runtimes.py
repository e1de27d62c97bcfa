"""The runtime adapters on their own: ResourceList in and out, the legacy plugin's argv/stdin, the installer.

Test design notes:

* In-process calls of ``generator.krm.run(bytes, cwd)`` and ``generator.runtimes.legacy.run(argv,
  bytes, cwd)`` (what ``main`` does minus the real stdin/stdout); the installer through ``generator.cli.run``.
  The real binaries are in tests/e2e/test_runtimes.py.
* Pass-through is checked as text: an unrelated item written in the emitter's own layout, with scalars a YAML
  1.1 round trip would change (``on``, ``017``, a date, ``1e3``, quoting, a block literal), must come back as
  the same characters.
* Secrets: a marker password with reserved URL characters, from the environment and from a file; it must be
  URL-encoded in the controller and absent from stderr, ``results`` and an internal error.
* Positions: with a kustomization.yaml listing fn.yaml in the working folder (kustomize's layout), a problem
  in an inline spec points at fn.yaml's line, not at the copy kustomize handed over.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from generator import cli, krm
from generator.runtimes import legacy

Obj = dict[str, Any]
PASSWORD = "Mark3r:p@ss/w0rd#x"
ENCODED = quote(PASSWORD, safe="")

SPEC = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: rt
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: mtc-policygen-krm
    mtc-policygen.io/cluster: src
spec:
  controlCluster: source
  source: {name: src, openshiftVersion: "4.13", networkType: OVNKubernetes}
  target: {name: dst, openshiftVersion: "4.14", networkType: OVNKubernetes}
  dvm:
    stunnelTCPProxy:
      url: http://192.0.2.10:3128
      username: dvm
      passwordFrom: PASSWORD_FROM
  namespaces:
  - source: payments
    target: payments
    egressFirewall: {name: default}
"""

UNRELATED = """\
- apiVersion: example.com/v1
  kind: Widget
  metadata:
    name: quirks
    annotations:
      config.kubernetes.io/index: '0'
      kustomize.config.k8s.io/id: |
        kind: Widget
        name: quirks
  spec:
    enabled: on
    mode: 017
    since: 2024-01-01
    ratio: 1e3
    count: "42"
    note: 'single'
    script: |
      line one
      line two
"""

FIREWALL = """\
- apiVersion: k8s.ovn.org/v1
  kind: EgressFirewall
  metadata:
    name: default
    namespace: payments
  spec:
    egress:
    - type: Deny
      to:
        cidrSelector: 0.0.0.0/0
"""


def _spec(password_from: str = "{env: DVM_PROXY_PASSWORD}") -> str:  # noqa: S107 - where from, not a value
    return SPEC.replace("PASSWORD_FROM", password_from)


def _resource_list(items: str, config: str) -> bytes:
    body = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
    return (body + "functionConfig:\n" + textwrap.indent(config, "  ")).encode()


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVM_PROXY_PASSWORD", PASSWORD)


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert ENCODED not in text


def test_unrelated_items_pass_through_as_the_same_text(tmp_path: Path) -> None:
    out, err, code = krm.run(_resource_list(UNRELATED + FIREWALL, _spec()), tmp_path)
    assert code == 0, err
    assert UNRELATED in out, "the unrelated item must come back character for character"
    data = yaml.safe_load(out)
    controller = next(o for o in data["items"] if o["kind"] == "MigrationController")
    assert controller["spec"]["stunnel_tcp_proxy"] == f"http://dvm:{ENCODED}@192.0.2.10:3128"
    firewall = next(o for o in data["items"] if o["kind"] == "EgressFirewall")
    assert firewall["spec"]["egress"][0] == {
        "type": "Allow",
        "to": {"cidrSelector": "192.0.2.10/32"},
        "ports": [{"protocol": "TCP", "port": 3128}],
    }
    _no_secret(err)


def test_generated_objects_never_carry_the_local_config_annotation(tmp_path: Path) -> None:
    """kustomize generators get the config as the only item, marked local-config: echoed, never copied."""
    config = _spec().replace("egressFirewall: {name: default}", "egressFirewall: {name: default, rules: []}")
    cluster = "    mtc-policygen.io/cluster: src\n"
    marked = config.replace(cluster, cluster + "    config.kubernetes.io/local-config: 'true'\n")
    items = "- " + textwrap.indent(marked, "  ")[2:]
    out, err, code = krm.run(_resource_list(items, marked), tmp_path)
    assert code == 0, err
    data = yaml.safe_load(out)
    generated = [o for o in data["items"] if o["kind"] != "ClusterPair"]
    assert [o["kind"] for o in generated] == ["MigrationController", "NetworkPolicy", "EgressFirewall"]
    assert "local-config" not in yaml.safe_dump(generated)


def test_error_echoes_items_with_results_pointing_into_the_users_file(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [base]\ntransformers: [fn.yaml]\n")
    (tmp_path / "fn.yaml").write_text(_spec())
    # kustomize hands over a copy with sorted keys and its own annotation; the problem must point at fn.yaml.
    copy = yaml.safe_load(_spec())
    copy["metadata"]["annotations"]["config.kubernetes.io/local-config"] = "true"
    raw = _resource_list(UNRELATED, yaml.safe_dump(copy, sort_keys=True))
    out, err, code = krm.run(raw, tmp_path)
    assert code == 1
    assert err.startswith("fn.yaml:22:21: error: spec.namespaces[0].egressFirewall: the input items hold no Egress")
    data = yaml.safe_load(out)
    assert UNRELATED in out, "kpt deletes what does not come back: the input items return unchanged"
    (result,) = data["results"]
    assert result["severity"] == "error"
    assert result["field"]["path"] == "spec.namespaces[0].egressFirewall"
    assert result["file"]["path"] == "fn.yaml"
    _no_secret(out, err)


def test_password_from_a_mounted_file(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    config = _spec(f"{{file: {tmp_path / 'secret'}}}")
    out, err, code = krm.run(_resource_list(FIREWALL, config), tmp_path)
    assert code == 0, err
    assert f"http://dvm:{ENCODED}@192.0.2.10:3128" in out


def test_missing_password_names_where_it_was_looked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DVM_PROXY_PASSWORD")
    out, err, code = krm.run(_resource_list(FIREWALL, _spec()), tmp_path)
    assert code == 1
    assert "environment variable DVM_PROXY_PASSWORD is not set" in err
    assert "DVM_PROXY_PASSWORD" in yaml.safe_load(out)["results"][0]["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"", "stdin must be one ResourceList", id="empty"),
        pytest.param(b"kind: ConfigMap\n", "stdin must be one ResourceList", id="not-a-resource-list"),
        pytest.param(b"kind: ResourceList\nitems: {}\n", "`items` must be a list", id="items-not-a-list"),
        pytest.param(b"kind: ResourceList\nitems: []\n", "needs a ClusterPair `functionConfig`", id="no-config"),
        pytest.param(b"kind: [\n", "invalid YAML", id="not-yaml"),
    ],
)
def test_bad_input_fails_with_a_reason(tmp_path: Path, raw: bytes, message: str) -> None:
    out, err, code = krm.run(raw, tmp_path)
    assert code == 1
    assert message in err
    assert yaml.safe_load(out)["kind"] == "ResourceList"


def test_internal_error_prints_no_traceback_and_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> int:
        raise ValueError(f"boom {PASSWORD}")

    monkeypatch.setattr("generator.krm.main", broken)
    monkeypatch.delenv("MTC_POLICYGEN_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        cli.krm_main()
    assert exit_.value.code == 3
    err = capsys.readouterr().err
    assert "internal error (ValueError)" in err
    assert "Traceback" not in err
    _no_secret(err)


# --------------------------------------------------------------------------- legacy exec plugin


def test_legacy_transformer_reads_argv_and_a_plain_stream(tmp_path: Path) -> None:
    config = tmp_path / "kust-plugin-config-1"
    config.write_text(_spec())
    items = "".join(f"---\n{_unlist(i)}" for i in (UNRELATED, FIREWALL))
    out, err, code = legacy.run([str(config)], items.encode(), tmp_path)
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in docs] == ["Widget", "EgressFirewall", "MigrationController", "NetworkPolicy"]
    assert docs[1]["spec"]["egress"][0]["type"] == "Allow"
    assert _unlist(UNRELATED) in out


def _unlist(item: str) -> str:
    """A `- ` list entry as a document of its own."""
    return textwrap.dedent("  " + item[2:])


def test_legacy_failure_prints_nothing_on_stdout(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(_spec())
    out, err, code = legacy.run([str(config)], b"", tmp_path)
    assert (out, code) == ("", 1)
    assert "no EgressFirewall payments/default" in err
    _no_secret(err)


def test_legacy_usage(tmp_path: Path) -> None:
    assert legacy.run([], b"", tmp_path)[2] == 2
    out, err, code = legacy.run([str(tmp_path / "missing")], b"", tmp_path)
    assert (out, code) == ("", 1)
    assert "no such file" in err


def test_install_writes_a_launcher_and_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    assert cli.run(["kustomize-plugin", "install", str(home)]) == 0
    assert cli.run(["kustomize-plugin", "install", str(home)]) == 0, "installing again replaces the launcher"
    plugin = home / "mtc-policygen.io/v1alpha1/clusterpair/ClusterPair"
    text = plugin.read_text()
    assert text.startswith("#!/"), "kustomize execs it: it needs a shebang"
    assert "from generator.runtimes.legacy import main" in text
    assert plugin.stat().st_mode & 0o111 == 0o111
    assert [p.name for p in plugin.parent.iterdir()] == ["ClusterPair"], "no temp file left"
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.run(["kustomize-plugin", "install", str(blocker)]) == 2
    assert cli.run(["kustomize-plugin", "install", str(blocker / "sub")]) == 2
    assert "cannot install" in capsys.readouterr().err


def test_legacy_internal_error_prints_no_traceback_and_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> tuple[str, str, int]:
        raise ValueError(f"boom {PASSWORD}")

    monkeypatch.setattr(legacy, "run", broken)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    monkeypatch.delenv("MTC_POLICYGEN_DEBUG", raising=False)
    assert legacy.main(["config.yaml"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "internal error (ValueError)" in captured.err
    _no_secret(captured.err)
