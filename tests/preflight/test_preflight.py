"""`mtc-policygen preflight`: egress firewall verdicts, findings, bad or partial state, the command line.

Test design notes:

* Firewall verdicts follow facts §4.1/§4.2 (nca does not model firewalls): first match wins, the implicit allow
  at the end, `cidrSelector` by address (a destination network partly denied is blocked), `dnsName` against the
  DVM route hosts, EgressFirewall `ports`, and the generated Allow rules placed before every existing rule.
* Findings: two firewall objects in one namespace, an EgressFirewall not named default, rule counts over and
  near the limit, a Deny 0.0.0.0/0 with no Allow before it, router namespaces without the label of the target's
  version, rsyncPrivileged without the pod-security labels, a noProxy override dropping .svc/.cluster.local.
* Bad or partial state: not YAML, binary, a List with a broken item, an unknown kind, an alias, a migrated
  namespace missing, a cluster without state, a missing file, kubectl absent for --context: each is a problem
  naming the file and the object, exit 2, never a traceback; the state files are never written (hash and
  mtime checked). Reading a state file shares the spec loader's bounded reader: a missing file, a folder, a file
  over the size cap and an endless device are each one file-level problem with the state's own wording.
* CLI: text, JSON and GitHub formats, exit 0 when nothing blocks after the output, 1 otherwise; the shipped
  example in examples/preflight/ exits 1 for the namespace whose firewall the spec does not declare.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import run
from generator.preflight import state as state_module
from generator.preflight.analyse import Report, Row
from generator.preflight.run import UNREADABLE_RULES, preflight
from generator.problems import ProblemsError
from tests.conftest import EXAMPLES

Obj = dict[str, Any]
ROUTER_LABELS = {"policy-group.network.openshift.io/ingress": "", "network.openshift.io/policy-group": "ingress"}


def ns(name: str, labels: dict[str, str] | None = None) -> Obj:
    meta = {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def firewall(namespace: str, rules: list[Obj], *, name: str = "default", kind: str = "EgressFirewall") -> Obj:
    api = "k8s.ovn.org/v1" if kind == "EgressFirewall" else "network.openshift.io/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"egress": rules},
    }


def rule(kind: str, to: Obj, ports: list[Obj] | None = None) -> Obj:
    out: Obj = {"type": kind, "to": to}
    if ports:
        out["ports"] = ports
    return out


def spec_text(
    *,
    source: str = "{name: east, openshiftVersion: '4.14', networkType: OVNKubernetes}",
    target: str = "{name: west, openshiftVersion: '4.14', networkType: OVNKubernetes, cidrs: [203.0.113.0/24], "
    "appsDomain: apps.west.example.com}",
    namespaces: str = "[shop]",
    extra: str = "",
) -> str:
    return (
        "apiVersion: mtc-policygen.io/v1alpha1\nkind: ClusterPair\nmetadata: {name: pf}\nspec:\n"
        f"  source: {source}\n  target: {target}\n{extra}  namespaces: {namespaces}\n"
    )


def write_list(path: Path, objs: list[Obj]) -> Path:
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objs}), encoding="utf-8")
    return path


def run_preflight(tmp_path: Path, spec: str, east: list[Obj], west: list[Obj] | None = None) -> Report:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(spec, encoding="utf-8")
    west_objs = west if west is not None else [ns("shop"), ns("openshift-ingress", ROUTER_LABELS)]
    states = {"east": write_list(tmp_path / "east.yaml", east), "west": write_list(tmp_path / "west.yaml", west_objs)}
    outcome = preflight(spec_file, states)
    assert outcome.report is not None, [p.text() for p in outcome.problems]
    return outcome.report


def row(report: Report, connection: str, namespace: str = "shop") -> Row:
    return next(r for r in report.rows if r.connection == connection and r.source_namespace == namespace)


# --- egress firewall verdicts ---------------------------------------------------------------------------------

DENY_ALL = rule("Deny", {"cidrSelector": "0.0.0.0/0"})


def declared(rules: list[Obj], name: str = "default") -> str:
    """The namespace list of a spec declaring shop's firewall with its current rules (JSON is YAML)."""
    return json.dumps([{"source": "shop", "egressFirewall": {"name": name, "rules": rules}}])


