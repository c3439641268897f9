"""Design-based satisfaction indices with Taylor-linearised standard errors (svy does the variance).

A criterion index is a ratio of weighted totals, R_j = Σ w·y_j / Σ w·a_j (y_j: answered 4–5, or the
points; a_j: answered). Factor, aspect and overall indices are means (or sums) of ratios over different
sub-populations, so their variance is not a simple mean of variances. Each index is linearised into a
per-respondent influence value u_i (u_ij = a_ij·(y_ij − R_j)/Σ w·a_j for a criterion; the same mean or
sum of the members' u for a group), and svy estimates the variance of the weighted total Σ w_i·u_i under
the full design (strata, PSUs, fpc, and calibration when weights were raked or post-stratified). This is
what R's svyratio + svycontrast do; docs/surveys/estimation.md has the derivation and the R check.

svy (and polars/scipy, which it brings) is imported lazily so Django start-up does not pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from thuocdo.core.instruments import Instrument

if TYPE_CHECKING:
    import polars as pl

ALL = "all"
_W, _STRATUM, _PSU, _FPC, _ROW, _DOMAIN = "__w", "__stratum", "__psu", "__fpc", "__row", "__domain"


class EstimationError(ValueError):
    """The data cannot be estimated under the declared design; the message says why in Vietnamese."""


@dataclass(frozen=True)
class Design:
    """Names of the design columns in the rows; None means absent.

    Without `weight`, a row weighs fpc_h / n_h when `fpc` (population size of the stratum) is given,
    as R's svydesign does, else 1. Without `psu`, each row is its own PSU.
    """

    stratum: str | None = None
    psu: str | None = None
    weight: str | None = None
    fpc: str | None = None
    singleton: Literal["center", "scale", "skip"] | None = None  # svy's rule for strata with one PSU


@dataclass(frozen=True)
class Estimate:
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    suppressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict; suppressed cells carry n and the flag but no figures."""
        out: dict[str, Any] = {
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
        }
        if self.suppressed:
            out["suppressed"] = True
        return out


