"""Benchmark of the plugin runtimes: each one for one pair, against a static `kustomize build` of the overlay.

A measurement, not a gate: prints a table, writes bench/runtimes.json (or --results), always exits 0.
See bench/README.md, section "Runtimes".

For one OVN pair of --namespaces namespaces (an existing EgressFirewall on every fifth one), two setups:

* generator: the firewalls' `rules:` are in the spec, nothing is among the items;
* transformer: a base holds the MigrationController and the firewalls, the function patches them.

Each runtime builds the same cluster. The baseline is the static build, by the same tool, of the overlay
`mtc-policygen generate` wrote for that setup. A floor is measured too: the same kustomization with an exec
function that reads its input and returns the very items the KRM function returns (a shell script printing them
from a file), which is what kustomize itself costs for running an exec function with that output. Runs
alternate (runtime, baseline, floor, ...) after a warm-up; the median wall time of --reps runs is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.oracles.tools import kubectl_bin, kustomize_bin  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "runtimes.json"
KRM_MAX_RATIO = 1.25
KRM_FLAGS = ("--enable-alpha-plugins", "--enable-exec")
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-password"  # noqa: S105 - the test value of the proxy password


def _spec(namespaces: int, *, generator: bool) -> dict[str, Any]:
    entries: list[Any] = []
    for i in range(namespaces):
        name = f"app-{i:03d}"
        if i % 5:
            entries.append(name)
            continue
        firewall: dict[str, Any] = {"name": "default"}
        if generator:
            firewall["rules"] = [{"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}]
        entries.append({"source": name, "target": name, "egressFirewall": firewall})
    source: dict[str, Any] = {"name": "src", "openshiftVersion": "4.13", "networkType": "OVNKubernetes"}
    if not generator:
        source["base"] = "base"
    return {
        "apiVersion": "mtc-policygen.io/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": "bench-generator" if generator else "bench-transformer"},
        "spec": {
            "controlCluster": "source",
            "source": source,
            "target": {
                "name": "dst",
                "openshiftVersion": "4.14",
                "networkType": "OVNKubernetes",
                "cidrs": ["203.0.113.0/24"],
                "appsDomain": "apps.dst.example.com",
            },
            "dvm": {"sourceSupplementalGroups": [1000], "targetSupplementalGroups": [2000]},
            "networkPolicy": {"mode": "strict"},
            "namespaces": entries,
        },
    }


def _base(folder: Path, namespaces: int) -> None:
    folder.mkdir()
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "migration.openshift.io/v1alpha1",
            "kind": "MigrationController",
            "metadata": {"name": "migration-controller", "namespace": "openshift-migration"},
            "spec": {"cluster_name": "host", "migration_controller": True, "migration_ui": True},
        }
    ]
    for i in range(0, namespaces, 5):
        docs.append(
            {
                "apiVersion": "k8s.ovn.org/v1",
                "kind": "EgressFirewall",
                "metadata": {"name": "default", "namespace": f"app-{i:03d}"},
                "spec": {"egress": [{"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}]},
            }
        )
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": f"app-{i:03d}"}})
    (folder / "objects.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    (folder / "kustomization.yaml").write_text("resources: [objects.yaml]\n", encoding="utf-8")


def _config(spec: dict[str, Any], *, krm: bool, spec_file: str | None = None) -> str:
    annotations: dict[str, str] = {"mtc-policygen.io/cluster": "src"}
    if krm:
        annotations["config.kubernetes.io/function"] = "exec:\n  path: mtc-policygen-krm\n"
    doc: dict[str, Any] = {
        "apiVersion": "mtc-policygen.io/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": spec["metadata"]["name"], "annotations": annotations},
    }
    if spec_file:
        annotations["mtc-policygen.io/spec-file"] = spec_file
    else:
        inline = json.loads(json.dumps(spec["spec"]))
        inline["source"].pop("base", None)
        doc["spec"] = inline
    return yaml.safe_dump(doc, sort_keys=False)


def _kustomization(folder: Path, body: str, files: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / "kustomization.yaml").write_text(body, encoding="utf-8")
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        if name.endswith(".sh"):
            path.chmod(0o755)
    return folder


FLOOR_CASE = "exec function returning the same items"


def _floor_script(output: Path) -> str:
    """Reads the ResourceList kustomize sends, then prints `output`: the items the KRM function returns."""
    return f"#!/bin/sh\ncat >/dev/null\nexec cat '{output}'\n"


def _resource_list(built: str) -> str:
    items = [doc for doc in yaml.safe_load_all(built) if doc is not None]
    return yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items})


def _noop_config(script: Path) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "example.com/v1",
            "kind": "Noop",
            "metadata": {
                "name": "noop",
                "annotations": {"config.kubernetes.io/function": f"exec:\n  path: {script}\n"},
            },
        }
    )


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{proc.stderr}")
    return elapsed


@dataclass(frozen=True)
class Tools:
    kustomize: str
    kubectl: str
    kpt: str | None
    tmp: Path
    env: dict[str, str]

    def timed(self, *argv: str) -> float:
        return _timed(list(argv), self.tmp, self.env)


def make_tools(tmp: Path, extra_env: dict[str, str] | None = None) -> Tools:
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DVM_PROXY_PASSWORD": PASSWORD,
        "KUSTOMIZE_PLUGIN_HOME": str(tmp / "plugins"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    return Tools(kustomize_bin(), kubectl_bin(), shutil.which("kpt"), tmp, env)


def setup_cases(tools: Tools, setup: str, namespaces: int) -> dict[str, Callable[[], float]]:
    """Every runtime for one setup (generator or transformer), and its baselines."""
    tmp, gen = tools.tmp, setup == "generator"
    spec = _spec(namespaces, generator=gen)
    spec_path = tmp / f"spec-{setup}.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    subprocess.run(
        [str(VENV_BIN / "mtc-policygen"), "generate", str(spec_path), "-o", str(tmp / "overlays")],
        check=True,
        capture_output=True,
        env=tools.env,
    )
    static = str(tmp / "overlays" / spec["metadata"]["name"] / "src")
    lists = "generators: [fn.yaml]\n" if gen else "resources: [../base]\ntransformers: [fn.yaml]\n"
    # kustomize v4 runs exec functions in the last base's folder (kustomize#4347): absolute paths, inline spec.
    krm = str(_kustomization(tmp / f"krm-{setup}", lists, {"fn.yaml": _config(spec, krm=True)}))
    built = subprocess.run(
        [tools.kustomize, "build", krm, *KRM_FLAGS], cwd=tmp, env=tools.env, capture_output=True, text=True, check=True
    ).stdout
    output = tmp / f"items-{setup}.yaml"
    output.write_text(_resource_list(built), encoding="utf-8")
    script = tmp / f"noop-{setup}" / "noop.sh"
    noop_files = {"noop.yaml": _noop_config(script), "noop.sh": _floor_script(output)}
    noop = str(_kustomization(tmp / f"noop-{setup}", lists.replace("fn.yaml", "noop.yaml"), noop_files))
    # the spec file lies in the kustomization's folder: outside a repository that folder is all a plugin reads
    legacy_config = _config(spec, krm=False, spec_file=spec_path.name)
    legacy_files = {"fn.yaml": legacy_config, spec_path.name: spec_path.read_text(encoding="utf-8")}
    legacy = str(_kustomization(tmp / f"legacy-{setup}", lists, legacy_files))
    k, kc = tools.kustomize, tools.kubectl
    cases: dict[str, Callable[[], float]] = {
        f"{setup}: kustomize v4.5.4 static overlay": lambda: tools.timed(k, "build", static),
        f"{setup}: kustomize v4.5.4 {FLOOR_CASE}": lambda: tools.timed(k, "build", noop, *KRM_FLAGS),
        f"{setup}: kustomize v4.5.4 KRM function": lambda: tools.timed(k, "build", krm, *KRM_FLAGS),
        f"{setup}: kustomize v4.5.4 legacy plugin": lambda: tools.timed(k, "build", legacy, "--enable-alpha-plugins"),
        f"{setup}: kubectl kustomize static overlay": lambda: tools.timed(kc, "kustomize", static),
        f"{setup}: kubectl kustomize legacy plugin": lambda: tools.timed(
            kc, "kustomize", legacy, "--enable-alpha-plugins"
        ),
    }
    if tools.kpt:
        kpt, package, fn = tools.kpt, tmp / f"pkg-{setup}", tmp / f"kpt-fn-{setup}.yaml"
        fn.write_text(_config(spec, krm=True, spec_file=spec_path.name), encoding="utf-8")

        def kpt_eval() -> float:
            # A fresh package each run, so every run does the same work (not a second pass).
            shutil.rmtree(package, ignore_errors=True)
            if gen:
                package.mkdir()
            else:
                shutil.copytree(tmp / "base", package, ignore=shutil.ignore_patterns("kustomization.yaml"))
            return tools.timed(kpt, "fn", "eval", str(package), "--exec", "mtc-policygen-krm", "--fn-config", fn.name)

        cases[f"{setup}: kpt fn eval --exec"] = kpt_eval
    return cases


def _report(medians: dict[str, float]) -> str:
    lines = [f"{'runtime':<50} {'median s':>9} {'x static':>9}"]
    for name, value in medians.items():
        setup = name.split(":")[0]
        tool = "kubectl kustomize" if "kubectl" in name else "kustomize v4.5.4"
        lines.append(f"{name:<50} {value:>9.3f} {value / medians[f'{setup}: {tool} static overlay']:>8.2f}x")
    for setup in ("generator", "transformer"):
        krm = medians[f"{setup}: kustomize v4.5.4 KRM function"]
        ratio = krm / medians[f"{setup}: kustomize v4.5.4 static overlay"]
        over_floor = krm / medians[f"{setup}: kustomize v4.5.4 {FLOOR_CASE}"]
        verdict = "PASS" if ratio <= KRM_MAX_RATIO else "MISSED"
        lines.append(
            f"{setup}: KRM function {ratio:.2f}x the static build (target <= {KRM_MAX_RATIO}x) {verdict}; "
            f"{over_floor:.2f}x kustomize running an exec function that returns the same items"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="mtc-policygen-bench-runtimes-"))
    tools = make_tools(tmp)
    try:
        _base(tmp / "base", args.namespaces)
        install = [str(VENV_BIN / "mtc-policygen"), "kustomize-plugin", "install", str(tmp / "plugins")]
        subprocess.run(install, check=True, capture_output=True)
        cases = {
            **setup_cases(tools, "generator", args.namespaces),
            **setup_cases(tools, "transformer", args.namespaces),
        }
        for job in cases.values():  # warm-up: page cache, the first start of every binary
            job()
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.reps):  # alternated, so a burst of load on the machine hits every case alike
            for name, job in cases.items():
                times[name].append(job())
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(_report(medians))
    summary = {"namespaces": args.namespaces, "reps": args.reps, "times": times, "medians": medians}
    args.results.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
