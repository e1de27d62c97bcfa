"""Small builders shared by the renderers."""

from __future__ import annotations

from typing import Any

from generator.mtc import facts

Obj = dict[str, Any]


def metadata(name: str, namespace: str, annotations: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace, "labels": dict(facts.MANAGED_BY_LABEL)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta
