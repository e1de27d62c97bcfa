"""Hostile input: every reproducer of an internal error, a hang or a super-linear path is a clean exit 1 or 2.

Test design notes:

* Fixtures in ``tests/hostile/`` are the reproducers as they were found (test data): preflight state files run
  against ``examples/preflight/shop-east-to-west.yaml`` with the example state of the other cluster, and a spec
  whose ``mtcVersion`` patch has 5,000 digits. Other reproducers are built in the test from the examples.
* Everything runs in process (``generator.cli.run``, ``krm.run``, ``argocd.generate``): an escaping exception
  fails the test, and ``run`` turning one into "internal error" is asserted against.
* Time bounds are CPU seconds (``time.process_time``), generous against the measured cost so a slow CI runner
  does not flake, and far below what the super-linear code took (the 2.3 MB state: over 60 s; 4,000 broken
  items: 97 s).
* Fake ``kubectl`` programs are small shell scripts: one prints binary, one never answers. The deadline test
  shrinks the run's kubectl deadline to one second and asserts the whole read ends within a few, not one
  deadline per resource.
"""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
import time
from pathlib import Path

import pytest

from generator import krm
from generator.cli import run
from generator.preflight import state
from generator.problems import ProblemsError
from generator.runtimes import argocd
from tests.conftest import EXAMPLES

HOSTILE = Path(__file__).resolve().parent / "hostile"
PREFLIGHT_SPEC = EXAMPLES / "preflight/shop-east-to-west.yaml"
WEST = EXAMPLES / "preflight/west-state.yaml"
EAST = EXAMPLES / "preflight/east-state.yaml"
HUGE_MTC = HOSTILE / "krm-huge-mtc.yaml"
DIGITS = "9" * 5000


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    started = time.process_time()
    code = run(argv)
    spent = time.process_time() - started
    captured = capsys.readouterr()
    err = captured.out + captured.err
    assert "internal error" not in err, err
    assert "Traceback" not in err
    assert spent < 20, f"{spent:.1f} s of CPU"
    return code, err


def _preflight(west: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    return _cli(["preflight", str(PREFLIGHT_SPEC), "--state", f"west={west}", "--state", f"east={EAST}"], capsys)


def _west_with(tmp_path: Path, policy: str) -> Path:
    """The example west state with one more NetworkPolicy item (YAML text, so that YAML 1.1 quirks survive)."""
    path = tmp_path / "west.yaml"
    item = textwrap.indent(textwrap.dedent(policy).strip("\n"), "  ")
    path.write_text(WEST.read_text(encoding="utf-8").rstrip("\n") + "\n- " + item.lstrip() + "\n", encoding="utf-8")
    return path


POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: hostile, namespace: shop}}
spec:
  podSelector: {selector}
  ingress:
  - ports:
    - {port}
"""


# --------------------------------------------------------------------------- preflight state


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        pytest.param("preflight-state-typeerror.yaml", "matchExpressions is a list", id="selector-typeerror"),
        pytest.param("preflight-state-attributeerror.yaml", "is not one of the exported kinds", id="timestamp-key"),
        pytest.param("preflight-state-hang.yaml", "is not a Kubernetes object", id="hang-2.3MB"),
    ],
)
def test_preflight_state_reproducers_are_clean_errors(
    fixture: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _preflight(HOSTILE / fixture, capsys)
    assert code == 2
    assert message in err
    assert re.search(rf"{re.escape(fixture)}:\d+:\d+: error: ", err), "no file:line:col"


@pytest.mark.parametrize(
    ("selector", "port", "message"),
    [
        pytest.param("{}", f"{{port: 80, endPort: {DIGITS}}}", "endPort needs a numeric port", id="endport-digits"),
        pytest.param("{matchExpressions: 5}", "{port: 80}", "matchExpressions is a list", id="match-expressions-5"),
        pytest.param("{matchLabels: {app: 5}}", "{port: 80}", "matchLabels maps label keys to string", id="label-int"),
        pytest.param("{}", "{port: 1:07:23}", "neither a number nor a port name", id="base-60-port"),
        pytest.param("{}", f"{{port: {DIGITS}}}", "neither a number nor a port name", id="port-digits"),
    ],
)
def test_preflight_hostile_policy_values(
    tmp_path: Path, selector: str, port: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _preflight(_west_with(tmp_path, POLICY.format(selector=selector, port=port)), capsys)
    assert code == 2
    assert message in err
    assert DIGITS not in err, "the message repeats 5,000 digits"


def test_many_broken_state_items_cost_linear_time(tmp_path: Path) -> None:
    """Each broken item used to compose the whole file again: 4,000 items took 97 s."""
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(f"- [{i}]\n" for i in range(4000))
    started = time.process_time()
    with pytest.raises(ProblemsError) as caught:
        state.parse_state(text, "many.yaml")
    assert time.process_time() - started < 5
    assert len(caught.value.problems) == 4000
    assert (caught.value.problems[-1].line, caught.value.problems[-1].column) == (4003, 3)


def _fake_kubectl(tmp_path: Path, body: str) -> str:
    script = tmp_path / "kubectl"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_kubectl_printing_binary_is_a_clean_error(tmp_path: Path) -> None:
    kubectl = _fake_kubectl(tmp_path, r"printf '\377\376\000\001binary'")
    with pytest.raises(ProblemsError) as caught:
        state.load_state_live("prod", kubectl)
    assert "binary data" in caught.value.problems[0].message


def test_a_hanging_kubectl_has_one_deadline_for_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each resource answers within the deadline, all five together do not: the run fails at the deadline."""
    kubectl = _fake_kubectl(tmp_path, 'sleep 0.4; echo "kind: List"; echo "items: []"')
    monkeypatch.setattr(state, "KUBECTL_TIMEOUT_S", 1)
    started = time.monotonic()
    with pytest.raises(ProblemsError) as caught:
        state.load_state_live("prod", kubectl)
    assert time.monotonic() - started < 1.8, "a deadline per resource, not one for the run"
    assert "no full answer within 1 s" in caught.value.problems[0].message


