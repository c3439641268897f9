"""Versioned rule sets of the Decision 766 index: groups, indicators, points, targets, bands.

Points and targets are regulated parameters that VPCP has changed over time, so they live in
JSON files with effective dates (src/thuocdo/indices/data/rulesets/) and are validated here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Method = Literal["threshold", "linear"]
ZeroDenominator = Literal["na_full", "na_zero", "na_excluded"]
Granularity = Literal["timestamp", "date"]

METHODS: tuple[Method, ...] = ("threshold", "linear")
ZERO_DENOMINATOR_POLICIES: tuple[ZeroDenominator, ...] = ("na_full", "na_zero", "na_excluded")
GRANULARITIES: tuple[Granularity, ...] = ("timestamp", "date")
_METHOD_BY_NAME: dict[str, Method] = {m: m for m in METHODS}
_ZERO_BY_NAME: dict[str, ZeroDenominator] = {z: z for z in ZERO_DENOMINATOR_POLICIES}
_GRANULARITY_BY_NAME: dict[str, Granularity] = {g: g for g in GRANULARITIES}


class RuleSetError(ValueError):
    """A rule set file is invalid; lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: bộ quy tắc không hợp lệ:\n" + "\n".join(f"- {p}" for p in self.problems))


@dataclass(frozen=True)
class Group:
    id: str
    name_vi: str
    name_en: str
    max_points: Decimal


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    name_vi: str
    name_en: str
    max_points: Decimal
    target: Decimal | None
    method: Method
    zero_denominator: ZeroDenominator
    note: str = ""


@dataclass(frozen=True)
class Band:
    name_vi: str
    name_en: str
    min_points: Decimal


@dataclass(frozen=True)
class Parameters:
    """Regulated parameters used when tallying dossiers and procedures."""

    granularity: Granularity = "timestamp"
    supplement_requests_allowed: int = 1
    publish_lead_working_days: int = 5
    make_public_within_working_days: int = 5
    any_late_publication_fails_period: bool = True
    population_database_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    id: str
    name: str
    effective_from: date
    effective_to: date | None
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    bands: tuple[Band, ...]
    parameters: Parameters = field(default_factory=Parameters)
    note: str = ""

    def in_force_on(self, day: date) -> bool:
        """True if the rule set applies on that day (effective_to is exclusive)."""
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with that id."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def band_for(self, total: Decimal) -> Band:
        """The rating band of a total score."""
        for band in sorted(self.bands, key=lambda b: b.min_points, reverse=True):
            if total >= band.min_points:
                return band
        return min(self.bands, key=lambda b: b.min_points)


def _decimal(value: Any, where: str, problems: list[str]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"{where}: cần một số, nhận {value!r}")
        return Decimal(0)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{where}: cần một số, nhận {value!r}")
        return Decimal(0)
    if not number.is_finite() or number < 0:
        problems.append(f"{where}: cần một số không âm, nhận {value!r}")
        return Decimal(0)
    return number


