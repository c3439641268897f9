"""766 index queries on 10 million dossiers (PostgreSQL), beside a GROUP BY over the raw dossier table.

Database THUOCDO_BENCH_INDEX_PG. `python -m bench.index_query --reuse` (or THUOCDO_BENCH_REUSE=1 with
`python -m bench index_query`) keeps it: loading is skipped when it already holds N dossiers loaded
by this loader version on the current indices migrations; otherwise it is dropped and reloaded.

* Load: N synthetic dossier rows (default 10,000,000) generated inside PostgreSQL with
  generate_series straight into dossiers_dossier (34 provinces × 130 agencies, each handling about
  12 of 300 procedures, one field per procedure, received over 2025, 4 % still open, ~7 % late,
  no supplements, `raw` left empty: neither side reads it); the facts (indices_dossierfact) derived
  from those rows by one INSERT … SELECT; the day cells by the batch recompute's own ibis
  definitions (`indices.recompute.day_cells`) compiled to PostgreSQL SQL; month cells and the
  agency-day, agency-month and procedure-month rollups by GROUP BY over the day cells — the same
  sums sync_facts keeps incrementally; then VACUUM ANALYZE.
* Measured: `indices.selectors.index_for(scope, period)` — cells + open-state counters + J's own
  day + catalogue + feedback + scoring, the whole product path — for Tỉnh 66 × 2025-10, national ×
  2025, Tỉnh 66 × 2025-Q3, Tỉnh 66 × 2025-10-06..2025-10-20 (partial months at both ends) and
  Tỉnh 66 × 2025-11 judged at 2025-11-18 14:30 (a current month: J inside a day).
* Baseline: the same dossier-based numbers by one GROUP BY (FILTER counts) over dossiers_dossier;
  2.1, 3.3 and 3.6 numerators and denominators of both sides are compared in every run.
* Figures are rates (1 / p95 latency) so the runner's "higher is better" check applies; the
  p50/p95 in milliseconds are in the note. Target p95 ≤ 50 ms, i.e. ≥ 20 queries/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import Figure, child_env, recreate_database

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("THUOCDO_BENCH_INDEX_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_index")
LOADER_VERSION = "2026-11-22.open-state"

# (key, scope, period, as_of, label)
QUERIES = (
    ("province", "province:66", "2025-10", None, "Tỉnh 66 × 2025-10"),
    ("national", "national", "2025", None, "toàn quốc × 2025"),
    ("quarter", "province:66", "2025-Q3", None, "Tỉnh 66 × 2025-Q3"),
    ("range", "province:66", "2025-10-06..2025-10-20", None, "Tỉnh 66 × 06/10–20/10/2025"),
    ("current", "province:66", "2025-11", "2025-11-18T14:30:00+07:00", "Tỉnh 66 × 2025-11 at 18/11 14:30"),
)


def run(*, quick: bool) -> list[Figure]:
    """Query latency beside the GROUP BY baseline."""
    n = 500_000 if quick else 10_000_000
    got = _child(PG_URL, n=n, reuse=os.environ.get("THUOCDO_BENCH_REUSE", "") not in ("", "0"))
    if got is None:
        return [Figure("postgresql: skipped (database not reachable)", 0, "queries/s")]
    return figures(got, n)


def figures(got: dict[str, Any], n: int) -> list[Figure]:
    """The runner's figures from a child's measurements."""
    out: list[Figure] = []
    for key, _scope, _period, _as_of, label in QUERIES:
        r = got[key]
        out.append(
            Figure(
                f"index_for {label}, {n:,} dossiers",
                1000 / r["p95"],
                "queries/s (1/p95)",
                baseline=1000 / r["base_p95"],
                baseline_name="GROUP BY over dossiers_dossier",
                target=20 if key in ("province", "national") else None,
                note=(
                    f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms (CPU {r['cpu']:.1f} ms a query); baseline p50 "
                    f"{r['base_p50']:.0f} ms, p95 {r['base_p95']:.0f} ms; same numbers: {r['same']}"
                ),
            )
        )
    out.append(Figure(f"load: {got['load']}", 0, ""))
    return out


def _latest_migration() -> str:
    folder = ROOT / "src" / "thuocdo" / "indices" / "migrations"
    return max((p.stem for p in folder.glob("0*.py")), default="")


def _database(url: str, *, n: int, reuse: bool) -> bool:
    """Keep the database if asked and it holds this load on the current schema, else create it afresh.

    False if the server is not reachable. Decided here, before Django migrates: migrating an old
    10-million-row database would rebuild its cells in Python.
    """
    import psycopg

    if reuse:
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT n, loader, migration FROM bench_meta").fetchone()
            if row is not None and tuple(row) == (n, LOADER_VERSION, _latest_migration()):
                return True
        except psycopg.Error:
            pass
    return recreate_database(url)


def _child(url: str, *, n: int, reuse: bool) -> dict[str, Any] | None:
    if not _database(url, n=n, reuse=reuse):
        return None
    args = [sys.executable, "-m", "bench.index_query", "--child", f"--n={n}"] + (["--reuse"] if reuse else [])
    env = child_env(database_url=url)
    out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------
# Loading 10 M rows inside PostgreSQL

_DOSSIERS = """
INSERT INTO dossiers_dossier (code, procedure_code, field_code, agency_code, channel, status, status_at, received_at,
    due_at, original_due_at, finished_at, returned_at, supplement_count, supplement_wait_s, online_payment, fee_vnd,
    has_e_result, digitised, reused, from_personal_store, vneid, population_db, timeliness, version, content_hash,
    raw, updated_at)