# --------------------------------------------------------------------------- mtcVersion, KRM, Argo CD


def _krm_input(spec: str, annotations: dict[str, str]) -> bytes:
    listed = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in annotations.items())
    spec = spec.replace("metadata:\n", "metadata:\n  annotations:\n" + listed, 1)
    body = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n"
    return (body + textwrap.indent(spec, "  ")).encode()


def _huge_mtc(version: str) -> str:
    return re.sub(r"(?m)^  mtcVersion: .*$", f"  mtcVersion: {version}", HUGE_MTC.read_text(encoding="utf-8"))


def test_a_patch_version_of_5000_digits_on_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(["validate", str(HUGE_MTC)], capsys)
    assert code == 1
    assert "is not an MTC version" in err
    assert "...' is not an MTC version" in err  # the value is shown cut short
    assert DIGITS not in err


@pytest.mark.parametrize(
    ("version", "message"),
    [
        pytest.param(None, "is not an MTC version", id="patch-digits"),
        pytest.param(DIGITS, "cannot read this value", id="number-digits"),
        pytest.param("1:07:23", "base-60 number", id="base-60"),
    ],
)
def test_krm_hostile_mtc_version(tmp_path: Path, version: str | None, message: str) -> None:
    spec = HUGE_MTC.read_text(encoding="utf-8") if version is None else _huge_mtc(version)
    out, err, code = krm.run(_krm_input(spec, {"mtc-policygen.io/cluster": "ocp416-west"}), tmp_path)
    assert code == 1
    assert message in out
    assert DIGITS not in out + err


def test_krm_index_annotation_of_5000_digits(tmp_path: Path) -> None:
    annotations = {
        "mtc-policygen.io/cluster": "ocp416-west",
        "config.kubernetes.io/index": DIGITS,
        "config.kubernetes.io/path": "fn.yaml",
        "internal.config.kubernetes.io/package-path": ".",
    }
    _out, err, code = krm.run(_krm_input(_huge_mtc('"1.8"'), annotations), tmp_path)
    assert code in (0, 1), err


def _argocd_env(spec: str, **extra: str) -> dict[str, str]:
    params = [{"name": "cluster", "string": "ocp416-west"}, {"name": "spec", "string": spec}]
    return {"ARGOCD_APP_PARAMETERS": json.dumps(params), "ARGOCD_APP_SOURCE_PATH": "pairs", **extra}


def test_argocd_patch_version_of_5000_digits(tmp_path: Path) -> None:
    (tmp_path / "pair.yaml").write_text(HUGE_MTC.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        argocd.generate(tmp_path, _argocd_env("pair.yaml"))
    assert any("is not an MTC version" in p.message for p in caught.value.problems)


def test_argocd_parameters_nested_30000_deep(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as caught:
        argocd.generate(tmp_path, {"ARGOCD_APP_PARAMETERS": "[" * 30000 + "]" * 30000})
    assert "nests too deep" in caught.value.problems[0].message


def test_argocd_spec_parameter_over_the_name_limit(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as caught:
        argocd.generate(tmp_path, _argocd_env("a" * 300 + ".yaml"))
    assert "the limit is 255" in caught.value.problems[0].message


def test_a_base_60_number_in_a_spec_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "pair.yaml"
    text = (EXAMPLES / "controller-on-source.yaml").read_text(encoding="utf-8")
    assert "port: 6443" in text
    spec.write_text(text.replace("port: 6443", "port: 1:07:23"), encoding="utf-8")
    code, err = _cli(["validate", str(spec)], capsys)
    assert code == 1
    assert "1:07:23 is read by YAML 1.1 as a base-60 number" in err


# --------------------------------------------------------------------------- path lengths


@pytest.mark.parametrize(
    ("argv", "limit"),
    [
        pytest.param(["generate", "SPECS", "-o", "/".join(["o" * 200] * 25)], "the limit is 4,095", id="generate-o"),
        pytest.param(["generate", "SPECS", "-o", "o" * 300], "the limit is 255", id="generate-o-name"),
        pytest.param(["validate", "s" * 300 + ".yaml"], "the limit is 255", id="validate"),
        pytest.param(["render", "s" * 300 + ".yaml", "--cluster", "x"], "the limit is 255", id="render"),
    ],
)
def test_a_path_over_the_file_system_limits_is_a_usage_error(
    tmp_path: Path, argv: list[str], limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(EXAMPLES) if a == "SPECS" else a for a in argv]
    capsys.readouterr()
    with contextlib.chdir(tmp_path), pytest.raises(SystemExit) as exited:
        run(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert limit in err
    assert "internal error" not in err
    assert not any(tmp_path.iterdir()), "something was written"