@pytest.mark.parametrize(
    ("rules", "allowed", "blocking_rule"),
    [
        pytest.param([], True, None, id="empty-firewall-implicit-allow"),
        pytest.param([DENY_ALL], False, 0, id="deny-all"),
        pytest.param([rule("Allow", {"cidrSelector": "203.0.113.0/24"}), DENY_ALL], True, None, id="allow-first"),
        pytest.param([DENY_ALL, rule("Allow", {"cidrSelector": "203.0.113.0/24"})], False, 0, id="first-match-wins"),
        pytest.param([rule("Allow", {"cidrSelector": "203.0.113.0/25"}), DENY_ALL], False, 1, id="half-allowed"),
        pytest.param([rule("Deny", {"cidrSelector": "203.0.113.128/25"})], False, 0, id="half-denied"),
        pytest.param([rule("Deny", {"cidrSelector": "198.51.100.0/24"})], True, None, id="other-network-denied"),
        pytest.param(
            [rule("Allow", {"dnsName": "dvm-shop.apps.west.example.com"}), DENY_ALL], True, None, id="dnsname"
        ),
        pytest.param(
            [rule("Allow", {"dnsName": "*.apps.west.example.com"}), DENY_ALL], True, None, id="dnsname-wildcard"
        ),
        pytest.param([rule("Allow", {"dnsName": "*.example.com"}), DENY_ALL], False, 1, id="wildcard-one-label-only"),
        pytest.param(
            [rule("Allow", {"cidrSelector": "203.0.113.0/24"}, [{"protocol": "TCP", "port": 80}]), DENY_ALL],
            False,
            1,
            id="allow-on-another-port",
        ),
        pytest.param(
            [rule("Deny", {"cidrSelector": "0.0.0.0/0"}, [{"protocol": "TCP", "port": 22}])],
            True,
            None,
            id="deny-on-another-port",
        ),
    ],
)
def test_firewall_first_match(tmp_path: Path, rules: list[Obj], allowed: bool, blocking_rule: int | None) -> None:
    # MTC 1.8: the fs and block route hosts are both checked; the wildcard covers both.
    report = run_preflight(tmp_path, spec_text(), [ns("shop"), ns("openshift-dns"), firewall("shop", rules)])
    verdict = row(report, "endpoint").today
    assert verdict.allowed is allowed, verdict
    if blocking_rule is not None:
        assert [b.ref for b in verdict.blockers] == ["EgressFirewall shop/default"]
        assert verdict.blockers[0].rule.startswith(f"egress[{blocking_rule}] ")


def test_generated_rules_go_before_every_existing_rule(tmp_path: Path) -> None:
    spec = spec_text(namespaces=declared([DENY_ALL]))
    report = run_preflight(tmp_path, spec, [ns("shop"), firewall("shop", [DENY_ALL])])
    endpoint = row(report, "endpoint")
    assert not endpoint.today.allowed
    assert endpoint.after.allowed
    assert endpoint.change.startswith("unblocked by ")
    assert "EgressFirewall shop/default egress[0] Allow to 203.0.113.0/24 on TCP 443" in endpoint.change


def test_an_undeclared_firewall_stays_blocked_and_says_what_to_declare(tmp_path: Path) -> None:
    report = run_preflight(tmp_path, spec_text(), [ns("shop"), firewall("shop", [DENY_ALL])])
    endpoint = row(report, "endpoint")
    assert not endpoint.after.allowed
    assert "declare egressFirewall for namespace shop" in endpoint.change
    assert report.blocked_after


def test_sdn_egress_network_policy_is_read_on_sdn_and_an_ovn_object_is_not(tmp_path: Path) -> None:
    source = "{name: east, openshiftVersion: '4.12', networkType: OpenShiftSDN}"
    state = [ns("shop"), firewall("shop", [DENY_ALL], kind="EgressNetworkPolicy", name="deny")]
    report = run_preflight(tmp_path, spec_text(source=source), state)
    assert [b.ref for b in row(report, "endpoint").today.blockers] == ["EgressNetworkPolicy shop/deny"]
    report = run_preflight(tmp_path, spec_text(), state)  # an OVN source: the SDN object is inert
    assert row(report, "endpoint").today.allowed


