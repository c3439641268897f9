"""`thuocdo audit verify` checks the hash chain; `thuocdo audit tail` shows the latest entries."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from thuocdo.audit.selectors import entry_count, iter_entries, recent_entries, verify_chain


def _anchor(text: str) -> tuple[int, str]:
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ValueError(text)
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "The audit log: verify the hash chain, or show the latest entries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,tail}")
        verify = sub.add_parser(
            "verify", help="recompute every hash and check the chain; exit 1 at the first break"
        )
        verify.add_argument(
            "--batch-size", type=int, default=2000, help="entries read per query (default 2000)"
        )
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            type=_anchor,
            metavar="SEQ:HASH",
            help="a seq and hash noted earlier (from `audit tail`); catches a log cut short or rewritten. Repeatable.",
        )
        verify.add_argument("--no-progress", action="store_true", help="no progress bar")
        tail = sub.add_parser("tail", help="show the latest entries, oldest first")
        tail.add_argument("-n", type=int, default=20, help="how many entries (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options)
        else:
            self._tail(options["n"])

    def _verify(self, options: dict[str, Any]) -> None:
        total = entry_count()
        with tqdm(
            total=total, unit=" entries", file=sys.stderr, disable=options["no_progress"] or None, leave=False
        ) as bar:
            report = verify_chain(
                iter_entries(batch_size=options["batch_size"]),
                anchors=dict(options["anchor"]),
                on_entry=lambda _entry: bar.update(1),
            )
        if report.broken is not None:
            raise CommandError(
                f"BROKEN at seq {report.broken.seq}: {report.broken.reason} "
                f"({report.checked} entries intact before it)",
                returncode=1,
            )
        self.stdout.write(f"OK: {report.checked} entries, chain intact")
        if report.head_seq:
            self.stdout.write(f"head: {report.head_seq}:{report.head_hash}")

    def _tail(self, n: int) -> None:
        entries = recent_entries(n)
        if not entries:
            self.stdout.write("The audit log is empty.")
            return
        for e in entries:
            when = timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S")
            target = f"{e.object_type}:{e.object_id}" if e.object_type or e.object_id else "-"
            self.stdout.write(
                f"#{e.seq:<6} {when}  {e.actor or '-':<20} {e.action:<28} {target}  {e.summary}"
            )
        last = entries[-1]
        self.stdout.write(f"head: {last.seq}:{last.hash}")
