"""The test matrix: who may read which agency's non-public page (404 outside one's scope, never 403)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.tree import Tree
from thuocdo.accounts import selectors

AGENCIES = (
    "ubnd.p1",
    "so.p1",
    "so.p1.chi-cuc",
    "ubnd.c11",
    "ubnd.c12",
    "ubnd.p2",
    "so.p2",
    "ubnd.c21",
    "ubnd.c22",
)
P1 = {"ubnd.p1", "so.p1", "so.p1.chi-cuc", "ubnd.c11", "ubnd.c12"}
P2 = {"ubnd.p2", "so.p2", "so.p2.chi-cuc", "ubnd.c21", "ubnd.c22"}
VISIBLE = {
    "counter_c11": {"ubnd.c11"},
    "officer_so1": {"so.p1", "so.p1.chi-cuc"},
    "head_so1": {"so.p1", "so.p1.chi-cuc"},
    "analyst_c12": {"ubnd.c12"},
    "admin_p1": P1,
    "admin_p2": P2,
    "auditor_p1": P1,
    "national": P1 | P2,
}


def _client_for(tree: Tree, key: str) -> Client:
    client = Client()
    client.force_login(tree.users[key])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_agency_page_is_visible_only_inside_scope(tree: Tree, user: str) -> None:
    # One row of the matrix per user (building the tree is the slow part); every agency is a column.
    client = _client_for(tree, user)
    outcome = {code: client.get(reverse("accounts:agency", args=[code])) for code in AGENCIES}
    expected = {code: 200 if code in VISIBLE[user] else 404 for code in AGENCIES}
    assert {code: r.status_code for code, r in outcome.items()} == expected
    for code in VISIBLE[user] & set(AGENCIES):
        assert tree.agencies[code].name in outcome[code].content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_scope_page_lists_exactly_the_visible_agencies(tree: Tree, user: str) -> None:
    response = _client_for(tree, user).get(reverse("accounts:scope"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Phạm vi dữ liệu" in body
    for code, agency in tree.agencies.items():
        assert (reverse("accounts:agency", args=[code]) in body) == (code in VISIBLE[user]), code
        assert (agency.name in body) == (code in VISIBLE[user]), code


@pytest.mark.django_db
def test_agency_page_lists_staff_assigned_there(tree: Tree) -> None:
    body = _client_for(tree, "admin_p1").get(reverse("accounts:agency", args=["so.p1"])).content.decode()
    assert "officer_so1" in body and "head_so1" in body
    assert "counter_c11" not in body


@pytest.mark.django_db
def test_unknown_agency_and_out_of_scope_agency_look_the_same(tree: Tree) -> None:
    client = _client_for(tree, "counter_c11")
    assert client.get(reverse("accounts:agency", args=["khong-ton-tai"])).status_code == 404
    assert client.get(reverse("accounts:agency", args=["ubnd.c21"])).status_code == 404


@pytest.mark.django_db
def test_officials_only(tree: Tree) -> None:
    anonymous = Client().get(reverse("accounts:scope"))
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    assert Client().get(reverse("accounts:agency", args=["so.p1"])).status_code == 302
    assert _client_for(tree, "nobody").get(reverse("accounts:scope")).status_code == 403
    assert _client_for(tree, "nobody").get(reverse("accounts:agency", args=["so.p1"])).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(selectors.WRITE_ACTIONS))
def test_auditor_reads_but_never_writes(tree: Tree, action: str) -> None:
    auditor = tree.users["auditor_p1"]
    for code in ("so.p1", "ubnd.c11"):
        agency = tree.agencies[code]
        assert selectors.can(auditor, selectors.VIEW_NONPUBLIC, agency)
        assert not selectors.can(auditor, action, agency), code
    assert selectors.can(auditor, selectors.VIEW_AUDIT)
    assert not selectors.can(auditor, action)
