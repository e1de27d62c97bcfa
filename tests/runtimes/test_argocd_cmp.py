"""The Argo CD plugin run as argocd-cmp-server runs it: plugin.yaml, discovery, parameters, output, failure.

Test design notes:
- The harness (tests/oracles/argocd_cmp.py) reads the committed plugin.yaml and execs its commands exactly as
  the CMP server does: argv without a shell, stdin /dev/null, cwd the app folder inside a fresh copy of a
  fixture repo whose files are 0644 (exec bits lost), the environment the sidecar's own (PATH with the
  installed console script, a HOME nothing can be written to) plus the request entries built from an
  Application's source (ARGOCD_APP_*, KUBE_*, ARGOCD_ENV_* envsubst-ed, ARGOCD_APP_PARAMETERS, PARAM_*).
  Nothing is mocked.
- Output is parsed as Argo CD parses it and compared with `mtc-policygen render` for the same cluster, so the
  plugin and the CLI cannot drift apart. Every run checks the plugin's hard rule: exit 0 implies objects.
- Failures check the two things the Argo CD UI shows: a non-zero exit with EMPTY stdout, and a stderr that
  points at the spec (file:line:col) and never holds the proxy password.
- Discovery is checked on folders that must match (any file name, quoted kind) and folders that must not
  (KRM function config, a kustomization folder, another app, an empty folder, hidden or upper-case file
  names), and against the Python finder
  that argocd-generate uses, so the two cannot disagree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.mtc.network import detected_network_type
from generator.problems import ProblemsError
from generator.runtimes import argocd
from tests.conftest import EXAMPLES, REPO
from tests.oracles.argocd_cmp import (
    CmpServer,
    Request,
    discover,
    load_plugin,
    parse_manifests,
    plugin_name,
    request_env,
)
from tests.oracles.tools import kustomize_build

PASSWORD = "s3cr:t/p@ss w%rd"  # reserved characters: the URL must carry it encoded
OVN_APIS = ("v1", "apps/v1", "k8s.ovn.org/v1", "networking.k8s.io/v1", "network.openshift.io/v1")
SDN_APIS_WITH_KINDS = (
    "v1",
    "v1/Namespace",
    "network.openshift.io/v1",
    "network.openshift.io/v1/EgressNetworkPolicy",
    "network.openshift.io/v1/HostSubnet",
)

OPEN_NETWORK = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: open-network
spec:
  source:
    name: ocp412-src
    openshiftVersion: "4.12"
  target:
    name: ocp414-dst
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  namespaces:
    - source: shop
      target: shop
      egressFirewall:
        name: default
        rules:
          - type: Deny
            to: {cidrSelector: 0.0.0.0/0}
"""

NO_POLICIES = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: no-policies
spec:
  source:
    name: ocp414-a
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
  target:
    name: ocp414-b
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
  networkPolicy:
    mode: none
  namespaces: [shop]
"""

FUNCTION_CONFIG = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: ocp311-to-ocp412
  annotations:
    mtc-policygen.io/cluster: ocp311
    mtc-policygen.io/spec-file: ../../pairs/classic/clusterpair.yaml
    config.kubernetes.io/function: |
      exec:
        path: mtc-policygen-krm
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec: {}
"""


MARKER = "root:*:20228:0:99999:7:::marker-of-a-sidecar-file"


def _with_ca(text: str, file: str) -> str:
    """The spec with a CA bundle file for the target cluster."""
    return text.replace("  target:\n    name: ocp412\n", f"  target:\n    name: ocp412\n    caBundleFile: {file}\n", 1)


