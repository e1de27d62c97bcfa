"""Determinism: the same spec gives the same bytes, whatever the hash seed and whatever the order of its lists.

Test design notes:

* Hash seeds: the installed ``mtc-policygen`` console script runs as a subprocess with ``PYTHONHASHSEED`` set
  to 0, 1 and 12345. The seed only takes effect at interpreter start, so an in-process run cannot vary it.
  The checks:
  * ``render`` of every cluster of every example (``examples/*.yaml`` and ``examples/render-time/*.yaml``)
    is byte-identical across the seeds.
  * ``generate`` of the examples, the render-time example and the golden cases writes byte-identical trees,
    manifest included. Each seed gets its own copy of the inputs, laid out the same way, so the spec paths
    in the file headers match.
  * The subprocesses run in threads, because each one mostly waits on interpreter start. Each runs in its
    seed's folder (outside git), so the paths in the file headers, relative to the current folder, match.
* Permutations: a Hypothesis property over a few rich specs. Permuting the namespace list and the lists
  that are sets by meaning (cidrs, noProxy, supplemental groups) must not change a byte of the rendered
  objects or of the overlay files. The order of a firewall's existing ``rules`` is meaningful (first match
  wins), so those rules are never permuted. Namespace entries move whole, rules included.
  ``derandomize=True`` fixes the examples, so a failure reproduces; ``deadline=None`` because a cold first
  render (Jinja2 template compilation) can exceed the default deadline.
* The specs for the property are built as dicts and dumped to YAML, then go through the same path as a file:
  ``parse_spec``, ``validate`` (no errors), ``render_pair``, ``cluster_files``.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.clusterpair.load import parse_spec
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.mtc.rules import validate
from generator.overlay.files import cluster_files
from generator.render.plan import render_pair
from generator.render.yamlout import dump_stream
from tests.conftest import EXAMPLES, GOLDEN, INSTALLED_BIN

Obj = dict[str, Any]
SEEDS = ("0", "1", "12345")
CLI = INSTALLED_BIN / "mtc-policygen"
PASSWORD = "det-Pa55:w/rd@x"


def _cli(argv: list[str], seed: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "DVM_PROXY_PASSWORD": PASSWORD}
    env |= {"MTC_S3_ACCESS_KEY_ID": "determinism-id", "MTC_S3_SECRET_ACCESS_KEY": "determinism-key"}  # spec §8
    return subprocess.run([str(CLI), *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def _parallel(jobs: list[tuple[Any, list[str], str, Path]]) -> dict[Any, subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {key: pool.submit(_cli, argv, seed, cwd) for key, argv, seed, cwd in jobs}
        return {key: future.result() for key, future in futures.items()}


def _clusters(spec: Path) -> list[str]:
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    return list(dict.fromkeys([data["spec"]["source"]["name"], data["spec"]["target"]["name"]]))


RENDER_TARGETS = [
    (spec, cluster)
    for spec in [*sorted(EXAMPLES.glob("*.yaml")), *sorted((EXAMPLES / "render-time").glob("*.yaml"))]
    for cluster in _clusters(spec)
]


@pytest.mark.e2e
def test_render_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    jobs = [
        ((spec, cluster, seed), ["render", str(spec), "--cluster", cluster], seed, tmp_path)
        for spec, cluster in RENDER_TARGETS
        for seed in SEEDS
    ]
    results = _parallel(jobs)
    for spec, cluster in RENDER_TARGETS:
        outputs = {}
        for seed in SEEDS:
            proc = results[(spec, cluster, seed)]
            assert proc.returncode == 0, f"{spec.name} --cluster {cluster} (seed {seed}): {proc.stderr}"
            assert proc.stdout.strip(), f"{spec.name} --cluster {cluster}: empty render"
            outputs[seed] = proc.stdout
        assert len(set(outputs.values())) == 1, f"{spec.name} --cluster {cluster} differs between hash seeds"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.e2e
def test_generate_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    jobs = []
    for seed in SEEDS:
        work = tmp_path / f"seed-{seed}"
        shutil.copytree(EXAMPLES, work / "examples")
        for case in sorted(p for p in GOLDEN.iterdir() if (p / "spec.yaml").is_file()):
            shutil.copytree(case, work / "golden" / case.name)
        golden_specs = [str(p) for p in sorted((work / "golden").glob("*/spec.yaml"))]
        jobs += [
            ((seed, "examples"), ["generate", str(work / "examples"), "-o", str(work / "out-examples")], seed, work),
            (
                (seed, "render-time"),
                [
                    "generate",
                    str(work / "examples" / "render-time"),
                    "-o",
                    str(work / "out-render-time"),
                    "--allow-secrets-in-output",
                ],
                seed,
                work,
            ),
            (
                (seed, "golden"),
                ["generate", *golden_specs, "-o", str(work / "out-golden"), "--allow-secrets-in-output"],
                seed,
                work,
            ),
        ]
    results = _parallel(jobs)
    for key, proc in results.items():
        assert proc.returncode == 0, f"{key}: {proc.stderr}"
    for name in ("examples", "render-time", "golden"):
        trees = {seed: _tree(tmp_path / f"seed-{seed}" / f"out-{name}") for seed in SEEDS}
        assert trees[SEEDS[0]], f"generate {name} wrote nothing"
        assert any(path.endswith("kustomization.yaml") for path in trees[SEEDS[0]])
        for seed in SEEDS[1:]:
            assert trees[seed] == trees[SEEDS[0]], f"generate {name}: seed {seed} differs from seed {SEEDS[0]}"


# --------------------------------------------------------------------------- permutations

ROUTE_OVN: Obj = {
    "apiVersion": "mtc-policygen.io/v1alpha1",
    "kind": "ClusterPair",
    "metadata": {"name": "perm-route-ovn"},
    "spec": {
        "controlCluster": "source",
        "source": {
            "name": "east",
            "openshiftVersion": "4.14",
            "networkType": "OVNKubernetes",
            "cidrs": ["198.51.100.0/26", "198.51.100.64/26", "2001:db8:1::/64"],
            "proxy": {
                "httpProxy": "http://proxy.example.com:3128",
                "httpsProxy": "http://proxy.example.com:3128",
                "noProxy": [".cluster.local", ".svc", "10.0.0.0/16", "s3.example.com", "192.0.2.10", "*"],
            },
        },
        "target": {
            "name": "west",
            "openshiftVersion": "4.16",
            "networkType": "OVNKubernetes",
            "cidrs": ["203.0.113.0/25", "198.51.100.7", "2001:db8::/64", "203.0.113.128/25", "192.0.2.0/28"],
            "appsDomain": "apps.west.example.com",
            "proxy": {"httpsProxy": "http://proxy.west.example.com:8080", "noProxy": [".svc", "west.example.com"]},
        },
        "dvm": {
            "sourceSupplementalGroups": [5000, 1000, 3000, 2000],
            "targetSupplementalGroups": [7000, 6000],
            "rsyncPrivileged": True,
        },
        "networkPolicy": {"mode": "strict"},
        "namespaces": [
            "crm",
            {"source": "db", "target": "db-migrated"},
            {
                "source": "reporting",
                "target": "reporting-finance-regulatory-data-warehouse-production",
                "egressFirewall": {
                    "name": "default",
                    "rules": [
                        {"type": "Allow", "to": {"dnsName": "warehouse.example.com"}},
                        {"type": "Allow", "to": {"cidrSelector": "192.0.2.0/24"}},
                        {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
                    ],
                },
            },
            {
                "source": "billing",
                "target": "billing",
                "egressFirewall": {
                    "name": "default",
                    "rules": [
                        {"type": "Deny", "to": {"cidrSelector": "10.9.0.0/16"}},
                        {
                            "type": "Allow",
                            "to": {"cidrSelector": "10.0.0.0/8"},
                            "ports": [{"protocol": "TCP", "port": 5432}],
                        },
                        {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
                    ],
                },
            },
            "web",
        ],
    },
}

NODEPORT_SDN_DEFAULTS: Obj = {
    "apiVersion": "mtc-policygen.io/v1alpha1",
    "kind": "ClusterPair",
    "metadata": {"name": "perm-nodeport-sdn"},
    "spec": {
        "mtcVersion": "1.7",
        "source": {
            "name": "ocp49",
            "openshiftVersion": "4.9",
            "networkType": "OpenShiftSDN",
            "proxy": {"httpProxy": "http://proxy:3128", "noProxy": [".svc", ".cluster.local", "172.30.0.1"]},
        },
        "target": {
            "name": "ocp412",
            "openshiftVersion": "4.12",
            "rsyncEndpointType": "NodePort",
            "cidrs": ["192.0.2.64/26", "192.0.2.0/26", "192.0.2.128/27"],
        },
        "dvm": {"sourceSupplementalGroups": [2000, 1000], "targetSupplementalGroups": [1000, 4000, 3000]},
        "networkPolicy": {"mode": "strict"},
        "namespaceDefaults": {
            "egressFirewall": {
                "name": "default",
                "rules": [
                    {"type": "Allow", "to": {"dnsName": "registry.example.com"}},
                    {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
                ],
            }
        },
        "namespaces": [
            "team-a",
            "team-b",
            {"source": "team-c", "target": "team-c-dev"},
            {"source": "team-d", "target": "team-d", "egressFirewall": {"name": "team-d-egress", "rules": []}},
        ],
    },
}

# A stunnel proxy on a same-cluster pair is an error (spec §3): the proxy case moves between two clusters.
PROXY_NODEPORT: Obj = {
    "apiVersion": "mtc-policygen.io/v1alpha1",
    "kind": "ClusterPair",
    "metadata": {"name": "perm-proxy"},
    "spec": {
        "source": {"name": "prod", "openshiftVersion": "4.16", "networkType": "OVNKubernetes"},
        "target": {
            "name": "prod-dr",
            "openshiftVersion": "4.16",
            "networkType": "OVNKubernetes",
            "rsyncEndpointType": "NodePort",
            "cidrs": ["198.51.100.0/24", "192.0.2.64/26", "192.0.2.0/26"],
        },
        "dvm": {"stunnelTCPProxy": {"url": "http://192.0.2.30:3128"}, "sourceSupplementalGroups": [3, 1, 2]},
        "networkPolicy": {"mode": "open"},
        "namespaces": [
            {"source": "shop", "target": "shop-v2"},
            {"source": "catalog", "target": "catalog-v2", "egressFirewall": {"rules": []}},
            {"source": "orders", "target": "orders-v2"},
        ],
    },
}

PERMUTABLE = [
    ("spec", "namespaces"),
    ("spec", "source", "cidrs"),
    ("spec", "target", "cidrs"),
    ("spec", "source", "proxy", "noProxy"),
    ("spec", "target", "proxy", "noProxy"),
    ("spec", "dvm", "sourceSupplementalGroups"),
    ("spec", "dvm", "targetSupplementalGroups"),
]


def _get(obj: Obj, path: tuple[str, ...]) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _rendered(spec: Obj) -> dict[str, str]:
    """Every cluster's object stream and overlay files, from the spec dumped to YAML and parsed like a file."""
    pair, problems = parse_spec(yaml.safe_dump(spec, sort_keys=False), "perm.yaml", Path.cwd())
    assert pair is not None, [str(p) for p in problems]
    problems += validate(pair, Environment(), resolve(pair))
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    out = {}
    for render in render_pair(resolve(pair), None):
        name = render.cluster.name
        out[f"{name}/objects"] = dump_stream(render.objects())
        overlay = Path("overlays", pair.name, name)
        for file, text in cluster_files(render, "perm.yaml", pair.spec_dir, overlay).items():
            out[f"{name}/{file}"] = text
    return out


@pytest.mark.parametrize(
    "base",
    [
        pytest.param(ROUTE_OVN, id="route-ovn-strict-firewalls"),
        pytest.param(NODEPORT_SDN_DEFAULTS, id="nodeport-sdn-namespace-defaults"),
        pytest.param(PROXY_NODEPORT, id="nodeport-proxy"),
    ],
)
@settings(
    derandomize=True,
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_permuting_set_like_lists_changes_nothing(base: Obj, data: st.DataObject) -> None:
    expected = _rendered(base)
    permuted = copy.deepcopy(base)
    for path in PERMUTABLE:
        values = _get(permuted, path)
        if values is None:
            continue
        parent = _get(permuted, path[:-1])
        parent[path[-1]] = data.draw(st.permutations(values), label=".".join(path))
    assert _rendered(permuted) == expected


def test_the_permutation_property_is_not_vacuous() -> None:
    """Every permutable list exists in some base spec with at least two distinct items."""
    for path in PERMUTABLE:
        lengths = [len({repr(v) for v in _get(b, path) or []}) for b in (ROUTE_OVN, NODEPORT_SDN_DEFAULTS)]
        assert max(lengths) >= 2, path
