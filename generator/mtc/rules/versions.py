"""Version and topology rules: OpenShift versions, the MTC version, the control cluster, network plugins."""

from __future__ import annotations

from collections.abc import Iterator

from generator.mtc.network import network_type
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.mtc.versions import OcpVersion, default_network_type, derived_mtc, parse_mtc, parse_ocp
from generator.problems import Severity
from generator.spec.model import Cluster, EndpointType, NetworkType, Role


def _ocp(cluster: Cluster) -> OcpVersion | None:
    return parse_ocp(cluster.openshift_version)


@rule("openshift-version")
def openshift_version(ctx: RuleContext) -> Iterator[Finding]:
    """`openshiftVersion` is "3.11" or "4.N": MTC's support matrix is by minor release (facts §6)."""
    for cluster in (ctx.pair.source, ctx.pair.target):
        text = cluster.openshift_version
        if _ocp(cluster) is None:
            parts = text.split(".")
            hint = f'write "{parts[0]}.{parts[1]}"' if len(parts) > 2 and parts[0] in "34" else 'e.g. "4.12"'
            yield Finding((*cluster.path, "openshiftVersion"), f'{text!r} is not "3.11" or "4.N"', suggestion=hint)


@rule("mtc-version")
def mtc_version(ctx: RuleContext) -> Iterator[Finding]:
    """Both clusters run one MTC release: 1.7 when the source is 3.x or <= 4.9, 1.8 when both are >= 4.10.

    facts §6: "You must use MTC 1.7.x to migrate anything with a source of OpenShift 4.9 or earlier. MTC 1.7.x
    must be used on both source and destination"; "MTC 1.8.x only supports migrations from 4.10 or later to
    4.10 or later"; mixed 1.7/1.8 is unsupported. 1.7 between two 4.10+ clusters works but is superseded.
    """
    pair = ctx.pair
    path = ("spec", "mtcVersion")
    src, tgt = _ocp(pair.source), _ocp(pair.target)
    explicit = parse_mtc(pair.mtc_version) if pair.mtc_version is not None else None
    if pair.mtc_version is not None and explicit is None:
        yield Finding(path, f"{pair.mtc_version!r} is not an MTC version", suggestion='"1.7", "1.8" or "1.7.7"')
        return
    if src is None or tgt is None:
        return
    derived = derived_mtc(src, tgt)
    if derived is None:
        yield Finding(
            ("spec", "target", "openshiftVersion"),
            f"mixed MTC versions: a {src} source needs MTC 1.8, a {tgt} target can run only 1.7",
            suggestion="MTC 1.8 migrates 4.10+ to 4.10+; migrate to a 4.10 or later target",
        )
        return
    if explicit is None:
        return
    if explicit.minor == 8 and derived.minor == 7:
        yield Finding(
            path,
            f"MTC 1.8 does not support a {src} source; clusters at 4.9 or earlier need 1.7",
            suggestion='use "1.7" or remove mtcVersion',
        )
    elif explicit.minor == 7 and derived.minor == 8:
        yield Finding(
            path,
            f"MTC 1.7 between {src} and {tgt}: both are 4.10+, where MTC 1.8 is the stable release",
            severity=Severity.WARNING,
            suggestion='use "1.8" unless the clusters already run 1.7',
        )


@rule("legacy-control-cluster")
def legacy_control_cluster(ctx: RuleContext) -> Iterator[Finding]:
    """A legacy cluster (3.x or <= 4.5) cannot be the control cluster.

    facts §6: legacy clusters use the legacy operator, "This cluster cannot be the control cluster", and "With
    1.7, we are dropping support for running controllers on legacy platforms".
    """
    pair = ctx.pair
    control = pair.cluster(pair.control_cluster)
    version = _ocp(control)
    if version is not None and version.legacy:
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
    """
    pair = ctx.pair
    endpoint = pair.target.rsync_endpoint_type
    explicit = parse_mtc(pair.mtc_version) if pair.mtc_version else None
    if endpoint is EndpointType.ROUTE or explicit is None:
        return
    if explicit.at_least(7, 7) is False:
        yield Finding(
            (*pair.target.path, "rsyncEndpointType"),
            f"{endpoint.value} endpoints need MTC 1.7.7 or later; MTC {explicit} always uses a Route",
            suggestion="upgrade to MTC 1.7.7+ and set mtcVersion accordingly, or use Route",
        )


@rule("clusterip-cross-cluster")
def clusterip_cross_cluster(ctx: RuleContext) -> Iterator[Finding]:
    """A ClusterIP endpoint is reachable only inside the destination cluster (facts §3.3).

    Between two different clusters it works only where pod and service networks are routed to each other.
    """
    pair = ctx.pair
    if pair.target.rsync_endpoint_type is EndpointType.CLUSTER_IP and not pair.same_cluster:
        yield Finding(
            (*pair.target.path, "rsyncEndpointType"),
            f"ClusterIP between two clusters ({pair.source.name} -> {pair.target.name}) works only if the "
            "source can route to the target's service network",
            severity=Severity.WARNING,
            suggestion="use Route or NodePort unless the service networks are routed",
        )


@rule("network-type")
def network_type_rule(ctx: RuleContext) -> Iterator[Finding]:
    """The network plugin follows the OpenShift version, and decides the egress firewall kind.

    facts §4.3: 3.x runs OpenShift SDN; SDN is removed in 4.17 ("It is not possible to upgrade a cluster to
    4.17 if it is using the OpenShift SDN network plugin"). Between the two either may run, so a source with
    egress firewalls must say which: EgressNetworkPolicy (SDN) and EgressFirewall (OVN) are different APIs.
    """
    pair = ctx.pair
    for cluster in (pair.source, pair.target):
        version = _ocp(cluster)
        if version is None:
            continue
        by_version = default_network_type(version)
        path = (*cluster.path, "networkType")
        if cluster.network_type is not None and by_version is not None and cluster.network_type is not by_version:
            why = (
                "OpenShift 3.x runs only OpenShift SDN"
                if version.major == 3
                else "OpenShift SDN is removed in 4.17; those clusters run OVN-Kubernetes"
            )
            yield Finding(
                path,
                f"{cluster.network_type.value} on OpenShift {version}: {why}",
                suggestion=f"networkType: {by_version.value}",
            )
    declares_firewall = any(ns.egress_firewall is not None for ns in pair.namespaces)
    if declares_firewall and network_type(pair.source, ctx.env) is None:
        yield Finding(
            (*pair.source.path, "networkType"),
            f"the source runs OpenShift {pair.source.openshift_version}, where the egress firewall kind depends on "
            "the network plugin, and namespaces declare egressFirewall",
            suggestion=f"set networkType: {NetworkType.OVN_KUBERNETES.value} (EgressFirewall) or "
            f"{NetworkType.OPENSHIFT_SDN.value} (EgressNetworkPolicy)",
        )
