"""Reads for citizen feedback: public views strip personal data; staff views are scoped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.utils import timezone

from thuocdo.core import feedback as rules
from thuocdo.feedback.models import FeedbackCategory, Submission

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

    One aggregate query: classification comes from the category, likes, dislikes and re-raising from
    the submission, and lateness as of `as_of` from the stored late spans (`LateSpan`), which
    `core.feedback.late_spans` derives from the history so that the result equals judging every
    history with `core.feedback.timeliness` (`_indicator_tallies_by_replay`, kept as the reference).
    """
    as_of = as_of or end
    late_then = FilteredRelation(
        "late_spans",
        condition=Q(late_spans__starts_at__lte=as_of)
        & (Q(late_spans__ends_at__isnull=True) | Q(late_spans__ends_at__gt=as_of)),
    )
    # Spans of one submission are disjoint, so the outer join adds at most one row per submission.
    got = (
        counted_submissions(agencies=agencies, start=start, end=end)
        .annotate(late_then=late_then)
        .aggregate(
            total=Count("id"),
            classified=Count("id", filter=Q(category__classification__in=CLASSIFIED)),
            late=Count("late_then__id"),
            unsatisfied=Count(
                "id",
                filter=Q(dislikes__gt=F("likes")) | Q(reraised=True) | Q(late_then__id__isnull=False),
            ),
        )
    )
    total = got["total"]
    return {
        "5.1": (got["classified"], total),
        "5.2": (total - got["late"], total),
        "5.3": (total - got["unsatisfied"], total),
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
