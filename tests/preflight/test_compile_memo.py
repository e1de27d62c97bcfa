"""Specs and firewall rules stamped into many namespaces are compiled once, and only equal ones are shared."""

from __future__ import annotations

from typing import Any

import pytest

from generator.preflight.firewall import EF_KIND, RuleMemo, compile_firewall
from generator.preflight.netpol import PolicyError, SpecParts, compile_policy


def _policy(namespace: str, port: Any) -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": "allow-web"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": port}]}], "policyTypes": ["Ingress"]},
    }


def test_an_equal_spec_is_compiled_once_and_keeps_each_policys_name() -> None:
    memo: dict[str, SpecParts] = {}
    first = compile_policy(_policy("shop", 8080), "items[0]", memo=memo)
    second = compile_policy(_policy("bank", 8080), "items[1]", memo=memo)
    assert (first.namespace, second.namespace, second.where) == ("shop", "bank", "items[1]")
    assert second.ingress is first.ingress
    assert len(memo) == 1
    other = compile_policy(_policy("bank", 8443), "items[2]", memo=memo)
    assert other.ingress is not None
    assert other.ingress[0].ports is not None
    assert other.ingress[0].ports[0].port == 8443
    assert compile_policy(_policy("x", "http"), "items[3]", memo=memo).ingress != first.ingress  # "http" != 8080


def test_a_broken_spec_fails_every_time() -> None:
    memo: dict[str, SpecParts] = {}
    for _ in range(2):
        with pytest.raises(PolicyError):
            compile_policy(_policy("shop", 0), "items[0]", memo=memo)
    assert memo == {}


def test_a_firewall_rule_is_shared_only_at_the_same_place() -> None:
    allow = {"type": "Allow", "to": {"cidrSelector": "192.0.2.0/24"}}
    deny = {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}
    memo: RuleMemo = {}

    def firewall(namespace: str, rules: list[dict[str, Any]]) -> Any:
        obj = {"kind": EF_KIND, "metadata": {"namespace": namespace, "name": "default"}, "spec": {"egress": rules}}
        return compile_firewall(obj, "items[0]", memo=memo)

    a, b, swapped = firewall("shop", [allow, deny]), firewall("bank", [allow, deny]), firewall("x", [deny, allow])
    assert b.rules[0] is a.rules[0]
    assert [r.index for r in swapped.rules] == [0, 1]
    assert [r.allow for r in swapped.rules] == [False, True]
