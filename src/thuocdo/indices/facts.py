"""What one stored dossier contributes to the Decision 766 index, reduced to a few columns.

Pure (no Django): `facts_of` turns a parsed dossier into a `Facts` row; the incremental cells, the
as-of queries and the batch recompute (recompute.py) all read these columns and nothing else, so
they agree by construction and the tests can check them against `core.index766.tally_dossiers`.

The one thing that depends on *when* a dossier is judged is handled by two timestamps:
- `settle_at` (max of its end and its reception): from then on its verdict is final (`final`);
- `late_at`: while it is still open, it counts as late when judged at J >= late_at. The 766 rule
  is monotone in J (a supplement wait only pauses the clock, a pending request freezes it), so one
  threshold is exact; it is found among the few moments where the rule can switch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from thuocdo.core.dossier import VN_TZ, Channel, Dossier, Scan, Status, stamp_epoch
from thuocdo.core.rulesets import Parameters
from thuocdo.core.timeliness import Category, classify, end_of, original_due, pause_length, pause_seconds

# Open dossiers get a far-future settle time so "open at J" is one indexed range: open_until > J.
OPEN_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)

# Counts kept per (agency, procedure, field, day) — received-day part, then settle-day part.
RECEIVED_METRICS = (
    "r_n",  # received in the period (1.4), all dossier-based denominators
    "r_online",  # 3.2 (procedures with an online dossier)
    "r_ok33",  # 3.3 numerator, as if judged after the dossier settled
    "r_fee",  # 3.6 denominator, 3.5
    "r_paid",  # 3.6 numerator, 3.5b
    "r_den41",  # 4.1 denominator (closed, paper result)
    "r_num41",  # 4.1 numerator
    "r_ok42",  # 4.2 numerator
    "r_reused",  # 4.3
    "r_store",  # 4.4
    "r_pop",  # 4.5b, 4.5a
)
SETTLED_METRICS = ("s_counted", "s_within", "s_late", "s_flagged")
METRICS = RECEIVED_METRICS + SETTLED_METRICS
FACT_COLUMNS = (
    "code",
    "agency_code",
    "procedure_code",
    "field_code",
    "excluded",
    "received_at",
    "open_until",
    "final",
    "closed",
    "paper",
    "online",
    "e_result",
    "result_file",
    "has_files",
    "fee",
    "paid",
    "reused",
    "store",
    "pop",
    "flagged",
    "due_known",
    "late_at",
)
"""The Facts fields in order (the fact table's columns, without its fingerprint)."""


@dataclass(frozen=True, slots=True)
class Facts:
    """The columns of one dossier that the index reads."""

    code: str
    agency_code: str
    procedure_code: str
    field_code: str
    excluded: bool  # not received (status 1) or refused at reception (3): counts nowhere
    received_at: datetime
    open_until: datetime  # settle time, or OPEN_UNTIL while open
    final: str  # early / on_time / late / not_counted once settled; "" while open
    closed: bool  # finished or returned (statuses 9, 10) once settled
    paper: bool  # the procedure issues a paper result (unknown procedure: assumed so)
    online: bool
    e_result: bool  # code and file of the result (3.3)
    result_file: bool  # a result file (4.1, 4.2)
    has_files: bool  # submitted components with files (4.2)
    fee: bool
    paid: bool
    reused: bool
    store: bool
    pop: bool
    flagged: bool  # disliked or complained about (5.4)
    due_known: bool
    late_at: datetime | None

    def received_values(self) -> tuple[int, ...]:
        """The received-day counts, judged as if after settling (see module docstring)."""
        if self.excluded:
            return (0,) * len(RECEIVED_METRICS)
        closed_paper = self.closed and self.paper
        return (
            1,
            int(self.online),
            int(self.online and (not closed_paper or self.e_result)),
            int(self.fee),
            int(self.fee and self.paid),
            int(closed_paper),
            int(closed_paper and self.result_file),
            int(self.has_files and (not closed_paper or self.result_file)),
            int(self.reused),
            int(self.store),
            int(self.pop),
        )

    def settled_values(self) -> tuple[int, ...]:
        """The settle-day counts from the final verdict (zeros while open)."""
        if self.excluded or not self.final or self.final == "not_counted":
            return (0,) * len(SETTLED_METRICS)
        late = self.final == "late"
        return (1, int(not late), int(late), int(self.flagged))

    def contributions(self) -> list[tuple[tuple[str, str, str, date], tuple[int, ...]]]:
        """(agency, procedure, field, day) → counts, for the received day and the settle day."""
        if self.excluded:
            return []
        key = (self.agency_code, self.procedure_code, self.field_code)
        zeros_s = (0,) * len(SETTLED_METRICS)
        zeros_r = (0,) * len(RECEIVED_METRICS)
        out = [((*key, vn_day(self.received_at)), self.received_values() + zeros_s)]
        settled = self.settled_values()
        if any(settled):
            out.append(((*key, vn_day(self.open_until)), zeros_r + settled))
        return out


def vn_day(ts: datetime) -> date:
    """The Vietnam calendar day of a moment."""
    return ts.astimezone(VN_TZ).date()


def vn_midnight(day: date) -> datetime:
    """00:00 Vietnam time of a day, as an aware datetime."""
    return datetime.combine(day, time(), VN_TZ)


def _threshold(due: datetime, params: Parameters) -> datetime:
    # The first effective moment that is late: just after the due time, or the next day with "date".
    if params.granularity == "date":
        return vn_midnight(vn_day(due) + timedelta(days=1))
    return due + _TICK


def late_from(d: Dossier, params: Parameters) -> datetime | None:
    """The earliest J at which the dossier, still open, counts as late; None if it never does."""
    due, _ = original_due(d, None)
    if not d.supplements:
        return _threshold(due, params) if due is not None else None
    probe = replace(d, status=Status.PROCESSING)  # judged as open, whatever happened later
    breaks = sorted(
        {s.requested_at for s in d.supplements} | {s.completed_at for s in d.supplements if s.completed_at}
    )
    candidates = {*breaks, d.received_at}
    if due is not None:
        thr = _threshold(due, params)
        candidates.add(thr)
        for b in breaks:
            paused = pause_length(
                (s.requested_at, min(s.completed_at or b, b)) for s in d.supplements if s.requested_at < b
            )
            candidates.add(thr + paused)
    for t in sorted(c for c in candidates if c >= d.received_at):
        verdict = classify(
            probe,
            as_of=t,
            granularity=params.granularity,
            supplements_allowed=params.supplement_requests_allowed,
        )
        if verdict.category is Category.LATE:
            return t
    return None


def _timing(d: Dossier, params: Parameters) -> tuple[datetime, str, bool, bool, datetime | None]:
    # open_until, final, closed, due_known, late_at: the columns that depend on the 766 timeliness rule.
    excluded = d.status in (Status.SUBMITTED, Status.REJECTED_AT_RECEPTION)
    ended = end_of(d, OPEN_UNTIL)
    if ended is not None:
        settle = max(ended[0], d.received_at)
        verdict = classify(
            d,
            as_of=settle,
            granularity=params.granularity,
            supplements_allowed=params.supplement_requests_allowed,
        )
        final = str(verdict.category)
    else:
        settle, final = OPEN_UNTIL, ""
    due, _ = original_due(d, None)
    return (
        settle,
        final,
        ended is not None and d.status in (Status.FINISHED, Status.RETURNED),
        due is not None,
        None if excluded else late_from(d, params),
    )


def facts_of(d: Dossier, *, paper: bool, params: Parameters) -> Facts:
    """The index columns of one dossier (as stored: status and end dates after any status events)."""
    excluded = d.status in (Status.SUBMITTED, Status.REJECTED_AT_RECEPTION)
    settle, final, closed, due_known, late_at = _timing(d, params)
    pop_codes = set(params.population_database_codes)
    return Facts(
        code=d.code,
        agency_code=d.agency_code,
        procedure_code=d.procedure_code,
        field_code=d.field_code[:40],
        excluded=excluded,
        received_at=d.received_at,
        open_until=settle,
        final=final,
        closed=closed,
        paper=paper,
        online=d.channel is Channel.ONLINE,
        e_result=d.has_electronic_result,
        result_file=d.has_result_file,
        has_files=any(t.file_url for t in d.documents),
        fee=d.fee_total > 0,
        paid=d.online_payment in (1, 2),
        reused=d.has_digitised_component or any(t.reused for t in d.documents),
        store=any(t.from_personal_store for t in d.documents),
        pop=d.vneid_verified or any(not pop_codes or c in pop_codes for c in d.databases),
        flagged=bool(d.disliked) or bool(d.complained),
        due_known=due_known,
        late_at=late_at,
    )


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(f"{stamp[:8]}T{stamp[8:]}+07:00")


def _maybe(stamp: str | None) -> datetime | None:
    return None if stamp is None else _moment(stamp)


_ENDED = frozenset((7, 8, 9, 10))


def _scan_timing(s: Scan, params: Parameters) -> tuple[datetime, str, bool, bool, datetime | None]:
    """_timing for a scanned document, on its stamps' text (one time zone: text order is time order)."""
    if s.supplements:
        return _scan_timing_supplemented(s, params)
    status = s.status
    due = s.original_due
    end = None
    if status in _ENDED:
        end = s.finished if s.finished is not None else s.returned if s.returned is not None else s.rejected
    if end is None:
        settle, final = OPEN_UNTIL, ""
    else:
        settle = _moment(end if end > s.received else s.received)
        if due is None:
            final = "not_counted"
        else:
            late = end[:8] > due[:8] if params.granularity == "date" else end > due
            final = "late" if late else "early" if end[:8] < due[:8] else "on_time"
    late_at = None
    if due is not None and status != 1 and status != 3:
        if params.granularity == "date":
            day = date(int(due[:4]), int(due[4:6]), int(due[6:8]))
            late_at = vn_midnight(day + timedelta(days=1))
        else:
            late_at = _moment(due) + _TICK
    return settle, final, end is not None and status in (9, 10), due is not None, late_at


_US = 1_000_000
_DAY_US = 86_400 * _US
_VN_US = 7 * 3600 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _scan_timing_supplemented(
    s: Scan, params: Parameters
) -> tuple[datetime, str, bool, bool, datetime | None]:
    """_timing for a scanned document with supplement requests: core.timeliness.classify's rule, on integers.

    Moments are Unix microseconds (the late threshold sits one microsecond after the due time), so
    the candidate moments of late_from are checked exactly, without building a Dossier or reason texts.
    """
    allowed = params.supplement_requests_allowed
    by_day = params.granularity == "date"
    received = stamp_epoch(s.received) * _US
    requests = sorted(
        ((stamp_epoch(r) * _US, None if c is None else stamp_epoch(c) * _US) for r, c, _ in s.supplements),
        key=lambda x: x[0],
    )
    due_stamp = s.original_due
    due = None if due_stamp is None else stamp_epoch(due_stamp) * _US

    def paused(upto: list[tuple[int, int | None]], point: int) -> int:
        return pause_seconds((r, point if c is None or c > point else c) for r, c in upto if r < point)

    def late(effective: int) -> bool:
        assert due is not None
        if by_day:
            return (effective + _VN_US) // _DAY_US > (due + _VN_US) // _DAY_US
        return effective > due

    status = s.status
    end = None
    if status in _ENDED:
        end = s.finished if s.finished is not None else s.returned if s.returned is not None else s.rejected
    if end is None:
        settle, final = OPEN_UNTIL, ""
    else:
        settle = _moment(end if end > s.received else s.received)
        point = stamp_epoch(end) * _US
        counted = [x for x in requests if x[0] <= point]
        if len(counted) > allowed:
            final = "late"
        elif due is None:
            final = "not_counted"
        else:
            effective = point - paused(counted, point)
            if late(effective):
                final = "late"
            elif (effective + _VN_US) // _DAY_US < (due + _VN_US) // _DAY_US:
                final = "early"
            else:
                final = "on_time"

    def late_when_open(moment: int) -> bool:
        point = moment
        counted = [x for x in requests if x[0] <= point]
        waiting = next((x for x in counted if x[1] is None or x[1] > moment), None)
        if waiting is not None:
            point = waiting[0]
            counted = [x for x in counted if x[0] <= point]
        if len(counted) > allowed:
            return True
        return due is not None and late(point - paused(counted, point))

    late_at = None
    if status != 1 and status != 3:
        breaks = {r for r, _ in requests} | {c for _, c in requests if c is not None}
        candidates = {*breaks, received}
        if due is not None:
            # Just after the due time, or from the next day's midnight (Vietnam time) with "date".
            threshold = ((due + _VN_US) // _DAY_US + 1) * _DAY_US - _VN_US if by_day else due + 1
            candidates.add(threshold)
            candidates.update(threshold + paused(requests, b) for b in breaks)
        for moment in sorted(c for c in candidates if c >= received):
            if late_when_open(moment):
                late_at = _EPOCH + timedelta(microseconds=moment)
                break
    return settle, final, end is not None and status in (9, 10), due is not None, late_at


def facts_of_scan(s: Scan, *, paper: bool, params: Parameters) -> Facts:
    """facts_of for a document the ingestion fast path scanned (equal to it; tests compare the two)."""
    settle, final, closed, due_known, late_at = _scan_timing(s, params)
    pop_codes = params.population_database_codes
    return Facts(
        s.code,
        s.agency_code,
        s.procedure_code,
        s.field_code[:40],
        s.status == 1 or s.status == 3,
        _moment(s.received),
        settle,
        final,
        closed,
        paper,
        s.channel == 2,
        s.e_result,
        s.result_file,
        s.has_files,
        s.fee > 0,
        s.online_payment in (1, 2),
        s.digitised_component or s.reused,
        s.from_personal_store,
        s.vneid or any(not pop_codes or c in pop_codes for c in s.databases),
        s.flagged,
        due_known,
        late_at,
    )


def facts_of_stored(doc: Scan | Dossier, *, paper: bool, params: Parameters) -> Facts:
    """The facts of a document as the ingestion handed it over: scanned (fast path) or parsed."""
    if isinstance(doc, Dossier):
        return facts_of(doc, paper=paper, params=params)
    return facts_of_scan(doc, paper=paper, params=params)


def sum_values(rows: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    """Column sums of metric tuples."""
    total = [0] * len(METRICS)
    for row in rows:
        for i, v in enumerate(row):
            total[i] += v
    return tuple(total)


@dataclass
class DossierTallies:
    """Numerators and denominators of the dossier-based indicators, and the procedures 3.2/3.5/4.5a need."""

    counts: dict[str, tuple[int, int]]
    online_procedures: set[str]
    fee_procedures: set[str]
    paid_procedures: set[str]
    population_procedures: set[str]
    received: int


def tallies_from_sums(
    sums: dict[str, int],
    *,
    online: set[str],
    fee: set[str],
    paid: set[str],
    population: set[str],
) -> DossierTallies:
    """Indicator tallies from summed metrics (the names of METRICS)."""
    n = sums["r_n"]
    counted, late, flagged = sums["s_counted"], sums["s_late"], sums["s_flagged"]
    counts = {
        "2.1": (sums["s_within"], counted),
        "3.3": (sums["r_ok33"], n),
        "3.6": (sums["r_paid"], sums["r_fee"]),
        "4.1": (sums["r_num41"], sums["r_den41"]),
        "4.2": (sums["r_ok42"], n),
        "4.3": (sums["r_reused"], n),
        "4.4": (sums["r_store"], n),
        "4.5b": (sums["r_pop"], n),
        "5.4": (max(0, counted - late - flagged), counted),
    }
    return DossierTallies(counts, online, fee, paid, population, n)


def tally_facts(facts: Iterable[Facts], start: datetime, judge: datetime) -> DossierTallies:
    """The direct definition over dossier rows: what the cells plus the as-of part must equal."""
    sums = dict.fromkeys(METRICS, 0)
    online: set[str] = set()
    fee: set[str] = set()
    paid: set[str] = set()
    pop: set[str] = set()
    for f in facts:
        if f.excluded or f.received_at >= judge or f.open_until < start:
            continue
        settled = f.open_until <= judge
        if settled:
            if f.final and f.final != "not_counted":
                late = f.final == "late"
                sums["s_counted"] += 1
                sums["s_within"] += not late
                sums["s_late"] += late
                sums["s_flagged"] += f.flagged
        else:
            is_late = f.late_at is not None and f.late_at <= judge
            if f.due_known or is_late:
                sums["s_counted"] += 1
                sums["s_within"] += not is_late
                sums["s_late"] += is_late
                sums["s_flagged"] += f.flagged
        if f.received_at < start:
            continue
        values = replace(f, closed=f.closed and settled).received_values()
        for name, v in zip(RECEIVED_METRICS, values, strict=True):
            sums[name] += v
        if f.online:
            online.add(f.procedure_code)
        if f.fee:
            fee.add(f.procedure_code)
            if f.paid:
                paid.add(f.procedure_code)
        if f.pop:
            pop.add(f.procedure_code)
    return tallies_from_sums(sums, online=online, fee=fee, paid=paid, population=pop)
