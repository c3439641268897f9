"""Demo logins: one per role in Tỉnh Đắk Lắk, each able to sign in, each with the right scope."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.tree import make_agency, make_unit
from thuocdo.accounts import demo
from thuocdo.accounts.models import Role, RoleAssignment, User
from thuocdo.accounts.selectors import scope_for, visible_agencies


def _ctx() -> SimpleNamespace:
    return SimpleNamespace(province_code="66", logins=[], say=lambda _text: None)


@pytest.fixture
def dak_lak(db, fast_hashing):  # type: ignore[no-untyped-def]
    province = make_unit("66", "Tỉnh Đắk Lắk", "province")
    commune = make_unit("24121", "Phường Buôn Ma Thuột", "commune", province)
    committee = make_agency("ubnd.66", "UBND tỉnh Đắk Lắk", "province_committee", province)
    make_agency("so.tc.66", "Sở Tài chính tỉnh Đắk Lắk", "department", province, committee)
    home = make_agency("so.nv.66", "Sở Nội vụ tỉnh Đắk Lắk", "department", province, committee)
    centre = make_agency(
        "ttpvhcc.66", "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk", "service_centre", province
    )
    make_agency("ubnd.24121", "UBND phường Buôn Ma Thuột", "commune_committee", commune)
    return SimpleNamespace(province=province, home=home, centre=centre)


@pytest.mark.django_db
def test_demo_creates_one_login_per_role_with_its_scope(dak_lak: SimpleNamespace) -> None:
    ctx = _ctx()
    demo.build(ctx)
    logins = demo.demo_logins()
    assert {u for u, _ in logins} == {
        "quantri.tinh",
        "phantich",
        "thutruong.snv",
        "canbo.motcua",
        "canbo.xuly",
        "kiemtra",
        "quantri.quocgia",
    }
    assert {RoleAssignment.objects.get(user__username=u).role for u, _ in logins} == set(Role.values)
    assert len(ctx.logins) == 7

    def scope_of(username: str) -> tuple[object, object]:
        a = RoleAssignment.objects.get(user__username=username)
        return a.unit, a.agency

    assert scope_of("quantri.tinh") == (dak_lak.province, None)
    assert scope_of("thutruong.snv") == (None, dak_lak.home)
    assert scope_of("canbo.motcua") == (None, dak_lak.centre)
    national = User.objects.get(username="quantri.quocgia")
    assert national.is_superuser and national.is_staff and scope_for(national).national
    assert visible_agencies(User.objects.get(username="phantich")).count() == 5
    assert User.objects.get(username="kiemtra").full_name  # Vietnamese full names, not bare usernames


@pytest.mark.django_db
def test_demo_password_signs_in_and_rerunning_resets(dak_lak: SimpleNamespace) -> None:
    demo.build(_ctx())
    demo.build(_ctx())
    assert RoleAssignment.objects.filter(user__username="phantich").count() == 1
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "thutruong.snv", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_demo_falls_back_to_the_province_and_never_over_grants(fast_hashing: None) -> None:
    demo.build(_ctx())  # no units at all: users exist, but only the national admin has a role
    assert list(RoleAssignment.objects.values_list("user__username", flat=True)) == ["quantri.quocgia"]
    province = make_unit("66", "Tỉnh Đắk Lắk", "province")
    demo.build(_ctx())  # a province but no agencies
    assert RoleAssignment.objects.get(user__username="canbo.motcua").unit == province
