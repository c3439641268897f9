"""local_today keeps the date until local midnight, and is never a day off whatever the order of instants."""

from __future__ import annotations

from datetime import datetime
from unittest.mock import patch
from zoneinfo import ZoneInfo

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.shared import clock

ZONES = ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"]  # DST of every kind
# 2024-2026, around the instants where caches go wrong: midnights and DST changes.
instants = st.floats(min_value=1_704_067_200, max_value=1_798_761_600, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), times=st.lists(instants, min_size=1, max_size=12))
def test_local_today_is_the_date_at_that_instant_in_the_active_zone(zone, times):
    with timezone.override(ZoneInfo(zone)):
        for t in times:
            with patch.object(clock, "_epoch", lambda t=t: t):
                assert clock.local_today() == datetime.fromtimestamp(t, ZoneInfo(zone)).date()


def test_the_date_turns_at_local_midnight():
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    midnight = datetime(2026, 11, 24, tzinfo=zone).timestamp()
    with timezone.override(zone):
        with patch.object(clock, "_epoch", lambda: midnight - 0.001):
            assert clock.local_today().isoformat() == "2026-11-23"
        with patch.object(clock, "_epoch", lambda: midnight):
            assert clock.local_today().isoformat() == "2026-11-24"
    assert clock.local_today() == timezone.localdate()  # the real clock, the project's zone
