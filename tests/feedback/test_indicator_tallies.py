"""The 5.x tallies from stored late spans equal replaying every history through core.feedback.timeliness."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.core.feedback import Event, State, allowed_events
from thuocdo.feedback import services
from thuocdo.feedback.models import FeedbackCategory, LateSpan
from thuocdo.feedback.selectors import _indicator_tallies_by_replay, indicator_tallies
from thuocdo.units.models import AdminUnit, Agency

ICT = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ICT)
TICK = timedelta(microseconds=1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    province = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    agencies = [
        Agency.objects.create(code="A1", name="Sở Tư pháp", kind="department", admin_unit=province),
        # Other office hours give another calendar, so a transfer moves every deadline.
        Agency.objects.create(
            code="A2", name="UBND xã Ea Kao", kind="commune_committee", admin_unit=province,
            office_hours=[["07:00", "11:00"], ["13:30", "17:00"]],
        ),
        Agency.objects.create(
            code="A3", name="Sở Xây dựng", kind="department", admin_unit=province,
            office_hours=[["08:00", "12:00"]],
        ),
    ]  # fmt: skip
    categories = [
        FeedbackCategory.objects.create(code="thu-tuc", name="Thủ tục", classification="regulation"),
        FeedbackCategory.objects.create(code="can-bo", name="Cán bộ", classification="conduct"),
        FeedbackCategory.objects.create(code="khac", name="Khác", classification="other"),
    ]
    return agencies, categories


gaps = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 30).map(lambda d: timedelta(days=d)),
    st.integers(1, 60 * 24 * 25).map(lambda m: timedelta(minutes=m)),
)


@st.composite
def histories(draw):
    """Plans for a few submissions: when, where, what, and a walk through the state machine."""
    plans = []
    for i in range(draw(st.integers(1, 6))):
        plans.append(
            {
                "offset": timedelta(minutes=draw(st.integers(0, 60 * 24 * 90))),
                "agency": draw(st.integers(0, 2)),
                "category": draw(st.integers(0, 2)),
                # Same text as the previous submission: a duplicate if within 24 hours.
                "copy": i > 0 and draw(st.booleans()),
                "spam": draw(st.integers(0, 9)) == 0,
                "steps": draw(st.lists(st.tuples(st.integers(0, 9), gaps, st.integers(0, 2)), max_size=10)),
                "ratings": draw(st.lists(st.booleans(), max_size=4)),
            }
        )
    return plans


def build(plans, agencies, categories):
    made = []
    for i, plan in enumerate(plans):
        now = T0 + plan["offset"]
        text = (
            "Hồ sơ trễ hẹn, đề nghị kiểm tra"
            if plan["copy"]
            else f"Phản ánh số {i}: cán bộ hướng dẫn chưa đủ"
        )
        s = services.submit_feedback(
            data=services.NewSubmission(
                title=f"Phản ánh {i}" if not plan["copy"] else "Trễ hẹn",
                body=text,
                category=categories[plan["category"]],
                agency=agencies[plan["agency"]],
            ),
            now=now,
        )
        for choice, gap, target in plan["steps"]:
            allowed = allowed_events(State(s.state))
            if not allowed:
                break
            event = allowed[choice % len(allowed)]
            now += gap
            if event is Event.TRANSFER:
                others = [a for a in agencies if a.pk != s.agency_id]
                services.transition_submission(
                    submission=s, event=event, now=now, to_agency=others[target % len(others)]
                )
            elif event is Event.RERAISE:
                services.reraise_submission(submission=s, reason="Câu trả lời chưa thỏa đáng.", now=now)
            elif event is Event.ANSWER:
                services.transition_submission(
                    submission=s, event=event, now=now, answer="Đã kiểm tra, xử lý."
                )
            else:
                services.transition_submission(submission=s, event=event, now=now)
            if s.state in (State.PUBLISHED, State.CLOSED):
                for liked in plan["ratings"]:
                    services.rate_answer(submission=s, liked=liked)
        if plan["spam"]:
            services.mark_spam(submission=s)
        made.append(s)
    return made


windows = st.tuples(st.integers(-5, 100), st.integers(1, 120), st.one_of(st.none(), st.integers(-10, 400)))
# Calendar months in Vietnam time, February to August 2026: whole months are read from the monthly cells.
MONTHS = [datetime(2026, m, 1, tzinfo=ICT) for m in range(2, 9)]
month_windows = st.tuples(
    st.integers(0, 4),  # first month
    st.integers(1, 2),  # whole months
    st.sampled_from([timedelta(0), timedelta(days=3, hours=5), -timedelta(days=2)]),  # partial month before
    st.sampled_from([timedelta(0), timedelta(days=9), -timedelta(hours=30)]),  # partial month after
    st.one_of(
        st.none(),  # as of the period's end
        st.integers(-40, 200).map(lambda h: T0 + timedelta(hours=h * 13)),  # before, inside, after
        st.tuples(st.integers(0, 6), st.sampled_from([-TICK, timedelta(0), TICK])).map(
            lambda m: MONTHS[m[0]] + m[1]  # at a month's first moment, where a cell's month turns
        ),
        st.tuples(st.integers(-3, 120), st.sampled_from([-TICK, timedelta(0), TICK])).map(
            lambda d: datetime(2026, 3, 1, tzinfo=ICT) + timedelta(days=d[0]) + d[1]  # a day's turn
        ),
    ),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plans=histories(),
    cuts=st.lists(windows, min_size=1, max_size=4),
    months=st.lists(month_windows, min_size=1, max_size=4),
    pick=st.randoms(use_true_random=False),
)
def test_aggregate_tallies_equal_replaying_every_history(place, plans, cuts, months, pick):
    agencies, categories = place
    with transaction.atomic():
        made = build(plans, agencies, categories)
        checks = []
        for first, length, judged in cuts:
            start = T0 + timedelta(days=first)
            as_of = None if judged is None else T0 + timedelta(days=judged, hours=judged % 9)
            checks.append((start, start + timedelta(days=length), as_of))
        for first, length, before, after, as_of in months:
            checks.append((MONTHS[first] - before, MONTHS[first + length] + after, as_of))
        # Judged exactly at, and a microsecond either side of, every event and current deadline:
        # where a verdict turns, an off-by-one in the stored spans would show.
        everything = (T0 - timedelta(days=1), T0 + timedelta(days=100))
        turns = []
        for s in made:
            s.refresh_from_db()
            for moment in [e.at for e in s.events.all()] + [s.handle_by, s.publish_by]:
                if moment is not None:
                    turns += [(*everything, moment + d) for d in (-TICK, timedelta(0), TICK)]
        checks += pick.sample(turns, min(len(turns), 9))
        for start, end, as_of in checks:
            for scope in (Agency.objects.all(), Agency.objects.filter(code__in=["A2", "A3"])):
                fast = indicator_tallies(agencies=scope, start=start, end=end, as_of=as_of)
                slow = _indicator_tallies_by_replay(agencies=scope, start=start, end=end, as_of=as_of)
                assert fast == slow, (start, end, as_of)
        transaction.set_rollback(True)


def test_as_of_exactly_at_a_deadline_is_on_time_and_a_microsecond_later_is_late(place):
    agencies, categories = place
    s = services.submit_feedback(
        data=services.NewSubmission(
            title="Chưa trả lời", body="Chưa nhận được trả lời.", category=categories[2], agency=agencies[0]
        ),
        now=T0,
    )
    window = {"agencies": Agency.objects.all(), "start": T0, "end": T0 + timedelta(days=1)}
    assert indicator_tallies(**window, as_of=s.handle_by)["5.2"] == (1, 1)
    assert indicator_tallies(**window, as_of=s.handle_by + timedelta(microseconds=1))["5.2"] == (0, 1)


def test_a_transfer_after_the_deadline_makes_the_submission_on_time_again(place):
    agencies, categories = place
    s = services.submit_feedback(
        data=services.NewSubmission(
            title="Sai thẩm quyền", body="Gửi nhầm cơ quan xử lý.", category=categories[0], agency=agencies[0]
        ),
        now=T0,
    )
    late_by = s.handle_by
    services.transition_submission(
        submission=s, event=Event.TRANSFER, now=late_by + timedelta(days=3), to_agency=agencies[1]
    )
    window = {"agencies": Agency.objects.all(), "start": T0, "end": T0 + timedelta(days=1)}
    assert indicator_tallies(**window, as_of=late_by + timedelta(days=1))["5.2"] == (0, 1)
    assert indicator_tallies(**window, as_of=late_by + timedelta(days=4))["5.2"] == (1, 1)
    assert LateSpan.objects.filter(submission=s).count() == 2


def test_refresh_rebuilds_the_spans_from_the_history(place):
    agencies, categories = place
    s = services.submit_feedback(
        data=services.NewSubmission(
            title="Mất spans", body="Nội dung phản ánh đủ dài.", category=categories[0], agency=agencies[0]
        ),
        now=T0,
    )
    before = list(LateSpan.objects.filter(submission=s).values_list("starts_at", "ends_at"))
    LateSpan.objects.all().delete()
    assert services.refresh_late_spans() == 1
    assert list(LateSpan.objects.filter(submission=s).values_list("starts_at", "ends_at")) == before != []


def test_the_refresh_command_reports_how_many_it_recomputed(place):
    from io import StringIO

    from django.core.management import call_command

    agencies, categories = place
    services.submit_feedback(
        data=services.NewSubmission(
            title="Lịch nghỉ đổi",
            body="Nội dung phản ánh đủ dài.",
            category=categories[0],
            agency=agencies[2],
        ),
        now=T0,
    )
    LateSpan.objects.all().delete()
    out = StringIO()
    call_command("feedback", "refresh-facts", stdout=out)
    assert "của 1 phản ánh" in out.getvalue()
    assert LateSpan.objects.count() == 1
