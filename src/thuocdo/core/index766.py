"""The Decision 766 index: tallies from dossiers and the catalogue, then points, groups, total, band.

`tally_dossiers` counts numerators and denominators (and can say why each dossier or procedure
counts); `compute` turns tallies into points under a RuleSet. Both are pure: the caller passes
the period, the evaluation moment and the deadline functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from thuocdo.core.dossier import VN_TZ, Channel, Dossier, Status
from thuocdo.core.rulesets import Band, Indicator, RuleSet
from thuocdo.core.timeliness import Category, DueFrom, classify, end_of

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)

OnlineLevel = Literal["full", "partial", "none"]
ShiftWorkingDays = Callable[[date, int], date]


# ----------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """A reporting period [start, end) in Vietnam local dates."""

    label: str
    start: date
    end: date  # exclusive

    @property
    def start_at(self) -> datetime:
        """Start as an aware datetime (00:00 Vietnam time)."""
        return datetime.combine(self.start, time(), VN_TZ)

    @property
    def end_at(self) -> datetime:
        """Exclusive end as an aware datetime (00:00 Vietnam time of the day after)."""
        return datetime.combine(self.end, time(), VN_TZ)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{2})$")


def parse_period(text: str) -> Period:
    """Parse YYYY-MM, YYYY-Qn, YYYY, YYYY-Www (ISO week) or FROM..TO (dates, both included)."""
    s = text.strip()
    try:
        if m := _MONTH.match(s):
            y, mo = int(m[1]), int(m[2])
            start = date(y, mo, 1)
            end = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
            return Period(s, start, end)
        if m := _QUARTER.match(s):
            y, q = int(m[1]), int(m[2])
            start = date(y, 3 * q - 2, 1)
            end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
            return Period(f"{y}-Q{q}", start, end)
        if m := _YEAR.match(s):
            y = int(m[1])
            return Period(s, date(y, 1, 1), date(y + 1, 1, 1))
        if m := _WEEK.match(s):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(f"{m[1]}-W{m[2]}", start, start + timedelta(days=7))
        if ".." in s:
            first, last = (part.strip() for part in s.split("..", 1))
            start, stop = date.fromisoformat(first), date.fromisoformat(last)
            if stop < start:
                raise ValueError("ngày kết thúc trước ngày bắt đầu")
            return Period(f"{start.isoformat()}..{stop.isoformat()}", start, stop + timedelta(days=1))
    except ValueError as exc:
        raise ValueError(f"kỳ đánh giá không hợp lệ «{text}»: {exc}") from None
    raise ValueError(
        f"kỳ đánh giá không hợp lệ «{text}»: dùng YYYY-MM, YYYY-Qn, YYYY, YYYY-Www hoặc YYYY-MM-DD..YYYY-MM-DD"
    )


# ----------------------------------------------------------------------------------------------
# Inputs and results


@dataclass(frozen=True)
class Procedure:
    """What the index needs to know about one administrative procedure (TTHC) of the catalogue."""

    code: str
    online_level: OnlineLevel = "none"
    fee_bearing: bool = False
    issues_paper_result: bool = True
    full_online_eligible: bool = False
    citizen_subject: bool = True
    time_limit: Decimal | None = None
    time_limit_unit: str = "working_days"
    published_on: date | None = None
    made_public_on: date | None = None
    legal_effective_on: date | None = None
    components_complete: bool = True


@dataclass(frozen=True)
class Tally:
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if self.numerator < 0 or self.denominator < 0 or self.numerator > self.denominator:
            raise ValueError(f"tử số {self.numerator} / mẫu số {self.denominator} không hợp lệ")


@dataclass(frozen=True)
class Contribution:
    """Why one dossier or procedure is (or is not) in an indicator's numerator and denominator."""

    record: str
    in_numerator: bool
    in_denominator: bool
    reason_vi: str
    reason_en: str


