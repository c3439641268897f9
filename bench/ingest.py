"""Dossier ingestion speed: file import and the HTTP batch API, each beside its baseline.

* File import end to end (read JSONL, decode, validate, order versions, upsert, steps, timeliness,
  monthly tallies, commit per 5,000): `thuocdo dossiers import` on a fresh database.
  Baseline: the same documents saved one by one through the Django ORM (get, compare the version,
  save the row, recreate its steps, update its tally row), one transaction per 5,000 as well.
* HTTP batch API: gunicorn with 2 sync workers on 127.0.0.1, two clients posting batches of 10,000.
  Baseline: the same endpoint fed one document per request.
* CPU per document per stage (`time.process_time` in one process, 10,000 new documents): what a
  document costs whatever else runs on the machine, so an idle machine's rate can be computed.
  The 766 index hook (`dossiers_stored` → indices.services.on_dossiers_stored) runs in every
  measurement above, inside each ingest transaction, as in production.

Each database runs in its own child process (Django reads its settings once), on a fresh database:
SQLite in a temporary directory, PostgreSQL in a database named by THUOCDO_BENCH_PG
(default postgres://postgres@127.0.0.1:5432/thuocdo_bench, dropped and recreated).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import Figure, child_env, free_port, post_batch, recreate_database, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("THUOCDO_BENCH_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench")
HTTP_BATCH = 10_000


def run(*, quick: bool) -> list[Figure]:
    """Measure on SQLite and PostgreSQL; returns the figures for the runner."""
    sizes = (
        {"n": 20_000, "baseline": 2_000, "http_batches": 2, "http_single": 300}
        if quick
        else {
            "n": 100_000,
            "baseline": 5_000,
            "http_batches": 6,
            "http_single": 1_000,
        }
    )
    figures: list[Figure] = []
    for db in ("sqlite", "postgresql"):
        result = _child(db, sizes)
        if result is None:
            figures.append(Figure(f"{db}: skipped (database not reachable)", 0, "docs/s"))
            continue
        stages = ", ".join(f"{name} {us:.1f}" for name, us in result["stages"].items())
        figures.append(
            Figure(
                f"{db}: file import, {result['n']:,} new documents",
                result["import"],
                "docs/s",
                baseline=result["orm"],
                baseline_name=f"ORM one by one, {result['baseline_n']:,} docs",
                target=50_000,
            )
        )
        figures.append(
            Figure(
                f"{db}: same file again (all duplicates)",
                result["reimport"],
                "docs/s",
                baseline=result["orm"],
                baseline_name="ORM one by one",
            )
        )
        figures.append(
            Figure(
                f"{db}: HTTP batch API, {result['http_docs']:,} documents in batches of {HTTP_BATCH:,}",
                result["http"],
                "docs/s",
                baseline=result["http_single"],
                baseline_name="one document a request",
                target=10_000,
            )
        )
        before = result["stages_before"]
        figures.append(
            Figure(
                f"{db}: CPU µs per document, this process (PostgreSQL server not included)",
                result["stages"]["total"],
                "µs",
                note=stages,
            )
        )
        figures.append(
            Figure(
                f"{db}: CPU µs per document in the single writer (unpickle, store, index under the lock, commit)",
                result["stages"]["serialized"],
                "µs",
                baseline=before["serialized"],
                baseline_name="index facts and cells computed under the lock",
                note=", ".join(f"{name} {us:.1f}" for name, us in before.items()) + " (before)",
            )
        )
    return figures


def _child(db: str, sizes: dict[str, int]) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix="thuocdo-bench-") as tmp:
        if db == "postgresql" and not recreate_database(PG_URL):
            return None
        env = child_env(database_url=PG_URL if db == "postgresql" else None, var_dir=tmp)
        args = [
            sys.executable,
            "-m",
            "bench.ingest",
            "--child",
            "--tmp",
            tmp,
            *(f"--{k}={v}" for k, v in sizes.items()),
        ]
        out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------
# The child process: one database, fresh.


def _child_main(opts: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench._settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from thuocdo.dossiers.synthetic import generate

    tmp = Path(opts.tmp)
    path = tmp / "hoso.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for doc in generate(opts.n, seed=766):
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")

    started = time.perf_counter()
    call_command("dossiers", "import", str(path), "--no-progress", stdout=open(os.devnull, "w"))  # noqa: SIM115
    import_rate = opts.n / (time.perf_counter() - started)
    started = time.perf_counter()
    call_command("dossiers", "import", str(path), "--no-progress", stdout=open(os.devnull, "w"))  # noqa: SIM115
    reimport_rate = opts.n / (time.perf_counter() - started)

    orm_rate = _orm_baseline(list(generate(opts.baseline, seed=767, first_seq=10_000_000)))
    # Interleaved, fresh documents each time: before (index under the lock) / after (prepared), twice.
    runs = [
        _stages(
            list(generate(10_000, seed=768 + i, first_seq=40_000_000 + i * 10_000)), prepared_index=i % 2 == 1
        )
        for i in range(4)
    ]
    stages = _mean(runs[1::2])
    before = _mean(runs[0::2])
    http_rate, http_docs, single_rate = _http(opts)
    print(
        json.dumps(
            {
                "n": opts.n,
                "import": import_rate,
                "reimport": reimport_rate,
                "baseline_n": opts.baseline,
                "orm": orm_rate,
                "http": http_rate,
                "http_docs": http_docs,
                "http_single": single_rate,
                "stages": stages,
                "stages_before": before,
            }
        )
    )


def _stages(docs: list[dict[str, Any]], *, prepared_index: bool = True) -> dict[str, float]:
    """CPU per document of each ingestion stage, one process, gc paused as the import pauses it.

    With `prepared_index` the index's facts and summed cells are made before the lock by the prepare
    hook (as the product does); without, under the lock from the documents (the path before it).
    "serialized" sums what runs in the single writer: unpickling, store, the index's part under the
    lock and the commit (on SQLite it bounds the import: the workers prepare in parallel).
    """
    import gc
    import pickle
    from dataclasses import replace
    from datetime import UTC, datetime

    from django.db import connection, transaction

    from thuocdo.dossiers import services
    from thuocdo.dossiers.files import decode_line
    from thuocdo.dossiers.signals import dossiers_stored

    lines = [json.dumps(d, ensure_ascii=False).encode() for d in docs]
    n = len(lines)
    lookups = services.load_lookups()
    bare = replace(lookups, contexts={})
    now = datetime.now(UTC)
    out: dict[str, float] = {}
    clock = time.process_time

    def timed(name: str, fn: Any) -> Any:
        started = clock()
        result = fn()
        out[name] = (clock() - started) * 1e6 / n
        return result

    enabled = gc.isenabled()
    gc.disable()
    try:
        objs = timed("decode", lambda: [decode_line(line) for line in lines])
        records = [(f"l{i}", o) for i, o in enumerate(objs)]
        prepared = timed(
            "validate+rows",
            lambda: services.prepare_documents(
                records, lookups=bare, vendor=connection.vendor, source_id=None, now=now
            ),
        )
        if prepared_index:
            timed(
                "index: prepare (facts, summed cells)",
                lambda: services.run_prepare_hooks(prepared, lookups=lookups, vendor=connection.vendor),
            )
        else:
            prepared.tally = None  # the tallies summed under the lock too, as before
        data = timed("pickle (worker)", lambda: pickle.dumps(prepared, protocol=5))
        prepared = timed("unpickle (writer)", lambda: pickle.loads(data))  # noqa: S301 - our own batch
        receivers = dossiers_stored.receivers[:]
        dossiers_stored.receivers.clear()
        try:
            if connection.vendor == "sqlite":  # as the import command's writer sets them
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA cache_size = -262144")
                    cursor.execute("PRAGMA temp_store = MEMORY")
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                timed(
                    "store (rows, steps, tallies)",
                    lambda: services.store_prepared(
                        prepared, source=None, batch="stages", now=now, lookups=lookups
                    ),
                )
                written = list(prepared.best.values())
                dossiers_stored.receivers[:] = receivers
                timed(
                    "index: under the lock" if prepared_index else "index: facts and cells under the lock",
                    lambda: services._announce(written, prepared=prepared),
                )
            except BaseException:
                atomic.__exit__(*sys.exc_info())
                raise
            timed("commit", lambda: atomic.__exit__(None, None, None))
        finally:
            dossiers_stored.receivers[:] = receivers
    finally:
        if enabled:
            gc.enable()
    out["total"] = sum(out.values())
    out["serialized"] = sum(v for k, v in out.items() if k in _SERIAL)
    return out


_SERIAL = (
    "unpickle (writer)",
    "store (rows, steps, tallies)",
    "index: under the lock",
    "index: facts and cells under the lock",
    "commit",
)


def _mean(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}


def _orm_baseline(docs: list[dict[str, Any]]) -> float:
    """Save documents one at a time through the ORM: what ingestion looks like without bulk SQL."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from thuocdo.core.dossier import parse_document
    from thuocdo.core.timeliness import original_due
    from thuocdo.dossiers import services
    from thuocdo.dossiers.models import Dossier, DossierStep, DossierTally

    lookups = services.load_lookups()
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    started = time.perf_counter()
    for start in range(0, len(lines), 5000):
        with transaction.atomic():
            for number, line in enumerate(lines[start : start + 5000], start=start + 1):
                obj = json.loads(line)
                d = parse_document(obj, record=f"line {number}")
                version = services._version(d)
                row = Dossier.objects.filter(code=d.code).first()
                if row is not None and row.version >= version:
                    continue
                row = row or Dossier(code=d.code)
                verdict = services._verdict(d, d.version_at)
                for name, value in {
                    "procedure_code": d.procedure_code,
                    "field_code": d.field_code,
                    "agency_code": d.agency_code,
                    "agency_id": lookups.agencies.get(d.agency_code),
                    "channel": int(d.channel),
                    "status": int(d.status),
                    "status_at": d.version_at,
                    "received_at": d.received_at,
                    "due_at": d.due_at,
                    "original_due_at": original_due(d, None)[0],
                    "finished_at": d.finished_at,
                    "returned_at": d.returned_at,
                    "supplement_count": len(d.supplements),
                    "online_payment": d.online_payment,
                    "fee_vnd": int(d.fee_total),
                    "has_e_result": d.has_electronic_result,
                    "digitised": d.has_digitised_component,
                    "vneid": d.vneid_verified,
                    "timeliness": verdict,
                    "version": version,
                    "content_hash": "",
                    "raw": json.dumps(obj, ensure_ascii=False, sort_keys=True),
                    "updated_at": timezone.now(),
                }.items():
                    setattr(row, name, value)
                row.save()
                row.steps.all().delete()
                for seq, s in enumerate(d.steps, start=1):
                    DossierStep.objects.create(
                        dossier=row,
                        seq=seq,
                        officer=s.handler,
                        title=s.title,
                        department=s.department,
                        started_at=s.started_at,
                        due_at=s.due_at,
                        acted_at=s.at,
                    )
                month = d.received_at.astimezone(services.VN_TZ).date().replace(day=1)
                tally, _ = DossierTally.objects.get_or_create(
                    agency_code=d.agency_code, procedure_code=d.procedure_code, month=month
                )
                DossierTally.objects.filter(pk=tally.pk).update(
                    received=F("received") + 1, finished=F("finished") + int(d.status in services.ENDED)
                )
    return len(lines) / (time.perf_counter() - started)


