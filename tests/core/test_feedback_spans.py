"""late_spans: the stored form of 766 indicator 5.2 must agree with timeliness at every moment."""

import itertools
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.feedback import Event, FeedbackRules, Timeline, allowed_events, late_spans, timeliness

ICT = timezone(timedelta(hours=7))
RULES = FeedbackRules()
START = datetime(2026, 3, 2, 9, 0, tzinfo=ICT)
TICK = timedelta(microseconds=1)


def weekdays_only(ts: datetime, n: int) -> datetime:
    """A stand-in calendar: Monday-Friday are working days, no holidays."""
    day = ts
    added = 0
    while added < n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


# Gaps between events: simultaneous, minutes, around the 2/5/15 working-day limits, long silences.
gaps = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 40).map(lambda d: timedelta(days=d)),
    st.integers(1, 60 * 24 * 30).map(lambda m: timedelta(minutes=m)),
)


@st.composite
def timelines(draw: st.DrawFn, start: datetime = START) -> Timeline:
    """A valid history: each step is one of the events the current state allows."""
    t = Timeline(start + draw(st.integers(0, 60 * 24 * 20)) * timedelta(minutes=1))
    at = t.submitted_at
    for _ in range(draw(st.integers(0, 12))):
        allowed = allowed_events(t.state)
        if not allowed:
            break
        at = at + draw(gaps)
        t = t.apply(draw(st.sampled_from(allowed)), at)
    return t


def moments(t: Timeline) -> list[datetime]:
    """Every moment where a verdict could change, and either side of it."""
    out = [t.submitted_at - timedelta(days=1)]
    for s in t.steps:
        out += [s.at - TICK, s.at, s.at + TICK]
    for k in range(len(t.steps) + 1):
        prefix = Timeline(t.submitted_at, t.steps[:k])
        for d in (
            weekdays_only(prefix.clock_start(), RULES.handle_days),
            *[weekdays_only(s.at, RULES.publish_days) for s in prefix.steps if s.event is Event.ANSWER],
        ):
            out += [d - TICK, d, d + TICK]
    return out


def in_spans(spans: tuple[tuple[datetime, datetime | None], ...], moment: datetime) -> bool:
    return any(lo <= moment and (hi is None or moment < hi) for lo, hi in spans)


@settings(max_examples=400, deadline=None)
@given(timelines(), st.lists(st.integers(0, 60 * 24 * 200), max_size=5))
def test_spans_hold_exactly_the_moments_timeliness_judges_late(t, offsets):
    spans = late_spans(t, rules=RULES, add_working_days=weekdays_only)
    for moment in moments(t) + [t.submitted_at + timedelta(minutes=m) for m in offsets]:
        verdict = timeliness(t, as_of=moment, rules=RULES, add_working_days=weekdays_only)
        assert in_spans(spans, moment) == (not verdict.counts_on_time), (moment, verdict, spans)


@given(timelines())
def test_spans_are_ordered_and_disjoint(t):
    spans = late_spans(t, rules=RULES, add_working_days=weekdays_only)
    for (_, hi), (lo, _) in itertools.pairwise(spans):
        assert hi is not None and hi < lo


def test_an_open_submission_is_late_from_the_moment_after_its_deadline():
    t = Timeline(START)
    assert late_spans(t, rules=RULES, add_working_days=weekdays_only) == (
        (datetime(2026, 3, 23, 9, 0, tzinfo=ICT) + TICK, None),
    )


def test_a_transfer_ends_a_late_spell_and_restarts_the_clock():
    late_by = datetime(2026, 3, 23, 9, 0, tzinfo=ICT)
    transfer = late_by + timedelta(days=2)
    t = Timeline(START).apply(Event.TRANSFER, transfer)
    spans = late_spans(t, rules=RULES, add_working_days=weekdays_only)
    assert spans == ((late_by + TICK, transfer), (weekdays_only(transfer, 15) + TICK, None))


def test_an_answer_published_on_time_is_never_late():
    t = (
        Timeline(START)
        .apply(Event.ACCEPT, START + timedelta(hours=1))
        .apply(Event.ANSWER, START + timedelta(days=3))
        .apply(Event.PUBLISH, START + timedelta(days=4))
    )
    assert late_spans(t, rules=RULES, add_working_days=weekdays_only) == ()
