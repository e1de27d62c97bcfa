"""A newcomer's first hour: a starter spec, a CLI that explains itself, and messages that stand alone.

Test design notes:
- `init` is run as installed, in a scratch folder: its spec must pass `validate` as written, `generate` must write
  overlays from it, and the real kustomize must build every cluster's overlay. It never replaces a file (exit 2,
  the file unchanged), refuses a missing flag off a terminal (exit 2) and an unusable answer (exit 2).
- `completion bash` is sourced by a real bash; `complete -p mtc-policygen` must then list it, and the script
  must offer every command.
- `generate --check --diff` on an overlay made stale by an edited spec prints the unified diff of the changed
  file on stdout and exits 1; with many stale files the diff is capped and says how many files it left out.
- No user-facing string of the library (string constants that are not docstrings) and no page of README, docs/
  or examples/ cites a document users do not have: "seed", "facts §", "spec §".
- Every command's --help has an example and the exit codes, and every option and argument has a description.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import cli
from tests.conftest import EXAMPLES, INSTALLED_BIN, REPO, installed_script
from tests.oracles.tools import kustomize_build

CITATION = re.compile(r"\bseed\b|facts §|spec §|spec section", re.IGNORECASE)
INIT_FLAGS = ["--source", "4.12/OVNKubernetes", "--target", "4.16/OVNKubernetes", "--namespaces", "a,b"]


def _run(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{INSTALLED_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(installed_script("mtc-policygen")), *argv],
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- init ---------------------------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize(
    "extra", [["--egress-firewall"], ["--egress-firewall", "--target-cidrs", "198.51.100.0/24", "--mode", "strict"], []]
)
def test_init_validates_generates_and_builds(tmp_path: Path, extra: list[str]) -> None:
    made = _run("init", *INIT_FLAGS, *extra, "-o", "pair.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "pair.yaml").read_text()
    assert text.count("#") >= 5  # commented
    checked = _run("validate", "--strict", "pair.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    generated = _run("generate", "pair.yaml", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert "wrote overlays/" in generated.stderr
    for cluster in ("ocp412", "ocp416"):
        built = kustomize_build(tmp_path / "overlays" / "ocp412-to-ocp416" / cluster)
        assert "kind: MigrationController" in built
    firewall = tmp_path / "overlays" / "ocp412-to-ocp416" / "ocp412" / "egressfirewall-a.yaml"
    assert firewall.is_file() == bool(extra)


def test_init_never_overwrites(tmp_path: Path) -> None:
    spec = tmp_path / "pair.yaml"
    spec.write_text("mine\n")
    made = _run("init", *INIT_FLAGS, "-o", "pair.yaml", cwd=tmp_path)
    assert made.returncode == 2
    assert "never overwritten" in made.stderr
    assert spec.read_text() == "mine\n"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--source", "4.12"], "give --target, --namespaces"),
        ([*INIT_FLAGS[:1], "4.x", *INIT_FLAGS[2:]], "give the OpenShift version"),
        ([*INIT_FLAGS[:5], "Bad_Name"], "is not a namespace name"),
        ([*INIT_FLAGS[:1], "4.12/Calico", *INIT_FLAGS[2:]], "the network type is one of"),
    ],
)
def test_init_refuses_unusable_answers(tmp_path: Path, argv: list[str], said: str) -> None:
    made = _run("init", *argv, cwd=tmp_path)
    assert made.returncode == 2
    assert said in made.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_help_shows_an_example(tmp_path: Path) -> None:
    shown = _run("init", "--help", cwd=tmp_path)
    assert "mtc-policygen init --source 4.12/OVNKubernetes" in shown.stdout


# --- completion ---------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_bash_completion_is_registered(tmp_path: Path) -> None:
    script = _run("completion", "bash", cwd=tmp_path)
    assert script.returncode == 0
    (tmp_path / "completion.bash").write_text(script.stdout)
    shell = subprocess.run(
        ["bash", "-c", "source completion.bash && complete -p mtc-policygen"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.rstrip().endswith(" mtc-policygen")
    commands = list(_subparsers())
    assert all(command in script.stdout for command in commands)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_get_a_script(tmp_path: Path, shell: str) -> None:
    script = _run("completion", shell, cwd=tmp_path)
    assert script.returncode == 0
    assert "mtc-policygen" in script.stdout
    assert "preflight" in script.stdout


# --- generate --check --diff --------------------------------------------------------------------------------


def _stale_overlay(tmp_path: Path) -> None:
    spec = (EXAMPLES / "ovn-nodeport-strict.yaml").read_text()
    (tmp_path / "pair.yaml").write_text(spec)
    assert _run("generate", "pair.yaml", "-o", "out", cwd=tmp_path).returncode == 0
    (tmp_path / "pair.yaml").write_text(spec.replace("203.0.113.64/26", "198.51.100.64/26"))


def test_check_diff_shows_the_fix(tmp_path: Path) -> None:
    _stale_overlay(tmp_path)
    checked = _run("generate", "pair.yaml", "-o", "out", "--check", "--diff", cwd=tmp_path)
    assert checked.returncode == 1
    assert "--- a/out/ovn-nodeport-strict/ocp414-east/" in checked.stdout
    assert "-        cidr: 203.0.113.64/26" in checked.stdout
    assert "+        cidr: 198.51.100.64/26" in checked.stdout
    assert "not shown" not in checked.stdout


def test_check_diff_is_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stale_overlay(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("generator.commands.generate.DIFF_LINES", 12)
    assert cli.run(["generate", "pair.yaml", "-o", "out", "--check", "--diff"]) == 1
    out = capsys.readouterr().out
    *diff, last = out.splitlines()
    assert 0 < len(diff) <= 12
    assert re.fullmatch(r"\.\.\. [12] more changed files? not shown \(the diff is capped at 12 lines\)", last)


def test_diff_needs_check(tmp_path: Path) -> None:
    assert _run("generate", "x.yaml", "--diff", cwd=tmp_path).returncode == 2


# --- validate, quiet, hints ---------------------------------------------------------------------------------


def test_validate_reads_stdin(tmp_path: Path) -> None:
    good = _run("validate", "-", cwd=tmp_path, stdin=(EXAMPLES / "ovn-nodeport-strict.yaml").read_text())
    assert good.returncode == 0, good.stderr
    bad = _run("validate", "-", cwd=tmp_path, stdin=(EXAMPLES / "invalid" / "typo-key.yaml").read_text())
    assert bad.returncode == 1
    assert bad.stderr.startswith("<stdin>:")
    # --strict sees a spec on stdin as it sees a file: no openings deadline is a warning there too
    text = (EXAMPLES / "ovn-nodeport-strict.yaml").read_text()
    strict_file = _run("validate", "--strict", str(EXAMPLES / "ovn-nodeport-strict.yaml"), cwd=tmp_path)
    strict_stdin = _run("validate", "--strict", "-", cwd=tmp_path, stdin=text)
    assert strict_file.returncode == strict_stdin.returncode == 1
    assert "[openings-no-deadline]" in strict_stdin.stderr


def test_json_spec_found_in_a_folder_as_when_named(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "ovn-nodeport-strict.yaml").read_text())
    (tmp_path / "pair.json").write_text(json.dumps(data))
    named = _run("validate", "pair.json", cwd=tmp_path)
    folder = _run("validate", ".", cwd=tmp_path)
    assert named.returncode == folder.returncode == 0
    assert named.stderr == folder.stderr == "ok: 1 ClusterPair spec(s) valid\n"


def test_quiet_prints_problems_only(tmp_path: Path) -> None:
    spec = str(EXAMPLES / "ocp311-to-ocp412.yaml")  # has an info problem
    loud = _run("validate", spec, cwd=tmp_path)
    quiet = _run("validate", "-q", spec, cwd=tmp_path)
    assert ": info: " in loud.stderr
    assert "ok:" in loud.stderr
    assert quiet.returncode == 0
    assert quiet.stderr == ""


def test_tab_indentation_hint(tmp_path: Path) -> None:
    text = (EXAMPLES / "ovn-nodeport-strict.yaml").read_text().replace("\n  mtcVersion", "\n\tmtcVersion")
    (tmp_path / "tab.yaml").write_text(text)
    checked = _run("validate", "tab.yaml", cwd=tmp_path)
    assert checked.returncode == 1
    assert "tabs are not allowed for indentation in YAML; use spaces" in checked.stderr


# --- help and citations -------------------------------------------------------------------------------------


def _subparsers() -> dict[str, object]:
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_command_explains_itself(command: str) -> None:
    parser = _subparsers()[command]
    assert isinstance(parser, argparse.ArgumentParser)
    text = parser.format_help()
    assert "example:" in text
    assert "exit codes: 0" in text
    for action in parser._actions:
        if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            assert action.help, f"{command}: {action.option_strings or action.dest} has no description"


def _library_strings() -> list[tuple[str, int, str]]:
    """Every string constant in generator/ that is not a docstring: what a message can be made of."""
    found = []
    for path in sorted((REPO / "generator").rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found += [
            (str(path.relative_to(REPO)), node.lineno, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        ]
    return found


def test_no_message_cites_a_document_users_lack() -> None:
    cited = [f"{path}:{line}: {text!r}" for path, line, text in _library_strings() if CITATION.search(text)]
    assert cited == []


def test_no_page_cites_a_document_users_lack() -> None:
    pages = [
        REPO / "README.md",
        REPO / "CHANGELOG.md",
        *(REPO / "docs").glob("*.md"),
        *EXAMPLES.rglob("*.md"),
        *EXAMPLES.rglob("*.yaml"),
    ]
    cited = [
        f"{page.relative_to(REPO)}:{number}: {line.strip()}"
        for page in pages
        for number, line in enumerate(page.read_text().splitlines(), start=1)
        if CITATION.search(line)
    ]
    assert cited == []


def test_uninstall_output_cites_nothing_outside(tmp_path: Path) -> None:
    shown = _run("uninstall", str(EXAMPLES / "install-restricted-network.yaml"), "--cluster", "ocp412", cwd=tmp_path)
    assert shown.returncode == 0
    assert not CITATION.search(shown.stdout + shown.stderr)


def test_init_asks_on_a_terminal(tmp_path: Path) -> None:
    """No flags on a terminal: the questions are asked (on stderr) and the answers make the spec."""
    main, side = pty.openpty()
    with subprocess.Popen(
        [str(installed_script("mtc-policygen")), "init", "-o", "asked.yaml"],
        cwd=tmp_path,
        stdin=side,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        os.close(side)
        os.write(main, b"4.12/OVNKubernetes\n\napp1,db\ny\n198.51.100.0/24\n")
        _, err = proc.communicate(timeout=60)
    os.close(main)
    assert proc.returncode == 0, err
    assert "source cluster: OpenShift version[/network type] [4.12/OVNKubernetes]: " in err
    text = (tmp_path / "asked.yaml").read_text()
    assert 'openshiftVersion: "4.16"' in text  # the default taken for an empty answer
    assert "cidrs: [198.51.100.0/24]" in text
    assert "    - source: db\n" in text
    assert _run("validate", "asked.yaml", cwd=tmp_path).returncode == 0


def test_bucket_and_rule_type_messages_carry_a_fix(tmp_path: Path) -> None:
    spec = (EXAMPLES / "install-restricted-network.yaml").read_text()
    bucket = re.search(r"bucket: (\S+)", spec)
    assert bucket is not None
    bad_bucket = _run("validate", "-", cwd=EXAMPLES, stdin=spec.replace(bucket.group(0), "bucket: My_Repo"))
    assert bad_bucket.returncode == 1
    assert "3 to 63 lower-case letters, digits, dots and hyphens" in bad_bucket.stderr
    assert "(e.g. 'my-repo')" in bad_bucket.stderr
    firewall = (EXAMPLES / "ovn-nodeport-strict.yaml").read_text().replace("- type: Deny", "- type: deny")
    bad_type = _run("validate", "-", cwd=tmp_path, stdin=firewall)
    assert bad_type.returncode == 1
    assert "type must be Allow or Deny, not 'deny'; write 'Deny'" in bad_type.stderr


def test_make_clean_removes_what_the_makefile_and_tests_create() -> None:
    """Every ignored path (what builds and tests create) is in `make clean`'s command."""
    dry = subprocess.run(["make", "-n", "clean"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60)
    ignored = [line.strip().rstrip("/") for line in (REPO / ".gitignore").read_text().splitlines() if line.strip()]
    missing = [name for name in ignored if name not in dry.stdout and name != "__pycache__"]
    assert missing == []
    assert "__pycache__" in dry.stdout
    for created in (".hypothesis", ".import_linter_cache", "dist", "build", ".venv", "node_modules"):
        assert re.search(rf"(^|\s){re.escape(created)}(\s|$)", dry.stdout), created


def test_init_writes_nothing_when_the_answers_do_not_validate(tmp_path: Path) -> None:
    made = _run("init", "--source", "4.14", "--target", "4.16", "--namespaces", "a", "--egress-firewall", cwd=tmp_path)
    assert made.returncode == 1
    assert "[network-type-needed]" in made.stderr
    assert "--source 4.14/OVNKubernetes" in made.stderr
    assert list(tmp_path.iterdir()) == []
