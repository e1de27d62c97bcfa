"""The ordered uninstall plan of one cluster (spec §8, §9; facts §10, §11). It is a plan: nothing here runs.

The order is what makes it safe: (1) close the openings, so each egress firewall is back to the user's own
rules and our NetworkPolicies are gone; (2) under Argo CD, take the pair out of Argo CD's hands first, because
`selfHeal` re-creates an object deleted by hand and, with `preserveResourcesOnDeletion`, deleting an Application
removes nothing; (3) delete the MigrationController on every cluster while the operator still runs, so it
removes what it created; (4) delete each object we made, by kind, name and namespace; (5) the operator, its CRDs,
cluster roles and bindings. An egress firewall or any object of a `base` is never in a delete list: a firewall
is the user's (only its DVM rules were ours, removed by step 1), and a base holds what existed before.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, field

from generator.clusterpair.model import ClusterPair
from generator.mtc import install
from generator.mtc.holdings import identity
from generator.mtc.resolve import ResolvedCluster, ResolvedPair
from generator.records import record
from generator.render.install.plan import credentials_secret_name, token_secret_name
from generator.render.objects import Obj
from generator.render.plan import ClusterRender, render_cluster

# Cluster-scoped resources on every cluster, in the order Red Hat's MTC uninstall procedure gives.
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
_CSV_SELECTOR = f"operators.coreos.com/{install.OLM_PACKAGE}.{install.MTC_NAMESPACE}"
FIREWALL_KINDS = ("EgressFirewall", "EgressNetworkPolicy")
STEP_KEYS = ("close", "argocd", "controller", "objects", "operator")


@record
class Step:
    key: str  # close | argocd | controller | objects | operator | leftovers
    title: str
    commands: list[str] = field(default_factory=list)  # this cluster's, in order
    note: str = ""
    also: dict[str, list[str]] = field(default_factory=dict)  # the same step's commands on the pair's other cluster


@record
class UninstallPlan:
    pair: str
    cluster: str
    openings: str  # the state as rendered now: "open until ...", "closed", ...
    steps: list[Step]

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def as_text(self) -> str:
        lines = [
            f"Uninstall plan for cluster {self.cluster} of pair {self.pair} (openings: {self.openings}).",
            "Nothing is run: paste each command in order, logged in to the cluster named above it.",
            "",
        ]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"{number}. {step.title}")
            if step.note:
                lines.append(f"   {step.note}")
            lines += [f"   $ {command}" for command in step.commands]
            for other, commands in step.also.items():
                lines.append(f"   also on {other}:")
                lines += [f"   $ {command}" for command in commands]
            lines.append("")
        return "\n".join(lines)


def _delete(obj: Obj, *, ignore_missing: bool = False) -> str:
    meta = obj["metadata"]
    words = ["oc", "delete", str(obj["kind"]).lower(), str(meta["name"])]
    if meta.get("namespace"):
        words += ["-n", str(meta["namespace"])]
    if ignore_missing:
        words.append("--ignore-not-found")
    return shlex.join(words)


def _theirs(rc: ResolvedCluster) -> set[tuple[str, str, str, str]]:
    return {identity(o) for o in rc.holdings.objects} if rc.holdings is not None else set()


def _close_commands(render: ClusterRender) -> list[str]:
    """Our NetworkPolicies, by name (a sync that prunes removes them too; `oc apply` never does)."""
    return [_delete(p, ignore_missing=True) for _, p in render.policies]


def _close_checks(render: ClusterRender) -> list[str]:
    checks = [
        shlex.join(["oc", "get", "networkpolicy", p["metadata"]["name"], "-n", ns]) + "  # expect NotFound"
        for ns, p in render.policies
    ]
    for fw in render.firewalls:
        words = ["oc", "get", fw.kind.lower(), fw.name, "-n", fw.namespace, "-o", "jsonpath={.spec.egress}"]
        dvm = ", ".join(json.dumps(rule, separators=(",", ":"), sort_keys=True) for rule in fw.rules)
        checks.append(shlex.join(words) + f"  # expect none of the DVM rules: {dvm}")
    return checks


def _close(pair: ClusterPair, resolved: ResolvedPair, opened: dict[str, ClusterRender], cluster: str) -> Step:
    spec = shlex.quote(pair.source_doc.file)
    overlay = f"overlays/{pair.name}/{cluster}"
    if resolved.openings.closed:
        title = f"Confirm the openings are closed ({resolved.openings.describe()}): the overlays hold none of them."
        note = ""
    else:
        title = "Close the openings: write `openings: {state: closed}` in the spec and roll it out."
        note = (
            f"Regenerate ({'mtc-policygen generate ' + spec + ' -o overlays'}) and commit; under Argo CD, sync the "
            f"openings Application (argocd app sync mtc-{pair.name}-{cluster}-openings); without it, "
            f"`oc apply -k {overlay}` gives each firewall back its own rules. Then delete and check:"
        )
    others = {
        name: _close_commands(render) + _close_checks(render) for name, render in opened.items() if name != cluster
    }
    mine = opened[cluster]
    return Step(
        "close", title, _close_commands(mine) + _close_checks(mine), note, {k: v for k, v in others.items() if v}
    )


def _argocd(pair: ClusterPair, clusters: list[str], namespace: str) -> Step:
    def apps(cluster: str) -> list[str]:
        names = [f"mtc-{pair.name}-{cluster}", f"mtc-{pair.name}-{cluster}-openings"]
        return [shlex.join(["oc", "get", "applications.argoproj.io", *names, "-n", namespace]) + "  # expect NotFound"]

    return Step(
        "argocd",
        "Under Argo CD: take the pair out of Argo CD's hands before deleting anything (skip without Argo CD).",
        [command for cluster in clusters for command in apps(cluster)],
        f"Remove {pair.source_doc.file} from the folder the ApplicationSets are made from, run `mtc-policygen appset` "
        "again and apply its output (or turn auto-sync off on the pair's Applications): `selfHeal` re-creates what "
        "is deleted by hand, and deleting an Application removes nothing (preserveResourcesOnDeletion). Check, on "
        "the cluster running Argo CD:",
    )


def _controller(resolved: ResolvedPair, cluster: str) -> Step:
    def command(rc: ResolvedCluster) -> list[str]:
        ref = rc.spec.migration_controller
        return [shlex.join(["oc", "delete", "migrationcontroller", ref.name, "-n", ref.namespace])]

    mine = resolved.cluster(cluster)
    assert mine is not None  # noqa: S101 - checked by the caller
    return Step(
        "controller",
        "Delete the MigrationController on every cluster of the pair, so the operator removes what it created "
        "while it still runs.",
        command(mine),
        also={rc.name: command(rc) for rc in resolved.clusters if rc.name != cluster},
    )


def _ours(pair: ClusterPair, rc: ResolvedCluster, render: ClusterRender) -> list[str]:
    """Every object we made on this cluster, by name: never a firewall, a base object or the operator's."""
    made = [p for _, p in render.policies]
    if render.install is not None:
        made += [*render.install.secrets, *render.install.wiring]
    theirs = _theirs(rc)
    commands = [
        _delete(o, ignore_missing=True) for o in made if o["kind"] not in FIREWALL_KINDS and identity(o) not in theirs
    ]
    if rc.control:  # Secrets rendered from credentials read at render time: ours, named by the spec
        repo, remote = pair.replication_repository, install.remote_cluster(pair)
        if repo is not None and repo.credentials.at_render_time:
            secret = {
                "kind": "Secret",
                "metadata": {"name": credentials_secret_name(pair), "namespace": install.CONFIG_NAMESPACE},
            }
            commands.append(_delete(secret, ignore_missing=True))
        if remote is not None and install.wires(pair) and remote.token_from and not remote.token_from.secret_ref:
            secret = {
                "kind": "Secret",
                "metadata": {"name": token_secret_name(remote), "namespace": install.CONFIG_NAMESPACE},
            }
            commands.append(_delete(secret, ignore_missing=True))
    return sorted(set(commands))