@dataclass(frozen=True)
class Tallies:
    counts: dict[str, Tally]
    contributions: dict[str, list[Contribution]] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    group: str
    name_vi: str
    name_en: str
    numerator: int
    denominator: int
    rate: Decimal | None  # percent, 2 decimals; None when the denominator is 0
    points: Decimal
    max_points: Decimal
    target: Decimal | None
    not_applicable: bool
    excluded: bool  # N/A and left out of its group (the group is re-scaled)


@dataclass(frozen=True)
class GroupResult:
    id: str
    name_vi: str
    name_en: str
    points: Decimal
    max_points: Decimal
    not_applicable: bool  # every indicator was excluded


@dataclass(frozen=True)
class IndexResult:
    ruleset_id: str
    indicators: dict[str, IndicatorResult]
    groups: dict[str, GroupResult]
    total: Decimal
    band: Band


# ----------------------------------------------------------------------------------------------
# Scoring


def _q(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def score_indicator(ind: Indicator, tally: Tally) -> IndicatorResult:
    """Rate and points of one indicator (rate rounded to 2 decimals first, as the VPCP document says)."""
    if tally.denominator == 0:
        policy = ind.zero_denominator
        points = ind.max_points if policy == "na_full" else Decimal(0)
        return IndicatorResult(
            ind.id,
            ind.group,
            ind.name_vi,
            ind.name_en,
            0,
            0,
            None,
            _q(points),
            ind.max_points,
            ind.target,
            True,
            policy == "na_excluded",
        )
    rate = _q(Decimal(tally.numerator) * _HUNDRED / Decimal(tally.denominator))
    if ind.method == "threshold" and ind.target is not None:
        points = ind.max_points if rate >= ind.target else rate * ind.max_points / ind.target
    else:
        points = rate * ind.max_points / _HUNDRED
    return IndicatorResult(
        ind.id,
        ind.group,
        ind.name_vi,
        ind.name_en,
        tally.numerator,
        tally.denominator,
        rate,
        min(_q(points), ind.max_points),
        ind.max_points,
        ind.target,
        False,
        False,
    )


def compute(tallies: Mapping[str, Tally], ruleset: RuleSet) -> IndexResult:
    """Score every indicator of the rule set (a missing tally counts as 0/0), then groups, total, band."""
    empty = Tally(0, 0)
    indicators = {ind.id: score_indicator(ind, tallies.get(ind.id, empty)) for ind in ruleset.indicators}
    groups: dict[str, GroupResult] = {}
    for g in ruleset.groups:
        members = [r for r in indicators.values() if r.group == g.id]
        kept = [r for r in members if not r.excluded]
        kept_max = sum((r.max_points for r in kept), Decimal(0))
        if not kept:
            points, na = Decimal(0), bool(members)
        elif kept_max == g.max_points:
            points, na = sum((r.points for r in kept), Decimal(0)), False
        elif kept_max == 0:
            points, na = Decimal(0), False
        else:
            # Excluded indicators leave their points to the rest of the group, pro rata.
            points, na = _q(sum((r.points for r in kept), Decimal(0)) * g.max_points / kept_max), False
        groups[g.id] = GroupResult(g.id, g.name_vi, g.name_en, min(points, g.max_points), g.max_points, na)
    total = sum((gr.points for gr in groups.values()), Decimal(0))
    return IndexResult(ruleset.id, indicators, groups, total, ruleset.band_for(total))


# ----------------------------------------------------------------------------------------------
# Tallying


def shift_weekdays(d: date, n: int) -> date:
    """Shift by n Monday–Friday days; a holiday-blind stand-in when no working-day calendar is given."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        d += timedelta(days=step)
        if d.weekday() < 5:
            remaining -= 1
    return d


class _Counter:
    """Collects numerator/denominator per indicator and, if asked, the reasons."""

    def __init__(self, explain: bool) -> None:
        self.num: dict[str, int] = {}
        self.den: dict[str, int] = {}
        self.explain = explain
        self.why: dict[str, list[Contribution]] = {}

    def add(self, iid: str, record: str, num: bool, vi: str, en: str, *, den: bool = True) -> None:
        if den:
            self.den[iid] = self.den.get(iid, 0) + 1
        if num:
            self.num[iid] = self.num.get(iid, 0) + 1
        if self.explain:
            self.why.setdefault(iid, []).append(Contribution(record, num, den, vi, en))

    def tallies(self) -> dict[str, Tally]:
        keys = set(self.den) | set(self.num)
        return {k: Tally(self.num.get(k, 0), self.den.get(k, 0)) for k in sorted(keys)}


def _yes(flag: bool, vi: tuple[str, str], en: tuple[str, str]) -> tuple[str, str]:
    return (vi[0], en[0]) if flag else (vi[1], en[1])


def tally_dossiers(
    dossiers: Iterable[Dossier],
    period_start: datetime,
    period_end: datetime,
    procedures: Iterable[Procedure],
    as_of: datetime,
    *,
    ruleset: RuleSet,
    due_from: DueFrom | None = None,
    shift_working_days: ShiftWorkingDays | None = None,
    reported_received: int | None = None,
    explain: bool = False,
) -> Tallies:
    """Numerators and denominators for the dossier- and catalogue-based indicators of a period.

    period_end is exclusive; dossiers are judged at min(period_end, as_of). reported_received is
    the number of dossiers the unit reported to the National Reporting System (indicator 1.4).
    """
    params = ruleset.parameters
    judge_at = min(period_end, as_of)
    shift = shift_working_days or shift_weekdays
    catalogue = {p.code: p for p in procedures}
    c = _Counter(explain)
    start_day = period_start.astimezone(VN_TZ).date()
    last_day = (period_end - timedelta(microseconds=1)).astimezone(VN_TZ).date()

    def in_period(day: date | None) -> bool:
        return day is not None and start_day <= day <= last_day

    # -- catalogue-based -------------------------------------------------------------------------
    published = [p for p in catalogue.values() if in_period(p.published_on)]
    late_publication = False
    for p in published:
        assert p.published_on is not None
        if p.legal_effective_on is None:
            ok = True
            vi, en = (
                "Không có ngày hiệu lực của văn bản: coi là đúng hạn",
                "No legal effective date: taken as on time",
            )
        else:
            limit = shift(p.legal_effective_on, -params.publish_lead_working_days)
            ok = p.published_on <= limit
            vi, en = _yes(
                ok,
                (
                    f"Công bố {p.published_on:%d/%m/%Y}, không muộn hơn {limit:%d/%m/%Y}",
                    f"Công bố {p.published_on:%d/%m/%Y}, muộn hơn hạn {limit:%d/%m/%Y}",
                ),
                (f"Published {p.published_on}, by {limit}", f"Published {p.published_on}, after {limit}"),
            )
        late_publication = late_publication or not ok
        c.add("1.1", p.code, ok, vi, en)
        if p.made_public_on is None:
            public_ok = False
            vi, en = "Chưa công khai trên CSDL quốc gia về TTHC", "Not made public on the national database"
        else:
            limit = shift(p.published_on, params.make_public_within_working_days)
            public_ok = p.made_public_on <= limit
            vi, en = _yes(
                public_ok,
                (
                    f"Công khai {p.made_public_on:%d/%m/%Y}, trong hạn {limit:%d/%m/%Y}",
                    f"Công khai {p.made_public_on:%d/%m/%Y}, quá hạn {limit:%d/%m/%Y}",
                ),
                (
                    f"Made public {p.made_public_on}, by {limit}",
                    f"Made public {p.made_public_on}, after {limit}",
                ),
            )
        c.add("1.2", p.code, public_ok, vi, en)
    if late_publication and params.any_late_publication_fails_period and "1.1" in c.num:
        # One late publication makes the whole period late.
        c.num["1.1"] = 0
    for p in catalogue.values():
        if p.made_public_on is not None and p.made_public_on <= last_day:
            vi, en = _yes(
                p.components_complete,
                ("Công khai đầy đủ bộ phận tạo thành", "Thiếu bộ phận tạo thành"),
                ("All components public", "Components missing"),
            )
            c.add("1.3", p.code, p.components_complete, vi, en)
        online = p.online_level in ("full", "partial")
        vi, en = _yes(
            online,
            (f"Có dịch vụ công trực tuyến ({p.online_level})", "Không có dịch vụ công trực tuyến"),
            (f"Offered online ({p.online_level})", "Not offered online"),
        )
        c.add("3.1", p.code, online, vi, en)

    # -- dossier-based ----------------------------------------------------------------------------
    received = 0
    online_procedures: set[str] = set()
    paid_procedures: set[str] = set()
    fee_procedures: set[str] = set()
    population_procedures: set[str] = set()
    pop_codes = set(params.population_database_codes)
    overdue = flagged = counted = 0
    for d in dossiers:
        rec = d.code
        proc = catalogue.get(d.procedure_code)
        ended = end_of(d, judge_at)
        if d.received_at >= judge_at or d.status in (Status.SUBMITTED, Status.REJECTED_AT_RECEPTION):
            in_scope_21 = False
        else:
            # Received in the period, or carried over and not ended before it started.
            in_scope_21 = d.received_at >= period_start or ended is None or ended[0] >= period_start
        if in_scope_21:
            t = classify(
                d,
                as_of=judge_at,
                due_from=due_from,
                granularity=params.granularity,
                supplements_allowed=params.supplement_requests_allowed,
            )
            if t.counted:
                c.add("2.1", rec, t.within_time, t.reason_vi, t.reason_en)
                counted += 1
                is_late = t.category is Category.LATE
                is_flagged = bool(d.disliked) or bool(d.complained)
                overdue += is_late
                flagged += is_flagged
                if is_late and is_flagged:
                    vi = "Trễ hạn và bị phản ánh/không hài lòng: bị trừ 2 lần theo công thức"
                    en = "Late and complained about/disliked: deducted twice by the formula"
                elif is_late:
                    vi, en = "Trễ hạn: bị trừ", "Late: deducted"
                elif is_flagged:
                    vi, en = (
                        "Có phản ánh hoặc đánh giá không hài lòng: bị trừ",
                        "Complaint or dislike: deducted",
                    )
                else:
                    vi, en = "Không trễ hạn, không bị phản ánh", "Not late, no complaint"
                if c.explain:
                    c.why.setdefault("5.4", []).append(
                        Contribution(rec, not (is_late or is_flagged), True, vi, en)
                    )
            elif c.explain:
                c.why.setdefault("2.1", []).append(Contribution(rec, False, False, t.reason_vi, t.reason_en))

        if not (period_start <= d.received_at < judge_at) or d.status in (
            Status.SUBMITTED,
            Status.REJECTED_AT_RECEPTION,
        ):
            continue
        received += 1
        closed = end_of(d, judge_at) is not None and d.status in (Status.FINISHED, Status.RETURNED)
        paper = proc.issues_paper_result if proc else True
        needs_e_result = closed and paper

        # 3.3 online dossiers
        is_online = d.channel is Channel.ONLINE
        ok33 = is_online and (not needs_e_result or d.has_electronic_result)
        if not is_online:
            vi, en = "Không nộp trực tuyến", "Not submitted online"
        elif ok33:
            vi, en = "Nộp trực tuyến", "Submitted online"
        else:
            vi, en = "Nộp trực tuyến nhưng thiếu kết quả điện tử", "Online but no electronic result"
        c.add("3.3", rec, ok33, vi, en)
        if is_online:
            online_procedures.add(d.procedure_code)

        # 3.6 online payment, among dossiers with fees
        if d.fee_total > 0:
            fee_procedures.add(d.procedure_code)
            paid = d.online_payment in (1, 2)
            if paid:
                paid_procedures.add(d.procedure_code)
            vi, en = _yes(
                paid,
                ("Thanh toán trực tuyến", "Có phí nhưng không thanh toán trực tuyến"),
                ("Paid online", "Fee not paid online"),
            )
            c.add("3.6", rec, paid, vi, en)

        # 4.1 electronic result, among closed dossiers of procedures with a paper result
        if needs_e_result:
            vi, en = _yes(
                d.has_result_file,
                ("Có tệp kết quả điện tử", "Thiếu tệp kết quả điện tử"),
                ("Electronic result attached", "No electronic result"),
            )
            c.add("4.1", rec, d.has_result_file, vi, en)

        # 4.2 digitised: component files attached and, where required, an electronic result
        has_files = any(t.file_url for t in d.documents)
        ok42 = has_files and (not needs_e_result or d.has_result_file)
        if not has_files:
            vi, en = "Thành phần hồ sơ chưa được số hóa", "Components not digitised"
        elif ok42:
            vi, en = "Đã số hóa thành phần hồ sơ", "Components digitised"
        else:
            vi, en = "Đã số hóa thành phần nhưng thiếu kết quả điện tử", "Digitised but no electronic result"
        c.add("4.2", rec, ok42, vi, en)

        reused = d.has_digitised_component or any(t.reused for t in d.documents)
        vi, en = _yes(
            reused,
            ("Có sử dụng lại dữ liệu số hóa", "Không sử dụng lại dữ liệu số hóa"),
            ("Reuses digitised data", "No reuse"),
        )
        c.add("4.3", rec, reused, vi, en)

        from_store = any(t.from_personal_store for t in d.documents)
        vi, en = _yes(
            from_store,
            ("Lấy thành phần từ kho dữ liệu cá nhân", "Không dùng kho dữ liệu cá nhân"),
            ("Uses the personal data store", "No personal data store"),
        )
        c.add("4.4", rec, from_store, vi, en)

        population = d.vneid_verified or any(not pop_codes or code in pop_codes for code in d.databases)
        if population:
            population_procedures.add(d.procedure_code)
        vi, en = _yes(
            population,
            ("Xác thực VNeID hoặc kết nối CSDL dân cư", "Không dùng dữ liệu dân cư"),
            ("VNeID or population database", "No population data"),
        )
        c.add("4.5b", rec, population, vi, en)

    # 1.4 needs the count reported elsewhere.
    if reported_received is not None:
        denominator = max(reported_received, received)
        c.num["1.4"], c.den["1.4"] = received, denominator
        if c.explain:
            c.why["1.4"] = [
                Contribution(
                    "-",
                    True,
                    True,
                    f"{received} hồ sơ đồng bộ / max({reported_received} báo cáo, {received} đồng bộ)",
                    f"{received} synced / max({reported_received} reported, {received} synced)",
                )
            ]

    # Procedure-level indicators that depend on dossiers.
    for p in catalogue.values():
        if p.online_level in ("full", "partial"):
            has = p.code in online_procedures
            vi, en = _yes(
                has,
                ("Có hồ sơ trực tuyến trong kỳ", "Không có hồ sơ trực tuyến trong kỳ"),
                ("Online dossier in the period", "No online dossier"),
            )
            c.add("3.2", p.code, has, vi, en)
        if p.fee_bearing:
            has = p.code in fee_procedures
            vi, en = _yes(
                has,
                ("Có hồ sơ đồng bộ kèm phí, lệ phí", "Không có hồ sơ đồng bộ kèm phí, lệ phí"),
                ("Synced dossier with fee data", "No synced dossier with fee data"),
            )
            c.add("3.5", p.code, has, vi, en)
            paid = p.code in paid_procedures
            vi, en = _yes(
                paid,
                ("Có giao dịch thanh toán trực tuyến", "Chưa có giao dịch thanh toán trực tuyến"),
                ("Has an online payment", "No online payment"),
            )
            c.add("3.5b", p.code, paid, vi, en)
        if p.citizen_subject:
            has = p.code in population_procedures
            vi, en = _yes(
                has,
                ("Có hồ sơ dùng dữ liệu dân cư", "Chưa có hồ sơ dùng dữ liệu dân cư"),
                ("Has dossiers using population data", "No dossier using population data"),
            )
            c.add("4.5a", p.code, has, vi, en)

    # 5.4 = 100% − (overdue share + complained/disliked share), as counts over the 2.1 dossiers.
    if counted:
        c.num["5.4"], c.den["5.4"] = max(0, counted - overdue - flagged), counted
    return Tallies(c.tallies(), c.why if explain else {})
