"""Key drivers: which criteria move overall satisfaction most, and where improving them pays most.

Importance is each criterion's share of the explained variance R² of overall satisfaction regressed
on the criteria (weighted least squares on standardised scores, complete cases):
- up to `exact_limit` criteria, the exact Shapley value of R² (LMG, Lindeman–Merenda–Gold): the
  average gain in R² from adding the criterion over all orders of entry;
- above it (2^p subsets become too many), Johnson's relative weights (2000), which closely approximate
  LMG and also sum to R².
Priority = importance share × (100 − criterion index): an important criterion with a low index first.
Method and limits are explained in docs/surveys/estimation.md.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thuocdo.core.instruments import Instrument

# Priority-matrix quadrants by (importance at or above the mean share, index below the target). Codes only:
# pages and commands name them in the reader's language (thuocdo.surveys.labels).
QUADRANTS = {
    (True, True): "improve_first",  # Ưu tiên cải thiện
    (True, False): "keep_strength",  # Duy trì thế mạnh
    (False, True): "improve_later",  # Cải thiện khi có nguồn lực
    (False, False): "secondary",  # Thứ yếu
}


class DriversError(ValueError):
    """Not enough data for a key-driver analysis; the message says why in Vietnamese."""


@dataclass(frozen=True)
class Driver:
    code: str
    importance: float  # share of R², the shares sum to 1
    r2_part: float  # contribution to R², the parts sum to R²
    beta: float  # standardised regression coefficient
    index: float | None  # criterion index (percent) if given
    priority: float | None  # importance × (100 − index)
    quadrant: str | None  # code of the priority-matrix quadrant against the target (QUADRANTS)


@dataclass(frozen=True)
class DriverAnalysis:
    method: str  # "shapley" or "relative_weights"
    r2: float
    n: int
    target: float
    drivers: tuple[Driver, ...]  # most important first
    excluded: tuple[str, ...]


def key_drivers(
    predictors: Mapping[str, Sequence[float | None]],
    outcome: Sequence[float | None],
    *,
    weights: Sequence[float] | None = None,
    indices: Mapping[str, float] | None = None,
    target: float = 90.0,
    exact_limit: int = 12,
) -> DriverAnalysis:
    """Relative importance of each predictor for the outcome, with a gap-to-target priority matrix."""
    import numpy as np

    codes = list(predictors)
    if len(codes) < 2:
        raise DriversError("cần ít nhất 2 tiêu chí để phân tích yếu tố tác động")
    n_rows = len(outcome)
    if any(len(v) != n_rows for v in predictors.values()):
        raise DriversError("các cột tiêu chí và biến kết quả phải cùng số dòng")
    w_all = np.ones(n_rows) if weights is None else np.asarray(weights, dtype=float)
    complete = [
        i
        for i in range(n_rows)
        if outcome[i] is not None and all(predictors[c][i] is not None for c in codes) and w_all[i] > 0
    ]
    if len(complete) < len(codes) + 3:
        raise DriversError(
            f"chỉ có {len(complete)} phiếu trả lời đủ các tiêu chí; cần ít nhất {len(codes) + 3}"
        )
    x = np.array([[float(predictors[c][i]) for c in codes] for i in complete])  # type: ignore[arg-type]
    y = np.array([float(outcome[i]) for i in complete])  # type: ignore[arg-type]
    w = w_all[complete] / w_all[complete].sum()
    constant = [c for j, c in enumerate(codes) if np.ptp(x[:, j]) == 0]
    if np.ptp(y) == 0:
        raise DriversError("biến kết quả không thay đổi giữa các phiếu")
    if constant:
        raise DriversError(f"tiêu chí {', '.join(constant)} có cùng một câu trả lời ở mọi phiếu")
    corr = _weighted_correlation(np.column_stack([x, y]), w)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    beta = np.linalg.solve(rxx, rxy)
    r2 = float(rxy @ beta)
    if len(codes) <= exact_limit:
        parts, method = _shapley(rxx, rxy), "shapley"
    else:
        parts, method = _relative_weights(rxx, rxy), "relative_weights"
    total = float(parts.sum())
    drivers = []
    mean_share = 1.0 / len(codes)
    for j, code in enumerate(codes):
        share = float(parts[j]) / total if total > 0 else 0.0
        index = None if indices is None else indices.get(code)
        priority = None if index is None else share * (100.0 - index)
        quadrant = None if index is None else QUADRANTS[(share >= mean_share, index < target)]
        drivers.append(Driver(code, share, float(parts[j]), float(beta[j]), index, priority, quadrant))
    drivers.sort(key=lambda d: (-d.importance, d.code))
    return DriverAnalysis(method, r2, len(complete), target, tuple(drivers), ())


def drivers_from_responses(
    instrument: Instrument,
    rows: Sequence[Mapping[str, Any]],
    *,
    outcome: str | None = None,
    weight: str | None = None,
    indices: Mapping[str, float] | None = None,
    target: float = 90.0,
    min_answered: float = 0.5,
) -> DriverAnalysis:
    """Key drivers among an instrument's criteria.

    The outcome is a global-satisfaction column when given, else each respondent's mean over the
    answered criteria. Criteria behind a filter question, or answered by fewer than `min_answered`
    of respondents, are left out (complete cases would otherwise shrink to the filtered few).
    """

    def number(value: Any) -> float | None:
        return None if value is None or str(value).strip() == "" else float(value)

    codes = [c.code for c in instrument.criteria]
    kept: list[str] = []
    excluded: list[str] = []
    for criterion in instrument.criteria:
        answered = sum(number(r.get(criterion.code)) is not None for r in rows)
        if criterion.asked_if is not None or answered < min_answered * len(rows):
            excluded.append(criterion.code)
        else:
            kept.append(criterion.code)
    predictors = {c: [number(r.get(c)) for r in rows] for c in kept}
    if outcome is not None:
        y = [number(r.get(outcome)) for r in rows]
    else:
        y = []
        for r in rows:
            answers = [v for v in (number(r.get(c)) for c in codes) if v is not None]
            y.append(sum(answers) / len(answers) if answers else None)
    weights = [float(r.get(weight) or 0) for r in rows] if weight else None
    result = key_drivers(predictors, y, weights=weights, indices=indices, target=target)
    return DriverAnalysis(result.method, result.r2, result.n, result.target, result.drivers, tuple(excluded))


def _weighted_correlation(data: Any, w: Any) -> Any:
    import numpy as np

    mean = w @ data
    centred = data - mean
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _r2(rxx: Any, rxy: Any, subset: Sequence[int]) -> float:
    import numpy as np

    if not subset:
        return 0.0
    idx = list(subset)
    return float(rxy[idx] @ np.linalg.solve(rxx[np.ix_(idx, idx)], rxy[idx]))


def _shapley(rxx: Any, rxy: Any) -> Any:
    """Exact Shapley decomposition of R² over all 2^p subsets of predictors."""
    import numpy as np

    p = len(rxy)
    r2 = {s: _r2(rxx, rxy, s) for k in range(p + 1) for s in itertools.combinations(range(p), k)}
    parts = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for k in range(p):
            factor = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for s in itertools.combinations(others, k):
                with_j = tuple(sorted((*s, j)))
                parts[j] += factor * (r2[with_j] - r2[s])
    return parts


def _relative_weights(rxx: Any, rxy: Any) -> Any:
    """Johnson's relative weights: R² apportioned through the orthogonal counterpart of the predictors."""
    import numpy as np

    eigenvalues, vectors = np.linalg.eigh(rxx)
    lam = vectors @ np.diag(np.sqrt(np.clip(eigenvalues, 0, None))) @ vectors.T
    beta_z = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta_z**2)
