"""Host names of the DVM rsync routes, as mig-controller and crane-lib build them (facts §3.3)."""

from __future__ import annotations

from generator.clusterpair.values import MtcVersion
from generator.mtc import facts
from generator.mtc.thresholds import block_rsync


def route_prefix(route_name: str, namespace: str) -> str:
    """`<route>-<namespace>`; over 62 characters it becomes `<route>-<md5(namespace)>` cut to 62."""
    prefix = f"{route_name}-{namespace}"
    if len(prefix) > facts.ROUTE_PREFIX_MAX:
        import hashlib  # noqa: PLC0415 - a long name is rare; OpenSSL's start-up costs every run

        digest = hashlib.md5(namespace.encode(), usedforsecurity=False).hexdigest()
        prefix = f"{route_name}-{digest}"[: facts.ROUTE_PREFIX_MAX]
    return prefix


def route_names(mtc: MtcVersion) -> tuple[str, ...]:
    """facts §3.1: MTC 1.8 always creates both the filesystem and the block route."""
    return (facts.ROUTE_FS, facts.ROUTE_BLOCK) if block_rsync(mtc) else (facts.ROUTE_FS,)


def route_hosts(target_namespace: str, apps_domain: str, mtc: MtcVersion) -> list[str]:
    return [f"{route_prefix(name, target_namespace)}.{apps_domain}" for name in route_names(mtc)]