def _http(opts: argparse.Namespace) -> tuple[float, int, float]:
    from django.db import transaction

    from thuocdo.dossiers.services import create_source
    from thuocdo.dossiers.synthetic import generate

    with transaction.atomic():
        _, key = create_source(name=f"bench-{time.time_ns()}")
    port = free_port()
    server = start_gunicorn(port, os.environ.copy())
    try:
        _wait(port)
        batches = []
        first = 20_000_000
        for b in range(opts.http_batches):
            docs = list(generate(HTTP_BATCH, seed=800 + b, first_seq=first + b * HTTP_BATCH))
            batches.append(json.dumps({"documents": docs}, ensure_ascii=False).encode())
        singles = [
            json.dumps({"documents": [d]}, ensure_ascii=False).encode()
            for d in generate(opts.http_single, seed=900, first_seq=30_000_000)
        ]
        _post(port, key, batches[:1])  # warm both code paths before timing
        started = time.perf_counter()
        _post(port, key, batches[1:] if len(batches) > 1 else batches, clients=2)
        docs = HTTP_BATCH * max(1, len(batches) - 1)
        batch_rate = docs / (time.perf_counter() - started)
        started = time.perf_counter()
        _post(port, key, singles, clients=2)
        single_rate = len(singles) / (time.perf_counter() - started)
        return batch_rate, docs, single_rate
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _post(port: int, key: str, bodies: list[bytes], clients: int = 1) -> None:
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            if (failure := post_batch(conn, key, body)) is not None:
                failures.append(failure)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, first: {failures[0]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--tmp")
    for name in ("n", "baseline", "http_batches", "http_single"):
        parser.add_argument(f"--{name}", type=int)
    opts = parser.parse_args()
    if opts.child:
        _child_main(opts)
    else:
        from bench.__main__ import main

        sys.exit(main(["ingest", *sys.argv[1:]]))
