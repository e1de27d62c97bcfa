"""JSON Schema oracle for EgressNetworkPolicy / EgressFirewall objects and rule-inserting patches.

The schemas in ``schemas/`` are written from the API types quoted in the facts file (section 4), not
from the generator, so they can disagree with it. They are closed (``additionalProperties: false``)
wherever the Go structs are, and in two places stricter than the API server on purpose (see the
``$comment`` of each file): ``type``/``protocol`` are enums because the CRD regexes are unanchored
alternations, and EgressFirewall ``cidrSelector`` must parse as a CIDR.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]  # no stubs unless types-jsonschema
from referencing import Registry, Resource

__all__ = [
    "FIREWALL_KINDS",
    "INSTALL_KINDS",
    "SCHEMA_DIR",
    "validate_firewall",
    "validate_firewall_patch",
    "validate_install_object",
]

SCHEMA_DIR = Path(__file__).with_name("schemas")
_BASE = "https://mtc-policygen.io/oracles/"
FIREWALL_KINDS = {
    "EgressNetworkPolicy": _BASE + "egressnetworkpolicy.json",
    "EgressFirewall": _BASE + "egressfirewall.json",
}
_PATCH = _BASE + "firewall-patch.json"

# A private checker: registering "cidr" on jsonschema's global one would leak into other tests.
_FORMATS = jsonschema.FormatChecker(formats=())


def _is_cidr(value: object) -> bool:
    if not isinstance(value, str):
        return True  # a non-string is the `type` keyword's error, not this format's
    if "/" not in value:
        raise ValueError("a CIDR needs a /prefix length")
    ipaddress.ip_network(value, strict=False)
    return True


# Called, not used as a decorator: jsonschema is untyped, and a decorator would erase this signature.
_FORMATS.checks("cidr", raises=ValueError)(_is_cidr)


@functools.cache
def _registry() -> Registry[Any]:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _errors(ref: str, instance: object) -> list[str]:
    validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=_registry(), format_checker=_FORMATS)
    found = sorted(validator.iter_errors(instance), key=lambda e: (e.json_path, e.message))
    return [f"{e.json_path}: {e.message}" for e in found]


def validate_firewall(obj: object) -> list[str]:
    """Errors of one whole EgressNetworkPolicy or EgressFirewall object; empty means valid."""
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind not in FIREWALL_KINDS:
        return [f"$.kind: {kind!r} is not one of {sorted(FIREWALL_KINDS)}"]
    return _errors(FIREWALL_KINDS[kind], obj)


def validate_firewall_patch(ops: object, kind: str) -> list[str]:
    """Errors of a JSON6902 op list that may only ``add`` rules of ``kind`` at ``/spec/egress/<n>``."""
    if kind not in FIREWALL_KINDS:
        return [f"kind {kind!r} is not one of {sorted(FIREWALL_KINDS)}"]
    return _errors(f"{_PATCH}#/$defs/{kind}", ops)


# spec §8 objects: OLM and MTC custom resources, schemas written from their API types (facts §10).
INSTALL_KINDS = {
    "Subscription": _BASE + "subscription.json",
    "OperatorGroup": _BASE + "operatorgroup.json",
    "MigStorage": _BASE + "migstorage.json",
    "MigCluster": _BASE + "migcluster.json",
}


def validate_install_object(obj: object) -> list[str]:
    """Errors of one Subscription, OperatorGroup, MigStorage or MigCluster; empty means valid."""
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind not in INSTALL_KINDS:
        return [f"$.kind: {kind!r} is not one of {sorted(INSTALL_KINDS)}"]
    return _errors(INSTALL_KINDS[kind], obj)
