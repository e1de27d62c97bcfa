"""Credentials read only at render time from the environment or a mounted file (spec §7, §8): the stunnel
proxy password, the replication repository's S3 keys and the remote cluster's service account token.

A value never appears in a problem message: only where it was looked for.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.mtc.install import remote_cluster, wires
from generator.problems import ProblemsError
from generator.render.install.plan import RenderSecrets
from generator.spec.model import ClusterPair
from generator.spec.yamlsource import PathKey

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


# --- spec §8: S3 credentials and the remote cluster's token, read at render time like the password ----------


def _unavailable(pair: ClusterPair, path: PathKey, message: str, suggestion: str = "") -> ProblemsError:
    return ProblemsError([pair.source_doc.problem(path, "credential-unavailable", message, suggestion=suggestion)])


def _env(pair: ClusterPair, name: str, path: PathKey) -> str:
    value = os.environ.get(name)
    if not value:
        raise _unavailable(
            pair, path, f"environment variable {name} is not set or empty", "export it, or mount the Secret as a file"
        )
    return value


def _file_text(pair: ClusterPair, file: str, path: PathKey, what: str) -> str:
    try:
        raw = Path(pair.spec_dir, file).read_bytes()[: MAX_PASSWORD_BYTES + 1]
    except OSError as exc:
        raise _unavailable(pair, path, f"cannot read the {what} file {file}: {exc.strerror or 'error'}") from None
    try:
        value = raw.decode("utf-8").strip() if len(raw) <= MAX_PASSWORD_BYTES else ""
    except UnicodeDecodeError:
        value = ""
    if not value:
        raise _unavailable(pair, path, f"the {what} file {file} is empty, too large or not UTF-8 text")
    return value


def _aws_credentials(pair: ClusterPair, file: str, path: PathKey) -> tuple[str, str]:
    """An AWS shared credentials file: `[default]` with aws_access_key_id and aws_secret_access_key."""
    import configparser  # noqa: PLC0415 - only for S3 credentials files; keeps the KRM function's start short

    text = _file_text(pair, file, path, "credentials")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        section = parser["default"]
        key_id, key = section["aws_access_key_id"].strip(), section["aws_secret_access_key"].strip()
    except (configparser.Error, KeyError):  # their messages may quote the file: never shown
        raise _unavailable(
            pair,
            path,
            f"the credentials file {file} is not an AWS credentials file with a [default] section holding "
            "aws_access_key_id and aws_secret_access_key",
        ) from None
    if not key_id or not key:
        raise _unavailable(pair, path, f"the credentials file {file} has an empty key")
    return key_id, key


def render_time_credentials(pair: ClusterPair) -> list[tuple[PathKey, str]]:
    """Every credential read at render time: (where it is declared, what it is). `generate` refuses them.

    The stunnel proxy password (spec §7), the replication repository's S3 keys and a remote token (spec §8).
    """
    found: list[tuple[PathKey, str]] = []
    proxy = pair.dvm.stunnel_tcp_proxy
    if proxy is not None and proxy.password_from is not None:
        found.append(((*proxy.path, "passwordFrom"), f"the stunnel proxy password ({proxy.password_from.describe()})"))
    repo = pair.replication_repository
    if repo is not None and repo.credentials.at_render_time:
        found.append((repo.credentials.path, "the replication repository's S3 credentials"))
    remote = remote_cluster(pair)
    if remote is not None and wires(pair) and remote.token_from is not None and remote.token_from.secret_ref is None:
        found.append((remote.token_from.path, f"the service account token of {remote.name}"))
    return found


def install_secrets(pair: ClusterPair, cluster: str) -> RenderSecrets:
    """The spec §8 credentials `cluster` needs (only the control cluster holds them); raises `ProblemsError`."""
    if cluster != pair.cluster(pair.control_cluster).name:
        return RenderSecrets()
    s3: tuple[str, str] | None = None
    repo = pair.replication_repository
    if repo is not None and repo.credentials.at_render_time:
        creds = repo.credentials
        if creds.file is not None:
            s3 = _aws_credentials(pair, creds.file, (*creds.path, "file"))
        elif creds.access_key_id_env is not None and creds.secret_access_key_env is not None:
            s3 = (
                _env(pair, creds.access_key_id_env, (*creds.path, "env", "accessKeyId")),
                _env(pair, creds.secret_access_key_env, (*creds.path, "env", "secretAccessKey")),
            )
    token: str | None = None
    remote = remote_cluster(pair)
    source = remote.token_from if remote is not None and wires(pair) else None
    if source is not None and source.env is not None:
        token = _env(pair, source.env, (*source.path, "env"))
    elif source is not None and source.file is not None:
        token = _file_text(pair, source.file, (*source.path, "file"), "token")
    return RenderSecrets(s3, token)
