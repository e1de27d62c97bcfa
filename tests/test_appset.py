"""`mtc-policygen appset`: the ApplicationSet, the Applications it yields, and that each of them renders.

Test design notes:
- The ApplicationSet is checked against tests/oracles/schemas/applicationset.json, written from the Argo CD
  ApplicationSet CRD (fields, required keys, types) and strict on unknown fields; a negative case proves the
  schema rejects a misspelt field, so a passing check means something.
- The list generator is expanded as the controller does with its default fasttemplate engine: every `{{key}}`
  (spaces trimmed) in every string of the template is replaced by the element's value; an unknown key would
  stay and is asserted absent. The Applications of a folder of three pairs (two two-cluster pairs and one
  same-cluster pair, in nested and shared folders) are compared field by field with what a person would write.
- Each yielded Application is then sent to the plugin harness (tests/oracles/argocd_cmp.py) with its own path
  and parameters: discovery must match and generate must print that cluster's objects — the fan-out is only
  right if every Application it makes can sync.
- Bad folders (no spec, a broken spec, two pairs with one name) exit 2 with the problem and print nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.appset import OPENINGS_SUFFIX
from tests.conftest import EXAMPLES, GOLDEN, REPO
from tests.oracles.argocd_cmp import CmpServer, Request, load_plugin, parse_manifests

SCHEMA = json.loads((Path(__file__).parent / "oracles" / "schemas" / "applicationset.json").read_text())
CLI = Path(sys.executable).parent / "mtc-policygen"
REPO_URL = "https://git.example.com/gitops.git"

SAME_CLUSTER = (EXAMPLES / "same-cluster-clusterip.yaml").read_text()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo with `fleet/`: two specs sharing a folder, one in its own folder, and a kustomize-route folder."""
    root = tmp_path_factory.mktemp("repo")
    files = {
        "fleet/dc1/ocp311-to-ocp412.yaml": (EXAMPLES / "ocp311-to-ocp412.yaml").read_text(),
        "fleet/dc1/ovn-nodeport-strict.yaml": (EXAMPLES / "ovn-nodeport-strict.yaml").read_text(),
        "fleet/prod/same/clusterpair.yaml": SAME_CLUSTER,
        "fleet/kustomize/ocp311/kustomization.yaml": "resources: []\n",
        "fleet/kustomize/ocp311/copy.yaml": (EXAMPLES / "ocp311-to-ocp412.yaml").read_text(),
        "fleet/README.md": "not a spec\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / ".git").mkdir()
    (root / "plugin.yaml").write_bytes((REPO / "plugin.yaml").read_bytes())
    return root


def _appset(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), "appset", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _expand(value: Any, element: dict[str, str]) -> Any:
    """fasttemplate as the ApplicationSet controller runs it: `{{ key }}` -> element[key] in every string."""
    if isinstance(value, str):
        return re.sub(r"\{\{(.*?)\}\}", lambda m: element.get(m.group(1).strip(), m.group(0)), value)
    if isinstance(value, list):
        return [_expand(v, element) for v in value]
    if isinstance(value, dict):
        return {_expand(k, element): _expand(v, element) for k, v in value.items()}
    return value


def _applications(appsets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    apps = []
    for appset in appsets:
        template = appset["spec"]["template"]
        for generator in appset["spec"]["generators"]:
            for element in generator["list"]["elements"]:
                app = _expand(template, element)
                apps.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app})
    return apps


def _load(stdout: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(stdout) if d is not None]


@pytest.fixture(scope="module")
def appset(fleet: Path) -> list[dict[str, Any]]:
    proc = _appset("fleet", "--repo-url", REPO_URL, "--revision", "main", cwd=fleet)
    assert proc.returncode == 0, proc.stderr
    return _load(proc.stdout)


def test_appset_passes_the_crd_schema(appset: list[dict[str, Any]]) -> None:
    assert [a["metadata"]["name"] for a in appset] == ["mtc-policygen", "mtc-policygen-openings"]
    for one in appset:
        jsonschema.validate(one, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_an_unknown_field(appset: list[dict[str, Any]]) -> None:
    bad = json.loads(json.dumps(appset[0]))
    bad["spec"]["template"]["spec"]["syncPolicy"]["automated"]["prunee"] = False
    with pytest.raises(jsonschema.ValidationError, match="prunee"):
        jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft202012Validator)


