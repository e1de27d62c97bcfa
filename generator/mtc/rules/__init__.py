"""Domain rules of MTC Direct Volume Migration, one named unit each (yamllint-style).

Each rule is a function decorated with `@rule("id")` whose docstring says why it exists and which fact it
rests on; it yields `Finding`s and never raises for bad input. `validate` runs them all in a fixed order.
"""

from __future__ import annotations

from generator.mtc.rules import (
    addresses,
    bases,
    capabilities,
    firewalls,
    install,
    namespaces,
    openings,
    proxies,
    versions,
)
from generator.mtc.rules.registry import RULES, SEVERITIES, Finding, RuleContext, rule, validate

__all__ = ["RULES", "SEVERITIES", "Finding", "RuleContext", "rule", "validate"]

# Imported for their registrations; the order of this tuple is the order problems are found in.
_MODULES = (versions, addresses, proxies, namespaces, bases, capabilities, firewalls, install, openings)
