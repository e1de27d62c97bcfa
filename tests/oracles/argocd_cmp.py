"""Run a ConfigManagementPlugin the way argocd-cmp-server does, without Argo CD (plugin contracts §1).

What is reproduced, and where Argo CD does it (argo-cd `cmpserver/plugin/plugin.go`, `util/cmp/stream.go`,
`reposerver/repository/repository.go`, `pkg/apis/application/v1alpha1/types.go`):

- the repo is copied for every request into `<workdir>/_cmp_server/<random>/`, files **0644** and folders
  **0755** (tar without `preserveFileMode`), and commands run in `<copy>/<app path>`;
- commands are exec'd as `command[0]` (looked up in the sidecar's PATH) + `command[1:]` + `args`: no shell,
  stdin not connected (`/dev/null`), their own process group;
- the environment is exactly the sidecar's plus the request entries: `ARGOCD_APP_*`, `KUBE_VERSION`,
  `KUBE_API_VERSIONS` (comma-joined), `ARGOCD_ENV_<name>` (envsubst-ed against the build vars, unknown
  `$VARS` empty, `$$` a dollar), `ARGOCD_APP_PARAMETERS` (JSON, `null` for a plugin block without
  parameters) and `PARAM_<NAME>[_<KEY>|_<i>]`;
- discovery: only the first of `fileName` (Go `filepath.Glob` joined to the app path), `find.glob`, then
  `find.command` (matches on exit 0 with non-empty stdout once one trailing newline is trimmed; a non-zero
  exit is an error for the app, not "no match");
- generate: stdout with one trailing newline trimmed, split as a YAML/JSON stream, empty and null documents
  skipped, `*List` kinds flattened, every object needing apiVersion and kind; empty output is *not* an error
  for Argo CD (it logs "Plugin command returned zero output"), which is why a plugin must never do it.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CmdResult",
    "CmpServer",
    "Request",
    "copy_repo",
    "discover",
    "generate",
    "load_plugin",
    "parse_manifests",
    "request_env",
]

TIMEOUT_S = 60  # Argo CD's default repo-server timeout (controller/server.repo.server.timeout.seconds)


class PluginError(RuntimeError):
    """What argocd-cmp-server would refuse or report as an error."""


def load_plugin(path: Path) -> dict[str, Any]:
    """plugin.yaml, checked as `ValidatePluginConfig` does."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    if config.get("kind") != "ConfigManagementPlugin":
        raise PluginError(f"invalid plugin configuration file. kind should be ConfigManagementPlugin, found {config}")
    if not (config.get("metadata") or {}).get("name"):
        raise PluginError("invalid plugin configuration file. metadata.name should be non-empty.")
    if not ((config.get("spec") or {}).get("generate") or {}).get("command"):
        raise PluginError("invalid plugin configuration file. spec.generate command should be non-empty")
    return config


def plugin_name(config: Mapping[str, Any]) -> str:
    """What an Application's `plugin.name` must say, and the socket's base name."""
    version = config["spec"].get("version")
    return f"{config['metadata']['name']}-{version}" if version else str(config["metadata"]["name"])


def copy_repo(src: Path, workdir: Path) -> Path:
    """A fresh copy of the repo as the CMP server unpacks it: 0644 files, 0755 folders, no exec bits."""
    dest = workdir / "_cmp_server" / str(uuid.uuid4())
    shutil.copytree(src, dest, symlinks=False)
    for root, dirs, files in os.walk(dest):
        for d in dirs:
            os.chmod(Path(root, d), 0o755)  # noqa: S103 - what untar gives
        for f in files:
            os.chmod(Path(root, f), 0o644)
    return dest


@dataclass(frozen=True)
class Request:
    """An Application's source as the repo-server turns it into a CMP request."""

    app_path: str  # spec.source.path, relative to the repo root
    app_name: str = "mtc-app"
    namespace: str = "openshift-migration"
    project: str = "default"
    repo_url: str = "https://git.example.com/gitops.git"
    revision: str = "0123456789abcdef0123456789abcdef01234567"
    target_revision: str = "main"
    kube_version: str = "1.29.3"
    api_versions: Sequence[str] = ()
    parameters: Sequence[Mapping[str, Any]] | None = None  # None: no `plugin.parameters`; marshals as null
    plugin_env: Sequence[tuple[str, str]] = ()
    has_plugin_block: bool = True


