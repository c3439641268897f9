"""766 index queries on 10 million dossiers, and freshness of the index while documents stream in.

Query (PostgreSQL, database THUOCDO_BENCH_INDEX_PG, dropped and recreated):
* Load: N synthetic dossier rows (default 10,000,000) generated inside PostgreSQL with
  generate_series straight into dossiers_dossier (34 provinces × 130 agencies, each handling about
  12 of 300 procedures, one field per procedure, received over 2025, 4 % still open, ~7 % late,
  no supplements, `raw` left empty: neither side reads it); the facts (indices_dossierfact) derived from those rows by one INSERT … SELECT; the day
  and month cells, and the agency-month and procedure-month rollups, by GROUP BY over the facts —
  the same sums sync_facts keeps incrementally; then VACUUM ANALYZE.
* Measured: `indices.selectors.index_for(scope, period)` — cells + as-of part + catalogue +
  feedback + scoring, the whole product path — for Tỉnh 66 × 2025-10 and national × 2025.
* Baseline: the same dossier-based numbers by one GROUP BY (FILTER counts) over dossiers_dossier.
* Figures are rates (1 / p95 latency) so the runner's "higher is better" check applies; the
  p50/p95 in milliseconds are in the note. Target p95 ≤ 50 ms, i.e. ≥ 20 queries/s.

Freshness (PostgreSQL, a separate small database): a writer ingests batches through
dossiers.services.ingest_documents at a set rate (5,000 documents/s target) and records each
batch's commit time; `thuocdo index766_sync --follow --interval 0.1` runs as its own process; a
watcher polls the fact table and notes when every dossier of a batch is visible. Accepted-to-
visible latency per batch, p99 reported (target ≤ 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import Figure

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("THUOCDO_BENCH_INDEX_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_index")
FRESH_URL = os.environ.get("THUOCDO_BENCH_FRESH_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_fresh")


def run(*, quick: bool) -> list[Figure]:
    """Query latency beside the GROUP BY baseline, and accepted-to-visible latency under load."""
    n = 500_000 if quick else 10_000_000
    figures: list[Figure] = []
    got = _child("query", PG_URL, n=n)
    if got is None:
        return [Figure("postgresql: skipped (database not reachable)", 0, "queries/s")]
    for key, label in (("province", "Tỉnh 66 × 2025-10"), ("national", "toàn quốc × 2025")):
        r = got[key]
        figures.append(
            Figure(
                f"index_for {label}, {n:,} dossiers",
                1000 / r["p95"],
                "queries/s (1/p95)",
                baseline=1000 / r["base_p95"],
                baseline_name="GROUP BY over dossiers_dossier",
                target=20,
                note=(
                    f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms; baseline p50 {r['base_p50']:.0f} ms, "
                    f"p95 {r['base_p95']:.0f} ms; same numbers: {r['same']}"
                ),
            )
        )
    figures.append(Figure(f"load: {got['load']}", 0, ""))
    fresh = _child("fresh", FRESH_URL, n=20_000 if quick else 100_000)
    if fresh is not None:
        figures.append(
            Figure(
                f"freshness: {fresh['docs']:,} documents offered at {fresh['offered']:,.0f}/s",
                1000 / fresh["p99"],
                "1/s (1/p99 accepted→visible)",
                target=1,
                note=(
                    f"achieved ingest {fresh['achieved']:,.0f} docs/s; accepted→visible p50 {fresh['p50']:.0f} ms, "
                    f"p99 {fresh['p99']:.0f} ms, max {fresh['max']:.0f} ms over {fresh['batches']} batches"
                ),
            )
        )
    hooked = _child("fresh-hook", FRESH_URL, n=20_000 if quick else 100_000)
    if hooked is not None:
        figures.append(
            Figure(
                f"freshness with the ingest hook: {hooked['docs']:,} documents offered at {hooked['offered']:,.0f}/s",
                1000 / max(hooked["p99"], 1),
                "1/s (1/p99 accepted→visible)",
                target=1,
                note=(
                    f"achieved ingest {hooked['achieved']:,.0f} docs/s; accepted→visible p50 {hooked['p50']:.0f} ms, "
                    f"p99 {hooked['p99']:.0f} ms (the watcher polls every 10 ms)"
                ),
            )
        )
    return figures


def _fresh_database(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ, "THUOCDO_SECRET_KEY": "bench", "THUOCDO_DEBUG": "0", "THUOCDO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": url,
    }  # fmt: skip


def _child(kind: str, url: str, *, n: int) -> dict[str, Any] | None:
    if not _fresh_database(url):
        return None
    args = [sys.executable, "-m", "bench.index_query", "--child", kind, f"--n={n}"]
    out = subprocess.run(args, cwd=ROOT, env=_env(url), check=True, capture_output=True, text=True)  # noqa: S603
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
# (GREATEST ignores NULLs in PostgreSQL, hence the explicit CASE for open dossiers.)
_FACTS = """
INSERT INTO indices_dossierfact (code, agency_code, procedure_code, field_code, excluded, received_at, open_until,
    final, closed, paper, online, e_result, result_file, has_files, fee, paid, reused, store, pop, flagged,
    due_known, late_at, src_version, src_hash, src_status, src_status_at)
