"""A cluster's state as `oc get namespace,networkpolicy,egressnetworkpolicy,egressfirewall,ingresscontroller -A
-o yaml` exports it (a `List`), or as a multi-document stream, read from a file or live through kubectl.

Safety as in the spec loader (generator/clusterpair/yamlsource.py): a size cap, UTF-8 text only, a nesting cap, and
no aliases (an export never has them, and refusing them stops alias bombs). The fast path loads with libyaml
and never records positions; only when an object is broken is the file composed again to find its line.
State files are only ever read.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from generator.clusterpair.yamlsource import read_bounded
from generator.preflight.firewall import EF_KIND, ENP_KIND, Firewall, RuleMemo, compile_firewall
from generator.preflight.netpol import Policy, PolicyError, SpecParts, compile_policy
from generator.preflight.yamlread import Loader, decode, documents
from generator.problems import Problem, ProblemsError
from generator.records import record

# Reading a state costs about 65 MiB of memory and 1.2 s of CPU per MiB (bench/state_limit.py): at 16 MiB
# (some 15,000 NetworkPolicies) about 1 GiB and 20 s. A larger limit would promise what memory cannot give.
MAX_STATE_BYTES = 16 * 1024 * 1024
# (API group, kind) of what the export command lists.
KINDS: dict[str, str] = {
    "Namespace": "",
    "NetworkPolicy": "networking.k8s.io",
    ENP_KIND: "network.openshift.io",
    EF_KIND: "k8s.ovn.org",
    "IngressController": "operator.openshift.io",
}
EXPORT_RESOURCES = "namespace,networkpolicy,egressnetworkpolicy,egressfirewall,ingresscontroller"
KUBECTL_TIMEOUT_S = 120

Obj = dict[str, Any]


@record(frozen=False)
class ClusterState:
    """Everything preflight reads of one cluster, indexed by namespace."""

    origin: str  # the file, or "context NAME"
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> labels
    policies: dict[str, list[Policy]] = field(default_factory=dict)
    firewalls: dict[str, list[Firewall]] = field(default_factory=dict)
    ingress_controllers: dict[str, Obj] = field(default_factory=dict)  # name -> object
    counts: dict[str, int] = field(default_factory=dict)  # kind -> objects read
    # NetworkPolicy specs compiled so far: a project template stamps the same ones into every namespace
    specs: dict[str, SpecParts] = field(default_factory=dict, repr=False, compare=False)
    rules: RuleMemo = field(default_factory=dict, repr=False, compare=False)  # the same for firewall rules


def missing_namespaces(state: ClusterState, cluster: str, namespaces: Iterable[str]) -> list[Problem]:
    """Migrated namespaces absent from the source cluster's state: the export is partial, nothing can be said
    about their connections (the one place `state-namespace-missing` is decided)."""
    return [
        Problem.of(
            state.origin,
            "state-namespace-missing",
            f"the migrated namespace {name} is not in the state of cluster {cluster}",
            suggestion="export every namespace: oc get namespace,networkpolicy,... -A -o yaml",
        )
        for name in namespaces
        if name not in state.namespaces
    ]


def read_state_bytes(path: Path, display: str) -> bytes:
    """Read a state file, bounded; never opened for writing."""
    return read_bounded(
        path,
        display,
        limit=MAX_STATE_BYTES,
        expected="an exported state (YAML)",
        too_large=lambda size: f"file is {size:,} bytes; the limit is {MAX_STATE_BYTES:,}",
    )


def _items(documents: list[object], display: str) -> Iterator[tuple[tuple[int, ...], str, object]]:
    """(index path, where, object) of every object: List items, or documents of a stream."""
    for d, doc in enumerate(documents):
        if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and "items" in doc:
            items = doc["items"] or []
            if not isinstance(items, list):
                raise ProblemsError.of(display, "state-item", f"document {d + 1}: `items` of the List is not a list")
            prefix = f"document {d + 1} " if len(documents) > 1 else ""
            for i, item in enumerate(items):
                yield (d, i), f"{prefix}items[{i}]", item
        else:
            yield (d,), f"document {d + 1}", doc


class _Locator:
    """Line and column of objects, composing the file again once, on the first error (never per object).

    Composing per broken object made N bad items cost N parses of the file: quadratic.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._nodes: list[yaml.Node] | None = None

    def __call__(self, index: tuple[int, ...]) -> tuple[int, int]:
        if self._nodes is None:
            try:
                self._nodes = [n for n in yaml.compose_all(self._text, Loader=Loader) if n is not None]
            except yaml.YAMLError:
                self._nodes = []
        try:
            node = self._nodes[index[0]]
            if len(index) > 1 and isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == "items" and isinstance(value, yaml.SequenceNode):
                        node = value.value[index[1]]
            return node.start_mark.line + 1, node.start_mark.column + 1
        except IndexError:
            return 0, 0


