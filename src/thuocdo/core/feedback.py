"""Citizen feedback (phản ánh, kiến nghị — PAKN): states, allowed transitions, deadlines, 766 timeliness.

The state machine mirrors the national PAKN system (domain-vn §4): a submission is received, then
refused, sent back for more information, transferred to another agency, or handled; the answer is
reviewed (personal data redacted) and published; the citizen may like or dislike it and re-raise it as
unsatisfied, which reopens it on an appeal path.

Deadlines are counted in working days on the working-day calendar, which is passed in (core stays free
of any particular calendar): refuse within 2, ask for more information within 5, handle (reach
"awaiting publication") within 15 from submission or from the latest transfer, publish within 2 of the
answer. The numbers are a `FeedbackRules` value so a rule set can change them with an effective date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum


class State(StrEnum):
    RECEIVED = "received"  # Mới tiếp nhận
    AWAITING_INFO = "awaiting_info"  # Chờ bổ sung thông tin
    IN_PROGRESS = "in_progress"  # Đang xử lý
    AWAITING_PUBLICATION = "awaiting_publication"  # Chờ công khai (answer drafted, under review)
    PUBLISHED = "published"  # Đã công khai
    REFUSED = "refused"  # Từ chối tiếp nhận
    REOPENED = "reopened"  # Phản ánh lại (citizen unsatisfied; appeal)
    CLOSED = "closed"  # Đã đóng


class Event(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    REQUEST_INFO = "request_info"
    INFO_RECEIVED = "info_received"
    TRANSFER = "transfer"
    ANSWER = "answer"
    PUBLISH = "publish"
    RERAISE = "reraise"
    CLOSE = "close"


class Category(StrEnum):
    """Classification used by 766 indicator 5.1."""

    REGULATION = "regulation"  # về quy định hành chính, thủ tục hành chính
    CONDUCT = "conduct"  # về hành vi, thái độ của cán bộ, công chức
    OTHER = "other"


# (from, event) -> to. Anything not listed is refused with an error naming both.
TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.RECEIVED, Event.ACCEPT): State.IN_PROGRESS,
    (State.RECEIVED, Event.REFUSE): State.REFUSED,
    (State.RECEIVED, Event.REQUEST_INFO): State.AWAITING_INFO,
    (State.RECEIVED, Event.TRANSFER): State.RECEIVED,
    (State.AWAITING_INFO, Event.INFO_RECEIVED): State.RECEIVED,
    (State.AWAITING_INFO, Event.CLOSE): State.CLOSED,
    (State.IN_PROGRESS, Event.REQUEST_INFO): State.AWAITING_INFO,
    (State.IN_PROGRESS, Event.TRANSFER): State.RECEIVED,
    (State.IN_PROGRESS, Event.ANSWER): State.AWAITING_PUBLICATION,
    (State.AWAITING_PUBLICATION, Event.PUBLISH): State.PUBLISHED,
    # A reviewer sends a draft back for rework.
    (State.AWAITING_PUBLICATION, Event.ACCEPT): State.IN_PROGRESS,
    (State.PUBLISHED, Event.RERAISE): State.REOPENED,
    (State.PUBLISHED, Event.CLOSE): State.CLOSED,
    (State.REOPENED, Event.ACCEPT): State.IN_PROGRESS,
    (State.REOPENED, Event.TRANSFER): State.RECEIVED,
    (State.REFUSED, Event.CLOSE): State.CLOSED,
}

TERMINAL = frozenset({State.CLOSED})


class TransitionError(ValueError):
    """An event that the current state does not allow."""

    def __init__(self, state: State, event: Event) -> None:
        self.state = state
        self.event = event
        allowed = ", ".join(sorted(e.value for (s, e) in TRANSITIONS if s is state)) or "none"
        super().__init__(f"cannot {event.value} a submission that is {state.value} (allowed: {allowed})")


def allowed_events(state: State) -> list[Event]:
    """The events a submission in this state accepts, in a stable order."""
    return [e for e in Event if (state, e) in TRANSITIONS]


def next_state(state: State, event: Event) -> State:
    """The state after `event`, or TransitionError."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise TransitionError(state, event) from None


