"""The batch recompute packs several counters into one sum; a day cell too large for the packing is still exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from thuocdo.indices import openstate, recompute
from thuocdo.indices.deltas import cell_deltas
from thuocdo.indices.facts import FACT_COLUMNS, OPEN_UNTIL, Facts

BASE = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam


def _fact(i: int) -> Facts:
    received = BASE + timedelta(seconds=i)
    is_open = i % 4 == 0
    late = i % 7 == 0
    return Facts(
        code=f"B{i}",
        agency_code="H66.01",
        procedure_code="1.001000",
        field_code="LV1",
        excluded=i % 50 == 0,
        received_at=received,
        open_until=OPEN_UNTIL if is_open else received + timedelta(days=2),
        final="" if is_open else ("late" if late else "on_time"),
        closed=not is_open,
        paper=i % 2 == 0,
        online=i % 3 == 0,
        e_result=i % 5 == 0,
        result_file=i % 5 == 1,
        has_files=i % 2 == 1,
        fee=i % 3 == 1,
        paid=i % 6 == 1,
        reused=i % 8 == 0,
        store=i % 9 == 0,
        pop=i % 10 == 0,
        flagged=i % 11 == 0,
        due_known=i % 13 != 0,
        late_at=received + timedelta(days=1) if late else None,
    )


def test_a_cell_larger_than_the_fast_packing_allows_is_counted_exactly():
    facts = [_fact(i) for i in range(recompute.cell_limit(recompute.FAST_BITS) + 7_000)]
    table = recompute.duckdb_table(
        recompute.snapshot(tuple(getattr(f, c) for c in FACT_COLUMNS) for f in facts)
    )
    try:
        fast_rows = max(
            r["_rows"]
            for r in recompute.day_cells(table, bits=recompute.FAST_BITS)[0][0].to_pyarrow().to_pylist()
        )
        assert fast_rows > recompute.cell_limit(recompute.FAST_BITS)  # the case the fallback is for
        cells = recompute.run_cells(table)
    finally:
        recompute.disconnect(table)
    assert cells == cell_deltas((), facts)[0]  # as the incremental path folds them
    received_day = ("H66.01", "1.001000", "LV1", BASE.date())
    assert cells[received_day][openstate.CELL_METRICS.index("r_n")] == sum(not f.excluded for f in facts)
