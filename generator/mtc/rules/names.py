"""Naming rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.spec.patterns import DNS1123_LABEL
from generator.spec.yamlsource import PathKey

_LABEL = re.compile(DNS1123_LABEL)


def _suggest(name: str) -> str:
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    return f"did you mean {fixed!r}?" if fixed and fixed != name else "use lower-case letters, digits and '-'"


def _named(ctx: RuleContext) -> Iterator[tuple[PathKey, str]]:
    pair = ctx.pair
    yield ("metadata", "name"), pair.name
    for cluster in (pair.source, pair.target):
        yield (*cluster.path, "name"), cluster.name
        ref = (*cluster.path, "migrationController")
        yield (*ref, "name"), cluster.migration_controller.name
        yield (*ref, "namespace"), cluster.migration_controller.namespace
    doc = pair.source_doc.data
    for ns in pair.namespaces:
        index_path = ns.path
        entry = doc["spec"]["namespaces"][index_path[-1]]  # type: ignore[index]
        if isinstance(entry, str):
            yield index_path, ns.source
        else:
            yield (*index_path, "source"), ns.source
            if "target" in entry:
                yield (*index_path, "target"), ns.target
        if ns.egress_firewall is not None:
            yield (*ns.egress_firewall.path, "name"), ns.egress_firewall.name


@rule("dns1123-label")
def dns1123_label(ctx: RuleContext) -> Iterator[Finding]:
    """Names are DNS-1123 labels: at most 63 lower-case letters, digits and '-', alphanumeric at both ends.

    They become Kubernetes namespaces and object names (which the API server validates this way) and folder
    names under overlays/ (spec §3), so a name that passes here never fails later at apply time.

    Passing::

        namespaces: [app-1]

    Failing::

        namespaces: [App_1]
    """
    seen: set[PathKey] = set()
    for path, name in _named(ctx):
        if path in seen:
            continue
        seen.add(path)
        if len(name) > 63:
            yield Finding(path, f"{name!r} is {len(name)} characters; a DNS-1123 label has at most 63")
        elif not _LABEL.match(name):
            yield Finding(path, f"{name!r} is not a DNS-1123 label", suggestion=_suggest(name))
