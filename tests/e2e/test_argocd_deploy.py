"""deploy/argocd: the sidecar Component and the kustomize-route Component, built onto an Argo CD install.

Test design notes:
- The Components are built by the real kustomize (v4.5.4, the oldest this project supports) onto a stand-in
  for Argo CD's own manifests: an argocd-repo-server Deployment with the volumes the upstream manifest has
  (var-files, plugins, tmp) and an argocd-cm ConfigMap holding a setting of its own. Every built object is
  checked offline with kubernetes-validate in strict mode (unknown fields fail).
- Then the facts of plugin contracts §1.8 and §1.11 are asserted on the built Deployment: the sidecar runs
  /var/run/argocd/argocd-cmp-server as non-root user 999, mounts var-files and plugins, gets plugin.yaml by
  subPath from the generated (hash-suffixed) ConfigMap, has its own /tmp emptyDir (not the repo-server's),
  and the proxy password from an optional Secret at the path the specs name; the repo-server container and
  the rest of argocd-cm are kept; argocd-cm gets the two kustomize flags.
- deploy/argocd/plugin.yaml must stay byte-identical to the repository's plugin.yaml (it is what the
  ConfigMap carries), and the Containerfile must install the built wheel and run as user 999.
- The OpenShift GitOps variant (deploy/argocd/openshift-gitops) is built by both kustomize v4.5.4 and
  `kubectl kustomize` (v5) onto a stand-in ArgoCD CR; the patch and the built CR's spec.repo are checked against
  tests/oracles/schemas/argocd-repo.json (the operator CRD's field names: spec.repo.sidecarContainers,
  spec.repo.volumes), with a negative case; the sidecar has no fixed UID, its own /tmp, the socket volumes, and
  the hash-suffixed ConfigMap name is written into the CR's volume.
- Every Containerfile's Python satisfies pyproject's requires-python (read from the base image tag, or from the
  build's version guard when the base is the Argo CD image) and installs the wheel `make test` builds.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tests.conftest import REPO
from tests.oracles.k8svalidate import K8S_VERSION
from tests.oracles.tools import kubectl_kustomize, kustomize_build

DEPLOY = REPO / "deploy" / "argocd"

ARGOCD_STANDIN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
        - name: argocd-repo-server
          image: argocd:stand-in
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
            - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
      volumes:
        - {name: tmp, emptyDir: {}}
        - {name: var-files, emptyDir: {}}
        - {name: plugins, emptyDir: {}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  url: https://argocd.example.com
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    root = tmp_path_factory.mktemp("argocd-install")
    shutil.copytree(DEPLOY, root / "mtc-policygen")
    (root / "install.yaml").write_text(ARGOCD_STANDIN)
    (root / "kustomization.yaml").write_text(
        "resources: [install.yaml]\ncomponents: [mtc-policygen, mtc-policygen/kustomize-route]\n"
    )
    objects = [o for o in yaml.safe_load_all(kustomize_build(root)) if o]
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def _pod(built: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    pod: dict[str, Any] = built[("Deployment", "argocd-repo-server")]["spec"]["template"]["spec"]
    return pod


def _container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in pod["containers"] if c["name"] == name)


def _volume(pod: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in pod["volumes"] if v["name"] == name)


def test_every_built_object_is_valid_kubernetes(built: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert {kind for kind, _ in built} == {"Deployment", "ConfigMap"}
    for obj in built.values():
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_sidecar_follows_the_cmp_contract(built: dict[tuple[str, str], dict[str, Any]]) -> None:
    pod = _pod(built)
    sidecar = _container(pod, "mtc-policygen")
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsNonRoot"] is True
    assert sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    config = mounts["/home/argocd/cmp-server/config/plugin.yaml"]
    assert config["subPath"] == "plugin.yaml"
    configmap_name = _volume(pod, config["name"])["configMap"]["name"]
    assert configmap_name.startswith("mtc-policygen-plugin-"), "the generated name carries the content hash"
    assert built[("ConfigMap", configmap_name)]["data"]["plugin.yaml"] == (REPO / "plugin.yaml").read_text()
    tmp = mounts["/tmp"]["name"]
    assert tmp != "tmp", "the sidecar must not share the repo-server's /tmp"
    assert _volume(pod, tmp)["emptyDir"] == {}
    password = _volume(pod, mounts["/etc/mtc-policygen"]["name"])["secret"]
    assert password["optional"] is True
    assert password["items"] == [{"key": "password", "path": "proxy-password"}]


def test_repo_server_keeps_its_own_mounts(built: dict[tuple[str, str], dict[str, Any]]) -> None:
    pod = _pod(built)
    repo_server = _container(pod, "argocd-repo-server")
    paths = {m["mountPath"]: m["name"] for m in repo_server["volumeMounts"]}
    assert paths["/tmp"] == "tmp"
    assert paths["/etc/mtc-policygen"] == "mtc-policygen-proxy-password"  # kustomize route: the KRM function
    assert [c["name"] for c in pod["containers"]] == ["argocd-repo-server", "mtc-policygen"]


def test_kustomize_route_sets_both_flags_and_keeps_argocd_cm(built: dict[tuple[str, str], dict[str, Any]]) -> None:
    data = built[("ConfigMap", "argocd-cm")]["data"]
    assert data["kustomize.buildOptions"].split() == ["--enable-alpha-plugins", "--enable-exec"]
    assert data["url"] == "https://argocd.example.com"


def test_deploy_plugin_yaml_is_the_repository_plugin_yaml() -> None:
    assert (DEPLOY / "plugin.yaml").read_bytes() == (REPO / "plugin.yaml").read_bytes()


@pytest.mark.parametrize(
    ("containerfile", "user"),
    [
        pytest.param(DEPLOY / "Containerfile", "USER 999:999", id="sidecar"),
        pytest.param(DEPLOY / "kustomize-route" / "Containerfile", "USER 999", id="repo-server"),
    ],
)
def test_containerfile_installs_the_built_wheel_and_drops_root(containerfile: Path, user: str) -> None:
    lines = [line.strip() for line in containerfile.read_text().splitlines() if not line.startswith("#")]
    assert "COPY dist/*.whl /wheels/" in lines
    assert any("pip install" in line and "/wheels/*.whl" in line for line in lines)
    assert [line for line in lines if line.startswith("USER ")][-1] == user, "the image must end as user 999"


# --- OpenShift GitOps: the ArgoCD CR variant ---------------------------------------------------------------

GITOPS = DEPLOY / "openshift-gitops"
ARGOCD_SCHEMA = json.loads((REPO / "tests" / "oracles" / "schemas" / "argocd-repo.json").read_text())
ARGOCD_CR_STANDIN = """\
apiVersion: argoproj.io/v1beta1
kind: ArgoCD
metadata:
  name: openshift-gitops
  namespace: openshift-gitops
