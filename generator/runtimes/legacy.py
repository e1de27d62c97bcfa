"""The kustomize legacy exec plugin: `$KUSTOMIZE_PLUGIN_HOME/mtc-policygen.io/v1alpha1/clusterpair/ClusterPair`.

kustomize runs it with the config file as `argv[1]` (a temp copy, keys sorted), in the kustomization folder,
with the items on stdin as a plain YAML stream when it is listed under `transformers:` (nothing under
`generators:`), and reads a YAML stream back. It shows stderr only on failure and ignores everything else, so a
problem is stderr and a non-zero exit, with nothing on stdout. Works with `kubectl kustomize
--enable-alpha-plugins` too, which silently skips KRM exec functions.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from generator.clusterpair.yamlparse import compose_documents, source_of
from generator.clusterpair.yamlsource import decode, read_text
from generator.problems import Problem, ProblemsError, format_text
from generator.render.yamlout import serialize
from generator.runtimes.process import MAX_INPUT_BYTES, run_pass

PLUGIN_PATH = ("mtc-policygen.io", "v1alpha1", "clusterpair", "ClusterPair")
USAGE = "usage: ClusterPair CONFIG-FILE < items (a kustomize legacy exec plugin; see docs/kustomize-legacy-plugin.md)"


def run(argv: Sequence[str], raw: bytes, cwd: Path) -> tuple[str, str, int]:
    """(argv after the program, stdin bytes) -> (stdout, stderr, exit code)."""
    if not argv:
        return "", USAGE + "\n", 2
    try:
        config_node = compose_documents(read_text(Path(argv[0]), argv[0]), argv[0])
        if len(config_node) != 1:
            raise ProblemsError([Problem.of(argv[0], "krm-input", "expected one ClusterPair")])
        config = source_of(config_node[0], argv[0]).data
        if len(raw) > MAX_INPUT_BYTES:
            raise ProblemsError([Problem.of("stdin", "krm-input", f"stdin is over {MAX_INPUT_BYTES:,} bytes")])
        text = decode(raw, "stdin", MAX_INPUT_BYTES) if raw.strip() else ""
        items: list[yaml.Node] = compose_documents(text, "stdin") if text else []
    except ProblemsError as exc:
        return "", format_text(exc.problems), 1
    outcome = run_pass(items, config, cwd, os.environ)
    if outcome.failed:
        return "", format_text(outcome.problems), 1
    return serialize(outcome.items, explicit_start=True), format_text(outcome.problems), 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        raw = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        out, err, code = run(args, raw, Path.cwd())
    except Exception as exc:  # never a traceback: it could carry the rendered proxy password
        if os.environ.get("MTC_POLICYGEN_DEBUG"):
            raise
        out, err, code = (
            "",
            f"mtc-policygen kustomize plugin: internal error ({type(exc).__name__}); this is a bug.\n",
            3,
        )
    sys.stderr.write(err)
    sys.stdout.write(out)
    return code


_LAUNCHER = """#!{python}
# mtc-policygen legacy kustomize exec plugin, written by `mtc-policygen kustomize-plugin install`.
# It runs the installed mtc-policygen package with this interpreter; reinstall after moving the environment.
import sys

from generator.runtimes.legacy import main

sys.exit(main())
"""


def install(home: Path, python: str | None = None) -> Path:
    """Write the plugin launcher under a kustomize plugin home (atomically, mode 0755); returns its path.

    Raises OSError when the folder cannot be written.
    """
    target = home.joinpath(*PLUGIN_PATH)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = _LAUNCHER.format(python=python or sys.executable)
    fd, tmp = tempfile.mkstemp(prefix=".ClusterPair.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        # rwxr-xr-x: kustomize refuses a plugin without exec bits; the launcher holds no secret
        os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)  # noqa: S103
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
