"""One firewall-rule format: preflight reads an exported rule exactly as strictly as the generator checks a rule
given in a spec (`mtc/firewall.existing_rule_problems`), so the two cannot disagree on what a valid rule is."""

from __future__ import annotations

from typing import Any

import pytest

from generator.clusterpair.model import NetworkType
from generator.mtc.firewall import existing_rule_problems
from generator.preflight.firewall import EF_KIND, ENP_KIND, compile_firewall
from generator.preflight.netpol import PolicyError

RULES: list[Any] = [
    {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}},
    {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}},
    {"type": "Allow", "to": {"dnsName": "dvm-app.apps.example.com"}},
    {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}, "ports": [{"protocol": "TCP", "port": 443}]},
    {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}, "ports": [{"port": 443}]},
    {"type": "allow", "to": {"cidrSelector": "203.0.113.0/24"}},
    {"type": "Allow", "to": {"cidrSelector": "203.0.113.0"}},
    {"type": "Allow", "to": {"cidrSelector": "2001:db8::/32"}},
    {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24", "dnsName": "x.example.com"}},
    {"type": "Allow", "to": {"nodeSelector": {"matchLabels": {"a": "b"}}}},
    {"type": "Allow", "to": {"dnsName": "bad name"}},
    {"type": "Allow", "to": {"cidrSelector": "203.0.113.0/24"}, "extra": 1},
    {"type": "Allow"},
    "Allow",
]


def _firewall(kind: str, rule: object) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"namespace": "shop", "name": "default"}, "spec": {"egress": [rule]}}


@pytest.mark.parametrize("kind", [ENP_KIND, EF_KIND])
@pytest.mark.parametrize("rule", RULES, ids=[str(i) for i in range(len(RULES))])
def test_preflight_and_the_generator_agree_on_each_rule(kind: str, rule: object) -> None:
    network = NetworkType.OPENSHIFT_SDN if kind == ENP_KIND else NetworkType.OVN_KUBERNETES
    valid = not existing_rule_problems(rule, network)
    try:
        compile_firewall(_firewall(kind, rule), "state.yaml")
    except PolicyError:
        compiled = False
    else:
        compiled = True
    assert compiled is valid, (kind, rule)
