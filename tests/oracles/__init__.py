"""Independent oracles for mtc-policygen's output, written from the facts files, not from the generator.

* :mod:`.firewall` - JSON Schemas of EgressNetworkPolicy / EgressFirewall and of rule-inserting patches.
* :mod:`.k8svalidate` - NetworkPolicy objects against the upstream OpenAPI schema plus API-server rules.
* :mod:`.nca` - reachability through the policies, computed by network-config-analyzer.
* :mod:`.tools` - the real kustomize / kubectl / nca binaries, located the same way everywhere.

Nothing here imports ``generator``: an oracle that shared code with the generator would share its bugs.
"""

from .firewall import INSTALL_KINDS, validate_firewall, validate_firewall_patch, validate_install_object
from .k8svalidate import K8S_VERSION, validate_networkpolicies
from .tools import ToolError, kubectl_bin, kubectl_kustomize, kustomize_bin, kustomize_build, nca_bin

__all__ = [
    "INSTALL_KINDS",
    "K8S_VERSION",
    "ToolError",
    "kubectl_bin",
    "kubectl_kustomize",
    "kustomize_bin",
    "kustomize_build",
    "nca_bin",
    "validate_firewall",
    "validate_firewall_patch",
    "validate_install_object",
    "validate_networkpolicies",
]
