"""The ordered uninstall plan of one cluster (seed 003 §7.6, facts §10): what deleting its Argo CD Application
removes, and the `oc delete` commands for the rest. It is a plan: nothing here runs anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from generator.mtc import install as facts
from generator.mtc.facts import MTC_API_GROUP
from generator.mtc.network import Environment
from generator.mtc.resolve import resolve
from generator.render.install.plan import credentials_secret_name, token_secret_name
from generator.render.objects import Obj
from generator.render.plan import render_cluster
from generator.spec.model import ClusterPair

# seed 003 §7.6 step 3, in its order: cluster-scoped resources on every cluster.
_CLUSTER_SCOPED = (
    "oc delete $(oc get crds -o name | grep 'migration.openshift.io')",
    "oc delete $(oc get crds -o name | grep 'velero')",
    "oc delete $(oc get clusterroles -o name | grep 'migration.openshift.io')",
    "oc delete clusterrole migration-operator",
    "oc delete $(oc get clusterroles -o name | grep 'velero')",
    "oc delete $(oc get clusterrolebindings -o name | grep 'migration.openshift.io')",
    "oc delete clusterrolebindings migration-operator",
    "oc delete $(oc get clusterrolebindings -o name | grep 'velero')",
)
_CSV_SELECTOR = f"operators.coreos.com/{facts.OLM_PACKAGE}.{facts.MTC_NAMESPACE}"


@dataclass(frozen=True)
class Step:
    title: str
    commands: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)  # what deleting the Application removes (step 2)
    note: str = ""


@dataclass(frozen=True)
class UninstallPlan:
    pair: str
    cluster: str
    steps: list[Step]

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def as_text(self) -> str:
        lines = [f"Uninstall plan for cluster {self.cluster} of pair {self.pair}. Nothing is run.", ""]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"{number}. {step.title}")
            if step.note:
                lines.append(f"   {step.note}")
            lines += [f"   - {item}" for item in step.removes]
            lines += [f"   $ {command}" for command in step.commands]
            lines.append("")
        return "\n".join(lines)


def _kept(obj: Obj) -> bool:
    options = (obj.get("metadata", {}).get("annotations") or {}).get(facts.SYNC_OPTIONS, "")
    return "Delete=false" in options.split(",")


def _kept_resources(made: list[Obj]) -> list[Step]:
    """MTC custom resources carry Prune=false,Delete=false (facts §11): deleting the Application keeps them."""
    kept = [o for o in made if _kept(o) and str(o["apiVersion"]).startswith(f"{MTC_API_GROUP}/")]
    if not kept:
        return []
    commands = [f"oc delete {o['kind'].lower()} {o['metadata']['name']} -n {o['metadata']['namespace']}" for o in kept]
    title = "Delete the MTC resources these overlays made (Prune=false,Delete=false keeps them with the Application):"
    return [Step(title, commands)]


def _describe(obj: Obj) -> str:
    meta = obj["metadata"]
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj['kind']} {where}{meta['name']}"


def uninstall_plan(pair: ClusterPair, cluster: str, env: Environment | None = None) -> UninstallPlan:
    """The plan for `cluster` (a cluster of this valid pair)."""
    env = env or Environment()
    resolved = resolve(pair, env)
    rc = resolved.cluster(cluster)
    if rc is None:
        raise ValueError(f"{cluster} is not a cluster of {pair.name}")
    render = render_cluster(pair, rc.spec, env, None)
    spec = rc.spec
    ref = spec.migration_controller
    others = [c.spec for c in resolved.clusters if c.name != cluster]
    steps = [
        Step(
            "Stop Argo CD from re-creating what you delete: take the pair out of the ApplicationSet, or turn "
            "auto-sync off on its Applications (self-heal re-creates a tracked object deleted by hand).",
            [],
        ),
        Step(
            "Delete the MigrationController on every cluster of the pair, so the operator removes what it created "
            "while it still runs (deleting the Application keeps it: Delete=false, or it is in the base).",
            [f"oc delete migrationcontroller {ref.name} -n {ref.namespace}"],
            note="also on "
            + ", ".join(
                f"{o.name} (oc delete migrationcontroller {o.migration_controller.name} -n "
                f"{o.migration_controller.namespace})"
                for o in others
            )
            if others
            else "",
        )
    ]
    made = [p for _, p in render.policies] + [f.whole for f in render.firewalls if f.whole is not None]
    if render.install is not None:
        made += [*render.install.operator, *render.install.secrets, *render.install.wiring]
    removes = [_describe(o) for o in made if not _kept(o)]  # patches change base objects: listed with the base
    if rc.control:  # Secrets rendered only at apply time, from credentials the spec names
        repo, remote = pair.replication_repository, facts.remote_cluster(pair)
        if repo is not None and repo.credentials.at_render_time:
            removes.append(f"Secret {facts.CONFIG_NAMESPACE}/{credentials_secret_name(pair)}")
        if remote is not None and facts.wires(pair) and remote.token_from and not remote.token_from.secret_ref:
            removes.append(f"Secret {facts.CONFIG_NAMESPACE}/{token_secret_name(remote)}")
    removes = sorted(set(removes))
    if spec.base is not None:
        removes.insert(0, f"every object of base {spec.base}" + (" (operator.yml)" if rc.version.legacy else ""))
    commands: list[str] = []
    legacy_installed = rc.version.legacy and spec.base is not None and pair.install is not None
    if pair.install is not None and not rc.version.legacy:
        note = "OLM keeps the ClusterServiceVersion when the Subscription goes: delete it to remove the operator."
        commands.append(f"oc delete clusterserviceversion -n {facts.MTC_NAMESPACE} -l {_CSV_SELECTOR}")
    elif legacy_installed:
        note = "The base holds operator.yml: deleting the Application is `oc delete -f operator.yml`."
    elif rc.version.legacy:
        note = "These overlays did not install the operator: remove it with `oc delete -f operator.yml`."
        commands.append("oc delete -f operator.yml")
    else:
        note = "These overlays did not install the operator: uninstall it with OLM."
        commands += [
            f"oc delete subscription {facts.SUBSCRIPTION_NAME} -n {facts.MTC_NAMESPACE}",
            f"oc delete clusterserviceversion -n {facts.MTC_NAMESPACE} -l {_CSV_SELECTOR}",
        ]
    steps += [
        *_kept_resources(made),
        Step(
            f"Delete the Argo CD Application that syncs overlays/{pair.name}/{cluster}; it removes:",
            commands,
            removes or ["nothing besides the MigrationController settings"],
            note,
        ),
    ]
    steps.append(Step("Delete the cluster-scoped resources (this removes Velero too):", list(_CLUSTER_SCOPED)))
    leftovers = [
        f"oc delete namespace {facts.MTC_NAMESPACE}",
        "oc delete scc rsync-anyuid",
    ]
    if rc.control:
        leftovers.append("oc delete oauthclient migration")
        if pair.replication_repository is not None:
            leftovers.append(f"oc delete secret {credentials_secret_name(pair)} -n {facts.CONFIG_NAMESPACE}")
        remote = facts.remote_cluster(pair)
        if remote is not None and facts.wires(pair):
            leftovers.append(f"oc delete secret {token_secret_name(remote)} -n {facts.CONFIG_NAMESPACE}")
    if not rc.version.legacy:
        leftovers.append(f"oc get subscription,clusterserviceversion -n {facts.MTC_NAMESPACE}  # OADP, if unused")
    steps.append(
        Step(
            "Optional: what MTC likely leaves behind (docs/why.md#installing-mtc-and-the-replication-repository); "
            "check before deleting.",
            leftovers,
        )
    )
    return UninstallPlan(pair.name, cluster, steps)
