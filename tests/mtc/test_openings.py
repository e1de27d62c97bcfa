"""Openings are temporary (spec §9): the `openings` field, what "closed" renders in every runtime, time, the
record annotations, validate's report and the uninstall plan.

Test design notes:
- "Now" is pinned with SOURCE_DATE_EPOCH; a deadline one second either side of it proves the comparison
  (the instant itself renders closed). Output is compared byte for byte across two runs with the same "now".
- Closed with a firewall in a `base`: the overlay's build by the real kustomize must hold the base's firewall
  exactly as kustomize builds the base alone (the oracle is kustomize, not our renderer).
- Closed with `rules:`: the firewall holds the user's rules, in order, and nothing else.
- Closed never changes MTC: every generated file except NetworkPolicies and firewalls is byte-identical open
  and closed (install pair included).
- The runtimes (KRM function through kustomize, legacy exec plugin through kubectl kustomize, argocd-generate)
  run the installed console scripts with a deadline in the past.
- uninstall, for every example and cluster: steps in order, no egress firewall and no base object (but the
  MigrationController step 3 must delete) in any delete command, and each command splits as a shell would.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import run
from generator.clusterpair.base import read_base
from generator.clusterpair.load import load_spec
from generator.mtc.holdings import identity
from tests.conftest import EXAMPLES, GOLDEN
from tests.oracles import kubectl_kustomize, kustomize_build

Obj = dict[str, Any]
NOW = "1798761600"  # 2027-01-01T00:00:00Z
BEFORE, AT, AFTER = "2027-01-01T00:00:01Z", "2027-01-01T00:00:00Z", "2026-12-31T23:59:59Z"
VENV_BIN = Path(sys.executable).parent
FIREWALL_KINDS = {"EgressFirewall", "EgressNetworkPolicy"}


def _with_openings(text: str, block: str) -> str:
    """The spec with an `openings:` block put first under `spec:`."""
    out = text.replace("\nspec:\n", f"\nspec:\n  openings:\n{block}", 1)
    assert out != text
    return out


def _deadline(at: str, quoted: bool = False) -> str:
    return f"    closesAt: {json.dumps(at) if quoted else at}\n"


def _copy_example(tmp_path: Path, name: str, block: str | None) -> Path:
    for folder in ("clusters", "ca", "mirror"):
        if not (tmp_path / folder).exists():
            shutil.copytree(EXAMPLES / folder, tmp_path / folder)
    text = (EXAMPLES / name).read_text()
    spec = tmp_path / name
    spec.write_text(_with_openings(text, block) if block else text)
    return spec


def _docs(text: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _render(spec: Path, cluster: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run(["render", str(spec), "--cluster", cluster]) == 0
    return capsys.readouterr().out


# --- the field --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True], ids=["yaml-timestamp", "string"])
def test_quoted_and_unquoted_deadlines_are_the_same_instant(tmp_path: Path, quoted: bool) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(_with_openings((EXAMPLES / "ovn-nodeport-strict.yaml").read_text(), _deadline(BEFORE, quoted)))
    pair, problems = load_spec(spec)
    assert pair is not None, problems
    assert pair.openings.closes_at is not None
    assert pair.openings.closes_at.isoformat() == "2027-01-01T00:00:01+00:00"


BAD_DEADLINES = [
    pytest.param("2027-01-31", "a date and a time are needed", "2027-01-31T00:00:00Z", id="date-only"),
    pytest.param("2027-01-31T18:00:00+01:00", "not in UTC", "2027-01-31T17:00:00Z", id="offset"),
    pytest.param('"2027-01-31T18:00:00+01:00"', "not in UTC", "2027-01-31T17:00:00Z", id="offset-string"),
    pytest.param("2027-01-31T18:00:00", "no time zone", "2027-01-31T18:00:00Z", id="naive"),
    pytest.param("next friday", "not an RFC 3339 timestamp", "2027-01-31T18:00:00Z", id="words"),
    pytest.param("1798761600", "expected an RFC 3339 timestamp", "", id="number"),
]


@pytest.mark.parametrize(("value", "message", "fix"), BAD_DEADLINES)
def test_a_bad_deadline_is_an_error_at_its_position_with_a_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str, fix: str
) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(_with_openings((EXAMPLES / "ovn-nodeport-strict.yaml").read_text(), f"    closesAt: {value}\n"))
    line = next(i for i, text in enumerate(spec.read_text().splitlines(), 1) if "closesAt" in text)
    assert run(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:{line}:15: error: spec.openings.closesAt: " in err, err
    assert message in err
    assert fix in err
    assert "Traceback" not in err


# --- closed renders ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cluster"),
    [("ovn-nodeport-strict.yaml", "ocp414-east"), ("ovn-nodeport-strict.yaml", "ocp416-west")],
)
def test_deadline_against_now_and_deterministic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, cluster: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW)
    outputs = {}
    for label, at in (("before", BEFORE), ("at", AT), ("after", AFTER)):
        spec = _copy_example(tmp_path / label, name, _deadline(at))
        first, second = _render(spec, cluster, capsys), _render(spec, cluster, capsys)
        assert first == second, "same now, same bytes"
        outputs[label] = _docs(first)
    assert any(o["kind"] == "NetworkPolicy" for o in outputs["before"])
    for label in ("at", "after"):
        assert not any(o["kind"] == "NetworkPolicy" for o in outputs[label]), label
    policy = next(o for o in outputs["before"] if o["kind"] == "NetworkPolicy")
    assert policy["metadata"]["annotations"] == {
        "mtc-policygen.io/pair": "ovn-nodeport-strict",
        "mtc-policygen.io/closes-at": BEFORE,
    }


def _overlay_files(spec: Path, out: Path) -> dict[str, str]:
    """The overlay files; run from the spec's folder so headers do not depend on where it is."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(spec.parent)
        assert run(["generate", spec.name, "-o", os.path.relpath(out, spec.parent)]) == 0
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def _is_opening(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith(("networkpolicy-", "egressfirewall-")) or name == "kustomization.yaml"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_closing_changes_only_the_openings(tmp_path: Path, name: str) -> None:
    """MTC (controller settings, install, registrations) is byte-identical open and closed; no NetworkPolicy
    is left, and every firewall file left holds no rule the open render added."""
    opened = _overlay_files(_copy_example(tmp_path / "open", name, None), tmp_path / "open" / "overlays")
    closed_spec = _copy_example(tmp_path / "closed", name, "    state: closed\n")
    closed = _overlay_files(closed_spec, tmp_path / "closed" / "overlays")
    mtc = {k: v for k, v in opened.items() if not _is_opening(k) and not k.endswith(".json")}
    assert mtc == {k: v for k, v in closed.items() if not _is_opening(k) and not k.endswith(".json")}
    assert not [k for k in closed if "/networkpolicy-" in k]
    assert not [k for k in closed if k.endswith("-patch.yaml") and "/egressfirewall-" in k]
    pair, _ = load_spec(closed_spec)
    assert pair is not None
    for ns in pair.namespaces:
        fw = ns.egress_firewall
        key = f"{pair.name}/{pair.source.name}/egressfirewall-{ns.source}.yaml"
        if fw is not None and fw.rules is not None:
            assert _docs(closed[key])[0]["spec"]["egress"] == list(fw.rules), "the user's rules only, in order"
        else:
            assert key not in closed


def test_closed_firewall_in_base_builds_as_the_base_alone(tmp_path: Path) -> None:
    spec = _copy_example(tmp_path, "firewall-in-base.yaml", "    state: closed\n")
    assert run(["generate", str(spec), "-o", str(tmp_path / "overlays")]) == 0
    built = kustomize_build(tmp_path / "overlays" / "firewall-in-base" / "ocp413-dc1")
    alone = kustomize_build(tmp_path / "clusters" / "ocp413-dc1")
    chunk = next(c for c in alone.split("---\n") if "kind: EgressFirewall" in c)
    assert chunk in built.split("---\n"), "the base's firewall, byte for byte"
    open_spec = _copy_example(tmp_path / "open", "firewall-in-base.yaml", None)
    assert run(["generate", str(open_spec), "-o", str(tmp_path / "open" / "overlays")]) == 0
    opened = kustomize_build(tmp_path / "open" / "overlays" / "firewall-in-base" / "ocp413-dc1")
    assert chunk not in opened.split("---\n"), "the oracle: open, the firewall differs"


# --- generate --check and validate ---------------------------------------------------------------------------


def test_generate_check_fails_after_the_deadline_naming_pair_and_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _copy_example(tmp_path, "ovn-nodeport-strict.yaml", _deadline(AT))
    out = str(tmp_path / "overlays")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW) - 60))
    assert run(["generate", str(spec), "-o", out]) == 0
    assert run(["generate", str(spec), "-o", out, "--check"]) == 0
    assert "ovn-nodeport-strict: openings open until 2027-01-01T00:00:00Z" in capsys.readouterr().err
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW)
    assert run(["generate", str(spec), "-o", out, "--check"]) == 1
    err = capsys.readouterr().err
    assert f"ovn-nodeport-strict: the openings closed at {AT} (closesAt passed)" in err
    assert "stale" in err


