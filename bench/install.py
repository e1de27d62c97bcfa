"""Benchmark: what spec §8 (install, replication repository, cluster registrations) adds to a render.

Target: rendering a pair with `install`, `replicationRepository` and the remote cluster's registration costs at
most 1.1x the same pair without them, at 1,000 namespaces (they are per cluster, not per namespace).

The two specs differ only in those fields. Each run is the in-process `render` pipeline for both clusters:
`load_spec` + `validate` + `render_pair` + `dump_stream` (what `render` and the plugins do). Runs alternate
between the two specs; the median process CPU time of each is compared (wall time is reported too). A
measurement, not a gate: it prints the figures and PASS/FAIL and always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from generator.clusterpair.load import load_spec
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import validate
from generator.problems import has_errors
from generator.render.plan import render_pair
from generator.render.yamlout import dump_stream

MAX_RATIO = 1.1
NAMESPACES = 1_000
REPS = 15
PEM = "-----BEGIN CERTIFICATE-----\nQmVuY2ggQ0E=\n-----END CERTIFICATE-----\n"


def spec_data(namespaces: int, *, wired: bool) -> dict[str, Any]:
    source: dict[str, Any] = {"name": "ocp414-east", "openshiftVersion": "4.14", "networkType": "OVNKubernetes"}
    target = {
        "name": "ocp416-west",
        "openshiftVersion": "4.16",
        "networkType": "OVNKubernetes",
        "cidrs": ["203.0.113.0/24"],
        "appsDomain": "apps.ocp416-west.example.com",
    }
    names = [
        f"app-{i:05d}" if i % 3 else {"source": f"app-{i:05d}", "target": f"app-{i:05d}-new"} for i in range(namespaces)
    ]
    spec: dict[str, Any] = {"source": source, "target": target, "networkPolicy": {"mode": "strict"}}
    spec["namespaces"] = names
    if wired:
        spec["install"] = {"catalogSource": "mtc-operator-catalog"}
        source.update(
            apiUrl="https://api.ocp414-east.example.com:6443",
            caBundleFile="ca.pem",
            tokenFrom={"secretRef": "ocp414-east-token"},
        )
        spec["replicationRepository"] = {
            "name": "mcg",
            "s3Url": "https://s3.example.com",
            "bucket": "migration-repo",
            "caBundleFile": "ca.pem",
            "credentialsFrom": {"secretRef": "mcg-credentials"},
        }
    return {
        "apiVersion": "mtc-policygen.io/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": "bench-wired" if wired else "bench-plain"},
        "spec": spec,
    }


def pipeline(spec: Path) -> int:
    env = Environment()
    pair, problems = load_spec(spec)
    if pair is None:
        raise SystemExit(f"{spec}: does not load")
    resolved = resolve(pair, env)
    problems += validate(pair, env, resolved)
    if has_errors(problems):
        raise SystemExit("".join(p.text() + "\n" for p in problems))
    return sum(len(dump_stream(r.objects())) for r in render_pair(resolved, None))


def measure(spec: Path) -> tuple[float, float]:
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    pipeline(spec)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=NAMESPACES)
    parser.add_argument("--reps", type=int, default=REPS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mtc-policygen-bench-install-") as tmp:
        folder = Path(tmp)
        (folder / "ca.pem").write_text(PEM)
        specs = {}
        for wired in (False, True):
            path = folder / f"{'wired' if wired else 'plain'}.yaml"
            path.write_text(yaml.safe_dump(spec_data(args.namespaces, wired=wired), sort_keys=False))
            specs[wired] = path
            pipeline(path)  # warm-up: imports, caches
        times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(args.reps):
            for wired in (False, True):
                times[wired].append(measure(specs[wired]))
    cpu = {w: statistics.median(t[0] for t in times[w]) for w in times}
    wall = {w: statistics.median(t[1] for t in times[w]) for w in times}
    ratio = cpu[True] / cpu[False]
    print(f"render of both clusters, {args.namespaces:,} namespaces, median of {args.reps} (CPU / wall):")
    print(f"  without install/repository/registrations  {cpu[False] * 1000:8.1f} ms  {wall[False] * 1000:8.1f} ms")
    print(f"  with them                                  {cpu[True] * 1000:8.1f} ms  {wall[True] * 1000:8.1f} ms")
    verdict = "PASS" if ratio <= MAX_RATIO else "MISSED"
    print(f"  ratio {ratio:.3f} (wall {wall[True] / wall[False]:.3f}); target <= {MAX_RATIO}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
