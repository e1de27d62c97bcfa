"""The writer's errors: one problem about the output folder, with the reason of an OS error said plainly."""

from __future__ import annotations

import errno
from pathlib import Path

from generator.problems import Problem, ProblemsError


def problem(out_dir: Path, rule: str, message: str, suggestion: str = "") -> ProblemsError:
    return ProblemsError([Problem.of(str(out_dir), rule, message, suggestion=suggestion)])


def reason(exc: OSError) -> str:
    reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return f"{reason} ({exc.filename})" if exc.filename else reason


def os_error(out_dir: Path, action: str, exc: OSError) -> ProblemsError:
    return problem(out_dir, "write-failed", f"{action}: {reason(exc)}; the previous overlays are unchanged")
