"""Freshness of the 766 index while documents stream in (issue #3: accepted → visible p99 ≤ 1 s at 5,000/s).

Two ways in, each offered 5,000 documents/s (a batch of 500 every 0.1 s):

* **in process**: one writer calls `dossiers.services.ingest_documents`, one transaction per batch, as
  the HTTP batch endpoint does;
* **through HTTP**: gunicorn with 2 sync workers on 127.0.0.1 (as bench/ingest.py), two client
  threads taking turns to `POST /api/dossiers/batch` (thread 1 the even batches, thread 2 the odd
  ones, each on its own schedule; a thread whose previous request is still open sends as soon as it
  is answered, so a server that cannot keep up shows as a lower achieved rate and a growing delay).
  Handed in is when the request starts to be sent; the workers validate and prepare the batch
  (decode, rows, the index's facts and summed cells) before they take the write lock.

In both, the index is updated inside each ingest transaction. The index is updated by the `dossiers_stored` hook inside each ingest
transaction (indices.services.on_dossiers_stored: facts derived from the documents as parsed, cells
moved by the difference). A watcher on its own connection polls the fact table every 10 ms and
notes when every dossier of a batch is visible.

Reported per batch (both ways in): handed in → visible (from the moment the batch is handed to ingestion, before
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

from bench import Figure, child_env, facts_visible, free_port, post_batch, recreate_database, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
FRESH_URL = os.environ.get("THUOCDO_BENCH_FRESH_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_fresh")
RATE = 5_000
BATCH = 500


def run(*, quick: bool) -> list[Figure]:
    """Measure on SQLite and PostgreSQL; returns the figures for the runner."""
    n = 10_000 if quick else 50_000
    figures: list[Figure] = []
    for db in ("sqlite", "postgresql"):
        both = _child(db, n)
        if both is None:
            figures.append(Figure(f"{db}: freshness skipped (database not reachable)", 0, "docs/s"))
            continue
        got = both["inproc"]
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
        web = both["http"]
        figures.append(
            Figure(
                f"{db}: through HTTP (gunicorn, 2 sync workers, 2 clients), {web['docs']:,} documents offered at {web['offered']:,}/s",
                web["achieved"],
                "docs/s",
                target=RATE,
                note=f"answered: p50 {web['ack_p50']:.0f} ms, p99 {web['ack_p99']:.0f} ms after handing in",
            )
        )
        figures.append(
            Figure(
                f"{db}: through HTTP, batch handed in → visible in the index, p99 (as 1/p99 s)",
                1000 / web["p99"],
                "/s",
                target=1,
                note=(
                    f"handed in → visible p50 {web['p50']:.0f} ms, p99 {web['p99']:.0f} ms, max {web['max']:.0f} ms; "
                    f"{web['batches']} batches of {BATCH}"
                ),
            )
        )
    return figures


def _child(db: str, n: int) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix="thuocdo-fresh-") as tmp:
        if db == "postgresql" and not recreate_database(FRESH_URL):
            return None
        url = FRESH_URL if db == "postgresql" else f"sqlite:///{tmp}/fresh.sqlite3"
        env = child_env(database_url=url, var_dir=tmp)
        args = [sys.executable, "-m", "bench.freshness", "--child", f"--n={n}"]
        out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        inproc = json.loads(out.stdout.strip().splitlines()[-1])
        args = [sys.executable, "-m", "bench.freshness", "--child", "--http", f"--n={n}"]
        out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        return {"inproc": inproc, "http": json.loads(out.stdout.strip().splitlines()[-1])}


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

    def watch() -> None:
        conn = connections.create_connection("default")
        try:
            while not (done.is_set() and len(seen) == len(committed)):
                for i, (_t, codes) in enumerate(list(committed)):
                    if i in seen:
                        continue
                    if facts_visible(conn, codes):
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


def _http_main(n: int) -> dict[str, Any]:
    """Offer n new documents through the HTTP batch API at RATE; a watcher polls the index's facts."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench._settings"  # the API mounted at /api/dossiers/
    import django

    django.setup()
    import http.client

    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from bench.ingest import _wait
    from thuocdo.dossiers.services import create_source
    from thuocdo.dossiers.synthetic import generate

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        _, key = create_source(name="fresh-http")
    docs = list(generate(n, seed=199, first_seq=60_000_000))
    bodies = [
        (
            json.dumps({"documents": docs[k : k + BATCH]}, ensure_ascii=False).encode(),
            [d["MaHoSo"] for d in docs[k : k + BATCH]],
        )
        for k in range(0, n, BATCH)
    ]
    warm = json.dumps({"documents": list(generate(BATCH, seed=198, first_seq=61_000_000))}).encode()
    connection.close()  # the server's workers write; this process only reads, on the watcher's connection
    port = free_port()
    server = start_gunicorn(port, {**os.environ, "DJANGO_SETTINGS_MODULE": "bench._settings"})
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    seen: dict[int, float] = {}
    failures: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def client(first: int, began: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            for i in range(first, len(bodies), 2):
                wait = began + i * BATCH / RATE - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                with lock:
                    sent[i] = time.perf_counter()
                if (failure := post_batch(conn, key, bodies[i][0])) is not None:
                    failures.append(failure)
                with lock:
                    answered[i] = time.perf_counter()
        finally:
            conn.close()

    def watch() -> None:
        conn = connections.create_connection("default")
        try:
            while not (done.is_set() and len(seen) == len(sent)):
                with lock:
                    pending = [i for i in sent if i not in seen]
                for i in pending:
                    if facts_visible(conn, bodies[i][1]):
                        seen[i] = time.perf_counter()
                time.sleep(0.01)
        finally:
            conn.close()

    try:
        _wait(port)
        for _ in range(2):  # both workers loaded and warm before the clock starts
            warm_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            if (failure := post_batch(warm_conn, key, warm)) is not None:
                failures.append(failure)
            warm_conn.close()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        began = time.perf_counter()
        clients = [threading.Thread(target=client, args=(j, began)) for j in range(2)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        elapsed = max(answered.values()) - began
        done.set()
        watcher.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, first: {failures[0]}")
    visible = sorted((seen[i] - sent[i]) * 1000 for i in sent if i in seen)
    acked = sorted((answered[i] - sent[i]) * 1000 for i in sent)
    return {
        "docs": n,
        "offered": RATE,
        "achieved": n / elapsed,
        "batches": len(sent),
        "p50": statistics.median(visible),
        "p99": _percentile(visible, 0.99),
        "max": visible[-1],
        "ack_p50": statistics.median(acked),
        "ack_p99": _percentile(acked, 0.99),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--n", type=int, default=50_000)
    opts = parser.parse_args()
    if opts.child and opts.http:
        print(json.dumps(_http_main(opts.n)))
    elif opts.child:
        print(json.dumps(_child_main(opts.n)))
    else:
        from bench.__main__ import main

        sys.exit(main(["freshness", *sys.argv[1:]]))
