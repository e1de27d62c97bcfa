"""What every entry point shares: find and load specs, the secret policy, render one cluster, lay out overlays.

The command line, the KRM function and the coming Argo CD entry are thin adapters over these calls, so two
entry points cannot disagree on which files are specs, when a secret may be written, or where a file goes.
Like the rest of the library this module never prints and never exits: problems are returned, or raised as
`ProblemsError`; progress goes to a callback the caller may give.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from generator.clusterpair.files import UnreadableFileError, check_regular
from generator.problems import Problem
from generator.records import record

# Types only: the writer (with ctypes, shutil) is imported where overlays are planned, not on the KRM path; the
# checking stack (model, resolve, rules, renderers) where a spec is checked, not on a no-op `generate`.
if TYPE_CHECKING:
    from generator.clusterpair.model import ClusterPair
    from generator.mtc.network import Environment
    from generator.mtc.resolve import ResolvedPair
    from generator.overlay import cache
    from generator.pipeline import Checked

# Where a spec needs the proxy password, this is the way that never writes it to git. One constant, so a new
# runtime (the Argo CD plugin) is added to every message at once.
SECRET_AT_APPLY_TIME = "render it at apply time: `mtc-policygen render`, the KRM function, the Argo CD plugin"  # noqa: S105

SPEC_MARKER = "mtc-policygen.io/"
# A KRM function config that names its spec file holds no spec itself (docs/kustomize-krm.md).
SPEC_FILE_ANNOTATION = "mtc-policygen.io/spec-file"
# The apiVersion naming our API, in block, flow or JSON style: our annotations (`mtc-policygen.io/pair` on the
# generated NetworkPolicies) name the group too, and must not make an overlay file look like a spec.
# Not in a comment: a file that only mentions the API (plugin.yaml's discovery comment) is not a spec.
_SPEC_API = re.compile(r"""^[^#\n]*apiVersion["']?[ \t]*:[ \t]*["']?mtc-policygen\.io/""", re.MULTILINE)
_HEAD_BYTES = 65536  # bounded: a huge file is refused by the loader, not read here
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")  # a .json spec is found in a folder as when named

Progress = Callable[[str, int, int], None]  # (what, done, total): lets a terminal show how far a long run is


def _no_progress(what: str, done: int, total: int) -> None:
    return None


# --- finding and loading specs ----------------------------------------------------------------------------


def looks_like_spec(path: Path) -> bool:
    """Whether a YAML file is a ClusterPair spec, by its text: it names the mtc-policygen.io API and is not a
    KRM function config that points at a spec file. An unreadable file counts: the loader says why."""
    try:
        check_regular(path)  # a FIFO would block the open: the loader refuses it with a reason
        with path.open(encoding="utf-8", errors="replace") as stream:
            head = stream.read(_HEAD_BYTES)
    except (OSError, UnreadableFileError):
        return True
    return _SPEC_API.search(head) is not None and SPEC_FILE_ANNOTATION not in head


@record(frozen=False)
class SpecFiles:
    """The specs found among the inputs, the files skipped as not specs, and why an input named none."""

    files: list[Path] = field(default_factory=list)  # in the order given, each spec once
    skipped: list[Path] = field(default_factory=list)  # files given that are not specs (`specs_only`)
    problems: list[Problem] = field(default_factory=list)


def _folder_specs(folder: Path) -> list[Path]:
    """The ClusterPair specs directly inside a folder (not its sub-folders), by name."""
    with os.scandir(folder) as entries:
        names = sorted(
            e.name for e in entries if e.name.endswith(_SPEC_SUFFIXES) and not e.name.startswith(".") and e.is_file()
        )
    return [folder / name for name in names if looks_like_spec(folder / name)]


def find_specs(inputs: Iterable[str], *, specs_only: bool = False) -> SpecFiles:
    """Spec files, and the specs directly inside given folders; a file named twice (or also found in a
    folder given) is one spec. With `specs_only`, files given that are not specs are skipped, not errors."""
    found = SpecFiles()
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.files.append(path)

    for raw in inputs:
        path = Path(raw)
        if not raw:
            found.problems.append(_file_problem("''", "unreadable-file", "an empty path names no spec"))
        elif path.is_dir():
            try:
                specs = _folder_specs(path)
            except OSError as exc:
                found.problems.append(_file_problem(raw, "unreadable-file", f"cannot list: {exc.strerror or exc}"))
                continue
            if not specs:
                found.problems.append(
                    _file_problem(
                        raw, "no-specs", f"no ClusterPair spec (*.yaml with apiVersion {SPEC_MARKER}...) in this folder"
                    )
                )
            for spec in specs:
                add(spec)
        elif specs_only and path.is_file() and not looks_like_spec(path):
            found.skipped.append(path)
        else:
            add(path)
    return found


def _file_problem(file: str, rule: str, message: str) -> Problem:
    return Problem.of(file, rule, message)


class SpecCache(Protocol):
    """`generate`'s skip of unchanged specs (generator/overlays.py `SkipUnchanged`), as `load_specs` uses it."""

    def lookup(self, file: Path) -> cache.Hit | None: ...

    def checked(self, file: Path, problems: Sequence[Problem]) -> None: ...


@record(frozen=False)
class Loaded:
    """What `load_specs` found and checked: the pairs (each with its resolved pair) and every problem."""

    pairs: list[ClusterPair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    resolved: list[ResolvedPair] = field(default_factory=list)  # one per pair, decided once (bases read once)
    unchanged: list[cache.Hit] = field(default_factory=list)  # specs not parsed again (`SkipUnchanged`)


def load_specs(
    inputs: Iterable[str],
    env: Environment,
    *,
    unique_names: bool = False,
    specs_only: bool = False,
    refuse_secrets: bool = False,
    progress: Progress = _no_progress,
    skip: SpecCache | None = None,
) -> Loaded:
    """Find specs and `check` each (generator/pipeline.py). `unique_names` (generate) refuses two specs writing
    the same <out>/<pair>/; `refuse_secrets` (generate) applies the secret policy (`secret_in_output`).
    With `skip` (generate), a spec whose inputs and overlays are unchanged is not parsed: its last problems
    are reported and its name kept in `unchanged`."""
    found = find_specs(inputs, specs_only=specs_only)
    loaded = Loaded(problems=list(found.problems), skipped=found.skipped)
    names: dict[str, str] = {}
    for index, file in enumerate(found.files):
        progress("checking specs", index, len(found.files))
        hit = skip.lookup(file) if skip is not None else None
        if hit is not None and not (unique_names and hit.pair in names):
            loaded.problems += hit.problems
            names.setdefault(hit.pair, str(file))
            loaded.unchanged.append(hit)
            continue
        checked = _check_file(file, env)
        problems = checked.problems
        if checked.resolved is None:
            loaded.problems += problems
            continue
        pair = checked.resolved.spec
        loaded.problems += problems
        if skip is not None:
            skip.checked(file, problems)
        if unique_names and pair.name in names:
            loaded.problems.append(
                pair.source_doc.problem(
                    ("metadata", "name"),
                    "duplicate-pair",
                    f"pair {pair.name!r} is also defined in {names[pair.name]}",
                    suggestion="give each ClusterPair its own name",
                )
            )
        names.setdefault(pair.name, str(file))
        loaded.pairs.append(pair)
        loaded.resolved.append(checked.resolved)
    progress("checking specs", len(found.files), len(found.files))
    if refuse_secrets:
        loaded.problems += secret_in_output(loaded.pairs)
    return loaded


def _check_file(file: Path, env: Environment) -> Checked:
    from generator.pipeline import SpecFile, check  # noqa: PLC0415 - see the TYPE_CHECKING import

    return check(SpecFile(file), env)


def load_text(text: str, display: str, spec_dir: Path, env: Environment) -> Loaded:
    """Load and check one spec given as text (`validate -` reads it from stdin; `init` checks what it writes).
    Relative paths in it (a base, a password file) are resolved from `spec_dir`."""
    from generator.pipeline import SpecText, check  # noqa: PLC0415 - see the TYPE_CHECKING import

    checked = check(SpecText(text, display, spec_dir), env)
    loaded = Loaded(problems=list(checked.problems))
    if checked.resolved is not None:
        loaded.pairs.append(checked.resolved.spec)
        loaded.resolved.append(checked.resolved)
    return loaded


# --- secrets and clusters ---------------------------------------------------------------------------------


def needs_secrets(pair: ClusterPair) -> bool:
    """The pair's output holds a credential read at render time: the proxy password or a spec §8 one."""
    from generator.secrets import render_time_credentials  # noqa: PLC0415 - see the TYPE_CHECKING import

    return bool(render_time_credentials(pair))


def secret_in_output(pairs: Sequence[ClusterPair]) -> list[Problem]:
    """Spec §7/§8: files meant for git never hold a credential; one error per credential a spec reads."""
    if not pairs:  # every spec unchanged (a no-op `generate`): nothing to load the secret policy for
        return []
    from generator.secrets import render_time_credentials  # noqa: PLC0415 - see the TYPE_CHECKING import

    return [
        pair.source_doc.problem(
            path,
            "secret-in-output",
            f"{what} would be written into overlays that are committed to git; generate refuses it",
            suggestion=f"{SECRET_AT_APPLY_TIME} (a cluster's tokenFrom and the repository's credentialsFrom "
            "also take secretRef), "
            "or pass --allow-secrets-in-output",
        )
        for pair in pairs
        for path, what in render_time_credentials(pair)
    ]
