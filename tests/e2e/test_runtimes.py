"""End to end: the function as a transformer (and generator) in every runtime, with the real binaries.

Test design notes:

* One hand-written base (``base/``) holds a MigrationController, an OVN EgressFirewall ``payments/default`` that
  ends in Deny, an SDN EgressNetworkPolicy ``legacy/legacy-egress`` that ends in Deny, and unrelated objects
  whose scalars a YAML 1.1 round trip would change (``on``, ``017``, a date, ``1e3``, quoted numbers). Two
  pairs use it: ``ovn`` (source 4.13 OVN, control cluster, stunnel proxy with a marker password: the firewall
  gets the proxy rule, the controller the URL-encoded password) and ``sdn`` (source 4.8 SDN, target cidrs and
  appsDomain: cidr and route dnsName rules). Each pair's other firewall kind is an unrelated object.
* Oracle: ``mtc-policygen generate`` writes the static overlay over ``base/`` (spec §4: a strategic-merge
  patch and JSON6902 inserts); its build by the same kustomize is the expected output, compared as exact text.
  So "the transformer equals render merged into the base" is checked by kustomize's own patch engine. The
  oracle builds (per pair and tool, and base/ alone) are made once per run (``oracle``) and shared.
* Runtimes: kustomize v4.5.4 KRM function (``--enable-alpha-plugins --enable-exec``; inline spec, because v4
  runs a KRM function in the folder of the last base, kustomize#4347), ``kubectl kustomize
  --enable-alpha-plugins`` (v5) with the legacy plugin installed by ``mtc-policygen kustomize-plugin install``,
  kustomize v4.5.4 with the same legacy plugin, ``kpt fn eval --exec`` and ``kpt fn render`` (Kptfile).
* A second pass adds nothing: kustomize runs the transformer over the first transformer's kustomization;
  kpt is run twice on the package and no file changes.
* Unrelated items come back byte-identical: their text in the output equals their text in the build of the
  base alone (kustomize), or their file is unchanged (kpt).
* A firewall declared without ``rules:`` that the items do not hold fails, naming it and what is there,
  with no password anywhere in what the tools print.
* spec §8 on a legacy source (``examples/install-restricted-network.yaml`` over its ``clusters/ocp311-legacy``
  base, copied): the KRM transformer's build holds the ``migration-operator`` Deployment as exact text equal to
  the one in the build of the overlay ``generate`` writes (kustomize ``images:`` and the REGISTRY patch), and a
  second pass changes nothing. kustomize v4 runs the function in the last base's folder, so the spec's mirror
  mapping and CA files are copied next to each base the inline spec is resolved from.
* kpt is not installed by the project: its tests skip without it. kustomize and kubectl are required.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from generator.cli import run
from tests.conftest import EXAMPLES
from tests.oracles import ToolError, kubectl_kustomize, kustomize_build

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Mark3r:p@ss/w0rd#x"  # reserved URL characters: must arrive URL-encoded
ENCODED = quote(PASSWORD, safe="")
FLAGS_KRM = ("--enable-alpha-plugins", "--enable-exec")
TOOL_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/")

BASE = {
    "kustomization.yaml": """\
resources:
- migrationcontroller.yaml
- egressfirewall.yaml
- egressnetworkpolicy.yaml
- unrelated.yaml
""",
    "migrationcontroller.yaml": """\
apiVersion: migration.openshift.io/v1alpha1
kind: MigrationController
metadata:
  name: migration-controller
  namespace: openshift-migration
spec:
  cluster_name: host
  migration_controller: true
  migration_ui: true
  migration_velero: true
  mig_pv_limit: "100"
  restic_timeout: 1h
""",
    "egressfirewall.yaml": """\
apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata:
  name: default
  namespace: payments
spec:
  egress:
  - type: Allow
    to:
      cidrSelector: 198.51.100.10/32
    ports:
    - protocol: TCP
      port: 6443
  - type: Deny
    to:
      cidrSelector: 0.0.0.0/0
""",
    "egressnetworkpolicy.yaml": """\
apiVersion: network.openshift.io/v1
kind: EgressNetworkPolicy
metadata:
  name: legacy-egress
  namespace: legacy