def test_sdn_before_410_ignores_egress_policies(tmp_path: Path) -> None:
    source = "{name: east, openshiftVersion: '4.9', networkType: OpenShiftSDN}"
    target = "{name: west, openshiftVersion: '4.9', networkType: OpenShiftSDN, cidrs: [203.0.113.0/24]}"
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    report = run_preflight(tmp_path, spec_text(source=source, target=target), [ns("shop"), deny], [ns("shop"), deny])
    endpoint, server = row(report, "endpoint"), row(report, "server")
    assert endpoint.today.allowed
    assert any("does not enforce egress" in n for n in endpoint.today.notes)
    assert not server.today.allowed  # ingress is enforced


# --- findings ----------------------------------------------------------------------------------------------------


def _rules(report: Report) -> list[str]:
    return sorted(p.rule for p in report.findings)


def test_two_firewalls_and_a_wrong_name(tmp_path: Path) -> None:
    state = [ns("shop"), firewall("shop", []), firewall("shop", [], name="extra")]
    report = run_preflight(tmp_path, spec_text(), state)
    assert _rules(report) == ["firewall-duplicate", "firewall-name"]
    assert report.blocked_after


def test_rule_limits(tmp_path: Path) -> None:
    many = [rule("Allow", {"cidrSelector": f"10.{i // 256}.{i % 256}.0/24"}) for i in range(7200)]
    report = run_preflight(tmp_path, spec_text(namespaces=declared(many)), [ns("shop"), firewall("shop", many)])
    assert _rules(report) == ["firewall-limit"]
    assert report.findings[0].severity.value == "warning"
    source = "{name: east, openshiftVersion: '3.11', networkType: OpenShiftSDN}"
    target = "{name: west, openshiftVersion: '4.12', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}"
    report = run_preflight(
        tmp_path,
        spec_text(source=source, target=target),  # not declared: nothing is added, the object is already over
        [ns("shop"), firewall("shop", many[:51], kind="EgressNetworkPolicy", name="fw")],
    )
    assert [(p.rule, p.severity.value) for p in report.findings] == [("firewall-limit", "error")]


def test_deny_all_without_an_allow_before_it_warns(tmp_path: Path) -> None:
    report = run_preflight(tmp_path, spec_text(), [ns("shop"), firewall("shop", [DENY_ALL])])
    assert _rules(report) == ["firewall-deny-all"]
    ok = [rule("Allow", {"cidrSelector": "172.30.0.1/32"}), DENY_ALL]
    assert _rules(run_preflight(tmp_path, spec_text(), [ns("shop"), firewall("shop", ok)])) == []


@pytest.mark.parametrize(
    ("version", "labels", "expected"),
    [
        pytest.param(
            "4.14", {"network.openshift.io/policy-group": "ingress"}, ["router-namespace-label"], id="414-legacy-only"
        ),
        pytest.param("4.14", ROUTER_LABELS, [], id="414-both"),
        pytest.param("4.6", {"network.openshift.io/policy-group": "ingress"}, [], id="46-legacy"),
    ],
)
def test_router_namespace_label(tmp_path: Path, version: str, labels: dict[str, str], expected: list[str]) -> None:
    source = f"{{name: east, openshiftVersion: '{version}', networkType: OVNKubernetes}}"
    target = f"{{name: west, openshiftVersion: '{version}', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}}"
    west = [ns("shop"), ns("openshift-ingress", labels)]
    assert _rules(run_preflight(tmp_path, spec_text(source=source, target=target), [ns("shop")], west)) == expected


def test_host_network_router_is_read_from_the_ingress_controller(tmp_path: Path) -> None:
    ic = {
        "apiVersion": "operator.openshift.io/v1",
        "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "openshift-ingress-operator"},
        "status": {"endpointPublishingStrategy": {"type": "HostNetwork"}},
    }
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "d", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    west = [ns("shop"), ns("openshift-ingress", ROUTER_LABELS), ns("openshift-host-network"), ic, deny]
    report = run_preflight(tmp_path, spec_text(extra="  networkPolicy: {mode: strict}\n"), [ns("shop")], west)
    assert _rules(report) == ["router-namespace-label"]  # openshift-host-network lacks the label
    assert not row(report, "server").after.allowed


def test_rsync_privileged_needs_pod_security_labels(tmp_path: Path) -> None:
    spec = spec_text(extra="  dvm: {rsyncPrivileged: true}\n")
    psa = {f"pod-security.kubernetes.io/{m}": "privileged" for m in ("enforce", "audit", "warn")}
    report = run_preflight(tmp_path, spec, [ns("shop", psa)], [ns("shop"), ns("openshift-ingress", ROUTER_LABELS)])
    assert [(p.rule, p.file.endswith("west.yaml")) for p in report.findings] == [("rsync-privileged-psa", True)]


