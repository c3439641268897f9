"""`thuocdo alerts send [--dry-run] [--now ISO]`: e-mail each subscribed official their digest, once per period."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from thuocdo.core.dossier import VN_TZ
from thuocdo.publication import alerts


class Command(BaseCommand):
    help = (
        "Alert digests for officials: indicators that dropped, dossiers near their deadline, targets at risk."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{send}")
        send = sub.add_parser(
            "send", help="send the digests due now (each subscription at most once a day or week)"
        )
        send.add_argument(
            "--dry-run", action="store_true", help="build the digests and list them; send nothing"
        )
        send.add_argument(
            "--now",
            default="",
            help="the moment to judge at, ISO 8601 (default: now; without offset: Vietnam time)",
        )
        send.add_argument(
            "--base-url", default="", help="site address for links (default: settings SITE_URL)"
        )
        send.add_argument("--user", default="", help="only this username")

    def handle(self, *args: Any, **options: Any) -> None:
        now = datetime.now(UTC)
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(
                    f"--now: thời điểm không hợp lệ «{options['now']}» (dùng ISO 8601)"
                ) from None
            now = now if now.tzinfo else now.replace(tzinfo=VN_TZ)
        base = options["base_url"] or alerts.base_url()
        counts: Counter[str] = Counter()
        for sid in alerts.subscriptions():
            # One transaction per official: a failure leaves the others sent and this one unmarked.
            with transaction.atomic():
                sub = alerts.locked(sid)
                if options["user"] and sub.user.username != options["user"]:
                    continue
                outcome = alerts.send_one(sub, now=now, base=base, dry_run=options["dry_run"])
            counts[outcome.status] += 1
            line = f"{outcome.user}: {outcome.status}"
            self.stdout.write(f"{line} · {outcome.subject}" if outcome.subject else line)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "không có đăng ký nào"
        self.stdout.write(self.style.SUCCESS(f"Bản tin cảnh báo: {summary}."))