def _escaped(name: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", name.upper())


def _envsubst(value: str, build: Mapping[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(2)
        return build.get(name, "")

    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, value)


def request_env(req: Request) -> dict[str, str]:
    """The request entries Argo CD appends to the sidecar's environment for init/generate/discover."""
    build = {
        "ARGOCD_APP_NAME": req.app_name,
        "ARGOCD_APP_NAMESPACE": req.namespace,
        "ARGOCD_APP_PROJECT_NAME": req.project,
        "ARGOCD_APP_REVISION": req.revision,
        "ARGOCD_APP_REVISION_SHORT": req.revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": req.revision[:8],
        "ARGOCD_APP_SOURCE_REPO_URL": req.repo_url,
        "ARGOCD_APP_SOURCE_PATH": req.app_path,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": req.target_revision,
    }
    env = dict(build)
    env["KUBE_VERSION"] = req.kube_version
    env["KUBE_API_VERSIONS"] = ",".join(req.api_versions)
    for name, value in req.plugin_env:
        env[f"ARGOCD_ENV_{name}"] = _envsubst(value, build)
    if req.has_plugin_block:
        params = list(req.parameters) if req.parameters is not None else None
        env["ARGOCD_APP_PARAMETERS"] = json.dumps(params, separators=(",", ":"))
        for param in params or ():
            key = _escaped(param["name"])
            if "string" in param:
                env[f"PARAM_{key}"] = param["string"]
            for i, item in enumerate(param.get("array") or ()):
                env[f"PARAM_{key}_{i}"] = item
            for k, v in (param.get("map") or {}).items():
                env[f"PARAM_{key}_{_escaped(k)}"] = v
    return env


@dataclass(frozen=True)
class CmdResult:
    argv: list[str]
    returncode: int
    stdout: str  # one trailing newline trimmed, as runCommand returns it
    stderr: str
    env: dict[str, str] = field(repr=False)


def run_command(command: Mapping[str, Any], cwd: Path, env: Mapping[str, str]) -> CmdResult:
    """`exec.CommandContext(command[0], command[1:]+args...)` with cmd.Env = env, cmd.Dir = cwd."""
    words = [*command.get("command", []), *command.get("args", [])]
    if not command.get("command"):
        raise PluginError("Command is empty")
    exe = words[0] if "/" in words[0] else shutil.which(words[0], path=env.get("PATH", ""))
    if exe is None:
        raise PluginError(f'exec: "{words[0]}": executable file not found in $PATH')
    proc = subprocess.run(
        [exe, *words[1:]],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        start_new_session=True,
        check=False,
    )
    return CmdResult(words, proc.returncode, proc.stdout.removesuffix("\n"), proc.stderr, dict(env))


def _go_glob(pattern: str) -> list[str]:
    """Go filepath.Glob: `*`, `?`, `[...]` within one path element, no `**`, hidden files included."""
    return glob.glob(pattern, include_hidden=True)


def discover(config: Mapping[str, Any], app_dir: Path, env: Mapping[str, str]) -> bool:
    """`matchRepository`: the first discovery rule set decides; a failing find command is an error."""
    rules = config["spec"].get("discover") or {}
    find = rules.get("find") or {}
    if rules.get("fileName"):
        return bool(_go_glob(os.path.join(app_dir, rules["fileName"])))
    if find.get("glob"):
        return bool(glob.glob(os.path.join(app_dir, find["glob"]), recursive=True, include_hidden=True))
    if find.get("command"):
        result = run_command(find, app_dir, env)
        if result.returncode != 0:
            raise PluginError(f"error running find command: exit {result.returncode}: {result.stderr.strip()}")
        return result.stdout != ""
    raise PluginError("discovery disabled: usable by name only")


def generate(config: Mapping[str, Any], app_dir: Path, env: Mapping[str, str]) -> CmdResult:
    """`generateManifest`: init (output ignored, failure fatal), then generate."""
    init = config["spec"].get("init") or {}
    if init.get("command"):
        result = run_command(init, app_dir, env)
        if result.returncode != 0:
            return result
    return run_command(config["spec"]["generate"], app_dir, env)


def parse_manifests(stdout: str) -> list[dict[str, Any]]:
    """The objects Argo CD takes from generate's stdout (a YAML or JSON stream), Lists flattened."""
    objects: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(stdout):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise PluginError(f"not a Kubernetes object: {doc!r}")
        if not doc.get("kind"):
            raise PluginError("Object 'Kind' is missing")
        if not doc.get("apiVersion"):
            raise PluginError("Object 'apiVersion' is missing")
        if doc["kind"].endswith("List") and "items" in doc:
            objects += [item for item in doc["items"] or [] if item]
        else:
            objects.append(doc)
    return objects


@dataclass(frozen=True)
class CmpServer:
    """One argocd-cmp-server: a plugin.yaml, the repo it is sent, its work dir and its container env."""

    plugin: dict[str, Any]
    repo_src: Path
    workdir: Path
    sidecar: dict[str, str]

    def copy(self) -> Path:
        return copy_repo(self.repo_src, self.workdir)

    def run(self, req: Request, *, drop: Sequence[str] = (), allow_empty: bool = False) -> CmdResult:
        """Discovery (which must match: a named plugin's rules still apply), then generate.

        `allow_empty`: Argo CD accepts zero objects (and prunes everything the Application owns); only an
        Application whose purpose is to own nothing at times (the openings of a closed pair) may ask for it.
        """
        copy = self.copy()
        env = {**{k: v for k, v in self.sidecar.items() if k not in drop}, **request_env(req)}
        app_dir = copy / req.app_path
        if not discover(self.plugin, app_dir, env):
            raise PluginError(
                f'could not find cmp-server plugin with name "{plugin_name(self.plugin)}" supporting the given '
                f"repository ({req.app_path})"
            )
        result = generate(self.plugin, app_dir, env)
        if result.returncode == 0 and not allow_empty and not parse_manifests(result.stdout):
            raise PluginError("exit 0 with no objects: Argo CD would prune everything the Application owns")
        return result
