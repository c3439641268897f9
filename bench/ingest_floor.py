"""The storage floor of dossier ingestion: only the database writes, of rows already built.

For the same synthetic documents as bench/ingest.py, every row the import writes is built first
(outside the clock: decode, validation, rows, steps, summed tallies, the index's facts and summed
cells, exactly as `prepare_documents` and the index's prepare hook build them), then written table
by table as the import's writer does, one transaction per 5,000 documents, on emptied tables:

* dossier rows (with the document in `raw`): SQLite `INSERT` with the ids given (the import's path
  for new rows), PostgreSQL `COPY` into a staging table + one `INSERT … ON CONFLICT … RETURNING`;
* processing steps (`executemany` / `COPY`), monthly tallies, index facts, index cells (the import's
  own functions), and the commit.

Measured per table: CPU of this process (`time.process_time`), wall time, and on PostgreSQL the CPU of
the server backend serving this connection (utime + stime from /proc/<pid>/stat; the WAL writer and
the checkpointer are other processes and are not counted). The sum gives the CPU one writer needs per
document for storage alone, and 10⁶ / that sum the most documents a second one writer could store on
one core, whatever validation costs. Variants (same documents, each on emptied tables): as the import
writes them; without the step rows; with `raw` empty; with `raw` compressed (zlib level 1, zstd level 3
through pyarrow's codec; base64 text on PostgreSQL, whose column is text; the compression's own CPU
is reported apart: it would run before the lock, with validation). The schema is not changed.

Each database in a fresh child process: SQLite in a temporary directory, PostgreSQL in the database
named by THUOCDO_BENCH_FLOOR_PG (default postgres://postgres@127.0.0.1:5432/thuocdo_bench_floor,
dropped and recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import Figure, child_env, recreate_database

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("THUOCDO_BENCH_FLOOR_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_floor")
BATCH = 5_000
VARIANTS = ("as imported", "without steps", "raw empty", "raw zlib-1", "raw zstd-3")
TABLES = ("dossiers", "steps", "tallies", "facts", "cells", "commit")


def run(*, quick: bool) -> list[Figure]:
    """Measure on SQLite and PostgreSQL; returns the figures for the runner."""
    n = 20_000 if quick else 100_000
    figures: list[Figure] = []
    for db in ("sqlite", "postgresql"):
        got = _child(db, n)
        if got is None:
            figures.append(Figure(f"{db}: storage floor skipped (database not reachable)", 0, "docs/s"))
            continue
        for variant in VARIANTS:
            r = got["variants"][variant]
            parts = ", ".join(
                f"{t} {r['cpu'][t]:.1f}" + (f"+{r['server'][t]:.1f}" if db == "postgresql" else "")
                for t in TABLES
            )
            figures.append(
                Figure(
                    f"{db}: storage floor, {variant}, {n:,} documents (one writer, CPU-bound)",
                    1e6 / r["total_cpu"],
                    "docs/s",
                    target=50_000,
                    note=(
                        f"CPU µs/doc {r['total_cpu']:.1f} ("
                        + ("client+server: " if db == "postgresql" else "")
                        + f"{parts}); wall {r['wall']:.1f} µs/doc ({1e6 / r['wall']:,.0f} docs/s); "
                        f"raw {r['raw_bytes']:.0f} B/doc"
                        + (f", compressing {r['compress_us']:.1f} µs/doc" if r.get("compress_us") else "")
                    ),
                )
            )
    return figures


def _child(db: str, n: int) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix="thuocdo-floor-") as tmp:
        if db == "postgresql" and not recreate_database(PG_URL):
            return None
        env = child_env(database_url=PG_URL if db == "postgresql" else None, var_dir=tmp)
        args = [sys.executable, "-m", "bench.ingest_floor", "--child", f"--n={n}"]
        out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------
# The child process: one database, fresh.


def _child_main(n: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench._settings")
    import django

    django.setup()
    import base64
    import gc
    import zlib
    from datetime import UTC, datetime

    import pyarrow as pa
    from django.core.management import call_command
    from django.db import connection

    from thuocdo.dossiers import services
    from thuocdo.dossiers.synthetic import generate
    from thuocdo.indices import services as index_services

    call_command("migrate", verbosity=0)
    lookups = services.load_lookups()
    now = datetime.now(UTC)
    docs = list(generate(n, seed=770, first_seq=70_000_000))
    gc.disable()  # as the import's writer runs
    batches = [
        services.prepare_documents(
            [(f"l{i}", d) for i, d in enumerate(docs[k : k + BATCH])],
            lookups=lookups,
            vendor=connection.vendor,
            source_id=None,
            now=now,
        )
        for k in range(0, n, BATCH)
    ]
    assert all(index_services.PREPARE_HOOK in b.hooks for b in batches), (
        "the index's prepare hook did not run"
    )
    pg = connection.vendor == "postgresql"
    zstd = pa.Codec("zstd", compression_level=3)

    def as_bytes(raw: Any) -> bytes:
        return raw.encode() if isinstance(raw, str) else bytes(raw)

    def compress(variant: str, raw: Any) -> Any:
        data = as_bytes(raw)
        packed = zlib.compress(data, 1) if variant == "raw zlib-1" else zstd.compress(data, asbytes=True)
        return base64.b64encode(packed).decode() if pg else packed

    out: dict[str, Any] = {"variants": {}}
    for variant in VARIANTS:
        # Rows as the import builds them; a variant changes only `raw` (column 28) or drops the steps.
        raws: list[list[Any]] = []
        compress_cpu = 0.0
        for b in batches:
            rows = [c.row[28] for c in b.best.values()]
            if variant == "raw empty":
                rows = ["" if pg else b"" for _ in rows]
            elif variant.startswith("raw z"):
                started = time.process_time()
                rows = [compress(variant, r) for r in rows]
                compress_cpu += time.process_time() - started
            raws.append(rows)
        _empty_tables()
        cpu = dict.fromkeys(TABLES, 0.0)
        wall = dict.fromkeys(TABLES, 0.0)
        server = dict.fromkeys(TABLES, 0.0)
        raw_bytes = 0
        for b, batch_raws in zip(batches, raws, strict=True):
            candidates = list(b.best.values())
            rows = [(*c.row[:28], r, *c.row[29:]) for c, r in zip(candidates, batch_raws, strict=True)]
            raw_bytes += sum(len(r) for r in batch_raws)
            _write_batch(
                rows,
                candidates,
                b,
                steps=variant != "without steps",
                clocks=(cpu, wall, server),
            )
        out["variants"][variant] = {
            "cpu": {t: cpu[t] * 1e6 / n for t in TABLES},
            "server": {t: server[t] * 1e6 / n for t in TABLES},
            "wall": sum(wall.values()) * 1e6 / n,
            "total_cpu": (sum(cpu.values()) + sum(server.values())) * 1e6 / n,
            "raw_bytes": raw_bytes / n,
            "compress_us": compress_cpu * 1e6 / n,
        }
    return out


def _empty_tables() -> None:
    from django.db import connection, transaction

    from thuocdo.dossiers.models import Dossier, DossierStep, DossierTally
    from thuocdo.indices.models import (
        CellAgencyDay,
        CellAgencyMonth,
        CellDay,
        CellMonth,
        CellProcedureMonth,
        DossierFact,
    )

    tables = [
        m._meta.db_table
        for m in (
            DossierStep,
            Dossier,
            DossierTally,
            DossierFact,
            CellDay,
            CellMonth,
            CellAgencyDay,
            CellAgencyMonth,
            CellProcedureMonth,
        )
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names only
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def _server_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _write_batch(
    rows: list[tuple[Any, ...]],
    candidates: list[Any],
    prepared: Any,
    *,
    steps: bool,
    clocks: tuple[dict[str, float], dict[str, float], dict[str, float]],
) -> None:
    """One batch, one transaction, each table's write timed on its own (the rows are built already)."""
    from django.db import connection, transaction

    from thuocdo.dossiers import services
    from thuocdo.dossiers.models import Dossier, DossierStep
    from thuocdo.indices import services as index_services

    cpu, wall, server = clocks
    pg = connection.vendor == "postgresql"
    cursor, mark = services._raw_cursor()
    if pg:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    else:
        pid = None
        cursor.execute("PRAGMA cache_size = -262144")  # as the import command's writer sets them
        cursor.execute("PRAGMA temp_store = MEMORY")

    class Timed:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> None:
            self.c, self.w, self.s = time.process_time(), time.perf_counter(), _server_seconds(pid)

        def __exit__(self, *exc: object) -> None:
            cpu[self.name] += time.process_time() - self.c
            wall[self.name] += time.perf_counter() - self.w
            server[self.name] += _server_seconds(pid) - self.s

    _, fact_rows, cell_rows = prepared.hooks[index_services.PREPARE_HOOK]
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        if pg:
            with Timed("dossiers"):
                ids = services._upsert_by_copy(cursor, rows)
        else:
            table = Dossier._meta.db_table
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608 - table name only
            first = cursor.fetchone()[0] + 1
            numbered = [(first + i, *row) for i, row in enumerate(rows)]
            ids = {row[0]: first + i for i, row in enumerate(rows)}
            with Timed("dossiers"):
                cursor.executemany(services._insert_new_sql(), numbered)
        if steps:
            step_rows = [(ids[c.row[0]], *step) for c in candidates for step in c.steps]
            step_table = DossierStep._meta.db_table
            columns = "dossier_id, seq, officer, title, department, status, started_at, due_at, acted_at"
            with Timed("steps"):
                if pg:
                    with cursor.copy(f"COPY {step_table} ({columns}) FROM STDIN") as copy:
                        for step in step_rows:
                            copy.write_row(step)
                else:
                    cursor.executemany(
                        f"INSERT INTO {step_table} ({columns}) VALUES ({', '.join([mark] * 9)})",  # noqa: S608 - names only
                        step_rows,
                    )
        with Timed("tallies"):
            services._apply_tally(cursor, mark, prepared.tally)
        with Timed("facts"):
            index_services._write_fact_rows(fact_rows)
        with Timed("cells"):
            index_services._write_cells(cell_rows)
    except BaseException:
        atomic.__exit__(*sys.exc_info())
        raise
    finally:
        cursor.close()
    commit = Timed("commit")
    commit.__enter__()
    atomic.__exit__(None, None, None)
    commit.__exit__(None, None, None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--n", type=int, default=20_000)
    opts = parser.parse_args()
    if opts.child:
        print(json.dumps(_child_main(opts.n)))
    else:
        from bench.__main__ import main

        sys.exit(main(["ingest_floor", *sys.argv[1:]]))
