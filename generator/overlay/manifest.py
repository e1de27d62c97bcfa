"""The manifest: which files each pair's last run wrote (with their digests), and which tool wrote them.

`<out>/.mtc-policygen-manifest.json` is how the writer knows its own files: only they are ever rewritten or
removed. The inputs' digest of each pair lets the next run skip a pair whose inputs did not change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from generator.overlay.failures import problem

MANIFEST = ".mtc-policygen-manifest.json"


_MANIFEST_KIND = "mtc-policygen-manifest"


def digest_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_manifest(out_dir: Path) -> tuple[dict[str, dict[str, object]], str]:
    """The recorded pairs and the tool that recorded them ("" when unknown)."""
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except (OSError, ValueError) as exc:
        raise problem(
            out_dir,
            "manifest",
            f"cannot read {MANIFEST}: {exc}",
            "restore it from git, or remove it if no generated files remain",
        ) from None
    if not isinstance(data, dict) or data.get("kind") != _MANIFEST_KIND or not isinstance(data.get("pairs"), dict):
        raise problem(out_dir, "manifest", f"{MANIFEST} is not an mtc-policygen manifest")
    generator = data.get("generator")
    return data["pairs"], generator if isinstance(generator, str) else ""


def manifest_text(pairs: dict[str, dict[str, object]], generator: str) -> str:
    data: dict[str, object] = {"kind": _MANIFEST_KIND, "version": 1, "pairs": pairs}
    if generator:
        data["generator"] = generator
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def owned_files(entry: dict[str, object]) -> dict[str, str]:
    files = entry.get("files", {})
    return dict(files) if isinstance(files, dict) else {}


def without_digests(pairs: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {pair: {k: v for k, v in entry.items() if k != "digest"} for pair, entry in pairs.items()}
