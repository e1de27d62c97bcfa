"""Names and numbers the command line shows before anything is loaded: `--help` and `--version` import this
module and argparse only, so they answer without the library (the library imports its values from here)."""

from __future__ import annotations

from typing import Final

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

ROOT_ENV: Final = "MTC_POLICYGEN_ROOT"  # the one folder files named by a spec are read from (--root)
SECRET_DIRS_ENV: Final = "MTC_POLICYGEN_SECRET_DIRS"  # noqa: S105 - a variable name: where secret files may lie too

DIFF_LINES: Final = 400  # generate --diff: enough for a CI log to show the fix, bounded for a fleet's worth of changes
INIT_WINDOW_DAYS: Final = 14  # init: a starter window, long enough for a migration's copies, short enough to be noticed
