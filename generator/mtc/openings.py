"""DVM's network openings are a window (spec §9): decided once per pair from the spec and the run's "now".

`Openings` is what every renderer, runtime, rule and plan reads; none compares `closesAt` with a clock itself.
"Now" is an input: `SOURCE_DATE_EPOCH` when set (reproducible builds, tests), else the clock, read once per run
by the entry point that builds the `Environment`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from generator.clusterpair.model import OpeningsSpec, OpeningsState
from generator.problems import Problem, ProblemsError
from generator.records import record

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
PAIR_ANNOTATION = "mtc-policygen.io/pair"
CLOSES_AT_ANNOTATION = "mtc-policygen.io/closes-at"


def now_from(environ: Mapping[str, str]) -> datetime.datetime:
    """The run's "now": `SOURCE_DATE_EPOCH` (whole seconds since the epoch) when set, else the clock (UTC)."""
    raw = environ.get(SOURCE_DATE_EPOCH)
    if raw is None or raw == "":
        return datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    if not raw.isdigit():
        raise ProblemsError(
            [
                Problem.of(
                    SOURCE_DATE_EPOCH,
                    "source-date-epoch",
                    f"{SOURCE_DATE_EPOCH} is not a whole number of seconds since 1970-01-01T00:00:00Z",
                    suggestion=f"unset it, or set it like {SOURCE_DATE_EPOCH}=$(date +%s)",
                )
            ]
        )
    return datetime.datetime.fromtimestamp(int(raw), datetime.UTC)


def utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@record
class Openings:
    """The window as rendered: `closed` when the spec says so or its deadline is at or before "now"."""

    state: OpeningsState  # as written
    closes_at: datetime.datetime | None
    now: datetime.datetime
    closed: bool

    @property
    def expired(self) -> bool:
        """Closed by its deadline (the spec still says open)."""
        return self.closed and self.state is OpeningsState.OPEN

    @property
    def left(self) -> datetime.timedelta | None:
        """Time left before the deadline while open; None without one or once closed."""
        return self.closes_at - self.now if self.closes_at is not None and not self.closed else None

    def describe(self) -> str:
        """One phrase for summaries and plans: `open until ...`, `closed since ...`, `open, no deadline`."""
        if not self.closed:
            return f"open until {utc_text(self.closes_at)}" if self.closes_at is not None else "open, no deadline"
        if self.expired and self.closes_at is not None:
            return f"closed since {utc_text(self.closes_at)} (closesAt passed)"
        return "closed"

    def record(self, pair: str) -> dict[str, str]:
        """The annotations of every object that exists only for DVM: which pair opened it, and until when."""
        out = {PAIR_ANNOTATION: pair}
        if self.closes_at is not None:
            out[CLOSES_AT_ANNOTATION] = utc_text(self.closes_at)
        return out


def decide(spec: OpeningsSpec, now: datetime.datetime) -> Openings:
    """Closed when written so, or from `closesAt` on (the instant itself included)."""
    expired = spec.closes_at is not None and now >= spec.closes_at
    return Openings(spec.state, spec.closes_at, now, spec.state is OpeningsState.CLOSED or expired)


def duration_text(delta: datetime.timedelta) -> str:
    """`12d 3h`, `3h 20m`, `45m`: what `validate` says is left."""
    minutes = int(delta.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"
