"""The no-op `generate`: a spec whose inputs are unchanged is neither parsed nor validated again.

For each spec a run wrote overlays for, a cache file records: the pair's name, the problems its check reported
(warnings; a spec with errors writes nothing and is never recorded), the recipe of its input digest (the files
it named and the bases' files, in the order the digest reads them) and the size and modification time of every
file written. The next run reads the spec's bytes and those files again and recomputes the same digest; when it
equals the manifest's, the tool is the same and every written file has its recorded size and mtime (or, when
those differ, still hashes to the manifest's digest), the spec is not parsed: its problems are reported from the
cache and its files are kept.

The cache holds modification times, which mean nothing in another checkout, so it is not kept with the
overlays (which go to git) but in the user's cache folder (`$MTC_POLICYGEN_CACHE_DIR`, else
`$XDG_CACHE_HOME/mtc-policygen`, else `~/.cache/mtc-policygen`), one file per overlays folder. It is only ever
an optimisation: missing, unreadable, from another tool build or for another folder, it is ignored, and a
failure to write it is not an error. docs/cli-and-git.md says what it trusts.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path

from generator.clusterpair.files import UnreadableFileError, read_limited
from generator.problems import Problem, Severity
from generator.records import record

MAX_INPUT_BYTES = 256 * 1024 * 1024  # above every reader's own limit: this only stops an endless file

CACHE_DIR_ENV = "MTC_POLICYGEN_CACHE_DIR"
_KIND = "mtc-policygen-cache"

# One part of an input digest: text, or a file whose bytes are read (a marker when it cannot be read).
Part = str | Path
Recipe = list[list[Part]]


def feed(digest: hashlib._Hash, *parts: bytes | str) -> None:
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(f"{len(data)}:".encode() + data)


def _part(part: Part, known: Mapping[Path, bytes | None]) -> bytes | str:
    if not isinstance(part, Path):
        return part
    if part in known:
        data = known[part]
        return "unreadable" if data is None else data
    return _bytes_or_marker(part)


def _bytes_or_marker(path: Path) -> bytes | str:
    try:
        return read_limited(path, MAX_INPUT_BYTES)  # bounded, and never a FIFO or device
    except UnreadableFileError:
        return "unreadable"


def digest_of(head: Sequence[bytes | str], recipe: Recipe, known: Mapping[Path, bytes | None] | None = None) -> str:
    """The input digest: `head` (the spec's bytes, its header, the environment, where the overlays lie) fed
    as one record, then each step of the recipe, its files read now unless `known` holds what a reader read
    of them this run (None: unreadable)."""
    known = known or {}
    digest = hashlib.sha256()
    feed(digest, *head)
    for step in recipe:
        feed(digest, *(_part(p, known) for p in step))
    return digest.hexdigest()


@record
class Hit:
    """A spec whose inputs are unchanged: what its last check and render produced."""

    file: Path
    pair: str
    digest: str
    problems: tuple[Problem, ...]
    spec: str = ""  # the spec as the manifest names it (relative to the overlays folder's parent)


@record(frozen=False)
class _Record:
    pair: str
    digest: str
    recipe: Recipe
    problems: list[Problem]
    outputs: dict[str, list[int]] = field(default_factory=dict)


def _recipe_json(recipe: Recipe) -> list[list[object]]:
    return [[{"file": os.fspath(p)} if isinstance(p, Path) else p for p in step] for step in recipe]


def _recipe_of(data: object) -> Recipe:
    if not isinstance(data, list):
        raise ValueError("recipe")
    out: Recipe = []
    for step in data:
        if not isinstance(step, list):
            raise ValueError("recipe step")
        out.append([Path(p["file"]) if isinstance(p, dict) else str(p) for p in step])
    return out


def _outputs_of(data: object) -> dict[str, list[int]]:
    """Size and mtime by file, as saved: a value of another shape never equals a stat, so that file is re-read."""
    if not isinstance(data, dict):
        raise ValueError("outputs")
    return data


def _problem_of(data: Mapping[str, object]) -> Problem:
    def text(key: str) -> str:
        return str(data.get(key, ""))

    def number(key: str) -> int:
        value = data.get(key, 0)
        return value if isinstance(value, int) else 0

    return Problem.of(
        text("file"),
        text("rule"),
        text("message"),
        severity=Severity(text("severity")),
        line=number("line"),
        column=number("column"),
        path=text("path"),
        suggestion=text("suggestion"),
    )


class GenerateCache:
    """The cache of one overlays folder for one tool build; `lookup` while loading, `record` after writing."""

    def __init__(self, out_dir: Path, tool: str, *, root: Path | None = None) -> None:
        self.out_dir = Path(os.path.abspath(out_dir))
        self.tool = tool
        base = root if root is not None else _cache_root()
        key = hashlib.sha256(os.fsencode(self.out_dir)).hexdigest()[:24]
        self.path = base / f"overlays-{key}.json" if base is not None else None
        self._loaded = False  # the file was this folder's and this tool's, read whole
        self._records = self._load()
        self._new: dict[str, _Record] = {}
        self._refreshed = False  # a hit's outputs were re-recorded (same content, new size or mtime)

    def _load(self) -> dict[str, _Record]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("kind") != _KIND or data.get("tool") != self.tool or data.get("out") != str(self.out_dir):
                return {}
            records = {
                spec: _Record(
                    str(r["pair"]),
                    str(r["digest"]),
                    _recipe_of(r["recipe"]),
                    [_problem_of(p) for p in r["problems"]],
                    _outputs_of(r["outputs"]),
                )
                for spec, r in data["specs"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}  # a cache only: anything wrong with it means a full run
        self._loaded = True
        return records

    def lookup(
        self,
        spec_file: Path,
        head: Callable[[bytes], Sequence[bytes | str]],
        manifest: Mapping[str, Mapping[str, object]],
        spec: str,
    ) -> Hit | None:
        """The spec's last result when its bytes, the files it named and its written files are unchanged.

        `head(spec_bytes)`: the first record of the input digest (built by the caller, who knows the header);
        `manifest`: the overlays' manifest entries by pair, whose file digests are the reference; `spec`: the
        spec as the manifest names it.
        """
        key = _key(spec_file)
        record = self._records.get(key)
        if record is None:
            return None
        try:
            spec_bytes = read_limited(spec_file, MAX_INPUT_BYTES)
        except UnreadableFileError:
            return None
        entry = manifest.get(record.pair)
        if entry is None or entry.get("digest") != record.digest or entry.get("spec") != spec:
            return None
        if digest_of(head(spec_bytes), record.recipe) != record.digest:
            return None
        files = entry.get("files")
        if not isinstance(files, dict) or not files or not self._intact(files, record.outputs):
            return None
        self._new[key] = record
        return Hit(spec_file, record.pair, record.digest, tuple(record.problems), spec)

    def _intact(self, files: Mapping[str, object], outputs: dict[str, list[int]]) -> bool:
        """Every written file as recorded: same size and mtime, or else the same content (then re-recorded)."""
        try:
            folder = os.open(self.out_dir, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return False
        try:
            return self._intact_in(folder, files, outputs)
        finally:
            os.close(folder)

    def _intact_in(self, folder: int, files: Mapping[str, object], outputs: dict[str, list[int]]) -> bool:
        for rel, digest in files.items():
            now = _stat(rel, folder)
            if now is None:
                return False
            if outputs.get(rel) == now:
                continue
            try:
                with open(os.path.join(self.out_dir, rel), "rb") as handle:
                    if hashlib.sha256(handle.read()).hexdigest() != digest:
                        return False
            except OSError:
                return False
            outputs[rel] = now
            self._refreshed = True
        return True

    def record(self, spec_file: Path, pair: str, digest: str, recipe: Recipe, problems: Iterable[Problem]) -> None:
        """A spec checked and planned in this run (its outputs are stat'ed in `save`, once written)."""
        self._new[_key(spec_file)] = _Record(pair, digest, recipe, list(problems))

    def save(self, manifest: Mapping[str, Mapping[str, object]]) -> None:
        """Write the cache for the specs of this run whose pair the manifest records with the same digest.

        Not when every spec of the run was a hit on the file as read, none re-recorded: the file would come out
        the same (a hit's pair keeps its manifest entry), and a no-op run only reads."""
        if self.path is None or self._unchanged():
            return
        specs: dict[str, object] = {}
        for spec, r in sorted(self._new.items()):
            entry = manifest.get(r.pair)
            files = entry.get("files") if entry is not None else None
            if entry is None or entry.get("digest") != r.digest or not isinstance(files, dict):
                continue
            outputs = {rel: r.outputs.get(rel) or _stat(os.path.join(self.out_dir, rel)) for rel in files}
            if any(v is None for v in outputs.values()):
                continue
            specs[spec] = {
                "pair": r.pair,
                "digest": r.digest,
                "recipe": _recipe_json(r.recipe),
                "problems": [p.as_dict() for p in r.problems],
                "outputs": outputs,
            }
        data = {"kind": _KIND, "version": 1, "tool": self.tool, "out": str(self.out_dir), "specs": specs}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            return  # a cache only

    def _unchanged(self) -> bool:
        return (
            self._loaded
            and not self._refreshed
            and self._new.keys() == self._records.keys()
            and all(self._new[k] is self._records[k] for k in self._new)
        )


def _stat(path: str, folder: int | None = None) -> list[int] | None:
    """Size and mtime of a regular file (symlinks followed, as `open` would); `path` relative to the open
    `folder` when given (one short lookup per file: a no-op run stats every file it wrote)."""
    try:
        st = os.stat(path, dir_fd=folder)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns] if stat.S_ISREG(st.st_mode) else None


def _key(spec_file: Path) -> str:
    """The spec as found (problems name it so) and where it is."""
    return f"{os.path.abspath(spec_file)}\n{spec_file}"


def _cache_root() -> Path | None:
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit is not None:
        return Path(explicit) if explicit else None  # set but empty: no cache
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "mtc-policygen"
    home = os.path.expanduser("~")
    return Path(home, ".cache", "mtc-policygen") if home != "~" else None
