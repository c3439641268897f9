"""The monthly 5.x cells follow every change that moves a count, and whole months are read from them."""

from datetime import datetime, timedelta, timezone

import pytest
from django.contrib import admin
from django.test import RequestFactory

from thuocdo.core.feedback import Event
from thuocdo.feedback import services
from thuocdo.feedback.models import FeedbackCategory, MonthlyCell, Submission
from thuocdo.feedback.selectors import _indicator_tallies_by_replay, indicator_tallies
from thuocdo.units.models import AdminUnit, Agency

ICT = timezone(timedelta(hours=7))
MARCH = (datetime(2026, 3, 1, tzinfo=ICT), datetime(2026, 4, 1, tzinfo=ICT))
pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    province = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    a1 = Agency.objects.create(code="A1", name="Sở Tư pháp", kind="department", admin_unit=province)
    a2 = Agency.objects.create(code="A2", name="Sở Xây dựng", kind="department", admin_unit=province)
    other = FeedbackCategory.objects.create(code="khac", name="Khác", classification="other")
    return a1, a2, other


def _submit(agency, category, at, title="Phản ánh"):
    return services.submit_feedback(
        data=services.NewSubmission(
            title=title, body=f"{title}: cán bộ hướng dẫn chưa đầy đủ.", category=category, agency=agency
        ),
        now=at,
    )


def _publish(s, at):
    services.transition_submission(submission=s, event=Event.ACCEPT, now=at)
    services.transition_submission(
        submission=s, event=Event.ANSWER, now=at + timedelta(hours=2), answer="Đã xử lý."
    )
    services.transition_submission(submission=s, event=Event.PUBLISH, now=at + timedelta(hours=3))
    return s


def _tallies(agencies, as_of=None):
    fast = indicator_tallies(agencies=agencies, start=MARCH[0], end=MARCH[1], as_of=as_of)
    slow = _indicator_tallies_by_replay(agencies=agencies, start=MARCH[0], end=MARCH[1], as_of=as_of)
    assert fast == slow
    return fast


def test_a_whole_month_is_read_from_the_cells_which_a_refresh_rebuilds(place):
    a1, _, other = place
    _publish(_submit(a1, other, datetime(2026, 3, 10, 9, tzinfo=ICT)), datetime(2026, 3, 11, 9, tzinfo=ICT))
    everyone = Agency.objects.all()
    assert _tallies(everyone)["5.2"] == (1, 1)
    MonthlyCell.objects.all().delete()
    # Without cells a whole month looks empty: proof the reading goes through them.
    assert indicator_tallies(agencies=everyone, start=MARCH[0], end=MARCH[1])["5.2"] == (0, 0)
    assert services.refresh_monthly_cells() > 0
    assert _tallies(everyone)["5.2"] == (1, 1)


def test_a_month_received_in_vietnam_time_not_utc(place):
    a1, _, other = place
    _submit(a1, other, datetime(2026, 3, 31, 23, 30, tzinfo=ICT))
    # Still 31 March in UTC, but April in Vietnam: not in March's cells.
    _submit(a1, other, datetime(2026, 4, 1, 0, 30, tzinfo=ICT), title="Tháng tư")
    assert _tallies(Agency.objects.all())["5.1"] == (0, 1)


def test_late_then_answered_counts_late_from_the_moment_the_deadline_passes(place):
    a1, _, other = place
    s = _submit(a1, other, datetime(2026, 3, 2, 9, tzinfo=ICT))
    everyone = Agency.objects.all()
    assert _tallies(everyone, as_of=s.handle_by)["5.2"] == (1, 1)
    assert _tallies(everyone, as_of=s.handle_by + timedelta(microseconds=1))["5.2"] == (0, 1)
    # Judged months later, from the cells of earlier months only.
    assert _tallies(everyone, as_of=datetime(2026, 9, 1, tzinfo=ICT))["5.2"] == (0, 1)


def _like(s, _):
    services.rate_answer(submission=s, liked=True)


def _dislike(s, _):
    services.rate_answer(submission=s, liked=False)


def _reraise(s, _):
    services.reraise_submission(
        submission=s, reason="Câu trả lời chưa thỏa đáng.", now=datetime(2026, 3, 20, tzinfo=ICT)
    )


def _spam(s, _):
    services.mark_spam(submission=s)


def _original(s, place):
    a1, _, other = place
    _submit(a1, other, datetime(2026, 3, 1, 8, tzinfo=ICT), title="Bản gốc")


def _duplicate(s, _):
    services.mark_duplicate(submission=s, of=Submission.objects.get(title="Bản gốc"))


def _reclassify(s, _):
    category = s.category
    category.classification = "conduct"
    category.save()


def _transfer(s, place):
    services.transition_submission(
        submission=s, event=Event.TRANSFER, now=datetime(2026, 3, 12, tzinfo=ICT), to_agency=place[1]
    )


def _spam_in_admin(s, _):
    from django.contrib.auth import get_user_model

    request = RequestFactory().post("/")
    request.user = get_user_model().objects.create_superuser("quantri", "qt@example.vn", "x")
    model_admin = admin.site._registry[Submission]
    form = model_admin.get_form(request, s)(data={"is_spam": "on", "answer_public": ""}, instance=s)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)


@pytest.mark.parametrize(
    ("change", "before", "published", "expect"),
    [
        (_dislike, None, True, {"5.3": (0, 1)}),
        (_like, _dislike, True, {"5.3": (1, 1)}),
        (_reraise, None, True, {"5.3": (0, 1)}),
        (_spam, None, False, {"5.1": (0, 0)}),
        (_duplicate, _original, False, {"5.1": (0, 1)}),
        (_reclassify, None, False, {"5.1": (1, 1)}),
        (_transfer, None, False, {"5.1": (0, 0)}),
        (_spam_in_admin, None, False, {"5.1": (0, 0)}),
    ],
    ids=["dislike", "like", "reraise", "spam", "duplicate", "reclassify", "transfer", "admin-spam"],
)
def test_each_change_moves_the_whole_month_tallies_exactly(place, change, before, published, expect):
    a1, _, other = place
    s = _submit(a1, other, datetime(2026, 3, 10, 9, tzinfo=ICT))
    if published:
        _publish(s, datetime(2026, 3, 11, 9, tzinfo=ICT))
    if before:
        before(s, place)
    scope = Agency.objects.filter(pk=a1.pk)  # the agency first responsible
    as_of = datetime(2026, 3, 25, tzinfo=ICT)  # inside the month, before any deadline
    earlier = _tallies(scope, as_of=as_of)
    change(s, place)
    later = _tallies(scope, as_of=as_of)
    for indicator, value in expect.items():
        assert later[indicator] == value != earlier[indicator]
