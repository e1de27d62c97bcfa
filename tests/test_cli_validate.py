"""`mtc-policygen validate` and `schema`, run in-process through `generator.cli.run`.

Test design notes:
- Output channels: `--format text` writes problems to stderr as `file:line:col: severity: path: message [rule]`
  (and `ok: ...` when clean) with nothing on stdout; `json` writes one JSON list of problem dicts to stdout;
  `github` writes one `::error|warning|notice file=...,line=...,col=...,title=<rule>::...` line per problem to
  stdout, escaping `,` and `:` in properties and dropping line/col for file-level problems.
- Exit codes (spec §6): 0 clean or warnings only (1 with --strict), 1 problems, 2 usage errors (argparse: no
  command, missing argument, unknown flag or choice) and unreadable input (missing or binary file, a folder with
  no spec; permission denied is in test_bad_input); an unreadable input outranks ordinary problems. No outcome
  prints a traceback or nothing at all.
- `schema` prints a JSON Schema (draft 2020-12) that accepts every valid example and rejects unknown keys,
  case-mismatched enum values and unquoted versions, like `validate`.
- Duplicate pair names are refused by `generate` (both would write overlays/<pair>/) but not by `validate`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.cli import run
from tests.conftest import EXAMPLES

VALID = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("render-time/*.yaml")])
TYPO = EXAMPLES / "invalid" / "typo-key.yaml"
OK_SPEC = EXAMPLES / "ovn-nodeport-strict.yaml"
KEYS = {"file", "line", "column", "path", "severity", "rule", "message", "suggestion"}


def invoke(*argv: str) -> int:
    """`run(argv)`, with argparse's SystemExit (usage errors, --version) turned into its exit code."""
    try:
        return run(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Named inputs for the exit-code table."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    warn = tmp_path / "warn.yaml"
    warn.write_text(
        OK_SPEC.read_text().replace("  networkPolicy:", "  dvm: {sourceSupplementalGroups: [1, 1]}\n  networkPolicy:")
    )
    return {
        "valid": str(OK_SPEC),
        "invalid": str(TYPO),
        "missing": str(tmp_path / "nope.yaml"),
        "empty_dir": str(tmp_path / "empty"),
        "binary": str(tmp_path / "binary.yaml"),
        "warn": str(warn),
        "examples": str(EXAMPLES),
        "invalid_dir": str(EXAMPLES / "invalid"),
    }


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        pytest.param([], 2, id="no-command"),
        pytest.param(["validate"], 2, id="missing-argument"),
        pytest.param(["validate", "--bogus", "{valid}"], 2, id="unknown-flag"),
        pytest.param(["validate", "--format", "xml", "{valid}"], 2, id="unknown-format"),
        pytest.param(["frobnicate"], 2, id="unknown-command"),
        pytest.param(["validate", "{missing}"], 2, id="missing-file"),
        pytest.param(["validate", "{empty_dir}"], 2, id="folder-without-specs"),
        pytest.param(["validate", "{binary}"], 2, id="binary-garbage"),
        pytest.param(["validate", "{invalid}", "{missing}"], 2, id="unreadable-outranks-problems"),
        pytest.param(["validate", "{valid}", "{invalid}"], 1, id="one-invalid"),
        pytest.param(["validate", "{invalid_dir}"], 1, id="folder-of-invalid-specs"),
        pytest.param(["validate", "{valid}"], 0, id="valid"),
        pytest.param(["validate", "{examples}"], 0, id="folder-of-valid-specs"),
        pytest.param(["validate", "{warn}"], 0, id="warning"),
        pytest.param(["validate", "--strict", "{warn}"], 1, id="warning-strict"),
        pytest.param(["validate", "--strict", "--format", "json", "{warn}"], 1, id="warning-strict-json"),
        pytest.param(["--version"], 0, id="version"),
        pytest.param(["schema"], 0, id="schema"),
    ],
)
def test_exit_codes(argv: list[str], code: int, files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(*(a.format(**files) for a in argv)) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert out or err  # never silent


def test_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("validate", str(TYPO)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{TYPO}:17:5: error: spec.target.rsyncEndpointTyp: unknown key 'rsyncEndpointTyp' "
        "(did you mean 'rsyncEndpointType'?) [unknown-key]\n"
    )


def test_text_format_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("validate", "--format", "text", *map(str, VALID)) == 0
    out, err = capsys.readouterr()
    assert out == ""
    *infos, last = err.splitlines()
    assert last == f"ok: {len(VALID)} ClusterPair spec(s) valid"
    assert all(": info: " in line for line in infos), infos  # spec §4.1: what an older cluster gets instead


def test_json_format(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("validate", "--format", "json", files["invalid"], files["warn"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    problems = json.loads(out)
    assert isinstance(problems, list)
    assert all(isinstance(p, dict) and set(p) == KEYS for p in problems)
    assert problems == [  # files in the order given, then by position
        {
            "file": files["invalid"],
            "line": 17,
            "column": 5,
            "path": "spec.target.rsyncEndpointTyp",
            "severity": "error",
            "rule": "unknown-key",
            "message": "unknown key 'rsyncEndpointTyp'",
            "suggestion": "did you mean 'rsyncEndpointType'?",
        },
        {
            "file": files["warn"],
            "line": 32,
            "column": 39,
            "path": "spec.dvm.sourceSupplementalGroups[1]",
            "severity": "warning",
            "rule": "supplemental-groups",
            "message": "group 1 is listed twice",
            "suggestion": "",
        },
    ]


def test_json_format_clean_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("validate", "--format", "json", str(OK_SPEC)) == 0
    assert capsys.readouterr() == ("[]\n", "")


def test_github_format(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("validate", "--format", "github", files["invalid"], files["warn"], files["missing"]) == 2
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        f"::error file={files['invalid']},line=17,col=5,title=unknown-key::spec.target.rsyncEndpointTyp: "
        "unknown key 'rsyncEndpointTyp' (did you mean 'rsyncEndpointType'?)",
        f"::warning file={files['warn']},line=32,col=39,title=supplemental-groups::"
        "spec.dvm.sourceSupplementalGroups[1]: group 1 is listed twice",
        f"::error file={files['missing']},title=unreadable-file::no such file",
    ]
    assert all(
        re.fullmatch(r"::(error|warning|notice) file=[^,:]+(,line=\d+,col=\d+)?,title=[a-z0-9-]+::.+", line)
        for line in out.splitlines()
    )


def test_github_format_escapes_properties(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "a,b:c.yaml"
    file.write_text(TYPO.read_text())
    assert invoke("validate", "--format", "github", str(file)) == 1
    assert capsys.readouterr().out.startswith(f"::error file={tmp_path}/a%2Cb%3Ac.yaml,line=17,col=5,")


def test_duplicate_pair_names_only_matter_to_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twin = tmp_path / "twin.yaml"
    twin.write_text(OK_SPEC.read_text())
    assert invoke("validate", str(OK_SPEC), str(twin)) == 0
    capsys.readouterr()
    assert invoke("generate", "-o", str(tmp_path / "out"), str(OK_SPEC), str(twin)) == 1
    assert "[duplicate-pair]" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- schema -----------------------------------------------------------------------------------------------


@pytest.fixture
def schema(capsys: pytest.CaptureFixture[str]) -> jsonschema.Draft202012Validator:
    assert run(["schema"]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["title"] == "ClusterPair"
    return jsonschema.Draft202012Validator(document)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def messages(errors: Iterable[jsonschema.ValidationError]) -> Iterator[str]:
    """Every message, including those of the alternatives of an anyOf (a namespace is a string or a mapping)."""
    for error in errors:
        yield error.message
        yield from messages(error.context or ())


@pytest.mark.parametrize("spec_file", VALID, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_schema_accepts_valid_examples(schema: jsonschema.Draft202012Validator, spec_file: Path) -> None:
    assert [e.message for e in schema.iter_errors(load(spec_file))] == []


@pytest.mark.parametrize(
    ("where", "key"),
    [
        pytest.param((), "extra", id="top-level"),
        pytest.param(("spec", "target"), "rsyncEndpointTyp", id="nested"),
        pytest.param(("spec", "namespaces", 1, "egressFirewall"), "rule", id="in-a-namespace-entry"),
    ],
)
def test_schema_rejects_unknown_keys(schema: jsonschema.Draft202012Validator, where: tuple[Any, ...], key: str) -> None:
    data = copy.deepcopy(load(EXAMPLES / "ocp311-to-ocp412.yaml"))
    node = data
    for part in where:
        node = node[part]
    node[key] = "x"
    assert f"('{key}' was unexpected)" in "\n".join(messages(schema.iter_errors(data)))


@pytest.mark.parametrize("name", ["typo-key", "endpoint-lowercase", "unquoted-version"])
def test_schema_rejects_structural_mistakes(schema: jsonschema.Draft202012Validator, name: str) -> None:
    assert list(schema.iter_errors(load(EXAMPLES / "invalid" / f"{name}.yaml")))