def _name(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return "", ""
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def parse_state(text: str, display: str) -> ClusterState:
    """Parse an export; raises `ProblemsError` naming the file and object of everything it cannot read."""
    docs = documents(text, display)
    state = ClusterState(display)
    problems: list[Problem] = []
    locate = _Locator(text)
    for index, where, obj in _items(docs, display):
        fault = _read_object(state, obj, where)
        if fault is not None:
            problems.append(_object_problem(display, locate(index), where, fault))
    if problems:
        raise ProblemsError(problems)
    if not any(state.counts.values()):
        raise ProblemsError.of(
            display, "state-empty", "holds no object", suggestion=f"export with: oc get {EXPORT_RESOURCES} -A -o yaml"
        )
    return state


@record
class _Fault:
    """Why one object of an export cannot be read: `what` names the object, `path` the field."""

    what: str
    path: str
    message: str
    fix: str = ""


def _object_problem(display: str, position: tuple[int, int], where: str, fault: _Fault) -> Problem:
    line, column = position
    field_path = f"{where}.{fault.path}" if fault.path else where
    return Problem.of(
        display,
        "state-object",
        f"{fault.what}: {fault.message}",
        line=line,
        column=column,
        path=field_path,
        suggestion=fault.fix,
    )


def _read_object(state: ClusterState, obj: object, where: str) -> _Fault | None:
    """Add one exported object to `state`, or say why it cannot be read."""
    if not isinstance(obj, dict):
        return _Fault("an item", "", "is not a Kubernetes object (a mapping with apiVersion and kind)")
    kind = obj.get("kind")
    api = obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str):
        return _Fault("an item", "", "has no apiVersion or kind")
    if KINDS.get(kind) != api.rpartition("/")[0]:
        return _Fault(
            f"{api} {kind}",
            "kind",
            f"is not one of the exported kinds ({', '.join(sorted(KINDS))})",
            f"export with: oc get {EXPORT_RESOURCES} -A -o yaml",
        )
    namespace, name = _name(obj)
    namespaced = kind != "Namespace"
    if not name or (namespaced and not namespace):
        return _Fault(kind, "metadata", "needs metadata.name" + (" and metadata.namespace" if namespaced else ""))
    what = f"{kind} {namespace}/{name}" if namespaced else f"Namespace {name}"
    state.counts[kind] = state.counts.get(kind, 0) + 1
    try:
        _add_object(state, kind, (namespace, name), obj, where)
    except PolicyError as exc:
        return _Fault(what, exc.path, str(exc).removeprefix(f"{exc.path}: "))
    return None


def _add_object(state: ClusterState, kind: str, ref: tuple[str, str], obj: Obj, where: str) -> None:
    """File a checked object under its kind; raises `PolicyError` when its content cannot be read."""
    namespace, name = ref
    if kind == "Namespace":
        labels = obj["metadata"].get("labels") or {}
        if not isinstance(labels, dict):
            raise PolicyError("metadata.labels", "labels map keys to strings")
        state.namespaces[name] = {str(k): str(v) for k, v in labels.items()}
    elif kind == "NetworkPolicy":
        state.policies.setdefault(namespace, []).append(compile_policy(obj, where, memo=state.specs))
    elif kind in (ENP_KIND, EF_KIND):
        state.firewalls.setdefault(namespace, []).append(compile_firewall(obj, where, memo=state.rules))
    else:
        state.ingress_controllers[name] = obj


