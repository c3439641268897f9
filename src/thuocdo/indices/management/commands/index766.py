"""`thuocdo index766`: compute the Decision 766 index from files, without a database.

For analysts: give it the dossiers a one-stop system syncs to the national portal (JSONL, a JSON
array or CSV) and optionally the procedure catalogue (CSV), and it prints the scores.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from thuocdo.calendars.selectors import shipped_calendar
from thuocdo.core.dossier import VN_TZ, Dossier, DossierError, parse_document, unit_matches
from thuocdo.core.index766 import IndexResult, Period, Procedure, compute, parse_period, tally_dossiers
from thuocdo.core.rulesets import RuleSet, RuleSetError, parse_ruleset, ruleset_in_force
from thuocdo.core.text import fold

RULESET_DIR = Path(__file__).resolve().parents[2] / "data" / "rulesets"

_TRUE = {"1", "true", "yes", "x", "co", "có"}
_FALSE = {"", "0", "false", "no", "khong", "không"}
_ONLINE = {
    "full": "full",
    "toan trinh": "full",
    "partial": "partial",
    "mot phan": "partial",
    "none": "none",
    "khong": "none",
    "": "none",
}
_UNITS = {"working_days", "calendar_days", "working_hours"}


def load_rulesets(directory: Path = RULESET_DIR) -> list[RuleSet]:
    """Every rule set file shipped with the application."""
    return [
        parse_ruleset(json.loads(p.read_text(encoding="utf-8")), source=str(p))
        for p in sorted(directory.glob("*.json"))
    ]


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    """(record name, decoded document) for each record of a JSONL, JSON array or CSV file."""
    name = path.name
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                yield f"{name}, dòng {i}", row
        return
    text = path.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise CommandError(f"{name}: JSON không hợp lệ: {exc}") from None
        for i, item in enumerate(items, start=1):
            yield f"{name}, phần tử {i}", item
        return
    for i, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield f"{name}, dòng {i}", json.loads(line)
            except ValueError:
                yield f"{name}, dòng {i}", _NOT_JSON


# Marks a line that is not JSON, so it is reported and skipped like any other bad record.
_NOT_JSON = object()


def _bool(value: str, where: str) -> bool:
    folded = fold(value)
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CommandError(f"{where}: giá trị «{value}» không hợp lệ, cần 0/1")


def _day(value: str, where: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{where}: ngày «{value}» không hợp lệ, cần YYYY-MM-DD") from None


def read_procedures(path: Path) -> list[Procedure]:
    """Parse the catalogue CSV; every error names the file, row and column."""
    out: list[Procedure] = []
    errors: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("code",) if c not in (reader.fieldnames or [])]
        if missing:
            raise CommandError(f"{path.name}: thiếu cột {', '.join(missing)}")
        for i, row in enumerate(reader, start=2):

            def get(col: str, row: Mapping[str, str | None] = row) -> str:
                return (row.get(col) or "").strip()

            def at(col: str, i: int = i) -> str:
                return f"{path.name}, dòng {i}, cột «{col}»"

            try:
                code = get("code")
                if not code:
                    raise CommandError(f"{at('code')}: bắt buộc")
                level = _ONLINE.get(fold(get("online_level")))
                if level is None:
                    raise CommandError(f"{at('online_level')}: cần full, partial hoặc none")
                unit = get("time_limit_unit") or "working_days"
                if unit not in _UNITS:
                    raise CommandError(f"{at('time_limit_unit')}: cần một trong {sorted(_UNITS)}")
                limit = None
                if get("time_limit"):
                    try:
                        limit = Decimal(get("time_limit").replace(",", "."))
                    except InvalidOperation:
                        raise CommandError(f"{at('time_limit')}: cần một số") from None
                fee = get("fee")
                try:
                    fee_bearing = bool(fee) and Decimal(fee.replace(",", ".")) > 0
                except InvalidOperation:
                    fee_bearing = _bool(fee, at("fee"))
                out.append(
                    Procedure(
                        code=code,
                        online_level=level,  # type: ignore[arg-type]
                        fee_bearing=fee_bearing,
                        issues_paper_result=_bool(
                            get("issues_paper_result") or "1", at("issues_paper_result")
                        ),
                        full_online_eligible=_bool(get("full_online_eligible"), at("full_online_eligible")),
                        citizen_subject=_bool(get("citizen_subject") or "1", at("citizen_subject")),
                        time_limit=limit,
                        time_limit_unit=unit,
                        published_on=_day(get("published_on"), at("published_on")),
                        made_public_on=_day(get("made_public_on"), at("made_public_on")),
                        legal_effective_on=_day(get("legal_effective_on"), at("legal_effective_on")),
                    )
                )
            except CommandError as exc:
                errors.append(str(exc))
    if errors:
        raise CommandError("Danh mục thủ tục không hợp lệ, không tính chỉ số:\n" + "\n".join(errors))
    return out


def _parse_as_of(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of «{value}» không hợp lệ, cần ISO 8601 (ví dụ 2025-10-31T17:00)") from None
    if len(value) == 10:
        # A date means the end of that day.
        parsed = datetime.combine(parsed.date(), time(23, 59, 59), VN_TZ)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def result_as_json(
    period: Period, ruleset: RuleSet, result: IndexResult, counts: dict[str, int]
) -> dict[str, Any]:
    """The JSON document the command prints."""
    return {
        "period": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "ruleset": ruleset.id,
        "records": counts,
        "indicators": {
            r.id: {
                "name": r.name_vi,
                "group": r.group,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "rate": _num(r.rate),
                "points": _num(r.points),
                "max_points": _num(r.max_points),
                "not_applicable": r.not_applicable,
            }
            for r in result.indicators.values()
        },
        "groups": {
            g.id: {
                "name": g.name_vi,
                "points": _num(g.points),
                "max_points": _num(g.max_points),
                "not_applicable": g.not_applicable,
            }
            for g in result.groups.values()
        },
        "total": _num(result.total),
        "band": result.band.name_vi,
    }


def _cell(value: Decimal | int | None) -> str:
    if value is None:
        return "N/A"
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def result_as_table(period: Period, ruleset: RuleSet, result: IndexResult) -> str:
    """A plain aligned table in Vietnamese."""
    rows = [("Mã", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm", "Tối đa")]
    for g in result.groups.values():
        rows.extend(
            (
                r.id,
                r.name_vi[:60],
                str(r.numerator),
                str(r.denominator),
                _cell(r.rate),
                _cell(r.points) + (" (N/A)" if r.not_applicable else ""),
                _cell(r.max_points),
            )
            for r in result.indicators.values()
            if r.group == g.id
        )
        rows.append(("", f"Nhóm: {g.name_vi}", "", "", "", _cell(g.points), _cell(g.max_points)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 3, 4, 5, 6}
    lines = [f"Chỉ số 766 — kỳ {period.label} — bộ quy tắc {ruleset.id}"]
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"Tổng điểm: {result.total:.2f} / 100 — Xếp loại: {result.band.name_vi}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Tính Chỉ số 766 (QĐ 766/QĐ-TTg) từ tệp hồ sơ đồng bộ, không cần cơ sở dữ liệu."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dossiers", required=True, help="JSONL, mảng JSON hoặc CSV các hồ sơ HoSoDongBoDVC"
        )
        parser.add_argument("--procedures", help="CSV danh mục thủ tục hành chính")
        parser.add_argument("--period", required=True, help="YYYY-MM, YYYY-Qn, YYYY, YYYY-Www hoặc FROM..TO")
        parser.add_argument("--unit", help="mã đơn vị (DonViXuLy); gồm cả các đơn vị cấp dưới")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="thời điểm đánh giá (ISO 8601); mặc định: cuối kỳ, hoặc bây giờ nếu kỳ chưa kết thúc",
        )
        parser.add_argument("--format", choices=["json", "table"], default="table")
        parser.add_argument("--ruleset", help="tệp JSON bộ quy tắc thay cho bộ đang có hiệu lực")
        parser.add_argument(
            "--reported", type=int, help="số hồ sơ báo cáo trên Hệ thống báo cáo quốc gia (chỉ số 1.4)"
        )
        parser.add_argument(
            "--explain", metavar="CHI_SO", help="liệt kê đóng góp của từng hồ sơ vào một chỉ số"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            period = parse_period(opts["period"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        dossier_path = Path(opts["dossiers"])
        if not dossier_path.is_file():
            raise CommandError(f"không tìm thấy tệp {dossier_path}")
        try:
            if opts["ruleset"]:
                path = Path(opts["ruleset"])
                ruleset = parse_ruleset(json.loads(path.read_text(encoding="utf-8")), source=str(path))
            else:
                ruleset = ruleset_in_force(load_rulesets(), period.start)
        except (RuleSetError, LookupError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        procedures = read_procedures(Path(opts["procedures"])) if opts["procedures"] else []

        as_of = _parse_as_of(opts["as_of"]) if opts["as_of"] else min(period.end_at, timezone.now())

        dossiers: list[Dossier] = []
        read = invalid = 0
        err = self.stderr
        for record, obj in _records(dossier_path):
            read += 1
            try:
                if obj is _NOT_JSON:
                    raise DossierError(record, "-", "dòng không phải JSON hợp lệ")
                dossiers.append(parse_document(obj, record=record))
            except DossierError as exc:
                invalid += 1
                err.write(str(exc))
        if not dossiers:
            raise CommandError(
                f"{dossier_path.name}: không có hồ sơ hợp lệ nào ({read} bản ghi, {invalid} lỗi)"
            )
        # Later updates of the same dossier replace earlier ones.
        latest: dict[str, Dossier] = {}
        for d in dossiers:
            kept = latest.get(d.code)
            if kept is None or d.version_at >= kept.version_at:
                latest[d.code] = d
        selected = [
            d for d in latest.values() if not opts["unit"] or unit_matches(d.agency_code, opts["unit"])
        ]
        counts = {"read": read, "valid": len(dossiers), "invalid": invalid, "selected": len(selected)}
        err.write(
            f"Đã đọc {read} bản ghi: {len(dossiers)} hợp lệ, {invalid} lỗi bị bỏ qua; "
            f"{len(selected)} hồ sơ được tính."
        )

        # The official table shipped with the package: announced Tết days and swaps, no database needed.
        calendar = shipped_calendar()
        by_code = {p.code: p for p in procedures}

        def due_from(received_at: datetime, procedure_code: str) -> datetime | None:
            proc = by_code.get(procedure_code)
            if proc is None or proc.time_limit is None:
                return None
            if proc.time_limit_unit == "calendar_days":
                return calendar.add_calendar_days(received_at, int(proc.time_limit))
            if proc.time_limit_unit == "working_hours":
                return calendar.add_working_hours(received_at, float(proc.time_limit))
            return calendar.add_working_days(received_at, float(proc.time_limit))

        tallies = tally_dossiers(
            selected,
            period.start_at,
            period.end_at,
            procedures,
            as_of,
            ruleset=ruleset,
            due_from=due_from,
            shift_working_days=calendar.shift_working_days,
            reported_received=opts["reported"],
            explain=bool(opts["explain"]),
        )
        result = compute(tallies.counts, ruleset)
        explain = opts["explain"]
        if opts["format"] == "json":
            doc = result_as_json(period, ruleset, result, counts)
            if explain:
                doc["explain"] = {
                    explain: [
                        {
                            "record": c.record,
                            "in_numerator": c.in_numerator,
                            "in_denominator": c.in_denominator,
                            "reason": c.reason_vi,
                        }
                        for c in tallies.contributions.get(explain, [])
                    ]
                }
            self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(result_as_table(period, ruleset, result))
            if explain:
                self.stdout.write(f"\nGiải thích chỉ số {explain}:")
                for c in tallies.contributions.get(explain, []):
                    mark = "+" if c.in_numerator else ("-" if c.in_denominator else " ")
                    self.stdout.write(f" {mark} {c.record}: {c.reason_vi}")