@dataclass(frozen=True)
class FeedbackRules:
    """Working-day limits of the national PAKN system as counted by 766 indicator 5.2."""

    refuse_days: int = 2
    request_info_days: int = 5
    handle_days: int = 15
    publish_days: int = 2


AddWorkingDays = Callable[[datetime, int], datetime]


@dataclass(frozen=True)
class Step:
    """One applied event, as stored in a submission's history."""

    event: Event
    at: datetime
    state_after: State


@dataclass(frozen=True)
class Timeline:
    """What the 766 timeliness rule needs to know about one submission."""

    submitted_at: datetime
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def apply(self, event: Event, at: datetime) -> Timeline:
        """A new timeline with the event appended, if the current state allows it."""
        if self.steps and at < self.steps[-1].at:
            raise ValueError("events must be applied in time order")
        if at < self.submitted_at:
            raise ValueError("an event cannot precede the submission")
        return replace(self, steps=(*self.steps, Step(event, at, next_state(self.state, event))))

    @property
    def state(self) -> State:
        return self.steps[-1].state_after if self.steps else State.RECEIVED

    def first(self, event: Event) -> datetime | None:
        return next((s.at for s in self.steps if s.event is event), None)

    def clock_start(self) -> datetime:
        """Submission, or the latest transfer: the 15-day handling clock restarts at a transfer."""
        transfers = [s.at for s in self.steps if s.event is Event.TRANSFER]
        return transfers[-1] if transfers else self.submitted_at


@dataclass(frozen=True)
class Deadlines:
    refuse_by: datetime
    request_info_by: datetime
    handle_by: datetime
    publish_by: datetime | None


def deadlines(timeline: Timeline, rules: FeedbackRules, add_working_days: AddWorkingDays) -> Deadlines:
    """The current deadlines of a submission."""
    answered = _last(timeline, Event.ANSWER)
    return Deadlines(
        refuse_by=add_working_days(timeline.submitted_at, rules.refuse_days),
        request_info_by=add_working_days(timeline.submitted_at, rules.request_info_days),
        handle_by=add_working_days(timeline.clock_start(), rules.handle_days),
        publish_by=add_working_days(answered, rules.publish_days) if answered else None,
    )


