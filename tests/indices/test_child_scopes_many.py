"""child_scopes and allowed_many: read in a few queries, equal to resolve_scope and allowed scope by scope."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from thuocdo.accounts.models import Role, RoleAssignment
from thuocdo.indices import selectors
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock

from .conftest import _agency, _unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(province):
    """Two more communes, a department with two sub-offices (one closed), and a block of departments."""
    committee = Agency.objects.get(code="H66")
    for code, name in (("24136", "Xã Ea Kao"), ("24139", "Xã Ea Tu")):
        commune = _unit(code=code, name=name, level="commune", structure="2025", parent=province)
        _agency(
            code=f"H66.{code}", name=f"Ủy ban nhân dân {name.lower()}", kind="commune_committee",
            admin_unit=commune, parent=committee,
        )  # fmt: skip
    block = ComparisonBlock.objects.create(code="thu-nghiem-h3", name="Sở, ngành")
    works = _agency(
        code="H66.02",
        name="Sở Xây dựng",
        kind="department",
        admin_unit=province,
        parent=committee,
        block=block,
    )
    _agency(
        code="H66.02.1", name="Phòng Quản lý xây dựng", kind="department", admin_unit=province, parent=works
    )
    _agency(code="H66.02.2", name="Phòng Nhà ở", kind="department", admin_unit=province, parent=works)
    Agency.objects.filter(code="H66.01").update(block=block)
    return province


KEYS = ("national", "province:66", "commune:24133", "agency:H66", "agency:H66.02", "block:thu-nghiem-h3")


def test_children_equal_resolving_each_child_alone(more):
    for key in KEYS:
        children = selectors.child_scopes(selectors.resolve_scope(key))
        assert children, key
        for child in children:
            # Label, agency codes (the merged commune's legacy code included) and agency ids in order.
            assert child == selectors.resolve_scope(child.key), (key, child.key)
    province = selectors.child_scopes(selectors.resolve_scope("province:66"))
    assert [c.key for c in province] == [
        "agency:H66.01",
        "agency:H66.02.1",
        "agency:H66.02.2",
        "commune:24133",
        "commune:24136",
        "commune:24139",
    ]
    hoa_phu = next(c for c in province if c.key == "commune:24133")
    assert "H66.900" in (hoa_phu.agency_codes or ())


def test_the_number_of_queries_does_not_grow_with_the_children(more):
    scope = selectors.resolve_scope("province:66")
    with CaptureQueriesContext(connection) as before:
        selectors.child_scopes(scope)
    for n in range(5):
        _unit(code=f"2420{n}", name=f"Xã Mới {n}", level="commune", structure="2025", parent=more)
    leaf = Agency.objects.get(code="H66.01")
    for n in range(5):
        _agency(code=f"H66.03.{n}", name=f"Ban {n}", kind="department", admin_unit=more, parent=leaf.parent)
    with CaptureQueriesContext(connection) as after:
        children = selectors.child_scopes(scope)
    assert len(children) == 16
    assert len(after) == len(before)


def test_allowed_many_equals_allowed_for_every_kind_of_user(more):
    users = get_user_model().objects
    boss = users.create_superuser("quantri", "qt@example.vn", "mat-khau-dai-123")
    analyst = users.create_user("phantich", "pt@example.vn", "mat-khau-dai-123")
    RoleAssignment.objects.create(user=analyst, role=Role.ANALYST, unit=more)
    commune = users.create_user("xa", "xa@example.vn", "mat-khau-dai-123")
    RoleAssignment.objects.create(user=commune, role=Role.ANALYST, unit=AdminUnit.objects.get(code="24133"))
    head = users.create_user("giamdoc", "gd@example.vn", "mat-khau-dai-123")
    RoleAssignment.objects.create(user=head, role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="H66.02"))
    nobody = users.create_user("khach", "k@example.vn", "mat-khau-dai-123")
    scopes = [selectors.resolve_scope(k) for k in KEYS]
    scopes += [c for k in KEYS for c in selectors.child_scopes(selectors.resolve_scope(k))]
    answers = {}
    for user in (boss, analyst, commune, head, nobody):
        selectors.allowed_many(user, scopes[:1])  # the user's roles may be cached on the user
        with CaptureQueriesContext(connection) as two:
            selectors.allowed_many(user, scopes[:2])  # the nation and the province
        with CaptureQueriesContext(connection) as queries:
            many = selectors.allowed_many(user, scopes)
        assert len(queries) == len(two)
        assert many == [selectors.allowed(user, s) for s in scopes], user.username
        answers[user.username] = {s.key for s, ok in zip(scopes, many, strict=True) if ok}
    # The answers differ by user: the test would notice an implementation that ignores the user.
    assert "national" in answers["quantri"]
    assert "province:66" in answers["phantich"] and "national" not in answers["phantich"]
    assert answers["xa"] == {"commune:24133", "agency:H66.101"}
    assert {"agency:H66.02", "agency:H66.02.1"} <= answers["giamdoc"] and "province:66" not in answers[
        "giamdoc"
    ]
    assert answers["khach"] == set()
