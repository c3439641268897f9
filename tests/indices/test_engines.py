"""The batch recompute on PostgreSQL (through ibis, on the live fact table) and on local Spark."""

from __future__ import annotations

import os

import pytest
from django.db import connection, transaction

from thuocdo.core.index766 import parse_period
from thuocdo.indices import recompute, selectors

from .conftest import documents, load

NATIONAL = selectors.Scope("national", "", None)
PERIODS = ("2025-11", "2025-Q4")


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_postgres_recompute_equals_the_incremental_cells_and_queries(province):
    with transaction.atomic():  # dossier writes refuse autocommit; ibis reads the committed table
        load(documents(150))
    table = recompute.postgres_table(_database_url())
    try:
        assert recompute.run_cells(table) == selectors.stored_cells()
        for label in PERIODS:
            p = parse_period(label)
            got = recompute.run_period(table, p.start_at, p.end_at)
            assert got == selectors.dossier_tallies(NATIONAL, p.start_at, p.end_at)
    finally:
        recompute.disconnect(table)


@pytest.mark.slow
@pytest.mark.django_db
def test_spark_recompute_equals_the_incremental_cells_and_queries(province):
    load(documents(150))
    session = recompute.spark_session()
    try:
        table = recompute.spark_table(recompute.snapshot(selectors.fact_rows()), session)
        assert recompute.run_cells(table) == selectors.stored_cells()
        for label in PERIODS:
            p = parse_period(label)
            got = recompute.run_period(table, p.start_at, p.end_at)
            assert got == selectors.dossier_tallies(NATIONAL, p.start_at, p.end_at)
    finally:
        session.stop()
