"""The MigrationController settings of one cluster, placed by the facts of facts §2 (spec §4 table)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from generator.clusterpair.model import Cluster, ClusterPair, Role, StunnelProxy
from generator.mtc import facts
from generator.render.objects import Obj, metadata
from generator.render.yamlout import Quoted


def stunnel_proxy_value(proxy: StunnelProxy, password: str | None) -> str:
    """`http://user:password@host:port`, user and password URL-encoded (facts §3.3: only host, user and
    password are read, through Go url.Parse, so reserved characters must be escaped)."""
    address = proxy.url
    userinfo = ""
    if proxy.username is not None:
        userinfo = quote(proxy.username, safe="")
        if password is not None:
            userinfo += ":" + quote(password, safe="")
        userinfo += "@"
    return f"http://{userinfo}{address.netloc}"


def _groups(groups: tuple[int, ...]) -> Quoted:
    return Quoted(",".join(map(str, sorted(set(groups)))))


def roles(pair: ClusterPair, cluster: Cluster) -> set[Role]:
    return {role for role in Role if pair.cluster(role).name == cluster.name}


def controller_spec(pair: ClusterPair, cluster: Cluster, password: str | None) -> dict[str, Any]:
    """snake_case keys only (facts §1.1), sorted; values exactly in the form the operator and controller read."""
    cluster_roles = roles(pair, cluster)
    control = pair.control_cluster in cluster_roles
    dvm = pair.dvm
    spec: dict[str, Any] = {
        # facts §2: the controller and UI run on the control cluster only; Velero on every cluster of the pair.
        "migration_controller": control,
        "migration_ui": control,
        "migration_velero": True,
    }
    if control and pair.install is not None:
        # facts §11: the operator names the host MigCluster it creates after `cluster_name` and has no default for
        # it; "host" is its own sample value. The operator owns that MigCluster: we never render one.
        spec["cluster_name"] = facts.HOST_CLUSTER_NAME
    if control:
        # facts §2: read from the controller's own env, so only the control cluster's value counts.
        if dvm.stunnel_tcp_proxy is not None:
            spec["stunnel_tcp_proxy"] = stunnel_proxy_value(dvm.stunnel_tcp_proxy, password)
        # facts §1.2: a comma-separated string with no spaces; anything else crash-loops the controller.
        if dvm.source_supplemental_groups:
            spec["src_supplemental_groups"] = _groups(dvm.source_supplemental_groups)
        if dvm.target_supplemental_groups:
            spec["target_supplemental_groups"] = _groups(dvm.target_supplemental_groups)
    if Role.TARGET in cluster_roles:
        # facts §2: read from the destination's migration-cluster-config; written always because the operator
        # merges that ConfigMap and never deletes a removed key (facts §2 "stale keys").
        spec["rsync_endpoint_type"] = pair.target.rsync_endpoint_type.value
    if dvm.rsync_privileged is not None:
        # facts §2: read on both clusters (source for client pods, destination for server pods).
        spec["migration_rsync_privileged"] = dvm.rsync_privileged
    proxy = cluster.proxy
    if proxy is not None:
        if proxy.http_proxy is not None:
            spec["http_proxy"] = proxy.http_proxy.url
        if proxy.https_proxy is not None:
            spec["https_proxy"] = proxy.https_proxy.url
        if proxy.no_proxy is not None:
            spec["no_proxy"] = ",".join(sorted({entry.text for entry in proxy.no_proxy}))
    return dict(sorted(spec.items()))


def controller_object(
    pair: ClusterPair, cluster: Cluster, password: str | None, *, as_patch: bool, server_side_apply: bool
) -> Obj:
    """A partial MigrationController: a kustomize patch over a base, or a resource merged into the existing one
    (server-side apply where the cluster has it, client-side below 4.3). Either way it carries Prune=false and
    Delete=false, so deleting the Application never deletes MTC on any Argo CD version (facts §11)."""
    ref = cluster.migration_controller
    options = ",".join(facts.KEEP_OPTIONS) if as_patch else facts.controller_sync_options(server_side_apply)
    annotations = {facts.ARGOCD_SYNC_OPTIONS_KEY: options}
    return {
        "apiVersion": facts.MIGRATION_CONTROLLER_API,
        "kind": facts.MIGRATION_CONTROLLER_KIND,
        "metadata": metadata(ref.name, ref.namespace, annotations),
        "spec": controller_spec(pair, cluster, password),
    }
