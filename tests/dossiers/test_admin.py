from __future__ import annotations

import json

import pytest
from django.urls import reverse

from thuocdo.dossiers.models import Dossier, Quarantine

from .factories import document, ingest

pytestmark = pytest.mark.django_db


def test_an_operator_fixes_a_quarantined_record_in_the_admin_and_replays_it(admin_client):
    bad = document("A-9")
    del bad["MaTTHC"]
    ingest(bad)
    item = Quarantine.objects.get()
    listing = admin_client.get(reverse("admin:dossiers_quarantine_changelist"))
    assert listing.status_code == 200 and "MaTTHC" in listing.content.decode()
    url = reverse("admin:dossiers_quarantine_change", args=[item.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"raw": json.dumps(document("A-9"))})
    assert response.status_code == 302
    assert Quarantine.objects.get().state == "fixed"
    admin_client.post(
        reverse("admin:dossiers_quarantine_changelist"), {"action": "replay", "_selected_action": [item.pk]}
    )
    assert Quarantine.objects.get().state == "replayed"
    assert Dossier.objects.filter(code="A-9").exists()


def test_stored_dossiers_are_visible_but_not_editable_in_the_admin(admin_client):
    ingest(document("A-1"))
    dossier = Dossier.objects.get()
    page = admin_client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))
    assert page.status_code == 200 and "Lê Văn Cường" in page.content.decode()
    assert (
        admin_client.post(reverse("admin:dossiers_dossier_change", args=[dossier.pk]), {}).status_code == 403
    )
