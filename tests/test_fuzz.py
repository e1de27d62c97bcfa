"""Fuzzing the three ways hostile text gets in: spec files, KRM ResourceLists and preflight state exports.

Test design notes:

* Inputs start from shipped, valid files (the example specs, the render-time spec whose proxy password comes
  from the environment, the example preflight states) and are mutated as text: a slice deleted or duplicated,
  a token inserted (YAML punctuation, tags, huge or base-60 numbers, unicode), a number replaced by thousands
  of digits. Text mutations reach the parser's corners that structured mutations (tests/clusterpair/test_properties.py)
  cannot.
* Invariants for every input: an exit code in {0, 1, 2}; no "internal error" and no escaping exception; each
  run under a few seconds of CPU; the marker password never appears in any output. The marker holds a space
  and an `@`, so its legitimate place (URL-encoded in the rendered proxy URL) never contains it verbatim.
* Bounded for the normal suite (a few dozen examples each, derandomized so that CI is deterministic);
  `make fuzz` sets MTC_POLICYGEN_FUZZ_EXAMPLES to run thousands with fresh randomness.
"""

from __future__ import annotations

import os
import re
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import krm
from generator.cli import run
from tests.conftest import EXAMPLES

_EXAMPLES_ENV = "MTC_POLICYGEN_FUZZ_EXAMPLES"
_LONG = bool(os.environ.get(_EXAMPLES_ENV))
SETTINGS = settings(
    max_examples=int(os.environ.get(_EXAMPLES_ENV) or 25),
    deadline=None,
    derandomize=not _LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MARKER = "fuzz marker@S3cret"
CPU_LIMIT_S = 5.0

RENDER_TIME = EXAMPLES / "render-time/ocp311-to-ocp412.yaml"
SPECS = [RENDER_TIME.read_text(encoding="utf-8")] + [
    p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.yaml"))[:4]
]
STATES = [(EXAMPLES / f"preflight/{c}-state.yaml").read_text(encoding="utf-8") for c in ("west", "east")]
PREFLIGHT_SPEC = EXAMPLES / "preflight/shop-east-to-west.yaml"

TOKENS = [
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "!!str ",
    "!!timestamp ",
    "!!float ",
    "!!binary ",
    "!foo ",
    "? ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "\n",
    "\n  ",
    "\t",
    "~",
    "null",
    "1:07:23",
    "0x1F",
    "1e999",
    ".nan",
    "-1",
    "9" * 5000,
    "1.8." + "9" * 4400,
    "\x00",
    "\ufeff",
    "\u2028",
    "é",
    "\U0001f600",
    "matchExpressions: 5",
    "port: ",
    "endPort: ",
    "passwordFrom: {env: FUZZ_PASSWORD}",
]


@st.composite
def mutated(draw: st.DrawFn, sources: list[str]) -> str:
    """A source text with a few edits: delete or duplicate a slice, insert a token, blow a number up."""
    text = draw(st.sampled_from(sources))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "duplicate", "insert", "digits"]))
        if edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 200)) :]
        elif edit == "duplicate":
            text = text[:at] + text[at : at + draw(st.integers(1, 400))] + text[at:]
        elif edit == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=4)) + text[at:]
        else:
            text = re.sub(r"\d+", lambda m: m.group(0) + "9" * 4400, text, count=1) if at % 2 else text
    return text


@pytest.fixture(autouse=True)
def _marker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVM_PROXY_PASSWORD", MARKER)
    monkeypatch.setenv("FUZZ_PASSWORD", MARKER)


def _timed_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    started = time.process_time()
    try:
        code = run(argv)
    except SystemExit as exc:  # a usage error from argparse
        code = int(exc.code or 0)
    spent = time.process_time() - started
    captured = capsys.readouterr()
    return _checked(code, captured.out + captured.err, spent)


def _checked(code: int, output: str, spent: float) -> tuple[int, str]:
    assert code in (0, 1, 2), f"exit {code}\n{output[-2000:]}"
    assert "internal error" not in output, output[-2000:]
    assert "Traceback" not in output
    assert MARKER not in output, "the marker password reached the output"
    assert spent < CPU_LIMIT_S, f"{spent:.1f} s of CPU"
    return code, output


@SETTINGS
@given(text=mutated(SPECS))
def test_fuzz_spec_text(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    spec = tmp_path / "pair.yaml"
    spec.write_bytes(text.encode("utf-8", "surrogatepass"))
    _timed_cli(["validate", str(spec)], capsys)


@SETTINGS
@given(text=mutated(SPECS), cluster=st.sampled_from(["ocp412", "ocp311", "east", "x"]))
def test_fuzz_krm_resource_list(tmp_path: Path, text: str, cluster: str) -> None:
    config = text.replace("metadata:\n", f"metadata:\n  annotations:\n    mtc-policygen.io/cluster: {cluster}\n", 1)
    raw = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: keep}}\nfunctionConfig:\n" + textwrap.indent(config, "  ")
    ).encode("utf-8", "surrogatepass")
    started = time.process_time()
    out, err, code = krm.run(raw, tmp_path)
    _checked(code, out + err, time.process_time() - started)


@SETTINGS
@given(text=mutated(STATES), side=st.sampled_from(["west", "east"]))
def test_fuzz_preflight_state(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, side: str) -> None:
    state = tmp_path / "state.yaml"
    state.write_bytes(text.encode("utf-8", "surrogatepass"))
    other = "east" if side == "west" else "west"
    argv = ["preflight", str(PREFLIGHT_SPEC), "--state", f"{side}={state}"]
    argv += ["--state", f"{other}={EXAMPLES / f'preflight/{other}-state.yaml'}"]
    _timed_cli(argv, capsys)
