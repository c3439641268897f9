"""`thuocdo index766_sync`: folding in changed dossiers, rebuilding, and checking against the recompute."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from thuocdo.dossiers.services import ingest_documents
from thuocdo.indices import selectors
from thuocdo.indices.models import CellDay, DossierFact

from .conftest import NOW, documents

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("index766_sync", *args, stdout=out)
    return out.getvalue()


def test_sync_folds_in_new_dossiers_then_finds_nothing_to_do(province):
    # The follower is the repair path: these dossiers are written while the ingest hook is not listening.
    from thuocdo.dossiers.signals import dossiers_stored
    from thuocdo.indices.services import on_dossiers_stored

    docs = documents(30)
    dossiers_stored.disconnect(dispatch_uid="indices.on_dossiers_stored")
    try:
        ingest_documents(records=[(str(i), d) for i, d in enumerate(docs)], source=None, batch="t", now=NOW)
    finally:
        dossiers_stored.connect(on_dossiers_stored, dispatch_uid="indices.on_dossiers_stored")
    assert "30 hồ sơ thay đổi" in run()
    assert DossierFact.objects.count() == 30
    assert run().startswith("0 hồ sơ thay đổi")


def test_rebuild_and_check_agree_with_the_batch_recompute(province):
    ingest_documents(
        records=[(str(i), d) for i, d in enumerate(documents(40))], source=None, batch="t", now=NOW
    )
    run()
    before = selectors.stored_cells()
    assert "40" in run("--rebuild")
    assert selectors.stored_cells() == before
    assert "Khớp" in run("--check", "duckdb")
    CellDay.objects.filter(pk=CellDay.objects.first().pk).update(r_n=999)
    with pytest.raises(Exception, match="ô khác nhau"):
        run("--check", "duckdb")


def test_the_ingest_hook_makes_a_batch_visible_in_the_same_transaction(province):
    from thuocdo.indices import services

    docs = documents(12)
    ingest_documents(records=[(str(i), d) for i, d in enumerate(docs)], source=None, batch="t", now=NOW)
    services.on_dossiers_stored(None, codes=[d["MaHoSo"] for d in docs])
    assert DossierFact.objects.count() == 12
    assert selectors.stored_cells()
