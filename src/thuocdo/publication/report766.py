"""The monthly Decision 766 report of a unit: index, groups and indicators, trend, rankings, late lists.

Decision 766/QĐ-TTg asks every province to publish each month the results of the index and the list of
agencies, units and officials that let dossiers run late (seed 002). This module describes that report
with the plain model of `reports` (so it renders to PDF, XLSX and DOCX like the satisfaction report);
every figure comes from `indices.selectors`, the same reads as the officials' pages, so the report and
the screen never disagree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from thuocdo.core.dossier import VN_TZ
from thuocdo.core.index766 import IndexResult, IndicatorResult, Period, parse_period
from thuocdo.indices import selectors as ix
from thuocdo.indices.selectors import IndexView, Scope, ScopeError
from thuocdo.publication import selectors
from thuocdo.publication.reports import (
    BarChart,
    Cell,
    LineChart,
    Progress,
    Report,
    ReportError,
    Section,
    Series,
    Table,
    _numbered,
    vn,
)

TREND_MONTHS = 12
MAX_LISTED = 5000  # rows of a late list in the report (the officials' page and its CSV have every row)
PRINTED_ROWS = 60  # rows of a late list printed in the PDF and Word file; the XLSX has them all
OVERDUE_LISTED = 30

_NA_NOTE = {
    "na_full": "Không phát sinh: tính đủ điểm",
    "na_excluded": "Không phát sinh: loại khỏi nhóm, điểm nhóm quy đổi theo tỷ lệ",
    "na_zero": "Không phát sinh: 0 điểm",
}


@dataclass(frozen=True)
class Target:
    """What a 766 report is about: a scope and the unit names its header needs."""

    scope: Scope
    kind: str  # province, commune, agency
    code: str
    province_name: str
    province_place: str
    province_code: str


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def resolve_target(text: str = "") -> Target:
    """A unit code or scope key (66, 24133, H66.01, province:66, agency:H66.01); the home province when empty."""
    from thuocdo.units.models import AdminUnit, Agency

    key = (text or "").strip()
    if not key:
        home = selectors.home_province()
        if home is None:
            raise ReportError("chưa cấu hình tỉnh (THUOCDO_PROVINCE_CODE); hãy chọn đơn vị (--unit)")
        key = f"province:{home.code}"
    elif ":" not in key:
        level = "province" if len(key) <= 2 else "commune"
        key = f"{level if key.isdigit() else 'agency'}:{key}"
    kind, _sep, code = key.partition(":")
    if kind not in ("province", "commune", "agency"):
        raise ReportError(f"đơn vị «{text}» không hợp lệ: dùng mã tỉnh, mã xã hoặc mã cơ quan")
    try:
        scope = ix.resolve_scope(key)
    except ScopeError as exc:
        raise ReportError(str(exc)) from exc
    province: AdminUnit | None
    if kind == "agency":
        agency = Agency.objects.select_related("admin_unit").get(code=code)
        unit = agency.admin_unit
    else:
        unit = AdminUnit.objects.get(structure="2025", level=kind, code=code)
    province = unit
    while province is not None and province.level != "province":
        province = province.parent
    if province is None:
        raise ReportError(f"không xác định được tỉnh, thành phố của «{scope.label}»")
    return Target(scope, kind, code, province.name, province.short_name or province.name, province.code)


def _month_label(period: Period) -> str:
    return f"tháng {period.start.month} năm {period.start.year}"


def _short_month(period: Period) -> str:
    return f"T{period.start.month}/{period.start.year}"


def _previous_months(period: Period, count: int) -> list[Period]:
    """The `count` months ending with `period`, oldest first."""
    year, month = period.start.year, period.start.month
    out = []
    for _i in range(count):
        out.append(parse_period(f"{year:04d}-{month:02d}"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _has_dossiers(view: IndexView) -> bool:
    return any(view.tallies.get(i) is not None and view.tallies[i].denominator for i in ix.DOSSIER_INDICATORS)


def _pts(value: Decimal) -> str:
    return vn(value)


def _indicator_row(ind: IndicatorResult, policy: str) -> tuple[Cell, ...]:
    if ind.not_applicable:
        points: Cell = "Loại trừ" if ind.excluded else ind.points
        return (ind.id, ind.name_vi, None, None, None, points, ind.max_points, _NA_NOTE.get(policy, ""))
    note = ""
    if ind.target is not None and ind.rate is not None and ind.rate < ind.target:
        note = f"Chưa đạt mục tiêu {vn(ind.target, 0)}%"
    return (ind.id, ind.name_vi, ind.numerator, ind.denominator, ind.rate, ind.points, ind.max_points, note)


def indicator_table(view: IndexView, ruleset_policies: Mapping[str, str]) -> Table:
    """Each group (a row in capitals with its points) followed by its indicators."""
    result = view.result
    rows: list[tuple[Cell, ...]] = []
    strong: list[int] = []
    for number, group in enumerate(result.groups.values(), start=1):
        strong.append(len(rows))
        note = "Cả nhóm không phát sinh" if group.not_applicable else ""
        rows.append(
            (
                str(number),
                f"NHÓM {number}. {group.name_vi.upper()}",
                None,
                None,
                None,
                group.points,
                group.max_points,
                note,
            )
        )
        rows.extend(
            _indicator_row(ind, ruleset_policies.get(ind.id, ""))
            for ind in result.indicators.values()
            if ind.group == group.id
        )
    strong.append(len(rows))
    rows.append(
        (
            "",
            "TỔNG ĐIỂM",
            None,
            None,
            None,
            result.total,
            sum((g.max_points for g in result.groups.values()), Decimal(0)),
            result.band.name_vi,
        )
    )
    return Table(
        "Bảng. Kết quả theo nhóm và chỉ số",
        ("Mã", "Nhóm / chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm", "Tối đa", "Ghi chú"),
        tuple(rows),
        strong_rows=tuple(strong),
    )


def weakest(result: IndexResult, limit: int = 5) -> list[tuple[IndicatorResult, Decimal]]:
    """Indicators that lost the most points (excluded ones lose none: their points go to the group)."""
    lost = [
        (ind, ind.max_points - ind.points)
        for ind in result.indicators.values()
        if not ind.excluded and ind.max_points - ind.points > 0
    ]
    return sorted(lost, key=lambda il: (-il[1], il[0].id))[:limit]


def _block_of(scopes: Sequence[Scope]) -> dict[str, str]:
    """Scope key → the name of its comparison block (khối): an agency's own block, else its agencies' block."""
    from thuocdo.units.models import Agency

    rows = list(Agency.objects.filter(block__isnull=False).values_list("id", "code", "block__name"))
    by_id = {i: name for i, _code, name in rows}
    by_code = {code: name for _i, code, name in rows}
    out = {}
    for s in scopes:
        kind, _sep, code = s.key.partition(":")
        found = Counter(by_id[i] for i in s.agency_ids if i in by_id).most_common(1)
        if kind == "agency" and code in by_code:
            out[s.key] = by_code[code]
        elif kind == "commune" and found:
            out[s.key] = found[0][0]
        elif kind == "commune":
            out[s.key] = "Khối xã, phường, đặc khu"
        else:
            out[s.key] = "Cơ quan, đơn vị khác"
    return out


@dataclass(frozen=True)
class Ranking:
    tables: list[Table]
    idle: list[str]  # units without dossiers in the month: listed, not ranked
    position: tuple[int, int, str] | None  # (rank, ranked units, block) of the marked unit


def _ranking_tables(
    views: list[tuple[Scope, IndexView]], blocks: dict[str, str], *, mark: str = ""
) -> Ranking:
    by_block: dict[str, list[tuple[Scope, IndexView]]] = {}
    for s, v in views:
        by_block.setdefault(blocks[s.key], []).append((s, v))
    tables, idle = [], []
    position = None
    for name in sorted(by_block, key=lambda n: ("xã" in n.lower(), n)):
        ranked = sorted(by_block[name], key=lambda sv: (-sv[1].result.total, sv[0].label))
        active = [sv for sv in ranked if _has_dossiers(sv[1])]
        idle += [s.label for s, v in ranked if not _has_dossiers(v)]
        if not active:
            continue
        rows: list[tuple[Cell, ...]] = []
        strong: list[int] = []
        rank, previous_total = 0, None
        for place, (s, v) in enumerate(active, start=1):
            if v.result.total != previous_total:
                rank, previous_total = place, v.result.total
            if s.key == mark:
                position = (rank, len(active), name)
                strong.append(len(rows))
            groups = tuple(g.points for g in v.result.groups.values())
            rows.append((rank, s.label, *groups, v.result.total, v.result.band.name_vi))
        group_heads = tuple(f"N{i}" for i in range(1, len(active[0][1].result.groups) + 1))
        tables.append(
            Table(
                f"Bảng. Xếp hạng {_lower_first(name)}",
                ("Hạng", "Cơ quan, đơn vị", *group_heads, "Tổng điểm", "Xếp loại"),
                tuple(rows),
                strong_rows=tuple(strong),
            )
        )
    return Ranking(tables, sorted(idle), position)


def monthly_766_report(
    *,
    unit: str = "",
    month: str,
    today: date,
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> Report:
    """The monthly 766 report of a province, commune or agency (scope key or code) for a month (YYYY-MM)."""
    tick = progress or (lambda _step: None)
    try:
        period = parse_period(month)
    except ValueError as exc:
        raise ReportError(str(exc)) from exc
    if not re.fullmatch(r"\d{4}-\d{2}", period.label):
        raise ReportError(f"kỳ «{month}» không phải một tháng; dùng YYYY-MM")
    target = resolve_target(unit)
    scope = target.scope
    now = as_of or datetime.now(UTC)
    if period.start_at > now:
        raise ReportError(f"tháng {period.label} chưa bắt đầu")
    tick("đọc chỉ số của đơn vị")
    ruleset = ix.ruleset_for(period.start)
    policies = {i.id: i.zero_denominator for i in ruleset.indicators}
    view = ix.index_for(scope, period, now)
    result = view.result

    # 12-month trend of the total, the previous month for the change.
    trend: list[tuple[Period, IndexView]] = []
    for p in _previous_months(period, TREND_MONTHS)[:-1]:
        tick(f"xu hướng {_short_month(p)}")
        trend.append((p, ix.index_for(scope, p, now)))
    trend.append((period, view))
    previous = trend[-2][1] if len(trend) > 1 else None

    # Rankings: the province's agencies and communes in their comparison blocks.
    tick("danh sách cơ quan, đơn vị")
    children, blocks = _peers(target)
    child_views: list[tuple[Scope, IndexView]] = []
    many = ix.index_for_many([c for c in children if c.key != scope.key], period, now)
    for child in children:
        tick(f"xếp hạng: {child.label}")
        child_views.append((child, view if child.key == scope.key else many[child]))
    ranking = _ranking_tables(child_views, blocks, mark=scope.key if target.kind != "province" else "")

    # National position of a province among provinces that have dossiers in the system.
    rank_text = ""
    if target.kind == "province":
        tick("so sánh các tỉnh")
        provinces = [s for s in ix.child_scopes(ix.resolve_scope("national")) if s.agency_ids]
        ranked = [(s, v) for s, v in ix.ranking(provinces, period, now) if _has_dossiers(v)]
        position = next((i for i, (s, _v) in enumerate(ranked, start=1) if s.key == scope.key), None)
        if position is not None and len(ranked) > 1:
            rank_text = f"Xếp thứ {position}/{len(ranked)} tỉnh, thành phố có dữ liệu trên hệ thống."
    elif ranking.position is not None:
        rank, count, block = ranking.position
        rank_text = f"Xếp thứ {rank}/{count} trong {_lower_first(block)} của {target.province_name}."

    tick("danh sách trễ hạn")
    late_units = ix.late_units(scope, period, now)
    late_officials = ix.late_officials(scope, period)
    judge = view.judged_at
    overdue = list(ix.overdue_dossiers(scope, now=judge, limit=OVERDUE_LISTED + 1))
    names = dict(_agency_names())

    # --- the text ---------------------------------------------------------------------------------
    summary = [
        f"Trong {_month_label(period)}, {scope.label} đạt {_pts(result.total)}/100 điểm theo Bộ chỉ số "
        f"phục vụ người dân, doanh nghiệp (Quyết định số 766/QĐ-TTg), xếp loại «{result.band.name_vi}»."
    ]
    if previous is not None and _has_dossiers(previous):
        delta = result.total - previous.result.total
        word = "tăng" if delta > 0 else ("giảm" if delta < 0 else "không đổi")
        amount = f" {_pts(abs(delta))} điểm" if delta else ""
        summary.append(
            f"So với {_month_label(previous.period)} ({_pts(previous.result.total)} điểm, "
            f"xếp loại «{previous.result.band.name_vi}»): {word}{amount}."
        )
    if rank_text:
        summary.append(rank_text)
    on_time = result.indicators.get("2.1")
    if on_time is not None and on_time.denominator:
        late_total = sum(u.late for u in late_units)
        summary.append(
            f"Có {vn(on_time.denominator)} hồ sơ được tính vào chỉ số tiến độ, trong đó {vn(on_time.numerator)} "
            f"hồ sơ giải quyết đúng hạn ({vn(on_time.rate)}%); {vn(late_total)} hồ sơ trễ hạn thuộc "
            f"{vn(len(late_units))} cơ quan, đơn vị; {vn(len(late_officials))} cán bộ có bước xử lý quá hạn."
        )
    else:
        summary.append("Trong tháng không có hồ sơ nào được tính vào chỉ số tiến độ giải quyết.")
    if judge < period.end_at:
        summary.append(
            f"Tháng chưa kết thúc: số liệu tạm tính đến {judge.astimezone(VN_TZ):%H:%M ngày %d/%m/%Y}."
        )

    groups_chart = BarChart(
        title=f"Điểm theo nhóm chỉ số, {_month_label(period)}",
        x_title="Điểm",
        bars=tuple((g.name_vi, float(g.points), float(g.max_points)) for g in result.groups.values()),
        description="; ".join(
            f"{g.name_vi}: {_pts(g.points)}/{vn(g.max_points, 0)} điểm" for g in result.groups.values()
        ),
    )
    measured = [(p, v) for p, v in trend if _has_dossiers(v)] or [(period, view)]
    first_p, first_v = measured[0]
    trend_chart = LineChart(
        title=f"Tổng điểm 766 của {scope.label}, {_short_month(first_p)}–{_short_month(period)}",
        y_title="Tổng điểm",
        x_title="Tháng",
        show_kind=False,
        series=(Series(scope.label, tuple((_short_month(p), float(v.result.total)) for p, v in measured)),),
        description=(
            f"Tổng điểm từ {_pts(first_v.result.total)} ({_short_month(first_p)}) đến "
            f"{_pts(result.total)} ({_short_month(period)})."
        ),
    )
    trend_rows: list[tuple[Cell, ...]] = []
    before: Decimal | None = None
    for p, v in trend:
        if not _has_dossiers(v):
            trend_rows.append((_short_month(p), None, None, None, "Không có hồ sơ trong tháng"))
            continue
        change = v.result.total - before if before is not None else None
        trend_rows.append(
            (
                _short_month(p),
                v.result.total,
                change,
                v.result.band.name_vi,
                "Tạm tính" if v.judged_at < p.end_at else "",
            )
        )
        before = v.result.total

    lost = weakest(result)
    weak_rows = tuple(
        (
            ind.id,
            ind.name_vi,
            ind.rate,
            ind.points,
            ind.max_points,
            points,
        )
        for ind, points in lost
    )
    weak_text = (
        "Các chỉ số mất nhiều điểm nhất, cần ưu tiên cải thiện: "
        + "; ".join(
            f"{ind.id} {_lower_first(ind.name_vi)} (mất {_pts(points)} điểm)" for ind, points in lost[:3]
        )
        + "."
        if lost
        else "Không có chỉ số nào bị mất điểm."
    )

    unit_rows = tuple(
        (
            u.agency_code,
            u.agency_name or names.get(u.agency_code, ""),
            u.late,
            u.counted,
            _share(u.late, u.counted),
        )
        for u in late_units[:MAX_LISTED]
    )
    official_rows = tuple(
        (
            o.officer,
            o.department,
            names.get(o.agency_code, o.agency_code),
            o.late_steps,
            o.steps,
            _share(o.late_steps, o.steps),
        )
        for o in late_officials[:MAX_LISTED]
    )
    late_paragraphs = [
        "Thực hiện Quyết định số 766/QĐ-TTg, danh sách dưới đây công khai các cơ quan, đơn vị có hồ sơ giải quyết "
        "trễ hạn trong tháng (đã giải quyết quá hạn, hoặc chưa giải quyết và đã quá hạn vào cuối tháng) và các cán bộ, "
        "công chức, viên chức có bước xử lý quá thời hạn quy định của bước."
    ]
    if not late_units:
        late_paragraphs.append("Trong tháng không có cơ quan, đơn vị nào để hồ sơ trễ hạn.")
    if len(late_units) > PRINTED_ROWS or len(late_officials) > PRINTED_ROWS:
        late_paragraphs.append(
            f"Bản in liệt kê {PRINTED_ROWS} dòng đầu của mỗi danh sách (nhiều trễ hạn nhất trước); bản XLSX của báo cáo "
            "có danh sách đầy đủ."
        )
    late_tables = [
        Table(
            "Bảng. Cơ quan, đơn vị có hồ sơ trễ hạn",
            ("Mã", "Cơ quan, đơn vị", "Hồ sơ trễ hạn", "Hồ sơ được tính", "Tỷ lệ trễ (%)"),
            unit_rows,
            print_limit=PRINTED_ROWS,
        )
    ]
    if official_rows:
        late_tables.append(
            Table(
                "Bảng. Cán bộ, công chức, viên chức có bước xử lý quá hạn",
                ("Cán bộ", "Phòng, ban", "Cơ quan", "Bước quá hạn", "Tổng số bước", "Tỷ lệ quá hạn (%)"),
                official_rows,
                print_limit=PRINTED_ROWS,
            )
        )
    if overdue:
        shown = overdue[:OVERDUE_LISTED]
        late_paragraphs.append(
            f"Đến thời điểm {judge.astimezone(VN_TZ):%d/%m/%Y}, "
            + (f"có hơn {OVERDUE_LISTED}" if len(overdue) > OVERDUE_LISTED else f"có {len(overdue)}")
            + " hồ sơ đang giải quyết đã quá hạn; cần xử lý dứt điểm và gửi thư xin lỗi người dân, doanh nghiệp."
        )
        late_tables.append(
            Table(
                "Bảng. Hồ sơ đang giải quyết đã quá hạn",
                ("Mã hồ sơ", "Cơ quan", "Thủ tục", "Quá hạn từ"),
                tuple(
                    (
                        f.code,
                        names.get(f.agency_code, f.agency_code),
                        f.procedure_code,
                        f"{f.late_at.astimezone(VN_TZ):%d/%m/%Y}" if f.late_at else "",
                    )
                    for f in shown
                ),
            )
        )

    sections = [
        Section("I. KẾT QUẢ CHUNG", tuple(summary), groups_chart),
        Section(
            "II. KẾT QUẢ THEO NHÓM VÀ CHỈ SỐ",
            (
                "Mỗi chỉ số ghi tử số, mẫu số, tỷ lệ và điểm đạt được so với điểm tối đa theo bộ quy tắc "
                f"«{view.ruleset_name}». Chỉ số không phát sinh trong tháng được xử lý theo bộ quy tắc: tính đủ điểm, "
                "0 điểm, hoặc loại khỏi nhóm và quy đổi điểm của nhóm theo tỷ lệ.",
            ),
            None,
            (indicator_table(view, policies),),
        ),
        Section(
            "III. CÁC CHỈ SỐ CẦN ƯU TIÊN CẢI THIỆN",
            (weak_text,),
            None,
            (
                Table(
                    "Bảng. Chỉ số mất nhiều điểm nhất",
                    ("Mã", "Chỉ số", "Tỷ lệ (%)", "Điểm", "Tối đa", "Điểm bị mất"),
                    weak_rows,
                ),
            )
            if weak_rows
            else (),
        ),
        Section(
            "IV. DIỄN BIẾN 12 THÁNG",
            (
                "Biểu đồ và bảng dưới đây trình bày tổng điểm từng tháng trong 12 tháng gần nhất "
                "(tháng không có hồ sơ không được vẽ).",
            ),
            trend_chart,
            (
                Table(
                    "Bảng. Tổng điểm theo tháng",
                    ("Tháng", "Tổng điểm", "Thay đổi (điểm)", "Xếp loại", "Ghi chú"),
                    tuple(trend_rows),
                ),
            ),
        ),
    ]
    if ranking.tables:
        ranking_intro = (
            "Các cơ quan, đơn vị được xếp hạng trong khối so sánh của mình theo tổng điểm; cột N1, N2… là điểm "
            "của từng nhóm chỉ số theo thứ tự ở mục II. Đơn vị không có hồ sơ trong tháng không xếp hạng."
        )
        if target.kind != "province":
            ranking_intro += f" Dòng in đậm là {scope.label}."
        texts = [ranking_intro]
        if ranking.idle:
            texts.append(f"Không có hồ sơ trong tháng ({len(ranking.idle)}): {', '.join(ranking.idle)}.")
        sections.append(Section("V. XẾP HẠNG TRONG KHỐI", tuple(texts), None, tuple(ranking.tables)))
    sections.append(
        Section(
            "VI. DANH SÁCH ĐƠN VỊ, CÁN BỘ ĐỂ XẢY RA TRỄ HẠN", tuple(late_paragraphs), None, tuple(late_tables)
        )
    )
    sections.append(
        Section(
            "VII. ĐỀ XUẤT",
            (
                "Đề nghị thủ trưởng các cơ quan, đơn vị có tên trong danh sách trễ hạn chỉ đạo xử lý dứt điểm hồ sơ quá "
                "hạn, thực hiện xin lỗi người dân, doanh nghiệp theo quy định, và xem xét trách nhiệm của cán bộ, công chức "
                "có liên quan khi đánh giá, xếp loại chất lượng hằng tháng.",
                "Đề nghị các cơ quan, đơn vị tập trung cải thiện các chỉ số mất nhiều điểm nêu tại mục III.",
            ),
        )
    )
    notes = [
        f"Số liệu tính từ dữ liệu hồ sơ đồng bộ từ hệ thống một cửa điện tử, danh mục thủ tục hành chính và phản ánh, "
        f"kiến nghị; bộ quy tắc «{view.ruleset_name}» có hiệu lực từ {ruleset.effective_from:%d/%m/%Y}.",
        "Thời điểm đánh giá là 00 giờ ngày đầu tháng sau (hoặc thời điểm lập báo cáo nếu tháng chưa kết thúc); "
        "hồ sơ của đơn vị đã sáp nhập được tính cho đơn vị kế thừa.",
        *view.notes,
    ]
    numbered = _numbered(sections)
    tick("hoàn tất nội dung")
    return Report(
        **_header(target),
        title="Báo cáo",
        subtitle=(
            "Kết quả đánh giá chất lượng phục vụ người dân, doanh nghiệp trong thực hiện thủ tục hành chính, "
            f"dịch vụ công theo thời gian thực {_month_label(period)}"
        ),
        period=f"Đơn vị: {scope.label} · Kỳ đánh giá: từ 01/{period.start:%m/%Y} đến "
        f"{period.end - timedelta(days=1):%d/%m/%Y}",
        issued_on=today,
        sections=tuple(numbered),
        notes=tuple(notes),
    )


def _header(target: Target) -> dict[str, Any]:
    """Issuing body, number, signer and recipients in the Decree 30 layout, by the kind of unit."""
    province_committee = f"Ủy ban nhân dân {_lower_first(target.province_name)}"
    blank = "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0"
    common = {"place": target.province_place}
    if target.kind == "province":
        return {
            **common,
            "parent_issuer": province_committee,
            "issuer": "Văn phòng",
            "number": f"{blank}/BC-VP",
            "signer_title": "Chánh Văn phòng",
            "signer_role": "",
            "recipients": (
                "Văn phòng Chính phủ (Cục Kiểm soát TTHC)",
                "Chủ tịch, các Phó Chủ tịch UBND tỉnh",
                "Các sở, ban, ngành; UBND các xã, phường",
                "Cổng thông tin điện tử tỉnh",
                "Lưu: VT",
            ),
        }
    if target.kind == "commune":
        return {
            **common,
            "parent_issuer": "",
            "issuer": f"Ủy ban nhân dân {_lower_first(target.scope.label)}",
            "number": f"{blank}/BC-UBND",
            "signer_title": "TM. Ủy ban nhân dân",
            "signer_role": "Chủ tịch",
            "recipients": ("Văn phòng UBND tỉnh", "Thường trực Đảng ủy, HĐND xã", "Lưu: VT"),
        }
    return {
        **common,
        "parent_issuer": province_committee,
        "issuer": target.scope.label,
        "number": f"{blank}/BC",
        "signer_title": "Thủ trưởng cơ quan",
        "signer_role": "",
        "recipients": ("Văn phòng UBND tỉnh", "Lưu: VT"),
    }


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def _agency_names() -> list[tuple[str, str]]:
    from thuocdo.units.models import Agency

    return list(Agency.objects.values_list("code", "name"))


def _province_peers(province_code: str) -> list[Scope]:
    """Every current agency of the province (with the units under it) and every commune, as scopes."""
    from thuocdo.units.models import Agency

    province = ix.resolve_scope(f"province:{province_code}")
    agencies = Agency.objects.filter(
        admin_unit__structure="2025",
        admin_unit__level="province",
        admin_unit__code=province_code,
        valid_to__isnull=True,
    ).exclude(kind="province_committee")  # the committee's subtree is the whole province
    scopes = [
        ix.resolve_scope(f"agency:{code}")
        for code in agencies.order_by("path").values_list("code", flat=True)
    ]
    return scopes + [s for s in ix.child_scopes(province) if s.key.startswith("commune:")]


def _peers(target: Target) -> tuple[list[Scope], dict[str, str]]:
    """The scopes ranked in the report and their blocks: the province's agencies and communes, or the unit's block."""
    children = _province_peers(target.province_code)
    if target.kind == "province":
        return children, _block_of(children)
    # A commune or agency is ranked among the peers of its own block in its province.
    blocks = _block_of([*children, target.scope])
    peers = [c for c in children if blocks[c.key] == blocks[target.scope.key]]
    if target.scope.key not in {c.key for c in peers}:
        peers.append(target.scope)
    return peers, blocks


def expected_steps(unit: str = "") -> int:
    """How many progress steps monthly_766_report reports for a unit, for a progress bar's total."""
    target = resolve_target(unit)
    peers, _blocks = _peers(target)
    # unit, 11 earlier months, list of peers, each peer, provinces (province only), late lists, done
    return 1 + (TREND_MONTHS - 1) + 1 + len(peers) + (target.kind == "province") + 1 + 1
