"""`--help` and `--version` answer before the library is imported: the parser needs only `generator.settings`."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from generator import cli
from tests.conftest import REPO, installed_script

PROBE = """
import sys
from generator import cli
try:
    cli.run(["--version"])
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.startswith("generator"))))
"""


def test_version_and_help_import_only_the_parser() -> None:
    for argv in (["--version"], ["--help"]):
        probe = PROBE.replace('["--version"]', repr(argv))
        done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
        loaded = done.stdout.split("\n")[-2].split()
        assert loaded == ["generator", "generator.cli", "generator.settings"], argv


def test_an_unknown_cluster_is_a_usage_error_for_every_command() -> None:
    """render and uninstall agree: `--cluster` naming no cluster of the pair is exit 2, the error names the pair's."""
    spec = str(REPO / "examples" / "ovn-nodeport-strict.yaml")
    for command in ("render", "uninstall"):
        done = subprocess.run(
            [str(installed_script("mtc-policygen")), command, spec, "--cluster", "nope"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "one of: ocp414-east, ocp416-west" in done.stderr, command
        assert done.stdout == "", command


RENDER_PROBE = """
import contextlib, io, sys
from generator import cli
with contextlib.redirect_stdout(io.StringIO()):
    code = cli.run(["render", SPEC, "--cluster", "ocp414-east"])
print(code, " ".join(sorted(sys.modules)))
"""

# What `render` never uses: the overlay writer and its templates (Jinja2), preflight, the JSON Schema export,
# the skip cache and its JSON, the file operations of a write (ctypes, shutil's copies are argparse's only).
NOT_FOR_RENDER = (
    "jinja2",
    "json",
    "ctypes",
    "hashlib",
    "generator.overlay",
    "generator.overlays",
    "generator.preflight",
    "generator.clusterpair.jsonschema",
    "generator.runtimes",
    "generator.transform",
    "generator.appset",
    "generator.init",
)


def test_render_imports_only_what_it_uses() -> None:
    spec = REPO / "examples" / "ovn-nodeport-strict.yaml"
    probe = RENDER_PROBE.replace("SPEC", repr(str(spec)))
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    code, modules = done.stdout.split(" ", 1)
    assert code == "0", done.stderr
    loaded = set(modules.split())
    assert "generator.render.yamlout" in loaded, "the probe rendered nothing"
    unused = {m for m in loaded for prefix in NOT_FOR_RENDER if m == prefix or m.startswith(prefix + ".")}
    assert unused == set()


def test_a_command_parsed_alone_reads_as_when_every_command_is_built() -> None:
    """The command line builds only the parser of the command it starts with: the same help, the same options."""
    whole = cli._parser()
    subparsers = next(a for a in whole._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in subparsers.choices.items():
        alone = cli._parser(name)
        built = next(a for a in alone._actions if isinstance(a, argparse._SubParsersAction))
        assert list(built.choices) == [name]
        assert built.choices[name].format_help() == parser.format_help(), name


NOOP_PROBE = """
import sys
from generator import cli
code = cli.run(["generate", "specs", "-o", "overlays"])
print(code, " ".join(sorted(sys.modules)))
"""


def test_a_noop_generate_imports_no_parser_checker_or_renderer(tmp_path: Path) -> None:
    """Every spec unchanged: the cache answers, so neither PyYAML nor the checking and rendering stack loads."""
    (tmp_path / "specs").mkdir()
    shutil.copy(REPO / "examples" / "ovn-nodeport-strict.yaml", tmp_path / "specs")
    runs = [
        subprocess.run([sys.executable, "-c", NOOP_PROBE], cwd=tmp_path, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    first, noop = (set(done.stdout.split()[1:]) for done in runs)
    assert [done.stdout.split()[0] for done in runs] == ["0", "0"], runs[1].stderr
    assert "0 rendered, 1 unchanged" in runs[1].stderr
    checking = {"yaml", "generator.pipeline", "generator.mtc.rules", "generator.render.plan", "generator.secrets"}
    assert checking <= first, "the first run checks and renders"
    assert checking & noop == set()
