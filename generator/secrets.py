"""The stunnel proxy password, read only at render time from the environment or a mounted file (spec §7).

The value never appears in a problem message: only where it was looked for.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.problems import ProblemsError
from generator.spec.model import ClusterPair

MAX_PASSWORD_BYTES = 4096


def password_for(pair: ClusterPair, cluster: str) -> str | None:
    """The password when `cluster` needs it: only the control cluster carries `stunnel_tcp_proxy` (facts §2)."""
    return read_password(pair) if cluster == pair.cluster(pair.control_cluster).name else None


def read_password(pair: ClusterPair) -> str | None:
    """The password named by `passwordFrom`, or None when the spec needs none; raises `ProblemsError`."""
    proxy = pair.dvm.stunnel_tcp_proxy
    if proxy is None or proxy.password_from is None:
        return None
    source = proxy.password_from
    path = (*proxy.path, "passwordFrom")
    doc = pair.source_doc
    if source.env is not None:
        value = os.environ.get(source.env)
        if not value:
            raise ProblemsError(
                [
                    doc.problem(
                        (*path, "env"),
                        "password-unavailable",
                        f"environment variable {source.env} is not set or empty",
                        suggestion="export it, or mount the Secret and use passwordFrom.file",
                    )
                ]
            )
        return value
    file = Path(pair.spec_dir, source.file or "")
    try:
        raw = file.read_bytes()[: MAX_PASSWORD_BYTES + 1]
    except OSError as exc:
        raise ProblemsError(
            [
                doc.problem(
                    (*path, "file"),
                    "password-unavailable",
                    f"cannot read the password file {source.file}: {exc.strerror or 'error'}",
                )
            ]
        ) from None
    try:
        value = raw.decode("utf-8").rstrip("\r\n") if len(raw) <= MAX_PASSWORD_BYTES else ""
    except UnicodeDecodeError:
        value = ""
    if not value:
        raise ProblemsError(
            [
                doc.problem(
                    (*path, "file"),
                    "password-unavailable",
                    f"the password file {source.file} is empty, too large or not UTF-8 text",
                )
            ]
        )
    return value
