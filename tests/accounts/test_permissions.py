"""The permission model: what each role may do, and where."""

from __future__ import annotations

import pytest

from tests.accounts.tree import Tree, make_user
from thuocdo.accounts import selectors
from thuocdo.accounts.models import Role, RoleAssignment
from thuocdo.accounts.selectors import Scope, can, scope_for
from thuocdo.units.models import Agency


def test_every_role_has_a_row_and_auditor_never_writes() -> None:
    assert set(selectors.ROLE_ACTIONS) == set(Role.values)
    assert not selectors.ROLE_ACTIONS[Role.AUDITOR] & selectors.WRITE_ACTIONS
    assert selectors.VIEW_SURVEY_ANSWERS not in selectors.ROLE_ACTIONS[Role.AUDITOR]
    assert selectors.ROLE_ACTIONS[Role.NATIONAL_ADMIN] == frozenset(selectors.ACTIONS)
    assert selectors.MANAGE_USERS not in selectors.ROLE_ACTIONS[Role.AGENCY_HEAD]


def test_blank_or_malformed_paths_grant_nothing() -> None:
    scope = Scope.of(unit_paths=["", "12/"], agency_paths=[""])
    assert scope.is_empty
    assert not scope.contains_unit(type("U", (), {"path": "/12/"})())


@pytest.mark.django_db
def test_a_unit_whose_path_was_never_filled_grants_nothing(tree: Tree) -> None:
    unfilled = tree.units["p1"].__class__.objects.create(
        code="99", name="Chưa có path", level="province", structure="2025"
    )
    user = make_user("orphan", Role.ANALYST, unit=unfilled)
    assert selectors.visible_agencies(user).count() == 0
    assert not can(user, selectors.VIEW_NONPUBLIC, tree.agencies["ubnd.c11"])


@pytest.mark.django_db
def test_unit_scope_covers_agencies_located_below_it(tree: Tree) -> None:
    codes = set(selectors.visible_agencies(tree.users["admin_p1"]).values_list("code", flat=True))
    assert codes == {"ubnd.p1", "so.p1", "so.p1.chi-cuc", "ubnd.c11", "ubnd.c12"}


@pytest.mark.django_db
def test_agency_scope_covers_its_sub_agencies_only(tree: Tree) -> None:
    codes = set(selectors.visible_agencies(tree.users["head_so1"]).values_list("code", flat=True))
    assert codes == {"so.p1", "so.p1.chi-cuc"}


@pytest.mark.django_db
def test_scope_filter_through_a_foreign_key(tree: Tree) -> None:
    # RoleAssignment points at agencies and units: a stand-in for dossiers, feedback, answers.
    scope = scope_for(tree.users["admin_p1"])
    rows = scope.filter(RoleAssignment.objects.all(), agency_field="agency", unit_field="unit")
    users = {r.user.username for r in rows}
    assert users == {"counter_c11", "officer_so1", "head_so1", "analyst_c12", "admin_p1", "auditor_p1"}
    with pytest.raises(ValueError):
        scope.filter(RoleAssignment.objects.all())


@pytest.mark.django_db
def test_can_checks_each_role_in_its_own_scope_not_the_union(tree: Tree) -> None:
    user = tree.users["counter_c11"]
    RoleAssignment.objects.create(user=user, role=Role.ANALYST, unit=tree.units["p2"])
    user = type(user).objects.get(pk=user.pk)  # fresh object: assignments are cached per user object
    assert can(user, selectors.RUN_REPORTS, tree.agencies["ubnd.c21"])
    assert not can(user, selectors.RUN_REPORTS, tree.agencies["ubnd.c11"])  # only counter staff there
    assert can(user, selectors.ENTER_DATA, tree.agencies["ubnd.c11"])
    assert not can(user, selectors.ENTER_DATA, tree.agencies["ubnd.c21"])


@pytest.mark.django_db
def test_superusers_are_national_and_inactive_users_have_no_scope(tree: Tree) -> None:
    root = make_user("root", is_superuser=True)
    assert scope_for(root).national
    assert can(root, selectors.MANAGE_USERS, tree.agencies["ubnd.c22"])
    inactive = tree.users["admin_p1"]
    inactive.is_active = False
    inactive.save()
    assert scope_for(type(inactive).objects.get(pk=inactive.pk)).is_empty


@pytest.mark.django_db
def test_can_on_rows_pointing_to_an_agency(tree: Tree) -> None:
    row = RoleAssignment.objects.get(user=tree.users["counter_c11"])  # has .agency
    assert can(tree.users["admin_p1"], selectors.VIEW_NONPUBLIC, row)
    assert not can(tree.users["admin_p2"], selectors.VIEW_NONPUBLIC, row)
    assert can(tree.users["national"], selectors.VIEW_NONPUBLIC, row)


def test_unknown_action_is_an_error() -> None:
    with pytest.raises(ValueError):
        scope_for(
            type("U", (), {"is_authenticated": True, "is_active": True, "is_superuser": False})(), "fly"
        )


@pytest.mark.django_db
def test_grant_rules(tree: Tree) -> None:
    admin_p1, u = tree.users["admin_p1"], tree.units
    assert selectors.grant_problem(admin_p1, role=Role.ANALYST, unit=u["c11"]) is None
    assert selectors.grant_problem(admin_p1, role=Role.ANALYST, unit=u["c21"])
    assert selectors.grant_problem(admin_p1, role=Role.NATIONAL_ADMIN, unit=u["p1"])
    assert selectors.grant_problem(admin_p1, role=Role.ANALYST)  # national scope
    assert selectors.grant_problem(tree.users["auditor_p1"], role=Role.ANALYST, unit=u["c11"])
    assert selectors.grant_problem(tree.users["national"], role=Role.NATIONAL_ADMIN) is None


@pytest.mark.django_db
def test_role_backend_maps_roles_to_model_permissions(tree: Tree) -> None:
    auditor, admin_p1, counter = (tree.users[k] for k in ("auditor_p1", "admin_p1", "counter_c11"))
    assert auditor.has_perm("units.view_agency") and auditor.has_perm("audit.view_auditentry")
    assert not auditor.has_perm("units.change_agency")
    assert not auditor.has_perm("surveys.view_answer")
    assert admin_p1.has_perm("accounts.change_user") and admin_p1.has_perm("units.add_agency")
    assert not admin_p1.has_perm("dossiers.delete_dossier")
    assert not counter.has_perm("accounts.view_user")
    assert "units.change_agency" in admin_p1.get_all_permissions()
    assert auditor.has_module_perms("audit") and not counter.has_module_perms("audit")
    assert not Agency.objects.none().exists()