spec:
  server:
    route: {enabled: true}
"""


@pytest.fixture(scope="module", params=["kustomize-v4", "kubectl-kustomize"])
def gitops_built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("gitops")
    shutil.copytree(DEPLOY, root / "mtc-policygen")
    (root / "argocd.yaml").write_text(ARGOCD_CR_STANDIN)
    (root / "kustomization.yaml").write_text(
        "namespace: openshift-gitops\nresources: [argocd.yaml]\ncomponents: [mtc-policygen/openshift-gitops]\n"
    )
    build = kustomize_build if request.param == "kustomize-v4" else kubectl_kustomize
    objects = [o for o in yaml.safe_load_all(build(root)) if o]
    return {o["kind"]: o for o in objects}


def _repo_only(cr: dict[str, Any]) -> dict[str, Any]:
    return {**cr, "spec": {"repo": cr["spec"]["repo"]}}


def test_gitops_patch_and_built_cr_use_the_operator_fields(gitops_built: dict[str, Any]) -> None:
    patch = yaml.safe_load((GITOPS / "argocd-repo-sidecar.yaml").read_text())
    jsonschema.validate(patch, ARGOCD_SCHEMA, cls=jsonschema.Draft202012Validator)
    cr = gitops_built["ArgoCD"]
    assert cr["spec"]["server"] == {"route": {"enabled": True}}, "the rest of the user's CR is kept"
    jsonschema.validate(_repo_only(cr), ARGOCD_SCHEMA, cls=jsonschema.Draft202012Validator)
    assert set(cr["spec"]["repo"]) == {"sidecarContainers", "volumes"}


def test_gitops_schema_rejects_a_misplaced_field() -> None:
    patch = yaml.safe_load((GITOPS / "argocd-repo-sidecar.yaml").read_text())
    patch["spec"]["repo"]["sidecars"] = patch["spec"]["repo"].pop("sidecarContainers")
    with pytest.raises(jsonschema.ValidationError, match="sidecars"):
        jsonschema.validate(patch, ARGOCD_SCHEMA, cls=jsonschema.Draft202012Validator)


def test_gitops_sidecar_has_no_fixed_uid_and_its_volumes(gitops_built: dict[str, Any]) -> None:
    repo = gitops_built["ArgoCD"]["spec"]["repo"]
    [sidecar] = repo["sidecarContainers"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert "runAsUser" not in sidecar["securityContext"], "restricted-v2 assigns the namespace's UID"
    assert sidecar["securityContext"]["runAsNonRoot"] is True
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"  # the operator's volumes: socket and cmp-server
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    volumes = {v["name"]: v for v in repo["volumes"]}
    assert volumes[mounts["/tmp"]["name"]]["emptyDir"] == {}
    assert mounts["/tmp"]["name"] != "tmp", "its own /tmp, not the repo-server's"
    config = mounts["/home/argocd/cmp-server/config/plugin.yaml"]
    name = volumes[config["name"]]["configMap"]["name"]
    assert name.startswith("mtc-policygen-plugin-"), "the hash-suffixed name reaches the CR (kustomizeconfig)"
    configmap = gitops_built["ConfigMap"]
    assert configmap["metadata"] == {"name": name, "namespace": "openshift-gitops"}
    assert configmap["data"]["plugin.yaml"] == (REPO / "plugin.yaml").read_text()
    assert volumes[mounts["/etc/mtc-policygen"]["name"]]["secret"]["optional"] is True


def test_gitops_plugin_yaml_is_the_repository_plugin_yaml() -> None:
    assert (GITOPS / "plugin.yaml").read_bytes() == (REPO / "plugin.yaml").read_bytes()


# --- the images' Python and the wheel ------------------------------------------------------------------------

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
WHEEL = f"dist/{PYPROJECT['project']['name'].replace('-', '_')}-{PYPROJECT['project']['version']}-py3-none-any.whl"


def _base_python(text: str) -> str | None:
    """The Python version of the FROM image, read from its tag (python:3.12-slim, ubi9/python-312)."""
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    image = re.findall(r"^FROM (\S+)", text, re.MULTILINE)[-1]
    image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), image)
    found = re.search(r"python[:-](3)\.?(\d{1,2})\b", image)
    return f"{found.group(1)}.{found.group(2)}" if found else None


def _guard_python(text: str) -> str | None:
    """The lowest Python a build's version guard accepts: `sys.version_info >= (3, 11)`."""
    found = re.search(r"sys\.version_info >= \((\d+), (\d+)\)", text)
    return f"{found.group(1)}.{found.group(2)}" if found else None


