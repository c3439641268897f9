"""Reads for citizen feedback: public views strip personal data; staff views are scoped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, FilteredRelation, Q, QuerySet, Sum
from django.utils import timezone

from thuocdo.core import feedback as rules
from thuocdo.feedback.models import FeedbackCategory, LateDayCell, LateSpan, MonthlyCell, Submission

K = TypeVar("K")

OPEN_STATES = (
    rules.State.RECEIVED.value,
    rules.State.AWAITING_INFO.value,
    rules.State.IN_PROGRESS.value,
    rules.State.AWAITING_PUBLICATION.value,
    rules.State.REOPENED.value,
)


def active_categories() -> QuerySet[FeedbackCategory]:
    return FeedbackCategory.objects.filter(is_active=True)


def submission_by_code(code: str) -> Submission | None:
    """A submission by its tracking code, case- and space-insensitive."""
    cleaned = code.strip().upper().replace(" ", "")
    return (
        Submission.objects.select_related("category", "agency", "admin_unit")
        .filter(tracking_code=cleaned)
        .first()
    )


def published_answers(*, q: str = "", category: str = "") -> QuerySet[Submission]:
    qs = Submission.objects.select_related("category", "agency").filter(
        state__in=[rules.State.PUBLISHED.value, rules.State.CLOSED.value],
        published_at__isnull=False,
        is_spam=False,
    )
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(answer_public__icontains=q) | Q(tracking_code__iexact=q.strip())
        )
    if category:
        qs = qs.filter(category__code=category)
    return qs.order_by("-published_at")


def submissions_for_agencies(
    agencies: Iterable[Any], *, state: str = "", at_risk_before: datetime | None = None
) -> QuerySet[Submission]:
    """Staff work list: submissions of the given agencies, optionally only open ones due before a moment."""
    qs = Submission.objects.select_related("category", "agency").filter(agency__in=list(agencies))
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if at_risk_before is not None:
        qs = qs.filter(state__in=OPEN_STATES, handle_by__lte=at_risk_before)
    return qs.order_by("handle_by")


def at_risk(*, now: datetime, horizon: timedelta = timedelta(days=2)) -> QuerySet[Submission]:
    """Open submissions whose handling deadline falls within the horizon and that were not escalated yet."""
    return Submission.objects.select_related("agency").filter(
        state__in=OPEN_STATES, handle_by__lte=now + horizon, escalated_at__isnull=True
    )


def counts_by_category_and_agency(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Dashboard counts: submissions first received in [start, end) by category and agency."""
    return list(
        Submission.objects.filter(submitted_at__gte=start, submitted_at__lt=end, duplicate_of__isnull=True)
        .values("category__code", "category__name", "agency__code", "agency__name")
        .annotate(total=Count("id"))
        .order_by("-total")
    )


def agency_by_code(code: str) -> Any:
    from thuocdo.units.models import Agency

    return Agency.objects.filter(code=code.strip()).first()


def agency_by_name_or_code(text: str) -> Any:
    """What a citizen typed: an agency code, or a name (accent-insensitive, exact before partial)."""
    from thuocdo.core.text import fold
    from thuocdo.units.models import Agency

    text = text.strip()
    if not text:
        return None
    exact = Agency.objects.filter(code=text).first()
    if exact is not None:
        return exact
    folded = fold(text)
    return (
        Agency.objects.filter(search_name=folded).first()
        or Agency.objects.filter(search_name__contains=folded).order_by("path").first()
    )


def agency_names(limit: int = 500) -> list[str]:
    """Names offered as suggestions on the submission form."""
    from thuocdo.units.models import Agency

    return list(Agency.objects.order_by("path").values_list("name", flat=True)[:limit])


def timeline_of(submission: Submission) -> rules.Timeline:
    """The core timeline of a stored submission, for 766 timeliness."""
    steps = tuple(
        rules.Step(rules.Event(e.event), e.at, rules.State(e.to_state)) for e in submission.events.all()
    )
    return rules.Timeline(submission.submitted_at, steps)


def _add_days_for(agency: Any) -> Any:
    from thuocdo.calendars.selectors import work_calendar

    return work_calendar(agency).add_working_days