spec:
  egress:
  - type: Allow
    to:
      cidrSelector: 10.1.0.0/16
  - type: Deny
    to:
      cidrSelector: 0.0.0.0/0
""",
    "unrelated.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: payments
  annotations:
    team: payments
data:
  flag: "on"
  octal: "017"
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: quirks
  namespace: payments
spec:
  enabled: on
  mode: 017
  since: 2024-01-01
  ratio: 1e3
  count: "42"
  note: 'single'
""",
}

PAIRS = {
    "ovn": """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: runtimes-ovn
spec:
  controlCluster: source
  source:
    name: src
    openshiftVersion: "4.13"
    networkType: OVNKubernetes
    base: base
  target:
    name: dst
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
  dvm:
    stunnelTCPProxy:
      url: http://192.0.2.10:3128
      username: dvm
      passwordFrom: {env: DVM_PROXY_PASSWORD}
  namespaces:
  - source: payments
    target: payments
    egressFirewall:
      name: FIREWALL
  - shop
""",
    "sdn": """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: runtimes-sdn
spec:
  source:
    name: src
    openshiftVersion: "4.8"
    networkType: OpenShiftSDN
    base: base
  target:
    name: dst
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
    appsDomain: apps.dst.example.com
  namespaces:
  - source: legacy
    target: legacy
    egressFirewall:
      name: FIREWALL
""",
}
FIREWALLS = {"ovn": "default", "sdn": "legacy-egress"}
PATCHED = {  # (kind, namespace/name) of what each pair patches; the other firewall is unrelated there
    "ovn": {
        ("MigrationController", "openshift-migration/migration-controller"),
        ("EgressFirewall", "payments/default"),
    },
    "sdn": {
        ("MigrationController", "openshift-migration/migration-controller"),
        ("EgressNetworkPolicy", "legacy/legacy-egress"),
    },
}
PAIR_IDS = [pytest.param(name, id=name) for name in PAIRS]


MISSING_SHOP_FIREWALL = "  - source: shop\n    target: shop\n    egressFirewall: {name: default}\n"


def _spec_text(pair: str, *, missing: bool = False, base: bool = True) -> str:
    """A pair's spec; `missing`: the ovn pair also declares shop's firewall, which the base does not hold."""
    text = PAIRS[pair].replace("FIREWALL", FIREWALLS[pair])
    if missing:
        text = text.replace("  - shop\n", MISSING_SHOP_FIREWALL)
    return text if base else text.replace("    base: base\n", "")


def _env() -> dict[str, str]:
    return {"PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "DVM_PROXY_PASSWORD": PASSWORD}


def _fn_config(pair: str, *, inline: bool, legacy: bool = False, missing: bool = False) -> str:
    """The function config: a ClusterPair naming the cluster, its spec inline or by spec file."""
    annotations: Obj = {"mtc-policygen.io/cluster": "src"}
    if not legacy:
        annotations["config.kubernetes.io/function"] = "exec:\n  path: mtc-policygen-krm\n"
    doc: Obj = {"apiVersion": "mtc-policygen.io/v1alpha1", "kind": "ClusterPair", "metadata": {"name": "dvm"}}
    if inline:
        spec = yaml.safe_load(_spec_text(pair, missing=missing, base=False))
        doc["metadata"]["name"] = spec["metadata"]["name"]
        doc["spec"] = spec["spec"]
    else:
        annotations["mtc-policygen.io/spec-file"] = f"../spec-{pair}.yaml"
    doc["metadata"]["annotations"] = annotations
    return yaml.safe_dump(doc, sort_keys=False)


def _no_secret(text: str) -> None:
    assert PASSWORD not in text, "the proxy password leaked"
    assert ENCODED not in text, "the URL-encoded proxy password leaked"


def _with_rules(spec: str) -> str:
    """The sdn spec giving the firewall's `rules:`: generated whole, nothing needed among the items."""
    rules = "      rules: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]\n"
    return spec.replace("      name: legacy-egress\n", "      name: legacy-egress\n" + rules)


def _docs(text: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), f"{meta.get('namespace')}/{meta.get('name')}")


