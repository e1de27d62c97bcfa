"""The `mapping.txt` of `oc adm catalog mirror`, parsed strictly (facts §10, seed 003 §7.3).

One `source=mirror` per line: the source is `repo@sha256:<digest>` (or `repo:tag`, as for the index image), the
mirror `host[:port]/path[:tag]`. Anything else is an error at its line and column: a mapping that was edited by
hand and broken must not silently drop the image that a restricted-network cluster needs.
"""

from __future__ import annotations

import re

from generator.clusterpair.yamlsource import shown
from generator.problems import Problem, ProblemsError
from generator.records import record

MAX_MAPPING_BYTES = 16 * 1024 * 1024  # a full Red Hat catalog mirror writes a few MiB

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@record
class MirrorEntry:
    """One line of a mirror mapping: a source repository (and digest) and its mirror."""

    source: str  # repository, no tag or digest
    digest: str | None  # sha256:<hex> when the source is pinned by digest
    mirror: str  # repository in the mirror registry, no tag
    line: int

    @property
    def registry(self) -> str:
        return registry_host(self.mirror)


@record
class MirrorMapping:
    """A parsed `mapping.txt` of `oc adm catalog mirror`."""

    file: str
    entries: tuple[MirrorEntry, ...]

    def by_digest(self, repository: str) -> list[MirrorEntry]:
        """The digest-pinned entries of a source repository (one is expected)."""
        return [e for e in self.entries if e.source == repository and e.digest is not None]

    def holds(self, limit: int = 8) -> str:
        """What the mapping holds, for an error: its distinct source repositories, the first few."""
        sources = sorted({e.source for e in self.entries})
        if not sources:
            return "no entries"
        shown = ", ".join(sources[:limit])
        return shown + (f" and {len(sources) - limit} more" if len(sources) > limit else "")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """`repo[:tag][@digest]` -> (repo, tag, digest)."""
    repo, _, digest = image.partition("@")
    slash = repo.rfind("/")
    colon = repo.rfind(":")
    tag = None
    if colon > slash:
        repo, tag = repo[:colon], repo[colon + 1 :]
    return repo, tag, digest or None


def registry_host(repository: str) -> str:
    """The registry part of a repository: `registry.example.com:5000/rhmtc/x` -> `registry.example.com:5000`."""
    return repository.split("/", 1)[0]


def _repository_error(repo: str) -> str | None:
    parts = repo.split("/")
    if len(parts) < 2:
        return f"{shown(repo)} has no registry host"
    if not _HOST.match(parts[0]):
        return f"{shown(parts[0])} is not a registry host"
    bad = next((p for p in parts[1:] if not _COMPONENT.match(p)), None)
    return f"{shown(bad)} is not a valid repository path component" if bad is not None else None


def _parse_line(text: str, number: int, file: str) -> MirrorEntry | Problem:
    def error(column: int, message: str) -> Problem:
        return Problem.of(
            file,
            "mirror-mapping",
            message,
            line=number,
            column=column,
            suggestion="each line is source@sha256:<digest>=<mirror registry>/<repository>, as oc adm catalog "
            "mirror writes",
        )

    if text != text.strip():
        return error(1, "leading or trailing whitespace")
    if text.count("=") != 1:
        return error(1, f"expected one '=' between source and mirror, found {text.count('=')}")
    left, right = text.split("=")
    repo, tag, digest = split_image(left)
    if digest is not None and not _DIGEST.match(digest):
        return error(len(repo) + 2, f"{shown(digest)} is not a sha256 digest")
    if digest is None and (tag is None or not _TAG.match(tag)):
        return error(1, "the source has neither a digest nor a valid tag")
    if digest is not None and tag is not None:
        return error(1, "the source has both a tag and a digest")
    problem = _repository_error(repo)
    if problem:
        return error(1, f"source: {problem}")
    mirror, mirror_tag, mirror_digest = split_image(right)
    column = len(left) + 2
    if mirror_digest is not None:
        return error(column, "the mirror must not carry a digest")
    if mirror_tag is not None and not _TAG.match(mirror_tag):
        return error(column, f"{shown(mirror_tag)} is not a valid tag")
    problem = _repository_error(mirror)
    if problem:
        return error(column, f"mirror: {problem}")
    return MirrorEntry(repo, digest, mirror, number)


def parse_mapping(text: str, file: str) -> MirrorMapping:
    """Every line parsed; raises `ProblemsError` listing every malformed line (blank lines are allowed)."""
    entries: list[MirrorEntry] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line:
            continue
        parsed = _parse_line(line, number, file)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            entries.append(parsed)
    if problems:
        raise ProblemsError(problems)
    return MirrorMapping(file, tuple(entries))


def mapping_problem(file: str, message: str) -> Problem:
    return Problem.of(file, "mirror-mapping", message)


def parse_mapping_bytes(raw: bytes, file: str) -> MirrorMapping:
    """A mapping file's bytes, as read once (generator/mtc/inputs.py), parsed; raises `ProblemsError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemsError([mapping_problem(file, f"the mapping file is not UTF-8 text (byte {exc.start})")]) from None
    return parse_mapping(text, file)