def _spec(text: str, **replace: str) -> str:
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def secret_mount(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sidecar's Secret mount, outside the repository: readable only through MTC_POLICYGEN_SECRET_DIRS."""
    secret_dir = tmp_path_factory.mktemp("secret-mount")
    (secret_dir / "password").write_text(PASSWORD + "\n")
    return secret_dir


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files of the sidecar that no spec may reach: a shadow-like marker and a FIFO that would block a reader."""
    folder = tmp_path_factory.mktemp("sidecar-files")
    (folder / "shadow").write_text(MARKER + "\n")
    os.mkfifo(folder / "pipe")
    return folder


@pytest.fixture(scope="module")
def repo_src(tmp_path_factory: pytest.TempPathFactory, secret_mount: Path, outside: Path) -> Path:
    """A GitOps repo as a user would have it: pair folders, a kustomize-route folder, an unrelated app."""
    root = tmp_path_factory.mktemp("gitops")
    secret_dir = secret_mount
    classic = (EXAMPLES / "ocp311-to-ocp412.yaml").read_text()
    render_time = (EXAMPLES / "render-time" / "ocp311-to-ocp412.yaml").read_text()
    files = {
        "pairs/classic/clusterpair.yaml": classic,
        "pairs/nodeport/any-name.yml": (EXAMPLES / "ovn-nodeport-strict.yaml").read_text(),
        "pairs/open-network/clusterpair.yaml": OPEN_NETWORK,
        "pairs/secret-env/clusterpair.yaml": render_time,
        "pairs/secret-file/clusterpair.yaml": render_time.replace(
            "{env: DVM_PROXY_PASSWORD}", "{file: " + str(secret_dir / "password") + "}"
        ),
        "pairs/exfil/clusterpair.yaml": render_time.replace(
            "{env: DVM_PROXY_PASSWORD}", "{file: " + str(outside / "shadow") + "}"
        ),
        "pairs/exfil-fifo/clusterpair.yaml": render_time.replace(
            "{env: DVM_PROXY_PASSWORD}", "{file: " + str(outside / "pipe") + "}"
        ),
        "pairs/exfil-ca/clusterpair.yaml": _with_ca(classic, str(outside / "pipe")),
        "pairs/no-policies/clusterpair.yaml": NO_POLICIES,
        "pairs/quoted/clusterpair.yaml": _spec(OPEN_NETWORK, **{"kind: ClusterPair": 'kind: "ClusterPair"'}),
        "pairs/two/a.yaml": classic,
        "pairs/two/b.yaml": (EXAMPLES / "ovn-nodeport-strict.yaml").read_text(),
        "pairs/broken/clusterpair.yaml": classic.replace("rsyncEndpointType:", "rsyncEndpointTyp:"),
        "pairs/with-base/firewall-in-base.yaml": (EXAMPLES / "firewall-in-base.yaml").read_text(),
        "kustomize/ocp311/kustomization.yaml": "generators: [fn.yaml]\n",
        "kustomize/ocp311/fn.yaml": FUNCTION_CONFIG,
        "fn-only/fn.yaml": FUNCTION_CONFIG,
        "apps/web/deployment.yaml": DEPLOYMENT,
        "hidden/.clusterpair.yaml": classic,
        "upper/CLUSTERPAIR.YAML": classic,
        "apps/web/notes.yaml": "kind: ClusterPair  # mentioned, but not our apiVersion\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    shutil.copytree(EXAMPLES / "clusters", root / "pairs" / "with-base" / "clusters")
    # The same base, but its kustomization sets a namespace: kustomize's job, which the plugin refuses to guess.
    patched = root / "pairs" / "base-not-plain"
    shutil.copytree(root / "pairs" / "with-base", patched)
    kustomization = patched / "clusters" / "ocp413-dc1" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "commonLabels: {team: storage}\n")
    (root / "empty").mkdir()
    (root / "plugin.yaml").write_bytes((REPO / "plugin.yaml").read_bytes())
    (root / "pairs/classic/clusterpair.yaml").chmod(0o755)  # committed +x: the copy must lose it
    return root


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory: pytest.TempPathFactory, secret_mount: Path) -> dict[str, str]:
    """The sidecar container's own environment: the installed CLI on PATH, an unwritable HOME, its own /tmp.

    The sidecar's HOME is on a read-only root filesystem. Tests may run as root, for whom a 0555 folder is
    writable, so HOME is a path below a regular file: nothing can be created there, not even by root.
    """
    blocker = tmp_path_factory.mktemp("home") / "not-a-folder"
    blocker.write_text("")
    home = blocker / "argocd"
    with pytest.raises(OSError):  # noqa: PT011 - ENOTDIR, whoever runs the tests
        (home / ".cache").mkdir(parents=True)
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(tmp_path_factory.mktemp("tmp")),
        "LANG": "C.UTF-8",
        "DVM_PROXY_PASSWORD": PASSWORD,
        "MTC_POLICYGEN_SECRET_DIRS": str(secret_mount),  # as the shipped sidecar manifests set it
    }


@pytest.fixture(scope="module")
def plugin() -> dict[str, Any]:
    return load_plugin(REPO / "plugin.yaml")


@pytest.fixture
def cmp(plugin: dict[str, Any], repo_src: Path, sidecar: dict[str, str], tmp_path: Path) -> CmpServer:
    """The server the Applications of these tests are sent to; `run` checks exit 0 always carries objects."""
    return CmpServer(plugin, repo_src, tmp_path, sidecar)


def _params(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "string": v} for k, v in values.items()]


def _render(spec: Path, cluster: str, env: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    cli = Path(sys.executable).parent / "mtc-policygen"
    proc = subprocess.run(
        [str(cli), "render", str(spec), "--cluster", cluster],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return list(yaml.safe_load_all(proc.stdout))


def _kinds(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    return [o["kind"] for o in objects]


# --- plugin.yaml ----------------------------------------------------------------------------------------


def test_plugin_yaml_is_what_applications_and_appset_name(plugin: dict[str, Any]) -> None:
    assert plugin["apiVersion"] == "argoproj.io/v1alpha1"
    assert plugin_name(plugin) == argocd.PLUGIN_NAME == "mtc-policygen-v1"
    assert plugin["spec"]["generate"]["command"] == ["mtc-policygen", "argocd-generate"]
    rules = plugin["spec"]["discover"]
    assert list(rules) == ["find"], "exactly one discovery mechanism: the find command"
    static = {p["name"]: p for p in plugin["spec"]["parameters"]["static"]}
    assert static["cluster"]["required"] is True
    assert static["mode"]["string"] == argocd.Mode.ALL.value
    allowed = {"name", "title", "tooltip", "required", "itemType", "collectionType", "string", "array", "map"}
    for entry in static.values():
        assert set(entry) <= allowed, f"not a ParameterAnnouncement field: {set(entry) - allowed}"


# --- discovery ------------------------------------------------------------------------------------------

DISCOVERY = [
    pytest.param("pairs/classic", True, id="spec"),
    pytest.param("pairs/nodeport", True, id="any-file-name-yml"),
    pytest.param("pairs/quoted", True, id="quoted-kind"),
    pytest.param("pairs/two", True, id="two-specs"),
    pytest.param("pairs/broken", True, id="broken-spec-still-ours"),
    pytest.param("kustomize/ocp311", False, id="kustomize-route-folder"),
    pytest.param("fn-only", False, id="krm-function-config"),
    pytest.param("apps/web", False, id="other-app"),
    pytest.param("empty", False, id="empty-folder"),
    pytest.param("hidden", False, id="hidden-file"),
    pytest.param("upper", False, id="upper-case-suffix"),
    pytest.param(".", False, id="repo-root"),
]


@pytest.mark.parametrize(("app_path", "matches"), DISCOVERY)
def test_discovery_matches_only_clusterpair_folders(cmp: CmpServer, app_path: str, matches: bool) -> None:
    copy = cmp.copy()
    env = {**cmp.sidecar, **request_env(Request(app_path, has_plugin_block=False))}
    assert discover(cmp.plugin, copy / app_path, env) is matches
    assert bool(argocd.discover(copy / app_path)) is matches, "argocd-generate must find what discovery found"


def test_discovery_without_grep_finds_nothing_and_never_fails(cmp: CmpServer, tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "sh").symlink_to(shutil.which("sh") or "/bin/sh")
    copy = cmp.copy()
    env = {"PATH": str(bare), **request_env(Request("pairs/classic"))}
    assert discover(cmp.plugin, copy / "pairs/classic", env) is False


def test_repo_copy_has_no_exec_bits(cmp: CmpServer) -> None:
    copy = cmp.copy()
    assert (cmp.repo_src / "pairs/classic/clusterpair.yaml").stat().st_mode & 0o111
    assert not (copy / "pairs/classic/clusterpair.yaml").stat().st_mode & 0o111


# --- generate: output -----------------------------------------------------------------------------------

GENERATE = [
    pytest.param("pairs/classic", "ocp311", "classic/clusterpair.yaml", id="classic-source"),
    pytest.param("pairs/classic", "ocp412", "classic/clusterpair.yaml", id="classic-target"),
    pytest.param("pairs/nodeport", "ocp414-east", "nodeport/any-name.yml", id="nodeport-source"),
    pytest.param("pairs/nodeport", "ocp416-west", "nodeport/any-name.yml", id="nodeport-target"),
]


@pytest.mark.parametrize(("app_path", "cluster", "spec"), GENERATE)
def test_output_is_what_render_prints_for_that_cluster(
    cmp: CmpServer,
    app_path: str,
    cluster: str,
    spec: str,
) -> None:
    result = cmp.run(Request(app_path, parameters=_params(cluster=cluster)))
    assert result.returncode == 0, result.stderr
    objects = parse_manifests(result.stdout)
    assert objects == _render(cmp.repo_src / "pairs" / spec, cluster)
    for obj in objects:
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "mtc-policygen"
        annotations = obj["metadata"].get("annotations") or {}
        assert "config.kubernetes.io/local-config" not in annotations
        assert obj["kind"] != "ResourceList"


def test_migrationcontroller_is_never_pruned_or_deleted(cmp: CmpServer) -> None:
    result = cmp.run(Request("pairs/classic", parameters=_params(cluster="ocp412")))
    controller = next(o for o in parse_manifests(result.stdout) if o["kind"] == "MigrationController")
    options = controller["metadata"]["annotations"]["argocd.argoproj.io/sync-options"].split(",")
    assert {"Prune=false", "Delete=false", "ServerSideApply=true"} <= set(options)


def test_a_cluster_with_a_base_gives_what_kustomize_builds_from_the_overlay(cmp: CmpServer, tmp_path: Path) -> None:
    """The Application owns the base's objects too: exactly `kustomize build` of the generated overlay."""
    result = cmp.run(Request("pairs/with-base", parameters=_params(cluster="ocp413-dc1")))
    assert result.returncode == 0, result.stderr
    overlays = tmp_path / "overlays"
    subprocess.run(
        [str(Path(sys.executable).parent / "mtc-policygen"), "generate", "pairs/with-base", "-o", str(overlays)],
        cwd=cmp.repo_src,
        capture_output=True,
        check=True,
    )
    built = [o for o in yaml.safe_load_all(kustomize_build(overlays / "firewall-in-base" / "ocp413-dc1")) if o]

    def key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
        return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    plugin = parse_manifests(result.stdout)
    assert sorted(plugin, key=key) == sorted(built, key=key)
    assert {o["kind"] for o in plugin} == {"MigrationController", "EgressFirewall", "NetworkPolicy"}
    firewall = next(o for o in plugin if o["kind"] == "EgressFirewall")
    assert firewall["spec"]["egress"][-1]["type"] == "Deny", "the base's rules stay, after the DVM Allow rules"


# --- generate: parameters -------------------------------------------------------------------------------

PARAMETERS = [
    pytest.param(Request("pairs/classic", parameters=_params(cluster="ocp311")), "ocp311", id="parameter"),
    pytest.param(
        Request("pairs/classic", parameters=None, plugin_env=[("CLUSTER", "ocp412")]), "ocp412", id="env-params-null"
    ),
    pytest.param(
        Request("pairs/classic", parameters=[], plugin_env=[("CLUSTER", "ocp412")]), "ocp412", id="env-params-empty"
    ),
    pytest.param(
        Request("pairs/classic", has_plugin_block=False, plugin_env=[("CLUSTER", "ocp311")]),
        "ocp311",
        id="env-no-plugin-block",
    ),
    pytest.param(
        Request("pairs/classic", plugin_env=[("CLUSTER", "ocp$${X}"), ("X", "311")]), None, id="env-dollar-escape"
    ),
    pytest.param(
        Request("pairs/classic", parameters=_params(cluster="ocp311"), plugin_env=[("CLUSTER", "ocp412")]),
        "ocp311",
        id="parameter-wins-over-env",
    ),
    pytest.param(
        Request(
            "pairs/classic",
            app_name="mtc-ocp311-to-ocp412-ocp311",
            plugin_env=[("CLUSTER", "${ARGOCD_APP_NAME}")],
        ),
        None,
        id="env-envsubst-app-name-not-a-cluster",
    ),
    pytest.param(
        Request("pairs/two", parameters=_params(cluster="ocp416-west", spec="b.yaml")), "ocp416-west", id="spec-param"
    ),
]


@pytest.mark.parametrize(("req", "cluster"), PARAMETERS)
def test_cluster_comes_from_parameters_or_plugin_env(
    cmp: CmpServer,
    req: Request,
    cluster: str | None,
) -> None:
    result = cmp.run(req)
    if cluster is None:
        assert result.returncode != 0
        assert result.stdout == ""
        assert "is not a cluster of pair" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    objects = parse_manifests(result.stdout)
    spec = "two/b.yaml" if req.app_path == "pairs/two" else "classic/clusterpair.yaml"
    assert objects == _render(cmp.repo_src / "pairs" / spec, cluster)


MODES = [
    pytest.param("all", {"MigrationController", "NetworkPolicy", "EgressFirewall"}, id="all"),
    pytest.param("policies", {"NetworkPolicy", "EgressFirewall"}, id="policies"),
    pytest.param("controller", {"MigrationController"}, id="controller"),
]


@pytest.mark.parametrize(("mode", "kinds"), MODES)
def test_mode_selects_the_objects_the_application_owns(cmp: CmpServer, mode: str, kinds: set[str]) -> None:
    req = Request("pairs/nodeport", parameters=_params(cluster="ocp414-east", mode=mode))
    result = cmp.run(req)
    assert result.returncode == 0, result.stderr
    assert set(_kinds(parse_manifests(result.stdout))) == kinds


def test_policies_with_nothing_open_is_an_empty_stream_said_in_a_comment(cmp: CmpServer) -> None:
    """The openings Application owns nothing when no opening applies: Argo CD then prunes what it made (spec §9)."""
    req = Request("pairs/no-policies", parameters=_params(cluster="ocp414-b", mode="policies"))
    result = cmp.run(req, allow_empty=True)
    assert result.returncode == 0, result.stderr
    assert parse_manifests(result.stdout) == []
    assert result.stdout.startswith("# mtc-policygen: no DVM opening")
    assert "argocd-no-openings" in result.stderr


@pytest.mark.parametrize(("cluster", "opened"), [("ocp311", False), ("ocp412", True)])
def test_install_objects_belong_to_the_controller_application(tmp_path: Path, cluster: str, opened: bool) -> None:
    """Mode `controller` is everything but the openings (operator, registrations, base objects), and never prunes
    them (per-resource annotations); mode `policies` is only our NetworkPolicies and the declared firewalls."""
    from generator.runtimes.argocd import generate  # noqa: PLC0415

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(EXAMPLES / "install-restricted-network.yaml", app)
    for folder in ("clusters", "mirror", "ca"):
        shutil.copytree(EXAMPLES / folder, app / folder)
    everything = generate(app, {"PARAM_CLUSTER": cluster}).objects
    controller = generate(app, {"PARAM_CLUSTER": cluster, "PARAM_MODE": "controller"}).objects
    policies = generate(app, {"PARAM_CLUSTER": cluster, "PARAM_MODE": "policies"}).objects
    assert len(controller) + len(policies) == len(everything)
    assert {o["kind"] for o in policies} <= {"NetworkPolicy", "EgressFirewall", "EgressNetworkPolicy"}
    assert bool(policies) is opened  # 3.11 enforces no egress policy and this example declares no firewall
    assert {"MigrationController"} < {o["kind"] for o in controller}
    for obj in controller:
        options = obj["metadata"]["annotations"]["argocd.argoproj.io/sync-options"].split(",")
        assert {"Prune=false", "Delete=false"} <= set(options), obj["kind"]


# --- generate: the firewall kind from KUBE_API_VERSIONS -------------------------------------------------

API_VERSIONS = [
    pytest.param(OVN_APIS, "EgressFirewall", "k8s.ovn.org/v1", id="ovn-group"),
    pytest.param(SDN_APIS_WITH_KINDS, "EgressNetworkPolicy", "network.openshift.io/v1", id="sdn-kind-entries"),
    pytest.param(
        ("k8s.ovn.org/v1", "k8s.ovn.org/v1/EgressFirewall", "network.openshift.io/v1/EgressNetworkPolicy"),
        "EgressFirewall",
        "k8s.ovn.org/v1",
        id="migration-both-ovn-wins",
    ),
]


@pytest.mark.parametrize(("apis", "kind", "api_version"), API_VERSIONS)
def test_firewall_kind_follows_the_cluster_when_the_spec_leaves_it_open(
    cmp: CmpServer,
    apis: tuple[str, ...],
    kind: str,
    api_version: str,
) -> None:
    req = Request("pairs/open-network", api_versions=apis, parameters=_params(cluster="ocp412-src"))
    result = cmp.run(req)
    assert result.returncode == 0, result.stderr
    firewalls = [o for o in parse_manifests(result.stdout) if o["kind"] in ("EgressFirewall", "EgressNetworkPolicy")]
    assert [(f["apiVersion"], f["kind"]) for f in firewalls] == [(api_version, kind)]
    assert firewalls[0]["spec"]["egress"][-1] == {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}
    assert firewalls[0]["spec"]["egress"][0]["type"] == "Allow"


def test_firewall_kind_unknown_is_an_error_on_the_source(cmp: CmpServer) -> None:
    req = Request("pairs/open-network", api_versions=("v1", "apps/v1"), parameters=_params(cluster="ocp412-src"))
    result = cmp.run(req)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "pairs/open-network/clusterpair.yaml:7:5: error: spec.source.networkType:" in result.stderr
    assert "KUBE_API_VERSIONS lists neither k8s.ovn.org/v1" in result.stderr


def test_the_target_application_does_not_need_the_source_network_plugin(cmp: CmpServer) -> None:
    req = Request("pairs/open-network", api_versions=OVN_APIS, parameters=_params(cluster="ocp414-dst"))
    result = cmp.run(req)
    assert result.returncode == 0, result.stderr
    assert set(_kinds(parse_manifests(result.stdout))) == {"MigrationController", "NetworkPolicy"}


# --- render-time secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize("app_path", ["pairs/secret-env", "pairs/secret-file"])
def test_proxy_password_is_read_at_render_time_and_url_encoded(cmp: CmpServer, app_path: str) -> None:
    result = cmp.run(Request(app_path, parameters=_params(cluster="ocp412")))
    assert result.returncode == 0, result.stderr
    controller = next(o for o in parse_manifests(result.stdout) if o["kind"] == "MigrationController")
    encoded = "s3cr%3At%2Fp%40ss%20w%25rd"
    assert controller["spec"]["stunnel_tcp_proxy"] == f"http://dvm:{encoded}@proxy.example.com:3128"
    assert PASSWORD not in result.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("app_path", "field"),
    [
        ("pairs/exfil", "spec.dvm.stunnelTCPProxy.passwordFrom.file"),
        ("pairs/exfil-fifo", "spec.dvm.stunnelTCPProxy.passwordFrom.file"),
        ("pairs/exfil-ca", "spec.target.caBundleFile"),
    ],
)
def test_a_file_outside_the_repository_is_never_read(cmp: CmpServer, outside: Path, app_path: str, field: str) -> None:
    """A repository author cannot send the sidecar's files out (as proxy credentials, or a CA bundle): a path
    outside the repository copy and the allowed secret folders is an error; the FIFO would hang a reader."""
    result = cmp.run(Request(app_path, parameters=_params(cluster="ocp412")))
    assert (result.returncode, result.stdout) == (1, "")
    line = next(ln for ln in result.stderr.splitlines() if "outside" in ln)
    assert f"{field}: " in line
    assert "so it is not read" in line
    assert MARKER not in result.stderr