def load_state_file(path: Path, display: str | None = None) -> ClusterState:
    shown = display if display is not None else str(path)
    return parse_state(decode(read_state_bytes(path, shown), shown), shown)


class CaptureLimitError(Exception):
    """A command printed more than the limit."""


_STDERR_LIMIT = 64 * 1024


def capture(argv: list[str], limit: int, deadline: float) -> tuple[int, bytes, bytes]:
    """Run `argv` and collect its stdout (at most `limit` bytes) and stderr (at most 64 KiB) until it exits
    or `deadline` (time.monotonic()) passes; the process is killed on either bound, before it can fill memory.

    Raises `CaptureLimitError` or `subprocess.TimeoutExpired` (with the bound in the message), or OSError."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None  # noqa: S101 - a pipe
    assert proc.stderr is not None  # noqa: S101 - a pipe
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    chunks: dict[int, list[bytes]] = {out_fd: [], err_fd: []}
    sizes = dict.fromkeys(chunks, 0)
    limits = {out_fd: limit, err_fd: _STDERR_LIMIT}
    try:
        with selectors.DefaultSelector() as selector:
            for fd in chunks:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(argv, KUBECTL_TIMEOUT_S)
                for key, _ in selector.select(min(left, 1.0)):
                    data = os.read(key.fd, 1 << 16)
                    if not data:
                        selector.unregister(key.fd)
                        continue
                    sizes[key.fd] += len(data)
                    if sizes[key.fd] > limits[key.fd]:
                        raise CaptureLimitError(f"printed more than {limits[key.fd]:,} bytes")
                    chunks[key.fd].append(data)
        code = proc.wait(max(deadline - time.monotonic(), 0.1))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return code, b"".join(chunks[out_fd]), b"".join(chunks[err_fd])


def load_state_live(context: str, kubectl: str | None = None) -> ClusterState:
    """Read the same objects through `kubectl --context CONTEXT get ... -o yaml` (read-only).

    Each resource is asked separately: a cluster lacks one of the two firewall APIs, which is not an error.
    """
    origin = f"context {context}"
    binary = kubectl or shutil.which("kubectl")
    if binary is None:
        raise ProblemsError.of(
            origin,
            "unreadable-state",
            "kubectl is not on the PATH",
            suggestion="export the state to a file and pass --state",
        )
    docs: list[str] = []
    deadline = time.monotonic() + KUBECTL_TIMEOUT_S  # one deadline for the run, not one per resource
    budget = MAX_STATE_BYTES  # everything kubectl prints counts against the state limit
    for resource in EXPORT_RESOURCES.split(","):
        argv = [binary, "--context", context, "get", resource, "-A", "-o", "yaml"]
        try:
            code, out, err = capture(argv, budget, deadline)
        except subprocess.TimeoutExpired:
            why = f"kubectl gave no full answer within {KUBECTL_TIMEOUT_S} s"
            raise ProblemsError.of(origin, "unreadable-state", why) from None
        except CaptureLimitError as exc:
            raise ProblemsError.of(
                origin, "unreadable-state", f"kubectl get {resource} {exc}, the state limit"
            ) from None
        except OSError as exc:
            raise ProblemsError.of(
                origin, "unreadable-state", f"kubectl failed: {exc.strerror or type(exc).__name__}"
            ) from None
        stderr = err.decode("utf-8", errors="replace")
        if code != 0:
            missing_api = "the server doesn't have a resource type" in stderr
            if missing_api and resource in ("egressnetworkpolicy", "egressfirewall", "ingresscontroller"):
                continue
            first = (stderr.strip().splitlines() or ["no message"])[0][:300]
            raise ProblemsError.of(origin, "unreadable-state", f"kubectl get {resource} exited {code}: {first}")
        budget -= len(out)
        docs.append(decode(out, origin))
    return parse_state("\n---\n".join(docs), origin)
