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
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml

from tests.conftest import REPO
from tests.oracles.k8svalidate import K8S_VERSION
from tests.oracles.tools import kustomize_build

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