def _objects(pair: ClusterPair, commands: list[str], others: list[str]) -> Step:
    note = "" if commands else "Nothing besides the openings and the MigrationController settings."
    spec = shlex.quote(pair.source_doc.file)
    for other in others:
        note += f" For {other}'s: mtc-policygen uninstall {spec} --cluster {other}."
    return Step("objects", "Delete each object these overlays made on this cluster, by name.", commands, note.strip())


def _operator(pair: ClusterPair, rc: ResolvedCluster, render: ClusterRender) -> Step:
    commands: list[str] = []
    note = ""
    installed = render.install.operator if render.install is not None else []
    if pair.install is not None and not rc.caps.legacy_platform:
        # OLM keeps the ClusterServiceVersion when the Subscription goes: delete it to remove the operator.
        subscription = [o for o in installed if o["kind"] == "Subscription"]
        commands += [_delete(o, ignore_missing=True) for o in subscription]
        commands.append(f"oc delete clusterserviceversion -n {install.MTC_NAMESPACE} -l {_CSV_SELECTOR}")
        commands += [_delete(o, ignore_missing=True) for o in installed if o["kind"] == "OperatorGroup"]
    elif rc.caps.legacy_platform and rc.spec.base is not None:
        note = (
            f"The legacy operator comes from operator.yml in your base {rc.spec.base}: stop applying it and remove "
            "it with `oc delete -f operator.yml` from that folder. Nothing else of the base is removed."
        )
    elif rc.caps.legacy_platform:
        note = "These overlays did not install the operator: remove it with `oc delete -f operator.yml`."
    else:
        note = "These overlays did not install the operator: uninstall it with OLM:"
        commands += [
            f"oc delete subscription {install.SUBSCRIPTION_NAME} -n {install.MTC_NAMESPACE}",
            f"oc delete clusterserviceversion -n {install.MTC_NAMESPACE} -l {_CSV_SELECTOR}",
        ]
    return Step(
        "operator",
        "Remove the operator, then the cluster-scoped resources (this removes Velero too).",
        [*commands, *_CLUSTER_SCOPED],
        note,
    )


