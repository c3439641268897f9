"""`thuocdo survey …`: stateless survey statistics on files (no database).

    thuocdo survey estimate --instrument sipas-2017 --responses phieu.csv [--by unit] [--min-n 5] [--format json|table]
    thuocdo survey sample-size --population 2000 --margin 0.05 [--deff 1.5 --response-rate 0.8]
    thuocdo survey drivers --instrument sipas-2017 --responses phieu.csv [--outcome Q] [--target 90]
    thuocdo survey instruments

Design columns are recognised by name in the responses file: stratum, psu, weight, fpc (population
size of the stratum). --margins takes a CSV (column, level, count) of population counts to
post-stratify (one column) or rake (several).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

import thuocdo.surveys
from thuocdo.core.instruments import Instrument, InstrumentError, latest, parse_instrument_text
from thuocdo.shared.tabular import ImportFailed, RowError, Table, read_table
from thuocdo.surveys.labels import quadrant_label

INSTRUMENTS_DIR = Path(thuocdo.surveys.__file__).resolve().parent / "data" / "instruments"
DESIGN_COLUMNS = ("stratum", "psu", "weight", "fpc")
DESIGN_ALIASES: dict[str, Iterable[str]] = {
    "stratum": ["tầng", "tang", "strata"],
    "psu": ["cụm", "cum", "cluster"],
    "weight": ["trọng số", "trong_so", "trong so", "wgt"],
    "fpc": ["quy mô tổng thể", "quy_mo", "pop_size"],
}


def load_instruments(directory: Path = INSTRUMENTS_DIR) -> list[Instrument]:
    """Parse every instrument version shipped in the data directory (errors name the file)."""
    return [
        parse_instrument_text(path.read_text(encoding="utf-8"), source=path.name)
        for path in sorted(directory.glob("*.json"))
    ]


def find_instrument(reference: str, instruments: Sequence[Instrument]) -> Instrument:
    """`code` (latest published version) or `code@version`."""
    code, _sep, version = reference.partition("@")
    try:
        if version:
            return next(i for i in instruments if i.code == code and str(i.version) == version)
        return latest(instruments, code)
    except (StopIteration, KeyError):
        known = ", ".join(sorted({i.key for i in instruments}))
        raise CommandError(
            _("Không có công cụ khảo sát «%(ref)s». Có: %(known)s") % {"ref": reference, "known": known}
        ) from None


class Command(BaseCommand):
    help = "Survey statistics on files, without the database: indices with design-based SEs, sample sizes, key drivers."
    requires_system_checks: list[
        str
    ] = []  # stateless: nothing here needs the project to be checked or migrated

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        est = sub.add_parser("estimate", help="criterion, factor and overall indices with SE, 95% CI and n")
        self._common(est)
        est.add_argument(
            "--by", action="append", default=[], help="group by this column (repeat for a cross)"
        )
        est.add_argument(
            "--min-n", type=int, default=5, help="suppress groups and cells with fewer answers (default 5)"
        )
        est.add_argument(
            "--margins", help="CSV of population counts: column, level, count (post-stratify / rake)"
        )
        est.add_argument(
            "--singleton", choices=["center", "scale", "skip"], help="rule for strata with one PSU"
        )
        est.add_argument("--format", choices=["json", "table"], default="table")

        size = sub.add_parser("sample-size", help="Yamane and Cochran sample sizes")
        size.add_argument("--population", type=int, required=True, help="population size N")
        size.add_argument("--margin", type=float, default=0.05, help="margin of error e (default 0.05)")
        size.add_argument("--deff", type=float, default=1.0, help="design effect (default 1)")
        size.add_argument(
            "--response-rate", type=float, default=1.0, help="expected response rate (default 1)"
        )
        size.add_argument("--p", type=float, default=0.5, help="expected proportion (default 0.5)")
        size.add_argument("--confidence", type=float, default=0.95)
        size.add_argument("--format", choices=["json", "table"], default="table")

        drv = sub.add_parser("drivers", help="key drivers of overall satisfaction and the priority matrix")
        self._common(drv)
        drv.add_argument(
            "--outcome", help="column with a global satisfaction question (default: mean of items)"
        )
        drv.add_argument("--target", type=float, default=90.0, help="target index in percent (default 90)")
        drv.add_argument("--format", choices=["json", "table"], default="table")

        sub.add_parser("instruments", help="list and validate the instrument definitions")

    def _common(self, parser: CommandParser) -> None:
        parser.add_argument("--instrument", required=True, help="code or code@version, e.g. sipas-2017")
        parser.add_argument("--responses", required=True, help="CSV or XLSX, one row per response")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sample-size":
            return self._sample_size(options)
        try:
            instruments = load_instruments()
        except InstrumentError as exc:
            raise CommandError(str(exc)) from exc
        if action == "instruments":
            for i in instruments:
                self.stdout.write(
                    f"{i.key:<22} {i.status:<10} {i.effective_from}  {i.content_hash[:19]}…  {i.title.vi}"
                )
            return None
        instrument = find_instrument(options["instrument"], instruments)
        try:
            table = read_table(Path(options["responses"]), aliases=DESIGN_ALIASES)
            rows, warnings = _responses(instrument, table, extra=options.get("by") or [])
            margins = _margins(Path(options["margins"])) if options.get("margins") else None
        except FileNotFoundError as exc:
            raise CommandError(_("Không tìm thấy tệp %(file)s") % {"file": exc.filename}) from exc
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        for warning in warnings:
            self.stderr.write(warning)
        if action == "estimate":
            return self._estimate(instrument, table, rows, warnings, margins, options)
        return self._drivers(instrument, table, rows, options)

    def _estimate(
        self,
        instrument: Instrument,
        table: Table,
        rows: list[dict[str, Any]],
        warnings: list[str],
        margins: dict[str, dict[str, float]] | None,
        options: Mapping[str, Any],
    ) -> None:
        from thuocdo.core.estimation import Design, EstimationError, estimate_indices

        present = {c: c if c in table.columns else None for c in DESIGN_COLUMNS}
        design = Design(
            stratum=present["stratum"],
            psu=present["psu"],
            weight=present["weight"],
            fpc=present["fpc"],
            singleton=options.get("singleton"),
        )
        by = options["by"]
        for column in [*by, *(margins or {})]:
            if column not in table.columns:
                raise CommandError(
                    _("%(file)s: không có cột «%(col)s»") % {"file": table.file, "col": column}
                )
        try:
            result = estimate_indices(
                instrument, rows, design=design, by=by, min_n=options["min_n"], margins=margins
            )
        except EstimationError as exc:
            raise CommandError(f"{table.file}: {exc}") from exc
        payload = {
            "instrument": instrument.key,
            "content_hash": instrument.content_hash,
            "unit": instrument.aggregation.unit,
            "design": {k: v for k, v in present.items() if v},
            "calibrated": result.calibrated,
            "df": result.df,
            "min_n": options["min_n"],
            "by": list(result.by),
            "all": result.all.as_dict(),
            "groups": {k: v.as_dict() for k, v in result.groups.items()},
            "warnings": warnings,
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{_('Công cụ')}: {instrument.key} — {instrument.title.vi}")
        design_text = ", ".join(f"{k}" for k in payload["design"]) or _(
            "mẫu ngẫu nhiên đơn giản, không trọng số"
        )
        self.stdout.write(f"{_('Thiết kế mẫu')}: {design_text}; {_('bậc tự do')} {result.df}")
        self._table(instrument, _("Toàn bộ"), result.all)
        for name, group in result.groups.items():
            self._table(instrument, name, group)

    def _table(self, instrument: Instrument, name: str, result: Any) -> None:
        unit = "%" if instrument.aggregation.unit == "percent" else _("điểm")
        self.stdout.write("")
        self.stdout.write(f"== {name} (n = {result.n}) ==")
        if result.suppressed:
            self.stdout.write(_("Ẩn: ít hơn ngưỡng số phiếu tối thiểu."))
            return
        header = (
            f"{_('Mã'):<8} {_('Nội dung'):<44} {_('Chỉ số') + ' (' + unit + ')':>12} "
            f"{_('Sai số chuẩn'):>12} {_('KTC 95%'):>17} {'n':>6}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))

        def line(code: str, label: str, est: Any) -> None:
            if est.suppressed or est.estimate is None:
                figures = f"{_('(ẩn)') if est.suppressed else '—':>12} {'':>12} {'':>17}"
            else:
                ci = f"{_num(est.ci_low)} – {_num(est.ci_high)}"
                figures = f"{_num(est.estimate):>12} {_num(est.se, 2):>12} {ci:>17}"
            self.stdout.write(f"{code:<8} {_clip(label, 44):<44} {figures} {est.n:>6}")

        for factor in instrument.factors:
            for criterion in factor.criteria:
                line(criterion.code, criterion.text.vi, result.items[criterion.code])
            line(factor.code, f"{_('Yếu tố')}: {factor.title.vi}", result.factors[factor.code])
        for aspect in instrument.aspects:
            line(aspect.code, f"{_('Khía cạnh')}: {aspect.title.vi}", result.aspects[aspect.code])
        line(_("Chung"), _("Chỉ số chung"), result.overall)

    def _sample_size(self, options: Mapping[str, Any]) -> None:
        from thuocdo.core.sampling import SamplingError, cochran, yamane

        try:
            n_yamane = yamane(options["population"], options["margin"])
            c = cochran(
                options["margin"],
                p=options["p"],
                confidence=options["confidence"],
                deff=options["deff"],
                response_rate=options["response_rate"],
                population=options["population"],
            )
        except SamplingError as exc:
            raise CommandError(str(exc)) from exc
        payload = {
            "population": options["population"],
            "margin": options["margin"],
            "yamane": n_yamane,
            "cochran": {
                "n0": c.n0,
                "with_deff": c.with_deff,
                "with_fpc": c.with_fpc,
                "n": c.n,
                "p": options["p"],
                "confidence": options["confidence"],
                "deff": options["deff"],
                "response_rate": options["response_rate"],
            },
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{_('Quy mô tổng thể')} N = {options['population']}, {_('sai số')} e = {options['margin']}"
        )
        self.stdout.write(f"{_('Yamane')} n = N/(1 + N·e²): {n_yamane}")
        self.stdout.write(
            f"{_('Cochran')}: n0 = {_num(c.n0, 1)}; × deff {options['deff']} = {_num(c.with_deff, 1)}; "
            f"{_('hiệu chỉnh tổng thể hữu hạn')} = {_num(c.with_fpc, 1)}; ÷ {_('tỷ lệ phản hồi')} "
            f"{options['response_rate']} → {c.n}"
        )

    def _drivers(
        self, instrument: Instrument, table: Table, rows: list[dict[str, Any]], options: Mapping[str, Any]
    ) -> None:
        from thuocdo.core.drivers import DriversError, drivers_from_responses
        from thuocdo.core.estimation import Design, EstimationError, estimate_indices

        present = {c: c if c in table.columns else None for c in DESIGN_COLUMNS}
        design = Design(
            stratum=present["stratum"], psu=present["psu"], weight=present["weight"], fpc=present["fpc"]
        )
        outcome = options.get("outcome")
        if outcome and outcome not in table.columns:
            raise CommandError(_("%(file)s: không có cột «%(col)s»") % {"file": table.file, "col": outcome})
        try:
            indices = estimate_indices(instrument, rows, design=design, min_n=1)
            values = {k: v.estimate for k, v in indices.all.items.items() if v.estimate is not None}
            analysis = drivers_from_responses(
                instrument,
                rows,
                outcome=outcome,
                weight=present["weight"],
                indices=values,
                target=options["target"],
            )
        except (DriversError, EstimationError) as exc:
            raise CommandError(f"{table.file}: {exc}") from exc
        if options["format"] == "json":
            payload = {
                "instrument": instrument.key,
                "method": analysis.method,
                "r2": analysis.r2,
                "n": analysis.n,
                "target": analysis.target,
                "excluded": list(analysis.excluded),
                "drivers": [d.__dict__ for d in analysis.drivers],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{_('Phương pháp')}: {analysis.method}; R² = {_num(analysis.r2, 3)}; n = {analysis.n}; "
            f"{_('mục tiêu')} {_num(analysis.target)}%"
        )
        if analysis.excluded:
            self.stdout.write(
                f"{_('Không đưa vào (câu hỏi lọc hoặc ít người trả lời)')}: {', '.join(analysis.excluded)}"
            )
        self.stdout.write(
            f"{_('Mã'):<6} {_('Tầm quan trọng'):>15} {_('Chỉ số'):>8} {_('Ưu tiên'):>8}  {_('Nhóm')}"
        )
        for d in analysis.drivers:
            self.stdout.write(
                f"{d.code:<6} {_num(100 * d.importance):>14}% {_num(d.index):>8} {_num(d.priority, 2):>8}  {quadrant_label(d.quadrant)}"
            )


def _responses(
    instrument: Instrument, table: Table, *, extra: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows as dicts with integer answers; every bad cell is reported with its row and column."""
    criteria = {c.code: c for c in instrument.criteria}
    questions = {q.code: q for q in instrument.questions}
    known = set(criteria) | set(questions) | set(DESIGN_COLUMNS) | set(extra)
    warnings = [
        _("%(file)s: cột «%(col)s» không thuộc công cụ %(inst)s, bỏ qua")
        % {"file": table.file, "col": c, "inst": instrument.key}
        for c in table.columns
        if c not in known
    ]
    if not set(criteria) & set(table.columns):
        raise ImportFailed(
            [
                RowError(
                    table.file,
                    1,
                    None,
                    _("không có cột tiêu chí nào của %(inst)s") % {"inst": instrument.key},
                )
            ]
        )
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    for row in table.rows:
        record: dict[str, Any] = dict(row.values)
        for code, criterion in criteria.items():
            raw = row.get(code)
            if not raw:
                record[code] = None
                continue
            value = _integer(raw)
            if value is None or value not in criterion.scale.values:
                allowed = ", ".join(str(v) for v in sorted(criterion.scale.values))
                errors.append(
                    row.error(
                        code,
                        _("giá trị «%(v)s» ngoài thang đo (%(allowed)s)") % {"v": raw, "allowed": allowed},
                    )
                )
                continue
            condition = criterion.asked_if
            if condition is not None and condition.question in table.columns:
                gate = _integer(row.get(condition.question))
                if gate not in condition.values:
                    errors.append(
                        row.error(
                            code,
                            _("chỉ hỏi khi %(q)s ∈ {%(vals)s} nhưng %(q)s = «%(got)s»")
                            % {
                                "q": condition.question,
                                "vals": ", ".join(str(v) for v in sorted(condition.values)),
                                "got": row.get(condition.question),
                            },
                        )
                    )
                    continue
            record[code] = value
        rows.append(record)
    if not rows:
        errors.append(RowError(table.file, None, None, _("tệp không có phiếu trả lời nào")))
    if errors:
        raise ImportFailed(errors)
    return rows, warnings


def _margins(path: Path) -> dict[str, dict[str, float]]:
    table = read_table(
        path, aliases={"column": ["cột", "cot"], "level": ["mức", "muc"], "count": ["số lượng", "so_luong"]}
    )
    missing = [c for c in ("column", "level", "count") if c not in table.columns]
    if missing:
        raise ImportFailed([RowError(table.file, 1, c, _("thiếu cột bắt buộc")) for c in missing])
    margins: dict[str, dict[str, float]] = {}
    errors = []
    for row in table.rows:
        try:
            count = float(row.get("count"))
        except ValueError:
            errors.append(row.error("count", _("phải là số")))
            continue
        if not math.isfinite(count) or count <= 0:
            errors.append(row.error("count", _("phải là số dương")))
            continue
        margins.setdefault(row.get("column"), {})[row.get("level")] = count
    if errors:
        raise ImportFailed(errors)
    return margins


def _integer(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