def indicator_tallies(
    *, agencies: Any, start: datetime, end: datetime, as_of: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """766 indicators 5.1, 5.2 and 5.3 over submissions first received in [start, end), as (numerator, denominator).

    The whole months of the period come from the monthly cells (`MonthlyCell`, stored in advance),
    plus a row-by-row count of the late spans starting or ending in `as_of`'s own month; the partial
    months at either end from one aggregate query over submissions and their stored late spans. Both
    equal judging every history with `core.feedback.timeliness` (`_indicator_tallies_by_replay`, kept
    as the reference); docs/feedback.md explains the cells.
    """
    as_of = as_of or end
    whole = whole_months(start, end)
    if whole is None:
        tally = _tally_rows(agencies=agencies, periods=[(start, end)], as_of=as_of)
    else:
        lo, hi = whole
        edges = [(a, b) for a, b in ((start, lo), (hi, end)) if a < b]
        tally = _tally_cells(agencies=agencies, start=lo, end=hi, as_of=as_of)
        if edges:
            tally = tally + _tally_rows(agencies=agencies, periods=edges, as_of=as_of)
    return {
        "5.1": (tally.classified, tally.total),
        "5.2": (tally.total - tally.late, tally.total),
        "5.3": (tally.total - tally.unsatisfied, tally.total),
    }


@dataclass(frozen=True)
class _Tally:
    total: int = 0
    classified: int = 0
    late: int = 0
    unsatisfied: int = 0

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(
            self.total + other.total,
            self.classified + other.classified,
            self.late + other.late,
            self.unsatisfied + other.unsatisfied,
        )


def _zone() -> ZoneInfo:
    # The cells' months are Vietnam's calendar months whatever timezone a request has activated.
    return ZoneInfo(settings.TIME_ZONE)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The instants [first moment of `month`, first moment of the next month) in Vietnam time."""
    following = (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    tz = _zone()
    return (
        datetime(month.year, month.month, 1, tzinfo=tz),
        datetime(following.year, following.month, 1, tzinfo=tz),
    )


def whole_months(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The longest run of whole calendar months inside [start, end), or None if there is none."""
    lo_start, lo_end = month_bounds(rules.month_of(start, _zone()))
    lo = lo_start if lo_start == start else lo_end
    hi = month_bounds(rules.month_of(end, _zone()))[0]
    return (lo, hi) if lo < hi else None


def _tally_rows(*, agencies: Any, periods: list[tuple[datetime, datetime]], as_of: datetime) -> _Tally:
    """One aggregate query over the counted submissions received in the periods and their late spans."""
    got = _counted_with_late_span(agencies, periods, as_of).aggregate(**_tally_counts())
    return _Tally(got["total"], got["classified"], got["late"], got["unsatisfied"])


def _counted_with_late_span(agencies: Any, periods: list[tuple[datetime, datetime]], as_of: datetime) -> Any:
    """Counted submissions received in the periods, each joined to its late span at `as_of` if any."""
    late_then = FilteredRelation(
        "late_spans",
        condition=Q(late_spans__starts_at__lte=as_of)
        & (Q(late_spans__ends_at__isnull=True) | Q(late_spans__ends_at__gt=as_of)),
    )
    received = Q(pk__in=[])
    for a, b in periods:
        received |= Q(submitted_at__gte=a, submitted_at__lt=b)
    # Spans of one submission are disjoint, so the outer join adds at most one row per submission.
    return Submission.objects.filter(
        received, agency__in=agencies, duplicate_of__isnull=True, is_spam=False
    ).annotate(late_then=late_then)


def _tally_counts() -> dict[str, Any]:
    """The four counts of 5.1–5.3 over `_counted_with_late_span` rows."""
    return {
        "total": Count("id"),
        "classified": Count("id", filter=Q(category__classification__in=CLASSIFIED)),
        "late": Count("late_then__id"),
        "unsatisfied": Count(
            "id", filter=Q(dislikes__gt=F("likes")) | Q(reraised=True) | Q(late_then__id__isnull=False)
        ),
    }


def _tally_cells(*, agencies: Any, start: datetime, end: datetime, as_of: datetime) -> _Tally:
    """The whole months [start, end) from the monthly cells, exact as of any moment.

    Late as of T = spans started by T − spans ended by T (`core.feedback.monthly_cells`): the cells
    hold both by month, summed for the months before T's month, and by day (`LateDayCell`), summed
    for the days of T's month before T's day; the starts and ends on T's own day up to T itself are
    counted from the spans (index ranges on `starts_at` / `ends_at`).
    """
    # Grouping by agency costs a few rows more than one sum and keeps a single implementation of the cells.
    return sum(_tally_cells_by_agency(agencies, start, end, as_of).values(), _Tally())


def indicator_tallies_many(
    agency_sets: Mapping[K, Iterable[Any]], *, start: datetime, end: datetime, as_of: datetime | None = None
) -> dict[K, dict[str, tuple[int, int]]]:
    """`indicator_tallies` of each set of agencies (agencies or their ids), in a fixed number of queries.

    Every count is a sum over submissions and a submission has one agency, so the same cells,
    spans and rows `indicator_tallies` reads are read once, grouped by agency, for the union of the
    sets, and each set adds up its agencies' tallies.
    """
    as_of = as_of or end
    sets = {key: {getattr(a, "pk", a) for a in agencies} for key, agencies in agency_sets.items()}
    union = sorted(set().union(*sets.values())) if sets else []
    per_agency: dict[int, _Tally] = defaultdict(_Tally)
    if union:
        whole = whole_months(start, end)
        if whole is None:
            _add_by_agency(per_agency, _tally_rows_by_agency(union, [(start, end)], as_of))
        else:
            lo, hi = whole
            _add_by_agency(per_agency, _tally_cells_by_agency(union, lo, hi, as_of))
            edges = [(a, b) for a, b in ((start, lo), (hi, end)) if a < b]
            if edges:
                _add_by_agency(per_agency, _tally_rows_by_agency(union, edges, as_of))
    out: dict[K, dict[str, tuple[int, int]]] = {}
    for key, ids in sets.items():
        tally = sum((per_agency[i] for i in ids if i in per_agency), _Tally())
        out[key] = {
            "5.1": (tally.classified, tally.total),
            "5.2": (tally.total - tally.late, tally.total),
            "5.3": (tally.total - tally.unsatisfied, tally.total),
        }
    return out


def _add_by_agency(into: dict[int, _Tally], got: dict[int, _Tally]) -> None:
    for agency_id, tally in got.items():
        into[agency_id] = into[agency_id] + tally


def _tally_rows_by_agency(
    agency_ids: list[int], periods: list[tuple[datetime, datetime]], as_of: datetime
) -> dict[int, _Tally]:
    """`_tally_rows` grouped by agency: one query."""
    rows = (
        _counted_with_late_span(agency_ids, periods, as_of)
        .values("agency_id")
        .annotate(**_tally_counts())
        .values_list("agency_id", "total", "classified", "late", "unsatisfied")
        .order_by()
    )
    return {agency_id: _Tally(n, c, late, u) for agency_id, n, c, late, u in rows}


def _tally_cells_by_agency(
    agency_ids: Any, start: datetime, end: datetime, as_of: datetime
) -> dict[int, _Tally]:
    """`_tally_cells` grouped by agency: the same three reads (and the spans' submissions by key)."""
    tz = _zone()
    as_of_day = rules.day_of(as_of, tz)
    as_of_month = as_of_day.replace(day=1)
    received = {
        "agency__in": agency_ids,
        "month__gte": start.astimezone(tz).date(),
        "month__lt": end.astimezone(tz).date(),
    }
    zero = {"n": 0, "classified": 0, "unsatisfied": 0, "late": 0, "late_satisfied": 0}
    acc: dict[int, dict[str, int]] = defaultdict(lambda: dict(zero))
    cells = (
        MonthlyCell.objects.filter(**received)
        .values("agency_id")
        .annotate(
            n=Sum("total"),
            n_classified=Sum("total", filter=Q(category__classification__in=CLASSIFIED)),
            n_unsatisfied=Sum("unsatisfied"),
            n_late=Sum("late", filter=Q(at_month__lt=as_of_month)),
            n_late_satisfied=Sum("late_satisfied", filter=Q(at_month__lt=as_of_month)),
        )
        .values_list("agency_id", "n", "n_classified", "n_unsatisfied", "n_late", "n_late_satisfied")
        .order_by()
    )
    for agency_id, n, classified, unsatisfied, late, late_satisfied in cells:
        got = acc[agency_id]
        got["n"] += n or 0
        got["classified"] += classified or 0
        got["unsatisfied"] += unsatisfied or 0
        got["late"] += late or 0
        got["late_satisfied"] += late_satisfied or 0
    days = (
        LateDayCell.objects.filter(**received, at_day__gte=as_of_month, at_day__lt=as_of_day)
        .values("agency_id")
        .annotate(n_late=Sum("late"), n_late_satisfied=Sum("late_satisfied"))
        .values_list("agency_id", "n_late", "n_late_satisfied")
        .order_by()
    )
    for agency_id, late, late_satisfied in days:
        acc[agency_id]["late"] += late or 0
        acc[agency_id]["late_satisfied"] += late_satisfied or 0
    day_start = (
        datetime(as_of_day.year, as_of_day.month, as_of_day.day, tzinfo=tz)
        if as_of_day != rules.EARLIEST_MONTH
        else datetime.min.replace(tzinfo=UTC)
    )
    # In two steps: the day's spans by their time indexes, then their submissions by primary key; a join
    # may make PostgreSQL hash every submission of the period instead.
    spans = list(
        LateSpan.objects.filter(
            Q(starts_at__gte=day_start, starts_at__lte=as_of) | Q(ends_at__gte=day_start, ends_at__lte=as_of)
        ).values_list("submission_id", "starts_at", "ends_at")
    )
    counted: dict[int, tuple[int, bool]] = {}
    ids = sorted({pk for pk, _, _ in spans})
    for i in range(0, len(ids), 5000):
        for pk, agency_id, likes, dislikes, reraised in Submission.objects.filter(
            pk__in=ids[i : i + 5000],
            agency__in=agency_ids,
            submitted_at__gte=start,
            submitted_at__lt=end,
            duplicate_of__isnull=True,
            is_spam=False,
        ).values_list("pk", "agency_id", "likes", "dislikes", "reraised"):
            counted[pk] = (
                agency_id,
                rules.unsatisfied_anyway(likes=likes, dislikes=dislikes, reraised=reraised),
            )
    for pk, starts_at, ends_at in spans:
        if pk not in counted:
            continue
        agency_id, unsatisfied_anyway = counted[pk]
        for sign, moment in ((1, starts_at), (-1, ends_at)):
            if moment is not None and day_start <= moment <= as_of:
                acc[agency_id]["late"] += sign
                acc[agency_id]["late_satisfied"] += sign * (not unsatisfied_anyway)
    return {
        agency_id: _Tally(
            total=got["n"],
            classified=got["classified"],
            late=got["late"],
            unsatisfied=got["unsatisfied"] + got["late_satisfied"],
        )
        for agency_id, got in acc.items()
    }


CLASSIFIED = (rules.Category.REGULATION.value, rules.Category.CONDUCT.value)


def counted_submissions(*, agencies: Any, start: datetime, end: datetime) -> QuerySet[Submission]:
    """Submissions the 5.x indicators count: first received in [start, end), neither duplicates nor spam."""
    return Submission.objects.filter(
        agency__in=agencies,
        submitted_at__gte=start,
        submitted_at__lt=end,
        duplicate_of__isnull=True,
        is_spam=False,
    )


def _indicator_tallies_by_replay(
    *, agencies: Any, start: datetime, end: datetime, as_of: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """The 5.x tallies by replaying every history through `core.feedback.timeliness`: the reference for tests and benchmarks."""
    as_of = as_of or end
    qs = (
        Submission.objects.filter(agency__in=agencies, submitted_at__gte=start, submitted_at__lt=end)
        .filter(duplicate_of__isnull=True, is_spam=False)
        .select_related("category", "agency")
        .prefetch_related("events")
    )
    categories: list[rules.Category] = []
    on_time = 0
    satisfaction: list[rules.SatisfactionInput] = []
    feedback_rules = rules.FeedbackRules()
    calendars: dict[Any, Any] = {}  # one calendar per agency, not one lookup per submission
    for s in qs:
        categories.append(rules.Category(s.category.classification))
        if s.agency_id not in calendars:
            calendars[s.agency_id] = _add_days_for(s.agency)
        verdict = rules.timeliness(
            timeline_of(s), as_of=as_of, rules=feedback_rules, add_working_days=calendars[s.agency_id]
        )
        on_time += verdict.counts_on_time
        satisfaction.append(
            rules.SatisfactionInput(
                likes=s.likes, dislikes=s.dislikes, overdue=not verdict.counts_on_time, reraised=s.reraised
            )
        )
    classified = rules.classification_ratio(categories)
    satisfied = rules.satisfaction_ratio(satisfaction)
    return {
        "5.1": (classified.numerator, classified.denominator),
        "5.2": (on_time, len(categories)),
        "5.3": (satisfied.numerator, satisfied.denominator),
    }


def procedure_by_code_or_name(text: str) -> Any:
    """A procedure from what a citizen typed: its code, or its name (accent-insensitive)."""
    from thuocdo.catalog.models import Procedure
    from thuocdo.core.text import fold

    text = text.strip()
    if not text:
        return None
    code = text.split(" ", 1)[0]
    return (
        Procedure.objects.filter(code=code).first()
        or Procedure.objects.filter(search_name=fold(text)).first()
        or Procedure.objects.filter(search_name__contains=fold(text)).order_by("code").first()
    )


def procedure_names(limit: int = 400) -> list[str]:
    from thuocdo.catalog.models import Procedure

    return [f"{c} {n}" for c, n in Procedure.objects.order_by("code").values_list("code", "name")[:limit]]


# The classification's labels as the category admin shows them (lazy, translated at render time).
CLASSIFICATION_LABELS_VI = dict(FeedbackCategory._meta.get_field("classification").flatchoices)


@dataclass
class DashboardRow:
    """Counts for one category, classification, agency or month."""

    key: Any
    label: Any
    total: int = 0
    open: int = 0
    overdue: int = 0
    answered_on_time: int = 0
    classification: str = ""

    @property
    def classification_label(self) -> Any:
        return CLASSIFICATION_LABELS_VI.get(self.classification, "")

    def add(self, cell: dict[str, Any]) -> None:
        self.total += cell["total"]
        self.open += cell["open"]
        self.overdue += cell["overdue"]
        self.answered_on_time += cell["answered_on_time"]


@dataclass
class Dashboard:
    """The officials' feedback dashboard: submissions first received in the period, counted as of `now`."""

    totals: DashboardRow
    by_category: list[DashboardRow]
    by_classification: list[DashboardRow]
    by_agency: list[DashboardRow]
    by_month: list[DashboardRow]
    monthly_by_classification: dict[str, list[int]] = field(default_factory=dict)


def feedback_dashboard(*, agencies: Any, start: datetime, end: datetime, now: datetime) -> Dashboard:
    """Counts by category, classification, agency and month, each with open, overdue and answered on time.

    Duplicates and spam are left out, as in the 766 indicators; "overdue" and "on time" are the
    indicator 5.2 verdicts as of `now` (the stored late spans), so the page and the index agree.
    One grouped query; the folding into the four tables happens here.
    """
    from django.db.models.functions import TruncMonth

    from thuocdo.units.models import Agency

    late_now = FilteredRelation(
        "late_spans",
        condition=Q(late_spans__starts_at__lte=now)
        & (Q(late_spans__ends_at__isnull=True) | Q(late_spans__ends_at__gt=now)),
    )
    is_open = Q(state__in=OPEN_STATES)
    cells = (
        counted_submissions(agencies=agencies, start=start, end=end)
        .annotate(late_now=late_now, month=TruncMonth("submitted_at"))
        .values("month", "category_id", "agency_id")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=is_open),
            overdue=Count("id", filter=is_open & Q(late_now__id__isnull=False)),
            answered_on_time=Count("id", filter=Q(answered_at__isnull=False, late_now__id__isnull=True)),
        )
        .order_by()
    )
    categories = {c.pk: c for c in FeedbackCategory.objects.all()}
    agency_names = dict(Agency.objects.filter(pk__in=agencies).values_list("pk", "name"))
    months: list[datetime] = []
    cursor = start.astimezone(timezone.get_current_timezone()).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    while cursor < end:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    totals = DashboardRow("all", "Tổng số")
    by_category: dict[Any, DashboardRow] = {}
    by_class = {k: DashboardRow(k, v, classification=k) for k, v in CLASSIFICATION_LABELS_VI.items()}
    by_agency: dict[Any, DashboardRow] = {}
    by_month = {m.date(): DashboardRow(m.date(), f"{m:%m/%Y}") for m in months}
    monthly = {k: [0] * len(months) for k in CLASSIFICATION_LABELS_VI}
    index_of = {m.date(): i for i, m in enumerate(months)}
    for cell in cells:
        category = categories[cell["category_id"]]
        totals.add(cell)
        row = by_category.setdefault(
            category.pk,
            DashboardRow(category.pk, category.name, classification=category.classification),
        )
        row.add(cell)
        by_class[category.classification].add(cell)
        by_agency.setdefault(
            cell["agency_id"], DashboardRow(cell["agency_id"], agency_names.get(cell["agency_id"], ""))
        ).add(cell)
        month = (
            timezone.localtime(cell["month"]).date() if isinstance(cell["month"], datetime) else cell["month"]
        )
        by_month[month].add(cell)
        monthly[category.classification][index_of[month]] += cell["total"]
    order = [c.pk for c in categories.values()]
    return Dashboard(
        totals=totals,
        by_category=sorted(by_category.values(), key=lambda r: order.index(r.key)),
        by_classification=list(by_class.values()),
        by_agency=sorted(by_agency.values(), key=lambda r: (-r.total, r.label)),
        by_month=list(by_month.values()),
        monthly_by_classification=monthly,
    )
