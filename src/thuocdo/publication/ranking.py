"""Pure arithmetic for publication: rankings with ties and small samples, and merger back-casts.

No Django here, so the rules are testable on their own (tests/publication/test_ranking.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Entry:
    key: str
    value: Decimal | None  # None: withheld (too few answers), never ranked
    n: int | None = None  # answers behind a survey figure; None for figures not based on a sample


@dataclass(frozen=True)
class Ranked:
    key: str
    value: Decimal | None
    n: int | None
    rank: int | None  # None: too few answers to be ranked
    previous_rank: int | None = None

    @property
    def change(self) -> int | None:
        """Places gained since the previous ranking (positive = moved up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def eligible(n: int | None, min_n: int) -> bool:
    """A figure is ranked unless it rests on fewer than `min_n` answers."""
    return n is None or n >= min_n


def rank(entries: Sequence[Entry], *, min_n: int, previous: Mapping[str, int] | None = None) -> list[Ranked]:
    """Standard competition ranking ("1224"), highest value first; small samples listed last, unranked."""
    previous = previous or {}
    ranked = sorted(
        (e for e in entries if e.value is not None and eligible(e.n, min_n)),
        key=lambda e: (-(e.value or 0), e.key),
    )
    others = sorted((e for e in entries if e.value is None or not eligible(e.n, min_n)), key=lambda e: e.key)
    result: list[Ranked] = []
    last_value: Decimal | None = None
    last_rank = 0
    for position, entry in enumerate(ranked, start=1):
        place = last_rank if entry.value == last_value else position
        last_value, last_rank = entry.value, place
        result.append(Ranked(entry.key, entry.value, entry.n, place, previous.get(entry.key)))
    result.extend(Ranked(e.key, e.value, e.n, None, previous.get(e.key)) for e in others)
    return result


def weighted_mean(values: Sequence[Decimal], weights: Sequence[Decimal] | None = None) -> Decimal:
    """The mean of `values`, weighted when weights are given (all positive), to three decimals."""
    if not values:
        raise ValueError("no values")
    if weights is None:
        total, weight = sum(values, Decimal(0)), Decimal(len(values))
    else:
        if len(weights) != len(values):
            raise ValueError("one weight per value")
        if any(w <= 0 for w in weights):
            raise ValueError("weights must be positive")
        total = sum((v * w for v, w in zip(values, weights, strict=True)), Decimal(0))
        weight = sum(weights, Decimal(0))
    return (total / weight).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
