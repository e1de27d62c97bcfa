"""End to end: generated overlays through the real kustomize binaries, and the KRM function through kustomize and kpt.

Test design notes:

* Cases: every ``examples/*.yaml``, every ``examples/render-time/*.yaml`` and every ``tests/golden/*/spec.yaml``.
  Each case's folder is copied into a tmp dir first, so ``base`` paths resolve and file headers name no tmp
  path, then generated once per session by the installed console script (``mtc-policygen generate SPEC -o
  OUT``, run from the tmp dir: imports come from where the package was installed, the built wheel under
  ``make test``). A spec with ``passwordFrom`` gets ``--allow-secrets-in-output`` and ``DVM_PROXY_PASSWORD``.
* The overlay folders (``<pair>/<cluster>``) are listed when the tests are collected, from the specs' raw YAML
  (metadata.name, source.name, target.name). So every folder is its own test id, and a folder that
  ``generate`` fails to write fails its tests instead of disappearing from the list.
* Each folder is built once per session with kustomize v4.5.4 and with ``kubectl kustomize`` (v5), in parallel
  threads, because kustomize v4 spends about 1 s per call parsing its OpenAPI document. The tests read the
  cached results. A missing kustomize or kubectl is an error, not a skip: CI must not pass without the oracles
  having run. The one exception is kpt, which the project does not install; the kpt tests skip when it is
  absent.
* Expected values come from the specs and the product contract (spec §4), not from the generator:
  * Firewalls: the tail of each built ``egress`` list must equal the firewall's existing rules, in order.
    Those are the spec's ``rules:`` merged over ``namespaceDefaults``, or the firewall of the ``base`` built
    alone. The head must be Allow-only and duplicate-free, share no rule with the tail's part before its first
    Deny (a copy below a Deny is shadowed), be empty only when that part already allows every destination cidr,
    and name what spec §4 says the rsync clients reach: the stunnel proxy alone, or every destination cidr, plus
    ``dvm-…`` dnsName rules under ``appsDomain`` on Route (not on an EgressFirewall before 4.7, spec §4.1).
    OVN Route rules must carry TCP 443; SDN rules have no ports.
  * Managed-by label: every object the overlay adds carries it. An object from a user's ``base`` keeps its
    own labels. If an overlay patch that is a partial object (the MigrationController patch) targets it, it
    also gains the label, because that patch carries it. A base firewall patched by JSON6902 gains nothing.
* KRM function: one kustomization per (example, cluster) with ``generators: [fn.yaml]``. fn.yaml names the
  spec by ``mtc-policygen.io/spec-file``, relative to the kustomization folder. Its build must give the same
  parsed objects as ``mtc-policygen render SPEC --cluster NAME`` (the installed script), order ignored,
  annotations that kustomize or kpt add ignored. kustomize and kpt find ``mtc-policygen-krm`` on ``PATH``, where
  the installed scripts' folder comes first. kpt is checked on two clusters, one of them the control cluster
  holding the rendered secret. The error path is checked through kustomize, through kpt, and through a
  ResourceList on stdin.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from generator.clusterpair.model import NetworkType
from generator.clusterpair.parse import ocp_version
from generator.mtc.resolve import capabilities
from generator.mtc.thresholds import default_network_type
from tests.conftest import EXAMPLES, GOLDEN, INSTALLED_BIN, installed_script
from tests.oracles import (
    ToolError,
    kubectl_kustomize,
    kustomize_build,
    validate_firewall,
    validate_firewall_patch,
    validate_networkpolicies,
)

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
MANAGED_BY = ("app.kubernetes.io/managed-by", "mtc-policygen")
FIREWALL_KINDS = {"EgressFirewall", "EgressNetworkPolicy"}
PASSWORD = "e2e-Pa55:w/rd@x"
# Every render-time secret the cases read (spec §7 proxy password, spec §8 S3 keys).
SECRETS_ENV = {
    "DVM_PROXY_PASSWORD": PASSWORD,
    "MTC_S3_ACCESS_KEY_ID": "e2e-key-id",
    "MTC_S3_SECRET_ACCESS_KEY": "e2e-key",
}
# Annotations that kustomize and kpt add or keep on function input and output; they are not the generator's.
TOOL_ANNOTATION_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/")


@dataclass(frozen=True)
class Case:
    """One spec and what its raw YAML says about the overlays it produces."""

    id: str
    spec: Path
    data: Obj

    @property
    def folder(self) -> Path:
        return self.spec.parent

    @property
    def pair(self) -> str:
        return str(self.data["metadata"]["name"])

    @property
    def clusters(self) -> list[str]:
        return list(dict.fromkeys([self.data["spec"]["source"]["name"], self.data["spec"]["target"]["name"]]))

    @property
    def needs_secret(self) -> bool:
        proxy = (self.data["spec"].get("dvm") or {}).get("stunnelTCPProxy") or {}
        creds = (self.data["spec"].get("replicationRepository") or {}).get("credentialsFrom") or {}
        tokens = [(self.data["spec"][role].get("tokenFrom") or {}) for role in ("source", "target")]
        render_time = bool(set(creds) - {"secretRef"}) or any(set(t) - {"secretRef"} for t in tokens)  # spec §8
        return "passwordFrom" in proxy or render_time


def _case(case_id: str, spec: Path) -> Case:
    return Case(case_id, spec, yaml.safe_load(spec.read_text(encoding="utf-8")))


CASES = [
    *(_case(f"example-{p.stem}", p) for p in sorted(EXAMPLES.glob("*.yaml"))),
    *(_case(f"render-time-{p.stem}", p) for p in sorted((EXAMPLES / "render-time").glob("*.yaml"))),
    *(_case(d.name, d / "spec.yaml") for d in sorted(GOLDEN.iterdir()) if (d / "spec.yaml").is_file()),
]
OVERLAYS = [pytest.param(case, cluster, id=f"{case.id}/{cluster}") for case in CASES for cluster in case.clusters]


def _has_base(case: Case, cluster: str) -> bool:
    spec = case.data["spec"]
    return any(c.get("name") == cluster and "base" in c for c in (spec["source"], spec["target"]))


# Generator mode only: a cluster with a `base` is run as a transformer over it (tests/e2e/test_runtimes.py).
KRM_TARGETS = [
    pytest.param(case, cluster, id=f"{case.id}/{cluster}")
    for case in CASES
    if case.id.startswith(("example-", "render-time-"))
    for cluster in case.clusters
    if not _has_base(case, cluster)
]


def _parallel(jobs: dict[Any, Callable[[], object]]) -> dict[Any, object]:
    """Run the callables in threads (they wait on subprocesses); each result is its value or its exception."""

    def call(job: Callable[[], object]) -> object:
        try:
            return job()
        except Exception as exc:  # noqa: BLE001 - handed to the test that needs it
            return exc

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {key: pool.submit(call, job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def _value(result: object) -> Any:
    if isinstance(result, BaseException):
        raise result
    return result


def _docs(text: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _identity(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))


def _labels(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


# --------------------------------------------------------------------------- session fixtures


@dataclass
class Generated:
    out: Path  # the overlays folder
    spec: Path  # the spec, as copied
    code: int


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    """Every case generated into its own tmp tree: <tmp>/case/<spec> and <tmp>/overlays."""
    results = {}
    script = installed_script("mtc-policygen")
    for case in CASES:
        work = tmp_path_factory.mktemp(case.id)
        shutil.copytree(case.folder, work / "case")
        spec, out = work / "case" / case.spec.name, work / "overlays"
        argv = [str(script), "generate", str(spec), "-o", str(out)]
        if case.needs_secret:
            argv.append("--allow-secrets-in-output")
        env = {**os.environ, **SECRETS_ENV}
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False)
        results[case.id] = Generated(out, spec, done.returncode)
    return results


@dataclass
class Built:
    folder: Path
    v4: str
    v5: str


@pytest.fixture(scope="session")
def built(generated: dict[str, Generated]) -> dict[tuple[str, str], object]:
    """`kustomize build` (v4.5.4) and `kubectl kustomize` (v5) of every overlay folder: a Built or the error."""

    def build(folder: Path) -> Built:
        if not (folder / "kustomization.yaml").is_file():
            raise AssertionError(f"{folder} has no kustomization.yaml (generate wrote no overlay there)")
        return Built(folder, kustomize_build(folder), kubectl_kustomize(folder))

    jobs: dict[Any, Callable[[], object]] = {}
    for case in CASES:
        for cluster in case.clusters:
            folder = generated[case.id].out / case.pair / cluster
            jobs[(case.id, cluster)] = lambda folder=folder: build(folder)
    return _parallel(jobs)


def _built(built: dict[tuple[str, str], object], case: Case, cluster: str) -> Built:
    result = _value(built[(case.id, cluster)])
    assert isinstance(result, Built)
    return result


def _kustomization(folder: Path) -> Obj:
    return yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))


def _base_dirs(folder: Path) -> list[Path]:
    return [(folder / r).resolve() for r in _kustomization(folder).get("resources") or [] if (folder / r).is_dir()]


# --------------------------------------------------------------------------- overlays


def test_every_case_generates(generated: dict[str, Generated]) -> None:
    failed = {case_id: g.code for case_id, g in generated.items() if g.code != 0}
    assert not failed, f"generate exited non-zero: {failed}"


@pytest.mark.parametrize(("case", "cluster"), OVERLAYS)
def test_kustomize_v4_and_v5_build_the_same_nonempty_output(
    built: dict[tuple[str, str], object], case: Case, cluster: str
) -> None:
    result = _built(built, case, cluster)
    assert result.v4.strip(), "kustomize v4.5.4 built nothing"
    assert _docs(result.v4), "kustomize v4.5.4 built no object"
    assert result.v4 == result.v5


@pytest.mark.parametrize(("case", "cluster"), OVERLAYS)
def test_built_networkpolicies_are_valid(built: dict[tuple[str, str], object], case: Case, cluster: str) -> None:
    policies = [o for o in _docs(_built(built, case, cluster).v4) if o.get("kind") == "NetworkPolicy"]
    spec = case.data["spec"]
    mode = (spec.get("networkPolicy") or {}).get("mode", "open")
    source = spec["source"]
    plugin = NetworkType(source["networkType"]) if "networkType" in source else None
    egress_only_cluster = cluster == source["name"] != spec["target"]["name"]
    unenforced = capabilities(ocp_version(source["openshiftVersion"]), plugin).egress_policy is False
    closed = (spec.get("openings") or {}).get("state") == "closed"  # spec §9: no opening rendered
    if mode == "none" or closed or (egress_only_cluster and unenforced):  # spec §4.1: none on SDN < 4.10
        assert policies == []
    else:
        assert policies, f"networkPolicy.mode {mode}: no NetworkPolicy built"
    assert validate_networkpolicies(policies) == []


def _spec_firewall_rules(data: Obj, namespace: str) -> list[Obj] | None:
    """The `rules:` a spec gives for the firewall of source namespace `namespace` (namespaceDefaults merged)."""
    spec = data["spec"]
    defaults = (spec.get("namespaceDefaults") or {}).get("egressFirewall")
    for entry in spec["namespaces"]:
        source = entry if isinstance(entry, str) else entry["source"]
        if source != namespace:
            continue
        own = None if isinstance(entry, str) else entry.get("egressFirewall")
        if own is None and defaults is None:
            return None
        merged = {**(defaults or {}), **(own or {})}
        rules = merged.get("rules")
        return None if rules is None else list(rules)
    return None


def _base_firewall_rules(folder: Path, identity: tuple[str, str, str, str]) -> list[Obj] | None:
    for base in _base_dirs(folder):
        for obj in _docs(kubectl_kustomize(base)):
            if _identity(obj) == identity:
                return list(obj["spec"]["egress"])
    return None


def _check_dvm_rules(head: list[Obj], data: Obj, kind: str) -> None:
    """The Allow rules spec §4 asks for: the stunnel proxy alone, or the destination cidrs (+ route dnsNames)."""
    target = data["spec"]["target"]
    proxy = ((data["spec"].get("dvm") or {}).get("stunnelTCPProxy") or {}).get("url")
    destinations = [rule["to"] for rule in head]
    if proxy:
        parts = urlsplit(proxy)
        host = parts.hostname or ""
        try:
            expected = {"cidrSelector": f"{ipaddress.ip_address(host)}/32"}
        except ValueError:
            expected = {"dnsName": host}
        assert destinations == [expected], "with a stunnel proxy the rsync clients reach the proxy only"
        if kind == "EgressFirewall":
            assert head[0].get("ports") == [{"protocol": "TCP", "port": parts.port}]
        else:
            assert "ports" not in head[0], "EgressNetworkPolicy has no ports"
        return
    cidrs = {str(ipaddress.ip_network(c, strict=False)) for c in target.get("cidrs") or []}
    assert cidrs, "a firewall without proxy needs destination cidrs"
    assert cidrs <= {d.get("cidrSelector") for d in destinations}, "every destination cidr must be allowed"
    endpoint = target.get("rsyncEndpointType", "Route")
    names = [d["dnsName"] for d in destinations if "dnsName" in d]
    source = data["spec"]["source"]
    version = ocp_version(source["openshiftVersion"])
    plugin = NetworkType(source["networkType"]) if "networkType" in source else default_network_type(version)
    dns_rules = capabilities(version, plugin).firewall_dns_name  # SDN always, OVN from 4.7 (spec §4.1)
    if endpoint == "Route" and target.get("appsDomain") and dns_rules:
        assert names, "appsDomain is set: the DVM route hosts must be allowed by name"
        assert all(n.startswith("dvm-") and n.endswith("." + target["appsDomain"]) for n in names), names
    else:
        assert names == []
    for rule in head:
        if kind == "EgressNetworkPolicy":
            assert "ports" not in rule, "EgressNetworkPolicy has no ports"
        elif endpoint == "Route":
            assert rule.get("ports") == [{"protocol": "TCP", "port": 443}]


@pytest.mark.parametrize(("case", "cluster"), OVERLAYS)
def test_built_firewalls_are_valid_with_dvm_rules_first(
    built: dict[tuple[str, str], object], case: Case, cluster: str
) -> None:
    result = _built(built, case, cluster)
    firewalls = [o for o in _docs(result.v4) if o.get("kind") in FIREWALL_KINDS]
    spec = case.data["spec"]
    default_fw = (spec.get("namespaceDefaults") or {}).get("egressFirewall")
    declared = [
        ns if isinstance(ns, str) else ns["source"]
        for ns in spec["namespaces"]
        if default_fw is not None or (not isinstance(ns, str) and ns.get("egressFirewall") is not None)
    ]
    if cluster != spec["source"]["name"]:
        assert firewalls == [], "only the source cluster's namespaces get firewall rules"
        return
    assert sorted(fw["metadata"]["namespace"] for fw in firewalls) == sorted(declared), (
        "every source namespace that declares egressFirewall gets exactly one firewall"
    )
    for fw in firewalls:
        where = f"{fw['kind']} {fw['metadata']['namespace']}/{fw['metadata']['name']}"
        assert validate_firewall(fw) == [], where
        existing = _spec_firewall_rules(case.data, fw["metadata"]["namespace"])
        if existing is None:
            existing = _base_firewall_rules(result.folder, _identity(fw))
        assert existing is not None, f"{where}: no existing rules in the spec nor in a base"
        egress = fw["spec"]["egress"]
        head, tail = egress[: len(egress) - len(existing)], egress[len(egress) - len(existing) :]
        assert tail == existing, f"{where}: the existing rules must follow, unchanged and in order"
        if (spec.get("openings") or {}).get("state") == "closed":  # spec §9: the user's own rules only
            assert egress == existing, f"{where}: closed, the firewall holds its own rules only"
            continue
        # A DVM rule the firewall already holds above its first Deny is not added again (spec §4.2); one held
        # only below a Deny never applies (first match wins), so it is inserted again at the top.
        first_deny = next((i for i, rule in enumerate(tail) if rule.get("type") == "Deny"), len(tail))
        live = tail[:first_deny]
        if not head:  # every DVM rule is held already: they are the live Allow rules
            head = [rule for rule in live if rule.get("type") == "Allow"]
            live = []
        assert head, f"{where}: no DVM rule before the existing rules"
        assert all(rule["type"] == "Allow" for rule in head), where
        assert all(head.count(rule) == 1 for rule in head), f"{where}: a DVM rule is duplicated"
        assert not [rule for rule in head if rule in live], f"{where}: a DVM rule is also among the live rules"
        _check_dvm_rules(head, case.data, fw["kind"])


@pytest.mark.parametrize(("case", "cluster"), OVERLAYS)
def test_firewall_patch_files_are_valid_json6902(generated: dict[str, Generated], case: Case, cluster: str) -> None:
    folder = generated[case.id].out / case.pair / cluster
    targets = {p["path"]: p.get("target") for p in _kustomization(folder).get("patches") or []}
    for path in sorted(folder.glob("egressfirewall-*-patch.yaml")):
        assert path.name in targets, f"{path.name} is not listed under patches"
        target = targets[path.name]
        assert target, f"{path.name}: a JSON6902 patch needs a target"
        assert target["kind"] in FIREWALL_KINDS, f"{path.name}: patch target {target}"
        assert validate_firewall_patch(yaml.safe_load(path.read_text(encoding="utf-8")), target["kind"]) == []
    for path in targets:
        assert (folder / path).is_file(), f"kustomization lists a missing patch {path}"


@pytest.mark.parametrize(("case", "cluster"), OVERLAYS)
def test_managed_by_label(built: dict[tuple[str, str], object], case: Case, cluster: str) -> None:
    result = _built(built, case, cluster)
    base_objects = {_identity(o): o for base in _base_dirs(result.folder) for o in _docs(kubectl_kustomize(base))}
    object_patches = set()
    for patch in _kustomization(result.folder).get("patches") or []:
        for doc in _docs((result.folder / patch["path"]).read_text(encoding="utf-8")):
            if isinstance(doc, dict):  # a partial object (strategic merge); JSON6902 files are lists
                assert _labels(doc).get(MANAGED_BY[0]) == MANAGED_BY[1], f"{patch['path']}: patch without the label"
                object_patches.add(_identity(doc))
    for obj in _docs(result.v4):
        identity = _identity(obj)
        labels = _labels(obj)
        if identity not in base_objects:
            assert labels.get(MANAGED_BY[0]) == MANAGED_BY[1], f"{identity}: generated object without the label"
            continue
        assert _labels(base_objects[identity]).items() <= labels.items(), f"{identity}: base labels lost"
        if identity in object_patches:
            assert labels.get(MANAGED_BY[0]) == MANAGED_BY[1], f"{identity}: patched base object"
        else:
            assert labels == _labels(base_objects[identity]), f"{identity}: labels of a base object changed"


# --------------------------------------------------------------------------- KRM function


def _function_config(cluster: str, spec_file: str) -> Obj:
    return {
        "apiVersion": "mtc-policygen.io/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {
            "name": "dvm-policies",
            "annotations": {
                "config.kubernetes.io/function": yaml.safe_dump({"exec": {"path": "mtc-policygen-krm"}}),
                "mtc-policygen.io/cluster": cluster,
                "mtc-policygen.io/spec-file": spec_file,
            },
        },
    }


def _krm_env() -> dict[str, str]:
    return {"PATH": f"{INSTALLED_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **SECRETS_ENV}


def _krm_dir(root: Path, case: Case, cluster: str) -> Path:
    """<root>/fn-<case>-<cluster>/ with kustomization.yaml and fn.yaml; the spec is <root>/<case folder>/..."""
    folder = root / f"fn-{case.id}-{cluster}"
    folder.mkdir()
    spec_file = os.path.relpath(root / case.folder.relative_to(EXAMPLES.parent) / case.spec.name, folder)
    (folder / "fn.yaml").write_text(yaml.safe_dump(_function_config(cluster, spec_file)), encoding="utf-8")
    (folder / "kustomization.yaml").write_text(yaml.safe_dump({"generators": ["fn.yaml"]}), encoding="utf-8")
    return folder


def _strip_tool_annotations(obj: Obj) -> Obj:
    clean = copy.deepcopy(obj)
    meta = clean.get("metadata") or {}
    kept = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(TOOL_ANNOTATION_PREFIXES)}
    if kept:
        meta["annotations"] = kept
    else:
        meta.pop("annotations", None)
    return clean


def _comparable(objs: list[Obj]) -> list[Obj]:
    return sorted((_strip_tool_annotations(o) for o in objs), key=lambda o: repr(_identity(o)))


@pytest.fixture(scope="session")
def krm_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("krm")
    (root / ".git").mkdir()  # a repository: the function reads the spec files of ../examples inside it
    shutil.copytree(EXAMPLES, root / "examples")
    return root


@pytest.fixture(scope="session")
def krm_builds(krm_root: Path) -> dict[tuple[str, str], object]:
    jobs: dict[Any, Callable[[], object]] = {}
    for param in KRM_TARGETS:
        case, cluster = param.values
        assert isinstance(case, Case)
        assert isinstance(cluster, str)
        folder = _krm_dir(krm_root, case, cluster)
        jobs[(case.id, cluster)] = lambda folder=folder: kustomize_build(
            folder, "--enable-alpha-plugins", "--enable-exec", env=_krm_env()
        )
    return _parallel(jobs)


def _render(spec: Path, cluster: str) -> list[Obj]:
    done = subprocess.run(
        [str(installed_script("mtc-policygen")), "render", str(spec), "--cluster", cluster],
        cwd=spec.parent,
        env={**os.environ, **SECRETS_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"render exited {done.returncode}: {done.stderr}"
    objs = _docs(done.stdout)
    assert objs
    return objs


def _copied_spec(krm_root: Path, case: Case) -> Path:
    return krm_root / case.folder.relative_to(EXAMPLES.parent) / case.spec.name


@pytest.mark.parametrize(("case", "cluster"), KRM_TARGETS)
def test_krm_function_in_kustomize_equals_render(
    krm_root: Path,
    krm_builds: dict[tuple[str, str], object],
    case: Case,
    cluster: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    built_objs = _docs(str(_value(krm_builds[(case.id, cluster)])))
    assert built_objs, "the KRM function generated nothing"
    assert _comparable(built_objs) == _comparable(_render(_copied_spec(krm_root, case), cluster))


def _kpt() -> str:
    kpt = shutil.which("kpt")
    if kpt is None:
        pytest.skip("kpt is not installed")
    return kpt


def _run_kpt(folder: Path, package: Path) -> subprocess.CompletedProcess[str]:
    # kpt runs the exec function in its own working directory: the spec-file path is relative to `folder`.
    return subprocess.run(
        [_kpt(), "fn", "eval", str(package), "--exec", "mtc-policygen-krm", "--fn-config", "fn.yaml"],
        cwd=folder,
        env={**os.environ, **_krm_env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


KPT_TARGETS = [
    pytest.param("example-ocp311-to-ocp412", "ocp311", id="legacy-source"),
    pytest.param("render-time-ocp311-to-ocp412", "ocp412", id="control-cluster-with-secret"),
]


@pytest.mark.parametrize(("case_id", "cluster"), KPT_TARGETS)
def test_kpt_fn_eval_writes_the_rendered_objects(
    tmp_path: Path, case_id: str, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _kpt()
    case = next(c for c in CASES if c.id == case_id)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    (tmp_path / ".git").mkdir()  # a repository: the function reads ../examples inside it
    folder = _krm_dir(tmp_path, case, cluster)
    package = folder / "pkg"
    package.mkdir()
    proc = _run_kpt(folder, package)
    assert proc.returncode == 0, proc.stderr
    written = [doc for path in sorted(package.rglob("*.yaml")) for doc in _docs(path.read_text(encoding="utf-8"))]
    assert written, "kpt wrote nothing into the package"
    assert _comparable(written) == _comparable(_render(_copied_spec(tmp_path, case), cluster))
    if case.needs_secret:
        assert PASSWORD not in proc.stderr + proc.stdout


def _unknown_cluster_dir(root: Path) -> Path:
    shutil.copytree(EXAMPLES, root / "examples")
    (root / ".git").mkdir()
    case = next(c for c in CASES if c.id == "example-ocp311-to-ocp412")
    folder = _krm_dir(root, case, "ocp311")
    fn = yaml.safe_load((folder / "fn.yaml").read_text(encoding="utf-8"))
    fn["metadata"]["annotations"]["mtc-policygen.io/cluster"] = "ocp99-nowhere"
    (folder / "fn.yaml").write_text(yaml.safe_dump(fn), encoding="utf-8")
    return folder


UNKNOWN_CLUSTER_MESSAGE = "'ocp99-nowhere' is not a cluster of pair 'ocp311-to-ocp412'"


def test_krm_unknown_cluster_fails_in_kustomize(tmp_path: Path) -> None:
    folder = _unknown_cluster_dir(tmp_path)
    with pytest.raises(ToolError) as failure:
        kustomize_build(folder, "--enable-alpha-plugins", "--enable-exec", env=_krm_env())
    assert UNKNOWN_CLUSTER_MESSAGE in str(failure.value)


def test_krm_unknown_cluster_fails_in_kpt(tmp_path: Path) -> None:
    _kpt()
    folder = _unknown_cluster_dir(tmp_path)
    (folder / "pkg").mkdir()
    proc = _run_kpt(folder, folder / "pkg")
    assert proc.returncode != 0
    assert UNKNOWN_CLUSTER_MESSAGE in proc.stderr + proc.stdout
    assert list((folder / "pkg").iterdir()) == [], "a failed function must not write into the package"


def test_krm_unknown_cluster_on_stdin_exits_nonzero_with_reason(tmp_path: Path) -> None:
    folder = _unknown_cluster_dir(tmp_path)
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": [],
        "functionConfig": yaml.safe_load((folder / "fn.yaml").read_text(encoding="utf-8")),
    }
    proc = subprocess.run(
        [str(installed_script("mtc-policygen-krm"))],
        input=yaml.safe_dump(resource_list),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert UNKNOWN_CLUSTER_MESSAGE in proc.stderr
    assert "Traceback" not in proc.stderr
    out = yaml.safe_load(proc.stdout)
    assert out["kind"] == "ResourceList"
    assert [r["severity"] for r in out["results"]] == ["error"]
    assert UNKNOWN_CLUSTER_MESSAGE in out["results"][0]["message"]
