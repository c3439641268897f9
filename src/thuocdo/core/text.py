"""Vietnamese text folding for accent-insensitive search ("ha noi" finds "Hà Nội")."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse white space."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


# Emoji render as empty boxes where no colour emoji font is installed (kiosk tablets, headless Chromium), so
# pages draw their own icons and show labels without them. Pictographs start at U+2600; the joiner, the
# variation selectors, the keycap and the tag characters only ever glue emoji together.
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f\u20e3") | frozenset(chr(c) for c in range(0xE0020, 0xE0080))


def without_emoji(text: str) -> str:
    """The text without emoji (pictographs from U+2600 on and what joins them), white space collapsed."""
    kept = "".join(
        ch
        for ch in text
        if ch not in _EMOJI_GLUE and not (ord(ch) >= 0x2600 and unicodedata.category(ch) in ("So", "Sk"))
    )
    return _SPACES.sub(" ", kept).strip()
