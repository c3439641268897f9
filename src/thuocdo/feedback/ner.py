"""Finding personal names with underthesea's offline NER, as spans for thuocdo.core.redaction.

The recogniser misses names that follow role words ("công dân Trần Thị Mai" comes back as a place),
so a proper noun that starts with a common Vietnamese family name is also taken as a person, unless
an administrative-unit word precedes it ("phường Lê Lợi" stays a place).
"""

from __future__ import annotations

import logging

from thuocdo.core.redaction import Span

logger = logging.getLogger(__name__)

FAMILY_NAMES = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương Trịnh Trương "
    "Lâm Phùng Mai Tô Hà Tạ Cao Lưu Đinh Châu Quách Thái Kiều Lương Văn Tăng Từ Chu Khổng Y H' Ksor Nie".split()
)
PLACE_WORDS = frozenset(
    "phường xã tỉnh huyện quận thị trấn thành phố thị xã đường phố thôn buôn ấp bản tổ khu đặc khu sở".split()
)


def person_spans(text: str) -> list[Span]:
    """Character spans of person names; empty if the recogniser is unavailable."""
    try:
        from underthesea import ner
    except ImportError:  # the redaction patterns still apply
        logger.warning("underthesea is not installed; names without an honorific are not redacted")
        return []
    spans: list[Span] = []
    cursor = 0
    previous = ""
    for token, pos, _chunk, tag in ner(text):
        start = text.find(token, cursor)
        if start < 0:
            continue
        end = start + len(token)
        cursor = end
        words = token.split()
        looks_like_name = (
            pos == "Np"
            and 2 <= len(words) <= 5
            and words[0] in FAMILY_NAMES
            and previous.lower() not in PLACE_WORDS
        )
        if tag.endswith("PER") or looks_like_name:
            if spans and tag.startswith("I-PER") and spans[-1].end >= start - 1:
                spans[-1] = Span(spans[-1].start, end, "person")
            else:
                spans.append(Span(start, end, "person"))
        previous = words[-1] if words else ""
    return spans