def _texts(stream: str) -> dict[tuple[str, str], str]:
    """Each document's exact text in a kustomize build, by kind and namespace/name."""
    out = {}
    for chunk in stream.split("\n---\n"):
        obj = yaml.safe_load(chunk)
        out[_key(obj)] = chunk.strip("-\n")
    return out


def _strip_tool_annotations(obj: Obj) -> Obj:
    meta = dict(obj.get("metadata") or {})
    kept = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(TOOL_PREFIXES)}
    if kept:
        meta["annotations"] = kept
    else:
        meta.pop("annotations", None)
    return {**obj, "metadata": meta}


def _comparable(objs: list[Obj]) -> list[Obj]:
    return sorted((_strip_tool_annotations(o) for o in objs), key=lambda o: repr(_key(o)))


def _tree(root: Path) -> Path:
    """base/, spec-ovn.yaml and spec-sdn.yaml, in a repository (the runtimes' root)."""
    (root / ".git").mkdir()
    (root / "base").mkdir()
    for name, text in BASE.items():
        (root / "base" / name).write_text(text, encoding="utf-8")
    for pair in PAIRS:
        (root / f"spec-{pair}.yaml").write_text(_spec_text(pair), encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """<tmp>/base/, <tmp>/spec-ovn.yaml and <tmp>/spec-sdn.yaml."""
    return _tree(tmp_path)


Oracle = Callable[[str, str], str]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    """`oracle(pair, tool)`: the build of the overlay `generate` writes over base/ (pair "" : base/ alone), by
    kustomize v4.5.4 or kubectl (v5). Several tests compare with the same builds: each is made once per run, in a
    tree of its own that no test changes."""
    root = _tree(tmp_path_factory.mktemp("oracle"))
    builds: dict[tuple[str, str], str] = {}

    def build(pair: str, tool: str = "kustomize") -> str:
        if (pair, tool) not in builds:
            kustomize = kubectl_kustomize if tool == "kubectl" else kustomize_build
            builds[(pair, tool)] = kustomize(_static_overlay(root, pair) if pair else root / "base")
        return builds[(pair, tool)]

    return build


def _static_overlay(tree: Path, pair: str) -> Path:
    """The oracle: `generate` writes the overlay that patches base/ (the password allowed: a test tree)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DVM_PROXY_PASSWORD", PASSWORD)
        spec, out = str(tree / f"spec-{pair}.yaml"), str(tree / "overlays")
        code = run(["generate", spec, "-o", out, "--allow-secrets-in-output"])
    assert code == 0
    name = yaml.safe_load(PAIRS[pair])["metadata"]["name"]
    return tree / "overlays" / name / "src"


def _kustomization(folder: Path, resources: list[str], transformers: list[str], config: str) -> Path:
    folder.mkdir()
    (folder / "fn.yaml").write_text(config, encoding="utf-8")
    body = {"resources": resources, "transformers": transformers}
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return folder


def _check_against_static(built: str, static: str, base_alone: str, pair: str) -> None:
    assert built == static, "the transformer's build must equal the build of the generated overlay"
    texts, base_texts = _texts(built), _texts(base_alone)
    for key, text in base_texts.items():
        if key not in PATCHED[pair]:
            assert texts[key] == text, f"{key}: an unrelated item changed"
    controller = next(o for o in _docs(built) if o["kind"] == "MigrationController")
    if pair == "ovn":
        assert controller["spec"]["stunnel_tcp_proxy"] == f"http://dvm:{ENCODED}@192.0.2.10:3128"


# --------------------------------------------------------------------------- kustomize v4.5.4, KRM function


@pytest.mark.parametrize("pair", PAIR_IDS)
def test_kustomize_krm_transformer_equals_static_overlay_and_is_idempotent(
    tree: Path, oracle: Oracle, pair: str
) -> None:
    static, base_alone = oracle(pair, "kustomize"), oracle("", "kustomize")
    first = _kustomization(tree / "krm", ["../base"], ["fn.yaml"], _fn_config(pair, inline=True))
    built = kustomize_build(first, *FLAGS_KRM, env=_env())
    _check_against_static(built, static, base_alone, pair)
    second = _kustomization(tree / "krm2", ["../krm"], ["fn.yaml"], _fn_config(pair, inline=True))
    assert kustomize_build(second, *FLAGS_KRM, env=_env()) == built, "a second pass must add nothing"


def test_kustomize_krm_legacy_operator_mirrored_like_the_static_overlay(tmp_path: Path) -> None:
    spec_file = tmp_path / "install-restricted-network.yaml"
    shutil.copy(EXAMPLES / spec_file.name, spec_file)
    for folder in ("clusters/ocp311-legacy", "mirror", "ca"):
        shutil.copytree(EXAMPLES / folder, tmp_path / folder)
    assert run(["generate", str(spec_file), "-o", str(tmp_path / "overlays")]) == 0
    static = _texts(kustomize_build(tmp_path / "overlays" / "install-restricted-network" / "ocp311"))
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    del spec["spec"]["source"]["base"]  # the items are the base
    annotations = {
        "mtc-policygen.io/cluster": "ocp311",
        "config.kubernetes.io/function": "exec:\n  path: mtc-policygen-krm\n",
    }
    config = yaml.safe_dump({**spec, "metadata": {"name": spec["metadata"]["name"], "annotations": annotations}})
    base = tmp_path / "clusters" / "ocp311-legacy"
    first = _kustomization(tmp_path / "krm", ["../clusters/ocp311-legacy"], ["fn.yaml"], config)
    for folder in ("mirror", "ca"):  # where kustomize v4 runs the function: the last base's folder
        shutil.copytree(tmp_path / folder, base / folder)
        shutil.copytree(tmp_path / folder, first / folder)
    built = kustomize_build(first, *FLAGS_KRM, env=_env())
    key = ("Deployment", "openshift-migration/migration-operator")
    assert _texts(built)[key] == static[key], "the Deployment must equal the generated overlay's"
    assert "@sha256:" in static[key], "the oracle rewrites the image by digest"
    second = _kustomization(tmp_path / "krm2", ["../krm"], ["fn.yaml"], config)
    assert kustomize_build(second, *FLAGS_KRM, env=_env()) == built, "a second pass must change nothing"


def test_kustomize_krm_missing_firewall_fails_naming_it(tree: Path) -> None:
    config = _fn_config("ovn", inline=True, missing=True)
    folder = _kustomization(tree / "krm", ["../base"], ["fn.yaml"], config)
    with pytest.raises(ToolError) as failure:
        kustomize_build(folder, *FLAGS_KRM, env=_env())
    message = str(failure.value)
    assert "no EgressFirewall shop/default" in message
    assert "payments/default" in message, "the error names what the items hold"
    _no_secret(message)


# --------------------------------------------------------------------------- legacy exec plugin


@pytest.fixture
def plugin_home(tmp_path: Path) -> Path:
    home = tmp_path / "plugin-home"
    assert run(["kustomize-plugin", "install", str(home)]) == 0
    plugin = home / "mtc-policygen.io" / "v1alpha1" / "clusterpair" / "ClusterPair"
    assert os.access(plugin, os.X_OK)
    assert "generator.runtimes.legacy" in plugin.read_text(encoding="utf-8"), "a launcher, not a copy of the code"
    return home


@pytest.mark.parametrize("pair", PAIR_IDS)
@pytest.mark.parametrize("tool", [pytest.param("kubectl", id="kubectl-v5"), pytest.param("kustomize", id="v4.5.4")])
def test_legacy_plugin_transformer_equals_static_overlay(
    tree: Path, oracle: Oracle, plugin_home: Path, pair: str, tool: str
) -> None:
    build = kubectl_kustomize if tool == "kubectl" else kustomize_build
    env = {**_env(), "KUSTOMIZE_PLUGIN_HOME": str(plugin_home)}
    static, base_alone = oracle(pair, tool), oracle("", tool)
    # The legacy plugin runs in the kustomization folder in v4 and v5: the spec file is found from there.
    first = _kustomization(tree / "legacy", ["../base"], ["fn.yaml"], _fn_config(pair, inline=False, legacy=True))
    built = build(first, "--enable-alpha-plugins", env=env)
    _check_against_static(built, static, base_alone, pair)
    second = _kustomization(tree / "legacy2", ["../legacy"], ["fn.yaml"], _fn_config(pair, inline=False, legacy=True))
    assert build(second, "--enable-alpha-plugins", env=env) == built, "a second pass must add nothing"


def test_legacy_plugin_as_generator_equals_render(
    tree: Path, plugin_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**_env(), "KUSTOMIZE_PLUGIN_HOME": str(plugin_home)}
    spec = _with_rules(_spec_text("sdn", base=False))
    (tree / "spec-sdn.yaml").write_text(spec, encoding="utf-8")
    folder = tree / "gen"
    folder.mkdir()
    (folder / "fn.yaml").write_text(_fn_config("sdn", inline=False, legacy=True), encoding="utf-8")
    (folder / "kustomization.yaml").write_text("generators: [fn.yaml]\n", encoding="utf-8")
    built = _docs(kubectl_kustomize(folder, "--enable-alpha-plugins", env=env))
    capsys.readouterr()
    assert run(["render", str(tree / "spec-sdn.yaml"), "--cluster", "src"]) == 0
    assert _comparable(built) == _comparable(_docs(capsys.readouterr().out))


def test_legacy_plugin_missing_firewall_fails_on_stderr(tree: Path, plugin_home: Path) -> None:
    env = {**_env(), "KUSTOMIZE_PLUGIN_HOME": str(plugin_home)}
    config = _fn_config("ovn", inline=True, legacy=True, missing=True)
    folder = _kustomization(tree / "legacy", ["../base"], ["fn.yaml"], config)
    with pytest.raises(ToolError) as failure:
        kubectl_kustomize(folder, "--enable-alpha-plugins", env=env)
    message = str(failure.value)
    assert "no EgressFirewall shop/default" in message
    assert "payments/default" in message
    _no_secret(message)
    # The problem points into the user's fn.yaml (found through the kustomization), not kustomize's temp copy.
    assert "fn.yaml:" in message


def test_kubectl_silently_skips_a_krm_function(tree: Path) -> None:
    """The trap of docs/kustomize-legacy-plugin.md: exit 0, the function never runs, nothing patched."""
    folder = _kustomization(tree / "krm", ["../base"], ["fn.yaml"], _fn_config("ovn", inline=True))
    built = kubectl_kustomize(folder, "--enable-alpha-plugins", env=_env())
    assert built == kubectl_kustomize(tree / "base")


# --------------------------------------------------------------------------- kpt


def _kpt() -> str:
    kpt = shutil.which("kpt")
    if kpt is None:
        pytest.skip("kpt is not installed")
    return kpt


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env={**os.environ, **_env()}, capture_output=True, text=True, timeout=120, check=False
    )


def _package(tree: Path, name: str = "pkg") -> Path:
    package = tree / name
    package.mkdir()
    for file, text in BASE.items():
        if file != "kustomization.yaml":
            (package / file).write_text(text, encoding="utf-8")
    return package


def _snapshot(package: Path) -> dict[str, str]:
    return {p.relative_to(package).as_posix(): p.read_text(encoding="utf-8") for p in sorted(package.rglob("*.yaml"))}


UNRELATED = {_key(d) for d in yaml.safe_load_all(BASE["unrelated.yaml"])}


def _package_objects(package: Path) -> list[Obj]:
    """The package's objects but the function config and the unrelated ones (checked byte for byte instead:
    kustomize's own build re-types their YAML 1.1 scalars, so it is no oracle for them)."""
    docs = [d for text in _snapshot(package).values() for d in _docs(text)]
    return [d for d in docs if d.get("kind") not in ("ClusterPair", "Kptfile") and _key(d) not in UNRELATED]


def _without_unrelated(objs: list[Obj]) -> list[Obj]:
    return [o for o in objs if _key(o) not in UNRELATED]


@pytest.mark.parametrize("pair", PAIR_IDS)
def test_kpt_fn_eval_transformer(tree: Path, oracle: Oracle, pair: str) -> None:
    kpt = _kpt()
    static = _without_unrelated(_docs(oracle(pair, "kustomize")))
    package = _package(tree)
    (tree / "fn.yaml").write_text(_fn_config(pair, inline=False).replace("../spec-", "spec-"), encoding="utf-8")
    argv = [kpt, "fn", "eval", str(package), "--exec", "mtc-policygen-krm", "--fn-config", "fn.yaml"]
    proc = _run(argv, tree)  # kpt eval: the spec file is relative to kpt's working folder
    assert proc.returncode == 0, proc.stderr
    assert _comparable(_package_objects(package)) == _comparable(static)
    after_first = _snapshot(package)
    assert after_first["unrelated.yaml"] == BASE["unrelated.yaml"], "an unrelated file changed"
    proc = _run(argv, tree)
    assert proc.returncode == 0, proc.stderr
    assert _snapshot(package) == after_first, "a second pass must change nothing"
    assert PASSWORD not in proc.stdout + proc.stderr


def _kptfile(package: Path, config: str) -> None:
    (package / "fn.yaml").write_text(config, encoding="utf-8")
    kptfile = {
        "apiVersion": "kpt.dev/v1",
        "kind": "Kptfile",
        "metadata": {"name": package.name},
        "pipeline": {"mutators": [{"exec": "mtc-policygen-krm", "configPath": "fn.yaml"}]},
    }
    (package / "Kptfile").write_text(yaml.safe_dump(kptfile, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize("pair", PAIR_IDS)
def test_kpt_fn_render_transformer(tree: Path, oracle: Oracle, pair: str) -> None:
    kpt = _kpt()
    static = _without_unrelated(_docs(oracle(pair, "kustomize")))
    package = _package(tree)
    _kptfile(package, _fn_config(pair, inline=False))  # kpt render: the spec file is relative to the package
    argv = [kpt, "fn", "render", str(package), "--allow-exec"]
    proc = _run(argv, tree.parent)  # any working folder: render names the package on the config
    assert proc.returncode == 0, proc.stderr
    objects = _package_objects(package)
    assert _comparable(objects) == _comparable(static)
    after_first = _snapshot(package)
    assert after_first["unrelated.yaml"] == BASE["unrelated.yaml"], "an unrelated file changed"
    proc = _run(argv, tree.parent)
    assert proc.returncode == 0, proc.stderr
    assert _snapshot(package) == after_first, "a second pass must change nothing"


def test_kpt_fn_render_generator_into_an_empty_package(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kpt = _kpt()
    package = tree / "pkg"
    package.mkdir()
    spec = _with_rules(_spec_text("sdn", base=False))
    (tree / "spec-sdn.yaml").write_text(spec, encoding="utf-8")
    _kptfile(package, _fn_config("sdn", inline=False))
    proc = _run([kpt, "fn", "render", str(package), "--allow-exec"], tree)
    assert proc.returncode == 0, proc.stderr
    objects = _package_objects(package)
    capsys.readouterr()
    assert run(["render", str(tree / "spec-sdn.yaml"), "--cluster", "src"]) == 0
    assert _comparable(objects) == _comparable(_docs(capsys.readouterr().out))


def test_kpt_missing_firewall_fails_and_keeps_the_package(tree: Path) -> None:
    kpt = _kpt()
    package = _package(tree)
    _kptfile(package, _fn_config("ovn", inline=True, missing=True))
    before = _snapshot(package)
    proc = _run([kpt, "fn", "render", str(package), "--allow-exec", "--results-dir", str(tree / "results")], tree)
    assert proc.returncode != 0
    shown = proc.stdout + proc.stderr
    assert "no EgressFirewall shop/default" in shown
    assert "payments/default" in shown
    assert _snapshot(package) == before, "a failed function must leave the package as it was"
    results = (tree / "results" / "results.yaml").read_text(encoding="utf-8")
    assert "path: spec.namespaces[1].egressFirewall" in results, "results carry the field path"
    # kpt render names the config file: the problem points into the user's pkg/fn.yaml, at shop's declaration.
    lines = (package / "fn.yaml").read_text(encoding="utf-8").splitlines()
    shop = next(i for i, line in enumerate(lines) if "source: shop" in line)
    declaration = next(i for i in range(shop, len(lines)) if "egressFirewall:" in lines[i])
    assert f"pkg/fn.yaml:{declaration + 2}:" in shown, "the position of egressFirewall's value in the user's file"
    for text in (shown, results):
        _no_secret(text)