def test_no_proxy_override_dropping_service_domains(tmp_path: Path) -> None:
    source = (
        "{name: east, openshiftVersion: '4.14', networkType: OVNKubernetes, "
        "proxy: {httpProxy: 'http://proxy.example.com:3128', noProxy: [.svc, example.com]}}"
    )
    report = run_preflight(tmp_path, spec_text(source=source), [ns("shop")])
    assert _rules(report) == ["no-proxy-service-domains"]
    assert report.findings[0].line > 0
    assert report.findings[0].file.endswith("spec.yaml")


# --- bad or partial state -----------------------------------------------------------------------------------


def _cli(
    tmp_path: Path, east_text: str | bytes, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(), encoding="utf-8")
    east = tmp_path / "east.yaml"
    east.write_bytes(east_text if isinstance(east_text, bytes) else east_text.encode())
    west = write_list(tmp_path / "west.yaml", [ns("shop"), ns("openshift-ingress", ROUTER_LABELS)])
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in (east, west)}
    code = run(["preflight", str(spec), "--state", f"east={east}", "--state", f"west={west}", *args])
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in (east, west)}
    assert before == after, "a state file was written"
    out, err = capsys.readouterr()
    return code, out, err


def _items(*items: Obj | str) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": list(items)})


BROKEN_POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "bad", "namespace": "shop"},
    "spec": {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("items: [", "invalid YAML", id="not-yaml"),
        pytest.param(b"\x00\x01binary", "binary data", id="binary"),
        pytest.param(
            _items(ns("shop"), BROKEN_POLICY),
            "items[1].spec.podSelector.matchExpressions[0].operator",
            id="broken-item",
        ),
        pytest.param(
            _items(ns("shop"), {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "namespace": "shop"}}),
            "v1 Pod: is not one of the exported kinds",
            id="unknown-kind",
        ),
        pytest.param(_items(ns("shop"), "just a string"), "items[1]", id="item-not-a-mapping"),
        pytest.param("a: &x [1]\nb: *x\n", "anchors and aliases", id="alias"),
        pytest.param(
            _items(ns("other")),
            "the migrated namespace shop is not in the state of cluster east",
            id="namespace-missing",
        ),
        pytest.param("", "holds no object", id="empty"),
        pytest.param(
            _items(ns("shop"), firewall("shop", [{"type": "Maybe", "to": {"cidrSelector": "0.0.0.0/0"}}])),
            "spec.egress[0].type",
            id="broken-firewall",
        ),
    ],
)
def test_bad_state_is_a_clear_error_with_file_and_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, expected: str
) -> None:
    code, out, err = _cli(tmp_path, text, capsys)
    assert code == 2, err
    assert expected in err
    assert "east.yaml" in err
    assert "Traceback" not in err + out


