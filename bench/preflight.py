"""Benchmark of `preflight`: 5,000 namespaces with one NetworkPolicy each, and 500 namespaces with ten each.

Measures the library call `generator.preflight.run.preflight()` (spec load and validation, both states read
with the safety checks, rendering, every verdict today and after, findings) against the floor: loading the same
two state files with PyYAML (`yaml.load_all` with the C loader). Tool and floor run in turn (tool, floor, tool,
floor ...) with the cyclic GC off; the target is on the median of the pairs' CPU-time ratios, printed with their
min-max and n, and the wall-time ratio beside it. That cost stays linear in namespaces and in policies is checked
in `make test` (tests/test_scaling.py). Writes its files into a temporary folder, removes it; always exits 0.

    .venv/bin/python bench/preflight.py [--pairs 5]
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

Obj = dict[str, Any]
Json = dict[str, Any]


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


def state_data(namespaces: int, per_namespace: int) -> Obj:
    """An exported cluster state: `namespaces` namespaces, `per_namespace` NetworkPolicies in each, an egress
    firewall in every fifth."""
    items: list[Obj] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
        for n in ("openshift-dns", "openshift-ingress")
    ]
    for k in range(namespaces):
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


_SPEC = """apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: bench}
spec:
  source: {name: east, openshiftVersion: '4.14', networkType: OVNKubernetes}
  target: {name: west, openshiftVersion: '4.14', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  networkPolicy: {mode: strict}
  namespaces:
"""


def spec_text(namespaces: int) -> str:
    """The pair preflight checks: every namespace of the state, strict mode."""
    return _SPEC + "".join(f"    - app-{k:03d}\n" for k in range(namespaces))


def write_case(folder: Path, namespaces: int, per_namespace: int) -> tuple[Path, Path]:
    """The spec and the state file (used for both clusters) of one size."""
    spec = folder / f"spec-{namespaces}.yaml"
    spec.write_text(spec_text(namespaces), encoding="utf-8")
    state = folder / f"state-{namespaces}-{per_namespace}.yaml"
    data = state_data(namespaces, per_namespace)
    state.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    return spec, state


def run_preflight(spec: Path, state: Path) -> None:
    outcome = preflight(spec, {"east": state, "west": state})
    if outcome.report is None:
        raise SystemExit("\n".join(p.text() for p in outcome.problems))


def interleaved(tool: Callable[[], object], floor: Callable[[], object], pairs: int) -> Json:
    """CPU time of `tool` and `floor` in turn (tool, floor, tool, floor ...), cyclic GC off on both sides:
    the ratio of each pair, its median, min-max and n, and the median CPU and wall seconds of each side."""
    ratios: list[float] = []
    cpu: dict[str, list[float]] = {"tool": [], "floor": []}
    wall: dict[str, list[float]] = {"tool": [], "floor": []}
    for _ in range(pairs):
        pair = {}
        for side, fn in (("tool", tool), ("floor", floor)):
            gc.collect()
            gc.disable()
            start_wall, start = time.perf_counter(), time.process_time()
            fn()
            pair[side] = time.process_time() - start
            wall[side].append(time.perf_counter() - start_wall)
            gc.enable()
            cpu[side].append(pair[side])
        ratios.append(pair["tool"] / pair["floor"])
    return {
        "n": pairs,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "tool_cpu_s": statistics.median(cpu["tool"]),
        "floor_cpu_s": statistics.median(cpu["floor"]),
        "ratio_wall": statistics.median(wall["tool"]) / statistics.median(wall["floor"]),
    }


# (namespaces, policies per namespace, target ratio): one policy in many namespaces, many policies in fewer.
CASES: tuple[tuple[int, int, float], ...] = ((5_000, 1, 2.0), (500, 10, 1.6))


def measure(folder: Path, namespaces: int, per_namespace: int, pairs: int) -> Json:
    """`preflight` of one pair whose two clusters export this state, against the floor: CSafeLoader
    `load_all` of the same two state files."""
    spec, state = write_case(folder, namespaces, per_namespace)

    def floor() -> None:
        for _ in range(2):  # two clusters, two files
            list(yaml.load_all(state.read_bytes(), Loader=yaml.CSafeLoader))

    return {"namespaces": namespaces, "policies": namespaces * per_namespace} | interleaved(
        lambda: run_preflight(spec, state), floor, pairs
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="interleaved tool/floor pairs per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mtc-preflight-bench-") as tmp:
        rows = [(measure(Path(tmp), ns, per, args.pairs), target) for ns, per, target in CASES]
    print(f"{'namespaces':>10} {'policies':>9} {'ratio (min-max, n)':>26} {'target':>7} {'wall':>5}")
    for row, target in rows:
        spread = f"{row['ratio_median']:.2f} ({row['ratio_min']:.2f}-{row['ratio_max']:.2f}, {row['n']})"
        verdict = "PASS" if row["ratio_median"] <= target else "MISSED"
        print(
            f"{row['namespaces']:>10,} {row['policies']:>9,} {spread:>26} {'<= ' + format(target, 'g'):>7}"
            f" {row['ratio_wall']:>5.2f} {verdict}"
        )
    _broken_items(3)
    return 0


def _cpu(fn: Callable[[], None], runs: int) -> float:
    """The median process CPU time of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times)


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