@dataclass(frozen=True)
class IndexResult:
    """Every index of one instrument for one domain (the whole sample or one group)."""

    n: int
    items: Mapping[str, Estimate]
    factors: Mapping[str, Estimate]
    aspects: Mapping[str, Estimate]
    overall: Estimate
    suppressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict: items, factors, (aspects,) overall."""
        out: dict[str, Any] = {
            "n": self.n,
            "items": {k: v.as_dict() for k, v in self.items.items()},
            "factors": {k: v.as_dict() for k, v in self.factors.items()},
        }
        if self.aspects:
            out["aspects"] = {k: v.as_dict() for k, v in self.aspects.items()}
        out["overall"] = self.overall.as_dict()
        if self.suppressed:
            out["suppressed"] = True
        return out


@dataclass(frozen=True)
class Estimation:
    """Result of `estimate_indices`: the whole sample, each group, and the design degrees of freedom."""

    all: IndexResult
    groups: Mapping[str, IndexResult]
    by: tuple[str, ...]
    df: int
    calibrated: bool
    warnings: tuple[str, ...] = field(default=())


@dataclass
class _Index:
    """A point estimate with its influence values, before the variance is known."""

    value: float
    u: Any  # numpy array of influence values, one per row
    n: int


def estimate_indices(
    instrument: Instrument,
    rows: Sequence[Mapping[str, Any]],
    *,
    design: Design | None = None,
    by: str | Sequence[str] | None = None,
    min_n: int = 5,
    margins: Mapping[str, Mapping[str, float]] | None = None,
    alpha: float = 0.05,
) -> Estimation:
    """Criterion, factor, aspect and overall indices with SE, CI and n, for all rows and for each group."""
    import numpy as np

    design = design or Design()
    if not rows:
        raise EstimationError("không có phiếu trả lời nào")
    if min_n < 1:
        raise EstimationError("ngưỡng ẩn ô nhỏ (min_n) phải ≥ 1")
    by_cols = (by,) if isinstance(by, str) else tuple(by or ())
    frame = _design_frame(instrument.aggregation.weighted, rows, design, by_cols, margins or {})
    sample = _sample(frame, design)
    calibrated = False
    if margins:
        sample = _calibrate(sample, margins)
        calibrated = True
    data = sample.data.sort(_ROW)
    weights = data[sample.design.wgt].to_numpy().astype(float)

    answers = {c.code: _answer_arrays(instrument, c.code, rows) for c in instrument.criteria}
    domains: list[tuple[str, Any]] = [(ALL, np.ones(len(rows), dtype=bool))]
    if by_cols:
        keys = [" / ".join(str(r.get(c, "") or "").strip() or "(trống)" for c in by_cols) for r in rows]
        domains.extend((key, np.array([k == key for k in keys])) for key in sorted(set(keys)))

    columns: dict[str, Any] = {}
    plans: list[tuple[str, int, dict[str, dict[str, _Index | None]]]] = []
    for di, (name, member) in enumerate(domains):
        plan = _point_estimates(instrument, answers, weights, member)
        plans.append((name, int(member.sum()), plan))
        for level, indices in plan.items():
            for code, idx in indices.items():
                if idx is not None:
                    columns[f"u{di}|{level}|{code}"] = idx.u

    ses = _standard_errors(sample, columns, calibrated=calibrated)
    df = _degrees_of_freedom(data, np.ones(len(rows), dtype=bool))
    scale = 100.0 if instrument.aggregation.unit == "percent" else 1.0
    upper = 100.0 if scale == 100.0 else math.inf

    results: dict[str, IndexResult] = {}
    for di, (name, n_domain, plan) in enumerate(plans):
        suppressed = n_domain < min_n
        t = _t_quantile(1 - alpha / 2, _degrees_of_freedom(data, domains[di][1]))

        def finish(
            level: str,
            code: str,
            idx: _Index | None,
            *,
            _di: int = di,
            _sup: bool = suppressed,
            _t: float = t,
        ) -> Estimate:
            if idx is None:
                return Estimate(None, None, None, None, 0, suppressed=_sup)
            if _sup or idx.n < min_n:
                return Estimate(None, None, None, None, idx.n, suppressed=True)
            est = idx.value * scale
            se = ses[f"u{_di}|{level}|{code}"] * scale
            return Estimate(est, se, max(0.0, est - _t * se), min(upper, est + _t * se), idx.n)

        items = {code: finish("item", code, idx) for code, idx in plan["item"].items()}
        factors = {code: finish("factor", code, idx) for code, idx in plan["factor"].items()}
        aspects = {code: finish("aspect", code, idx) for code, idx in plan["aspect"].items()}
        overall = finish("overall", ALL, plan["overall"][ALL])
        results[name] = IndexResult(n_domain, items, factors, aspects, overall, suppressed)
    return Estimation(
        all=results.pop(ALL),
        groups=results,
        by=by_cols,
        df=df,
        calibrated=calibrated,
    )


def estimate_mean(
    rows: Sequence[Mapping[str, Any]],
    value: Callable[[Mapping[str, Any]], float | None],
    *,
    design: Design | None = None,
    domain: Callable[[Mapping[str, Any]], bool] | None = None,
    margins: Mapping[str, Mapping[str, float]] | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Design-based mean of value(row) among rows where it is not None and domain(row) holds.

    The same ratio estimator and linearisation as a criterion index (a proportion when value is 0/1).
    """
    import numpy as np

    design = design or Design()
    if not rows:
        raise EstimationError("không có phiếu trả lời nào")
    sample = _sample(_design_frame(True, rows, design, (), margins or {}), design)
    if margins:
        sample = _calibrate(sample, margins)
    data = sample.data.sort(_ROW)
    weights = data[sample.design.wgt].to_numpy().astype(float)
    values = [value(r) for r in rows]
    y = np.array([0.0 if v is None else float(v) for v in values])
    member = np.array(
        [v is not None and (domain is None or domain(r)) for r, v in zip(rows, values, strict=True)]
    )
    a = member.astype(float)
    denominator = float((weights * a).sum())
    if denominator <= 0:
        return Estimate(None, None, None, None, 0)
    ratio = float((weights * a * y).sum()) / denominator
    se = _standard_errors(sample, {"m": a * (y - ratio) / denominator}, calibrated=bool(margins))["m"]
    t = _t_quantile(1 - alpha / 2, _degrees_of_freedom(data, member))
    return Estimate(ratio, se, ratio - t * se, ratio + t * se, int(member.sum()))


