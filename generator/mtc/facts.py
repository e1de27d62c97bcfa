"""Facts about MTC Direct Volume Migration that the generator is built on.

Each constant names the fact in `mtc-dvm-facts.md` it comes from; change them only with a new source.
"""

from __future__ import annotations

from typing import Final

MANAGED_BY_LABEL: Final = {"app.kubernetes.io/managed-by": "mtc-policygen"}

# facts §1: the operator's CR; spec keys are read as snake_case Ansible variables (§1.1).
MIGRATION_CONTROLLER_API: Final = "migration.openshift.io/v1alpha1"
MIGRATION_CONTROLLER_KIND: Final = "MigrationController"
# facts §11: the host MigCluster's name comes from the controller's `cluster_name` (no default; the CSV sample: host).
HOST_CLUSTER_NAME: Final = "host"

# facts §11: Argo CD's per-resource sync options. Prune=false,Delete=false on every MTC object we emit or patch:
# Application-level Prune=false/Delete=false are ignored before Argo CD 3.4, the annotation works on every 2.x.
ARGOCD_SYNC_OPTIONS_KEY: Final = "argocd.argoproj.io/sync-options"
KEEP_OPTIONS: Final = ("Prune=false", "Delete=false")
# facts §11: an apply patch (server-side apply) needs Kubernetes 1.16 (OpenShift 4.3); older servers reject it.
SERVER_SIDE_APPLY: Final = "ServerSideApply=true"
# The CRs of MTC's own API group: the objects whose per-resource options keep them (spec §4, facts §11).
MTC_API_GROUP: Final = "migration.openshift.io"


def controller_sync_options(server_side_apply: bool) -> str:
    """A partial MigrationController: server-side apply (a shared merge into the operator's CR) where the cluster
    has it; client-side apply (a merge patch of the existing object) below OpenShift 4.3."""
    ssa = (SERVER_SIDE_APPLY,) if server_side_apply else ()
    return ",".join((*ssa, "Validate=false", *KEEP_OPTIONS))


# facts §3.2: every rsync pod of MTC 1.6-1.8 carries owner=directvolumemigration; `app` is rsync-transfer, or
# rsync-transfer-block for the 1.8 block/VM pods. The `directvolumemigration` label is a per-run UID: never used.
DVM_OWNER_LABEL: Final = ("owner", "directvolumemigration")
DVM_APP_LABEL_KEY: Final = "app"
DVM_APP_FS: Final = "directvolumemigration-rsync-transfer"
DVM_APP_BLOCK: Final = "directvolumemigration-rsync-transfer-block"

# facts §3.1/§3.3: stunnel on the server pod accepts 6443; Route traffic enters the router on 443 (passthrough);
# NodePort is allocated from the service node port range.
STUNNEL_PORT: Final = 6443
ROUTE_PORT: Final = 443
NODE_PORT_RANGE: Final = (30000, 32767)
DNS_PORTS: Final = (53, 5353)  # cluster DNS: 53, and 5353 where openshift-dns pods listen (facts §3.7)

# facts §3.3: route names and the controller's hashing of long hosts.
ROUTE_FS: Final = "dvm"
ROUTE_BLOCK: Final = "dvm-block"
ROUTE_PREFIX_MAX: Final = 62

# facts §5: router namespaces carry this label (preferred form).
ROUTER_NAMESPACE_LABEL: Final = {"policy-group.network.openshift.io/ingress": ""}
# facts §9: before 4.7 the router namespace carries only the legacy form.
ROUTER_NAMESPACE_LABEL_LEGACY: Final = {"network.openshift.io/policy-group": "ingress"}
# facts §3.7 / §9: the cluster DNS pods run in openshift-dns on OpenShift 4 (selectable by name from 4.8).
DNS_NAMESPACE: Final = "openshift-dns"
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"

# spec §4 (documented allow-all names, the ingress one fixed) and facts §3.7 (least-privilege names).
OPEN_EGRESS_POLICY: Final = "allow-all-egress-from-rsync-pods"
OPEN_INGRESS_POLICY: Final = "allow-all-ingress-to-rsync-pods"
STRICT_EGRESS_POLICY: Final = "allow-dvm-rsync-client-egress"
STRICT_INGRESS_POLICY: Final = "allow-dvm-rsync-server-ingress"

# facts §4.1 / §4.2: firewall APIs and their documented rule limits.
EGRESS_NETWORK_POLICY_API: Final = "network.openshift.io/v1"
EGRESS_NETWORK_POLICY_KIND: Final = "EgressNetworkPolicy"
EGRESS_NETWORK_POLICY_MAX_RULES: Final = 1000
EGRESS_NETWORK_POLICY_MAX_RULES_3X: Final = 50  # facts §9: origin's EgressNetworkPolicyMaxRules on 3.x
EGRESS_FIREWALL_API: Final = "k8s.ovn.org/v1"
EGRESS_FIREWALL_KIND: Final = "EgressFirewall"
EGRESS_FIREWALL_MAX_RULES: Final = 8000
EGRESS_FIREWALL_NAME: Final = "default"

# facts §4.1 / §4.2: dnsName patterns of the two firewall APIs.
ENP_DNS_NAME_PATTERN: Final = r"^([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?$"
EF_DNS_NAME_PATTERN: Final = r"^(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?$"
