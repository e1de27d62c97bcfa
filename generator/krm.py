"""`mtc-policygen-krm`: the KRM exec function; the runtime lives in generator/runtimes/krm.py.

Kept as the entry module of `generator.cli:krm_main`, so its argument handling has one home.
"""

from __future__ import annotations

from generator.runtimes.krm import main as run_function


def main() -> int:
    return run_function()
