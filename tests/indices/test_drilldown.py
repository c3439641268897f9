"""Officials' drill-down: province → agency / commune → procedure → official, each level scope-checked."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from thuocdo.accounts.models import Role, RoleAssignment
from thuocdo.core.dossier import VN_TZ
from thuocdo.indices import selectors
from thuocdo.units.models import Agency

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]
PERIOD = "2025-10"


@pytest.fixture
def head(django_user_model):  # type: ignore[no-untyped-def]
    """The head of Sở Tư pháp (H66.01): may see that agency only."""
    user = django_user_model.objects.create_user("giamdoc", password="mat-khau-dai-123")
    RoleAssignment.objects.create(user=user, role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="H66.01"))
    return user


def test_province_page_links_down_and_sorts_children_by_points_lost(client, official):
    client.force_login(official)
    page = client.get("/chi-so/766/", {"unit": "province:66", "period": PERIOD})
    rows = page.context["child_rows"]
    lost = [r[3] for r in rows]
    assert lost == sorted(lost, reverse=True)
    for child, view, _q, points_lost, late in rows:
        assert view.result.total == selectors.index_for(child, PERIOD).result.total
        assert points_lost == Decimal(100) - view.result.total
        t = view.tallies.get("2.1")
        assert late == (t.denominator - t.numerator if t else 0)
    text = page.content.decode()
    assert "/chi-so/766/thu-tuc/?unit=province%3A66" in text
    assert "/chi-so/766/gia-dinh/?unit=province%3A66" in text
    assert "/hai-long/quan-ly/" in text  # weakest criteria and key drivers live on the survey dashboard


def test_procedure_level_scores_each_procedure_as_the_index_does(client, official):
    client.force_login(official)
    page = client.get("/chi-so/766/thu-tuc/", {"unit": "agency:H66.01", "period": PERIOD})
    assert page.status_code == 200
    rows = [r for r, _q in page.context["rows"]]
    assert rows, "the department had dossiers in October"
    scope = selectors.resolve_scope("agency:H66.01")
    for r in rows:
        expected = selectors.index_for(scope.narrowed(procedure=r.code), PERIOD, with_feedback=False)
        assert r.view.result.total == expected.result.total
        timeliness = expected.tallies.get("2.1")
        assert r.late == (timeliness.denominator - timeliness.numerator if timeliness else 0)
    assert [r.points_lost for r in rows] == sorted((r.points_lost for r in rows), reverse=True)
    assert sum(r.dossiers for r in rows) >= selectors.index_for(scope, PERIOD).tallies["2.1"].denominator
    text = page.content.decode()
    assert (
        f"/chi-so/766/can-bo/?unit=agency%3AH66.01&amp;period={PERIOD}&amp;procedure={rows[0].code}" in text
    )
    crumbs = [label for label, _url in page.context["crumbs"]]
    assert crumbs == ["Chỉ số 766", "Tỉnh Đắk Lắk", "Sở Tư pháp", "Theo thủ tục"]


def test_official_level_counts_steps_by_their_own_deadlines(client, official):
    client.force_login(official)
    page = client.get("/chi-so/766/can-bo/", {"unit": "province:66", "period": PERIOD})
    rows = {(r.officer, r.department, r.agency_code): r for r, _q in page.context["rows"]}
    slow = rows[("Trần Văn Chậm", "Phòng Hành chính tư pháp", "H66.01")]
    assert slow.late >= 1 and slow.handled >= slow.on_time + slow.late
    # The same late counts as the monthly late list.
    for o in selectors.late_officials(selectors.resolve_scope("province:66"), PERIOD):
        assert rows[(o.officer, o.department, o.agency_code)].late == o.late_steps
    ordered = [r.late + r.overdue for r, _q in page.context["rows"]]
    assert ordered == sorted(ordered, reverse=True)
    detail = client.get(
        "/chi-so/766/can-bo/", {"unit": "province:66", "period": PERIOD, "officer": "Trần Văn Chậm"}
    )
    assert detail.status_code == 200
    assert any(s.dossier == "H66.01-LATE" for s in detail.context["steps"])
    assert "H66.01-LATE" in detail.content.decode()


def test_an_agency_head_sees_their_agency_and_nothing_else_at_every_level(client, head):
    client.force_login(head)
    # Landing without a unit opens the head's own agency.
    landing = client.get("/chi-so/766/", {"period": PERIOD})
    assert landing.status_code == 200 and landing.context["scope"].key == "agency:H66.01"
    own = {"unit": "agency:H66.01", "period": PERIOD}
    for path in ("/chi-so/766/", "/chi-so/766/thu-tuc/", "/chi-so/766/can-bo/", "/chi-so/766/gia-dinh/"):
        assert client.get(path, own).status_code == 200, path
        for other in ("agency:H66.101", "commune:24133", "province:66", "national"):
            assert client.get(path, {"unit": other, "period": PERIOD}).status_code == 403, (path, other)
    officials = client.get("/chi-so/766/can-bo/", own)
    assert {r.agency_code for r, _q in officials.context["rows"]} <= {"H66.01"}
    # Another agency's official, asked for by name through the head's own scope, is not there.
    commune_staff = {
        r.officer for r in selectors.late_officials(selectors.resolve_scope("agency:H66.101"), PERIOD)
    } - {r.officer for r, _q in officials.context["rows"]}
    for name in list(commune_staff)[:3]:
        assert client.get("/chi-so/766/can-bo/", {**own, "officer": name}).status_code == 404
    # The breadcrumbs do not lead to the province the head may not see.
    labels = [label for label, _url in officials.context["crumbs"]]
    assert "Tỉnh Đắk Lắk" not in labels and "Sở Tư pháp" in labels


def test_official_detail_as_of_a_moment_lists_overdue_steps(client, official):
    client.force_login(official)
    at = datetime(2025, 10, 3, 9, 0, tzinfo=VN_TZ)  # the late step was due 02/10 17:00 and done on 07/10
    page = client.get(
        "/chi-so/766/can-bo/",
        {"unit": "agency:H66.01", "period": PERIOD, "as_of": at.isoformat(), "officer": "Trần Văn Chậm"},
    )
    step = next(s for s in page.context["steps"] if s.dossier == "H66.01-LATE")
    assert step.acted_at is None or step.acted_at > at


def test_a_procedure_level_page_keeps_the_procedure_in_its_breadcrumbs(client, official):
    client.force_login(official)
    rows = client.get("/chi-so/766/thu-tuc/", {"unit": "agency:H66.01", "period": PERIOD}).context["rows"]
    code = rows[0][0].code
    page = client.get("/chi-so/766/", {"unit": "agency:H66.01", "period": PERIOD, "procedure": code})
    assert [label for label, _url in page.context["crumbs"]][-2:] == ["Theo thủ tục", f"Thủ tục {code}"]
    officials = client.get(
        "/chi-so/766/can-bo/", {"unit": "agency:H66.01", "period": PERIOD, "procedure": code}
    )
    assert [label for label, _url in officials.context["crumbs"]][-3:] == [
        "Theo thủ tục",
        f"Thủ tục {code}",
        "Theo cán bộ",
    ]
