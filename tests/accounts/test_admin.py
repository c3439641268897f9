"""The admin site for administrators: scoped user management, grants within scope only, and an audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.tree import Tree
from thuocdo.accounts.models import Role, RoleAssignment, User
from thuocdo.audit.models import AuditEntry

CHANGELIST = reverse("admin:accounts_user_changelist")
ADD = reverse("admin:accounts_user_add")


def _as(tree: Tree, key: str) -> Client:
    client = Client()
    client.force_login(tree.users[key])
    return client


def _change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def _add_post(username: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": username,
        "full_name": "Cán bộ Mới",
        "usable_password": "true",
        "password1": "mat-khau-rat-dai-2025",
        "password2": "mat-khau-rat-dai-2025",
        "role_assignments-TOTAL_FORMS": str(len(roles)),
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "_save": "Lưu",
    }
    for i, role in enumerate(roles):
        for key, value in role.items():
            data[f"role_assignments-{i}-{key}"] = "" if value is None else str(getattr(value, "pk", value))
    return data


def _listed(client: Client) -> set[str]:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {u.username for u in response.context["cl"].result_list}


@pytest.mark.django_db
def test_province_admin_sees_only_users_in_their_province(tree: Tree) -> None:
    assert _listed(_as(tree, "admin_p1")) == {
        "counter_c11",
        "officer_so1",
        "head_so1",
        "analyst_c12",
        "admin_p1",
        "auditor_p1",
    }
    assert _listed(_as(tree, "admin_p2")) == {"admin_p2"}
    assert "nobody" in _listed(_as(tree, "national"))


@pytest.mark.django_db
def test_province_admin_cannot_open_users_outside_scope(tree: Tree) -> None:
    client = _as(tree, "admin_p1")
    assert client.get(_change_url(tree.users["counter_c11"])).status_code == 200
    for outsider in ("admin_p2", "national", "nobody"):
        response = client.get(_change_url(tree.users[outsider]))
        assert response.status_code == 302, outsider  # the admin's "does not exist" redirect
    assert _as(tree, "national").get(_change_url(tree.users["admin_p2"])).status_code == 200


@pytest.mark.django_db
def test_province_admin_creates_a_user_inside_scope_and_it_is_audited(tree: Tree) -> None:
    client = _as(tree, "admin_p1")
    response = client.post(ADD, _add_post("moi.c11", [{"role": Role.ANALYST, "unit": tree.units["c11"]}]))
    assert response.status_code == 302, response.context["errors"] if response.context else response
    user = User.objects.get(username="moi.c11")
    assert list(user.role_assignments.values_list("role", "unit__code")) == [(Role.ANALYST, "9101")]
    created = AuditEntry.objects.filter(action="admin.create", actor="admin_p1")
    assert {e.object_type for e in created} == {"accounts.user", "accounts.roleassignment"}
    user_entry = created.get(object_type="accounts.user")
    assert user_entry.object_id == str(user.pk)
    assert "mat-khau-rat-dai-2025" not in str(user_entry.data)


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.NATIONAL_ADMIN, "p1"),  # never national_admin
        (Role.ANALYST, "c21"),  # another province's commune
        (Role.ANALYST, None),  # the whole nation
    ],
)
@pytest.mark.django_db
def test_province_admin_cannot_grant_outside_scope_or_national_admin(
    tree: Tree, role: str, where: str | None
) -> None:
    client = _as(tree, "admin_p1")
    unit = tree.units[where] if where else None
    response = client.post(ADD, _add_post("leo.thang", [{"role": role, "unit": unit}]))
    assert response.status_code == 200  # the form comes back with errors
    assert not User.objects.filter(username="leo.thang").exists()


@pytest.mark.django_db
def test_province_admin_must_give_at_least_one_role(tree: Tree) -> None:
    response = _as(tree, "admin_p1").post(ADD, _add_post("khong.vai.tro", []))
    assert response.status_code == 200
    assert not User.objects.filter(username="khong.vai.tro").exists()


@pytest.mark.django_db
def test_national_admin_may_grant_national_admin(tree: Tree) -> None:
    response = _as(tree, "national").post(
        ADD, _add_post("qg2", [{"role": Role.NATIONAL_ADMIN, "unit": None}])
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user__username="qg2").role == Role.NATIONAL_ADMIN


def _change_post(user: User, **overrides: Any) -> dict[str, Any]:
    assignments = list(user.role_assignments.all())
    data: dict[str, Any] = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "is_active": "on",
        "role_assignments-TOTAL_FORMS": str(len(assignments)),
        "role_assignments-INITIAL_FORMS": str(len(assignments)),
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "_save": "Lưu",
    }
    for i, a in enumerate(assignments):
        data.update(
            {
                f"role_assignments-{i}-id": str(a.pk),
                f"role_assignments-{i}-user": str(user.pk),
                f"role_assignments-{i}-role": a.role,
                f"role_assignments-{i}-unit": str(a.unit_id or ""),
                f"role_assignments-{i}-agency": str(a.agency_id or ""),
            }
        )
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_update_records_old_and_new_values_and_superuser_flag_is_out_of_reach(tree: Tree) -> None:
    target = tree.users["analyst_c12"]
    client = _as(tree, "admin_p1")
    response = client.post(_change_url(target), _change_post(target, full_name="Tên Mới", is_superuser="on"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.full_name == "Tên Mới"
    assert not target.is_superuser
    entry = AuditEntry.objects.get(action="admin.update", object_type="accounts.user")
    assert entry.data["fields"]["full_name"] == {"old": "Analyst_C12", "new": "Tên Mới"}
    assert "is_superuser" not in entry.data["fields"]


@pytest.mark.django_db
def test_changing_an_existing_role_to_national_admin_is_refused(tree: Tree) -> None:
    target = tree.users["analyst_c12"]
    client = _as(tree, "admin_p1")
    response = client.post(
        _change_url(target), _change_post(target, **{"role_assignments-0-role": Role.NATIONAL_ADMIN})
    )
    assert response.status_code == 200
    assert target.role_assignments.get().role == Role.ANALYST


@pytest.mark.django_db
def test_inline_delete_and_user_delete_are_audited(tree: Tree) -> None:
    client = _as(tree, "national")
    target = tree.users["head_so1"]
    RoleAssignment.objects.create(user=target, role=Role.ANALYST, unit=tree.units["c11"])
    post = _change_post(target)
    post["role_assignments-1-DELETE"] = "on"
    assert client.post(_change_url(target), post).status_code == 302
    deleted = AuditEntry.objects.get(action="admin.delete", object_type="accounts.roleassignment")
    assert deleted.object_id and deleted.object_id != "None"
    assert deleted.data["fields"]["role"] == Role.ANALYST
    delete_url = reverse("admin:accounts_user_delete", args=[target.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=target.pk).exists()
    gone = AuditEntry.objects.get(action="admin.delete", object_type="accounts.user")
    assert gone.object_id == str(target.pk)
    assert gone.data["fields"]["password"] == "***"


@pytest.mark.django_db
def test_admin_password_reset_is_audited_without_the_password(tree: Tree) -> None:
    target = tree.users["counter_c11"]
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    new = "mat-khau-cap-lai-2025"
    response = _as(tree, "admin_p1").post(
        url, {"password1": new, "password2": new, "usable_password": "true"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.set_password")
    assert entry.object_id == str(target.pk) and new not in str(entry.data)


@pytest.mark.django_db
def test_auditor_reads_users_and_log_but_cannot_write(tree: Tree) -> None:
    client = _as(tree, "auditor_p1")
    assert "counter_c11" in _listed(client)
    assert "admin_p2" not in _listed(client)
    target = tree.users["counter_c11"]
    assert client.get(_change_url(target)).status_code == 200  # read-only view
    assert client.post(_change_url(target), _change_post(target, full_name="Sửa Trộm")).status_code == 403
    target.refresh_from_db()
    assert target.full_name != "Sửa Trộm"
    assert (
        client.post(
            ADD, _add_post("auditor.tao", [{"role": Role.ANALYST, "unit": tree.units["c11"]}])
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200


@pytest.mark.django_db
def test_audit_log_in_admin_is_read_only_for_everyone(tree: Tree) -> None:
    root = User.objects.create_superuser("root", password="x" * 12)
    client = Client()
    client.force_login(root)
    # Make one entry to look at.
    client.post(
        _change_url(tree.users["analyst_c12"]), _change_post(tree.users["analyst_c12"], full_name="Khác")
    )
    entry = AuditEntry.objects.first()
    assert entry is not None
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    view = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert (
        client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {"summary": "x"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_staff_without_audit_role_cannot_see_the_log(tree: Tree) -> None:
    counter = tree.users["counter_c11"]
    counter.is_staff = True
    counter.save()
    assert _as(tree, "counter_c11").get(reverse("admin:audit_auditentry_changelist")).status_code == 403


@pytest.mark.django_db
def test_bulk_delete_from_the_list_is_audited_per_row(tree: Tree) -> None:
    doomed = [tree.users["counter_c11"], tree.users["analyst_c12"]]
    response = _as(tree, "admin_p1").post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [u.pk for u in doomed], "post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[u.pk for u in doomed]).exists()
    ids = set(AuditEntry.objects.filter(action="admin.delete").values_list("object_id", flat=True))
    assert ids == {str(u.pk) for u in doomed}


@pytest.mark.django_db
def test_role_choices_offer_only_units_and_agencies_in_scope(tree: Tree) -> None:
    form = _as(tree, "admin_p1").get(ADD).context["inline_admin_formsets"][0].formset.empty_form
    units = {u.code for u in form.fields["unit"].queryset}
    agencies = {a.code for a in form.fields["agency"].queryset}
    assert units == {"91", "9101", "9102"}
    assert agencies == {"ubnd.p1", "so.p1", "so.p1.chi-cuc", "ubnd.c11", "ubnd.c12"}
    national = _as(tree, "national").get(ADD).content.decode()
    assert "admin-autocomplete" in national  # thousands of units: searched, not listed
