"""Small builders shared by the renderers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.mtc import facts
from generator.mtc.install import SYNC_OPTIONS

Obj = dict[str, Any]


def metadata(name: str, namespace: str, annotations: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace, "labels": dict(facts.MANAGED_BY_LABEL)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def merged_options(*groups: Iterable[str]) -> str:
    """Argo CD sync options, in order, each once: the one way every renderer, the KRM transformer and the
    Argo CD plugin merge an object's own options with ours (facts §11)."""
    out: list[str] = []
    for option in (o.strip() for group in groups for o in group):
        if option and option not in out:
            out.append(option)
    return ",".join(out)


def sync_options(obj: Obj) -> list[str]:
    """The object's own sync options, as written (empty entries kept: `merged_options` drops them)."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return str(annotations.get(SYNC_OPTIONS) or "").split(",") if isinstance(annotations, dict) else []


def with_sync_options(obj: Obj, *groups: Iterable[str]) -> Obj:
    """A copy of `obj` whose sync options are its own, then `groups`' (`merged_options`)."""
    meta = dict(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    annotations[SYNC_OPTIONS] = merged_options(sync_options(obj), *groups)
    meta["annotations"] = annotations
    return {**obj, "metadata": meta}
