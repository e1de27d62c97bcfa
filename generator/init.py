"""A starter ClusterPair spec: from a few answers to a commented YAML file that validates as written.

`mtc-policygen init` is the thin command over this module; it asks the questions and writes the file. Here the
answers are checked and turned into text; the text is then loaded and validated like any spec, so what `init`
writes is exactly what `validate` accepts.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator import api
from generator.mtc.network import Environment
from generator.problems import Problem
from generator.records import record

NETWORK_TYPES = ("OpenShiftSDN", "OVNKubernetes")
ENDPOINT_TYPES = ("Route", "NodePort", "ClusterIP")
POLICY_MODES = ("open", "strict", "none")
# TEST-NET-3 (RFC 5737): a documentation range that matches no real host, so a forgotten placeholder opens nothing.
PLACEHOLDER_CIDR = "203.0.113.0/24"

_VERSION = re.compile(r"^(3\.11|4\.\d{1,2})$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class AnswerError(ValueError):
    """An answer `init` cannot use; the message says what it takes."""


@record
class ClusterAnswer:
    version: str
    network_type: str | None


@record
class Answers:
    source: ClusterAnswer
    target: ClusterAnswer
    namespaces: tuple[str, ...]
    name: str | None = None
    source_name: str | None = None
    target_name: str | None = None
    egress_firewall: bool = False
    target_cidrs: tuple[str, ...] = ()
    endpoint: str = "Route"
    policy_mode: str = "open"
    closes_at: str | None = None  # RFC 3339 UTC; None: no deadline


def parse_cluster(raw: str, what: str) -> ClusterAnswer:
    """`4.12/OVNKubernetes` or `4.12` (network type left to the defaults) into its parts."""
    version, _, network = raw.strip().partition("/")
    if not _VERSION.match(version):
        raise AnswerError(f"{what} {raw!r}: give the OpenShift version as 3.11 or 4.N, e.g. 4.12/OVNKubernetes")
    if network and network not in NETWORK_TYPES:
        raise AnswerError(f"{what} {raw!r}: the network type is one of {', '.join(NETWORK_TYPES)}")
    return ClusterAnswer(version, network or None)


def parse_names(raw: str, what: str) -> tuple[str, ...]:
    """A comma-separated list of DNS-1123 labels (namespace names), each once."""
    names = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    if not names:
        raise AnswerError(f"{what}: give at least one name, e.g. app1,app2")
    for name in names:
        if not _DNS_LABEL.match(name):
            raise AnswerError(f"{what}: {name!r} is not a namespace name (lower-case letters, digits and '-')")
    return names


def _cluster_name(answer: ClusterAnswer) -> str:
    return "ocp" + answer.version.replace(".", "")


def cluster_names(answers: Answers) -> tuple[str, str]:
    """The clusters' names as given, else from their versions (`ocp412`), told apart when the versions match."""
    source = answers.source_name or _cluster_name(answers.source)
    target = answers.target_name or _cluster_name(answers.target)
    if source == target and not (answers.source_name and answers.target_name):
        source, target = (source, f"{target}-target") if answers.source_name else (f"{source}-source", target)
    return source, target


def pair_name(answers: Answers) -> str:
    source, target = cluster_names(answers)
    return answers.name or f"{source}-to-{target}"


def _cluster_block(role: str, name: str, answer: ClusterAnswer, extra: list[str]) -> list[str]:
    version = f'    openshiftVersion: "{answer.version}"   # quoted: YAML reads 4.10 unquoted as 4.1'
    lines = [f"  {role}:", f"    name: {name}", version]
    if answer.network_type:
        lines.append(f"    networkType: {answer.network_type}")
    else:
        lines.append("    # networkType: OVNKubernetes   # or OpenShiftSDN; needed on 4.1-4.16 for an egress firewall")
    return lines + extra


