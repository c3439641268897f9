"""Open-state counters: who is open, and open and late, at any moment J, as prefix sums of day cells.

Pure (no Django). Each counter is an interval per dossier, stored as +1 on the day it starts and -1
on the day it ends; summed over every day before day(J), plus J's own day from the facts, it gives
the number of dossiers inside their interval at J. This replaces the scan of every dossier open at J
(docs/indices/engine.md §3, §8):

- ``o_dk`` / ``o_dkf``: open, with a known due date (and flagged) — interval (received, settle);
- ``l_dk`` / ``l_ndk`` / ``l_ndkf``: open and late, due date known / unknown (and flagged) —
  interval [late_at, settle) (and after reception);
- ``k33``, ``k41``, ``k41n``, ``k42``: open but closing later with a paper result (the received-day
  counts assume it already closed) — interval (received, settle), with the 3.3 / 4.1 / 4.2 flags.

Starts at reception count when received_at < J and ends when settle <= J; both go on the Vietnam
day of their moment (the settle day, like the settle-day counts), so the cells of the days before
J's day hold everything before its midnight and J's own day, up to and including J, is read from
the facts. Turning late counts when max(late_at, received + 1 µs) <= J and goes on the day of that
moment - 1 µs: with the "date" granularity late_at is a midnight, and a period ending at that
midnight then finds it in its cells instead of in thousands of fact rows.
A dossier with an empty interval (settled at reception, late only once settled) has no events.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from thuocdo.indices.facts import METRICS, OPEN_UNTIL, Facts, vn_day

OPEN_METRICS = ("o_dk", "o_dkf", "l_dk", "l_ndk", "l_ndkf", "k33", "k41", "k41n", "k42")
CELL_METRICS = (*METRICS, *OPEN_METRICS)
"""Every counter column of the cell tables."""
_TICK = timedelta(microseconds=1)
_N = len(OPEN_METRICS)


def closing_day(ts: datetime) -> date:
    """The day whose cells hold an event counted when ts <= J: the Vietnam day of ts - 1 µs."""
    return vn_day(ts - _TICK)


def late_start(f: Facts) -> datetime | None:
    """When the dossier starts counting as open and late (late_at, and after reception); None if never while open."""
    if f.excluded or f.late_at is None:
        return None
    start = max(f.late_at, f.received_at + _TICK)
    return start if start < f.open_until else None


def _open_flags(f: Facts) -> tuple[int, ...]:
    # What an open dossier counts for while it is open; the late counters (positions 2-4) move on their own days.
    cp = f.closed and f.paper
    return (
        int(f.due_known),
        int(f.due_known and f.flagged),
        0,
        0,
        0,
        int(cp and f.online and not f.e_result),
        int(cp),
        int(cp and f.result_file),
        int(cp and f.has_files and not f.result_file),
    )


def events(f: Facts) -> list[tuple[date, tuple[int, ...]]]:
    """The (day, counter deltas) of one dossier, in OPEN_METRICS order (several may share a day)."""
    if f.excluded:
        return []
    settles = f.open_until != OPEN_UNTIL
    out: list[tuple[date, tuple[int, ...]]] = []
    end = vn_day(f.open_until) if settles else None
    if f.received_at < f.open_until:
        flags = _open_flags(f)
        if any(flags):
            out.append((vn_day(f.received_at), flags))
            if end is not None:
                out.append((end, tuple(-v for v in flags)))
    start = late_start(f)
    if start is not None:
        late = (0, 0, int(f.due_known), int(not f.due_known), int(not f.due_known and f.flagged), 0, 0, 0, 0)
        out.append((closing_day(start), late))
        if end is not None:
            out.append((end, tuple(-v for v in late)))
    return out


def state_at(facts: list[Facts] | tuple[Facts, ...], judge: datetime) -> tuple[int, ...]:
    """The counters at J straight from their definition (for tests and the tail of J's own day)."""
    total = [0] * _N
    for f in facts:
        if f.excluded:
            continue
        is_open = f.received_at < judge < f.open_until
        cp = f.closed and f.paper
        if is_open:
            total[0] += f.due_known
            total[1] += f.due_known and f.flagged
            total[5] += cp and f.online and not f.e_result
            total[6] += cp
            total[7] += cp and f.result_file
            total[8] += cp and f.has_files and not f.result_file
        start = late_start(f)
        if start is not None and start <= judge < f.open_until:
            total[2] += f.due_known
            total[3] += not f.due_known
            total[4] += not f.due_known and f.flagged
    return tuple(int(v) for v in total)


def tail_delta(f: Facts, midnight: datetime, judge: datetime) -> tuple[int, ...]:
    """What one dossier's events in J's own day up to J add to the counters (cells hold the days before)."""
    if f.excluded:
        return (0,) * _N
    total = [0] * _N
    settles = f.open_until != OPEN_UNTIL
    ends_now = settles and midnight <= f.open_until <= judge
    if f.received_at < f.open_until:
        flags = _open_flags(f)
        sign = int(midnight <= f.received_at < judge) - int(ends_now)
        for i, v in enumerate(flags):
            total[i] += sign * v
    start = late_start(f)
    if start is not None:
        sign = int(midnight < start <= judge) - int(ends_now)
        total[2] += sign * f.due_known
        total[3] += sign * (not f.due_known)
        total[4] += sign * (not f.due_known and f.flagged)
    return tuple(total)


def span_bucket(f: Facts) -> int | None:
    """Bit length of the whole seconds from reception to settling, for closed paper-result dossiers only."""
    if (
        f.excluded
        or not (f.closed and f.paper)
        or f.open_until == OPEN_UNTIL
        or f.open_until <= f.received_at
    ):
        return None
    return int((f.open_until - f.received_at).total_seconds()).bit_length()
