"""Facts and summed cells prepared before the write lock, corrected under it, equal the index derived afterwards.

The prepare hook (dossiers.signals.prepare_hooks → indices.services.prepare_batch) assumes every
document of a batch is new; the receiver takes back what was not written (stale or duplicate against
the stored row), what status events moved on, and what replaced dossiers counted for before. No sync
runs between batches here, so nothing repairs a wrong correction.
"""

from __future__ import annotations

import pickle
import random
from datetime import datetime, timedelta

import pytest
from django.db import connection

from thuocdo.core.dossier import VN_TZ, format_timestamp
from thuocdo.dossiers import services as dossier_services
from thuocdo.dossiers.signals import prepare_hooks
from thuocdo.indices import selectors, services

from .test_engine import ORIGIN, _check_everything, _reset, _versions


def _deliveries(seed: int) -> list[list[tuple[str, dict]]]:
    rng = random.Random(seed)
    items: list[tuple[str, dict]] = []
    for seq in range(60):
        versions = _versions(rng, seq)
        for doc in versions:
            items.append(("doc", doc))
            if rng.random() < 0.3:
                items.append(("doc", doc))  # a duplicate, in this batch or a later one
        if rng.random() < 0.2:
            at = ORIGIN + timedelta(days=rng.randrange(10, 80), hours=rng.randrange(24))
            code = versions[-1]["MaHoSo"]
            items.append(("event", {"MaHoSo": code, "TrangThai": 10, "ThoiDiem": format_timestamp(at)}))
    rng.shuffle(items)  # older versions after newer ones, events before their dossier
    return [items[i : i + 25] for i in range(0, len(items), 25)]


def _ingest(batches: list[list[tuple[str, dict]]], *, through_pickle: bool) -> None:
    now = datetime(2026, 1, 5, 8, 0, tzinfo=VN_TZ)
    for b, batch in enumerate(batches):
        now += timedelta(seconds=1)
        docs = [(f"b{b}-{k}", d) for k, (kind, d) in enumerate(batch) if kind == "doc"]
        events = [(f"b{b}-{k}", d) for k, (kind, d) in enumerate(batch) if kind == "event"]
        if docs:
            lookups = dossier_services.load_lookups()
            prepared = dossier_services.prepare_documents(
                docs, lookups=lookups, vendor=connection.vendor, source_id=None, now=now
            )
            if through_pickle:  # as the file import's workers hand batches over
                prepared = pickle.loads(pickle.dumps(prepared, protocol=5))  # noqa: S301 - our own object
            dossier_services.store_prepared(prepared, source=None, batch=f"b{b}", now=now, lookups=lookups)
        if events:
            dossier_services.ingest_events(records=events, source=None, batch=f"e{b}", now=now)


@pytest.mark.django_db
@pytest.mark.parametrize("through_pickle", [False, True], ids=["in-process", "pickled"])
def test_prepared_batches_keep_facts_and_cells_equal_to_a_recompute(monkeypatch, through_pickle):
    assert services.PREPARE_HOOK in prepare_hooks  # registered by IndicesConfig.ready
    taken = []
    real = services._apply_prepared
    monkeypatch.setattr(services, "_apply_prepared", lambda *a, **kw: taken.append(1) or real(*a, **kw))
    _reset()
    _ingest(_deliveries(5), through_pickle=through_pickle)
    assert taken  # the prepared path ran, not the fallback
    _check_everything()


@pytest.mark.django_db
def test_the_prepared_path_and_the_path_without_hook_store_the_same_index(monkeypatch):
    batches = _deliveries(9)
    _reset()
    _ingest(batches, through_pickle=False)
    with_hook = (selectors.stored_cells(), sorted(selectors.fact_rows()))
    _reset()
    monkeypatch.delitem(prepare_hooks, services.PREPARE_HOOK)
    _ingest(batches, through_pickle=False)
    assert (selectors.stored_cells(), sorted(selectors.fact_rows())) == with_hook
    assert with_hook[1]  # the comparison was not between two empty indexes


@pytest.mark.django_db
def test_a_batch_prepared_for_another_database_is_derived_again(monkeypatch):
    # A payload built with the other vendor's row format must not be written as is.
    _reset()
    rng = random.Random(2)
    docs = [(f"r{i}", _versions(rng, i)[-1]) for i in range(5)]
    now = datetime(2026, 1, 5, 8, 0, tzinfo=VN_TZ)
    lookups = dossier_services.load_lookups()
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    prepared = dossier_services.prepare_documents(
        docs, lookups=lookups, vendor=connection.vendor, source_id=None, now=now
    )
    prepared.hooks[services.PREPARE_HOOK] = services.prepare_batch(
        [(c.row[0], c.doc, (c.row[26], c.row[27], c.row[8], c.row[9])) for c in prepared.best.values()],
        lookups.contexts[services.PREPARE_HOOK],
        other,
    )
    dossier_services.store_prepared(prepared, source=None, batch="b", now=now, lookups=lookups)
    _check_everything()
