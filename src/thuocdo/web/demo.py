"""The demo province, built step by step by each domain's own `demo.build(ctx)`.

Steps run in dependency order inside one transaction (committed here, at the edge); a domain
adds its data by providing `thuocdo/<domain>/demo.py` with `build(ctx: DemoContext) -> None`.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Tỉnh Đắk Lắk after 1 July 2025 (merged with Phú Yên): 102 communes and wards, a realistic mid-sized province.
DEMO_PROVINCE_CODE = "66"

STEPS = [
    "calendars",
    "units",
    "catalog",
    "accounts",
    "dossiers",
    "indices",  # a year of dossiers through the real ingest path, before surveys rate them
    "feedback",  # categories and routing exist before poor dossier ratings open service-recovery cases
    "surveys",
    "publication",
]


@dataclass
class DemoContext:
    province_code: str = DEMO_PROVINCE_CODE
    today: date = field(default_factory=date.today)
    seed: int = 766
    scale: float = 1.0
    say: Callable[[str], Any] = print
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, password, role label)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


def build_demo(ctx: DemoContext) -> None:
    from django.test.utils import override_settings

    # The demo's citizens are invented: never e-mail or text them.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        THUOCDO_SMS_SENDER="thuocdo.web.demo.discard_sms",
    ):
        _build_steps(ctx)


def discard_sms(phone: str, text: str) -> None:
    """SMS sender used while building the demo."""


def _build_steps(ctx: DemoContext) -> None:
    for step in STEPS:
        try:
            module = importlib.import_module(f"thuocdo.{step}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"thuocdo.{step}.demo":
                continue
            raise
        ctx.say(f"· {step}")
        module.build(ctx)
