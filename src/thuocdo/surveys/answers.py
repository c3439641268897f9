"""Checking one answer sheet against its instrument, and the integrity flags (pure: no Django, no clock).

Kept free of Django so it is tested with hypothesis like the core; every function takes what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from thuocdo.core.instruments import Condition, Criterion, Instrument

# Flag codes. A flagged response is kept; whether estimates include it is the campaign's audited choice.
SPEEDER = "speeder"
STRAIGHT_LINE = "straight_line"
BURST = "burst"
BEFORE_RESULT = "before_result"
FLAG_LABELS = {
    SPEEDER: "Trả lời quá nhanh",
    STRAIGHT_LINE: "Chọn cùng một mức cho mọi tiêu chí",
    BURST: "Dồn dập từ một thiết bị / quầy",
    BEFORE_RESULT: "Đánh giá trước khi trả kết quả",
}
# Faster than this per answered criterion is not reading the question (about 3 words a second for ~15 words).
MIN_SECONDS_PER_ITEM = 2.0
# Straight-lining is only meaningful on a long enough battery.
STRAIGHT_LINE_MIN_ITEMS = 8


@dataclass
class CheckedSheet:
    """Answers that passed the checks (criteria and questions), demographics apart, and errors by field."""

    answers: dict[str, int | str] = field(default_factory=dict)
    demographics: dict[str, int | str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No error at all."""
        return not self.errors


def _asked(condition: Condition | None, answers: Mapping[str, int | str]) -> bool:
    if condition is None:
        return True
    value = answers.get(condition.question)
    return isinstance(value, int) and value in condition.values


def _as_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    # ASCII only: "²".isdigit() is true but int() refuses it, and "٣" would silently become 3.
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit():
        return None
    return int(text)


@dataclass(frozen=True)
class _Plan:
    """What checking needs from an instrument, worked out once: checking runs on every submission."""

    criteria: tuple[tuple[Criterion, frozenset[int]], ...]  # with each criterion's scale values
    options: dict[str, frozenset[int]]  # single-choice question → its option values
    codes: tuple[str, ...]  # every item code a form may carry, criteria first


_PLANS: dict[int, tuple[Instrument, _Plan]] = {}


def _plan(instrument: Instrument) -> _Plan:
    held = _PLANS.get(id(instrument))
    if held is not None and held[0] is instrument:
        return held[1]
    if len(_PLANS) > 64:  # instruments are parsed once per version; this only bounds odd callers
        _PLANS.clear()
    criteria = tuple((c, c.scale.values) for c in instrument.criteria)
    plan = _Plan(
        criteria=criteria,
        options={q.code: frozenset(o.value for o in q.options) for q in instrument.questions},
        codes=tuple(c.code for c, _v in criteria) + tuple(q.code for q in instrument.questions),
    )
    _PLANS[id(instrument)] = (instrument, plan)
    return plan


def item_codes(instrument: Instrument) -> tuple[str, ...]:
    """Every criterion and question code of the instrument (the fields an answer sheet may carry)."""
    return _plan(instrument).codes


def check_sheet(
    instrument: Instrument, raw: Mapping[str, object], *, require_all_criteria: bool = False
) -> CheckedSheet:
    """Validate raw answers (strings or ints by code) against the instrument; answers to questions
    that the filter says were not asked are dropped, not stored."""
    plan = _plan(instrument)
    sheet = CheckedSheet()
    for question in instrument.questions:
        value = raw.get(question.code)
        if value is None or str(value).strip() == "":
            if question.required and _asked(question.asked_if, sheet.answers):
                sheet.errors[question.code] = "Vui lòng trả lời câu hỏi này."
            continue
        target = sheet.demographics if question.role == "demographic" else sheet.answers
        if question.kind in ("single", "number"):
            number = _as_int(value)
            if number is None:
                sheet.errors[question.code] = f"Giá trị «{value}» không phải là số."
                continue
            if question.kind == "single" and number not in plan.options[question.code]:
                sheet.errors[question.code] = f"Giá trị {number} không phải là một phương án."
                continue
            target[question.code] = number
        else:
            target[question.code] = str(value).strip()[:2000]
    for question in instrument.questions:
        if question.code in sheet.answers and not _asked(question.asked_if, sheet.answers):
            del sheet.answers[question.code]
    for criterion, allowed_values in plan.criteria:
        value = raw.get(criterion.code)
        asked = _asked(criterion.asked_if, sheet.answers)
        if value is None or str(value).strip() == "":
            if require_all_criteria and asked:
                sheet.errors[criterion.code] = "Vui lòng chọn một mức đánh giá."
            continue
        if not asked:
            continue
        number = _as_int(value)
        if number is None or number not in allowed_values:
            allowed = ", ".join(str(v) for v in sorted(allowed_values))
            sheet.errors[criterion.code] = f"Giá trị «{value}» không thuộc thang đo ({allowed})."
            continue
        sheet.answers[criterion.code] = number
    if not sheet.errors and not any(c.code in sheet.answers for c, _v in plan.criteria):
        sheet.errors["__all__"] = "Phiếu chưa có câu trả lời nào cho các tiêu chí."
    return sheet


def scored(instrument: Instrument, answers: Mapping[str, int | str]) -> list[int]:
    """The criterion answers in questionnaire order."""
    out = []
    for c, _values in _plan(instrument).criteria:
        value = answers.get(c.code)
        if isinstance(value, int):
            out.append(value)
    return out


def quality_flags(
    instrument: Instrument,
    answers: Mapping[str, int | str],
    *,
    seconds: float | None = None,
    burst: bool = False,
    before_result: bool = False,
) -> list[str]:
    """Integrity flags of one sheet: speeder, straight-lining, burst, rated before the result was returned."""
    flags: list[str] = []
    items = scored(instrument, answers)
    if seconds is not None and items and seconds < MIN_SECONDS_PER_ITEM * len(items):
        flags.append(SPEEDER)
    if len(items) >= STRAIGHT_LINE_MIN_ITEMS and len(set(items)) == 1:
        flags.append(STRAIGHT_LINE)
    if burst:
        flags.append(BURST)
    if before_result:
        flags.append(BEFORE_RESULT)
    return flags


def compare_keyings(first: Mapping[str, object], second: Mapping[str, object]) -> list[str]:
    """Codes where two keyings of the same paper sheet differ (blank and missing are the same)."""

    def norm(value: object) -> str:
        return "" if value is None else str(value).strip()

    return sorted(
        code for code in set(first) | set(second) if norm(first.get(code)) != norm(second.get(code))
    )
