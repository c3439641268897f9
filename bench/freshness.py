"""Freshness of the 766 index while documents stream in (issue #3: accepted → visible p99 ≤ 1 s at 5,000/s).

A writer offers synthetic HoSoDongBoDVC documents at a set rate (5,000 documents/s: a batch of 500
every 0.1 s) through `dossiers.services.ingest_documents`, one transaction per batch, as the HTTP
batch endpoint does. The index is updated by the `dossiers_stored` hook inside each ingest
transaction (indices.services.on_dossiers_stored: facts derived from the documents as parsed, cells
moved by the difference). A watcher on its own connection polls the fact table every 10 ms and
notes when every dossier of a batch is visible.

Reported per batch: handed in → visible (from the moment the batch is handed to ingestion, before
validation, to the moment another connection sees all of it in the index) and commit → visible
(the watcher's own delay: the index commits with the batch, before the batch is acknowledged);
p50 and p99 over all batches, and the ingest rate achieved (if the writer cannot keep up with the
offered rate, it falls behind and the achieved rate says so). Each database in a fresh child process:
SQLite in a temporary directory, PostgreSQL in THUOCDO_BENCH_FRESH_PG (default
postgres://postgres@127.0.0.1:5432/thuocdo_bench_fresh, dropped and recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import Figure

ROOT = Path(__file__).resolve().parent.parent
FRESH_URL = os.environ.get("THUOCDO_BENCH_FRESH_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_fresh")
RATE = 5_000
BATCH = 500


def run(*, quick: bool) -> list[Figure]:
    """Measure on SQLite and PostgreSQL; returns the figures for the runner."""
    n = 10_000 if quick else 50_000
    figures: list[Figure] = []
    for db in ("sqlite", "postgresql"):
        got = _child(db, n)
        if got is None:
            figures.append(Figure(f"{db}: freshness skipped (database not reachable)", 0, "docs/s"))
            continue
        figures.append(
            Figure(
                f"{db}: ingest with the index hook, {got['docs']:,} documents offered at {got['offered']:,}/s",
                got["achieved"],
                "docs/s",
                target=RATE,
                note=f"CPU in the writer {got['cpu_us']:.0f} µs/document ({got['hook_us']:.0f} µs in the index hook)",
            )
        )
        figures.append(
            Figure(
                f"{db}: batch handed in → visible in the index, p99 (as 1/p99 s)",
                1000 / got["p99"],
                "/s",
                target=1,
                note=(
                    f"handed in → visible p50 {got['p50']:.0f} ms, p99 {got['p99']:.0f} ms, max {got['max']:.0f} ms; "
                    f"commit → visible p50 {got['commit_p50']:.0f} ms, p99 {got['commit_p99']:.0f} ms; "
                    f"{got['batches']} batches of {BATCH}"
                ),
            )
        )
    return figures


def _fresh_postgres() -> bool:
    import psycopg

    base, _, name = FRESH_URL.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


def _child(db: str, n: int) -> dict[str, Any] | None:
    env = {**os.environ, "THUOCDO_SECRET_KEY": "bench", "THUOCDO_DEBUG": "0", "THUOCDO_LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory(prefix="thuocdo-fresh-") as tmp:
        env["THUOCDO_VAR_DIR"] = tmp
        if db == "postgresql":
            if not _fresh_postgres():
                return None
            env["DATABASE_URL"] = FRESH_URL
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/fresh.sqlite3"
        args = [sys.executable, "-m", "bench.freshness", "--child", f"--n={n}"]
        out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        return json.loads(out.stdout.strip().splitlines()[-1])


def _percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _child_main(n: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    import django

    django.setup()
    from datetime import UTC, datetime

    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from thuocdo.dossiers.services import ingest_documents, load_lookups
    from thuocdo.dossiers.signals import dossiers_stored
    from thuocdo.dossiers.synthetic import generate
    from thuocdo.indices import services as index_services

    call_command("migrate", verbosity=0)
    assert dossiers_stored.receivers, "the index hook is not connected"
    docs = list(generate(n, seed=99))
    lookups = load_lookups()
    hook_cpu = [0.0]
    original = index_services.on_dossiers_stored

    def timed_hook(*args: Any, **kwargs: Any) -> None:
        started = time.process_time()
        try:
            original(*args, **kwargs)
        finally:
            hook_cpu[0] += time.process_time() - started

    dossiers_stored.disconnect(dispatch_uid="indices.on_dossiers_stored")
    dossiers_stored.connect(timed_hook, dispatch_uid="bench.timed_hook", weak=False)

    arrived: list[float] = []
    committed: list[tuple[float, list[str]]] = []
    seen: dict[int, float] = {}
    done = threading.Event()
    sqlite = connection.vendor == "sqlite"

    def watch() -> None:
        conn = connections.create_connection("default")
        try:
            while not (done.is_set() and len(seen) == len(committed)):
                for i, (_t, codes) in enumerate(list(committed)):
                    if i in seen:
                        continue
                    with conn.cursor() as c:
                        if sqlite:
                            c.execute(
                                f"SELECT count(*) FROM indices_dossierfact WHERE code IN ({', '.join(['%s'] * len(codes))})",  # noqa: S608 - placeholders only
                                codes,
                            )
                        else:
                            c.execute(
                                "SELECT count(*) FROM indices_dossierfact WHERE code = ANY(%s)", [codes]
                            )
                        if c.fetchone()[0] == len(codes):
                            seen[i] = time.perf_counter()
                time.sleep(0.01)
        finally:
            conn.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cpu = time.process_time()
    began = time.perf_counter()
    for k in range(0, n, BATCH):
        chunk = docs[k : k + BATCH]
        arrived.append(time.perf_counter())
        with transaction.atomic():
            ingest_documents(
                records=[(str(i), d) for i, d in enumerate(chunk)],
                source=None,
                batch="fresh",
                now=datetime.now(UTC),
                lookups=lookups,
            )
        committed.append((time.perf_counter(), [d["MaHoSo"] for d in chunk]))
        lag = began + (k + BATCH) / RATE - time.perf_counter()
        if lag > 0:
            time.sleep(lag)
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu  # includes the watcher thread's share, a few per cent
    done.set()
    watcher.join(timeout=120)
    connection.close()
    arrival = sorted((seen[i] - arrived[i]) * 1000 for i in range(len(committed)) if i in seen)
    commit = sorted((seen[i] - t) * 1000 for i, (t, _c) in enumerate(committed) if i in seen)
    return {
        "docs": n,
        "offered": RATE,
        "achieved": n / elapsed,
        "batches": len(committed),
        "p50": statistics.median(arrival),
        "p99": _percentile(arrival, 0.99),
        "max": arrival[-1],
        "commit_p50": statistics.median(commit),
        "commit_p99": _percentile(commit, 0.99),
        "cpu_us": cpu * 1e6 / n,
        "hook_us": hook_cpu[0] * 1e6 / n,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--n", type=int, default=50_000)
    opts = parser.parse_args()
    if opts.child:
        print(json.dumps(_child_main(opts.n)))
    else:
        from bench.__main__ import main

        sys.exit(main(["freshness", *sys.argv[1:]]))