def test_broken_item_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(tmp_path, _items(ns("shop"), BROKEN_POLICY), capsys, "--format", "json")
    assert code == 2
    (problem,) = json.loads(out)["problems"]
    assert problem["line"] > 1
    assert problem["rule"] == "state-object"
    assert "NetworkPolicy shop/bad" in problem["message"]


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(), encoding="utf-8")
    east = write_list(tmp_path / "east.yaml", [ns("shop")])
    assert run(["preflight", str(spec), "--state", f"east={east}"]) == 2
    assert "no state for cluster 'west'" in capsys.readouterr().err
    assert run(["preflight", str(spec), "--state", f"east={east}", "--state", f"north={east}"]) == 2
    assert "'north' is not a cluster" in capsys.readouterr().err
    assert run(["preflight", str(spec), "--state", "east"]) == 2
    assert "CLUSTER=VALUE" in capsys.readouterr().err
    assert run(["preflight", str(spec), "--state", f"east={tmp_path / 'nope.yaml'}", "--state", f"west={east}"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_context_without_kubectl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(), encoding="utf-8")
    west = write_list(tmp_path / "west.yaml", [ns("shop")])
    assert run(["preflight", str(spec), "--context", "east=prod-east", "--state", f"west={west}"]) == 2
    assert "kubectl is not on the PATH" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "rule", "message"),
    [
        pytest.param(lambda d: d / "absent.yaml", "unreadable-file", "no such file", id="missing"),
        pytest.param(lambda d: d, "unreadable-file", "is a directory, expected an exported state (YAML)", id="folder"),
        pytest.param(
            lambda d: write_list(d / "big.yaml", [ns(f"n{i}") for i in range(20)]),
            "file-too-large",
            "bytes; the limit is 100",
            id="too-large",
        ),
        pytest.param(lambda _: Path("/dev/zero"), "unreadable-file", "is not a regular file", id="endless-device"),
        # a FIFO would block the reader until a writer comes: refused before it is opened
        pytest.param(
            lambda d: (os.mkfifo(d / "pipe.yaml"), d / "pipe.yaml")[1],
            "unreadable-file",
            "is not a regular file",
            id="fifo",
        ),
    ],
)
def test_state_file_reading_is_bounded_and_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, rule: str, message: str
) -> None:
    path = make(tmp_path)
    if not path.exists() and rule != "unreadable-file":
        pytest.skip(f"needs {path}")
    monkeypatch.setattr(state_module, "MAX_STATE_BYTES", 100)
    with pytest.raises(ProblemsError) as caught:
        state_module.load_state_file(path, "east.yaml")
    assert [(p.file, p.rule, p.line) for p in caught.value.problems] == [("east.yaml", rule, 0)]
    assert message in caught.value.problems[0].message
    assert rule in UNREADABLE_RULES


# --- the command line on the shipped example --------------------------------------------------------------------

EXAMPLE = EXAMPLES / "preflight"
EXAMPLE_ARGS = [
    "preflight",
    str(EXAMPLE / "shop-east-to-west.yaml"),
    "--state",
    f"east={EXAMPLE / 'east-state.yaml'}",
    "--state",
    f"west={EXAMPLE / 'west-state.yaml'}",
]


def test_example_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(EXAMPLE_ARGS) == 1
    out = capsys.readouterr().out
    assert "billing->billing-v2  endpoint    east/billing     BLOCKED  BLOCKED" in out
    assert "shop->shop           server      west/shop        BLOCKED  allowed" in out
    assert "still blocked: declare egressFirewall for namespace billing in the spec" in out
    assert out.rstrip().endswith("1 of 6 connection(s) blocked after the generated output")


def test_example_json_and_github(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*EXAMPLE_ARGS, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["blockedAfter"] is True
    blocked = [(c["sourceNamespace"], c["connection"]) for c in data["connections"] if not c["after"]["allowed"]]
    assert blocked == [("billing", "endpoint")]
    assert run([*EXAMPLE_ARGS, "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 1
    assert "title=dvm-endpoint" in errors[0]
    assert "line=" in errors[0]


def test_exit_0_when_nothing_blocks_after(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(namespaces="[shop]"), encoding="utf-8")
    east = write_list(tmp_path / "east.yaml", [ns("shop"), ns("openshift-dns")])
    west = write_list(tmp_path / "west.yaml", [ns("shop"), ns("openshift-ingress", ROUTER_LABELS)])
    assert run(["preflight", str(spec), "--state", f"east={east}", "--state", f"west={west}"]) == 0
    assert "0 of 3 connection(s) blocked" in capsys.readouterr().out


def test_named_ports_match_the_rsync_server_and_never_an_address(tmp_path: Path) -> None:
    by_name = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "named", "namespace": "shop"},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"port": "stunnel"}]}],
            "egress": [{"ports": [{"port": "https"}]}],
        },
    }
    state = [ns("shop"), by_name]
    report = run_preflight(tmp_path, spec_text(), state, [*state, ns("openshift-ingress", ROUTER_LABELS)])
    assert row(report, "server").today.allowed  # `stunnel` is the server's 6443
    assert not row(report, "endpoint").today.allowed  # a named port says nothing about an outside address


def test_dns_on_47_is_evaluated_at_the_openshift_dns_pods(tmp_path: Path) -> None:
    source = "{name: east, openshiftVersion: '4.7', networkType: OVNKubernetes}"
    target = "{name: west, openshiftVersion: '4.12', networkType: OVNKubernetes, cidrs: [203.0.113.0/24]}"
    dns_only = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "dns", "namespace": "shop"},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"dns": "yes"}}}]}],
        },
    }
    state = [ns("shop"), ns("openshift-dns", {"dns": "yes"}), dns_only]
    report = run_preflight(tmp_path, spec_text(source=source, target=target), state)
    assert row(report, "dns").today.allowed
    assert not row(report, "endpoint").today.allowed


