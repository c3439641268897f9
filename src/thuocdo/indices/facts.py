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

from thuocdo.core.dossier import VN_TZ, Channel, Dossier, Status
from thuocdo.core.rulesets import Parameters
from thuocdo.core.timeliness import Category, classify, end_of, original_due

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
            paused = sum(
                (min(s.completed_at or b, b) - s.requested_at for s in d.supplements if s.requested_at < b),
                timedelta(),
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


def facts_of(d: Dossier, *, paper: bool, params: Parameters) -> Facts:
    """The index columns of one dossier (as stored: status and end dates after any status events)."""
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
    pop_codes = set(params.population_database_codes)
    due, _ = original_due(d, None)
    return Facts(
        code=d.code,
        agency_code=d.agency_code,
        procedure_code=d.procedure_code,
        field_code=d.field_code[:40],
        excluded=excluded,
        received_at=d.received_at,
        open_until=settle,
        final=final,
        closed=ended is not None and d.status in (Status.FINISHED, Status.RETURNED),
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
        due_known=due is not None,
        late_at=None if excluded else late_from(d, params),
    )


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
