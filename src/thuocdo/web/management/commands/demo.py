from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from thuocdo.web.demo import DemoContext, build_demo


class Command(BaseCommand):
    help = "Build the demo province (Tỉnh Đắk Lắk): units, agencies, procedures, staff of every role and, as parts land, dossiers, surveys and feedback."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the demo has already been loaded"
        )
        parser.add_argument("--seed", type=int, default=766, help="random seed (the demo is reproducible)")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply the volume of generated records"
        )
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="pretend today is this date (YYYY-MM-DD)"
        )

    def handle(self, *args: object, **options: object) -> None:
        from thuocdo.units.models import Agency

        if options["if_empty"] and Agency.objects.exists():
            self.stdout.write("Demo data already loaded; skipping (run `thuocdo demo` to rebuild).")
            self._print_logins(None)
            return
        ctx = DemoContext(seed=int(options["seed"]), scale=float(options["scale"]), say=self.stdout.write)  # type: ignore[call-overload]
        if options["today"]:
            ctx.today = options["today"]  # type: ignore[assignment]
        with transaction.atomic():
            build_demo(ctx)
        self._print_logins(ctx)

    def _print_logins(self, ctx: DemoContext | None) -> None:
        from thuocdo.accounts.demo import DEMO_PASSWORD, demo_logins

        self.stdout.write(self.style.SUCCESS("\nThước Đo is ready at http://127.0.0.1:8000"))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<24} {role}")
