"""What a preflight state file at the size limit costs: peak memory and CPU time of reading one.

Writes exported states (Namespaces, NetworkPolicies, EgressFirewalls, as `bench/preflight.py` makes them) of
a few sizes, reads each with `generator.preflight.state.load_state_file` in a freshly forked process (its own
peak RSS from `os.wait4`, its CPU time), and projects the cost per MiB onto `MAX_STATE_BYTES`. The limit is
honest when that projection fits the memory of a CI runner or a workstation (the table says it).
Writes its files into a temporary folder, removes it, prints a table; always exits 0.

    .venv/bin/python bench/state_limit.py [--sizes 2,4,8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from preflight import _state

from generator.preflight.state import MAX_STATE_BYTES, load_state_file

MIB = 1024 * 1024


class _NoAliases(yaml.CSafeDumper):
    """A state export has no anchors (the reader refuses them); shared dicts are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _write(path: Path, size: int) -> int:
    one = _state(5)
    chunk = len(yaml.dump(one, Dumper=_NoAliases, sort_keys=False))
    items = []
    for copy in range(max(1, size // chunk)):
        for item in one["items"]:
            meta = {**item["metadata"], "name": f"{item['metadata']['name']}-{copy}"}
            items.append({**item, "metadata": meta})
    path.write_text(
        yaml.dump({"apiVersion": "v1", "kind": "List", "items": items}, Dumper=_NoAliases, sort_keys=False),
        encoding="utf-8",
    )
    return path.stat().st_size


def _measure(path: Path) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MiB) of reading `path` in a fresh child."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read the state, report its CPU time
        os.close(read)
        start = time.process_time()
        load_state_file(path)
        os.write(write, f"{time.process_time() - start}".encode())
        os._exit(0)
    os.close(write)
    _, _, usage = os.wait4(pid, 0)
    with os.fdopen(read) as stream:
        cpu = float(stream.read() or "nan")
    return cpu, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,4,8", help="state sizes in MiB (comma-separated)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mtc-state-limit-") as tmp:
        for mib in (float(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"state-{mib}.yaml"
            size = _write(path, int(mib * MIB))
            cpu, rss = _measure(path)
            rows.append((size / MIB, cpu, rss))
    print(f"{'state MiB':>10} {'CPU s':>8} {'peak RSS MiB':>13} {'CPU s/MiB':>10} {'RSS MiB/MiB':>12}")
    for size, cpu, rss in rows:
        print(f"{size:>10.1f} {cpu:>8.2f} {rss:>13.0f} {cpu / size:>10.2f} {rss / size:>12.1f}")
    size, cpu, rss = rows[-1]
    limit = MAX_STATE_BYTES / MIB
    print(
        f"projected at the limit ({limit:.0f} MiB): {cpu / size * limit:.0f} s CPU, "
        f"{rss / size * limit:.0f} MiB peak RSS"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