def test_context_reads_live_state_with_kubectl_get_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in for kubectl (no cluster here): logs its arguments, answers each `get` like a cluster without
    # the SDN firewall API.
    log = tmp_path / "argv.log"
    state = {
        "namespace": _items(ns("shop"), ns("openshift-dns")),
        "networkpolicy": _items(),
        "egressfirewall": _items(),
        "ingresscontroller": _items(),
    }
    for kind, text in state.items():
        (tmp_path / f"{kind}.yaml").write_text(text, encoding="utf-8")
    stub = tmp_path / "bin" / "kubectl"
    stub.parent.mkdir()
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        f'f="{tmp_path}/$4.yaml"\n'
        'if [ -f "$f" ]; then cat "$f"; exit 0; fi\n'
        'echo "error: the server doesn\'t have a resource type \\"$4\\"" >&2; exit 1\n',
        encoding="utf-8",
    )
    stub.chmod(0o755)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(), encoding="utf-8")
    west = write_list(tmp_path / "west.yaml", [ns("shop"), ns("openshift-ingress", ROUTER_LABELS)])
    monkeypatch.setenv("PATH", f"{stub.parent}:{os.environ['PATH']}")
    argv = ["preflight", str(spec), "--context", "east=prod-east", "--state", f"west={west}", "--format", "json"]
    code = run(argv)
    assert code == 0, capsys.readouterr().err
    calls = log.read_text(encoding="utf-8").splitlines()
    assert {c.split()[2] for c in calls} == {"get"}
    assert all(c.startswith("--context prod-east get ") and c.endswith(" -A -o yaml") for c in calls)
    assert json.loads(capsys.readouterr().out)["blockedAfter"] is False


# --- OpenShift SDN specifics (openshift/sdn behaviour) --------------------------------------------------------

NAMED_ONLY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "named", "namespace": "shop"},
    "spec": {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"ports": [{"port": "stunnel"}]}],
        "egress": [{"ports": [{"protocol": "UDP", "port": "dns"}, {"protocol": "TCP", "port": "dns-tcp"}]}],
    },
}


@pytest.mark.parametrize(
    ("plugin", "allowed"),
    [pytest.param("OVNKubernetes", True, id="ovn-supports-named-ports"), pytest.param("OpenShiftSDN", False, id="sdn")],
)
def test_named_ports_are_ignored_by_openshift_sdn(tmp_path: Path, plugin: str, allowed: bool) -> None:
    """openshift/sdn skips a port entry with a named port ("unsupported named port"): a rule whose ports are all
    named allows nothing. OVN-Kubernetes resolves them. Server ingress on `stunnel`, DNS egress on `dns`."""
    source = f"{{name: east, openshiftVersion: '4.12', networkType: {plugin}}}"
    target = f"{{name: west, openshiftVersion: '4.12', networkType: {plugin}, cidrs: [203.0.113.0/24]}}"
    state = [ns("shop"), NAMED_ONLY]
    report = run_preflight(
        tmp_path,
        spec_text(source=source, target=target),
        [*state, ns("openshift-dns")],
        [*state, ns("openshift-ingress", ROUTER_LABELS)],
    )
    for connection in ("server", "dns"):
        verdict = row(report, connection).today
        assert verdict.allowed is allowed, connection
        assert [b.ref for b in verdict.blockers] == ([] if allowed else ["NetworkPolicy shop/named"]), connection


@pytest.mark.parametrize(
    ("kind", "plugin", "allowed"),
    [
        pytest.param("EgressNetworkPolicy", "OpenShiftSDN", False, id="sdn-corrects-to-deny-all"),
        pytest.param("EgressFirewall", "OVNKubernetes", True, id="ovn-reads-it-literally"),
    ],
)
def test_deny_0_0_0_0_32(tmp_path: Path, kind: str, plugin: str, allowed: bool) -> None:
    """openshift/sdn installs an EgressNetworkPolicy `Deny 0.0.0.0/32` as 0.0.0.0/0 (kept for backward
    compatibility): deny-all, and the deny-all finding fires. OVN's EgressFirewall has no such correction."""
    source = f"{{name: east, openshiftVersion: '4.12', networkType: {plugin}}}"
    deny = rule("Deny", {"cidrSelector": "0.0.0.0/32"})
    report = run_preflight(tmp_path, spec_text(source=source), [ns("shop"), firewall("shop", [deny], kind=kind)])
    endpoint = row(report, "endpoint").today
    assert endpoint.allowed is allowed
    assert [b.ref for b in endpoint.blockers] == ([] if allowed else [f"{kind} shop/default"])
    assert ("firewall-deny-all" in _rules(report)) is not allowed