def test_validate_says_time_left_closed_and_strict_warns_without_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW)
    spec = _copy_example(tmp_path / "a", "ovn-nodeport-strict.yaml", "    closesAt: 2027-01-03T02:30:00Z\n")
    assert run(["validate", str(spec)]) == 0
    err = capsys.readouterr().err
    assert "info: spec.openings.closesAt: the openings are open until 2027-01-03T02:30:00Z (2d 2h left)" in err
    assert "  ovn-nodeport-strict: openings open until 2027-01-03T02:30:00Z\nok: 1 ClusterPair" in err
    spec = _copy_example(tmp_path / "b", "ovn-nodeport-strict.yaml", _deadline(AFTER))
    assert run(["validate", str(spec), "--strict"]) == 0
    assert f"the openings closed at {AFTER}" in capsys.readouterr().err
    plain = EXAMPLES / "ovn-nodeport-strict.yaml"
    assert run(["validate", str(plain)]) == 0
    err = capsys.readouterr().err
    assert "openings-no-deadline" not in err
    assert run(["validate", str(plain), "--strict"]) == 1
    assert "warning: spec.openings: the DVM openings are open with no deadline" in capsys.readouterr().err


def test_bad_source_date_epoch_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert run(["validate", str(EXAMPLES / "ovn-nodeport-strict.yaml")]) == 2
    err = capsys.readouterr().err
    assert "SOURCE_DATE_EPOCH is not a whole number" in err
    assert "Traceback" not in err


