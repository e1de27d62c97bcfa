"""Files the spec names whose contents reach the output, read once per pair by `resolve` (spec §8).

The mirror mapping (`install.mirror.mapping`) and the CA bundles (`caBundleFile` of a cluster or the
replication repository) are read here, through the pair's confined `locate` and a bounded reader, and parsed
once: the rules report what `problems` say, the renderers embed what was read, and generate's input digest is
the digest of these same bytes (a file edited while the run goes on cannot be recorded as rendered).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field

from generator.clusterpair.files import UnreadableFileError, read_limited
from generator.clusterpair.model import ClusterPair
from generator.clusterpair.yamlsource import PathKey
from generator.mtc.mirror import MAX_MAPPING_BYTES, MirrorMapping, mapping_problem, parse_mapping_bytes
from generator.problems import Problem, ProblemsError
from generator.records import record

MAX_CA_BYTES = 1024 * 1024  # a CA bundle is a few KiB; anything this large is not one
PEM_MARK = b"-----BEGIN CERTIFICATE-----"


@record
class NamedFiles:
    """The files a spec names, read once by resolve: the mirror mapping and CA bundles, and their problems."""

    mirror: MirrorMapping | None = None  # parsed; None without a mapping, or when `mirror_problems` say why
    mirror_problems: tuple[Problem, ...] = ()  # located in the mapping file (a bad line) or in the spec
    ca_bundles: Mapping[str, bytes] = field(default_factory=dict)  # PEM bytes, by the name the spec gives
    ca_problems: Mapping[str, str] = field(default_factory=dict)  # why a named CA bundle cannot be used
    read: Mapping[str, bytes | None] = field(default_factory=dict)  # every file located, as read (None: unreadable)


def mapping_path(pair: ClusterPair) -> PathKey:
    assert pair.install is not None  # noqa: S101 - called only for a pair with install
    return (*pair.install.path, "mirror", "mapping")


def display_path(spec_file: str, relative: str) -> str:
    """A file named by the spec, shown the way the spec itself is shown (problems point at it)."""
    return os.path.normpath(os.path.join(os.path.dirname(spec_file), relative))


def ca_files(pair: ClusterPair) -> list[tuple[str, PathKey]]:
    """Every `caBundleFile` of the pair with its field path: the clusters', then the repository's."""
    files = [(c.ca_bundle_file, (*c.path, "caBundleFile")) for c in pair.clusters if c.ca_bundle_file is not None]
    repo = pair.replication_repository
    if repo is not None and repo.ca_bundle_file is not None:
        files.append((repo.ca_bundle_file, (*repo.path, "caBundleFile")))
    return files


def _mirror(pair: ClusterPair, read: dict[str, bytes | None]) -> tuple[MirrorMapping | None, tuple[Problem, ...]]:
    relative = pair.install.mirror_mapping if pair.install is not None else None
    if relative is None:
        return None, ()
    display = display_path(pair.source_doc.file, relative)
    try:
        path = pair.locate(relative, "")
    except UnreadableFileError as exc:
        return None, (pair.source_doc.problem(mapping_path(pair), "mirror-mapping", str(exc)),)
    try:
        raw = read_limited(path, MAX_MAPPING_BYTES)
    except UnreadableFileError as exc:
        read[relative] = None
        why = "no such mapping file" if str(exc) == "no such file" else f"cannot read the mapping file: {exc}"
        return None, (mapping_problem(display, why),)
    read[relative] = raw
    try:
        return parse_mapping_bytes(raw, display), ()
    except ProblemsError as exc:
        return None, tuple(exc.problems)


def _ca_bundle(pair: ClusterPair, file: str, read: dict[str, bytes | None]) -> bytes | str:
    """The PEM bundle's bytes, or why it cannot be used (naming no content)."""
    try:
        path = pair.locate(file, "")
    except UnreadableFileError as exc:
        return str(exc) if exc.rule == "outside-root" else f"cannot read the CA bundle {file}: {exc}"
    try:
        raw = read_limited(path, MAX_CA_BYTES)
    except UnreadableFileError as exc:
        read[file] = None
        return str(exc) if exc.rule == "outside-root" else f"cannot read the CA bundle {file}: {exc}"
    read[file] = raw
    if PEM_MARK not in raw:
        return f"the CA bundle {file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    return raw


def read_named_files(pair: ClusterPair) -> NamedFiles:
    """Read and parse, once, every file the spec names whose contents reach the output; never raises."""
    read: dict[str, bytes | None] = {}
    mirror, problems = _mirror(pair, read)
    bundles: dict[str, bytes] = {}
    why: dict[str, str] = {}
    for file, _ in ca_files(pair):
        if file in bundles or file in why:
            continue
        got = _ca_bundle(pair, file, read)
        if isinstance(got, bytes):
            bundles[file] = got
        else:
            why[file] = got
    return NamedFiles(mirror, problems, bundles, why, read)