@pytest.mark.parametrize(
    "containerfile",
    [
        pytest.param(DEPLOY / "Containerfile", id="sidecar"),
        pytest.param(GITOPS / "Containerfile", id="sidecar-openshift-gitops"),
        pytest.param(DEPLOY / "kustomize-route" / "Containerfile", id="repo-server"),
    ],
)
def test_containerfile_python_meets_requires_python_and_installs_the_wheel(containerfile: Path) -> None:
    text = containerfile.read_text()
    version = _base_python(text) or _guard_python(text)
    assert version is not None, "neither the base image nor a build guard says which Python runs the tool"
    assert version in SpecifierSet(PYPROJECT["project"]["requires-python"]), version
    lines = [line.strip() for line in text.splitlines() if not line.startswith("#")]
    [copy] = [line.split() for line in lines if line.startswith("COPY ") and ".whl" in line]
    source, target = copy[-2], copy[-1]
    assert fnmatch.fnmatch(WHEEL, source), f"{source} does not match the wheel `make test` builds ({WHEEL})"
    assert any("pip install" in line and f"{target}*.whl" in line for line in lines)


def test_the_openshift_gitops_image_is_rhel_based_and_uses_no_apt() -> None:
    text = (GITOPS / "Containerfile").read_text()
    instructions = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "apt-get" not in instructions
    assert "ubi9/python-3" in instructions