def test_missing_password_fails_without_output(cmp: CmpServer) -> None:
    req = Request("pairs/secret-env", parameters=_params(cluster="ocp412"))
    result = cmp.run(req, drop=["DVM_PROXY_PASSWORD"])
    assert (result.returncode, result.stdout) == (1, "")
    assert "DVM_PROXY_PASSWORD is not set" in result.stderr
    assert "pairs/secret-env/clusterpair.yaml:" in result.stderr


# --- failures: non-zero, empty stdout, a message for the Argo CD UI -------------------------------------

FAILURES = [
    pytest.param(
        Request("pairs/broken", parameters=_params(cluster="ocp311")),
        "pairs/broken/clusterpair.yaml:",
        id="broken-spec",
    ),
    pytest.param(Request("pairs/classic", parameters=None), "no cluster given", id="no-cluster-null-params"),
    pytest.param(Request("pairs/classic", parameters=[]), "no cluster given", id="no-cluster-empty-params"),
    pytest.param(
        Request("pairs/classic", parameters=[{"name": "cluster", "array": ["ocp311"]}]),
        "must be a string",
        id="cluster-as-array",
    ),
    pytest.param(
        Request("pairs/classic", parameters=_params(cluster="nope")), "is not a cluster of pair", id="unknown-cluster"
    ),
    pytest.param(
        Request("pairs/classic", parameters=_params(cluster="ocp311", mode="strict")),
        "is not one of all, policies, controller",
        id="bad-mode",
    ),
    pytest.param(Request("pairs/two", parameters=_params(cluster="ocp311")), "several ClusterPair specs", id="two"),
    pytest.param(
        Request("pairs/two", parameters=_params(cluster="ocp311", spec="../classic/clusterpair.yaml")),
        "must be a file name",
        id="spec-outside-folder",
    ),
    pytest.param(
        Request("pairs/base-not-plain", parameters=_params(cluster="ocp413-dc1")),
        "cannot build this base exactly: kustomization.yaml uses `commonLabels`",
        id="base-not-plain",
    ),
]


