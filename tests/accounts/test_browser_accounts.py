"""Staff pages in a real browser: the login form works on a phone, and every page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.accounts.tree import PASSWORD, make_agency, make_unit, make_user
from tests.conftest import assert_accessible
from thuocdo.accounts.models import Role

pytestmark = pytest.mark.browser


def test_login_profile_and_scope_pages_work_and_pass_axe(page, live_server, transactional_db, fast_hashing):  # type: ignore[no-untyped-def]
    province = make_unit("66", "Tỉnh Đắk Lắk", "province")
    make_agency("so.nv.66", "Sở Nội vụ tỉnh Đắk Lắk", "department", province)
    make_user("phantich", Role.ANALYST, unit=province)

    page.goto(live_server.url + "/tai-khoan/dang-nhap/")
    assert page.locator("h1").inner_text() == "Cán bộ đăng nhập"
    assert_accessible(page)
    page.get_by_label("Tên đăng nhập").fill("phantich")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    # As tests.conftest.log_in: a goto while the POST is in flight could cancel the sign-in.
    page.wait_for_url(lambda url: "/tai-khoan/dang-nhap/" not in url)

    page.goto(live_server.url + "/tai-khoan/")
    assert "Chuyên viên phân tích" in page.content()
    assert_accessible(page)

    page.goto(live_server.url + "/tai-khoan/pham-vi/")
    expect(page.get_by_role("link", name="Sở Nội vụ tỉnh Đắk Lắk")).to_be_visible()
    assert_accessible(page)


def test_locked_out_page_passes_axe(page, live_server, transactional_db, fast_hashing):  # type: ignore[no-untyped-def]
    make_user("bi.khoa")
    for _ in range(5):
        page.goto(live_server.url + "/tai-khoan/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill("bi.khoa")
        page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Tạm khóa đăng nhập")
    assert_accessible(page)