SELECT code, agency_code, procedure_code, field_code, status IN (1, 3), received_at,
    CASE WHEN COALESCE(finished_at, returned_at) IS NULL THEN timestamptz '9999-01-01 00:00+00'
         ELSE GREATEST(COALESCE(finished_at, returned_at), received_at) END,
    CASE WHEN COALESCE(finished_at, returned_at) IS NULL THEN ''
         WHEN COALESCE(finished_at, returned_at) > due_at THEN 'late'
         WHEN (COALESCE(finished_at, returned_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
              < (due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date THEN 'early'
         ELSE 'on_time' END,
    status IN (9, 10) AND COALESCE(finished_at, returned_at) IS NOT NULL, true, channel = 2, has_e_result,
    has_e_result, digitised, fee_vnd > 0, online_payment IN (1, 2), reused, from_personal_store, population_db,
    false, due_at IS NOT NULL, CASE WHEN status IN (1, 3) THEN NULL ELSE due_at + interval '1 microsecond' END,
    version, content_hash, status, status_at
FROM dossiers_dossier
"""

_CELL_SUMS = """
    sum((NOT excluded)::int) r_n, sum(online::int) r_online,
    sum((online AND (NOT (closed AND paper) OR e_result))::int) r_ok33, sum(fee::int) r_fee,
    sum((fee AND paid)::int) r_paid, sum((closed AND paper)::int) r_den41,
    sum((closed AND paper AND result_file)::int) r_num41,
    sum((has_files AND (NOT (closed AND paper) OR result_file))::int) r_ok42, sum(reused::int) r_reused,
    sum(store::int) r_store, sum(pop::int) r_pop"""

_METRIC_NAMES = (
    "r_n", "r_online", "r_ok33", "r_fee", "r_paid", "r_den41", "r_num41", "r_ok42", "r_reused", "r_store", "r_pop",
    "s_counted", "s_within", "s_late", "s_flagged",
)  # fmt: skip

_CELLS = """
INSERT INTO indices_cell{grain} (agency_code, procedure_code, field_code, {col}, r_n, r_online, r_ok33, r_fee, r_paid,
    r_den41, r_num41, r_ok42, r_reused, r_store, r_pop, s_counted, s_within, s_late, s_flagged)
SELECT agency_code, procedure_code, field_code, d, sum(r_n), sum(r_online), sum(r_ok33), sum(r_fee), sum(r_paid),
    sum(r_den41), sum(r_num41), sum(r_ok42), sum(r_reused), sum(r_store), sum(r_pop), sum(s_counted),
    sum(s_within), sum(s_late), sum(s_flagged)
FROM (
    SELECT agency_code, procedure_code, field_code, {when_r} d,
        {sums}, 0 s_counted, 0 s_within, 0 s_late, 0 s_flagged
    FROM indices_dossierfact WHERE NOT excluded GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT agency_code, procedure_code, field_code, {when_s},
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*), sum((final <> 'late')::int), sum((final = 'late')::int),
        sum(flagged::int)
    FROM indices_dossierfact WHERE NOT excluded AND final IN ('early', 'on_time', 'late') GROUP BY 1, 2, 3, 4
) parts GROUP BY 1, 2, 3, 4
"""


def _load(n: int) -> str:
    from django.db import connection

    from thuocdo.units.models import AdminUnit, Agency

    began = time.perf_counter()
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_agencies, bench_procedures")
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
        for grain in ("day", "month"):

            def when(col: str, g: str = grain) -> str:
                local = f"({col} AT TIME ZONE 'Asia/Ho_Chi_Minh')"
                return f"{local}::date" if g == "day" else f"date_trunc('month', {local})::date"

            c.execute(
                _CELLS.format(
                    grain=grain,
                    col=grain,
                    when_r=when("received_at"),
                    when_s=when("open_until"),
                    sums=_CELL_SUMS,
                )
            )
        metrics = ", ".join(_METRIC_NAMES)
        sums = ", ".join(f"sum({m})" for m in _METRIC_NAMES)
        c.execute(
            f"INSERT INTO indices_cellagencymonth (agency_code, month, {metrics}) "  # noqa: S608 - constant names
            f"SELECT agency_code, month, {sums} FROM indices_cellmonth GROUP BY 1, 2"
        )
        c.execute(
            f"INSERT INTO indices_cellproceduremonth (procedure_code, field_code, month, {metrics}) "  # noqa: S608
            f"SELECT procedure_code, field_code, month, {sums} FROM indices_cellmonth GROUP BY 1, 2, 3"
        )
        c.execute("VACUUM ANALYZE")
    total = time.perf_counter() - began
    return (
        f"{n:,} dossiers by generate_series in PostgreSQL ({dossiers_s:.0f} s), facts by INSERT … SELECT "
        f"({facts_s:.0f} s), cells by GROUP BY, total {total:.0f} s"
    )


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


def _query_child(n: int) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {"load": _load(n), **_measure()}


def _measure() -> dict[str, Any]:
    from django.db import connection

    from thuocdo.core.index766 import parse_period
    from thuocdo.indices import selectors

    out: dict[str, Any] = {}
    for key, scope_key, label in (("province", "province:66", "2025-10"), ("national", "national", "2025")):
        scope = selectors.resolve_scope(scope_key)
        period = parse_period(label)
        selectors.index_for(scope, period)  # warm caches, as a running server would be
        p50, p95, view = _timed(lambda s=scope, p=period: selectors.index_for(s, p), 30)
        where = ""
        params: dict[str, Any] = {"s": period.start_at, "j": min(period.end_at, view.judged_at)}
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
        out[key] = {"p50": p50, "p95": p95, "base_p50": b50, "base_p95": b95, "same": same}
    return out


# ----------------------------------------------------------------------------------------------
# Freshness


def _fresh_child(n: int, *, hook: bool = False) -> dict[str, Any]:
    from datetime import UTC, datetime

    from django.core.management import call_command
    from django.db import connection, transaction

    from thuocdo.dossiers.services import ingest_documents, load_lookups
    from thuocdo.dossiers.synthetic import generate
    from thuocdo.indices.services import on_dossiers_stored

    call_command("migrate", verbosity=0)
    rate, batch = 5_000, 500  # a batch every 0.1 s
    docs = list(generate(n, seed=99))
    lookups = load_lookups()
    follower = (
        None
        if hook
        else subprocess.Popen(
            [sys.executable, "-m", "thuocdo", "index766_sync", "--follow", "--interval", "0.1"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    time.sleep(3)  # let the follower start
    committed: list[tuple[float, list[str]]] = []
    seen: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        from django.db import connections

        conn = connections.create_connection("default")
        try:
            while not (done.is_set() and len(seen) == len(committed)):
                for i, (_t, codes) in enumerate(list(committed)):
                    if i in seen:
                        continue
                    with conn.cursor() as c:
                        c.execute("SELECT count(*) FROM indices_dossierfact WHERE code = ANY(%s)", [codes])
                        if c.fetchone()[0] == len(codes):
                            seen[i] = time.perf_counter()
                time.sleep(0.01)
        finally:
            conn.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.perf_counter()
    for k in range(0, n, batch):
        chunk = docs[k : k + batch]
        with transaction.atomic():
            ingest_documents(
                records=[(str(i), d) for i, d in enumerate(chunk)],
                source=None,
                batch="fresh",
                now=datetime.now(UTC),
                lookups=lookups,
            )
            if hook:  # what the proposed dossiers_stored signal would do, inside the ingest transaction
                on_dossiers_stored(None, codes=[d["MaHoSo"] for d in chunk])
        committed.append((time.perf_counter(), [d["MaHoSo"] for d in chunk]))
        lag = began + (k + batch) / rate - time.perf_counter()
        if lag > 0:
            time.sleep(lag)
    elapsed = time.perf_counter() - began
    done.set()
    watcher.join(timeout=120)
    if follower is not None:
        follower.terminate()
        follower.wait(timeout=30)
    connection.close()
    lat = sorted((seen[i] - t) * 1000 for i, (t, _c) in enumerate(committed) if i in seen)
    p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
    return {
        "docs": n, "offered": rate, "achieved": n / elapsed, "batches": len(committed), "p50": statistics.median(lat),
        "p99": p99, "max": lat[-1],
    }  # fmt: skip


def _child_main(opts: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    import django

    django.setup()
    if opts.child == "query":
        result = _query_child(opts.n)
    else:
        result = _fresh_child(opts.n, hook=opts.child == "fresh-hook")
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["query", "fresh", "fresh-hook"], required=True)
    parser.add_argument("--n", type=int, default=10_000_000)
    _child_main(parser.parse_args())
