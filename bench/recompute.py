"""Batch recompute of the 766 index on DuckDB: 10 million dossier facts → every day cell.

* Load: N fact rows (default 10,000,000; one per dossier) generated inside DuckDB with `range()`
  and random() — 34 provinces × 130 agencies, each handling about 12 of 300 procedures (one field
  per procedure), received over 2025, 4 % open, ~7 % late, 40 % online. Loading is not timed.
* Measured: `indices.recompute.day_cells` (the same ibis definitions the tests run on DuckDB,
  PostgreSQL and Spark; counters packed FAST_BITS to a slot, as run_cells first tries) executed on
  DuckDB into three tables (received day, settle day, late-start day: the received/settled counts
  and the open-state counters of indices.openstate), plus one `period_tallies` for the whole year,
  national. Target ≤ 10 s for 10 M. Wall time is the figure;
  the process CPU time (all DuckDB threads) is in the note, since other work shares the 2 cores.
* Baseline: the incremental path's own fold (`Facts.contributions` summed in Python dicts, what
  sync_facts does per batch) over the first 200,000 facts, as a rate.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bench import Figure

_FACTS = """
CREATE OR REPLACE TABLE facts AS
SELECT 'B' || g AS code,
    'H' || (40 + ((g * 7919) % 4420) // 130) || '.' || lpad(((g * 7919) % 4420 % 130)::varchar, 3, '0') AS agency_code,
    '1.00' || (1000 + pi) AS procedure_code,
    'LV' || (pi % 40) AS field_code,
    r2 < 0.01 AS excluded,
    rec AS received_at,
    CASE WHEN r2 < 0.05 THEN TIMESTAMP '9999-01-01' ELSE rec + lim * CASE WHEN r3 < 0.07 THEN 1.3 ELSE 0.2 + r3 * 0.7 END END
        AS open_until,
    CASE WHEN r2 < 0.05 THEN '' WHEN r3 < 0.07 THEN 'late' WHEN r3 < 0.5 THEN 'early' ELSE 'on_time' END AS final,
    r2 >= 0.05 AS closed, true AS paper, r1 < 0.4 AS online, r4 < 0.7 AS e_result, r4 < 0.7 AS result_file,
    r4 < 0.8 AS has_files, g % 3 = 0 AS fee, r1 < 0.25 AS paid, r4 < 0.5 AS reused, r4 < 0.15 AS store,
    r4 < 0.4 AS pop, r1 > 0.97 AS flagged, true AS due_known, rec + lim + INTERVAL 1 MICROSECOND AS late_at
FROM (
    SELECT range AS g, random() r1, random() r2, random() r3, random() r4,
        TIMESTAMP '2024-12-31 17:00:00' + to_microseconds((random() * 365 * 86400e6)::bigint) AS rec,
        to_days(((range % 7) * 2 + 1)::int) AS lim,
        -- an agency handles about a dozen procedures, a few of them most of the time
        ((range * 7919) % 4420 * 7 + (floor(pow(random(), 2) * 12))::int) % 300 AS pi
    FROM range({n})
)
"""


def run(*, quick: bool) -> list[Figure]:
    """Recompute speed on DuckDB beside the Python fold of the incremental path."""
    import ibis

    from thuocdo.indices import recompute
    from thuocdo.indices.deltas import cell_deltas
    from thuocdo.indices.facts import FACT_COLUMNS, Facts

    n = 1_000_000 if quick else 10_000_000
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    began = time.perf_counter()
    con.raw_sql(_FACTS.format(n=n))
    load_s = time.perf_counter() - began
    t = con.table("facts")
    runs, cpus = [], []
    cells = 0
    for _ in range(3):
        began, cpu = time.perf_counter(), time.process_time()
        parts = recompute.day_cells(t, bits=recompute.FAST_BITS)
        # A batch writes its cells to tables, as a rebuild would; nothing crosses into Python.
        for i, (expr, _names) in enumerate(parts):
            con.create_table(f"cells_{i}", expr, overwrite=True)
        sums, procs = recompute.period_tallies(
            t, datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
        )
        sums.to_pyarrow()
        procs.to_pyarrow()
        runs.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
        cells = sum(con.table(f"cells_{i}").count().execute() for i in range(len(parts)))
        largest = max(con.table(f"cells_{i}")["_rows"].max().execute() for i in range(len(parts)))
        # The packed counters are exact only below this; run_cells would redo it with WIDE_BITS.
        assert largest <= recompute.cell_limit(recompute.FAST_BITS)
    best = min(runs)

    sample = con.raw_sql(f"SELECT {', '.join(FACT_COLUMNS)} FROM facts LIMIT 200000").fetchall()  # noqa: S608
    facts = [Facts(*row) for row in sample]
    began = time.perf_counter()
    cell_deltas((), facts)
    fold_rate = len(facts) / (time.perf_counter() - began)
    return [
        Figure(
            f"DuckDB recompute of {n:,} dossiers → {cells:,} day-cell part rows + one national-year tally",
            n / best,
            "dossiers/s",
            baseline=fold_rate,
            baseline_name="Python fold of the incremental path (indices.deltas.cell_deltas, all five cell tables), 200,000 facts",
            target=n / 10,
            note=(
                f"best of 3: {best:.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)}; CPU of all threads "
                f"{', '.join(f'{c:.1f}' for c in cpus)} s, i.e. {min(cpus) / n * 1e6:.2f} µs a dossier at best); "
                f"generating the facts in DuckDB took {load_s:.1f} s"
            ),
        )
    ]