def _date(value: Any, where: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: ngày không hợp lệ {value!r}, cần YYYY-MM-DD")
        return None


def _text(obj: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.{key}: bắt buộc, cần một chuỗi")
        return ""
    return value.strip()


def _parameters(raw: Any, problems: list[str]) -> Parameters:
    if raw is None:
        return Parameters()
    if not isinstance(raw, Mapping):
        problems.append("parameters: cần một đối tượng")
        return Parameters()
    defaults = Parameters()
    unknown = set(raw) - {
        "granularity",
        "supplement_requests_allowed",
        "publish_lead_working_days",
        "make_public_within_working_days",
        "any_late_publication_fails_period",
        "population_database_codes",
        "note",
    }
    if unknown:
        problems.append(f"parameters: khóa không được hỗ trợ {sorted(unknown)}")
    raw_granularity = raw.get("granularity", defaults.granularity)
    granularity = _GRANULARITY_BY_NAME.get(raw_granularity) if isinstance(raw_granularity, str) else None
    if granularity is None:
        problems.append(
            f"parameters.granularity: cần một trong {list(GRANULARITIES)}, nhận {raw_granularity!r}"
        )
        granularity = defaults.granularity
    ints: dict[str, int] = {}
    for key in (
        "supplement_requests_allowed",
        "publish_lead_working_days",
        "make_public_within_working_days",
    ):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"parameters.{key}: cần số nguyên không âm, nhận {value!r}")
            value = getattr(defaults, key)
        ints[key] = value
    fails = raw.get("any_late_publication_fails_period", defaults.any_late_publication_fails_period)
    if not isinstance(fails, bool):
        problems.append("parameters.any_late_publication_fails_period: cần true/false")
        fails = defaults.any_late_publication_fails_period
    codes = raw.get("population_database_codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        problems.append("parameters.population_database_codes: cần danh sách chuỗi")
        codes = []
    return Parameters(
        granularity=granularity,
        supplement_requests_allowed=ints["supplement_requests_allowed"],
        publish_lead_working_days=ints["publish_lead_working_days"],
        make_public_within_working_days=ints["make_public_within_working_days"],
        any_late_publication_fails_period=fails,
        population_database_codes=tuple(codes),
    )


def parse_ruleset(data: Any, *, source: str) -> RuleSet:
    """Validate a decoded rule set document; raise RuleSetError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise RuleSetError(source, ["tệp cần là một đối tượng JSON"])
    rid = _text(data, "id", "ruleset", problems)
    name = _text(data, "name", "ruleset", problems)
    effective_from = _date(data.get("effective_from"), "effective_from", problems)
    if effective_from is None and "effective_from" not in data:
        problems.append("effective_from: bắt buộc")
    effective_to = _date(data.get("effective_to"), "effective_to", problems)
    if effective_from and effective_to and effective_to <= effective_from:
        problems.append("effective_to: phải sau effective_from")

    groups: list[Group] = []
    raw_groups = data.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        problems.append("groups: cần danh sách nhóm không rỗng")
        raw_groups = []
    for i, g in enumerate(raw_groups):
        where = f"groups[{i}]"
        if not isinstance(g, Mapping):
            problems.append(f"{where}: cần một đối tượng")
            continue
        groups.append(
            Group(
                _text(g, "id", where, problems),
                _text(g, "name_vi", where, problems),
                _text(g, "name_en", where, problems),
                _decimal(g.get("max_points"), f"{where}.max_points", problems),
            )
        )
    group_ids = [g.id for g in groups]
    problems.extend(
        f"groups: mã nhóm «{gid}» bị trùng"
        for gid in sorted({x for x in group_ids if group_ids.count(x) > 1})
    )

    indicators: list[Indicator] = []
    raw_inds = data.get("indicators")
    if not isinstance(raw_inds, list) or not raw_inds:
        problems.append("indicators: cần danh sách chỉ số không rỗng")
        raw_inds = []
    for i, ind in enumerate(raw_inds):
        where = f"indicators[{i}]"
        if not isinstance(ind, Mapping):
            problems.append(f"{where}: cần một đối tượng")
            continue
        iid = _text(ind, "id", where, problems)
        where = f"indicators[{i}] («{iid}»)"
        group = _text(ind, "group", where, problems)
        if group and group not in group_ids:
            problems.append(f"{where}.group: không có nhóm «{group}»")
        raw_method = ind.get("method")
        method = _METHOD_BY_NAME.get(raw_method) if isinstance(raw_method, str) else None
        if method is None:
            problems.append(f"{where}.method: cần một trong {list(METHODS)}, nhận {raw_method!r}")
            method = "linear"
        raw_zero = ind.get("zero_denominator")
        zero = _ZERO_BY_NAME.get(raw_zero) if isinstance(raw_zero, str) else None
        if zero is None:
            problems.append(
                f"{where}.zero_denominator: cần một trong {list(ZERO_DENOMINATOR_POLICIES)}, nhận {raw_zero!r}"
            )
            zero = "na_excluded"
        target = None
        if ind.get("target") is not None:
            target = _decimal(ind.get("target"), f"{where}.target", problems)
            if not 0 < target <= 100:
                problems.append(f"{where}.target: cần trong khoảng (0, 100]")
                target = None
        if method == "threshold" and target is None:
            problems.append(f"{where}: phương pháp «threshold» cần «target»")
        note = ind.get("note", "")
        indicators.append(
            Indicator(
                iid,
                group,
                _text(ind, "name_vi", where, problems),
                _text(ind, "name_en", where, problems),
                _decimal(ind.get("max_points"), f"{where}.max_points", problems),
                target,
                method,
                zero,
                note if isinstance(note, str) else "",
            )
        )
    ind_ids = [x.id for x in indicators]
    problems.extend(
        f"indicators: mã chỉ số «{iid}» bị trùng"
        for iid in sorted({x for x in ind_ids if ind_ids.count(x) > 1})
    )
    for g in groups:
        total = sum((x.max_points for x in indicators if x.group == g.id), Decimal(0))
        if total != g.max_points:
            problems.append(
                f"groups «{g.id}»: tổng điểm các chỉ số là {total}, khác điểm tối đa {g.max_points}"
            )
    grand = sum((g.max_points for g in groups), Decimal(0))
    if groups and grand != 100:
        problems.append(f"groups: tổng điểm tối đa là {grand}, cần bằng 100")

    bands: list[Band] = []
    raw_bands = data.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        problems.append("bands: cần danh sách xếp loại không rỗng")
        raw_bands = []
    for i, b in enumerate(raw_bands):
        where = f"bands[{i}]"
        if not isinstance(b, Mapping):
            problems.append(f"{where}: cần một đối tượng")
            continue
        bands.append(
            Band(
                _text(b, "name_vi", where, problems),
                _text(b, "name_en", where, problems),
                _decimal(b.get("min_points"), f"{where}.min_points", problems),
            )
        )
    if bands and min(b.min_points for b in bands) != 0:
        problems.append("bands: xếp loại thấp nhất cần min_points = 0 để mọi điểm số đều có xếp loại")
    parameters = _parameters(data.get("parameters"), problems)
    if problems:
        raise RuleSetError(source, problems)
    assert effective_from is not None
    note = data.get("note", "")
    return RuleSet(
        id=rid,
        name=name,
        effective_from=effective_from,
        effective_to=effective_to,
        groups=tuple(groups),
        indicators=tuple(indicators),
        bands=tuple(bands),
        parameters=parameters,
        note=note if isinstance(note, str) else "",
    )


def ruleset_in_force(rulesets: Iterable[RuleSet], day: date) -> RuleSet:
    """The rule set in force on a day; the latest-starting one wins if several overlap."""
    candidates = [r for r in rulesets if r.in_force_on(day)]
    if not candidates:
        raise LookupError(f"không có bộ quy tắc 766 nào có hiệu lực vào ngày {day.isoformat()}")
    return max(candidates, key=lambda r: r.effective_from)
