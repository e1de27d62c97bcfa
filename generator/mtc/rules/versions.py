"""Version and topology rules: the MTC version, the control cluster, network plugins, unknown versions.

Whether `openshiftVersion` and `mtcVersion` parse is checked when the spec is loaded (rules `openshift-version`
and `mtc-version`, generator.clusterpair.parse); these rules read the parsed values.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.clusterpair.model import EndpointType, NetworkType, Role
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.thresholds import (
    ENDPOINT_TYPES_FROM,
    MTC_17,
    MTC_18,
    NEWEST_KNOWN_OCP,
    default_network_type,
    derived_mtc,
    is_3x,
    legacy_platform,
)
from generator.problems import Severity


@rule("mtc-compatibility")
def mtc_compatibility(ctx: RuleContext) -> Iterator[Finding]:
    """Both clusters run one MTC release: 1.7 when the source is 3.x or <= 4.9, 1.8 when both are >= 4.10.

    facts §6: "You must use MTC 1.7.x to migrate anything with a source of OpenShift 4.9 or earlier. MTC 1.7.x
    must be used on both source and destination"; "MTC 1.8.x only supports migrations from 4.10 or later to
    4.10 or later"; mixed 1.7/1.8 is unsupported.

    Passing::

        source: {openshiftVersion: "4.9"}
        target: {openshiftVersion: "4.14"}     # MTC 1.7 on both

    Failing::

        mtcVersion: "1.8"
        source: {openshiftVersion: "4.9"}      # 1.8 does not support a 4.9 source
    """
    pair = ctx.pair
    src, tgt = pair.source.openshift_version, pair.target.openshift_version
    derived = derived_mtc(src, tgt)
    if derived is None:
        yield Finding(
            ("spec", "target", "openshiftVersion"),
            f"mixed MTC versions: a {src} source needs MTC 1.8, a {tgt} target can run only 1.7",
            suggestion="MTC 1.8 migrates 4.10+ to 4.10+; migrate to a 4.10 or later target",
        )
        return
    explicit = pair.mtc_version
    if explicit is not None and explicit.minor == MTC_18.minor and derived.minor == MTC_17.minor:
        yield Finding(
            ("spec", "mtcVersion"),
            f"MTC 1.8 does not support a {src} source; clusters at 4.9 or earlier need 1.7",
            suggestion='use "1.7" or remove mtcVersion',
        )


@rule("mtc-version-superseded", Severity.WARNING)
def mtc_version_superseded(ctx: RuleContext) -> Iterator[Finding]:
    """MTC 1.7 between two 4.10+ clusters works but is superseded by 1.8 (facts §6).

    Passing::

        source: {openshiftVersion: "4.12"}     # mtcVersion derived: 1.8

    Failing::

        mtcVersion: "1.7"
        source: {openshiftVersion: "4.12"}
        target: {openshiftVersion: "4.14"}
    """
    pair = ctx.pair
    src, tgt = pair.source.openshift_version, pair.target.openshift_version
    derived = derived_mtc(src, tgt)
    explicit = pair.mtc_version
    if explicit is not None and derived == MTC_18 and explicit.minor == MTC_17.minor:
        yield Finding(
            ("spec", "mtcVersion"),
            f"MTC 1.7 between {src} and {tgt}: both are 4.10+, where MTC 1.8 is the stable release",
            suggestion='use "1.8" unless the clusters already run 1.7',
        )


@rule("legacy-control-cluster")
def legacy_control_cluster(ctx: RuleContext) -> Iterator[Finding]:
    """A legacy cluster (3.x or <= 4.5) cannot be the control cluster.

    facts §6: legacy clusters use the legacy operator, "This cluster cannot be the control cluster", and "With
    1.7, we are dropping support for running controllers on legacy platforms".

    Passing::

        source: {openshiftVersion: "3.11"}
        controlCluster: target

    Failing::

        source: {openshiftVersion: "3.11"}
        controlCluster: source
    """
    pair = ctx.pair
    control = pair.cluster(pair.control_cluster)
    version = control.openshift_version
    if legacy_platform(version):
        other = "source" if pair.control_cluster is Role.TARGET else "target"
        yield Finding(
            ("spec", "controlCluster"),
            f"the {pair.control_cluster.value} cluster {control.name} runs OpenShift {version}, a legacy "
            "platform that cannot run the MTC controller",
            suggestion=f"set controlCluster: {other}",
        )


@rule("endpoint-version")
def endpoint_version(ctx: RuleContext) -> Iterator[Finding]:
    """NodePort and ClusterIP endpoints exist from MTC 1.7.7 (mig-controller PR #1324, facts §3.6).

    Older controllers do not read `rsync_endpoint_type` at all and silently use a Route.

    Passing::

        mtcVersion: "1.7.7"
        target: {rsyncEndpointType: NodePort}

    Failing::

        mtcVersion: "1.7.6"
        target: {rsyncEndpointType: NodePort}
    """
    pair = ctx.pair
    endpoint = pair.target.rsync_endpoint_type
    explicit = pair.mtc_version
    if endpoint is EndpointType.ROUTE or explicit is None:
        return
    if explicit.at_least(*ENDPOINT_TYPES_FROM) is False:
        yield Finding(
            (*pair.target.path, "rsyncEndpointType"),
            f"{endpoint.value} endpoints need MTC 1.7.7 or later; MTC {explicit} always uses a Route",
            suggestion="upgrade to MTC 1.7.7+ and set mtcVersion accordingly, or use Route",
        )


@rule("clusterip-cross-cluster", Severity.WARNING)
def clusterip_cross_cluster(ctx: RuleContext) -> Iterator[Finding]:
    """A ClusterIP endpoint is reachable only inside the destination cluster (facts §3.3).

    Between two different clusters it works only where pod and service networks are routed to each other.

    Passing::

        source: {name: east}
        target: {name: east, rsyncEndpointType: ClusterIP}

    Failing::

        source: {name: east}
        target: {name: west, rsyncEndpointType: ClusterIP}
    """
    pair = ctx.pair
    if pair.target.rsync_endpoint_type is EndpointType.CLUSTER_IP and not pair.same_cluster:
        yield Finding(
            (*pair.target.path, "rsyncEndpointType"),
            f"ClusterIP between two clusters ({pair.source.name} -> {pair.target.name}) works only if the "
            "source can route to the target's service network",
            suggestion="use Route or NodePort unless the service networks are routed",
        )


@rule("network-type")
def network_type_rule(ctx: RuleContext) -> Iterator[Finding]:
    """The network plugin matches the OpenShift version.

    facts §4.3: 3.x runs OpenShift SDN; SDN is removed in 4.17 ("It is not possible to upgrade a cluster to
    4.17 if it is using the OpenShift SDN network plugin").

    Passing::

        source: {openshiftVersion: "3.11", networkType: OpenShiftSDN}

    Failing::

        source: {openshiftVersion: "4.17", networkType: OpenShiftSDN}
    """
    for cluster in (ctx.pair.source, ctx.pair.target):
        version = cluster.openshift_version
        by_version = default_network_type(version)
        if cluster.network_type is not None and by_version is not None and cluster.network_type is not by_version:
            why = (
                "OpenShift 3.x runs only OpenShift SDN"
                if is_3x(version)
                else "OpenShift SDN is removed in 4.17; those clusters run OVN-Kubernetes"
            )
            yield Finding(
                (*cluster.path, "networkType"),
                f"{cluster.network_type.value} on OpenShift {version}: {why}",
                suggestion=f"networkType: {by_version.value}",
            )


@rule("network-type-needed")
def network_type_needed(ctx: RuleContext) -> Iterator[Finding]:
    """A 4.x (< 4.17) source with declared egress firewalls says which network plugin it runs.

    EgressNetworkPolicy (OpenShift SDN) and EgressFirewall (OVN-Kubernetes) are different APIs (facts §4);
    between 4.0 and 4.16 either plugin may run, so the kind cannot be guessed.

    Passing::

        source: {openshiftVersion: "4.12", networkType: OVNKubernetes}
        namespaces: [{source: app1, egressFirewall: {name: default}}]

    Failing::

        source: {openshiftVersion: "4.12"}
        namespaces: [{source: app1, egressFirewall: {name: default}}]
    """
    pair = ctx.pair
    declares_firewall = any(ns.egress_firewall is not None for ns in pair.namespaces)
    # Argo CD decides the kind when it renders the source, from the APIs that cluster serves (Environment)
    asked = ctx.env.asks_network_type(pair.source.name)
    if declares_firewall and asked and ctx.resolved.source.network_type is None:
        yield Finding(
            (*pair.source.path, "networkType"),
            f"the source runs OpenShift {pair.source.openshift_version}, where the egress firewall kind depends on "
            "the network plugin, and namespaces declare egressFirewall",
            suggestion=f"set networkType: {NetworkType.OVN_KUBERNETES.value} (EgressFirewall) or "
            f"{NetworkType.OPENSHIFT_SDN.value} (EgressNetworkPolicy)",
        )


@rule("openshift-version-newer", Severity.WARNING)
def openshift_version_newer(ctx: RuleContext) -> Iterator[Finding]:
    """A version newer than the facts know is accepted, assuming the newest known behaviour (spec §4.1).

    Passing::

        target: {openshiftVersion: "4.19"}

    Failing::

        target: {openshiftVersion: "4.99"}
    """
    for cluster in ctx.resolved.clusters:
        if not cluster.caps.known_version:
            yield Finding(
                (*cluster.spec.path, "openshiftVersion"),
                f"OpenShift {cluster.version} is newer than the facts this version of mtc-policygen knows "
                f"(up to {NEWEST_KNOWN_OCP}); the output assumes {NEWEST_KNOWN_OCP} behaviour",
                suggestion="check the output against that release's networking docs, or upgrade mtc-policygen",
            )
