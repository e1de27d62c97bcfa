"""Hostile and broken input, and secrets, through the CLI in-process (`generator.cli.run`).

Test design notes:
- Every bad input gives a clean problem: the expected rule at the expected line and column (0:0 for a file-level
  problem), the right exit code (1 for a readable file that is not a valid spec, 2 for a missing, unreadable,
  binary, non-UTF-8 or oversized file), nothing on stderr with `--format json` (so no traceback), and it
  takes well under LIMIT seconds of CPU (an alias bomb or a deep nesting must not hang or exhaust memory).
  CPU time, not wall time: a loaded CI runner stretches wall time, never the work an input causes.
- Deep nesting runs in a subprocess: libyaml's composer recurses in C, so a regression would kill pytest
  itself with SIGSEGV instead of failing one test.
- Secrets: a known password sits in the stunnel proxy URL (inline credentials, refused), in `httpProxy`
  (a warning), or behind `passwordFrom` (env or file). For every command (`validate`, `generate`, `render`),
  every `--format`, and failures (generate refusing the secret, a spec error, a missing variable, an oversized
  password file) the password never appears on stderr, nor on stdout -- except the one place it belongs:
  a successful `render` of the control cluster prints it in the MigrationController. `generate
  --allow-secrets-in-output` writes it into the overlay files only (checked, so the leak checks see a password
  that was really read).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.cli import run
from tests.conftest import EXAMPLES, REPO

LIMIT = 3.0  # seconds: "a second or two" with headroom for a slow CI runner
PASSWORD = "Tr0ub4dor-3"
BASE = (EXAMPLES / "ovn-nodeport-strict.yaml").read_text()
RENDER_TIME = (EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml").read_text()


def invoke(*argv: str) -> int:
    try:
        return run(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def alias_bomb(levels: int = 9) -> bytes:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    names = "abcdefghijklmnop"[:levels]
    return (text + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in itertools.pairwise(names))).encode()


GARBAGE = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(128))  # 4 KiB, deterministic
SPEC_TEXT = "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata:\n  name: x\n"


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        pytest.param(b"", (1, "empty-document", 0, 0), id="empty-file"),
        pytest.param(b"# only\n# comments\n\n", (1, "empty-document", 0, 0), id="only-comments"),
        pytest.param(b"---\n...\n", (1, "empty-document", 0, 0), id="empty-document-markers"),
        pytest.param(b"apiVersion: x\nspec: [a, b\nkind: y\n", (1, "yaml-syntax", 3, 5), id="unclosed-flow-list"),
        pytest.param(b"spec:\n  a: 1\n   b: 2\n", (1, "yaml-syntax", 3, 5), id="bad-indentation"),
        pytest.param(b'a: "unterminated\n', (1, "yaml-syntax", 2, 1), id="unterminated-string"),
        pytest.param(b"spec:\n\tsource: x\n", (1, "yaml-syntax", 2, 1), id="tab-indentation"),
        pytest.param(b"a: !!python/object:os.system echo\n", (1, "yaml-syntax", 1, 4), id="python-tag"),
        pytest.param(b"a: !!timestamp 2001-13-45\n", (1, "yaml-syntax", 1, 4), id="bad-timestamp"),
        pytest.param(b"- apiVersion: x\n- kind: y\n", (1, "wrong-type", 1, 1), id="list-not-mapping"),
        pytest.param(b"just a string\n", (1, "wrong-type", 1, 1), id="scalar-not-mapping"),
        pytest.param(
            SPEC_TEXT.encode() + b"---\n" + SPEC_TEXT.encode(), (1, "multiple-documents", 6, 1), id="several-documents"
        ),
        pytest.param(
            BASE.encode().replace(b"mtc-policygen.io/v1alpha1", b"v1"),
            (1, "not-a-cluster-pair", 16, 1),
            id="wrong-api-version",
        ),
        pytest.param(
            BASE.encode().replace(b"kind: ClusterPair", b"kind: MigPlan"),
            (1, "not-a-cluster-pair", 16, 1),
            id="wrong-kind",
        ),
        pytest.param(
            BASE.encode().replace(b"        name: default", b"        nmae: default"),
            (1, "unknown-key", 38, 9),
            id="unknown-key-at-depth",
        ),
        pytest.param(
            BASE.encode().replace(b"    mode: strict", b"    mode: [strict]"),
            (1, "wrong-type", 33, 11),
            id="wrong-type-list",
        ),
        pytest.param(
            BASE.encode().replace(b'mtcVersion: "1.8"', b"mtcVersion: {v: 1}"),
            (1, "wrong-type", 21, 15),
            id="wrong-type-mapping",
        ),
        pytest.param(
            BASE.encode().replace(b"  source:\n", b"  source:\n    name: dup\n"),
            (1, "duplicate-key", 24, 5),
            id="duplicate-key",
        ),
        pytest.param(alias_bomb(), (1, "too-many-nodes", 1, 32), id="billion-laughs"),
        pytest.param(GARBAGE, (2, "not-yaml", 0, 0), id="binary-garbage"),
        pytest.param(b"apiVersion: \x1b[31mred\n", (2, "not-yaml", 0, 0), id="control-characters"),
        pytest.param("kind: Clusterpaar\n".encode("utf-16"), (2, "not-yaml", 0, 0), id="utf-16"),
        pytest.param("name: caf\xe9\n".encode("latin-1"), (2, "not-yaml", 0, 0), id="latin-1"),
        pytest.param(b"# " + b"x" * (10 * 1024 * 1024) + b"\n", (2, "file-too-large", 0, 0), id="10-mb-file"),
        pytest.param(BASE.replace("\n", "\r\n").encode(), (0, "", 0, 0), id="crlf-is-fine"),
        pytest.param(b"\xef\xbb\xbf" + BASE.encode(), (0, "", 0, 0), id="utf-8-bom-is-fine"),
    ],
)
def test_bad_input_gives_a_clean_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expect: tuple[int, str, int, int]
) -> None:
    code, rule, line, col = expect
    file = tmp_path / "spec.yaml"
    file.write_bytes(content)
    start = time.process_time()
    assert invoke("validate", "--format", "json", str(file)) == code
    assert time.process_time() - start < LIMIT
    out, err = capsys.readouterr()
    assert err == ""
    problems = json.loads(out)
    if rule:
        assert (problems[0]["rule"], problems[0]["line"], problems[0]["column"]) == (rule, line, col), problems
        assert problems[0]["severity"] == "error"
    assert all(p["message"] and "\n" not in p["message"] for p in problems)


def test_unknown_keys_inside_free_form_firewall_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "spec.yaml"
    file.write_text(BASE.replace("port: 6443", "port: 6443\n                deep: {x: 1}"))
    assert invoke("validate", "--format", "json", str(file)) == 1
    problems = json.loads(capsys.readouterr().out)
    assert [(p["rule"], p["path"], p["line"]) for p in problems] == [
        ("egress-firewall-rules", "spec.namespaces[0].egressFirewall.rules[0].ports[0]", 44)
    ]


# A child interpreter with 1 GiB of address space: a regression crashes or fails it, not the test run.
CHILD = "import resource as r; r.setrlimit(r.RLIMIT_AS, (1 << 30,) * 2); from generator.cli import main; main()"


def validate_in_child(path: str) -> subprocess.CompletedProcess[str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, "validate", path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert cpu < LIMIT + 2  # a fresh interpreter starts first
    assert "Traceback" not in proc.stderr
    return proc


@pytest.mark.parametrize(("kind", "where"), [("flow", "1:68"), ("block", "66:66"), ("flow-mapping", "1:260")])
def test_deep_nesting_is_refused_without_crashing(tmp_path: Path, kind: str, where: str) -> None:
    depth = 100_000
    text = {
        "flow": "a: " + "[" * depth + "]" * depth,
        "block": "".join(" " * i + "- \n" for i in range(2_000)),
        "flow-mapping": "a: " + "{b: " * depth + "1" + "}" * depth,
    }[kind]
    file = tmp_path / "deep.yaml"
    file.write_text(text)
    proc = validate_in_child(str(file))
    assert proc.returncode == 1
    assert proc.stderr == f"{file}:{where}: error: the document nests deeper than 64 levels [too-deep]\n"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused() -> None:
    proc = validate_in_child("/dev/zero")
    assert proc.returncode == 2
    # refused by its type, before it is opened: a device is never read
    assert proc.stderr == (
        "/dev/zero: error: is not a regular file (a FIFO, device or socket is never read) [unreadable-file]\n"
    )


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("validate", str(tmp_path / "absent.yaml")) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'absent.yaml'}: error: no such file [unreadable-file]\n"


def test_permission_denied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "spec.yaml"
    file.write_text(BASE)
    file.chmod(0)
    try:
        if os.access(file, os.R_OK):
            pytest.skip("chmod 0 does not stop this user (root) from reading")
        assert invoke("validate", str(file)) == 2
        assert capsys.readouterr().err == f"{file}: error: permission denied [unreadable-file]\n"
    finally:
        file.chmod(0o600)


# --- secrets -----------------------------------------------------------------------------------------------

INLINE = (
    (EXAMPLES / "invalid" / "stunnel-inline-credentials.yaml")
    .read_text()
    .replace("http://dvm:Tr0ub4dor-3@proxy.example.com:3128", f"http://user:{PASSWORD}@host:3128")
)
HTTP_PROXY = (
    (EXAMPLES / "ocp311-to-ocp412.yaml")
    .read_text()
    .replace("httpProxy: http://proxy.example.com:3128", f"httpProxy: http://user:{PASSWORD}@proxy.example.com:3128")
)
FROM_FILE = RENDER_TIME.replace("{env: DVM_PROXY_PASSWORD}", "{file: pw.txt}")
BROKEN = RENDER_TIME.replace("    mode: open", "    mode: Open")  # a spec error next to a readable password
MISSING_VAR = RENDER_TIME.replace("DVM_PROXY_PASSWORD", "NOT_SET_ANYWHERE")
SPECS = {
    "inline": INLINE,
    "http-proxy": HTTP_PROXY,
    "env": RENDER_TIME,
    "file": FROM_FILE,
    "broken": BROKEN,
    "missing-var": MISSING_VAR,
    "big-file": FROM_FILE,
}
COMMANDS = {
    "validate": ["validate"],
    "generate": ["generate", "-o", "{out}"],
    "generate-allow": ["generate", "--allow-secrets-in-output", "-o", "{out}"],
    "render-control": ["render", "--cluster", "ocp412"],
    "render-other": ["render", "--cluster", "ocp311"],
}
# Where the password belongs in stdout: the control cluster's stunnel_tcp_proxy (credentials in any proxy URL of
# the spec are an error, spec §3, so an httpProxy password is printed nowhere).
PRINTS = {("env", "render-control"), ("file", "render-control")}
# (spec, command) pairs that exit 1; every other pair succeeds
FAILS = {(kind, c) for c in COMMANDS for kind in ("inline", "broken", "http-proxy")} | {
    ("env", "generate"),
    ("file", "generate"),
    ("missing-var", "generate"),
    ("big-file", "generate"),
    ("missing-var", "generate-allow"),
    ("missing-var", "render-control"),
    ("big-file", "generate-allow"),
    ("big-file", "render-control"),
}


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVM_PROXY_PASSWORD", PASSWORD)
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", list(SPECS))
def test_password_never_leaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, command: str, fmt: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPECS[kind])
    (tmp_path / "pw.txt").write_text(PASSWORD * 1000 if kind == "big-file" else PASSWORD + "\n")
    out_dir = tmp_path / "overlays"
    argv = [a.format(out=out_dir) for a in COMMANDS[command]]
    code = invoke(*argv, "--format", fmt, str(spec))
    out, err = capsys.readouterr()
    assert code == (1 if (kind, command) in FAILS else 0), err
    assert PASSWORD not in err
    assert "Traceback" not in err
    assert (PASSWORD in out) == (code == 0 and (kind, command) in PRINTS)
    written = "".join(p.read_text() for p in out_dir.rglob("*") if p.is_file()) if out_dir.exists() else ""
    assert (PASSWORD in written) == (code == 0 and command.startswith("generate") and kind in ("env", "file"))
    if kind == "missing-var" and command in ("generate-allow", "render-control"):
        assert "NOT_SET_ANYWHERE is not set or empty" in out + err


def test_password_never_leaks_from_strict_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(HTTP_PROXY)
    for fmt in ("text", "json", "github"):
        assert invoke("validate", "--strict", "--format", fmt, str(spec)) == 1  # credentials in httpProxy: an error
        out, err = capsys.readouterr()
        assert "carries credentials" in out + err
        assert PASSWORD not in out + err
