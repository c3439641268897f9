"""Redacting personal data from text before it is published (feedback answers, quoted submissions).

Patterns catch what has a shape: phone numbers, citizen ID and passport numbers, e-mail addresses,
house-number addresses, and names after a Vietnamese honorific ("ông Nguyễn Văn A"). Names and
places without a shape are found by a named-entity recogniser at the edge (underthesea) and passed
in as `extra_spans`. A person reviews every redaction before publication: this is a first pass, not
a guarantee.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_UPPER = "A-ZÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ"
_LOWER = "a-zàáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"
_NAME_WORD = f"[{_UPPER}][{_LOWER}]+"

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # Vietnamese mobile and landline numbers, with optional +84 and separators.
    "phone": re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)"),
    # Citizen ID (12 digits), old ID card (9 digits), passport (letter + 7 digits).
    "id_number": re.compile(r"(?<![\w])(?:\d{12}|\d{9}|[A-Z]\d{7})(?![\w])"),
    "address": re.compile(
        rf"(?:số nhà|số|nhà số|ngõ|ngách|hẻm|kiệt)\s+\d+[\w/]*(?:\s*,?\s*(?:đường|phố)\s+(?:{_NAME_WORD}\s?)+)?",
        re.IGNORECASE,
    ),
    # The name after an honorific; group 1 is the name, the honorific stays readable.
    "person": re.compile(
        rf"\b(?:[ôÔ]ng|[bB]à|[aA]nh|[cC]hị|[eE]m|[cC]ô|[cC]hú)\s((?:{_NAME_WORD})(?:\s{_NAME_WORD}){{1,3}})"
    ),
}

MASKS: dict[str, str] = {
    "email": "[thư điện tử]",
    "phone": "[số điện thoại]",
    "id_number": "[số giấy tờ]",
    "address": "[địa chỉ]",
    "person": "[họ tên]",
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


def find_personal_data(text: str, extra_spans: Iterable[Span] = ()) -> list[Span]:
    """Non-overlapping spans of personal data, longest first where they overlap."""
    spans = [
        Span(m.start(m.lastindex or 0), m.end(m.lastindex or 0), kind)
        for kind, pattern in PATTERNS.items()
        for m in pattern.finditer(text)
    ]
    spans.extend(extra_spans)
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def redact(text: str, extra_spans: Iterable[Span] = ()) -> str:
    """The text with every personal-data span replaced by a bracketed label."""
    out: list[str] = []
    cursor = 0
    for span in find_personal_data(text, extra_spans):
        out.append(text[cursor : span.start])
        out.append(MASKS.get(span.kind, "[thông tin cá nhân]"))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)