# --- runtimes: a deadline in the past ------------------------------------------------------------------------


def _runtime_env(**extra: str) -> dict[str, str]:
    return {"PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "SOURCE_DATE_EPOCH": NOW, **extra}


def _fn_config(spec: Path, cluster: str, *, krm: bool) -> str:
    annotations = {"mtc-policygen.io/cluster": cluster, "mtc-policygen.io/spec-file": f"../{spec.name}"}
    if krm:
        annotations["config.kubernetes.io/function"] = "exec:\n  path: mtc-policygen-krm\n"
        data = yaml.safe_load(spec.read_text())
        del annotations["mtc-policygen.io/spec-file"]  # kustomize v4 runs a KRM function elsewhere: inline
        return yaml.safe_dump({**data, "metadata": {"name": data["metadata"]["name"], "annotations": annotations}})
    doc = {
        "apiVersion": "mtc-policygen.io/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": "x", "annotations": annotations},
    }
    return yaml.safe_dump(doc)


@pytest.mark.parametrize("runtime", ["krm", "legacy"])
def test_kustomize_runtimes_render_a_passed_deadline_closed(tmp_path: Path, runtime: str) -> None:
    spec = _copy_example(tmp_path, "ovn-nodeport-strict.yaml", _deadline(AFTER))
    (tmp_path / ".git").mkdir()  # a repository: the root the function may read the spec from
    folder = tmp_path / "gen"
    folder.mkdir()
    (folder / "fn.yaml").write_text(_fn_config(spec, "ocp416-west", krm=runtime == "krm"))
    (folder / "kustomization.yaml").write_text("generators: [fn.yaml]\n")
    if runtime == "krm":
        built = kustomize_build(folder, "--enable-alpha-plugins", "--enable-exec", env=_runtime_env())
    else:
        home = tmp_path / "plugins"
        assert run(["kustomize-plugin", "install", str(home)]) == 0
        built = kubectl_kustomize(folder, "--enable-alpha-plugins", env=_runtime_env(KUSTOMIZE_PLUGIN_HOME=str(home)))
    kinds = [o["kind"] for o in _docs(built)]
    assert kinds == ["MigrationController"], kinds
    opened = _copy_example(tmp_path / "open", "ovn-nodeport-strict.yaml", _deadline(BEFORE))
    (folder / "fn.yaml").write_text(_fn_config(opened, "ocp416-west", krm=runtime == "krm").replace("../", "../open/"))
    if runtime == "krm":
        built = kustomize_build(folder, "--enable-alpha-plugins", "--enable-exec", env=_runtime_env())
    else:
        built = kubectl_kustomize(folder, "--enable-alpha-plugins", env=_runtime_env(KUSTOMIZE_PLUGIN_HOME=str(home)))
    assert "NetworkPolicy" in [o["kind"] for o in _docs(built)], "the oracle: before the deadline it is open"


