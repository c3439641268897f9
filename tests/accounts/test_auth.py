"""Signing in and out: Vietnamese pages, Argon2, throttling, sign-out everywhere, password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.accounts.tree import PASSWORD, Tree, make_user
from thuocdo.audit.models import AuditEntry

LOGIN = reverse("accounts:login")


def _login(client: Client, username: str, password: str) -> object:
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2() -> None:
    user = make_user("argon")
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_login_page_is_vietnamese_and_signs_in(tree: Tree) -> None:
    client = Client()
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert "Cán bộ đăng nhập" in page.content.decode()
    response = _login(client, "admin_p1", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_stays_signed_out(tree: Tree) -> None:
    client = Client()
    response = _login(client, "admin_p1", "sai-mat-khau")
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.django_db
def test_five_failures_lock_the_username_on_this_ip_for_fifteen_minutes(tree: Tree) -> None:
    client = Client()
    for _ in range(4):
        assert _login(client, "admin_p1", "sai-mat-khau").status_code == 200
    locked = _login(client, "admin_p1", "sai-mat-khau")
    assert locked.status_code == 429
    assert "Tạm khóa đăng nhập" in locked.content.decode()
    assert "15 phút" in locked.content.decode()
    # Even the right password is refused while locked.
    assert _login(client, "admin_p1", PASSWORD).status_code == 429
    assert client.get(reverse("accounts:profile")).status_code == 302
    # The lock is per username and IP: another official on the same machine can still sign in.
    assert _login(Client(), "admin_p2", PASSWORD).status_code == 302
    # After the cool-off the right password works again.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert _login(client, "admin_p1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_logout_needs_post(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.users["admin_p1"])
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.django_db
def test_sign_out_everywhere_ends_other_sessions_and_keeps_this_one(tree: Tree) -> None:
    laptop, phone, other_user = Client(), Client(), Client()
    for client in (laptop, phone):
        assert _login(client, "admin_p1", PASSWORD).status_code == 302
    assert _login(other_user, "admin_p2", PASSWORD).status_code == 302
    assert Session.objects.count() == 3

    response = laptop.post(reverse("accounts:sign_out_everywhere"), follow=True)
    assert "Đã đăng xuất khỏi mọi thiết bị khác" in response.content.decode()

    assert laptop.get(reverse("accounts:profile")).status_code == 200
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert other_user.get(reverse("accounts:profile")).status_code == 200
    assert Session.objects.count() == 2  # the phone's session row is gone from the store
    tree.users["admin_p1"].refresh_from_db()
    assert tree.users["admin_p1"].session_epoch == 1
    assert AuditEntry.objects.filter(action="accounts.sign_out_everywhere").count() == 1


@pytest.mark.django_db
def test_epoch_alone_ends_a_session_the_store_still_holds(tree: Tree) -> None:
    # Other session backends (signed cookies, cache) cannot be swept: the epoch check must do it alone.
    phone = Client()
    assert _login(phone, "admin_p1", PASSWORD).status_code == 302
    user = tree.users["admin_p1"]
    type(user).objects.filter(pk=user.pk).update(session_epoch=7)
    assert phone.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.django_db
def test_sign_out_everywhere_needs_post(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.users["admin_p1"])
    assert client.get(reverse("accounts:sign_out_everywhere")).status_code == 405


@pytest.mark.django_db
def test_profile_shows_roles_and_scopes(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.users["head_so1"])
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "Thủ trưởng cơ quan" in body
    assert "Sở Nội vụ Tỉnh Thử 1" in body
    assert "Đăng xuất khỏi mọi thiết bị" in body
    client.force_login(tree.users["national"])
    assert "Toàn quốc" in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.django_db
def test_password_change(tree: Tree) -> None:
    client, phone = Client(), Client()
    for c in (client, phone):
        assert _login(c, "analyst_c12", PASSWORD).status_code == 302
    page = client.get(reverse("accounts:password_change"))
    assert "Đổi mật khẩu" in page.content.decode()
    weak = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert weak.status_code == 200 and "is-invalid" in weak.content.decode()
    new = "mot-mat-khau-moi-du-dai"
    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Đã đổi mật khẩu" in done.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert phone.get(reverse("accounts:profile")).status_code == 302
    entry = AuditEntry.objects.get(action="accounts.password_change")
    assert new not in str(entry.data)
