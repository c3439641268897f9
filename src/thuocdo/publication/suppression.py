"""Complementary suppression of survey cells: a withheld criterion must not be recoverable by arithmetic.

Every published cell of one domain (criterion, factor, aspect, overall) is a known linear function of the
criterion indices: a factor is the mean (or sum) of its criteria that have answers, the overall the mean
of the factors, and so on. A cell withheld because it rests on fewer than k answers (a primary cell) is
recoverable exactly when its own linear function lies in the span of the published ones — e.g. one
criterion withheld, its factor and the factor's other criteria published: K·F − Σ others. This module
finds such exposures and withholds more cells (cheapest first, by the caller's cost) until no primary
cell can be rebuilt from what is published. No Django here, so the rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

PRIMARY = "small"
COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class LinearCell:
    """A cell as a linear function of the criterion indices (weights by criterion code)."""

    key: str
    weights: Mapping[str, float]
    primary: bool = False  # withheld for its own sake (fewer than k answers)


def _matrix(cells: Sequence[LinearCell], variables: Sequence[str]) -> np.ndarray:
    if not cells:
        return np.zeros((0, len(variables)))
    return np.array([[c.weights.get(v, 0.0) for v in variables] for c in cells], dtype=float)


def _rank(matrix: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(matrix, tol=1e-9)) if matrix.size else 0


def exposed(target: LinearCell, published: Sequence[LinearCell], variables: Sequence[str]) -> bool:
    """Whether `target` can be computed exactly from the published cells (it lies in their span)."""
    base = _matrix(published, variables)
    return _rank(np.vstack([base, _matrix([target], variables)])) == _rank(base)


def protect(
    cells: Sequence[LinearCell],
    *,
    cost: Callable[[LinearCell], float],
    members: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Keys to withhold, each with its reason (PRIMARY or COMPLEMENTARY), so no primary cell is exposed.

    For an exposed primary cell, the cheapest remedy among published cells is withheld: one cell, or a
    composite cell together with its cheapest published member (`members` maps e.g. a factor to its
    criteria) — a factor and one of its criteria cost less than the overall index. If no such remedy
    protects the cell alone, the cheapest exposing cell is withheld and the check repeats. Each round
    withholds at least one more cell, so it ends (at worst with everything withheld).
    """
    members = members or {}
    variables = sorted({v for c in cells for v, w in c.weights.items() if w})
    by_key = {c.key: c for c in cells}
    withheld: dict[str, str] = {c.key: PRIMARY for c in cells if c.primary}
    primaries = [c for c in cells if c.primary and any(c.weights.values())]
    while True:
        published = [c for c in cells if c.key not in withheld]
        target = next((p for p in primaries if exposed(p, published, variables)), None)
        if target is None:
            return withheld
        remedies: list[tuple[LinearCell, ...]] = [(c,) for c in published]
        for composite in published:
            inside = [by_key[k] for k in members.get(composite.key, ()) if k in by_key and k not in withheld]
            if inside:
                remedies.append((composite, min(inside, key=lambda c: (cost(c), c.key))))
        remedies.sort(key=lambda r: (sum(cost(c) for c in r), [c.key for c in r]))
        chosen = next(
            (
                remedy
                for remedy in remedies
                if not exposed(target, [p for p in published if p not in remedy], variables)
            ),
            None,
        )
        if chosen is None:
            chosen = (
                min(
                    (c for c in published if any(c.weights.get(v) for v in target.weights)),
                    key=lambda c: (cost(c), c.key),
                ),
            )
        for cell in chosen:
            withheld[cell.key] = COMPLEMENTARY
