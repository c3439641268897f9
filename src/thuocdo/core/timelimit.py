"""Time limits of administrative procedures, read from the text the national TTHC database shows.

The database writes a procedure's time limit (thời hạn giải quyết) as free text: "05 ngày làm việc
kể từ ngày nhận đủ hồ sơ hợp lệ", "Trong ngày làm việc", "15 ngày", "03 giờ làm việc". We keep a
number and a unit. The first time limit stated wins: the rest of such text qualifies it (special
cases, extensions) and is not what a dossier is measured against.

"Trong ngày" (the same working day) is stored as half a working day: a request received in the
afternoon then falls due the next morning, which is how the one-stop rules treat late requests.
Months, weeks and plain clock hours are refused rather than guessed: converting them needs a
decision by the person importing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from thuocdo.core.text import fold

__all__ = [
    "SAME_DAY",
    "TimeLimit",
    "TimeLimitError",
    "TimeUnit",
    "format_time_limit",
    "format_value",
    "parse_time_limit",
    "parse_unit",
    "unit_label",
]


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"


class TimeLimitError(ValueError):
    """The text does not state a time limit we can use; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class TimeLimit:
    value: Decimal
    unit: TimeUnit


SAME_DAY = TimeLimit(Decimal("0.5"), TimeUnit.WORKING_DAYS)
MAX_VALUE = Decimal("999999.99")  # what the catalogue's column holds

_LABELS = {
    TimeUnit.WORKING_DAYS: "ngày làm việc",
    TimeUnit.CALENDAR_DAYS: "ngày",
    TimeUnit.WORKING_HOURS: "giờ làm việc",
}

# Folded (accent-free, lower-case) spellings of each unit, as found in unit columns.
_UNIT_NAMES = {
    TimeUnit.WORKING_DAYS: {"working_days", "working days", "ngay lam viec", "ngay lv", "nglv", "wd"},
    TimeUnit.CALENDAR_DAYS: {"calendar_days", "calendar days", "ngay", "ngay lich", "ngay theo lich", "cd"},
    TimeUnit.WORKING_HOURS: {"working_hours", "working hours", "gio lam viec", "gio lv", "wh"},
}

_NOT_STATED = {"", "-", "--", "khong", "khong quy dinh", "khong co", "chua quy dinh", "khong xac dinh"}

_NUMBER = r"(?P<num>\d+(?:[.,]\d+)?)"
_GLOSS = r"(?:\s*\([^)]*\))?"  # "05 (năm) ngày": the number repeated in words
_UNIT = r"(?P<unit>ngay lam viec|ngay lv|ngay|gio lam viec|gio lv|gio|thang|tuan|nam|phut)\b"
_DIGIT_LIMIT = re.compile(rf"(?<![\d.,]){_NUMBER}{_GLOSS}\s*{_UNIT}")
_SAME_DAY = re.compile(r"\btrong (?:cung )?ngay\b(?!\s*\d)")
_BARE_NUMBER = re.compile(rf"^{_NUMBER}$")

# Numbers in words are read only from accented text: folded, "sáu" (six) is "sau" (after) and
# "tư" (four) is "từ" (from), which would turn "kể từ ngày" into four days.
_WORD_VALUES = {
    "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
    "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10, "mươi": 10,
}  # fmt: skip
_WORDS = "|".join(sorted(_WORD_VALUES, key=len, reverse=True))
_WORD_LIMIT = re.compile(
    rf"(?<!\w)(?P<words>(?:(?:{_WORDS})\s+)+)(?P<unit>ngày làm việc|ngày|giờ làm việc|giờ|tháng|tuần|năm|phút)(?!\w)"
)

_UNSUPPORTED = {
    "thang": "tháng",
    "tuan": "tuần",
    "nam": "năm",
    "phut": "phút",
    "gio": "giờ (không ghi rõ giờ làm việc)",
}


def parse_unit(text: str) -> TimeUnit:
    """Read a unit written as a code (working_days) or in Vietnamese (ngày làm việc, ngày, giờ làm việc)."""
    key = fold(text).replace("-", " ").strip(" .")
    for unit, names in _UNIT_NAMES.items():
        if key in names:
            return unit
    raise TimeLimitError(
        f"không hiểu đơn vị thời hạn «{text.strip()}» (dùng: ngày làm việc, ngày, giờ làm việc)"
    )


