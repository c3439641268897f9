"""`thuocdo campaigns …`: survey collection chores from the command line.

thuocdo campaigns sync-instruments
thuocdo campaigns draw SLUG [--seed N] [--frame danh-sach.csv]
thuocdo campaigns kiosk SLUG --agency CODE --counter "Quầy 1" [--mode faces|like]
thuocdo campaigns enumerator-key SLUG
thuocdo campaigns remind SLUG --base-url https://thuocdo.example.gov.vn
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from thuocdo.shared.tabular import ImportFailed, read_table
from thuocdo.surveys import selectors, services


class Command(BaseCommand):
    help = "Survey collection: load instruments, draw samples, register kiosks, enumerator keys, reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sync-instruments", help="store the shipped instrument versions in the database")
        draw = sub.add_parser("draw", help="draw the stratified sample and create invitations")
        draw.add_argument("slug")
        draw.add_argument("--seed", type=int)
        draw.add_argument(
            "--frame", help="CSV/XLSX frame (ma, tang[, ten_tang, dien_thoai]); default: dossiers"
        )
        kiosk = sub.add_parser("kiosk", help="register a counter tablet and print its URL key once")
        kiosk.add_argument("slug")
        kiosk.add_argument("--agency", required=True)
        kiosk.add_argument("--counter", required=True)
        kiosk.add_argument("--mode", choices=["faces", "like"], default="faces")
        key = sub.add_parser("enumerator-key", help="new ODK Collect server URL key for a campaign")
        key.add_argument("slug")
        remind = sub.add_parser("remind", help="SMS reminders to unanswered invitations")
        remind.add_argument("slug")
        remind.add_argument("--base-url", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                self._run(options)
        except (services.SurveyError, ImportFailed) as exc:
            raise CommandError(str(exc)) from exc

    def _campaign(self, slug: str) -> Any:
        campaign = selectors.campaign_by_slug(slug)
        if campaign is None:
            raise CommandError(f"Không có đợt khảo sát «{slug}».")
        return campaign

    def _run(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "sync-instruments":
            for row in services.sync_builtin_instruments(actor="cli"):
                self.stdout.write(f"{row.key}\t{row.status}\t{row.content_hash}")
        elif action == "draw":
            campaign = self._campaign(options["slug"])
            frame = (
                services.frame_from_table(read_table(options["frame"]))
                if options["frame"]
                else selectors.frame_from_dossiers(campaign)
            )
            draw = services.draw_sample(campaign=campaign, frame=frame, actor="cli", seed=options["seed"])
            self.stdout.write(
                f"N={draw.population} n={draw.sample_size} seed={draw.seed} invitations={draw.invitations}"
            )
            for stratum, n in sorted(draw.allocation.items()):
                self.stdout.write(f"  {stratum}\t{n}")
        elif action == "kiosk":
            campaign = self._campaign(options["slug"])
            agency = selectors.agency_by_code(options["agency"])
            if agency is None:
                raise CommandError(f"Không có cơ quan mã «{options['agency']}».")
            _kiosk, key = services.create_kiosk(
                agency=agency,
                counter=options["counter"],
                campaign=campaign,
                actor="cli",
                mode=options["mode"],
            )
            self.stdout.write(f"/quay/{key}/")
        elif action == "enumerator-key":
            key = services.set_enumerator_key(campaign=self._campaign(options["slug"]), actor="cli")
            self.stdout.write(f"/openrosa/key/{key}/")
        elif action == "remind":
            sent = services.send_reminders(
                campaign=self._campaign(options["slug"]),
                today=timezone.localdate(),
                base_url=options["base_url"],
            )
            self.stdout.write(f"sent={sent}")