@pytest.mark.parametrize(("req", "message"), FAILURES)
def test_failure_exits_non_zero_with_empty_stdout(cmp: CmpServer, req: Request, message: str) -> None:
    result = cmp.run(req)
    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr


def test_spec_network_type_wins_and_a_contradiction_is_logged(cmp: CmpServer) -> None:
    req = Request("pairs/classic", api_versions=OVN_APIS, parameters=_params(cluster="ocp311"))
    result = cmp.run(req)
    assert result.returncode == 0, result.stderr
    assert "warning: spec.source.networkType: the spec says OpenShiftSDN" in result.stderr
    kinds = {o["kind"] for o in parse_manifests(result.stdout)}
    assert "EgressFirewall" not in kinds


# --- the request, in-process ----------------------------------------------------------------------------

API_DETECTION = [
    pytest.param((), None, id="nothing"),
    pytest.param(("v1", "apps/v1"), None, id="no-firewall-api"),
    pytest.param(("k8s.ovn.org/v1",), "OVNKubernetes", id="ovn-group"),
    pytest.param(("network.openshift.io/v1",), "OpenShiftSDN", id="sdn-group"),
    pytest.param(("k8s.ovn.org/v1", "network.openshift.io/v1"), "OVNKubernetes", id="both-groups-ovn"),
    pytest.param(
        ("k8s.ovn.org/v1", "k8s.ovn.org/v1/EgressIP", "network.openshift.io/v1/EgressNetworkPolicy"),
        "OpenShiftSDN",
        id="kind-entry-decides",
    ),
]