class Punctuality(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    IN_PROGRESS_ON_TIME = "in_progress_on_time"
    IN_PROGRESS_LATE = "in_progress_late"


@dataclass(frozen=True)
class TimelinessResult:
    punctuality: Punctuality
    reason_vi: str
    reason_en: str

    @property
    def counts_on_time(self) -> bool:
        return self.punctuality in (Punctuality.ON_TIME, Punctuality.IN_PROGRESS_ON_TIME)


def timeliness(
    timeline: Timeline, *, as_of: datetime, rules: FeedbackRules, add_working_days: AddWorkingDays
) -> TimelinessResult:
    """Classify handling per 766 indicator 5.2, looking only at what had happened by `as_of`."""
    seen = Timeline(timeline.submitted_at, tuple(s for s in timeline.steps if s.at <= as_of))
    due = deadlines(seen, rules, add_working_days)

    refused = seen.first(Event.REFUSE)
    if refused is not None:
        return _judge(refused <= due.refuse_by, "từ chối tiếp nhận", "refused", rules.refuse_days)
    asked = seen.first(Event.REQUEST_INFO)
    if asked is not None and asked > due.request_info_by:
        return _judge(False, "yêu cầu bổ sung", "asked for more information", rules.request_info_days)
    answered = _last(seen, Event.ANSWER)
    if answered is not None:
        if answered > due.handle_by:
            return _judge(False, "xử lý", "handled", rules.handle_days)
        published = _last(seen, Event.PUBLISH)
        if published is not None:
            return _judge(
                published <= (due.publish_by or published), "công khai", "published", rules.publish_days
            )
        assert due.publish_by is not None
        if as_of > due.publish_by:
            return TimelinessResult(
                Punctuality.IN_PROGRESS_LATE,
                f"Quá {rules.publish_days} ngày làm việc chưa công khai kết quả",
                f"Not published within {rules.publish_days} working days of the answer",
            )
        return _judge(True, "xử lý", "handled", rules.handle_days)
    if seen.state is State.AWAITING_INFO:
        return TimelinessResult(
            Punctuality.IN_PROGRESS_ON_TIME,
            "Đang chờ người dân bổ sung thông tin",
            "Waiting for the citizen to supply more information",
        )
    if as_of > due.handle_by:
        return TimelinessResult(
            Punctuality.IN_PROGRESS_LATE,
            f"Đang xử lý, đã quá {rules.handle_days} ngày làm việc",
            f"Still open after {rules.handle_days} working days",
        )
    return TimelinessResult(
        Punctuality.IN_PROGRESS_ON_TIME,
        f"Đang xử lý, trong hạn {rules.handle_days} ngày làm việc",
        f"Open, within {rules.handle_days} working days",
    )


def _judge(on_time: bool, what_vi: str, what_en: str, days: int) -> TimelinessResult:
    if on_time:
        return TimelinessResult(
            Punctuality.ON_TIME,
            f"Đúng hạn: {what_vi} trong {days} ngày làm việc",
            f"On time: {what_en} within {days} working days",
        )
    return TimelinessResult(
        Punctuality.LATE,
        f"Trễ hạn: {what_vi} sau {days} ngày làm việc",
        f"Late: {what_en} after {days} working days",
    )


def _last(timeline: Timeline, event: Event) -> datetime | None:
    return next((s.at for s in reversed(timeline.steps) if s.event is event), None)


@dataclass(frozen=True)
class SatisfactionInput:
    """What indicator 5.3 needs per submission first received in the period."""

    likes: int
    dislikes: int
    overdue: bool
    reraised: bool


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int


def satisfaction_ratio(items: Iterable[SatisfactionInput]) -> Ratio:
    """766 indicator 5.3: (all − disliked − overdue − re-raised) / all, each submission counted at most once."""
    total = unsatisfied = 0
    for item in items:
        total += 1
        if item.dislikes > item.likes or item.overdue or item.reraised:
            unsatisfied += 1
    return Ratio(total - unsatisfied, total)


def classification_ratio(categories: Sequence[Category]) -> Ratio:
    """766 indicator 5.1: submissions about regulations or officials' conduct, over all submissions."""
    classified = sum(1 for c in categories if c in (Category.REGULATION, Category.CONDUCT))
    return Ratio(classified, len(categories))


_TICK = timedelta(microseconds=1)  # the resolution of stored datetimes: "after D" is "from D + 1 µs"


def late_spans(
    timeline: Timeline, *, rules: FeedbackRules, add_working_days: AddWorkingDays
) -> tuple[tuple[datetime, datetime | None], ...]:
    """Every `as_of` at which `timeliness` does not count the submission on time, as half-open spans.

    `timeliness` depends on `as_of` only through which steps are seen (`at <= as_of`) and whether
    `as_of` is past a deadline of the seen prefix, so its verdict is constant between consecutive
    breakpoints (step times and each prefix's deadlines + 1 µs). Judging `timeliness` itself at each
    breakpoint keeps this function the rule, not a second copy of it; a store can then count late
    submissions for any `as_of` with `start <= as_of < end` (end None: for ever).
    """
    known: dict[tuple[datetime, int], datetime] = {}

    def add_days(start: datetime, days: int) -> datetime:
        # Every breakpoint re-judges the same few deadlines; calendar arithmetic is the costly part.
        if (start, days) not in known:
            known[(start, days)] = add_working_days(start, days)
        return known[(start, days)]

    points: set[datetime] = set()
    for k in range(len(timeline.steps) + 1):
        prefix = Timeline(timeline.submitted_at, timeline.steps[:k])
        due = deadlines(prefix, rules, add_days)
        points.add(due.handle_by + _TICK)
        if due.publish_by is not None:
            points.add(due.publish_by + _TICK)
        if k:
            points.add(timeline.steps[k - 1].at)
    ordered = sorted(points)

    def late_at(moment: datetime) -> bool:
        verdict = timeliness(timeline, as_of=moment, rules=rules, add_working_days=add_days)
        return not verdict.counts_on_time

    spans: list[tuple[datetime, datetime | None]] = []
    # Before the first breakpoint nothing has happened and no deadline has passed: judged once.
    start: datetime | None = datetime.min.replace(tzinfo=UTC) if late_at(ordered[0] - _TICK) else None
    for moment in ordered:
        late = late_at(moment)
        if late and start is None:
            start = moment
        elif not late and start is not None:
            spans.append((start, moment))
            start = None
    if start is not None:
        spans.append((start, None))
    return tuple(spans)


# ------------------------------------------------------------------------------------------------
# Monthly cells: the 5.x counts stored in advance, exact for any `as_of`


@dataclass(frozen=True)
class CountedSubmission:
    """What a monthly cell needs of one submission the 5.x indicators count (neither duplicate nor spam)."""

    key: int
    agency: int
    category: int
    submitted_at: datetime
    likes: int
    dislikes: int
    reraised: bool

    @property
    def unsatisfied_anyway(self) -> bool:
        return unsatisfied_anyway(likes=self.likes, dislikes=self.dislikes, reraised=self.reraised)


def unsatisfied_anyway(*, likes: int, dislikes: int, reraised: bool) -> bool:
    """Indicator 5.3 counts the submission unsatisfied whatever its timeliness (disliked or re-raised)."""
    return dislikes > likes or reraised


@dataclass
class CellCounts:
    """One cell: `total`/`unsatisfied` on (agency, month, category) rows; `late`/`late_satisfied` on
    (agency, month, at_month) rows."""

    total: int = 0
    unsatisfied: int = 0
    late: int = 0
    late_satisfied: int = 0


CellKey = tuple[int, date, int | None, date | None, date | None]
"""agency, month received, then one of: category (count row), at_month (late row), at_day (late day row)."""
EARLIEST_MONTH = date(1, 1, 1)


def month_of(moment: datetime, tz: tzinfo) -> date:
    """The first day of the month containing `moment` on the wall clock of `tz`."""
    return day_of(moment, tz).replace(day=1)


def day_of(moment: datetime, tz: tzinfo) -> date:
    """The day containing `moment` on the wall clock of `tz`."""
    if moment.year == 1:
        # `late_spans` opens "late from the very beginning" at datetime.min, which no shift may move.
        return EARLIEST_MONTH
    return moment.astimezone(tz).date()


def monthly_cells(
    submissions: Iterable[CountedSubmission],
    spans: Iterable[tuple[int, datetime, datetime | None]],
    tz: tzinfo,
) -> dict[CellKey, CellCounts]:
    """Fold submissions and their late spans into monthly cells, exact for any `as_of`.

    A submission is late as of T when one of its (disjoint) spans has start <= T < end, so the number
    late as of T is #(starts <= T) - #(ends <= T). Each start adds one and each end removes one in the
    row of the month it falls in (`at_month`) and in the row of its day (`at_day`); a reader sums the
    month rows before T's month, the day rows of T's month before T's day, and counts the starts and
    ends of T's own day up to T row by row. `late_satisfied` is the same among submissions not already
    unsatisfied, which 5.3 needs: unsatisfied = disliked or re-raised, or late.
    """
    cells: dict[CellKey, CellCounts] = {}
    counted: dict[int, CountedSubmission] = {}
    for s in submissions:
        counted[s.key] = s
        cell = cells.setdefault(
            (s.agency, month_of(s.submitted_at, tz), s.category, None, None), CellCounts()
        )
        cell.total += 1
        cell.unsatisfied += s.unsatisfied_anyway
    for key, starts_at, ends_at in spans:
        owner = counted.get(key)
        if owner is None:
            continue
        month = month_of(owner.submitted_at, tz)
        for moment, step in ((starts_at, 1), (ends_at, -1)):
            if moment is None:
                continue
            day = day_of(moment, tz)
            for row in (
                (owner.agency, month, None, day.replace(day=1), None),
                (owner.agency, month, None, None, day),
            ):
                cell = cells.setdefault(row, CellCounts())
                cell.late += step
                cell.late_satisfied += 0 if owner.unsatisfied_anyway else step
    # A span that starts and ends within one month (day) nets to nothing there: no row to store or read.
    return {k: c for k, c in cells.items() if k[2] is not None or c.late or c.late_satisfied}
