from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from thuocdo.feedback import services


class Command(BaseCommand):
    help = (
        "Citizen feedback: escalate submissions near their deadline; issue Open311 API keys; "
        "recompute the stored late spans of indicator 5.2."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        escalate = sub.add_parser(
            "escalate", help="e-mail agency heads about open submissions due within the horizon"
        )
        escalate.add_argument("--hours", type=int, default=48, help="horizon in hours (default 48)")
        key = sub.add_parser(
            "open311-key", help="issue an API key for a third-party Open311 client (shown once)"
        )
        key.add_argument("name", help="the client's name, e.g. 'Ứng dụng Đắk Lắk trực tuyến'")
        sub.add_parser(
            "refresh-facts",
            help=(
                "recompute every submission's late spans and the monthly 5.x cells "
                "(run after the holiday table or office hours change)"
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            if options["action"] == "escalate":
                count = services.escalate_at_risk(
                    now=timezone.now(), horizon=timedelta(hours=int(options["hours"]))
                )  # type: ignore[call-overload]
                self.stdout.write(f"Đã báo {count} phản ánh sắp đến hạn cho lãnh đạo cơ quan.")
            elif options["action"] == "refresh-facts":
                count = services.refresh_late_spans()
                self.stdout.write(f"Đã tính lại thời hạn xử lý (chỉ số 5.2) của {count} phản ánh.")
            else:
                _, raw = services.issue_open311_key(name=str(options["name"]))
                self.stdout.write(f"api_key (lưu lại, sẽ không hiển thị lần nữa): {raw}")