def _answer_arrays(instrument: Instrument, code: str, rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """(y, a) for one criterion: y the success indicator or points, a the answered indicator."""
    import numpy as np

    criterion = instrument.criterion(code)
    share = instrument.aggregation.criterion == "share"
    y = np.zeros(len(rows))
    a = np.zeros(len(rows))
    for i, row in enumerate(rows):
        value = row.get(code)
        if value is None or value == "":
            continue
        v = int(value)
        if v not in criterion.scale.values:
            raise EstimationError(f"phiếu thứ {i + 1}, tiêu chí {code}: giá trị {v} ngoài thang đo")
        a[i] = 1.0
        y[i] = (1.0 if v in criterion.scale.satisfied else 0.0) if share else float(v)
    return y, a


def _combine(method: str, members: Sequence[_Index | None]) -> _Index | None:
    present = [m for m in members if m is not None]
    if not present:
        return None
    value = sum(m.value for m in present)
    u = sum(m.u for m in present)
    if method == "mean":
        value /= len(present)
        u = u / len(present)
    return _Index(value, u, 0)


def _point_estimates(
    instrument: Instrument, answers: Mapping[str, tuple[Any, Any]], weights: Any, member: Any
) -> dict[str, dict[str, _Index | None]]:
    """Point estimates and linearised influence values of every index within one domain."""
    import numpy as np

    agg = instrument.aggregation
    items: dict[str, _Index | None] = {}
    answered_any: dict[str, Any] = {}
    for criterion in instrument.criteria:
        y, a = answers[criterion.code]
        a_d = a * member
        denominator = float((weights * a_d).sum())
        answered_any[criterion.code] = a_d > 0
        if denominator <= 0:
            items[criterion.code] = None
            continue
        ratio = float((weights * a_d * y).sum()) / denominator
        u = a_d * (y - ratio) / denominator
        items[criterion.code] = _Index(ratio, u, int(a_d.sum()))

    def answered(codes: Sequence[str]) -> int:
        mask = np.zeros(len(member), dtype=bool)
        for c in codes:
            mask |= answered_any[c]
        return int(mask.sum())

    factors: dict[str, _Index | None] = {}
    factor_criteria: dict[str, list[str]] = {}
    for factor in instrument.factors:
        codes = [c.code for c in factor.criteria]
        factor_criteria[factor.code] = codes
        combined = _combine(agg.factor, [items[c] for c in codes])
        if combined is not None:
            combined.n = answered(codes)
        factors[factor.code] = combined
    aspects: dict[str, _Index | None] = {}
    for aspect in instrument.aspects:
        assert agg.aspect is not None  # the parser requires an aspect rule when aspects exist
        combined = _combine(agg.aspect, [factors[f] for f in aspect.factors])
        if combined is not None:
            combined.n = answered([c for f in aspect.factors for c in factor_criteria[f]])
        aspects[aspect.code] = combined
    top = list(aspects.values()) if instrument.aspects else list(factors.values())
    overall = _combine(agg.overall, top)
    if overall is not None:
        overall.n = answered([c.code for c in instrument.criteria])
    return {"item": items, "factor": factors, "aspect": aspects, "overall": {ALL: overall}}


def _design_frame(
    weighted: bool,
    rows: Sequence[Mapping[str, Any]],
    design: Design,
    by_cols: Sequence[str],
    margins: Mapping[str, Mapping[str, float]],
) -> pl.DataFrame:
    import polars as pl

    n = len(rows)
    data: dict[str, Any] = {_ROW: list(range(n))}

    def text_column(name: str) -> list[str]:
        values = [str(r.get(name, "") if r.get(name) is not None else "").strip() for r in rows]
        blank = next((i for i, v in enumerate(values) if not v), None)
        if blank is not None:
            raise EstimationError(f"phiếu thứ {blank + 1}: cột thiết kế «{name}» bị trống")
        return values

    def number_column(name: str) -> list[float]:
        out = []
        for i, r in enumerate(rows):
            try:
                value = float(r.get(name))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise EstimationError(
                    f"phiếu thứ {i + 1}: cột «{name}» phải là số, nhận {r.get(name)!r}"
                ) from None
            if not math.isfinite(value) or value <= 0:
                raise EstimationError(
                    f"phiếu thứ {i + 1}: cột «{name}» phải là số dương, nhận {r.get(name)!r}"
                )
            out.append(value)
        return out

    strata = text_column(design.stratum) if design.stratum else ["1"] * n
    data[_STRATUM] = strata
    if design.psu:
        data[_PSU] = text_column(design.psu)
    if design.fpc:
        fpc = number_column(design.fpc)
        per_stratum: dict[str, float] = {}
        units: dict[str, set[str]] = {}
        psus = data.get(_PSU) or [str(i) for i in range(n)]
        for i, (s, f) in enumerate(zip(strata, fpc, strict=True)):
            if per_stratum.setdefault(s, f) != f:
                raise EstimationError(
                    f"phiếu thứ {i + 1}: cột «{design.fpc}» phải giống nhau trong cùng tầng {s!r}"
                )
            units.setdefault(s, set()).add(psus[i])
        for s, f in per_stratum.items():
            if f < len(units[s]):
                raise EstimationError(
                    f"tầng {s!r}: quy mô tổng thể «{design.fpc}» = {f:g} nhỏ hơn số đơn vị mẫu ({len(units[s])})"
                )
        data[_FPC] = fpc
    if design.weight and weighted:
        data[_W] = number_column(design.weight)
    elif design.fpc and weighted:
        counts: dict[str, int] = {}
        for s in strata:
            counts[s] = counts.get(s, 0) + 1
        data[_W] = [f / counts[s] for s, f in zip(strata, data[_FPC], strict=True)]
    else:
        data[_W] = [1.0] * n
    for name in margins:
        data[name] = text_column(name)
    return pl.DataFrame(data)


def _sample(frame: pl.DataFrame, design: Design) -> Any:
    import svy

    try:
        return svy.Sample(
            frame,
            svy.Design(
                stratum=_STRATUM,
                psu=_PSU if design.psu else None,
                wgt=_W,
                pop_size=_FPC if design.fpc else None,
                singleton=design.singleton,
            ),
        )
    except Exception as exc:  # svy raises its own error types for an unusable design
        raise EstimationError(f"thiết kế mẫu không hợp lệ: {exc}") from exc


def _calibrate(sample: Any, margins: Mapping[str, Mapping[str, float]]) -> Any:
    """Post-stratify on one margin or rake on several; svy keeps what the SEs need to reflect it."""
    try:
        if len(margins) == 1:
            ((column, controls),) = margins.items()
            return sample.weighting.poststratify(controls=dict(controls), cells=column, wgt_name="__cal_w")
        return sample.weighting.rake(controls={k: dict(v) for k, v in margins.items()}, wgt_name="__cal_w")
    except Exception as exc:  # level mismatch or non-convergence: report, do not guess
        raise EstimationError(f"không hiệu chỉnh được trọng số theo tổng thể đã cho: {exc}") from exc


def _degrees_of_freedom(data: pl.DataFrame, member: Any) -> int:
    """Design df of a domain as R's degf(subset(...)): PSUs holding members minus strata holding members."""
    import polars as pl

    rows = data.filter(pl.Series(member[data[_ROW].to_numpy()]))
    psu = [_STRATUM, _PSU] if _PSU in rows.columns else [_ROW]
    return max(1, rows.select(psu).n_unique() - rows[_STRATUM].n_unique())


def _standard_errors(sample: Any, columns: Mapping[str, Any], *, calibrated: bool) -> dict[str, float]:
    """SE of the weighted total Σ w·u of each influence column u under the sample's design."""
    import polars as pl

    if not columns:
        return {}
    names = list(columns)
    aliases = {name: f"__u{i}" for i, name in enumerate(names)}
    # svy's data may be reordered by calibration; align the influence values by our row index.
    order = sample.data[_ROW].to_numpy()
    extended = sample.wrangling.mutate({aliases[n]: pl.Series(columns[n][order]) for n in names})
    ses: dict[str, float] = {}
    try:
        if calibrated:
            # svy 0.35's list form of total() skips the calibration adjustment, so ask one column at a time.
            for name in names:
                ses[name] = float(extended.estimation.total(aliases[name]).to_polars()["se"][0])
        else:
            results = extended.estimation.total([aliases[n] for n in names])
            for name, result in zip(names, results if isinstance(results, list) else [results], strict=True):
                ses[name] = float(result.to_polars()["se"][0])
    except Exception as exc:
        raise EstimationError(f"không tính được sai số chuẩn: {exc}") from exc
    return ses


def _t_quantile(p: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(p, df))
