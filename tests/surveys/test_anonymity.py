"""Anonymity by construction: nothing in the schema, the API, the exports or the admin joins an answer to a person."""

from __future__ import annotations

import csv
import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from thuocdo.surveys import services
from thuocdo.surveys.models import Invitation, Response, SeenKey

from .conftest import TODAY, full_sheet, make_user

IDENTITY_MODELS = {
    "accounts.user", "surveys.invitation", "surveys.seenkey", "surveys.dossierrating", "surveys.papersheet",
    "surveys.kiosk", "dossiers.dossier", "dossiers.dossierstep", "feedback.submission",
}  # fmt: skip
IDENTITY_WORDS = ("token", "invitation", "dossier", "user", "ip", "device", "phone", "email", "contact", "name",
                  "staff", "keyed", "time", "created", "instance", "nonce", "reference", "session")  # fmt: skip
ANSWER_MODELS = ("surveys.response",)


def reachable(model, seen=None):
    """Every model reachable from `model` by following relations in either direction."""
    seen = seen if seen is not None else set()
    label = model._meta.label_lower
    if label in seen:
        return seen
    seen.add(label)
    for field in model._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            target = field.related_model._meta.label_lower
            # Agencies, campaigns and instrument versions are shared reference data, not people: stop there,
            # but they must not be reachable the other way round towards a response-specific identity.
            if target in {"units.agency", "surveys.campaign", "surveys.instrumentversion"}:
                seen.add(target)
                continue
            reachable(field.related_model, seen)
    return seen


def test_no_model_relates_a_response_to_an_identity():
    for label in ANSWER_MODELS:
        model = apps.get_model(label)
        assert not (reachable(model) & IDENTITY_MODELS), (
            f"{label} reaches {reachable(model) & IDENTITY_MODELS}"
        )
    # And no model anywhere in the project points at a response.
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model is Response and model is not Response:
                assert field.auto_created, f"{model._meta.label}.{field.name} points at a response"


@pytest.mark.django_db
def test_response_columns_carry_no_identity_and_the_key_is_random():
    with connection.cursor() as cursor:
        columns = [
            c.name for c in connection.introspection.get_table_description(cursor, Response._meta.db_table)
        ]
    for column in columns:
        assert not any(word in column.lower() for word in IDENTITY_WORDS), column
    assert Response._meta.pk.get_internal_type() == "UUIDField"
    assert Response._meta.get_field("submitted_on").get_internal_type() == "DateField"
    # Duplicate guards never point to the response they guarded
    assert {f.name for f in SeenKey._meta.get_fields()} == {"id", "campaign", "kind", "key_hash"}
    assert not any(f.related_model is Response for f in Invitation._meta.get_fields() if f.is_relation)


def test_response_and_rating_are_not_in_the_admin():
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert "surveys.response" not in registered and "surveys.dossierrating" not in registered
    assert "surveys.papersheet" not in registered


@pytest.mark.django_db
def test_insertion_order_links_nothing(campaign):
    ids = [
        services.submit_response(
            campaign=campaign, channel="open", raw=full_sheet(), today=TODAY, stratum="S.TP"
        ).pk
        for _ in range(20)
    ]
    assert sorted(ids) != ids  # a random UUID, not a sequence that follows invitation use


@pytest.mark.django_db
def test_evaluated_officials_see_no_individual_answer_and_exports_have_no_identity(client, campaign, world):
    for i in range(8):
        services.submit_response(
            campaign=campaign, channel="open", raw=full_sheet(3 + i % 3), today=TODAY, stratum="S.TP"
        )
    ward = world["agencies"]["X.BMT"]
    for user in (
        make_user("truong-so", "agency_head", agency=world["agencies"]["S.TP"]),
        make_user("truong-phuong", "agency_head", agency=ward),
        make_user("can-bo", "officer", agency=world["agencies"]["S.TP"]),
    ):
        client.force_login(user)
        assert client.get(reverse("surveys:microdata", args=[campaign.slug])).status_code == 404
        html = client.get(reverse("surveys:campaign", args=[campaign.slug])).content.decode()
        assert "phieu.csv" not in html
    province_analyst = make_user("phan-tich", "analyst", unit=world["province"])
    client.force_login(province_analyst)
    export = client.get(reverse("surveys:microdata", args=[campaign.slug]))
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 8
    for column in rows[0]:
        assert not any(word in column.lower() for word in IDENTITY_WORDS if word != "time"), column
