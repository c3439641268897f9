"""The batched cell and fact writes of apply_facts: both write paths agree with a recompute from the facts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.db import connection

from thuocdo.core.dossier import VN_TZ
from thuocdo.dossiers.services import ingest_documents
from thuocdo.indices import recompute, selectors, services
from thuocdo.indices.models import DossierFact

from .test_engine import _check_everything, _reset, _versions


def _recomputed_cells() -> dict:
    return recompute.run_cells(recompute.duckdb_table(recompute.snapshot(selectors.fact_rows())))


@pytest.mark.django_db
@pytest.mark.parametrize("stage_min_rows", [0, 10**9], ids=["staged", "direct"])
def test_new_replaced_and_rebuilt_facts_keep_cells_equal_to_a_recompute(monkeypatch, stage_min_rows):
    # 0 sends every write through COPY and a staging table on PostgreSQL; 10**9 through executemany.
    monkeypatch.setattr(services, "STAGE_MIN_ROWS", stage_min_rows)
    _reset()
    rng = random.Random(11)
    histories = [_versions(rng, seq) for seq in range(80)]
    now = datetime(2026, 1, 5, 8, 0, tzinfo=VN_TZ)
    for step in range(max(len(h) for h in histories)):
        docs = [(f"v{step}-{i}", h[min(step, len(h) - 1)]) for i, h in enumerate(histories)]
        now += timedelta(seconds=1)
        ingest_documents(records=docs, source=None, batch=f"v{step}", now=now)
        services.sync_facts(now=now)
    _check_everything()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('pg_temp.stage_indices_cellday') IS NOT NULL")
            assert cursor.fetchone()[0] == (stage_min_rows == 0)  # the path named by the parameter ran
    # Rebuilding from the stored facts rewrites fact rows that already exist; the cells come out the same.
    before = selectors.stored_cells()
    assert services.rebuild_cells_from_facts() == 80
    assert selectors.stored_cells() == before
    _check_everything()


@pytest.mark.django_db
@pytest.mark.parametrize("stage_min_rows", [0, 10**9], ids=["staged", "direct"])
def test_facts_removed_without_a_replacement_leave_the_cells(monkeypatch, stage_min_rows):
    monkeypatch.setattr(services, "STAGE_MIN_ROWS", stage_min_rows)
    _reset()
    rng = random.Random(5)
    docs = [(f"r{i}", _versions(rng, i)[-1]) for i in range(30)]
    ingest_documents(records=docs, source=None, batch="r", now=datetime(2026, 1, 5, tzinfo=VN_TZ))
    services.sync_facts(now=datetime(2026, 1, 5, 0, 0, 1, tzinfo=VN_TZ))
    stored = [services.fact_from_row(r) for r in selectors.fact_rows()]
    gone = [f for f in stored if not f.excluded][:3]
    assert gone, "the sample has counted dossiers"
    services.apply_facts(old=gone, new=[], sources={})
    assert not DossierFact.objects.filter(code__in=[f.code for f in gone]).exists()
    assert DossierFact.objects.count() == len(stored) - 3
    recomputed = _recomputed_cells()
    assert {k: v for k, v in selectors.stored_cells().items() if any(v)} == {
        k: v for k, v in recomputed.items() if any(v)
    }
