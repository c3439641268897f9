"""How figures are written for Vietnamese readers: decimal comma, dot thousands, dd/mm/yyyy, rating bands.

Vietnamese official documents write 83,94% and 1.234.567 whatever language the page is in, so these
helpers do not follow the active locale: a figure reads the same on /en/ as on the Vietnamese page.
Rounding is half-up on the decimal value, as in published reports (83,945 → 83,95), never on a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

MISSING = "—"


def to_decimal(value: object) -> Decimal | None:
    """A finite Decimal from a number or numeric string, or None when there is no figure."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_number(value: object, decimals: int = 0) -> str:
    """1234567.891 → "1.234.567,89" with `decimals` digits after the comma; "—" when there is no figure."""
    number = to_decimal(value)
    if number is None:
        return MISSING
    decimals = max(int(decimals), 0)
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never print "-0"
    text = f"{abs(rounded):,.{decimals}f}"  # 1,234,567.89
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"-{text}" if rounded < 0 else text


def format_percent(value: object, decimals: int = 2) -> str:
    """A percentage given in points (83.94, not 0.8394) → "83,94%"."""
    text = format_number(value, decimals)
    return text if text == MISSING else f"{text}%"


def format_date(value: object) -> str:
    """A date or datetime → "dd/mm/yyyy"; aware datetimes are shown in the site's time zone."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return MISSING if value in (None, "") else str(value)


@dataclass(frozen=True)
class Band:
    code: str
    label: str | Promise
    css: str


# Only the names and their look live here: the score cut-offs are rule-set data owned by the indices app.
BANDS = (
    Band("excellent", _("Xuất sắc"), "band-excellent"),
    Band("good", _("Tốt"), "band-good"),
    Band("fair", _("Khá"), "band-fair"),
    Band("average", _("Trung bình"), "band-average"),
    Band("weak", _("Yếu"), "band-weak"),
)
_VIETNAMESE_SLUGS = {
    "xuat-sac": "excellent",
    "tot": "good",
    "kha": "fair",
    "trung-binh": "average",
    "yeu": "weak",
}
_BY_CODE = {band.code: band for band in BANDS}


def find_band(value: object) -> Band | None:
    """The band named by a code ("good") or a Vietnamese label in any case or accent ("Tốt", "TOT")."""
    if value is None:
        return None
    key = slugify(str(value))
    return _BY_CODE.get(_VIETNAMESE_SLUGS.get(key, key))
