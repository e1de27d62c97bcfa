"""Installing and wiring MTC from the spec (spec §8): built overlays, the mirror mapping, bad input, the
uninstall plan and where credentials go.

Test design notes:
- Built overlays: the two install golden cases (tests/golden/install-*) and the restricted-network example are
  generated into a tmp tree and built with kustomize v4.5.4 and kubectl kustomize (v5); both builds must be
  identical. Expectations come from the spec and facts §10, not the generator: the OLM objects, MigStorage and
  MigCluster validate against schemas written from their API types (tests/oracles/schemas); Namespace and
  Secret against the upstream OpenAPI schema; the legacy operator's Deployment has only `<mirror>@sha256:`
  images taken from the case's mapping.txt and REGISTRY equal to the mirror host on every container that had it.
- The mapping parser is fed hand-written lines: each malformed one is an error at its line and column.
- Bad input runs the real CLI in-process: exit 1 (or 2), a `file:line:col` problem, never a traceback.
- Secrets: marker values are planted in every credential source (env and file, S3 keys, token, proxy password)
  and searched, raw and base64-encoded, in everything validate, generate, render, uninstall and the KRM
  function print or write, in every output format. They may appear only in the Secrets that carry them (and
  the password only in the MigrationController's stunnel_tcp_proxy), and only where the output is rendered.
"""

from __future__ import annotations

import base64
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml

from generator.cli import run
from generator.mtc.mirror import parse_mapping
from generator.problems import ProblemsError
from tests.conftest import EXAMPLES, GOLDEN
from tests.oracles import K8S_VERSION, kubectl_kustomize, kustomize_build, validate_install_object

Obj = dict[str, Any]
LEGACY_IMAGE = "registry.redhat.io/rhmtc/openshift-migration-legacy-rhel8-operator"
DIGEST = "sha256:" + "1" * 64
ENV = {"MTC_S3_ACCESS_KEY_ID": "e2e-key-id", "MTC_S3_SECRET_ACCESS_KEY": "e2e-key"}

RESTRICTED = GOLDEN / "install-restricted-311-412"  # the golden case: legacy 3.11 source, mirror, CA bundles


@pytest.fixture
def restricted_spec() -> Path:
    """The restricted-network golden case's spec, used in place (read only)."""
    return RESTRICTED / "spec.yaml"


CASES = [
    pytest.param(RESTRICTED / "spec.yaml", id="restricted-311-412"),
    pytest.param(GOLDEN / "install-online-secret-render-time" / "spec.yaml", id="online-414-416"),
    pytest.param(EXAMPLES / "install-restricted-network.yaml", id="example-restricted-network"),
]