@pytest.mark.parametrize(("apis", "expected"), API_DETECTION)
def test_network_type_from_api_versions(apis: tuple[str, ...], expected: str | None) -> None:
    detected = detected_network_type(apis)
    assert (detected.value if detected else None) == expected


REQUESTS = [
    pytest.param({"PARAM_CLUSTER": "a"}, ("a", "all", None), id="param"),
    pytest.param({"ARGOCD_APP_PARAMETERS": "null", "ARGOCD_ENV_CLUSTER": "b"}, ("b", "all", None), id="null"),
    pytest.param({"ARGOCD_APP_PARAMETERS": " [] ", "ARGOCD_ENV_CLUSTER": "b"}, ("b", "all", None), id="empty"),
    pytest.param(
        {"ARGOCD_APP_PARAMETERS": '[{"name":"cluster","string":"c"},{"name":"mode","string":"policies"}]'},
        ("c", "policies", None),
        id="json-only",
    ),
    pytest.param(
        {"ARGOCD_APP_PARAMETERS": '[{"name":"cluster","string":""}]', "ARGOCD_ENV_CLUSTER": "d"},
        ("d", "all", None),
        id="empty-string-falls-back",
    ),
    pytest.param(
        {"PARAM_CLUSTER": "a", "ARGOCD_ENV_SPEC": "x.yaml", "ARGOCD_ENV_MODE": "controller"},
        ("a", "controller", "x.yaml"),
        id="env-spec-mode",
    ),
]


