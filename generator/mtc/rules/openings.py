"""Rules on the DVM openings window (spec §9): say its state, and where it has no end."""

from __future__ import annotations

from collections.abc import Iterator

from generator.clusterpair.model import OpeningsState
from generator.mtc.openings import duration_text, utc_text
from generator.mtc.resolve import ResolvedPair
from generator.mtc.rules.registry import Finding, RuleContext, rule
from generator.problems import Problem, Severity

NO_DEADLINE = "openings-no-deadline"


@rule("openings-window", Severity.INFO)
def openings_window(ctx: RuleContext) -> Iterator[Finding]:
    """Say how long the openings have left, or that they are closed.

    Security teams grant DVM's holes in NetworkPolicies and egress firewalls for a window; the person who
    runs `validate` should see when it ends without reading timestamps against a clock.

    Silent with no `openings` at all (open, no deadline: `validate --strict` warns about that instead).

    Passing::

        namespaces: [app1]

    Failing (info)::

        openings: {closesAt: 2027-01-31T18:00:00Z}   # open: says the time left; passed: says it closed
        openings: {state: closed}
    """
    openings = ctx.resolved.openings
    path = ctx.pair.openings.path
    if openings.left is not None and openings.closes_at is not None:
        yield Finding(
            (*path, "closesAt"),
            f"the openings are open until {utc_text(openings.closes_at)} ({duration_text(openings.left)} left); "
            "from then on the pair renders no DVM NetworkPolicy or egress firewall rule",
        )
    elif openings.expired and openings.closes_at is not None:
        yield Finding(
            (*path, "closesAt"),
            f"the openings closed at {utc_text(openings.closes_at)}: no DVM NetworkPolicy or egress firewall rule "
            "is rendered any more",
            suggestion="write `state: closed` to record it in the spec, or move closesAt to reopen",
        )
    elif openings.closed:
        yield Finding(
            (*path, "state"), "the openings are closed: no DVM NetworkPolicy or egress firewall rule is rendered"
        )


def no_deadline(resolved: ResolvedPair) -> Problem | None:
    """`validate --strict`: an open window with no deadline is a warning (it stays open until someone
    remembers it). Not a registered rule: other commands never report it."""
    spec = resolved.spec.openings
    if spec.state is not OpeningsState.OPEN or spec.closes_at is not None:
        return None
    return resolved.spec.source_doc.problem(
        spec.path,
        NO_DEADLINE,
        "the DVM openings are open with no deadline: they stay until someone closes them",
        severity=Severity.WARNING,
        suggestion="add openings.closesAt: <RFC 3339 UTC time> (see docs/openings.md)",
    )
