"""Credentials read only at render time from the environment or a mounted file (spec §7, §8): the stunnel
proxy password, the replication repository's S3 keys and the remote cluster's service account token.

A value never appears in a problem message: only where it was looked for.
"""

from __future__ import annotations

import os

from generator.clusterpair.files import UnreadableFileError, read_limited
from generator.clusterpair.model import ClusterPair
from generator.clusterpair.yamlsource import PathKey
from generator.mtc.install import remote_cluster, wires
from generator.problems import ProblemsError
from generator.render.install.plan import RenderSecrets

MAX_PASSWORD_BYTES = 4096
MAX_CREDENTIALS_BYTES = 65536  # an AWS credentials file with a few profiles


def _problem(pair: ClusterPair, path: PathKey, rule: str, message: str, suggestion: str = "") -> ProblemsError:
    return ProblemsError([pair.source_doc.problem(path, rule, message, suggestion=suggestion)])


def unusable(value: str) -> str:
    """Why a secret cannot go into a rendered object, or "" when it can (the value itself is never shown).

    A control character or a line break means the file or variable is not the one secret it should be (a
    shadow file, /proc/self/environ): it is refused, never URL- or base64-encoded into the output. A byte
    that is not UTF-8 (an environment variable) could not be written at all.
    """
    if not value:
        return "is empty"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not UTF-8 text"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "holds a line break or another control character (one secret value expected)"
    return ""


def _env_value(pair: ClusterPair, name: str, path: PathKey, rule: str, fix: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise _problem(pair, path, rule, f"environment variable {name} is not set or empty", fix)
    why = unusable(value)
    if why:
        raise _problem(pair, path, rule, f"environment variable {name} {why}")
    return value


def _secret_file(pair: ClusterPair, file: str, path: PathKey, rule: str, what: str, *, limit: int) -> str:
    """The text of a render-time secret file, inside the root or an allowed secret folder, read bounded."""
    try:
        raw = read_limited(pair.locate(file, "", secret=True), limit)
    except UnreadableFileError as exc:
        message = str(exc) if exc.rule == "outside-root" else f"cannot read the {what} file {file}: {exc}"
        raise _problem(pair, path, rule, message) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _problem(pair, path, rule, f"the {what} file {file} is not UTF-8 text") from None


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
    if source.env is not None:
        fix = "export it, or mount the Secret and use passwordFrom.file"
        return _env_value(pair, source.env, (*path, "env"), "password-unavailable", fix)
    file = source.file or ""
    text = _secret_file(pair, file, (*path, "file"), "password-unavailable", "password", limit=MAX_PASSWORD_BYTES)
    value = text.removesuffix("\n").removesuffix("\r")  # one final line break, as `echo` or an editor leaves
    why = unusable(value)
    if why:
        raise _problem(pair, (*path, "file"), "password-unavailable", f"the password file {file} {why}")
    return value


# --- spec §8: S3 credentials and the remote cluster's token, read at render time like the password ----------


def _env(pair: ClusterPair, name: str, path: PathKey) -> str:
    fix = "export it, or mount the Secret as a file"
    return _env_value(pair, name, path, "credential-unavailable", fix)


def _file_text(pair: ClusterPair, file: str, path: PathKey, what: str) -> str:
    text = _secret_file(pair, file, path, "credential-unavailable", what, limit=MAX_PASSWORD_BYTES).strip()
    why = unusable(text)
    if why:
        raise _problem(pair, path, "credential-unavailable", f"the {what} file {file} {why}")
    return text


def _aws_credentials(pair: ClusterPair, file: str, path: PathKey) -> tuple[str, str]:
    """An AWS shared credentials file: `[default]` with aws_access_key_id and aws_secret_access_key."""
    import configparser  # noqa: PLC0415 - only for S3 credentials files; keeps the KRM function's start short

    text = _secret_file(pair, file, path, "credential-unavailable", "credentials", limit=MAX_CREDENTIALS_BYTES)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        section = parser["default"]
        key_id, key = section["aws_access_key_id"].strip(), section["aws_secret_access_key"].strip()
    except (configparser.Error, KeyError):  # their messages may quote the file: never shown
        raise _problem(
            pair,
            path,
            "credential-unavailable",
            f"the credentials file {file} is not an AWS credentials file with a [default] section holding "
            "aws_access_key_id and aws_secret_access_key",
        ) from None
    if not key_id or not key:
        raise _problem(pair, path, "credential-unavailable", f"the credentials file {file} has an empty key")
    why = unusable(key_id) or unusable(key)
    if why:
        raise _problem(pair, path, "credential-unavailable", f"a key in the credentials file {file} {why}")
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
