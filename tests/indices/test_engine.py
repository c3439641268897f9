"""Incremental cells and queries == batch recompute (DuckDB) == core.index766 over the stored documents.

Random streams of dossier versions and status events go through the real ingest service, in random
order, with repeats; after every batch the index is synced incrementally.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ, format_timestamp, parse_document
from thuocdo.core.index766 import parse_period, tally_dossiers
from thuocdo.core.rulesets import parse_ruleset
from thuocdo.dossiers.models import Dossier, DossierEvent, DossierStep, DossierTally
from thuocdo.dossiers.services import ingest_documents, ingest_events
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices import recompute, selectors, services
from thuocdo.indices.facts import facts_of, tally_facts, vn_day, vn_midnight
from thuocdo.indices.models import (
    CellAgencyDay,
    CellAgencyMonth,
    CellDay,
    CellMonth,
    CellProcedureMonth,
    DossierFact,
    SyncState,
)
from thuocdo.indices.openstate import CELL_METRICS

RULESET = parse_ruleset(
    json.loads(
        (Path(__file__).resolve().parents[2] / "src/thuocdo/indices/data/rulesets/766-2022.json").read_text()
    ),
    source="766-2022.json",
)
ORIGIN = datetime(2025, 9, 20, tzinfo=VN_TZ)
AGENCIES = ("H66.01", "H66.02", "H66.10.001")
PROCEDURES = ("1.001000", "1.001005", "1.001007", "2.002010")
NATIONAL = selectors.Scope("national", "Toàn quốc", None)


def _reset() -> None:
    for model in (
        DossierStep,
        Dossier,
        DossierEvent,
        DossierTally,
        DossierFact,
        CellDay,
        CellMonth,
        CellAgencyDay,
        CellAgencyMonth,
        CellProcedureMonth,
        SyncState,
    ):
        model.objects.all().delete()


def _versions(rng: random.Random, seq: int) -> list[dict]:
    """One dossier as a sequence of updates: received and open first, then (maybe) its final state."""
    final = make_document(rng, seq=seq, start=ORIGIN, days=75, agencies=AGENCIES, procedures=PROCEDURES)
    received = parse_document(final, record="x").received_at
    first = dict(final)
    first.update(
        TrangThaiHoSo=4,
        NgayKetThucXuLy=None,
        NgayTra=None,
        DanhSachGiayToKetQua=[],
        DanhSachHoSoBoSung=[],
        NgayCapNhat=format_timestamp(received + timedelta(minutes=1)),
    )
    final = dict(final, NgayCapNhat=format_timestamp(received + timedelta(days=40)))
    if rng.random() < 0.2:
        final["KhongHaiLong"] = 1
    return (
        [first, final] if first["TrangThaiHoSo"] != final["TrangThaiHoSo"] or rng.random() < 0.5 else [final]
    )


def _stored_documents() -> list:
    out = []
    for code, raw, status, finished, returned in Dossier.objects.values_list(
        "code", "raw", "status", "finished_at", "returned_at"
    ):
        parsed = parse_document(msgspec.json.decode(raw), record=code)
        out.append(services.stored_state(parsed, status=status, finished_at=finished, returned_at=returned))
    return out


def _check_rollups() -> None:
    """Month cells and the agency/procedure rollups are exactly the day cells summed."""
    days = list(
        CellDay.objects.values_list("agency_code", "procedure_code", "field_code", "day", *CELL_METRICS)
    )
    for model, key in (
        (CellMonth, lambda a, p, f, d: (a, p, f, d.replace(day=1))),
        (CellAgencyDay, lambda a, p, f, d: (a, d)),
        (CellAgencyMonth, lambda a, p, f, d: (a, d.replace(day=1))),
        (CellProcedureMonth, lambda a, p, f, d: (p, f, d.replace(day=1))),
    ):
        want: dict[tuple, list[int]] = {}
        for a, p, f, d, *values in days:
            total = want.setdefault(key(a, p, f, d), [0] * len(CELL_METRICS))
            for i, v in enumerate(values):
                total[i] += v
        names = [n for n in ("agency_code", "procedure_code", "field_code", "day", "month") if _has(model, n)]
        got = {
            tuple(r[: len(names)]): list(r[len(names) :])
            for r in model.objects.values_list(*names, *CELL_METRICS)
        }
        assert {k: v for k, v in got.items() if any(v)} == {k: v for k, v in want.items() if any(v)}, model


def _has(model: type, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def _check_moments(facts: list) -> None:
    """Judged at the data's own moments (a reception, a settle, a late threshold, ±1 µs, their midnights),
    for periods starting that day, nine days before, at the month's start and at the year's start."""
    moments: set[datetime] = set()
    tick = timedelta(microseconds=1)
    # Three dossiers' moments: the query path at coinciding moments has its own property test
    # (test_open_state); six took half of the suite's longest test (≈ 500 tally queries an example).
    for f in sorted(facts, key=lambda f: f.code)[:3]:
        for ts in (f.received_at, f.open_until, f.late_at):
            if ts is None or ts.year > 2100:
                continue
            moments.update({ts, ts - tick, ts + tick, vn_midnight(vn_day(ts))})
    one = selectors.Scope("agency:H66.01", "", ("H66.01",))
    for judge in sorted(moments):
        day = vn_day(judge)
        for first in {day, day - timedelta(days=9), day.replace(day=1), date(day.year, 1, 1)}:
            start = vn_midnight(first)
            if start >= judge:
                continue
            assert selectors.dossier_tallies(NATIONAL, start, judge) == tally_facts(facts, start, judge), (
                first,
                judge,
            )
            mine = [f for f in facts if f.agency_code == "H66.01"]
            assert selectors.dossier_tallies(one, start, judge) == tally_facts(mine, start, judge), (
                first,
                judge,
            )


def _check_everything() -> None:
    snap = recompute.snapshot(selectors.fact_rows())
    table = recompute.duckdb_table(snap)
    assert selectors.stored_cells() == recompute.run_cells(table)
    _check_rollups()
    documents = _stored_documents()
    # Facts rebuilt from scratch equal the incrementally maintained ones.
    rebuilt = {f.code: f for f in (facts_of(d, paper=True, params=RULESET.parameters) for d in documents)}
    stored = {r[0]: services.fact_from_row(r) for r in selectors.fact_rows()}
    assert stored == rebuilt
    _check_moments(list(rebuilt.values()))
    for label, as_of in (
        ("2025-10", None),
        ("2025-11", datetime(2025, 11, 13, 14, 25, tzinfo=VN_TZ)),
        ("2025-W44", None),
        ("2025-10-03..2025-11-19", datetime(2025, 11, 19, 0, 0, tzinfo=VN_TZ)),
        ("2025-Q4", datetime(2025, 12, 1, 9, 0, tzinfo=VN_TZ)),
    ):
        period = parse_period(label)
        judge = min(period.end_at, as_of or period.end_at)
        incremental = selectors.dossier_tallies(NATIONAL, period.start_at, judge)
        batch = recompute.run_period(table, period.start_at, judge)
        direct = tally_facts(rebuilt.values(), period.start_at, judge)
        core = tally_dossiers(documents, period.start_at, period.end_at, [], judge, ruleset=RULESET).counts
        assert incremental == batch == direct, label
        for key, (num, den) in incremental.counts.items():
            ref = core.get(key)
            assert ((ref.numerator, ref.denominator) if ref else (0, 0)) == (num, den), (label, key)
        by_procedure = NATIONAL.narrowed(procedure=PROCEDURES[0])
        assert selectors.dossier_tallies(by_procedure, period.start_at, judge) == recompute.run_period(
            table, period.start_at, judge, procedure_code=PROCEDURES[0]
        )
        one = selectors.Scope("agency:H66.01", "", ("H66.01",))
        assert selectors.dossier_tallies(one, period.start_at, judge) == recompute.run_period(
            table, period.start_at, judge, agency_codes=["H66.01"]
        )


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000), size=st.integers(1, 40), batches=st.integers(1, 6), repeat=st.floats(0, 0.5)
)
def test_incremental_equals_recompute_and_core(seed: int, size: int, batches: int, repeat: float) -> None:
    _reset()
    rng = random.Random(seed)
    deliveries: list[tuple[str, dict]] = []
    for seq in range(size):
        for doc in _versions(rng, seq):
            deliveries.append(("doc", doc))
            if rng.random() < repeat:
                deliveries.append(("doc", doc))
        if rng.random() < 0.15:
            at = ORIGIN + timedelta(days=rng.randrange(10, 80), hours=rng.randrange(24))
            deliveries.append(
                ("event", {"MaHoSo": doc["MaHoSo"], "TrangThai": 10, "ThoiDiem": format_timestamp(at)})
            )
    rng.shuffle(deliveries)
    now = datetime(2026, 1, 5, 8, 0, tzinfo=VN_TZ)
    step = max(1, len(deliveries) // batches)
    for i in range(0, len(deliveries), step):
        batch = deliveries[i : i + step]
        now += timedelta(seconds=1)
        docs = [(f"b{i}-{k}", d) for k, (kind, d) in enumerate(batch) if kind == "doc"]
        events = [(f"b{i}-{k}", d) for k, (kind, d) in enumerate(batch) if kind == "event"]
        if docs:
            ingest_documents(records=docs, source=None, batch=f"b{i}", now=now)
        if events:
            ingest_events(records=events, source=None, batch=f"e{i}", now=now)
        services.sync_facts(now=now)
    _check_everything()


@pytest.mark.django_db
def test_a_later_version_moves_the_dossier_between_cells():
    _reset()
    rng = random.Random(3)
    first, *rest = _versions(rng, 1)
    now = datetime(2026, 1, 5, tzinfo=VN_TZ)
    ingest_documents(records=[("a", first)], source=None, batch="a", now=now)
    services.sync_facts(now=now)
    assert sum(r for r in CellDay.objects.values_list("r_n", flat=True)) == 1
    for doc in rest:
        ingest_documents(records=[("b", doc)], source=None, batch="b", now=now + timedelta(seconds=5))
    services.sync_facts(now=now + timedelta(seconds=5))
    # Re-sending the first version changes nothing: it is older than what is stored.
    ingest_documents(records=[("c", first)], source=None, batch="c", now=now + timedelta(seconds=9))
    report = services.sync_facts(now=now + timedelta(seconds=9))
    assert report.changed == 0
    assert sum(CellDay.objects.values_list("r_n", flat=True)) == 1
    _check_everything()