@pytest.mark.parametrize(("environ", "expected"), REQUESTS)
def test_request_from_the_environment(environ: dict[str, str], expected: tuple[str, str, str | None]) -> None:
    req = argocd.parse_request(environ)
    assert (req.cluster, req.mode.value, req.spec) == expected


BAD_REQUESTS = [
    pytest.param({"ARGOCD_APP_PARAMETERS": "{not json"}, "is not JSON", id="not-json"),
    pytest.param({"ARGOCD_APP_PARAMETERS": '{"name":"cluster"}'}, "must be a JSON list", id="not-a-list"),
    pytest.param({"ARGOCD_APP_PARAMETERS": '[{"string":"a"}]'}, "needs a name", id="no-name"),
    pytest.param(
        {"ARGOCD_APP_PARAMETERS": '[{"name":"cluster","map":{"a":"b"}}]'}, "must be a string", id="map-cluster"
    ),
    pytest.param({"PARAM_CLUSTER": "a", "PARAM_SPEC": ".."}, "must be a file name", id="spec-dotdot"),
]


@pytest.mark.parametrize(("environ", "message"), BAD_REQUESTS)
def test_bad_request_is_a_problem_not_a_traceback(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ProblemsError) as info:
        argocd.parse_request(environ)
    assert message in info.value.problems[0].message


