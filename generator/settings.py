"""Names and numbers the command line shows before anything is loaded: `--help` and `--version` import this
module and argparse only, so they answer without the library (the library imports its values from here)."""

from __future__ import annotations

from typing import Final

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_CODES: Final = "exit codes: 0 ok, 1 problems found, 2 usage error or unreadable input"  # every --help

# The top-level --help's example: from nothing to a built overlay.
START_EXAMPLE: Final = """\
  mtc-policygen init --source 4.12/OVNKubernetes --target 4.16/OVNKubernetes --namespaces app1 -o pair.yaml
  mtc-policygen validate pair.yaml
  mtc-policygen generate pair.yaml -o overlays && kustomize build overlays/ocp412-to-ocp416/ocp412
guide: docs/README.md in the repository"""

ROOT_ENV: Final = "MTC_POLICYGEN_ROOT"  # the one folder files named by a spec are read from (--root)
SECRET_DIRS_ENV: Final = "MTC_POLICYGEN_SECRET_DIRS"  # noqa: S105 - a variable name: where secret files may lie too

DIFF_LINES: Final = 400  # generate --diff: enough for a CI log to show the fix, bounded for a fleet's worth of changes
INIT_WINDOW_DAYS: Final = 14  # init: a starter window, long enough for a migration's copies, short enough to be noticed
