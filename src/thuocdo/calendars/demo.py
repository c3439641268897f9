"""Demo data: the shipped table of announced days off 2014–2026."""

from __future__ import annotations

from typing import Any

from thuocdo.calendars.services import load_calendar_days


def build(ctx: Any) -> None:
    """Load the holiday table shipped with the package (idempotent)."""
    result = load_calendar_days(actor="demo")
    ctx.say(f"  lịch ngày nghỉ: {len(result.created)} ngày thêm mới, {len(result.updated)} cập nhật")