def _docs(text: str) -> list[Obj]:
    """Objects of a YAML stream (render --format json|github prints its problem list first: skipped here)."""
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def _generate(spec: Path, work: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[Path, Obj]:
    shutil.copytree(spec.parent, work / "case")
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    out = work / "overlays"
    assert run(["generate", str(work / "case" / spec.name), "-o", str(out), "--allow-secrets-in-output", *extra]) == 0
    return out, yaml.safe_load(spec.read_text())


# --- built overlays ----------------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("spec", CASES)
def test_install_overlays_build_identically_and_validate(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, data = _generate(spec, tmp_path, monkeypatch)
    pair = data["metadata"]["name"]
    control = (
        data["spec"]["target"]["name"]
        if data["spec"].get("controlCluster", "target") == "target"
        else (data["spec"]["source"]["name"])
    )
    for role in ("source", "target"):
        cluster = data["spec"][role]
        folder = out / pair / cluster["name"]
        v4, v5 = kustomize_build(folder), kubectl_kustomize(folder)
        assert v4 == v5
        objects = _docs(v4)
        kinds = {o["kind"] for o in objects}
        legacy = cluster["openshiftVersion"] == "3.11" or cluster["openshiftVersion"] in {"4.2", "4.3", "4.4", "4.5"}
        for obj in objects:
            if obj["kind"] in {"Subscription", "OperatorGroup", "MigStorage", "MigCluster"}:
                assert validate_install_object(obj) == [], obj
            if obj["kind"] in {"Namespace", "Secret"} and (obj["metadata"].get("labels") or {}).get(
                "app.kubernetes.io/managed-by"
            ):
                kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        if legacy:
            assert not kinds & {"Subscription", "OperatorGroup"}
            _check_legacy_deployment(objects, spec.parent / data["spec"]["install"]["mirror"]["mapping"])
        else:
            _check_olm(objects, data)
        if cluster["name"] == control:
            _check_control(objects, data)
        else:
            assert not kinds & {"MigStorage", "MigCluster"}


def _check_olm(objects: list[Obj], data: Obj) -> None:
    by_kind = {o["kind"]: o for o in objects}
    sub = by_kind["Subscription"]["spec"]
    install = data["spec"]["install"]
    mtc17 = "3.11" in (data["spec"]["source"]["openshiftVersion"], data["spec"]["target"]["openshiftVersion"])
    assert sub["channel"] == ("release-v1.7" if mtc17 else "release-v1.8")
    assert sub["name"] == "mtc-operator"
    assert sub["source"] == install.get("catalogSource", "redhat-operators")
    assert sub["sourceNamespace"] == "openshift-marketplace"
    assert sub["installPlanApproval"] == install.get("installPlanApproval", "Manual")
    assert by_kind["OperatorGroup"]["spec"] == {"targetNamespaces": ["openshift-migration"]}

    def wave(obj: Obj) -> int:
        return int(obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])

    controller = by_kind["MigrationController"]
    assert wave(by_kind["Subscription"]) < wave(controller)
    assert (
        "SkipDryRunOnMissingResource=true" in controller["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
    )
    for obj in objects:
        if obj["kind"] in {"MigStorage", "MigCluster"}:
            assert wave(obj) > wave(controller)


def _check_legacy_deployment(objects: list[Obj], mapping: Path) -> None:
    """Only mirrored images by the mapping's digest; REGISTRY is the mirror host wherever it was set."""
    lines = [line for line in mapping.read_text().splitlines() if line.startswith(LEGACY_IMAGE + "@")]
    assert len(lines) == 1
    digest = lines[0].split("@", 1)[1].split("=", 1)[0]
    mirror = lines[0].split("=", 1)[1]
    if mirror.rfind(":") > mirror.rfind("/"):  # a tag on the mirror side: the image is pinned by digest instead
        mirror = mirror[: mirror.rfind(":")]
    host = mirror.split("/", 1)[0]
    deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "migration-operator")
    pod = deployment["spec"]["template"]["spec"]
    containers = [*pod.get("initContainers", []), *pod["containers"]]
    assert containers
    for container in containers:
        assert container["image"] == f"{mirror}@{digest}", container["image"]
        for env in container.get("env", []):
            if env["name"] == "REGISTRY":
                assert env == {"name": "REGISTRY", "value": host}
    assert any(e["name"] == "REGISTRY" for c in containers for e in c.get("env", []))


def _check_control(objects: list[Obj], data: Obj) -> None:
    storages = [o for o in objects if o["kind"] == "MigStorage"]
    clusters = {o["metadata"]["name"]: o for o in objects if o["kind"] == "MigCluster"}
    repo = data["spec"]["replicationRepository"]
    assert [s["metadata"]["name"] for s in storages] == [repo["name"]]
    config = storages[0]["spec"]["backupStorageConfig"]
    assert (config["awsS3Url"], config["awsBucketName"]) == (repo["s3Url"], repo["bucket"])
    secret = config["credsSecretRef"]
    assert secret["namespace"] == "openshift-config"
    assert ("s3CustomCABundle" in config) == ("caBundleFile" in repo)  # content: test_ca_bundle_is_embedded
    remote = data["spec"]["source"]
    assert "host" not in clusters, "the operator owns MigCluster host (named by cluster_name)"
    control = [o for o in objects if o["kind"] == "MigrationController" and o["spec"].get("migration_controller")]
    assert [c["spec"]["cluster_name"] for c in control] == ["host"]
    for obj in objects:
        if obj["apiVersion"].startswith("migration.openshift.io/"):
            options = obj["metadata"]["annotations"]["argocd.argoproj.io/sync-options"].split(",")
            assert {"Prune=false", "Delete=false"} <= set(options), obj["kind"]
    assert clusters[remote["name"]]["spec"]["url"] == remote["apiUrl"]
    ref = clusters[remote["name"]]["spec"]["serviceAccountSecretRef"]
    assert ref["namespace"] == "openshift-config"
    if "secretRef" in remote["tokenFrom"]:
        assert ref["name"] == remote["tokenFrom"]["secretRef"]
    else:
        token = next(o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == ref["name"])
        assert set(token["data"]) == {"saToken"}


def test_ca_bundle_is_embedded(restricted_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = restricted_spec
    out, _ = _generate(spec, tmp_path, monkeypatch)
    wiring = _docs((out / "restricted-311-to-412" / "ocp412" / "mtc-wiring.yaml").read_text())
    storage = next(o for o in wiring if o["kind"] == "MigStorage")
    assert (
        base64.b64decode(storage["spec"]["backupStorageConfig"]["s3CustomCABundle"])
        == (spec.parent / "ca" / "mcg.pem").read_bytes()
    )
    remote = next(o for o in wiring if o["kind"] == "MigCluster" and o["metadata"]["name"] == "ocp311")
    assert base64.b64decode(remote["spec"]["caBundle"]) == (spec.parent / "ca" / "ocp311.pem").read_bytes()


def test_remote_at_411_gets_a_service_account_token_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = _generate(GOLDEN / "install-online-secret-render-time" / "spec.yaml", tmp_path, monkeypatch)
    wiring = _docs((out / "online-414-to-416" / "ocp414" / "mtc-wiring.yaml").read_text())
    assert [
        (o["kind"], o["type"], o["metadata"]["annotations"]["kubernetes.io/service-account.name"]) for o in wiring
    ] == [("Secret", "kubernetes.io/service-account-token", "migration-controller")]


def test_same_cluster_pair_registers_no_host_migcluster(tmp_path: Path) -> None:
    """The operator creates MigCluster `host` from the controller's cluster_name (no default there): we set it
    and render no second copy that Argo CD and the operator would both own."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata: {name: p}\nspec:\n  install: {}\n"
        "  source: {name: c, openshiftVersion: '4.16'}\n  target: {name: c, openshiftVersion: '4.16', "
        "rsyncEndpointType: ClusterIP}\n  replicationRepository: {name: r, s3Url: 'https://s3.example.com', "
        "bucket: bucket1, credentialsFrom: {secretRef: creds}}\n  namespaces: [{source: a, target: b}]\n"
    )
    out = tmp_path / "out"
    assert run(["generate", str(spec), "-o", str(out)]) == 0
    wiring = _docs((out / "p" / "c" / "mtc-wiring.yaml").read_text())
    assert sorted((o["kind"], o["metadata"]["name"]) for o in wiring) == [("MigStorage", "r")]
    controllers = [
        o
        for f in (out / "p" / "c").glob("*.yaml")
        for o in _docs(f.read_text())
        if o.get("kind") == "MigrationController"
    ]
    assert [c["spec"]["cluster_name"] for c in controllers] == ["host"]


# --- the mirror mapping ------------------------------------------------------------------------------------

GOOD = f"{LEGACY_IMAGE}@{DIGEST}=registry.example.com:5000/rhmtc/openshift-migration-legacy-rhel8-operator:abc"


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        pytest.param(f"{GOOD}\nnot a mapping line\n", 2, 1, "expected one '='", id="no-equals"),
        pytest.param(
            f"\n{LEGACY_IMAGE}@sha256:xyz=r.example.com/a\n", 2, len(LEGACY_IMAGE) + 2, "not a sha256", id="bad-digest"
        ),
        pytest.param(f"{LEGACY_IMAGE}=r.example.com/a\n", 1, 1, "neither a digest nor a valid tag", id="no-digest"),
        pytest.param(
            f"{LEGACY_IMAGE}@{DIGEST}=mirror\n",
            1,
            len(LEGACY_IMAGE) + len(DIGEST) + 3,
            "no registry host",
            id="mirror-without-host",
        ),
        pytest.param(
            f"{LEGACY_IMAGE}@{DIGEST}=r.example.com/A@sha256:{'2' * 64}\n",
            1,
            len(LEGACY_IMAGE) + len(DIGEST) + 3,
            "must not carry a digest",
            id="mirror-digest",
        ),
        pytest.param(f" {GOOD}\n", 1, 1, "whitespace", id="whitespace"),
        pytest.param(f"{GOOD}=x\n", 1, 1, "found 2", id="two-equals"),
    ],
)
def test_malformed_mapping_line_is_an_error_at_its_position(text: str, line: int, col: int, message: str) -> None:
    with pytest.raises(ProblemsError) as exc:
        parse_mapping(text, "mirror/mapping.txt")
    problem = exc.value.problems[0]
    assert (problem.file, problem.line, problem.column) == ("mirror/mapping.txt", line, col)
    assert message in problem.message


def test_mapping_parses_digest_and_tag_lines() -> None:
    mapping = parse_mapping(
        f"{GOOD}\r\n\nregistry.redhat.io/redhat/index:v4.12=r.example.com/redhat/index:v4.12\n", "m"
    )
    [entry] = mapping.by_digest(LEGACY_IMAGE)
    assert (entry.digest, entry.mirror, entry.registry, entry.line) == (
        DIGEST,
        "registry.example.com:5000/rhmtc/openshift-migration-legacy-rhel8-operator",
        "registry.example.com:5000",
        1,
    )
    assert mapping.by_digest("registry.redhat.io/redhat/index") == []


# --- bad input through the CLI -----------------------------------------------------------------------------


def _restricted(tmp_path: Path, edit: tuple[str, str] | None = None, mapping: str | None = None) -> Path:
    case = tmp_path / "case"
    shutil.copytree(RESTRICTED, case)
    spec = case / "spec.yaml"
    if edit is not None:
        text = spec.read_text()
        assert text.count(edit[0]) == 1, edit[0]
        spec.write_text(text.replace(edit[0], edit[1]))
    if mapping is not None:
        (case / "mirror" / "mapping.txt").write_text(mapping)
    return spec


SECOND_DIGEST = (
    f"{LEGACY_IMAGE}@sha256:{'9' * 64}=registry.example.com:5000/rhmtc/openshift-migration-legacy-rhel8-operator"
)
BAD_INPUT = [
    pytest.param(
        {"edit": ("      mapping: mirror/mapping.txt", "      mapping: mirror/missing.txt")},
        "spec.yaml:12:16: error: spec.install.mirror.mapping: ",
        "no such mapping file",
        id="missing-mapping",
    ),
    pytest.param(
        {"mapping": "registry.redhat.io/x@sha256:abc=mirror.example.com/x\n"},
        "mapping.txt:1:22: error: spec.install.mirror.mapping: ",
        "not a sha256 digest",
        id="malformed-mapping",
    ),
    pytest.param(
        {"mapping": f"registry.redhat.io/x/y@{DIGEST}=mirror.example.com/x/y\n"},
        "spec.yaml:12:16: error: spec.install.mirror.mapping: ",
        "it holds registry.redhat.io/x/y",
        id="mapping-without-image",
    ),
    pytest.param(
        {"mapping": (RESTRICTED / "mirror" / "mapping.txt").read_text() + SECOND_DIGEST + "\n"},
        "spec.yaml:12:16: error: spec.install.mirror.mapping: ",
        "several mirrors or digests",
        id="two-digests",
    ),
    pytest.param(
        {"edit": ("    base: clusters/ocp311\n", "")},
        "spec.yaml:14:5: error: spec.source: ",
        "needs a `base`",
        id="legacy-without-base",
    ),
    pytest.param(
        {"edit": ("    apiUrl: https://api.ocp311.example.com:8443\n", "")},
        "spec.yaml:14:5: error: spec.source: ",
        "it needs apiUrl",
        id="remote-without-api-url",
    ),
    pytest.param(
        {"edit": ("caBundleFile: ca/ocp311.pem", "caBundleFile: ca/nope.pem")},
        "spec.yaml:19:19: error: spec.source.caBundleFile: ",
        "cannot read the CA bundle",
        id="unreadable-ca",
    ),
    pytest.param(
        {"edit": ("    caBundleFile: ca/ocp311.pem\n", "    caBundleFile: ca/ocp311.pem\n    insecure: true\n")},
        "spec.yaml:20:15: error: spec.source.insecure: ",
        "insecure: true with caBundleFile",
        id="insecure-with-ca",
    ),
    pytest.param(
        {"edit": ("    apiUrl:", "    apiURL:")},
        "spec.yaml:18:5: error: spec.source.apiURL: ",
        "did you mean 'apiUrl'?",
        id="typo-did-you-mean",
    ),
]


@pytest.mark.parametrize(("change", "where", "message"), BAD_INPUT)
@pytest.mark.parametrize("command", ["validate", "generate", "render", "uninstall"])
def test_bad_input_is_a_located_error_without_traceback(  # noqa: PLR0917 - parameters and fixtures
    change: dict[str, Any], where: str, message: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _restricted(tmp_path, **change)
    argv = {
        "validate": ["validate", str(spec)],
        "generate": ["generate", str(spec), "-o", str(tmp_path / "out")],
        "render": ["render", str(spec), "--cluster", "ocp412"],
        "uninstall": ["uninstall", str(spec), "--cluster", "ocp412"],
    }[command]
    code = run(argv)
    captured = capsys.readouterr()
    assert code == (2 if command == "uninstall" else 1)
    assert "Traceback" not in captured.err + captured.out
    line = next((ln for ln in captured.err.splitlines() if where in ln), "")
    assert line, captured.err
    assert message in line, captured.err
    assert not (tmp_path / "out").exists()  # never a partial write


# --- uninstall ---------------------------------------------------------------------------------------------


def test_uninstall_plan_follows_the_seed_order(restricted_spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["uninstall", str(restricted_spec), "--cluster", "ocp412", "--format", "json"]) == 0
    plan = yaml.safe_load(capsys.readouterr().out)
    steps = {step["key"]: step for step in plan["steps"]}
    assert list(steps) == ["close", "argocd", "controller", "objects", "operator", "leftovers"]
    assert steps["controller"]["commands"] == [
        "oc delete migrationcontroller migration-controller -n openshift-migration"
    ]
    assert list(steps["controller"]["also"]) == ["ocp311"]
    assert "oc delete migstorage mcg -n openshift-migration --ignore-not-found" in steps["objects"]["commands"]
    assert not any("migrationcontroller" in c or "namespace" in c for c in steps["objects"]["commands"])
    operator = steps["operator"]["commands"]
    assert operator[0] == "oc delete subscription mtc-operator -n openshift-migration --ignore-not-found"
    assert any("clusterserviceversion" in c for c in operator)
    assert operator[-8:-6] == [
        "oc delete $(oc get crds -o name | grep 'migration.openshift.io')",
        "oc delete $(oc get crds -o name | grep 'velero')",
    ]
    assert "oc delete clusterrolebindings migration-operator" in operator


def test_uninstall_text_for_legacy_cluster(restricted_spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["uninstall", str(restricted_spec), "--cluster", "ocp311"]) == 0
    out = capsys.readouterr().out
    assert out.index("oc delete migrationcontroller") < out.index("operator.yml in your base clusters/ocp311")
    assert "oc delete -f operator.yml" in out  # said, for the user's own file: never a command on a base object
    assert "Deployment" not in out  # a patched base object is listed with its base


def test_uninstall_unknown_cluster_is_usage_error(restricted_spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["uninstall", str(restricted_spec), "--cluster", "nope"]) == 2
    assert "one of: ocp311, ocp412" in capsys.readouterr().err


# --- secrets -----------------------------------------------------------------------------------------------

MARKERS = {
    "s3-id": "MARKERs3idQ7",
    "s3-key": "MARKERs3keyZ9",
    "token": "MARKERtokenW4",
    "password": "MARKERpassV2",
}


def _marker_spec(tmp_path: Path, source: str) -> Path:
    """Every credential of the pair from `source` (env or file); the markers are the values."""
    folder = tmp_path / source
    folder.mkdir()
    if source == "env":
        creds = "{env: {accessKeyId: MK_S3_ID, secretAccessKey: MK_S3_KEY}}"
        token, password = "{env: MK_TOKEN}", "{env: MK_PASSWORD}"
    else:
        (folder / "aws").write_text(
            f"[default]\naws_access_key_id = {MARKERS['s3-id']}\naws_secret_access_key = {MARKERS['s3-key']}\n"
        )
        (folder / "token").write_text(MARKERS["token"] + "\n")
        (folder / "password").write_text(MARKERS["password"] + "\n")
        creds, token, password = "{file: aws}", "{file: token}", "{file: password}"
    spec = folder / "spec.yaml"
    spec.write_text(
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata: {name: marked}\nspec:\n  install: {}\n"
        f"  source: {{name: src, openshiftVersion: '4.14', apiUrl: 'https://api.src.example.com:6443', tokenFrom: "
        f"{token}}}\n  target: {{name: tgt, openshiftVersion: '4.16', cidrs: [203.0.113.0/24]}}\n"
        f"  dvm: {{stunnelTCPProxy: {{url: 'http://192.0.2.9:3128', username: dvm, passwordFrom: {password}}}}}\n"
        "  replicationRepository: {name: r, s3Url: 'https://s3.example.com', bucket: bucket1, "
        f"credentialsFrom: {creds}}}\n"
        "  namespaces: [app1]\n"
    )
    return spec


@pytest.fixture
def marker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment variables an `env` marker spec names, holding the markers."""
    for key, name in (
        ("MK_S3_ID", "s3-id"),
        ("MK_S3_KEY", "s3-key"),
        ("MK_TOKEN", "token"),
        ("MK_PASSWORD", "password"),
    ):
        monkeypatch.setenv(key, MARKERS[name])


def _leaks(text: str) -> list[str]:
    forms = {name: (v, base64.b64encode(v.encode()).decode()) for name, v in MARKERS.items()}
    return [name for name, (raw, b64) in forms.items() if raw in text or b64 in text]


def _outside_secrets(text: str) -> str:
    """The YAML stream without the credential Secrets and the stunnel proxy value, where markers belong."""
    kept = []
    for doc in _docs(text):
        if doc.get("kind") == "Secret" and doc["metadata"]["namespace"] == "openshift-config":
            continue
        spec = doc.get("spec") if doc.get("kind") == "MigrationController" else None
        if isinstance(spec, dict):
            spec.pop("stunnel_tcp_proxy", None)
        kept.append(doc)
    return yaml.safe_dump_all(kept)


def _secret_values(text: str) -> set[str]:
    found = set()
    for doc in _docs(text):
        if doc.get("kind") == "Secret":
            found |= {base64.b64decode(v).decode() for v in (doc.get("data") or {}).values()}
    return found


@pytest.mark.parametrize("source", ["env", "file"])
def test_credentials_only_reach_rendered_secrets(
    source: str, tmp_path: Path, marker_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _marker_spec(tmp_path, source)
    expected = {MARKERS["s3-id"], MARKERS["s3-key"], MARKERS["token"]}

    for fmt in ("text", "json", "github"):
        assert run(["validate", str(spec), "--format", fmt]) == 0
        captured = capsys.readouterr()
        assert _leaks(captured.out + captured.err) == []
        # generate refuses render-time credentials, and says so without a value
        assert run(["generate", str(spec), "-o", str(tmp_path / "refused"), "--format", fmt]) == 1
        captured = capsys.readouterr()
        assert _leaks(captured.out + captured.err) == []
        assert "secret-in-output" in captured.out + captured.err
        assert not (tmp_path / "refused").exists()
        for cluster in ("src", "tgt"):
            assert run(["render", str(spec), "--cluster", cluster, "--format", fmt]) == 0
            captured = capsys.readouterr()
            assert _leaks(captured.err) == []
            assert _leaks(_outside_secrets(captured.out)) == []
            assert _secret_values(captured.out) == (expected if cluster == "tgt" else set())
        for ufmt in ("text", "json"):
            assert run(["uninstall", str(spec), "--cluster", "tgt", "--format", ufmt]) == 0
            captured = capsys.readouterr()
            assert _leaks(captured.out + captured.err) == []

    # generate with the explicit opt-in: the values land in the Secret file only
    out = tmp_path / "overlays"
    assert run(["generate", str(spec), "-o", str(out), "--allow-secrets-in-output"]) == 0
    captured = capsys.readouterr()
    assert _leaks(captured.out + captured.err) == []
    for file in out.rglob("*"):
        if file.is_file():
            text = file.read_text()
            if file.name == "mtc-secrets.yaml":
                assert _secret_values(text) == expected
            elif file.name != "migrationcontroller-patch.yaml":
                assert _leaks(text) == [], file
            holds_secret = bool(_leaks(text)) or quote(MARKERS["password"], safe="") in text
            assert (stat.S_IMODE(file.stat().st_mode) == 0o600) == holds_secret, f"{file}: mode vs secret"
    assert (out / "marked/tgt/mtc-secrets.yaml").is_file(), "no Secret file: the mode check above saw none"

    # the KRM function: markers only in the Secret items of the control cluster
    for cluster in ("src", "tgt"):
        config = yaml.safe_load(spec.read_text())
        config["metadata"]["annotations"] = {"mtc-policygen.io/cluster": cluster}
        stdin = yaml.safe_dump(
            {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [], "functionConfig": config}
        )
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "mtc-policygen-krm")],
            input=stdin,
            text=True,
            capture_output=True,
            cwd=spec.parent,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert _leaks(proc.stderr) == []
        items = yaml.safe_load(proc.stdout)["items"]
        stream = yaml.safe_dump_all(items)
        assert _leaks(_outside_secrets(stream)) == []
        assert _secret_values(stream) == (expected if cluster == "tgt" else set())


def test_missing_credential_names_the_source_not_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _marker_spec(tmp_path, "file")
    (spec.parent / "aws").write_text(f"not an ini file {MARKERS['s3-id']}\n")
    assert run(["render", str(spec), "--cluster", "tgt"]) == 1
    err = capsys.readouterr().err
    assert "the credentials file aws is not an AWS credentials file" in err
    assert _leaks(err) == []
    spec = _marker_spec(tmp_path, "env")
    monkeypatch.delenv("MK_TOKEN", raising=False)
    monkeypatch.setenv("MK_S3_ID", "x")
    monkeypatch.setenv("MK_S3_KEY", "y")
    monkeypatch.setenv("MK_PASSWORD", "z")
    assert run(["render", str(spec), "--cluster", "tgt"]) == 1
    assert "environment variable MK_TOKEN is not set or empty" in capsys.readouterr().err


@pytest.mark.e2e
def test_modern_base_holding_the_namespace_keeps_it(tmp_path: Path) -> None:
    """A base that already holds Namespace openshift-migration: the overlay adds only OperatorGroup and
    Subscription (a second Namespace would be a duplicate ID), and both kustomize versions build it."""
    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work)
    base = work / "clusters" / "ocp413-dc1"
    (base / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: openshift-migration\n")
    kustomization = base / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "  - namespace.yaml\n")
    spec = work / "firewall-in-base.yaml"
    remote = (
        "    base: clusters/ocp413-dc1\n    apiUrl: https://api.dc1.example.com:6443\n    tokenFrom: {secretRef: tk}\n"
    )
    text = spec.read_text().replace("\nspec:\n", "\nspec:\n  install: {}\n", 1)
    spec.write_text(text.replace("    base: clusters/ocp413-dc1\n", remote))
    out = tmp_path / "out"
    assert run(["generate", str(spec), "-o", str(out)]) == 0
    folder = out / "firewall-in-base" / "ocp413-dc1"
    assert [o["kind"] for o in _docs((folder / "mtc-operator.yaml").read_text())] == ["OperatorGroup", "Subscription"]
    built = kustomize_build(folder)
    assert built == kubectl_kustomize(folder)
    objects = _docs(built)
    assert [o["kind"] for o in objects].count("Namespace") == 1
    controller = next(o for o in objects if o["kind"] == "MigrationController")
    options = controller["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
    assert "SkipDryRunOnMissingResource=true" in options