def _app(
    name: str, cluster: str, path: str, spec: str, pair: str, *, openings: bool = False, ssa: str = "true"
) -> dict[str, Any]:
    sync: dict[str, Any] = {
        "automated": {"prune": False, "selfHeal": True},
        "syncOptions": ["Prune=false", "Delete=false", f"ServerSideApply={ssa}"],
    }
    if openings:
        sync = {"automated": {"prune": True, "selfHeal": True, "allowEmpty": True}}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name + ("-openings" if openings else ""),
            "labels": {
                "app.kubernetes.io/managed-by": "mtc-policygen",
                "mtc-policygen.io/pair": pair,
                "mtc-policygen.io/cluster": cluster,
            },
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": REPO_URL,
                "targetRevision": "main",
                "path": path,
                "plugin": {
                    "name": "mtc-policygen-v1",
                    "parameters": [
                        {"name": "cluster", "string": cluster},
                        {"name": "mode", "string": "policies" if openings else "controller"},
                        {"name": "spec", "string": spec},
                    ],
                },
            },
            "destination": {"name": cluster, "namespace": "openshift-migration"},
            "syncPolicy": sync,
        },
    }


_ARGS = [
    ("mtc-ocp311-to-ocp412-ocp311", "ocp311", "fleet/dc1", "ocp311-to-ocp412.yaml", "ocp311-to-ocp412"),
    ("mtc-ocp311-to-ocp412-ocp412", "ocp412", "fleet/dc1", "ocp311-to-ocp412.yaml", "ocp311-to-ocp412"),
    (
        "mtc-ovn-nodeport-strict-ocp414-east",
        "ocp414-east",
        "fleet/dc1",
        "ovn-nodeport-strict.yaml",
        "ovn-nodeport-strict",
    ),
    (
        "mtc-ovn-nodeport-strict-ocp416-west",
        "ocp416-west",
        "fleet/dc1",
        "ovn-nodeport-strict.yaml",
        "ovn-nodeport-strict",
    ),
    (
        "mtc-same-cluster-clusterip-ocp415-prod",
        "ocp415-prod",
        "fleet/prod/same",
        "clusterpair.yaml",
        "same-cluster-clusterip",
    ),
]


def test_two_applications_per_pair_and_cluster(appset: list[dict[str, Any]]) -> None:
    apps = _applications(appset)
    # OpenShift 3.11 has no server-side apply (Kubernetes 1.16+): its MTC Application applies client-side
    mtc = [_app(*args, ssa="false" if args[1] == "ocp311" else "true") for args in _ARGS]
    openings = [_app(*args, openings=True) for args in _ARGS]
    assert apps == mtc + openings
    assert "{{" not in json.dumps(apps), "an unresolved template key"


def test_mtc_never_prunes_or_deletes_and_openings_may_prune(appset: list[dict[str, Any]]) -> None:
    mtc, openings = appset
    for one in appset:
        assert one["spec"]["syncPolicy"] == {"preserveResourcesOnDeletion": True}
        assert "finalizers" not in one["spec"]["template"]["metadata"], "a finalizer would cascade deletion"
    sync = mtc["spec"]["template"]["spec"]["syncPolicy"]
    assert sync["automated"]["prune"] is False
    assert {"Prune=false", "Delete=false"} <= set(sync["syncOptions"])
    sync = openings["spec"]["template"]["spec"]["syncPolicy"]
    assert sync["automated"] == {"prune": True, "selfHeal": True, "allowEmpty": True}
    assert "Prune=false" not in sync.get("syncOptions", [])


