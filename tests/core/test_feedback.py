from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.feedback import (
    Category,
    Event,
    FeedbackRules,
    Punctuality,
    SatisfactionInput,
    State,
    Timeline,
    TransitionError,
    allowed_events,
    classification_ratio,
    deadlines,
    next_state,
    satisfaction_ratio,
    timeliness,
)

ICT = timezone(timedelta(hours=7))
RULES = FeedbackRules()


def weekdays_only(ts: datetime, n: int) -> datetime:
    """A stand-in calendar for these tests: Monday-Friday are working days, no holidays."""
    day = ts
    added = 0
    while added < n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=ICT)


def judge(timeline: Timeline, as_of: datetime) -> Punctuality:
    return timeliness(timeline, as_of=as_of, rules=RULES, add_working_days=weekdays_only).punctuality


class TestTransitions:
    def test_a_submission_goes_from_received_to_published(self):
        t = Timeline(MONDAY)
        for event in (Event.ACCEPT, Event.ANSWER, Event.PUBLISH):
            t = t.apply(event, MONDAY + timedelta(hours=1 + len(t.steps)))
        assert t.state is State.PUBLISHED

    def test_publishing_an_unanswered_submission_is_refused_with_the_allowed_events(self):
        with pytest.raises(TransitionError, match="allowed: accept, refuse, request_info, transfer"):
            next_state(State.RECEIVED, Event.PUBLISH)

    def test_an_unsatisfied_citizen_reopens_a_published_answer(self):
        assert next_state(State.PUBLISHED, Event.RERAISE) is State.REOPENED
        assert Event.ACCEPT in allowed_events(State.REOPENED)

    def test_events_out_of_time_order_are_refused(self):
        t = Timeline(MONDAY).apply(Event.ACCEPT, MONDAY + timedelta(days=1))
        with pytest.raises(ValueError, match="time order"):
            t.apply(Event.ANSWER, MONDAY)

    @given(st.lists(st.sampled_from(list(Event)), max_size=30))
    def test_any_sequence_either_applies_or_names_the_refused_event(self, events):
        t = Timeline(MONDAY)
        for i, event in enumerate(events):
            before = t.state
            try:
                t = t.apply(event, MONDAY + timedelta(minutes=i))
            except TransitionError as exc:
                assert event not in allowed_events(before)
                assert exc.state is before
            else:
                assert t.state is next_state(before, event)


class TestDeadlines:
    def test_handling_clock_restarts_at_the_latest_transfer(self):
        t = Timeline(MONDAY).apply(Event.TRANSFER, MONDAY + timedelta(days=3))
        due = deadlines(t, RULES, weekdays_only)
        assert due.handle_by == weekdays_only(MONDAY + timedelta(days=3), 15)
        assert due.refuse_by == weekdays_only(MONDAY, 2)

    def test_refusal_within_two_working_days_is_on_time(self):
        t = Timeline(MONDAY).apply(Event.REFUSE, MONDAY + timedelta(days=2))
        assert judge(t, MONDAY + timedelta(days=30)) is Punctuality.ON_TIME

    def test_refusal_after_a_weekend_counts_working_days_only(self):
        friday = datetime(2026, 3, 6, 9, 0, tzinfo=ICT)
        t = Timeline(friday).apply(Event.REFUSE, friday + timedelta(days=4))  # Tuesday: 2 working days later
        assert judge(t, friday + timedelta(days=30)) is Punctuality.ON_TIME
        late = Timeline(friday).apply(Event.REFUSE, friday + timedelta(days=5))  # Wednesday
        assert judge(late, friday + timedelta(days=30)) is Punctuality.LATE

    def test_answer_after_fifteen_working_days_is_late(self):
        t = Timeline(MONDAY).apply(Event.ACCEPT, MONDAY).apply(Event.ANSWER, MONDAY + timedelta(days=22))
        assert judge(t, MONDAY + timedelta(days=40)) is Punctuality.LATE

    def test_open_submission_is_in_time_until_its_handling_deadline(self):
        t = Timeline(MONDAY).apply(Event.ACCEPT, MONDAY)
        assert judge(t, MONDAY + timedelta(days=20)) is Punctuality.IN_PROGRESS_ON_TIME
        assert judge(t, MONDAY + timedelta(days=22)) is Punctuality.IN_PROGRESS_LATE

    def test_an_answer_not_published_within_two_days_is_flagged(self):
        t = Timeline(MONDAY).apply(Event.ACCEPT, MONDAY).apply(Event.ANSWER, MONDAY + timedelta(days=1))
        # Reaching "awaiting publication" in time is on time for handling (766 counts it as handled)...
        assert judge(t, MONDAY + timedelta(days=2)) is Punctuality.ON_TIME
        # ...but an answer left unpublished past its 2 working days is flagged.
        assert judge(t, MONDAY + timedelta(days=10)) is Punctuality.IN_PROGRESS_LATE

    def test_judgement_ignores_what_happened_after_the_period(self):
        t = Timeline(MONDAY).apply(Event.ACCEPT, MONDAY).apply(Event.ANSWER, MONDAY + timedelta(days=30))
        assert judge(t, MONDAY + timedelta(days=5)) is Punctuality.IN_PROGRESS_ON_TIME

    @given(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
    def test_a_finished_case_keeps_its_verdict_whatever_the_period_end(self, answer_after, extra):
        answered = MONDAY + timedelta(days=answer_after)
        t = (
            Timeline(MONDAY)
            .apply(Event.ACCEPT, MONDAY)
            .apply(Event.ANSWER, answered)
            .apply(Event.PUBLISH, answered + timedelta(hours=1))
        )
        first = judge(t, answered + timedelta(hours=1))
        assert judge(t, answered + timedelta(days=extra, hours=1)) is first
        assert first in (Punctuality.ON_TIME, Punctuality.LATE)


class TestSatisfaction:
    def test_indicator_5_3_counts_each_unsatisfied_case_once(self):
        items = [
            SatisfactionInput(likes=3, dislikes=0, overdue=False, reraised=False),
            SatisfactionInput(
                likes=0, dislikes=2, overdue=True, reraised=True
            ),  # three reasons, counted once
            SatisfactionInput(
                likes=1, dislikes=1, overdue=False, reraised=False
            ),  # a tie is not "more dislikes"
            SatisfactionInput(likes=0, dislikes=0, overdue=True, reraised=False),
        ]
        ratio = satisfaction_ratio(items)
        assert (ratio.numerator, ratio.denominator) == (2, 4)

    def test_indicator_5_1_counts_regulation_and_conduct(self):
        ratio = classification_ratio([Category.REGULATION, Category.CONDUCT, Category.OTHER])
        assert (ratio.numerator, ratio.denominator) == (2, 3)

    def test_datetimes_in_other_zones_compare_correctly(self):
        utc_submit = MONDAY.astimezone(UTC)
        t = Timeline(utc_submit).apply(Event.REFUSE, MONDAY + timedelta(days=1))
        assert judge(t, MONDAY + timedelta(days=3)) is Punctuality.ON_TIME
