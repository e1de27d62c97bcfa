"""The shape of a ClusterPair, declared once (generator.clusterpair.declare): each key with its type, default, pattern,
parser and description. The checker enforces it, the model reads its defaults, the JSON Schema is made from it.

Only structure and values that parse live here. Meaning (MTC compatibility, topology, names as Kubernetes sees
them) is checked by the named rules in `generator.mtc.rules`, which report better messages.
"""

from __future__ import annotations

from typing import Any

from generator.clusterpair import parse as values
from generator.clusterpair.declare import (
    AnyOf,
    AnyValue,
    Bool,
    Field,
    Int,
    ListOf,
    Obj,
    Str,
    StrMap,
    Timestamp,
    field_at,
)
from generator.clusterpair.patterns import DNS1123_LABEL, DNS1123_SUBDOMAIN
from generator.clusterpair.yamlsource import PathKey

# Fields whose value may carry a credential (a URL's user:password@): never quoted back in a message.
SECRET_BEARING = frozenset({"url", "httpProxy", "httpsProxy", "s3Url", "apiUrl", "username"})
API_VERSION = "mtc-policygen.io/v1alpha1"
KIND = "ClusterPair"
_SECRET = Str(pattern=DNS1123_SUBDOMAIN, parse=values.secret_name)  # a Secret in openshift-config
_LABEL = Str(pattern=DNS1123_LABEL, parse=values.dns1123_label)  # a name: checked as Kubernetes checks names

_CONTROLLER_REF = Obj(
    {
        "name": Field(_LABEL, "MigrationController name", default="migration-controller"),
        "namespace": Field(_LABEL, "its namespace", default="openshift-migration"),
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
                "secretRef": Field(_SECRET, "Secret in openshift-config with key saToken"),
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
            Str(pattern=DNS1123_SUBDOMAIN, parse=values.catalog_source),
            "OLM CatalogSource in openshift-marketplace",
            default="redhat-operators",
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
        "name": Field(_LABEL, "MigStorage name", required=True),
        "s3Url": Field(Str(pattern=r"^https?://", parse=values.s3_url), "S3 endpoint URL", required=True),
        "bucket": Field(Str(), "bucket name", required=True),
        "region": Field(Str(), "S3 region", default="us-east-1"),
        "caBundleFile": Field(Str(), "PEM CA bundle of the S3 endpoint, relative to the spec file"),
        "credentialsFrom": Field(
            Obj(
                {
                    "secretRef": Field(
                        _SECRET,
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
        "name": Field(_LABEL, "cluster name; names overlays/<pair>/<name>/", required=True),
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
            Str(parse=values.apps_domain),
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
        "name": Field(_LABEL, "existing EgressNetworkPolicy/EgressFirewall name", default="default"),
        "rules": Field(ListOf(AnyValue()), "the firewall's existing rules, when it is not in `base`"),
    },
    "This source namespace has an egress firewall that must let DVM out.",
)

_NAMESPACE_ENTRY = AnyOf(
    (
        _LABEL,
        Obj(
            {
                "source": Field(_LABEL, "source namespace", required=True),
                "target": Field(_LABEL, "target namespace (default: same as source)"),
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
                    "name": Field(_LABEL, "pair name; names overlays/<name>/", required=True),
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


def default(path: PathKey) -> Any:
    """The declared default of the key at `path` (`("spec", "target", "rsyncEndpointType")`), None if it has none."""
    return field_at(CLUSTER_PAIR, path).default


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a ClusterPair (`mtc-policygen schema`), made from the declaration."""
    from generator.clusterpair.jsonschema import export  # noqa: PLC0415 - only `schema` exports it

    return export(CLUSTER_PAIR, KIND)
