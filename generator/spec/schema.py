"""The shape of a ClusterPair, declared once: checked against loaded YAML and exported as JSON Schema.

Only structure lives here (keys, types, enums, required fields, defaults). Meaning (versions, CIDRs, MTC
compatibility) is checked by the named rules in `generator.mtc.rules`, which report better messages.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from generator.problems import Problem
from generator.spec import parse as values
from generator.spec.parse import ValueProblemError
from generator.spec.patterns import DNS1123_LABEL, DNS1123_SUBDOMAIN
from generator.spec.yamlsource import PathKey, Source, dotted, shown

# Fields whose value may carry a credential (a URL's user:password@): never quoted back in a message.
SECRET_BEARING = frozenset({"url", "httpProxy", "httpsProxy", "s3Url", "apiUrl", "username"})
API_VERSION = "mtc-policygen.io/v1alpha1"
KIND = "ClusterPair"


@dataclass(frozen=True)
class Str:
    enum: tuple[str, ...] = ()
    pattern: str = ""
    version: bool = False  # a version: a YAML number here is a mistake worth naming ("4.10" vs 4.1)
    # parses the value into its type (generator.spec.parse) or raises ValueProblemError; the model holds the result
    parse: Callable[[str], object] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Int:
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Bool:
    pass


@dataclass(frozen=True)
class ListOf:
    item: Type
    min_items: int = 0


@dataclass(frozen=True)
class StrMap:
    """A map of strings to strings (labels, annotations)."""


@dataclass(frozen=True)
class Field:
    type: Type
    description: str
    required: bool = False
    default: Any = None


@dataclass(frozen=True)
class Obj:
    fields: dict[str, Field]
    description: str = ""
    one_of_required: tuple[str, ...] = ()  # exactly one of these keys


@dataclass(frozen=True)
class AnyOf:
    """The first alternative whose JSON type matches is used (a namespace is a string or a mapping)."""

    options: tuple[Type, ...]


@dataclass(frozen=True)
class AnyValue:
    """Free-form data checked elsewhere (existing firewall rules are checked per firewall kind)."""


@dataclass(frozen=True)
class Timestamp:
    """An RFC 3339 instant: a string, or the datetime YAML 1.1 makes of an unquoted one (both accepted alike)."""


Type = Str | Int | Bool | ListOf | StrMap | Obj | AnyOf | AnyValue | Timestamp


_CONTROLLER_REF = Obj(
    {
        "name": Field(Str(pattern=DNS1123_LABEL), "MigrationController name", default="migration-controller"),
        "namespace": Field(Str(pattern=DNS1123_LABEL), "its namespace", default="openshift-migration"),
    },
    "The MigrationController object on this cluster.",
)

_OPENINGS = Obj(
    {
        "state": Field(
            Str(enum=("open", "closed")),
            "open: DVM's NetworkPolicies and egress firewall rules are rendered; closed: none of them",
            default="open",
        ),
        "closesAt": Field(
            Timestamp(), "RFC 3339 UTC instant (2027-01-31T18:00:00Z) from which the pair renders as closed"
        ),
    },
    "The DVM network openings are a window: open or closed, with an optional deadline (docs/openings.md).",
)

_PROXY = Obj(
    {
        "httpProxy": Field(Str(parse=values.proxy_url), "http_proxy override, http://host:port or https://host:port"),
        "httpsProxy": Field(Str(parse=values.proxy_url), "https_proxy override, http://host:port or https://host:port"),
        "noProxy": Field(ListOf(Str(parse=values.no_proxy_entry)), "no_proxy entries: domain, .domain, *, IP or CIDR"),
    },
    "MigrationController proxy override for this cluster (replaces the inherited cluster-wide proxy).",
)


# spec §8: how the control cluster registers this cluster when it is the remote one (MigCluster).
_REMOTE_FIELDS = {
    "apiUrl": Field(
        Str(pattern=r"^https://", parse=values.api_server_url),
        "API server URL, needed when this cluster is registered as remote",
    ),
    "caBundleFile": Field(Str(), "PEM CA bundle of the API server, relative to the spec file"),
    "insecure": Field(Bool(), "skip TLS verification of the API server (a warning; not with caBundleFile)"),
    "tokenFrom": Field(
        Obj(
            {
                "secretRef": Field(Str(pattern=DNS1123_SUBDOMAIN), "Secret in openshift-config with key saToken"),
                "env": Field(Str(), "environment variable read at render time"),
                "file": Field(Str(), "file read at render time (a mounted Secret)"),
            },
            one_of_required=("secretRef", "env", "file"),
        ),
        "the remote migration-controller service account token",
    ),
}

_INSTALL = Obj(
    {
        "catalogSource": Field(
            Str(pattern=DNS1123_SUBDOMAIN), "OLM CatalogSource in openshift-marketplace", default="redhat-operators"
        ),
        "installPlanApproval": Field(Str(enum=("Manual", "Automatic")), "OLM install plan approval", default="Manual"),
        "mirror": Field(
            Obj({"mapping": Field(Str(), "mapping.txt of oc adm catalog mirror, relative to the spec", required=True)}),
            "restricted network: mirror the legacy operator image",
        ),
    },
    "Install the MTC operator on each cluster (OLM on 4.6+, the legacy operator from `base` on older ones).",
)

_REPOSITORY = Obj(
    {
        "name": Field(Str(pattern=DNS1123_LABEL), "MigStorage name", required=True),
        "s3Url": Field(Str(pattern=r"^https?://", parse=values.s3_url), "S3 endpoint URL", required=True),
        "bucket": Field(Str(), "bucket name", required=True),
        "region": Field(Str(), "S3 region", default="us-east-1"),
        "caBundleFile": Field(Str(), "PEM CA bundle of the S3 endpoint, relative to the spec file"),
        "credentialsFrom": Field(
            Obj(
                {
                    "secretRef": Field(
                        Str(pattern=DNS1123_SUBDOMAIN),
                        "Secret in openshift-config with aws-access-key-id and aws-secret-access-key",
                    ),
                    "env": Field(
                        Obj(
                            {
                                "accessKeyId": Field(Str(), "variable holding the access key id", required=True),
                                "secretAccessKey": Field(Str(), "variable holding the secret key", required=True),
                            }
                        ),
                        "environment variables read at render time",
                    ),
                    "file": Field(Str(), "AWS credentials file ([default] section) read at render time"),
                },
                one_of_required=("secretRef", "env", "file"),
            ),
            "where the S3 credentials come from",
            required=True,
        ),
    },
    "The replication repository: a MigStorage on the control cluster.",
)


def _cluster(role: str) -> Obj:
    fields = {
        "name": Field(Str(pattern=DNS1123_LABEL), "cluster name; names overlays/<pair>/<name>/", required=True),
        "openshiftVersion": Field(
            Str(pattern=r"^(3\.11|4\.[0-9]+)$", version=True, parse=values.ocp_version),
            '"3.11" or "4.N"',
            required=True,
        ),
        "networkType": Field(Str(enum=("OpenShiftSDN", "OVNKubernetes")), "cluster network plugin"),
        "cidrs": Field(
            ListOf(Str(parse=values.network)), "where the peer reaches this cluster for DVM (router VIPs or worker IPs)"
        ),
        "appsDomain": Field(
            Str(),
            "the domain mig-controller puts DVM routes under (set on the target): the destination's "
            "ingresses.config.openshift.io/cluster .spec.domain, or the MigrationController's cluster_subdomain when "
            "set; not .spec.appsDomain. Enables exact dnsName firewall rules for DVM routes",
        ),
        "proxy": Field(_PROXY, _PROXY.description),
        "base": Field(
            Str(),
            "kustomize base with this cluster's MigrationController and egress firewalls, relative to the spec file",
        ),
        "migrationController": Field(_CONTROLLER_REF, _CONTROLLER_REF.description),
        **_REMOTE_FIELDS,
    }
    if role == "target":
        fields["rsyncEndpointType"] = Field(
            Str(enum=("Route", "NodePort", "ClusterIP")), "DVM endpoint on the destination", default="Route"
        )
    return Obj(fields, f"The {role} cluster.")


_FIREWALL = Obj(
    {
        "name": Field(
            Str(pattern=DNS1123_LABEL), "existing EgressNetworkPolicy/EgressFirewall name", default="default"
        ),
        "rules": Field(ListOf(AnyValue()), "the firewall's existing rules, when it is not in `base`"),
    },
    "This source namespace has an egress firewall that must let DVM out.",
)

_NAMESPACE_ENTRY = AnyOf(
    (
        Str(pattern=DNS1123_LABEL),
        Obj(
            {
                "source": Field(Str(pattern=DNS1123_LABEL), "source namespace", required=True),
                "target": Field(Str(pattern=DNS1123_LABEL), "target namespace (default: same as source)"),
                "egressFirewall": Field(_FIREWALL, _FIREWALL.description),
            }
        ),
    )
)

CLUSTER_PAIR = Obj(
    {
        "apiVersion": Field(Str(enum=(API_VERSION,)), "API version", required=True),
        "kind": Field(Str(enum=(KIND,)), "kind", required=True),
        "metadata": Field(
            Obj(
                {
                    "name": Field(Str(pattern=DNS1123_LABEL), "pair name; names overlays/<name>/", required=True),
                    "namespace": Field(Str(), "ignored; allowed so kustomize and kpt can carry the object"),
                    "labels": Field(StrMap(), "labels"),
                    "annotations": Field(StrMap(), "annotations (KRM function settings)"),
                }
            ),
            "metadata",
            required=True,
        ),
        "spec": Field(
            Obj(
                {
                    "mtcVersion": Field(
                        Str(pattern=r"^1\.[78](\.[0-9]+)?$", version=True, parse=values.mtc_version),
                        '"1.7", "1.8" or "1.7.7"-style; derived from the OpenShift versions',
                    ),
                    "controlCluster": Field(
                        Str(enum=("source", "target")), "cluster running the MTC controller", default="target"
                    ),
                    "source": Field(_cluster("source"), "source cluster", required=True),
                    "target": Field(_cluster("target"), "target cluster", required=True),
                    "dvm": Field(
                        Obj(
                            {
                                "stunnelTCPProxy": Field(
                                    Obj(
                                        {
                                            "url": Field(
                                                Str(parse=values.stunnel_url),
                                                "http://host:port, no credentials",
                                                required=True,
                                            ),
                                            "username": Field(Str(), "proxy user"),
                                            "passwordFrom": Field(
                                                Obj(
                                                    {
                                                        "env": Field(Str(), "environment variable"),
                                                        "file": Field(Str(), "file (a mounted Secret)"),
                                                    },
                                                    one_of_required=("env", "file"),
                                                ),
                                                "where the proxy password is read at render time",
                                            ),
                                        }
                                    ),
                                    "TCP (CONNECT) proxy the source must use to reach the destination",
                                ),
                                "sourceSupplementalGroups": Field(
                                    ListOf(Int(0, 2**31 - 1), 1), "supplemental groups of source rsync pods"
                                ),
                                "targetSupplementalGroups": Field(
                                    ListOf(Int(0, 2**31 - 1), 1), "supplemental groups of target rsync pods"
                                ),
                                "rsyncPrivileged": Field(Bool(), "run rsync as root; written to both clusters"),
                            }
                        ),
                        "Direct Volume Migration settings",
                    ),
                    "networkPolicy": Field(
                        Obj({"mode": Field(Str(enum=("open", "strict", "none")), "policy mode", default="open")}),
                        "rsync NetworkPolicies",
                    ),
                    "openings": Field(_OPENINGS, _OPENINGS.description),
                    "namespaceDefaults": Field(
                        Obj({"egressFirewall": Field(_FIREWALL, _FIREWALL.description)}),
                        "merged under every namespace entry",
                    ),
                    "namespaces": Field(ListOf(_NAMESPACE_ENTRY, 1), "namespaces to migrate", required=True),
                    "install": Field(_INSTALL, _INSTALL.description),
                    "replicationRepository": Field(_REPOSITORY, _REPOSITORY.description),
                }
            ),
            "spec",
            required=True,
        ),
    },
    "A source/target cluster pair for MTC Direct Volume Migration.",
)


# --- structure checking ----------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _expected(type_: Type) -> str:
    names = {
        Str: "a string",
        Int: "an integer",
        Bool: "true or false",
        ListOf: "a list",
        StrMap: "a mapping",
        Obj: "a mapping",
        AnyValue: "a value",
        Timestamp: "an RFC 3339 timestamp",
    }
    if isinstance(type_, AnyOf):
        return " or ".join(_expected(o) for o in type_.options)
    return names[type(type_)]


def _matches(type_: Type, value: object) -> bool:
    if isinstance(type_, Str):
        return isinstance(value, str)
    if isinstance(type_, Int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(type_, Bool):
        return isinstance(value, bool)
    if isinstance(type_, ListOf):
        return isinstance(value, list)
    if isinstance(type_, StrMap | Obj):
        return isinstance(value, dict)
    if isinstance(type_, AnyOf):
        return any(_matches(o, value) for o in type_.options)
    if isinstance(type_, Timestamp):
        return isinstance(value, str | datetime.datetime)
    return True


@dataclass
class _Checker:
    source: Source
    problems: list[Problem] = field(default_factory=list)
    parsed: dict[PathKey, Any] = field(default_factory=dict)  # typed values by path, for the model

    def check(self, type_: Type, value: object, path: PathKey) -> None:
        if not _matches(type_, value):
            self._wrong_type(type_, value, path)
            return
        if isinstance(type_, AnyOf):
            chosen = next(o for o in type_.options if _matches(o, value))
            self.check(chosen, value, path)
        elif isinstance(type_, Str):
            self._string(type_, str(value), path)
        elif isinstance(type_, Int):
            self._int(type_, int(value), path)  # type: ignore[call-overload]
        elif isinstance(type_, ListOf) and isinstance(value, list):
            if len(value) < type_.min_items:
                self.problems.append(self.source.problem(path, "empty-list", "must list at least one entry"))
            for i, item in enumerate(value):
                self.check(type_.item, item, (*path, i))
        elif isinstance(type_, StrMap) and isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(v, str):
                    self.problems.append(
                        self.source.problem(
                            (*path, k),
                            "wrong-type",
                            f"expected a string, got {_json_type(v)}",
                            suggestion="quote the value",
                        )
                    )
        elif isinstance(type_, Obj) and isinstance(value, dict):
            self._object(type_, value, path)
        elif isinstance(type_, Timestamp) and isinstance(value, str | datetime.datetime):
            self._timestamp(value, path)

    def _timestamp(self, value: str | datetime.datetime, path: PathKey) -> None:
        try:
            self.parsed[path] = values.timestamp(value)
        except ValueProblemError as exc:
            self.problems.append(self.source.problem(path, exc.rule, exc.message, suggestion=exc.suggestion))

    def _wrong_type(self, type_: Type, value: object, path: PathKey) -> None:
        suggestion = ""
        secret = bool(path) and path[-1] in SECRET_BEARING
        if isinstance(type_, Str) and type_.version and isinstance(value, int | float):
            suggestion = "quote it: YAML reads an unquoted version as a number, so 4.10 becomes 4.1"
        elif isinstance(type_, Str) and isinstance(value, int | float | bool):
            suggestion = "quote it" if secret else f"quote it: {_quoted(value)}"
        elif isinstance(type_, Timestamp) and isinstance(value, datetime.date):
            suggestion = f"a date and a time are needed: write {value.isoformat()}T00:00:00Z (UTC)"
        elif isinstance(type_, ListOf) and isinstance(value, str | int):
            suggestion = f"write a list: [{shown(value, quote=False)}]"
        self.problems.append(
            self.source.problem(
                path, "wrong-type", f"expected {_expected(type_)}, got {_json_type(value)}", suggestion=suggestion
            )
        )

    def _string(self, type_: Str, value: str, path: PathKey) -> None:
        if type_.parse is not None:
            try:
                self.parsed[path] = type_.parse(value)
            except ValueProblemError as exc:
                self.problems.append(
                    self.source.problem(path, exc.rule, exc.message, severity=exc.severity, suggestion=exc.suggestion)
                )
        if type_.enum and value not in type_.enum:
            import difflib  # noqa: PLC0415 - only a misspelt value needs it

            close = difflib.get_close_matches(value, type_.enum, n=1, cutoff=0.5) or [
                e for e in type_.enum if e.lower() == value.lower()
            ]
            hint = f"did you mean {close[0]!r}?" if close else ""
            self.problems.append(
                self.source.problem(
                    path,
                    "invalid-value",
                    f"{shown(value)} is not one of {', '.join(type_.enum)} (case-sensitive)",
                    suggestion=hint,
                )
            )

    def _int(self, type_: Int, value: int, path: PathKey) -> None:
        if (type_.minimum is not None and value < type_.minimum) or (
            type_.maximum is not None and value > type_.maximum
        ):
            self.problems.append(
                self.source.problem(path, "out-of-range", f"{value} is outside {type_.minimum}..{type_.maximum}")
            )

    def _object(self, type_: Obj, value: dict[str, object], path: PathKey) -> None:
        for key in value:
            if key not in type_.fields:
                import difflib  # noqa: PLC0415

                close = difflib.get_close_matches(key, list(type_.fields), n=1, cutoff=0.6)
                lowered = [k for k in type_.fields if k.lower() == key.lower().replace("_", "")]
                hint = close or lowered
                problem = self.source.problem(
                    (*path, key),
                    "unknown-key",
                    f"unknown key {shown(key)}",
                    suggestion=f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(type_.fields)}",
                    key=True,
                )
                # the field path names the key too: cut like the message
                self.problems.append(replace(problem, path=dotted((*path, shown(key, quote=False)))))
        for key, spec in type_.fields.items():
            if key in value:
                self.check(spec.type, value[key], (*path, key))
            elif spec.required:
                self.problems.append(self.source.problem(path, "missing-key", f"missing required key {key!r}"))
        if type_.one_of_required:
            present = [k for k in type_.one_of_required if k in value]
            if len(present) != 1:
                self.problems.append(
                    self.source.problem(path, "one-of", f"give exactly one of {', '.join(type_.one_of_required)}")
                )


def check_and_parse(source: Source) -> tuple[list[Problem], dict[PathKey, Any]]:
    """Structural problems of a loaded ClusterPair (unknown keys with hints, types, required keys, values that
    do not parse), and the parsed typed values by path."""
    checker = _Checker(source)
    if not isinstance(source.data, dict):
        checker.problems.append(
            source.problem((), "wrong-type", f"a ClusterPair is a mapping, got {_json_type(source.data)}")
        )
        return checker.problems, checker.parsed
    if source.data.get("apiVersion") != API_VERSION or source.data.get("kind") != KIND:
        # Not a ClusterPair (a file named by mistake, or on purpose): nothing of it is quoted back.
        checker.problems.append(not_a_cluster_pair(source))
        return checker.problems, checker.parsed
    checker.check(CLUSTER_PAIR, source.data, ())
    return checker.problems, checker.parsed


def not_a_cluster_pair(source: Source) -> Problem:
    """The one problem of a file that is not a ClusterPair; it names none of its keys or values."""
    return source.problem(
        (),
        "not-a-cluster-pair",
        f"not a ClusterPair: expected a mapping with apiVersion {API_VERSION} and kind {KIND}",
        suggestion=f"name a ClusterPair spec, or write apiVersion: {API_VERSION} and kind: {KIND}",
    )


def _quoted(value: object) -> str:
    text = shown(value, quote=False)
    return f'"{text}"' if not text.startswith("a number of") else "a string"


# --- JSON Schema export -----------------------------------------------------------------------------------


def _json_schema(type_: Type, description: str = "", default: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(type_, Str):
        out["type"] = "string"
        if type_.enum:
            out["enum"] = list(type_.enum)
        if type_.pattern:
            out["pattern"] = type_.pattern
    elif isinstance(type_, Int):
        out["type"] = "integer"
        if type_.minimum is not None:
            out["minimum"] = type_.minimum
        if type_.maximum is not None:
            out["maximum"] = type_.maximum
    elif isinstance(type_, Bool):
        out["type"] = "boolean"
    elif isinstance(type_, ListOf):
        out["type"] = "array"
        out["items"] = _json_schema(type_.item)
        if type_.min_items:
            out["minItems"] = type_.min_items
    elif isinstance(type_, StrMap):
        out = {"type": "object", "additionalProperties": {"type": "string"}}
    elif isinstance(type_, Obj):
        out = {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: _json_schema(f.type, f.description, f.default) for k, f in type_.fields.items()},
        }
        required = [k for k, f in type_.fields.items() if f.required]
        if required:
            out["required"] = required
        if type_.one_of_required:
            out["oneOf"] = [{"required": [k]} for k in type_.one_of_required]
        description = description or type_.description
    elif isinstance(type_, AnyOf):
        out["anyOf"] = [_json_schema(o) for o in type_.options]
    elif isinstance(type_, Timestamp):
        out = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
    if description:
        out["description"] = description
    if default is not None:
        out["default"] = default
    return out


def json_schema() -> dict[str, Any]:
    schema = _json_schema(CLUSTER_PAIR)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mtc-policygen.io/schemas/v1alpha1/clusterpair.json",
        "title": KIND,
        **schema,
    }
