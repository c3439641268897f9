"""`thuocdo dossiers`: import dossier files, inspect and replay the quarantine, manage source systems.

    thuocdo dossiers import hoso.jsonl hoso.csv [--source NAME] [--batch-size 5000]
    thuocdo dossiers quarantine list [--state open] [--batch B]
    thuocdo dossiers quarantine show ID
    thuocdo dossiers quarantine replay ID... | --all
    thuocdo dossiers quarantine discard ID...
    thuocdo dossiers sources add NAME | list | rotate NAME

Each import batch is committed on its own, so a run that stops half way can simply be run again:
documents already stored count as duplicates and change nothing.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.utils import timezone
from tqdm import tqdm

from thuocdo.dossiers import files, selectors, services
from thuocdo.dossiers.models import Quarantine, SourceSystem

SHOWN_ERRORS = 20


def _default_jobs() -> int:
    # Measured on 2 cores: with SQLite (in this process) two validating workers lift the rate by ~35%; with
    # PostgreSQL the server needs a core for its half of the work, and workers only add copying between processes.
    if connection.vendor == "sqlite":
        return min(2, os.cpu_count() or 1)
    return max(1, (os.cpu_count() or 1) - 2)


class _Pipeline:
    """Validate batches in worker processes while this process writes the previous ones, in file order.

    Validation (decode, parse, classify, build rows) is pure CPU and touches no database, so it runs
    in forked workers; writing stays here, one transaction per batch, so a batch is committed in order.
    With jobs=1 everything runs in this process.
    """

    def __init__(self, jobs: int, *, lookups: services.Lookups, source: SourceSystem | None) -> None:
        self.jobs = max(1, jobs)
        self.lookups = lookups
        self.source = source
        self.vendor = connection.vendor
        self.pool: ProcessPoolExecutor | None = None
        self.inflight: deque[tuple[Future[services.Prepared], str, Any]] = deque()

    def __enter__(self) -> _Pipeline:
        if self.jobs > 1:
            # Workers never use the database; closing first keeps forked children from holding a live
            # connection (inside an outer transaction, as in tests, it must stay open: they exit with os._exit).
            if not connection.in_atomic_block:
                connections.close_all()
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("fork")
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, records: list[tuple[str, Any]] | files.LineBlock, batch: str) -> services.IngestReport:
        """Queue a batch; returns the reports of batches that finished meanwhile."""
        now = timezone.now()
        source_id = self.source.pk if self.source else None
        if self.pool is None:
            prepared = services.prepare_documents(
                records, lookups=self.lookups, vendor=self.vendor, source_id=source_id, now=now
            )
            return self._store(prepared, batch, now)
        future = self.pool.submit(
            services.prepare_documents,
            records,
            lookups=self.lookups,
            vendor=self.vendor,
            source_id=source_id,
            now=now,
        )
        self.inflight.append((future, batch, now))
        report = services.IngestReport()
        while len(self.inflight) > self.jobs:
            report.add(self._next())
        return report

    def drain(self) -> services.IngestReport:
        """Store every batch still in flight."""
        report = services.IngestReport()
        while self.inflight:
            report.add(self._next())
        return report

    def _next(self) -> services.IngestReport:
        future, batch, now = self.inflight.popleft()
        # Unpickling a batch allocates a few hundred thousand objects at once; with the cyclic collector
        # running it took 2-3x longer (measured: 26 µs against 9 µs a document), and this is the busy process.
        enabled = gc.isenabled()
        gc.disable()
        try:
            prepared = future.result()
        finally:
            if enabled:
                gc.enable()
        return self._store(prepared, batch, now)

    def _store(self, prepared: services.Prepared, batch: str, now: Any) -> services.IngestReport:
        if self.vendor == "sqlite" and not connection.in_atomic_block:
            # This connection writes large batches: a page cache big enough for the indexes being filled
            # (256 MB at most, the default is 2 MB) and temporary b-trees in memory. Durability is unchanged
            # (WAL, synchronous=NORMAL).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
                cursor.execute("PRAGMA temp_store = MEMORY")
        with transaction.atomic():
            return services.store_prepared(
                prepared, source=self.source, batch=batch, now=now, lookups=self.lookups
            )


class Command(BaseCommand):
    help = "Nạp hồ sơ từ tệp, xem và nạp lại bản ghi bị cách ly, quản lý hệ thống nguồn."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="nạp tệp JSONL, JSON, CSV, XLSX hoặc Parquet")
        imp.add_argument("files", nargs="+", type=Path)
        imp.add_argument("--source", help="tên hệ thống nguồn (tạo bằng `sources add`)")
        imp.add_argument(
            "--format", choices=files.FORMATS, help="định dạng, nếu không đoán được từ phần mở rộng"
        )
        imp.add_argument(
            "--batch-size", type=int, default=5000, help="số hồ sơ mỗi giao dịch (mặc định 5000)"
        )
        imp.add_argument("--no-progress", action="store_true", help="không hiện thanh tiến trình")
        imp.add_argument(
            "--jobs",
            type=int,
            help="số tiến trình kiểm tra hồ sơ song song với việc ghi (mặc định: số lõi, tối đa 2)",
        )

        quarantine = sub.add_parser("quarantine", help="bản ghi bị cách ly")
        qsub = quarantine.add_subparsers(dest="qaction", required=True)
        qlist = qsub.add_parser("list")
        qlist.add_argument("--state", choices=[s for s, _ in Quarantine.State.choices], action="append")
        qlist.add_argument("--batch")
        qlist.add_argument("--limit", type=int, default=50)
        qshow = qsub.add_parser("show")
        qshow.add_argument("id", type=int)
        qreplay = qsub.add_parser("replay")
        qreplay.add_argument("ids", type=int, nargs="*")
        qreplay.add_argument("--all", action="store_true", help="mọi bản ghi đang chờ hoặc đã sửa")
        qdiscard = qsub.add_parser("discard")
        qdiscard.add_argument("ids", type=int, nargs="+")

        sources = sub.add_parser("sources", help="hệ thống nguồn và khóa API")
        ssub = sources.add_subparsers(dest="saction", required=True)
        sadd = ssub.add_parser("add")
        sadd.add_argument("name")
        ssub.add_parser("list")
        srotate = ssub.add_parser("rotate")
        srotate.add_argument("name")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "import":
            self.import_files(opts)
        elif action == "quarantine":
            getattr(self, f"quarantine_{opts['qaction']}")(opts)
        else:
            getattr(self, f"sources_{opts['saction']}")(opts)

    # ------------------------------------------------------------------------------------------
    def import_files(self, opts: dict[str, Any]) -> None:
        source = self._source(opts.get("source"))
        size = opts["batch_size"]
        if not 1 <= size <= services.MAX_BATCH:
            raise CommandError(f"--batch-size phải từ 1 đến {services.MAX_BATCH}")
        opened = []
        for path in opts["files"]:
            try:
                opened.append(files.open_source(path, opts.get("format")))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        lookups = services.load_lookups()
        jobs = opts["jobs"] if opts["jobs"] is not None else _default_jobs()
        total = services.IngestReport()
        started = time.perf_counter()
        count = 0
        with _Pipeline(jobs, lookups=lookups, source=source) as pipeline:
            for opened_file in opened:
                bar = tqdm(
                    total=opened_file.total or None,
                    unit=opened_file.unit,
                    unit_scale=opened_file.unit == "B",
                    desc=opened_file.path.name,
                    file=sys.stderr,
                    disable=opts["no_progress"] or None,
                    leave=True,
                )
                batch_name = f"file:{opened_file.path.name}:{timezone.now():%Y%m%dT%H%M%S}"
                try:
                    for batch in self._batches(opened_file, size, bar):
                        count += batch.count if isinstance(batch, files.LineBlock) else len(batch)
                        total.add(pipeline.submit(batch, batch_name))
                    total.add(pipeline.drain())
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
                finally:
                    bar.close()
        elapsed = time.perf_counter() - started
        self._summary(total, count, elapsed)

    @staticmethod
    def _batches(
        opened: files.Source, size: int, bar: Any
    ) -> Iterator[files.LineBlock | list[tuple[str, Any]]]:
        if opened.format == "jsonl":
            # Blocks of raw lines: split, decoded and located where they are validated, not here.
            yield from (b for b in files.read_line_blocks(opened, size=size, progress=bar) if b.count)
            return
        pending: list[tuple[str, Any]] = []
        for record in files.read_records(opened, progress=bar):
            pending.append(record)
            if len(pending) >= size:
                yield pending
                pending = []
        if pending:
            yield pending

    def _summary(self, report: services.IngestReport, count: int, elapsed: float) -> None:
        rate = count / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Đã đọc {count:,} bản ghi trong {elapsed:.1f} giây ({rate:,.0f} bản ghi/giây): "
            f"{report.accepted:,} được lưu, {report.duplicates:,} trùng lặp (không thay đổi), "
            f"{report.stale:,} cũ hơn bản đã lưu (bỏ qua), {len(report.rejected):,} bị từ chối (đưa vào khu cách ly)."
        )
        for r in report.rejected[:SHOWN_ERRORS]:
            self.stdout.write(f"  ✗ {r.where}, trường «{r.field}»: {r.message}")
        if len(report.rejected) > SHOWN_ERRORS:
            self.stdout.write(
                f"  … và {len(report.rejected) - SHOWN_ERRORS:,} lỗi khác: `thuocdo dossiers quarantine list`"
            )
        if report.unknown_agencies:
            codes = ", ".join(sorted(report.unknown_agencies)[:10])
            more = " …" if len(report.unknown_agencies) > 10 else ""
            self.stdout.write(
                f"Mã đơn vị chưa có trong danh mục ({len(report.unknown_agencies)}): {codes}{more}"
            )

    def _source(self, name: str | None) -> SourceSystem | None:
        if not name:
            return None
        source = selectors.source_named(name=name)
        if source is None:
            raise CommandError(
                f"không có hệ thống nguồn «{name}»; tạo bằng `thuocdo dossiers sources add {name}`"
            )
        return source

    # ------------------------------------------------------------------------------------------
    def quarantine_list(self, opts: dict[str, Any]) -> None:
        items = list(
            selectors.quarantined(states=opts.get("state"), batch=opts.get("batch"))[: opts["limit"]]
        )
        if not items:
            self.stdout.write("Không có bản ghi nào bị cách ly.")
            return
        for item in items:
            first = item.errors[0] if item.errors else {}
            self.stdout.write(
                f"#{item.pk} [{item.get_state_display()}] {item.location} {item.record or '-'}: "
                f"«{first.get('field', '')}» {first.get('message', '')}"
            )

    def quarantine_show(self, opts: dict[str, Any]) -> None:
        item = self._quarantined(opts["id"])
        self.stdout.write(
            f"#{item.pk} {item.get_kind_display()} · {item.get_state_display()} · lô {item.batch}"
        )
        self.stdout.write(f"Vị trí: {item.location}   Hệ thống nguồn: {item.source or '-'}")
        for error in item.errors:
            self.stdout.write(
                f"  ✗ {error.get('record')}, trường «{error.get('field')}»: {error.get('message')}"
            )
        try:
            pretty = json.dumps(json.loads(item.raw), ensure_ascii=False, indent=2)
        except ValueError:
            pretty = item.raw
        self.stdout.write(pretty)

    def quarantine_replay(self, opts: dict[str, Any]) -> None:
        if opts["all"]:
            items = list(
                selectors.quarantined(states=[Quarantine.State.OPEN, Quarantine.State.FIXED]).order_by("id")
            )
        elif opts["ids"]:
            items = [self._quarantined(i) for i in opts["ids"]]
        else:
            raise CommandError("cần mã bản ghi (ID) hoặc --all")
        with transaction.atomic():
            report = services.replay_quarantined(items=items, now=timezone.now(), actor="cli")
        replayed = report.accepted + report.duplicates + report.stale
        self.stdout.write(f"Đã nạp lại {replayed:,} bản ghi; {len(report.rejected):,} vẫn còn lỗi.")
        for r in report.rejected[:SHOWN_ERRORS]:
            self.stdout.write(f"  ✗ {r.where}, trường «{r.field}»: {r.message}")

    def quarantine_discard(self, opts: dict[str, Any]) -> None:
        with transaction.atomic():
            for pk in opts["ids"]:
                services.discard_quarantined(item=self._quarantined(pk), actor="cli")
        self.stdout.write(f"Đã loại bỏ {len(opts['ids'])} bản ghi.")

    def _quarantined(self, pk: int) -> Quarantine:
        item = selectors.quarantined().filter(pk=pk).first()
        if item is None:
            raise CommandError(f"không có bản ghi cách ly #{pk}")
        return item

    # ------------------------------------------------------------------------------------------
    def sources_add(self, opts: dict[str, Any]) -> None:
        if selectors.source_named(name=opts["name"]) is not None:
            raise CommandError(
                f"hệ thống nguồn «{opts['name']}» đã có; dùng `sources rotate` để cấp khóa mới"
            )
        with transaction.atomic():
            source, key = services.create_source(name=opts["name"], actor="cli")
        self.stdout.write(f"Đã tạo hệ thống nguồn «{source.name}». Khóa API (chỉ hiện một lần, hãy lưu lại):")
        self.stdout.write(key)

    def sources_list(self, opts: dict[str, Any]) -> None:
        for source in selectors.sources():
            state = "hoạt động" if source.active else "ngừng"
            self.stdout.write(f"{source.name}\t{source.key_prefix}…\t{state}\t{source.created_at:%d/%m/%Y}")

    def sources_rotate(self, opts: dict[str, Any]) -> None:
        source = self._source(opts["name"])
        assert source is not None
        with transaction.atomic():
            key = services.rotate_source_key(source=source, actor="cli")
        self.stdout.write(f"Khóa API mới của «{source.name}» (khóa cũ hết hiệu lực):")
        self.stdout.write(key)
