"""The Vietnamese lunisolar calendar (âm lịch), computed for the UTC+7 meridian.

This is Hồ Ngọc Đức's astronomical algorithm, the one Vietnamese calendars are printed from:
a lunar month starts on the local day of a new moon; month 11 is the month that contains the
winter solstice; in a year with 13 months the first month (counted from month 11) without a
major solar term is the leap month and repeats the number of the month before it.

Because the day is decided at UTC+7, Vietnamese dates occasionally differ from Chinese (UTC+8)
tables: Tết 1985 and the leap month of 2033 are the well-known cases. The astronomy uses
truncated series (Meeus), accurate to minutes, which is enough for every year from 1900 to 2100;
the tests check every day from 2014 to 2035.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

TIME_ZONE_HOURS = 7.0
# Julian Day Number of date.min (0001-01-01) is 1721426; toordinal() counts it as 1.
_JDN_OFFSET = 1721425
_SYNODIC_MONTH = 29.530588853
_EPOCH_NEW_MOON = 2415021.076998695  # the new moon of 1900-01-01, the origin of the lunation count k


@dataclass(frozen=True, order=True)
class LunarDate:
    """A day of the lunar calendar: year, month (1–12), day (1–30) and whether the month is the leap one."""

    year: int
    month: int
    day: int
    leap: bool = False

    def __str__(self) -> str:
        leap = " nhuận" if self.leap else ""
        return f"{self.day}/{self.month}{leap}/{self.year} âm lịch"


def _jdn(d: date) -> int:
    return d.toordinal() + _JDN_OFFSET


def _from_jdn(jdn: int) -> date:
    return date.fromordinal(jdn - _JDN_OFFSET)


def _new_moon(k: int) -> float:
    # Julian day (UT) of the k-th new moon after 1900-01-01 (Meeus, Astronomical Algorithms, ch. 49, truncated).
    t = k / 1236.85
    t2 = t * t
    t3 = t2 * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        deltat = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        deltat = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - deltat


def _sun_longitude(jd: float) -> float:
    # Apparent solar longitude in radians, normalised to [0, 2π), at Julian day `jd` (UT).
    t = (jd - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    longitude = (l0 + dl) * dr
    return longitude - math.pi * 2 * math.floor(longitude / (math.pi * 2))


def _sun_sector(day_jdn: int) -> int:
    # Which 30° sector (0–11) the sun is in at local midnight starting that day; sector 9 begins at the winter solstice.
    return math.floor(_sun_longitude(day_jdn - 0.5 - TIME_ZONE_HOURS / 24) / math.pi * 6)


@lru_cache(maxsize=4096)
def _new_moon_day(k: int) -> int:
    return math.floor(_new_moon(k) + 0.5 + TIME_ZONE_HOURS / 24)


@lru_cache(maxsize=512)
def _month11_start(year: int) -> int:
    # JDN of the first day of lunar month 11 (the month containing the winter solstice) of solar `year`.
    off = _jdn(date(year, 12, 31)) - 2415021
    k = math.floor(off / _SYNODIC_MONTH)
    start = _new_moon_day(k)
    if _sun_sector(start) >= 9:
        start = _new_moon_day(k - 1)
    return start


@lru_cache(maxsize=512)
def _leap_month_offset(a11: int) -> int:
    # Months after month 11 until the first month with no major solar term (the leap month).
    k = math.floor((a11 - _EPOCH_NEW_MOON) / _SYNODIC_MONTH + 0.5)
    i = 1
    arc = _sun_sector(_new_moon_day(k + i))
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i))
        if arc == last or i >= 14:
            break
    return i - 1


def to_lunar(d: date) -> LunarDate:
    """Convert a solar (Gregorian) date to the Vietnamese lunar date."""
    day_number = _jdn(d)
    k = math.floor((day_number - _EPOCH_NEW_MOON) / _SYNODIC_MONTH)
    month_start = _new_moon_day(k + 1)
    if month_start > day_number:
        month_start = _new_moon_day(k)
    a11 = _month11_start(d.year)
    b11 = a11
    if a11 >= month_start:
        lunar_year = d.year
        a11 = _month11_start(d.year - 1)
    else:
        lunar_year = d.year + 1
        b11 = _month11_start(d.year + 1)
    lunar_day = day_number - month_start + 1
    diff = math.floor((month_start - a11) / 29)
    leap = False
    lunar_month = diff + 11
    if b11 - a11 > 365:
        leap_diff = _leap_month_offset(a11)
        if diff >= leap_diff:
            lunar_month = diff + 10
            leap = diff == leap_diff
    if lunar_month > 12:
        lunar_month -= 12
    if lunar_month >= 11 and diff < 4:
        lunar_year -= 1
    return LunarDate(lunar_year, lunar_month, lunar_day, leap)


def _month_start(year: int, month: int, leap: bool) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"lunar month must be 1–12, got {month}")
    if month < 11:
        a11 = _month11_start(year - 1)
        b11 = _month11_start(year)
    else:
        a11 = _month11_start(year)
        b11 = _month11_start(year + 1)
    k = math.floor(0.5 + (a11 - _EPOCH_NEW_MOON) / _SYNODIC_MONTH)
    off = month - 11
    if off < 0:
        off += 12
    if b11 - a11 > 365:
        leap_off = _leap_month_offset(a11)
        leap_month = leap_off - 2
        if leap_month < 0:
            leap_month += 12
        if leap and month != leap_month:
            raise ValueError(f"lunar year {year} has no leap month {month}")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"lunar year {year} has no leap month")
    return _new_moon_day(k + off)


def leap_month(year: int) -> int | None:
    """The number of the leap month in lunar `year`, or None in a 12-month year."""
    for month in range(1, 13):
        try:
            _month_start(year, month, True)
        except ValueError:
            continue
        return month
    return None


def month_length(year: int, month: int, leap: bool = False) -> int:
    """Days (29 or 30) in a lunar month."""
    start = _month_start(year, month, leap)
    # The month's lunation number, rounded: the true new moon strays at most about a day from the mean one.
    k = math.floor((start - _EPOCH_NEW_MOON) / _SYNODIC_MONTH + 0.5)
    return _new_moon_day(k + 1) - start


def to_solar(year: int, month: int, day: int, leap: bool = False) -> date:
    """Convert a Vietnamese lunar date to the solar date; ValueError if the day does not exist."""
    start = _month_start(year, month, leap)
    length = month_length(year, month, leap)
    if not 1 <= day <= length:
        raise ValueError(
            f"lunar month {month}{' (leap)' if leap else ''}/{year} has {length} days, not {day}"
        )
    return _from_jdn(start + day - 1)


def tet(year: int) -> date:
    """The solar date of Tết Nguyên đán (day 1 of month 1) of lunar `year`."""
    return to_solar(year, 1, 1)


def lunar_new_years_eve(year: int) -> date:
    """The last day of lunar `year - 1`, the eve of Tết of `year` (29 or 30 tháng Chạp)."""
    return tet(year) - timedelta(days=1)