def parse_time_limit(text: str, *, unit: TimeUnit | None = None) -> TimeLimit | None:
    """The first time limit stated in `text`; None when none is set. A bare number takes `unit` (default: working days)."""
    folded = fold(text)
    if folded.strip(" .") in _NOT_STATED:
        return None
    bare = _BARE_NUMBER.match(folded)
    if bare:
        return TimeLimit(_number(bare.group("num"), text), unit or TimeUnit.WORKING_DAYS)
    found = _first_limit(text, folded)
    if found is None:
        raise TimeLimitError(
            f"không hiểu thời hạn «{text.strip()}» (ví dụ hợp lệ: «05 ngày làm việc», «Trong ngày»)"
        )
    if unit is not None and found.unit != unit and found != SAME_DAY:
        raise TimeLimitError(
            f"thời hạn «{text.strip()}» ghi đơn vị «{_LABELS[found.unit]}», khác với đơn vị đã khai «{_LABELS[unit]}»"
        )
    return found


def _first_limit(text: str, folded: str) -> TimeLimit | None:
    # (position, value, folded unit word); the unit is judged only for the statement that wins.
    candidates: list[tuple[int, Decimal | None, str]] = []
    digit = _DIGIT_LIMIT.search(folded)
    if digit:
        candidates.append((digit.start(), _number(digit.group("num"), text), digit.group("unit")))
    same_day = _SAME_DAY.search(folded)
    if same_day:
        candidates.append((same_day.start(), None, ""))
    lowered = " ".join(unicodedata.normalize("NFC", text).lower().split())
    if len(lowered) == len(folded):  # positions line up, so the earliest statement can be chosen
        words = _WORD_LIMIT.search(lowered)
        if words:
            count = _words_value(words.group("words").split())
            if count is not None:
                candidates.append((words.start(), Decimal(count), fold(words.group("unit"))))
    if not candidates:
        return None
    _, chosen, word = min(candidates, key=lambda c: c[0])
    if chosen is None:
        return SAME_DAY
    return TimeLimit(chosen, _unit_word(word, text))


def _unit_word(word: str, text: str) -> TimeUnit:
    if word in ("ngay lam viec", "ngay lv"):
        return TimeUnit.WORKING_DAYS
    if word == "ngay":
        return TimeUnit.CALENDAR_DAYS
    if word in ("gio lam viec", "gio lv"):
        return TimeUnit.WORKING_HOURS
    raise TimeLimitError(
        f"thời hạn «{text.strip()}» tính bằng {_UNSUPPORTED[word]}, chưa được hỗ trợ; "
        "hãy quy đổi ra ngày làm việc, ngày hoặc giờ làm việc"
    )


def _number(raw: str, text: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation as exc:  # the pattern admits only digits, so this is a safety net
        raise TimeLimitError(f"không đọc được số trong «{text.strip()}»") from exc
    if value <= 0:
        raise TimeLimitError(f"thời hạn «{text.strip()}» phải lớn hơn 0")
    if value > MAX_VALUE:
        raise TimeLimitError(f"thời hạn «{text.strip()}» quá lớn")
    if value != value.quantize(Decimal("0.01")):
        raise TimeLimitError(f"thời hạn «{text.strip()}» có quá 2 chữ số thập phân")
    return value


def _words_value(words: list[str]) -> int | None:
    """Read 1–99 written in Vietnamese words: "năm" 5, "mười lăm" 15, "hai mươi mốt" 21."""
    values = [_WORD_VALUES[w] for w in words]
    if len(values) == 1:
        return values[0] if words[0] not in ("mươi", "lăm", "mốt") else None
    if words[0] == "mười" and len(values) == 2 and values[1] < 10:
        return 10 + values[1]
    if len(values) in (2, 3) and words[1] == "mươi" and 2 <= values[0] <= 9:
        if len(values) == 3 and not values[2] < 10:
            return None
        return values[0] * 10 + (values[2] if len(values) == 3 else 0)
    return None


def format_value(value: Decimal) -> str:
    """A number as Vietnamese write it: no trailing zeros, a decimal comma (1,5)."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def unit_label(unit: TimeUnit) -> str:
    """The Vietnamese name of a unit."""
    return _LABELS[unit]


def format_time_limit(limit: TimeLimit) -> str:
    """A time limit as the catalogue shows it, readable back by parse_time_limit."""
    if limit == SAME_DAY:
        return "Trong ngày làm việc"
    return f"{format_value(limit.value)} {_LABELS[limit.unit]}"