@pytest.mark.parametrize(
    ("at_render", "rendering", "asked"),
    [(False, None, True), (True, "ocp412-src", True), (True, "ocp414-dst", False), (True, None, False)],
)
def test_the_environment_decides_whether_the_firewall_kind_is_asked(
    tmp_path: Path, at_render: bool, rendering: str | None, asked: bool
) -> None:
    """The runtime's nature is an input of the check (no filter afterwards): Argo CD learns the source's kind
    when it renders the source, so only the source's Application (and the CLI) ask the spec for it."""
    from generator import pipeline  # noqa: PLC0415
    from generator.mtc.network import Environment  # noqa: PLC0415

    env = Environment(firewall_kind_at_render=at_render, rendering=rendering)
    checked = pipeline.check(pipeline.SpecText(OPEN_NETWORK, "spec.yaml", tmp_path), env)
    assert ("network-type-needed" in {p.rule for p in checked.problems}) is asked


def test_a_legacy_base_with_install_gets_the_mirror_rewrite(tmp_path: Path) -> None:
    """spec §8 through the plugin: the base's operator Deployment comes out on its mirror, as `generate` builds it
    (the base is merged by the KRM transformer's plan, not a second copy of it)."""
    from generator.runtimes.argocd import generate  # noqa: PLC0415

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(EXAMPLES / "install-restricted-network.yaml", app)
    for folder in ("clusters", "mirror", "ca"):
        shutil.copytree(EXAMPLES / folder, app / folder)
    objects = generate(app, {"PARAM_CLUSTER": "ocp311"}).objects
    deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "migration-operator")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert all("@sha256:" in c["image"] and c["image"].startswith("mirror.example.com") for c in containers)
    assert any(o["kind"] == "MigrationController" for o in objects)