def test_generator_inserts_before_a_deny_0_0_0_0_32_in_a_base_firewall() -> None:
    """The generator's reading of a held firewall agrees: any Deny ends what counts as held, so a DVM rule
    below `Deny 0.0.0.0/32` is inserted again at the top."""
    from generator.mtc.firewall import rules_to_insert  # noqa: PLC0415

    ours = [rule("Allow", {"cidrSelector": "203.0.113.0/24"})]
    assert rules_to_insert(ours, [rule("Deny", {"cidrSelector": "0.0.0.0/32"}), *ours]) == ours


HOST_NETWORK_IC = {
    "apiVersion": "operator.openshift.io/v1",
    "kind": "IngressController",
    "metadata": {"name": "default", "namespace": "openshift-ingress-operator"},
    "status": {"endpointPublishingStrategy": {"type": "HostNetwork"}},
}
LEGACY_ROUTER_SELECTOR = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "from-routers", "namespace": "shop"},
    "spec": {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "ingress"}}}]}
        ],
    },
}


@pytest.mark.parametrize(
    ("version", "plugin", "today_allowed"),
    [
        pytest.param("4.6", "OpenShiftSDN", False, id="sdn-46-router-is-default"),
        pytest.param("4.7", "OpenShiftSDN", True, id="sdn-47-openshift-host-network"),
        pytest.param("4.6", "OVNKubernetes", True, id="ovn-46"),
    ],
)
def test_host_network_router_on_sdn_46_never_matches_the_router_label(
    tmp_path: Path, version: str, plugin: str, today_allowed: bool
) -> None:
    """SDN 4.6: only namespace default has VNID 0 (openshift-host-network joins it in 4.7): host-network router
    traffic matches no policy-group label selector. The strict policy generated for 4.6 SDN admits port 6443 from
    any source, so after the output the server is reachable; preflight says what blocks it today."""
    source = f"{{name: east, openshiftVersion: '{version}', networkType: {plugin}}}"
    target = f"{{name: west, openshiftVersion: '{version}', networkType: {plugin}, cidrs: [203.0.113.0/24]}}"
    legacy = {"network.openshift.io/policy-group": "ingress"}
    west = [
        ns("shop"),
        ns("default"),
        ns("openshift-ingress", legacy),
        ns("openshift-host-network", legacy),
        HOST_NETWORK_IC,
        LEGACY_ROUTER_SELECTOR,
    ]
    spec = spec_text(source=source, target=target, extra="  networkPolicy: {mode: strict}\n")
    report = run_preflight(tmp_path, spec, [ns("shop")], west)
    server = row(report, "server")
    assert server.today.allowed is today_allowed
    assert [b.ref for b in server.today.blockers] == ([] if today_allowed else ["NetworkPolicy shop/from-routers"])
    assert server.after.allowed
    assert ("router-host-network-default" in _rules(report)) is (not today_allowed)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("exec cat /dev/zero\n", "printed more than"),  # prints without end: capped, never held whole
        ("printf 'kind: List\\nitems: []\\n\\377\\376'\n", "not UTF-8"),  # binary output: a clean problem
    ],
    ids=["endless", "binary"],
)
def test_context_output_is_bounded_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, body: str, message: str
) -> None:
    stub = tmp_path / "bin" / "kubectl"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    stub.chmod(0o755)
    monkeypatch.setattr("generator.preflight.state.MAX_STATE_BYTES", 1 << 20)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(), encoding="utf-8")
    west = write_list(tmp_path / "west.yaml", [ns("shop"), ns("openshift-ingress", ROUTER_LABELS)])
    monkeypatch.setenv("PATH", f"{stub.parent}:{os.environ['PATH']}")
    code = run(["preflight", str(spec), "--context", "east=prod-east", "--state", f"west={west}"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert "internal error" not in err