SELECT 'B' || g, p.code, 'LV' || (p.i % 40), a.code, CASE WHEN r1 < 0.4 THEN 2 ELSE 1 END,
    CASE WHEN r2 < 0.04 THEN 4 WHEN r2 < 0.05 THEN 3 ELSE 10 END, rec, rec, rec + lim, rec + lim,
    CASE WHEN r2 >= 0.05 THEN rec + lim * CASE WHEN r3 < 0.07 THEN 1.3 ELSE 0.2 + r3 * 0.7 END END,
    CASE WHEN r2 >= 0.05 THEN rec + lim * CASE WHEN r3 < 0.07 THEN 1.3 ELSE 0.2 + r3 * 0.7 END + interval '2 hours' END,
    0, 0, CASE WHEN r1 < 0.25 THEN 1 ELSE 0 END, CASE WHEN g % 3 = 0 THEN 20000 ELSE 0 END,
    r4 < 0.7, r4 < 0.8, r4 < 0.5, r4 < 0.15, r1 < 0.3, r4 < 0.4, '', 1, md5(g::text), '', now()
FROM (
    SELECT g, random() r1, random() r2, random() r3, random() r4,
        timestamptz '2025-01-01 00:00+07' + (random() * 365) * interval '1 day' AS rec,
        ((g % 7) * 2 + 1) * interval '1 day' AS lim, (g * 7919) % {agencies} AS ai,
        -- an agency handles about a dozen procedures, a few of them most of the time
        ((g * 7919) % {agencies} * 7 + floor(random() ^ 2 * 12)::int) % 300 AS pi
    FROM generate_series(1::bigint, {n}) g
) s
JOIN bench_agencies a ON a.i = s.ai JOIN bench_procedures p ON p.i = s.pi
"""

# The facts of rows without supplements: end = finished, else returned; late when the end passes the due time.
# (GREATEST ignores NULLs in PostgreSQL, hence the explicit CASE for open dossiers.) span_bucket as
# indices.openstate.span_bucket: bit length of the whole seconds from reception to settling, closed ones only.
_FACTS = """
INSERT INTO indices_dossierfact (code, agency_code, procedure_code, field_code, excluded, received_at, open_until,
    final, closed, paper, online, e_result, result_file, has_files, fee, paid, reused, store, pop, flagged,
    due_known, late_at, src_version, src_hash, src_status, src_status_at, span_bucket)
