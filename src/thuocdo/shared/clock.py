"""Today's date in the current time zone, for code that asks on every request.

`timezone.localdate()` converts the current instant through zoneinfo each time (≈ 30 µs, a few percent of
a survey submission); the date only changes at local midnight, so it is kept until then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from time import time

from django.utils import timezone

_epoch = time  # seconds since the epoch; tests replace it

_HELD: dict[tzinfo, tuple[float, float, date]] = {}  # zone → (valid from, valid until: epoch seconds, date)


def local_today() -> date:
    """The current date in the active time zone (as timezone.localdate())."""
    zone = timezone.get_current_timezone()
    now = _epoch()
    held = _HELD.get(zone)
    if held is not None and held[0] <= now < held[1]:
        return held[2]
    local = datetime.fromtimestamp(now, zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)  # aware arithmetic is wall-clock: the next local midnight, DST or not
    _HELD[zone] = (start.timestamp(), end.timestamp(), local.date())
    return local.date()
