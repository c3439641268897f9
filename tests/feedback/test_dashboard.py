"""The officials' feedback dashboard: figures by category, classification, agency and month, in scope only."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, assert_accessible, log_in
from tests.feedback.test_feedback import ICT, submit
from tests.feedback.test_feedback import world as world  # the fixture, under its name
from thuocdo.core.feedback import Event
from thuocdo.feedback import services
from thuocdo.feedback.models import Submission
from thuocdo.feedback.selectors import feedback_dashboard
from thuocdo.units.models import Agency

PASSWORD = "mat-khau-rat-dai-123"
pytestmark = pytest.mark.django_db


def officer(username, agency):
    from thuocdo.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username, password=PASSWORD)
    RoleAssignment.objects.create(user=user, role="officer", agency=agency)
    return user


def answered(world, title, at, **kw):
    s = submit(world, title=title, now=at, **kw)
    services.transition_submission(submission=s, event=Event.ACCEPT, now=at + timedelta(hours=2))
    services.transition_submission(
        submission=s, event=Event.ANSWER, now=at + timedelta(days=3), answer="Đã xử lý."
    )
    services.transition_submission(submission=s, event=Event.PUBLISH, now=at + timedelta(days=4))
    return s


def spread(world, base):
    """At the department: one answered on time (March), one open and overdue (March), one open in time
    (May), a duplicate and a spam message; at the ward: one open (May)."""
    answered(world, "Trễ hẹn giấy khai sinh", base)
    submit(world, title="Cán bộ gây khó dễ", category=world["conduct"], now=base + timedelta(days=1))
    recent = base + timedelta(days=62)
    submit(world, title="Phòng chờ thiếu ghế", now=recent)
    submit(world, title="Phòng chờ thiếu ghế", now=recent + timedelta(hours=1))  # duplicate
    spam = submit(world, title="Quảng cáo", now=recent)
    Submission.objects.filter(pk=spam.pk).update(is_spam=True)
    submit(world, title="Xin giấy xác nhận", admin_unit=world["commune"], now=recent)
    return recent


def test_figures_by_category_classification_agency_and_month(world):
    base = datetime(2026, 3, 2, 9, 0, tzinfo=ICT)
    recent = spread(world, base)
    start, end = datetime(2026, 1, 1, tzinfo=ICT), datetime(2027, 1, 1, tzinfo=ICT)
    board = feedback_dashboard(
        agencies=Agency.objects.filter(pk=world["dept"].pk),
        start=start,
        end=end,
        now=recent + timedelta(days=1),
    )
    t = board.totals
    assert (t.total, t.open, t.overdue, t.answered_on_time) == (3, 2, 1, 1)
    rows = {r.label: (r.total, r.open, r.overdue, r.answered_on_time) for r in board.by_category}
    assert rows == {"Thủ tục hành chính": (2, 1, 0, 1), "Thái độ cán bộ": (1, 1, 1, 0)}
    classes = {r.key: r.total for r in board.by_classification}
    assert classes == {"regulation": 2, "conduct": 1, "other": 0}
    assert [(r.label, r.total) for r in board.by_agency] == [("Sở Tư pháp", 3)]
    months = {r.label: r.total for r in board.by_month}
    assert len(months) == 12 and months["03/2026"] == 2 and months["05/2026"] == 1 and months["01/2026"] == 0
    assert board.monthly_by_classification["conduct"][2] == 1


def test_an_official_sees_only_the_agencies_of_their_role(world, client):
    for a in (world["dept"], world["ward"]):
        a.path = f"/{a.pk}/"
        a.save()
    year = timezone.localtime().year - 1  # a whole past year: every open submission is overdue by now
    spread(world, datetime(year, 3, 2, 9, 0, tzinfo=ICT))
    client.force_login(officer("phuong", world["ward"]))
    page = client.get(f"/phan-anh/quan-ly/thong-ke/?nam={year}")
    assert page.status_code == 200
    board = page.context["board"]
    assert (board.totals.total, board.totals.overdue) == (1, 1)
    html = page.content.decode()
    assert "UBND phường Buôn Ma Thuột" in html and "Sở Tư pháp" not in html
    assert {code: (n, d) for code, _, n, d, _ in page.context["indicators"]}["5.2"] == (0, 1)
    client.force_login(officer("so", world["dept"]))
    board = client.get(f"/phan-anh/quan-ly/thong-ke/?nam={year}").context["board"]
    assert (board.totals.total, board.totals.open, board.totals.overdue) == (3, 2, 2)


def test_the_work_list_links_to_the_dashboard_and_others_get_not_found(world, client):
    from thuocdo.accounts.models import User

    world["dept"].path = f"/{world['dept'].pk}/"
    world["dept"].save()
    assert client.get("/phan-anh/quan-ly/thong-ke/").status_code == 302  # to the sign-in page
    client.force_login(User.objects.create_user("khach", password=PASSWORD))
    assert client.get("/phan-anh/quan-ly/thong-ke/").status_code == 404
    client.force_login(officer("so", world["dept"]))
    assert 'href="/phan-anh/quan-ly/thong-ke/"' in client.get("/phan-anh/quan-ly/").content.decode()
    assert client.get("/phan-anh/quan-ly/thong-ke/?nam=abc").context["year"] == timezone.localtime().year


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_on_a_phone(world, page, live_server):
    world["dept"].path = f"/{world['dept'].pk}/"
    world["dept"].save()
    year = timezone.localtime().year - 1
    spread(world, datetime(year, 3, 2, 9, 0, tzinfo=ICT))
    user = officer("so", world["dept"])
    log_in(page, live_server.url, user.username, PASSWORD)
    page.goto(f"{live_server.url}/phan-anh/quan-ly/")
    page.get_by_role("link", name="Thống kê phản ánh theo lĩnh vực").click()
    page.select_option("#nam", str(year))
    page.get_by_role("button", name="Xem").click()
    page.wait_for_selector("#feedback-months svg", timeout=10_000)
    page.wait_for_selector("#feedback-categories svg", timeout=10_000)
    label = page.locator("#feedback-months").get_attribute("aria-label")
    assert f"tháng 03/{year} với 2 phản ánh" in label
    expect(page.get_by_role("region", name="Phản ánh theo lĩnh vực")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "feedback_dashboard_360.png"), full_page=True)
