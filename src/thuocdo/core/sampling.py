"""Sample sizes, stratified allocation and seeded stratified selection (pure, stdlib only).

Order of adjustments in `cochran` (documented in docs/surveys/estimation.md): n0 = z²·p(1−p)/e², then the
design effect (n0·deff), then the finite-population correction on that design-based size
(n/(1 + (n − 1)/N)), then the response rate (÷ rr), rounded up once at the end and capped at N.
Taking deff first is what svy does and what follows from Var = deff·(1 − n/N)·p(1−p)/n; applying the
fpc first (samplics) asks for more interviews than needed (605 instead of 560 for N 2000, deff 1.5, rr 0.8).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist


class SamplingError(ValueError):
    """Impossible sampling parameters; the message says which one in Vietnamese."""


@dataclass(frozen=True)
class SampleSize:
    """Each step of a sample-size calculation; `n` is the number of people to contact."""

    n0: float
    with_deff: float
    with_fpc: float
    n: int
    method: str


def yamane(population: int, margin: float) -> int:
    """Yamane (1967): n = N / (1 + N·e²), rounded up (the SIPAS 2012–2016 rule)."""
    _check_population(population)
    _check_margin(margin)
    return min(population, math.ceil(population / (1 + population * margin**2) - 1e-9))


def cochran(
    margin: float,
    *,
    p: float = 0.5,
    confidence: float = 0.95,
    deff: float = 1.0,
    response_rate: float = 1.0,
    population: int | None = None,
) -> SampleSize:
    """Cochran's size for a proportion with design effect, finite population and response rate."""
    _check_margin(margin)
    if not 0 < p < 1:
        raise SamplingError("tỷ lệ dự kiến p phải nằm trong khoảng (0, 1)")
    if not 0 < confidence < 1:
        raise SamplingError("độ tin cậy phải nằm trong khoảng (0, 1)")
    if deff < 1:
        raise SamplingError("hệ số thiết kế (deff) phải ≥ 1")
    if not 0 < response_rate <= 1:
        raise SamplingError("tỷ lệ phản hồi phải nằm trong khoảng (0, 1]")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    n0 = z**2 * p * (1 - p) / margin**2
    with_deff = n0 * deff
    with_fpc = with_deff
    if population is not None:
        _check_population(population)
        with_fpc = with_deff / (1 + (with_deff - 1) / population)
    # 1e-9 absorbs floating-point noise so an exact integer is not rounded up to the next one
    n = math.ceil(with_fpc / response_rate - 1e-9)
    if population is not None:
        n = min(n, population)
    return SampleSize(n0=n0, with_deff=with_deff, with_fpc=with_fpc, n=n, method="cochran")


def allocate(
    n: int,
    population: Mapping[str, int],
    *,
    method: str = "proportional",
    sd: Mapping[str, float] | None = None,
    minimum: int = 0,
) -> dict[str, int]:
    """Split n over strata (proportional to N_h, or Neyman ∝ N_h·S_h), never above N_h, summing to n."""
    if not population:
        raise SamplingError("không có tầng nào")
    for stratum, size in population.items():
        if size < 0:
            raise SamplingError(f"tầng {stratum!r}: quy mô tổng thể phải ≥ 0")
    total = sum(population.values())
    if n < 0 or n > total:
        raise SamplingError(f"cỡ mẫu {n} phải nằm trong khoảng 0…{total} (tổng quy mô các tầng)")
    if method == "proportional":
        size_measure = {s: float(N) for s, N in population.items()}
    elif method == "neyman":
        if sd is None or set(sd) != set(population):
            raise SamplingError("phân bổ Neyman cần độ lệch chuẩn (sd) cho đúng từng tầng")
        if any(v < 0 for v in sd.values()):
            raise SamplingError("độ lệch chuẩn phải ≥ 0")
        size_measure = {s: population[s] * sd[s] for s in population}
    else:
        raise SamplingError(f"phương pháp phân bổ {method!r} không được hỗ trợ (proportional, neyman)")
    floor = {s: min(minimum, population[s]) for s in population}
    if sum(floor.values()) > n:
        raise SamplingError(f"cỡ mẫu {n} không đủ cho tối thiểu {minimum} mỗi tầng")
    result = dict(floor)
    remaining = n - sum(floor.values())
    # Distribute what is left by the size measure; a stratum that hits N_h is taken whole and
    # the rest is shared again among the others (the usual fix for Neyman over-allocation).
    open_strata = {s for s in population if result[s] < population[s]}
    while remaining > 0 and open_strata:
        weight_total = sum(size_measure[s] for s in open_strata)
        if weight_total <= 0:
            shares = {s: remaining / len(open_strata) for s in open_strata}
        else:
            shares = {s: remaining * size_measure[s] / weight_total for s in open_strata}
        capped = {s for s in open_strata if result[s] + shares[s] >= population[s]}
        if capped:
            for s in capped:
                remaining -= population[s] - result[s]
                result[s] = population[s]
            open_strata -= capped
            continue
        whole = {s: math.floor(shares[s]) for s in open_strata}
        leftover = remaining - sum(whole.values())
        # Largest remainder, ties broken by stratum name so the result does not depend on dict order.
        order = sorted(open_strata, key=lambda s: (-(shares[s] - whole[s]), s))
        for s in open_strata:
            result[s] += whole[s]
        for s in order[:leftover]:
            result[s] += 1
        remaining = 0
    return result


def select_stratified(
    records: Sequence[tuple[str, str]], allocation: Mapping[str, int], *, seed: int
) -> list[str]:
    """Draw allocation[h] ids at random without replacement from each stratum h; same seed, same sample.

    `records` are (id, stratum) pairs. Ids are sorted within each stratum before drawing, so the input
    order does not change the result; each stratum has its own generator seeded by (seed, stratum).
    """
    frames: dict[str, list[str]] = {}
    seen: set[str] = set()
    for record_id, stratum in records:
        if record_id in seen:
            raise SamplingError(f"mã {record_id!r} bị trùng trong danh sách")
        seen.add(record_id)
        frames.setdefault(stratum, []).append(record_id)
    selected: list[str] = []
    for stratum in sorted(allocation):
        want = allocation[stratum]
        frame = sorted(frames.get(stratum, []))
        if want < 0 or want > len(frame):
            raise SamplingError(f"tầng {stratum!r}: cần chọn {want} nhưng chỉ có {len(frame)} hồ sơ")
        rng = random.Random(f"{seed}:{stratum}")  # noqa: S311 - reproducible selection, not security
        selected.extend(sorted(rng.sample(frame, want)))
    return selected


def _check_population(population: int) -> None:
    if population < 1:
        raise SamplingError("quy mô tổng thể N phải ≥ 1")


def _check_margin(margin: float) -> None:
    if not 0 < margin < 1:
        raise SamplingError("sai số cho phép e phải nằm trong khoảng (0, 1), ví dụ 0.05")