SELECT code, agency_code, procedure_code, field_code, status IN (1, 3), received_at,
    CASE WHEN e IS NULL THEN timestamptz '9999-01-01 00:00+00' ELSE GREATEST(e, received_at) END,
    CASE WHEN e IS NULL THEN ''
         WHEN e > due_at THEN 'late'
         WHEN (e AT TIME ZONE 'Asia/Ho_Chi_Minh')::date < (due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date THEN 'early'
         ELSE 'on_time' END,
    status IN (9, 10) AND e IS NOT NULL, true, channel = 2, has_e_result,
    has_e_result, digitised, fee_vnd > 0, online_payment IN (1, 2), reused, from_personal_store, population_db,
    false, due_at IS NOT NULL, CASE WHEN status IN (1, 3) THEN NULL ELSE due_at + interval '1 microsecond' END,
    version, content_hash, status, status_at,
    CASE WHEN status IN (9, 10) AND e > received_at
         THEN length(ltrim(floor(extract(epoch FROM e - received_at))::bigint::bit(64)::text, '0')) END
FROM (SELECT *, COALESCE(finished_at, returned_at) AS e FROM dossiers_dossier) d
"""

_KEYS = "agency_code, procedure_code, field_code"


def _day_cells(cursor: Any) -> None:
    """indices_cellday from the facts by the batch recompute's ibis definitions, compiled for PostgreSQL."""
    import ibis

    from thuocdo.indices import recompute
    from thuocdo.indices.openstate import CELL_METRICS

    metrics = ", ".join(CELL_METRICS)
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.execute(f"CREATE UNLOGGED TABLE bench_parts ({_KEYS.replace(',', ' text,')} text, day date, "
                   + ", ".join(f"{m} bigint DEFAULT 0" for m in CELL_METRICS) + ")")  # fmt: skip
    table = recompute.postgres_table(os.environ["DATABASE_URL"])
    try:
        for expr, names in recompute.day_cells(table):
            sql = ibis.to_sql(expr, dialect="postgres")
            cols = ", ".join(names)
            cursor.execute(
                f"INSERT INTO bench_parts ({_KEYS}, day, {cols}) SELECT {_KEYS}, day, {cols} FROM ({sql}) p"  # noqa: S608
            )
    finally:
        recompute.disconnect(table)
    sums = ", ".join(f"sum({m})" for m in CELL_METRICS)
    cursor.execute(
        f"INSERT INTO indices_cellday ({_KEYS}, day, {metrics}) "  # noqa: S608 - constant names
        f"SELECT {_KEYS}, day, {sums} FROM bench_parts GROUP BY 1, 2, 3, 4"
    )
    cursor.execute("DROP TABLE bench_parts")


def _rollups(cursor: Any) -> None:
    from thuocdo.indices.openstate import CELL_METRICS

    metrics = ", ".join(CELL_METRICS)
    sums = ", ".join(f"sum({m})" for m in CELL_METRICS)
    for target, cols, select, source, group in (
        (
            "indices_cellmonth",
            f"{_KEYS}, month",
            f"{_KEYS}, date_trunc('month', day)::date",
            "cellday",
            "1, 2, 3, 4",
        ),
        ("indices_cellagencyday", "agency_code, day", "agency_code, day", "cellday", "1, 2"),
        ("indices_cellagencymonth", "agency_code, month", "agency_code, month", "cellmonth", "1, 2"),
        (
            "indices_cellproceduremonth",
            "procedure_code, field_code, month",
            "procedure_code, field_code, month",
            "cellmonth",
            "1, 2, 3",
        ),
    ):
        cursor.execute(
            f"INSERT INTO {target} ({cols}, {metrics}) SELECT {select}, {sums} FROM indices_{source} GROUP BY {group}"  # noqa: S608
        )


def _load(n: int) -> str:
    from django.db import connection

    from thuocdo.units.models import AdminUnit, Agency

    began = time.perf_counter()
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_agencies, bench_procedures, bench_meta")
        c.execute("CREATE TABLE bench_agencies (i int PRIMARY KEY, code text)")
        c.execute("CREATE TABLE bench_procedures (i int PRIMARY KEY, code text)")
        c.execute(
            "INSERT INTO bench_agencies SELECT i, 'H' || (40 + i / 130) || '.' || lpad((i % 130)::text, 3, '0') "
            "FROM generate_series(0, 34 * 130 - 1) i"
        )
        c.execute(
            "INSERT INTO bench_procedures SELECT i, '1.00' || (1000 + i) FROM generate_series(0, 299) i"
        )
    unit = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    unit.path = f"/{unit.pk}/"
    unit.save(update_fields=["path"])
    # Province 66 owns the 130 agencies H66.000 … H66.129 (index 26 × 130 …).
    for k in range(130):
        agency = Agency.objects.create(
            code=f"H66.{k:03d}", name=f"Cơ quan {k}", kind="department", admin_unit=unit
        )
        agency.path = f"/{agency.pk}/"
        agency.save(update_fields=["path"])
    with connection.cursor() as c:
        c.execute("ALTER TABLE dossiers_dossier SET (autovacuum_enabled = false)")
        c.execute(_DOSSIERS.format(n=n, agencies=34 * 130))
        dossiers_s = time.perf_counter() - began
        c.execute(_FACTS)
        facts_s = time.perf_counter() - began - dossiers_s
        _day_cells(c)
        _rollups(c)
        c.execute("CREATE TABLE bench_meta (n bigint, loader text, migration text)")
        c.execute("INSERT INTO bench_meta VALUES (%s, %s, %s)", [n, LOADER_VERSION, _migration()])
        c.execute("VACUUM ANALYZE")
    total = time.perf_counter() - began
    return (
        f"{n:,} dossiers by generate_series in PostgreSQL ({dossiers_s:.0f} s), facts by INSERT … SELECT "
        f"({facts_s:.0f} s), cells by the recompute definitions and GROUP BY, total {total:.0f} s"
    )


def _migration() -> str:
    from django.db.migrations.recorder import MigrationRecorder

    names = MigrationRecorder.Migration.objects.filter(app="indices").values_list("name", flat=True)
    return max(names, default="")


def _loaded(n: int) -> bool:
    """Whether the database already holds what this loader would load (same N, loader and migrations)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not c.fetchone()[0]:
            return False
        c.execute("SELECT n, loader, migration FROM bench_meta")
        row = c.fetchone()
    return row is not None and tuple(row) == (n, LOADER_VERSION, _migration())


_BASELINE = """
SELECT count(*), count(*) FILTER (WHERE NOT late), count(*) FILTER (WHERE received_at >= %(s)s),
    count(*) FILTER (WHERE received_at >= %(s)s AND channel = 2 AND (NOT closed OR has_e_result)),
    count(*) FILTER (WHERE received_at >= %(s)s AND fee_vnd > 0),
    count(*) FILTER (WHERE received_at >= %(s)s AND fee_vnd > 0 AND online_payment IN (1, 2))
FROM (
    SELECT received_at, channel, has_e_result, fee_vnd, online_payment,
        CASE WHEN settled THEN e > due_at ELSE %(j)s > due_at END AS late, settled AND status IN (9, 10) AS closed
    FROM (
        SELECT *, COALESCE(finished_at, returned_at) AS e,
            COALESCE(finished_at, returned_at) IS NOT NULL
                AND GREATEST(COALESCE(finished_at, returned_at), received_at) <= %(j)s AS settled
        FROM dossiers_dossier
        WHERE status NOT IN (1, 3) AND received_at < %(j)s {scope}
    ) x
    WHERE e IS NULL OR GREATEST(e, received_at) >= %(s)s
) y
"""


def _timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, result


def _query_child(n: int, *, reuse: bool) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load = "reused the loaded database" if reuse and _loaded(n) else _load(n)
    return {"load": load, **_measure()}


def _measure() -> dict[str, Any]:
    from datetime import datetime

    from django.db import connection

    from thuocdo.core.index766 import parse_period
    from thuocdo.indices import selectors

    out: dict[str, Any] = {}
    for key, scope_key, label, as_of_text, _label in QUERIES:
        scope = selectors.resolve_scope(scope_key)
        period = parse_period(label)
        as_of = datetime.fromisoformat(as_of_text) if as_of_text else None
        selectors.index_for(scope, period, as_of)  # warm caches, as a running server would be
        cpu = time.process_time()
        p50, p95, view = _timed(lambda s=scope, p=period, a=as_of: selectors.index_for(s, p, a), 30)
        cpu_ms = (time.process_time() - cpu) * 1000 / 30
        where = ""
        params: dict[str, Any] = {"s": period.start_at, "j": view.judged_at}
        if scope.agency_codes is not None:
            where = "AND agency_code = ANY(%(codes)s)"
            params["codes"] = list(scope.agency_codes)

        def baseline(w: str = where, p: dict[str, Any] = params) -> Any:
            with connection.cursor() as c:
                c.execute(_BASELINE.format(scope=w), p)
                return c.fetchone()

        b50, b95, row = _timed(baseline, 3 if key == "national" else 10)
        t = view.tallies
        same = tuple(row) == (
            t["2.1"].denominator,
            t["2.1"].numerator,
            t["3.3"].denominator,
            t["3.3"].numerator,
            t["3.6"].denominator,
            t["3.6"].numerator,
        )
        out[key] = {"p50": p50, "p95": p95, "cpu": cpu_ms, "base_p50": b50, "base_p95": b95, "same": same}
    return out


def _child_main(opts: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    import django

    django.setup()
    print(json.dumps(_query_child(opts.n, reuse=opts.reuse)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database; skip loading if it holds N dossiers"
    )
    options = parser.parse_args()
    if options.child:
        _child_main(options)
    else:
        result = _child(PG_URL, n=options.n, reuse=options.reuse)
        if result is None:
            sys.exit("PostgreSQL not reachable")
        from bench.__main__ import render

        print(render("index_query", figures(result, options.n)))
