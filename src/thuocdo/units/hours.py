"""Office hours written as "07:00-11:30,13:30-17:00" (pure: no Django)."""

from __future__ import annotations

import re

_SPAN = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*[-–]\s*(\d{1,2})[:hH](\d{2})\s*$")


class OfficeHoursError(ValueError):
    """The text is not a list of HH:MM-HH:MM spans in increasing, non-overlapping order."""


def parse_office_hours(text: str) -> list[list[str]]:
    """Parse "07:00-11:30,13:30-17:00" into [["07:00", "11:30"], ["13:30", "17:00"]]; empty text gives []."""
    spans: list[list[str]] = []
    previous_end = -1
    for part in (p for p in re.split(r"[,;]", text) if p.strip()):
        match = _SPAN.match(part)
        if not match:
            raise OfficeHoursError(f"«{part.strip()}» không đúng dạng HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise OfficeHoursError(f"«{part.strip()}» có giờ không hợp lệ")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise OfficeHoursError(f"«{part.strip()}»: giờ kết thúc phải sau giờ bắt đầu")
        if start < previous_end:
            raise OfficeHoursError(f"«{part.strip()}» chồng lấn hoặc không theo thứ tự thời gian")
        previous_end = end
        spans.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"])
    return spans


def format_office_hours(spans: list[list[str]]) -> str:
    """The inverse of parse_office_hours."""
    return ",".join(f"{start}-{end}" for start, end in spans)