@pytest.mark.parametrize(
    ("mode", "kinds"), [("all", ["MigrationController"]), ("policies", []), ("controller", ["MigrationController"])]
)
def test_argocd_generate_renders_a_passed_deadline_closed(tmp_path: Path, mode: str, kinds: list[str]) -> None:
    app = tmp_path / "app"
    _copy_example(app, "ovn-nodeport-strict.yaml", _deadline(AFTER))
    env = _runtime_env(PARAM_CLUSTER="ocp416-west", PARAM_MODE=mode)
    proc = subprocess.run(
        [str(VENV_BIN / "mtc-policygen"), "argocd-generate"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [o["kind"] for o in _docs(proc.stdout)] == kinds
    assert proc.stdout.strip(), "never empty bytes: a comment says why there is no object"


def test_the_openings_application_never_prunes_a_users_firewall(tmp_path: Path) -> None:
    """Mode `policies` syncs with prune: what exists only for DVM (the pair annotation) may go, but the user's egress
    firewall it carries must never be pruned or deleted with the Application: it keeps its own rules when closed."""
    app = tmp_path / "app"
    _copy_example(app, "ovn-nodeport-strict.yaml", _deadline(BEFORE))  # still open at NOW
    env = _runtime_env(PARAM_CLUSTER="ocp414-east", PARAM_MODE="policies")
    proc = subprocess.run(
        [str(VENV_BIN / "mtc-policygen"), "argocd-generate"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    objects = _docs(proc.stdout)
    assert {o["kind"] for o in objects} == {"NetworkPolicy", "EgressFirewall"}
    for obj in objects:
        annotations = obj["metadata"].get("annotations") or {}
        options = annotations.get("argocd.argoproj.io/sync-options", "").split(",")
        ours = obj["kind"] == "NetworkPolicy"
        assert ("mtc-policygen.io/pair" in annotations) is ours, obj["metadata"]
        assert ("Prune=false" in options and "Delete=false" in options) is not ours, obj["metadata"]


# --- uninstall -----------------------------------------------------------------------------------------------

UNINSTALL_CASES = [
    pytest.param(spec, cluster, id=f"{spec.stem if spec.parent == EXAMPLES else spec.parent.name}-{cluster}")
    for spec in [*sorted(EXAMPLES.glob("*.yaml")), *sorted(GOLDEN.glob("*/spec.yaml"))]
    for cluster in sorted(
        {
            c["name"]
            for c in (
                yaml.safe_load(spec.read_text())["spec"]["source"],
                yaml.safe_load(spec.read_text())["spec"]["target"],
            )
        }
    )
]


@pytest.mark.parametrize(("spec", "cluster"), UNINSTALL_CASES)
def test_uninstall_plan_order_and_delete_lists(spec: Path, cluster: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(["uninstall", str(spec), "--cluster", cluster, "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["key"] for s in plan["steps"]][:5] == ["close", "argocd", "controller", "objects", "operator"]
    pair, _ = load_spec(spec)
    assert pair is not None
    theirs: dict[str, set[tuple[str, str, str, str]]] = {c.name: set() for c in pair.clusters}
    for c in pair.clusters:
        if c.base is not None:
            theirs[c.name] = {identity(o) for o in read_base(spec.parent / c.base).objects}
    firewall_names = {(ns.source, ns.egress_firewall.name) for ns in pair.namespaces if ns.egress_firewall}
    for step in plan["steps"]:
        by_cluster = [(cluster, step["commands"]), *step["also"].items()]
        for on, commands in by_cluster:
            for command in commands:
                _check_command(command, step["key"], theirs[on], firewall_names)
    text_code = run(["uninstall", str(spec), "--cluster", cluster])
    text = capsys.readouterr().out
    assert text_code == 0
    assert "seed" not in text
    assert "facts §" not in text
    assert "§" not in text
    mine = text.index("3. ")
    if len(pair.clusters) > 1:
        assert text.index("oc delete migrationcontroller", mine) < text.index("also on", mine), "this cluster first"


def _check_command(command: str, step: str, theirs: set[tuple[str, str, str, str]], firewalls: set[Any]) -> None:
    """A pasteable `oc` command that never deletes a firewall or a base object (but the MigrationController)."""
    words = shlex.split(command, comments=True)
    assert words[0] == "oc", command
    if words[1] != "delete" or "$(oc" in command:
        return
    kind = words[2]
    assert kind not in {k.lower() for k in FIREWALL_KINDS}, f"a firewall in a delete list: {command}"
    if kind == "migrationcontroller":
        assert step == "controller"
        return
    if words[3] == "-n" or words[3].startswith("-"):  # by label: the operator's CSV
        assert kind == "clusterserviceversion", command
        return
    name = words[3]
    namespace = words[words.index("-n") + 1] if "-n" in words else ""
    hit = [t for t in theirs if t[1].lower() == kind and t[2] == namespace and t[3] == name]
    assert not hit, f"a base object in a delete list: {command}"
    assert (namespace, name) not in firewalls or kind == "networkpolicy", command


def test_krm_transformer_closed_leaves_the_base_firewall_as_built_alone(tmp_path: Path) -> None:
    """Transformer mode over the base's items: closed inserts nothing, so the firewall is the base's, byte for
    byte, and no NetworkPolicy is added; the MigrationController is still patched (MTC unchanged)."""
    spec = _copy_example(tmp_path, "firewall-in-base.yaml", _deadline(AFTER))
    data = yaml.safe_load(spec.read_text())
    del data["spec"]["source"]["base"]  # the items are the base
    data["spec"]["openings"]["closesAt"] = AFTER  # a string (quoted when dumped), so it can be swapped below
    annotations = {
        "mtc-policygen.io/cluster": "ocp413-dc1",
        "config.kubernetes.io/function": "exec:\n  path: mtc-policygen-krm\n",
    }
    config = yaml.safe_dump({**data, "metadata": {"name": data["metadata"]["name"], "annotations": annotations}})
    folder = tmp_path / "krm"
    folder.mkdir()
    (folder / "fn.yaml").write_text(config)
    (folder / "kustomization.yaml").write_text("resources: [../clusters/ocp413-dc1]\ntransformers: [fn.yaml]\n")
    built = kustomize_build(folder, "--enable-alpha-plugins", "--enable-exec", env=_runtime_env())
    alone = kustomize_build(tmp_path / "clusters" / "ocp413-dc1")
    chunk = next(c for c in alone.split("---\n") if "kind: EgressFirewall" in c)
    assert chunk in built.split("---\n")
    kinds = sorted(o["kind"] for o in _docs(built))
    assert kinds == ["EgressFirewall", "MigrationController"]
    controller = next(o for o in _docs(built) if o["kind"] == "MigrationController")
    assert controller["spec"]["migration_velero"] is True, "MTC's settings are still merged"
    (folder / "fn.yaml").write_text(config.replace(AFTER, BEFORE))
    opened = kustomize_build(folder, "--enable-alpha-plugins", "--enable-exec", env=_runtime_env())
    assert chunk not in opened.split("---\n"), "the oracle: open, the DVM rule is inserted"


def test_uninstall_of_a_closed_pair_confirms_and_names_the_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _copy_example(tmp_path, "ovn-nodeport-strict.yaml", "    state: closed\n")
    capsys.readouterr()
    assert run(["uninstall", str(spec), "--cluster", "ocp414-east", "--format", "json"]) == 0
    close = json.loads(capsys.readouterr().out)["steps"][0]
    assert close["title"].startswith("Confirm the openings are closed")
    assert "oc get egressfirewall default -n billing -o 'jsonpath={.spec.egress}'" in "\n".join(close["commands"])
    assert any('"cidrSelector":"203.0.113.64/26"' in c for c in close["commands"]), "the DVM rule to look for"