def test_every_application_renders_through_the_plugin(
    appset: list[dict[str, Any]], fleet: Path, tmp_path: Path
) -> None:
    server = CmpServer(
        load_plugin(fleet / "plugin.yaml"),
        fleet,
        tmp_path,
        {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    for app in _applications(appset):
        source = app["spec"]["source"]
        req = Request(
            source["path"],
            app_name=app["metadata"]["name"],
            namespace=app["spec"]["destination"]["namespace"],
            parameters=source["plugin"]["parameters"],
        )
        result = server.run(req)
        assert result.returncode == 0, f"{app['metadata']['name']}: {result.stderr}"
        objects = parse_manifests(result.stdout)
        assert objects
        _check_apply_mode(app, objects)


def _options(obj: dict[str, Any]) -> list[str]:
    return str(obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options", "")).split(",")


def _check_apply_mode(app: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    """An Application applying client-side renders no object asking for server-side apply (the API server
    would reject the apply patch), and every MTC custom resource keeps Prune=false,Delete=false itself."""
    client_side = "ServerSideApply=false" in app["spec"]["syncPolicy"].get("syncOptions", [])
    name = app["metadata"]["name"]
    for obj in objects:
        options = _options(obj)
        if client_side:
            assert "ServerSideApply=true" not in options, (name, obj["kind"])
        if obj["apiVersion"].startswith("migration.openshift.io/"):
            assert {"Prune=false", "Delete=false"} <= set(options), (name, obj["kind"])


def test_a_42_cluster_applies_client_side_and_renders(tmp_path: Path) -> None:
    """OpenShift 4.2 has server-side apply off (Kubernetes 1.14): its Application says ServerSideApply=false,
    the 4.12 one true, and both render through the plugin with matching per-resource options."""
    text = (GOLDEN / "client-side-42-appset" / "spec.yaml").read_text()
    repo = tmp_path / "repo"
    (repo / "pairs").mkdir(parents=True)
    (repo / "pairs" / "old.yaml").write_text(text)
    (repo / ".git").mkdir()
    (repo / "plugin.yaml").write_bytes((REPO / "plugin.yaml").read_bytes())
    result = _appset("pairs", "--repo-url", REPO_URL, "--revision", "main", cwd=repo)
    assert result.returncode == 0, result.stderr
    apps = _applications(_load(result.stdout))
    mtc = [a for a in apps if "syncOptions" in a["spec"]["syncPolicy"]]  # the openings ones apply whole objects
    modes = {a["spec"]["destination"]["name"]: a["spec"]["syncPolicy"]["syncOptions"][-1] for a in mtc}
    assert modes == {"ocp42": "ServerSideApply=false", "ocp412": "ServerSideApply=true"}
    server = CmpServer(
        load_plugin(repo / "plugin.yaml"),
        repo,
        tmp_path / "work",
        {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    for app in apps:
        source = app["spec"]["source"]
        req = Request(
            source["path"],
            app_name=app["metadata"]["name"],
            namespace="openshift-migration",
            parameters=source["plugin"]["parameters"],
        )
        # the openings Application syncs with allowEmpty: a pair with nothing to open renders nothing there
        rendered = server.run(req, allow_empty=app["metadata"]["name"].endswith(OPENINGS_SUFFIX))
        assert rendered.returncode == 0, rendered.stderr
        _check_apply_mode(app, parse_manifests(rendered.stdout))


def test_output_is_deterministic_and_path_prefix_applies(fleet: Path) -> None:
    args = ("fleet/dc1", "--repo-url", REPO_URL, "--revision", "v1.2.3", "--path-prefix", "gitops/fleet/dc1/")
    first, second = _appset(*args, cwd=fleet), _appset(*args, cwd=fleet)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    elements = _load(first.stdout)[0]["spec"]["generators"][0]["list"]["elements"]
    assert {e["path"] for e in elements} == {"gitops/fleet/dc1"}


def test_absolute_spec_dir_finds_its_repo_path(fleet: Path, tmp_path: Path) -> None:
    proc = _appset(str(fleet / "fleet" / "prod"), "--repo-url", REPO_URL, "--revision", "main", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    elements = _load(proc.stdout)[0]["spec"]["generators"][0]["list"]["elements"]
    assert [e["path"] for e in elements] == ["fleet/prod/same"]


BAD = [
    pytest.param({"x/notes.yaml": "a: 1\n"}, "no ClusterPair spec", id="no-specs"),
    pytest.param(
        {"x/p.yaml": SAME_CLUSTER.replace("openshiftVersion", "openshiftVersoin")}, "unknown key", id="broken-spec"
    ),
    pytest.param({"x/a/p.yaml": SAME_CLUSTER, "x/b/p.yaml": SAME_CLUSTER}, "would also be made from", id="dup-name"),
    pytest.param(
        {
            "x/p.yaml": (EXAMPLES / "firewall-in-base.yaml").read_text(),
            "x/clusters/ocp413-dc1/kustomization.yaml": "resources: [mc.yaml]\nnamespace: other\n",
            "x/clusters/ocp413-dc1/mc.yaml": (EXAMPLES / "clusters/ocp413-dc1/migrationcontroller.yaml").read_text(),
        },
        "cannot build this base exactly",
        id="base-not-plain",
    ),
]


@pytest.mark.parametrize(("files", "message"), BAD)
def test_bad_folder_exits_2_and_prints_nothing(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    proc = _appset("x", "--repo-url", REPO_URL, "--revision", "main", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_pair_with_a_plain_base_fans_out_and_renders(tmp_path: Path) -> None:
    """A base that is a plain list of files is rendered by the plugin (base objects + overlay) in the fleet too."""
    repo = tmp_path / "repo"
    (repo / "fleet" / "dc").mkdir(parents=True)
    (repo / "fleet" / "dc" / "pair.yaml").write_text((EXAMPLES / "firewall-in-base.yaml").read_text())
    shutil.copytree(EXAMPLES / "clusters", repo / "fleet" / "dc" / "clusters")
    (repo / "plugin.yaml").write_bytes((REPO / "plugin.yaml").read_bytes())
    proc = _appset("fleet", "--repo-url", REPO_URL, "--revision", "main", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    apps = _applications(_load(proc.stdout))
    assert [a["metadata"]["name"] for a in apps] == [
        "mtc-firewall-in-base-ocp413-dc1",
        "mtc-firewall-in-base-ocp416-dc2",
        "mtc-firewall-in-base-ocp413-dc1-openings",
        "mtc-firewall-in-base-ocp416-dc2-openings",
    ]
    server = CmpServer(
        load_plugin(repo / "plugin.yaml"),
        repo,
        tmp_path / "work",
        {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    rendered = {}
    for app in (apps[0], apps[2]):
        source = app["spec"]["source"]
        result = server.run(Request(source["path"], parameters=source["plugin"]["parameters"]))
        assert result.returncode == 0, result.stderr
        rendered[app["metadata"]["name"]] = parse_manifests(result.stdout)
    mtc, openings = rendered["mtc-firewall-in-base-ocp413-dc1"], rendered["mtc-firewall-in-base-ocp413-dc1-openings"]
    assert sorted(o["kind"] for o in mtc) == ["MigrationController"]
    assert sorted(o["kind"] for o in openings) == ["EgressFirewall", "NetworkPolicy", "NetworkPolicy"]
    for obj in mtc:  # before Argo CD 3.4 only the per-resource annotation keeps MTC from being pruned or deleted
        options = obj["metadata"]["annotations"]["argocd.argoproj.io/sync-options"].split(",")
        assert {"Prune=false", "Delete=false"} <= set(options)
    for obj in openings:  # ours may be pruned; the base's firewall is the user's and never is
        options = (obj["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-options", "").split(",")
        kept = {"Prune=false", "Delete=false"} <= set(options)
        assert kept is (obj["kind"] == "EgressFirewall"), obj["metadata"]


def test_a_closed_pair_renders_no_openings_and_the_same_mtc(tmp_path: Path) -> None:
    """The openings Application of a closed pair renders nothing (its prune removes what it made); MTC's renders
    exactly what it renders while open."""
    spec = (EXAMPLES / "ovn-nodeport-strict.yaml").read_text()
    closed = spec.replace("  networkPolicy:\n", "  openings:\n    state: closed\n  networkPolicy:\n")
    assert closed != spec
    outputs = {}
    for name, text in (("open", spec), ("closed", closed)):
        repo = tmp_path / name
        (repo / "fleet").mkdir(parents=True)
        (repo / "fleet" / "pair.yaml").write_text(text)
        (repo / "plugin.yaml").write_bytes((REPO / "plugin.yaml").read_bytes())
        proc = _appset("fleet", "--repo-url", REPO_URL, "--revision", "main", cwd=repo)
        assert proc.returncode == 0, proc.stderr
        server = CmpServer(
            load_plugin(repo / "plugin.yaml"),
            repo,
            tmp_path / f"work-{name}",
            {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        for app in _applications(_load(proc.stdout)):
            source = app["spec"]["source"]
            openings = app["metadata"]["name"].endswith("-openings")
            req = Request(source["path"], parameters=source["plugin"]["parameters"])
            result = server.run(req, allow_empty=openings)
            assert result.returncode == 0, result.stderr
            outputs[name, app["metadata"]["name"]] = parse_manifests(result.stdout)
    east, west = "mtc-ovn-nodeport-strict-ocp414-east", "mtc-ovn-nodeport-strict-ocp416-west"
    for app in (east, west):
        assert outputs["closed", app] == outputs["open", app]
    assert outputs["closed", west + "-openings"] == []
    assert {o["kind"] for o in outputs["open", west + "-openings"]} == {"NetworkPolicy"}
    firewall = outputs["closed", east + "-openings"]
    assert [o["kind"] for o in firewall] == ["EgressFirewall"]  # given with rules: the user's rules only
    assert len(firewall[0]["spec"]["egress"]) == 3