def _leftovers(pair: ClusterPair, rc: ResolvedCluster) -> Step:
    namespace = ("", "Namespace", "", install.MTC_NAMESPACE)
    leftovers = [] if namespace in _theirs(rc) else [f"oc delete namespace {install.MTC_NAMESPACE}"]
    leftovers.append("oc delete scc rsync-anyuid")
    if rc.control:
        leftovers.append("oc delete oauthclient migration")
    if not rc.caps.legacy_platform:
        leftovers.append(f"oc get subscription,clusterserviceversion -n {install.MTC_NAMESPACE}  # OADP, if unused")
    return Step("leftovers", "Optional: what MTC is known to leave behind; check before deleting.", leftovers)


def uninstall_plan(resolved: ResolvedPair, cluster: str, *, argocd_namespace: str = "argocd") -> UninstallPlan:
    """The plan for `cluster` (a cluster of this valid pair), from the pair as `check` resolved it."""
    pair = resolved.spec
    rc = resolved.cluster(cluster)
    if rc is None:
        raise ValueError(f"{cluster} is not a cluster of {pair.name}")
    open_ = resolved.with_openings(closed=False)  # what the openings are, whatever their state now
    opened = {c.name: render_cluster(open_, c.spec, None) for c in resolved.clusters}
    render = opened[cluster]
    others = [c.name for c in resolved.clusters if c.name != cluster]
    objects = _ours(pair, rc, render)
    steps = [
        _close(pair, resolved, opened, cluster),
        _argocd(pair, [cluster, *others], argocd_namespace),
        _controller(resolved, cluster),
        _objects(pair, objects, others),
        _operator(pair, rc, render),
        _leftovers(pair, rc),
    ]
    return UninstallPlan(pair.name, cluster, resolved.openings.describe(), steps)
