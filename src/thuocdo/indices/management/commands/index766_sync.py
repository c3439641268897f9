"""Keep the 766 index current with the dossier table, or check it against a batch recompute.

thuocdo index766_sync                 # fold in dossiers changed since the last run
thuocdo index766_sync --follow        # ... every 0.2 s until stopped (the real-time feed)
thuocdo index766_sync --rebuild       # derive every fact again (after a catalogue or parameter change)
thuocdo index766_sync --check duckdb  # recompute the day cells with ibis and compare with the stored ones
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from thuocdo.indices import recompute, selectors, services


class Command(BaseCommand):
    help = "Đồng bộ chỉ số 766 với bảng hồ sơ, hoặc đối chiếu với phép tính lại toàn bộ"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep syncing every --interval seconds")
        parser.add_argument("--interval", type=float, default=0.2)
        parser.add_argument(
            "--full-every",
            type=float,
            default=600,
            help="with --follow: compare every dossier this often (seconds)",
        )
        parser.add_argument("--rebuild", action="store_true", help="derive every fact and cell again")
        parser.add_argument(
            "--check", choices=["duckdb", "spark", "postgres"], help="compare with a batch recompute"
        )
        parser.add_argument("--database-url", default="", help="for --check postgres: the database to read")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check(options["check"], options["database_url"])
            return
        if options["rebuild"]:
            with transaction.atomic():
                report = services.rebuild_facts(now=datetime.now(UTC))
            self.stdout.write(f"Đã tính lại {report.changed:,} hồ sơ.")
            return
        last_full = time.monotonic()
        while True:
            # A batch whose commit came long after its `now` slips past the look-back; the full pass catches it.
            full = options["follow"] and time.monotonic() - last_full > options["full_every"]
            with transaction.atomic():
                report = services.sync_facts(full=full, now=datetime.now(UTC))
            if full:
                last_full = time.monotonic()
            if report.changed or not options["follow"]:
                self.stdout.write(f"{report.changed:,} hồ sơ thay đổi / {report.examined:,} đã xem.")
            if not options["follow"]:
                return
            time.sleep(options["interval"])

    def _check(self, engine: str, url: str) -> None:
        began = time.monotonic()
        if engine == "postgres":
            if not url:
                raise CommandError("--check postgres cần --database-url")
            table = recompute.postgres_table(url)
        else:
            snap = recompute.snapshot(selectors.fact_rows())
            table = recompute.duckdb_table(snap) if engine == "duckdb" else recompute.spark_table(snap)
        batch = recompute.run_cells(table)
        stored = selectors.stored_cells()
        differ = {k for k in batch.keys() | stored.keys() if batch.get(k) != stored.get(k)}
        seconds = time.monotonic() - began
        if differ:
            raise CommandError(
                f"{len(differ):,} ô khác nhau giữa tính tăng dần và tính lại ({engine}), ví dụ {sorted(differ)[:3]}"
            )
        self.stdout.write(f"Khớp: {len(stored):,} ô ngày ({engine}, {seconds:.1f} giây).")
