"""Items as composed YAML nodes: read what a decision needs, edit only what changes, pass the rest through.

An item that is not ours is never turned into Python values and back, so it leaves exactly as it came (no
re-typing of `017`, `on` or dates by a YAML 1.1 round trip, no lost quoting).
"""

from __future__ import annotations

from typing import Any

import yaml

from generator.clusterpair.yamlparse import source_of
from generator.mtc.install import LEGACY_DEPLOYMENT, MTC_NAMESPACE
from generator.render.yamlout import represent
from generator.transform import InsertRules, MergeController, Plan, ReplaceObject, SetValues

Obj = dict[str, Any]
STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
# Read whole (the transformer may patch or compare them); of any other item only the head is read.
WHOLE_KINDS = frozenset({"MigrationController", "EgressFirewall", "EgressNetworkPolicy", "NetworkPolicy"})


def get(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value  # type: ignore[no-any-return]
    return None


def text(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def plain(node: yaml.Node, display: str) -> Any:
    """Plain data of a node, through the spec loader's budgets (an alias bomb fails, it does not hang)."""
    return source_of(node, display).data


def _legacy_operator(node: yaml.Node, kind: str | None) -> bool:
    """The legacy operator's Deployment (spec §8 mirror rewrite): read whole; other Deployments are not."""
    meta = get(node, "metadata")
    return (
        kind == "Deployment"
        and text(get(meta, "name") if meta is not None else None) == LEGACY_DEPLOYMENT
        and text(get(meta, "namespace") if meta is not None else None) == MTC_NAMESPACE
    )


def head(node: yaml.Node, display: str) -> Obj:
    """An item as the transformer reads it: whole for the kinds it may patch, else apiVersion, kind, metadata."""
    kind = text(get(node, "kind"))
    if kind in WHOLE_KINDS or _legacy_operator(node, kind):
        data = plain(node, display)
        return data if isinstance(data, dict) else {}
    out: Obj = {}
    for key in ("apiVersion", "kind", "metadata"):
        value = get(node, key)
        if value is not None:
            out[key] = plain(value, display)
    return out


def _mapping_child(node: yaml.MappingNode, key: str) -> yaml.MappingNode:
    child = get(node, key)
    if isinstance(child, yaml.MappingNode):
        return child
    fresh = yaml.MappingNode(MAP, [])
    _set(node, key, fresh)
    return fresh


def _set(node: yaml.MappingNode, key: str, value: yaml.Node) -> None:
    for i, (key_node, _) in enumerate(node.value):
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            node.value[i] = (key_node, value)
            return
    node.value.append((yaml.ScalarNode(STR, key), value))


def _set_at(node: yaml.Node, path: tuple[str | int, ...], value: yaml.Node) -> None:
    """Set the node at `path` (every step present: the planner read it from this item)."""
    parent: yaml.Node | None = node
    for step in path[:-1]:
        if isinstance(step, int):
            parent = parent.value[step] if isinstance(parent, yaml.SequenceNode) else None
        else:
            parent = get(parent, step) if parent is not None else None
    last = path[-1]
    if isinstance(parent, yaml.SequenceNode) and isinstance(last, int):
        parent.value[last] = value
    elif isinstance(parent, yaml.MappingNode) and isinstance(last, str):
        _set(parent, last, value)


def apply(plan: Plan, items: list[yaml.Node]) -> list[yaml.Node]:
    """The plan over item nodes: edited in place where it says, the rest untouched, the added ones last."""
    out = list(items)
    for edit in plan.edits:
        node = out[edit.index]
        if isinstance(edit, ReplaceObject):
            out[edit.index] = represent(edit.obj)
        elif not isinstance(node, yaml.MappingNode):
            continue  # the planner only edits objects it read as mappings
        elif isinstance(edit, MergeController):
            labels = _mapping_child(_mapping_child(node, "metadata"), "labels")
            for key, value in edit.labels.items():
                _set(labels, key, represent(value))
            if edit.annotations:
                annotations = _mapping_child(_mapping_child(node, "metadata"), "annotations")
                for key, value in edit.annotations.items():
                    _set(annotations, key, represent(value))
            spec = _mapping_child(node, "spec")
            for key, value in edit.spec.items():
                _set(spec, key, represent(value))
        elif isinstance(edit, SetValues):
            for path, value in edit.values:
                _set_at(node, path, represent(value))
        elif isinstance(edit, InsertRules):
            spec = _mapping_child(node, "spec")
            egress = get(spec, "egress")
            if not isinstance(egress, yaml.SequenceNode):
                egress = yaml.SequenceNode(SEQ, [])
                _set(spec, "egress", egress)
            egress.value[0:0] = [represent(rule) for rule in edit.rules]
    return out + [represent(obj) for obj in plan.added]
