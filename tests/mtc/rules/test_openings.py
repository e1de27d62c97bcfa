"""The rules of generator/mtc/rules/openings.py: each fails where it should.

Each case is the spec as written (inline YAML): the line and column of the expected problem can be read off it.
The specs that pass every rule are in tests/mtc/rules/test_registry.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.problems import Severity
from tests.mtc.rules.cases import Case, assert_fails, case

FAILING = [
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  openings: {state: closed}
  namespaces:
    - app1
""",
        "openings-window",
        Severity.INFO,
        "spec.openings.state",
        15,
        21,
        "the openings are closed",
        id="openings-window-closed",
    ),
    case(
        """\
apiVersion: mtc-policygen.io/v1alpha1
kind: ClusterPair
metadata:
  name: pair
spec:
  source:
    name: src
    openshiftVersion: "4.12"
    networkType: OVNKubernetes
  target:
    name: tgt
    openshiftVersion: "4.14"
    networkType: OVNKubernetes
    cidrs: [203.0.113.0/24]
  openings: {closesAt: 2020-01-01T00:00:00Z}
  namespaces:
    - app1
""",
        "openings-window",
        Severity.INFO,
        "spec.openings.closesAt",
        15,
        24,
        "the openings closed at 2020-01-01T00:00:00Z",
        "state: closed",
        id="openings-window-passed",
    ),
]


@pytest.mark.parametrize("c", FAILING)
def test_rule_fails(c: Case, spec_dir: Path) -> None:
    assert_fails(c, spec_dir)
