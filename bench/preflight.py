"""Benchmark of `preflight`: an exported state of 500 namespaces and 5,000 NetworkPolicies.

Measures the library call `generator.preflight.run.preflight()` (spec load and validation, both states read
with the safety checks, rendering, every verdict today and after, findings) and, as the baseline, loading the
same two state files with PyYAML (`yaml.load_all` with the C loader), by process CPU time (one core), median of
several runs. Then the same at 2,500 and 10,000 policies over the same 500 namespaces, to show time per policy
stays flat (linear), and the cost of a state whose every item is broken (1,000 to 4,000 items, each reported
with its line). Writes its files into a temporary folder, removes it, prints a table; always exits 0.

    .venv/bin/python bench/preflight.py [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.preflight.run import preflight

NAMESPACES = 500
TARGET_SECONDS = 5.0
Obj = dict[str, Any]


def _policy(ns: str, i: int) -> Obj:
    """Ten shapes users write, in turn: deny-all, same-namespace, from the routers, selectors, ipBlock except."""
    shapes: list[Obj] = [
        {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}], "policyTypes": ["Ingress"]},
        {
            "podSelector": {},
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}}]}
            ],
            "policyTypes": ["Ingress"],
        },
        {
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [f"svc-{i}", "web"]}]},
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}], "ports": [{"port": 8080}]}],
            "policyTypes": ["Egress"],
        },
        {
            "podSelector": {"matchLabels": {"tier": "db"}},
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"10.{i % 250}.0.0/16"]}}]}],
            "policyTypes": ["Egress"],
        },
    ]
    spec = shapes[i % len(shapes)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"policy-{i}", "namespace": ns, "labels": {"app.kubernetes.io/name": "bench"}},
        "spec": spec,
    }


def _state(per_namespace: int) -> Obj:
    items: list[Obj] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
        for n in ("openshift-dns", "openshift-ingress")
    ]
    for k in range(NAMESPACES):
        ns = f"app-{k:03d}"
        labels = {"kubernetes.io/metadata.name": ns, "team": "a" if k % 2 else "b"}
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
        items += [_policy(ns, i) for i in range(per_namespace)]
        if k % 5 == 0:
            rules = [
                {"type": "Allow", "to": {"cidrSelector": "192.0.2.0/24"}},
                {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
            ]
            items.append(
                {
                    "apiVersion": "k8s.ovn.org/v1",
                    "kind": "EgressFirewall",
                    "metadata": {"name": "default", "namespace": ns},
                    "spec": {"egress": rules},
                }
            )
    return {"apiVersion": "v1", "kind": "List", "items": items}


SPEC = """apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: bench}
spec:
  source: {name: east, openshiftVersion: '4.14', networkType: OVNKubernetes}
  target: {name: west, openshiftVersion: '4.14', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  networkPolicy: {mode: strict}
  namespaces:
"""


def _cpu(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mtc-preflight-bench-") as tmp:
        folder = Path(tmp)
        spec = folder / "spec.yaml"
        spec.write_text(SPEC + "".join(f"    - app-{k:03d}\n" for k in range(NAMESPACES)), encoding="utf-8")
        for per_ns in (5, 10, 20):
            state = folder / f"state-{per_ns}.yaml"
            state.write_text(yaml.dump(_state(per_ns), Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
            size = state.stat().st_size

            def load(path: Path = state) -> None:
                for _ in range(2):  # two clusters, two files
                    list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))

            def analyse(path: Path = state) -> None:
                outcome = preflight(spec, {"east": path, "west": path})
                if outcome.report is None:
                    raise SystemExit("\n".join(p.text() for p in outcome.problems))

            gc.disable()
            base = _cpu(load, args.runs)
            ours = _cpu(analyse, args.runs)
            gc.enable()
            rows.append((per_ns * NAMESPACES, size, base, ours))
    print(f"{'policies':>9} {'file MiB':>9} {'PyYAML s':>9} {'preflight s':>12} {'ratio':>6} {'us/policy':>10}")
    for policies, size, base, ours in rows:
        per_policy_us = ours / policies * 1e6 / 2  # two clusters, each with this state
        mib = size / 2**20
        print(f"{policies:>9} {mib:>9.1f} {base:>9.2f} {ours:>12.2f} {ours / base:>6.2f} {per_policy_us:>10.1f}")
    at_5k = next(r for r in rows if r[0] == 5000)
    per_policy = [r[3] / r[0] for r in rows]
    linear = max(per_policy) / min(per_policy)
    verdict = "PASS" if at_5k[3] < TARGET_SECONDS else "MISSED"
    print(f"5,000 policies: {at_5k[3]:.2f} s CPU (target < {TARGET_SECONDS:.0f} s): {verdict}")
    print(f"time per policy, largest / smallest over 2,500-10,000: {linear:.2f} (1.00 = exactly linear)")
    _broken_items(args.runs)
    return 0


def _broken_items(runs: int) -> None:
    """A state whose every item is broken: each is located in one composed file, so the cost stays linear."""
    from generator.preflight.state import parse_state  # noqa: PLC0415
    from generator.problems import ProblemsError  # noqa: PLC0415

    costs = []
    for count in (1000, 2000, 4000):
        text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(f"- [{i}]\n" for i in range(count))

        def parse(text: str = text) -> None:
            try:
                parse_state(text, "broken.yaml")
            except ProblemsError:
                return
            raise SystemExit("a broken state was accepted")

        costs.append((count, _cpu(parse, runs)))
    print("broken items   " + "   ".join(f"{n:,}: {s:.2f} s" for n, s in costs))
    per_item = [s / n for n, s in costs]
    print(f"time per broken item, largest / smallest: {max(per_item) / min(per_item):.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