def _target_extra(answers: Answers) -> list[str]:
    lines = [
        f"    rsyncEndpointType: {answers.endpoint}   # Route, NodePort (MTC 1.7.7+) or ClusterIP (same cluster)",
    ]
    if answers.target_cidrs:
        cidrs = ", ".join(answers.target_cidrs)
        lines += [
            "    # Where the source reaches this cluster for DVM (router VIPs for Route, workers for NodePort).",
            f"    cidrs: [{cidrs}]",
        ]
    elif needs_cidrs(answers):
        lines += [
            "    # REPLACE: where the source reaches this cluster for DVM (router VIPs or load balancer for Route,",
            f"    # the workers' InternalIPs for NodePort). {PLACEHOLDER_CIDR} is a documentation range that",
            "    # matches no host: until you replace it DVM's allow rules reach nothing.",
            f"    cidrs: [{PLACEHOLDER_CIDR}]",
        ]
    else:
        lines.append("    # cidrs: [203.0.113.0/24]   # needed by strict egress and egress firewall rules")
    return lines


def _namespace_lines(answers: Answers) -> list[str]:
    lines = [
        "  # The namespaces to migrate: a name, or {source: a, target: b} to rename it on the target.",
        "  namespaces:",
    ]
    for namespace in answers.namespaces:
        if not answers.egress_firewall:
            lines.append(f"    - {namespace}")
            continue
        lines += [
            f"    - source: {namespace}",
            "      # Its egress firewall: the overlay holds the whole firewall, the DVM Allow rules first.",
            "      # List its current rules here (they are kept after DVM's), or remove `rules` and put the",
            "      # firewall in the source's `base` to have it patched instead (docs/clusterpair-reference.md).",
            "      egressFirewall:",
            "        name: default",
            "        rules: []   # e.g. - {type: Deny, to: {cidrSelector: 0.0.0.0/0}}",
        ]
    return lines


def needs_cidrs(answers: Answers) -> bool:
    """Whether the spec must say where the source reaches the target: for egress firewall rules, and for strict
    egress to a Route or NodePort endpoint (a ClusterIP endpoint is reached inside one cluster)."""
    strict = answers.policy_mode == "strict" and answers.endpoint != "ClusterIP"
    return answers.egress_firewall or strict


def render(answers: Answers) -> str:
    """The spec's text: every line a user may want to change carries a comment saying what it takes."""
    source, target = cluster_names(answers)
    lines = [
        "# A ClusterPair spec written by `mtc-policygen init`. Every field: docs/clusterpair-reference.md.",
        "# Check it with `mtc-policygen validate FILE`; write the overlays with `mtc-policygen generate FILE`.",
        "apiVersion: mtc-policygen.io/v1alpha1",
        "kind: ClusterPair",
        "metadata:",
        f"  name: {pair_name(answers)}   # names the folder overlays/<name>/",
        "spec:",
        '  # The MTC version (1.7 or 1.8) follows from the clusters\' versions; pin it with mtcVersion: "1.8".',
        "  controlCluster: target   # the cluster that runs the MTC controller and UI",
        *_cluster_block("source", source, answers.source, []),
        *_cluster_block("target", target, answers.target, _target_extra(answers)),
        "  # dvm:   # a TCP proxy the source must use to reach the target, read at render time",
        "  #   stunnelTCPProxy: {url: http://proxy.example.com:3128, username: dvm,"
        " passwordFrom: {env: DVM_PROXY_PASSWORD}}",
        "  networkPolicy:",
        f"    mode: {answers.policy_mode}   # open: allow-all for the rsync pods; strict: least privilege; none",
        *_openings_lines(answers),
        *_namespace_lines(answers),
    ]
    return "\n".join(lines) + "\n"


def _openings_lines(answers: Answers) -> list[str]:
    if answers.closes_at is None:
        return []
    return [
        "  # DVM's holes in NetworkPolicies and egress firewalls are a window: from closesAt on, the output",
        "  # holds none of them (MTC itself stays). Move the deadline, or set state: closed after cutover",
        "  # (docs/openings.md).",
        "  openings:",
        "    state: open",
        f'    closesAt: "{answers.closes_at}"',
    ]


def check(text: str, path: Path) -> list[Problem]:
    """What `validate` would say of `text` written at `path` (nothing is written here)."""
    return api.load_text(text, str(path), path.resolve().parent, Environment()).problems
