"""Demo staff accounts (filled in by the accounts work)."""

from __future__ import annotations

from typing import Any

DEMO_PASSWORD = "thuocdo-demo-2025"


def demo_logins() -> list[tuple[str, str]]:
    return []


def build(ctx: Any) -> None:
    return None
