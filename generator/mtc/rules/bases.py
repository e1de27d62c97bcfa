"""What a cluster's `base` must hold (spec §4.2): the MigrationController and every declared firewall.

A kustomize patch whose `target` matches nothing is skipped silently: DVM would stay blocked behind a green
build. So each base is read (generator.clusterpair.base, once per pair in `resolve`) and checked here. Where a base
cannot be read fully the check is partial, and says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.mtc import facts
from generator.mtc.resolve import ResolvedCluster
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Severity


def _read(ctx: RuleContext) -> Iterator[ResolvedCluster]:
    yield from (c for c in ctx.resolved.clusters if c.holdings is not None)


def _readable(ctx: RuleContext) -> Iterator[ResolvedCluster]:
    """Bases read without errors: a broken one (base-broken) would only add noise about what it lacks."""
    yield from (c for c in _read(ctx) if not c.base_errors)


def _holds(names: list[str]) -> str:
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return f"it holds {shown}" if names else "it holds none"


@rule("base-broken")
def base_broken(ctx: RuleContext) -> Iterator[Finding]:
    """A base that `kustomize build` cannot build: a missing resource, YAML that does not parse, a cycle.

    Passing::

        # clusters/ocp311/kustomization.yaml
        resources: [migrationcontroller.yaml]

    Failing::

        # clusters/ocp311/kustomization.yaml
        resources: [migrationcontroller.yaml, missing.yaml]
    """
    for cluster in _read(ctx):
        for error in cluster.base_errors:
            yield Finding((*cluster.spec.path, "base"), f"base {cluster.spec.base}: {error}")


@rule("base-unchecked", Severity.WARNING)
def base_unchecked(ctx: RuleContext) -> Iterator[Finding]:
    """A base that cannot be read fully (remote resources, helm charts, generator/transformer plugins) is partial.

    Objects that live in the unread part may still be there; a missing one is then not reported, so this
    warning says the check was partial (never a silent pass).

    Passing::

        resources: [migrationcontroller.yaml, egressfirewall.yaml]

    Failing::

        resources: [https://github.com/example/cluster-config//ocp311?ref=v1]
    """
    for cluster in _read(ctx):
        holdings = cluster.holdings
        if holdings is not None and not holdings.complete:
            shown = "; ".join(holdings.unread[:5]) + ("; ..." if len(holdings.unread) > 5 else "")
            yield Finding(
                (*cluster.spec.path, "base"),
                f"base {cluster.spec.base} was not fully checked: {shown}",
                suggestion="make sure it holds the MigrationController and the declared egress firewalls",
            )


@rule("base-controller")
def base_controller(ctx: RuleContext) -> Iterator[Finding]:
    """A base holds the MigrationController named in the spec: the overlay patches it.

    Passing::

        source: {base: clusters/ocp311}                  # holds openshift-migration/migration-controller

    Failing::

        source: {base: clusters/ocp311, migrationController: {name: mtc}}   # the base names it otherwise
    """
    for cluster in _readable(ctx):
        holdings = cluster.holdings
        ref = cluster.spec.migration_controller
        if holdings is None or (not holdings.complete and not holdings.names_of(facts.MIGRATION_CONTROLLER_KIND)):
            continue  # partial: base-unchecked says so
        found = holdings.find(facts.MIGRATION_CONTROLLER_API, facts.MIGRATION_CONTROLLER_KIND, ref.namespace, ref.name)
        if found is None:
            yield Finding(
                (*cluster.spec.path, "base"),
                f"base {cluster.spec.base} holds no MigrationController {ref.namespace}/{ref.name} to patch; "
                + _holds(holdings.names_of(facts.MIGRATION_CONTROLLER_KIND)),
                suggestion="set migrationController: {name, namespace} to the one it holds, or add it to the base",
            )


@rule("base-firewall")
def base_firewall(ctx: RuleContext) -> Iterator[Finding]:
    """A firewall declared without `rules:` is in the source's base (kind by network type, name, namespace);
    one declared with `rules:` is not (the overlay would add a second object of the same id).

    Passing::

        source: {networkType: OVNKubernetes, base: clusters/dc1}     # holds EgressFirewall payments/default
        namespaces: [{source: payments, egressFirewall: {name: default}}]

    Failing::

        source: {networkType: OpenShiftSDN, base: clusters/dc1}      # holds no EgressNetworkPolicy payments/fw
        namespaces: [{source: payments, egressFirewall: {name: fw}}]
    """
    source = ctx.resolved.source
    holdings = source.holdings
    api = source.caps.firewall
    if holdings is None or api is None or source.base_errors:
        return
    for ns in ctx.pair.namespaces:
        fw = ns.egress_firewall
        if fw is None:
            continue
        found = holdings.find(api.api_version, api.kind, ns.source, fw.name)
        if fw.rules is not None and found is not None:
            yield Finding(
                (*fw.path, "rules"),
                f"base {source.spec.base} already holds {api.kind} {ns.source}/{fw.name}; with `rules:` the overlay "
                "would add a second one",
                suggestion="remove `rules:` so that the base's firewall is patched",
            )
        elif fw.rules is None and found is None and holdings.complete:
            yield Finding(
                (*fw.path, "name"),
                f"base {source.spec.base} holds no {api.kind} {ns.source}/{fw.name}, so the patch would match "
                f"nothing and DVM would stay blocked; {_holds(holdings.names_of(api.kind))}",
                suggestion="name the firewall the base holds, or give its rules with `rules:`",
            )
