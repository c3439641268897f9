"""Open data: every published dataset as CSV, XLSX, Parquet and JSON, described by one data dictionary.

The dictionary below is the single description of each column (type, Vietnamese and English meaning);
the download files, the dictionary page and its JSON are all generated from it, so they cannot disagree.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F

from thuocdo.publication import measures, ranking, selectors
from thuocdo.publication.models import (
    LateOfficialEntry,
    LateUnitEntry,
    PublishedFigure,
    SnapshotRow,
    Target,
)
from thuocdo.shared.tabular import write_table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, decimal, boolean, date, datetime, json
    vi: str
    en: str


@dataclass(frozen=True)
class Dataset:
    slug: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[tuple[Any, ...]]]


def _figures() -> Iterator[tuple[Any, ...]]:
    figures = PublishedFigure.objects.select_related("unit", "agency", "block").order_by(
        "measure", "year", "period", "unit__code", "agency__code", "block__code"
    )
    k = selectors.min_answers()
    for f in figures.iterator(chunk_size=2000):
        # Below the anonymity threshold only the count is public, whatever the source of the figure.
        shown = f.value is not None and ranking.eligible(f.n, k)
        yield (
            f.measure,
            measures.label(f.measure),
            f.unit.code if f.unit else None,
            f.unit.name if f.unit else None,
            f.unit.level if f.unit else None,
            f.unit.structure if f.unit else None,
            f.agency.code if f.agency else None,
            f.agency.name if f.agency else None,
            f.year,
            f.period,
            f.value if shown else None,
            f.ci_low if shown else None,
            f.ci_high if shown else None,
            f.n,
            f.is_estimate,
            f.estimate_note,
            f.is_demo,
            f.source,
            json.dumps(f.components, ensure_ascii=False, sort_keys=True),
            f.block.code if f.block else None,
            f.block.name if f.block else None,
        )


def _targets() -> Iterator[tuple[Any, ...]]:
    for t in Target.objects.select_related("unit").order_by("measure", "target_year", "effective_from"):
        yield (
            t.measure,
            t.threshold,
            t.target_year,
            t.label,
            t.unit.code if t.unit else None,
            t.effective_from,
            t.effective_to,
            t.source,
        )


def _snapshots() -> Iterator[tuple[Any, ...]]:
    rows = SnapshotRow.objects.select_related("snapshot").order_by(
        "-snapshot__taken_on", "snapshot__measure", "snapshot__group", F("rank").asc(nulls_last=True), "code"
    )
    for r in rows.iterator(chunk_size=2000):
        yield (
            r.snapshot.taken_on,
            r.snapshot.measure,
            r.snapshot.group,
            r.snapshot.year,
            r.code,
            r.name,
            r.value,
            r.n,
            r.is_estimate,
            r.rank,
            r.previous_rank,
            r.rank_change,
            r.snapshot.period,
        )


def _index766() -> Iterator[tuple[Any, ...]]:
    from thuocdo.publication import index766

    months = index766.published_months()
    for month in reversed(months):
        result = index766.rankings(month, months, None)
        groups = result.group_labels
        rows = list(result.provinces)
        # Agencies are ranked within their block inside their province, communes within their province.
        for row in result.provinces:
            province = selectors.current_unit(row.code)
            if province is not None:
                inside = index766.rankings(month, months, province)
                rows += [r for _b, rs in inside.blocks for r in rs] + inside.communes
        for row in rows:
            points = {g.id: g.points for g in row.groups}
            yield (
                month.key,
                month.year,
                month.month,
                row.kind,
                row.code,
                row.name,
                row.province_code or None,
                row.block.code if row.block else None,
                row.total,
                row.band,
                row.rank,
                row.previous_rank,
                row.dossiers,
                json.dumps({gid: float(points[gid]) for gid, _l in groups if points.get(gid) is not None}),
                month.is_demo,
            )


def _late_units() -> Iterator[tuple[Any, ...]]:
    rows = LateUnitEntry.objects.select_related("index_month", "province").order_by(
        "index_month__year", "index_month__month", "-late", "agency_code"
    )
    for r in rows.iterator(chunk_size=2000):
        yield (
            r.index_month.key,
            r.province.code if r.province else None,
            r.agency_code,
            r.agency_name,
            r.late,
            r.counted,
            r.index_month.is_demo,
        )


def _late_officials() -> Iterator[tuple[Any, ...]]:
    rows = LateOfficialEntry.objects.select_related("index_month", "province").order_by(
        "index_month__year", "index_month__month", "-late_steps", "officer"
    )
    for r in rows.iterator(chunk_size=2000):
        yield (
            r.index_month.key,
            r.province.code if r.province else None,
            r.agency_code,
            r.agency_name,
            r.officer,
            r.department,
            r.late_steps,
            r.index_month.is_demo,
        )


_MEASURE = Column(
    "measure", "string", "Mã chỉ số (sipas, par_index, index766, sipas_factor:…)", "Measure code"
)
DATASETS = (
    Dataset(
        "so-lieu-cong-bo",
        "Số liệu chỉ số đã công bố",
        "Published index values",
        "Giá trị các chỉ số (SIPAS, PAR Index, chỉ số 766 và chỉ số thành phần) theo đơn vị hành chính hoặc cơ quan và năm, "
        "kể cả số liệu lịch sử và giá trị ước tính cho đơn vị sau sáp nhập.",
        "Index values (SIPAS, PAR Index, the 766 index and their components) by administrative unit or agency "
        "and year, including historical figures and estimates for units formed by a merger.",
        (
            _MEASURE,
            Column("measure_label", "string", "Tên chỉ số", "Measure name (Vietnamese)"),
            Column(
                "unit_code",
                "string",
                "Mã đơn vị hành chính (Tổng cục Thống kê)",
                "Administrative unit code (GSO)",
            ),
            Column("unit_name", "string", "Tên đơn vị hành chính", "Administrative unit name"),
            Column(
                "unit_level",
                "string",
                "Cấp: province, district, commune",
                "Level: province, district, commune",
            ),
            Column(
                "unit_structure",
                "string",
                "Hệ thống đơn vị: 2025 (hai cấp, từ 01/07/2025) hoặc legacy (trước sáp nhập)",
                "Unit system: 2025 (two tiers, from 1 July 2025) or legacy (before the merger)",
            ),
            Column("agency_code", "string", "Mã định danh cơ quan", "Agency identifier"),
            Column("agency_name", "string", "Tên cơ quan", "Agency name"),
            Column("year", "integer", "Năm", "Year"),
            Column(
                "period",
                "string",
                "Kỳ trong năm: trống = cả năm, Q1–Q4, M01–M12",
                "Period: empty = whole year, Q1–Q4, M01–M12",
            ),
            Column(
                "value",
                "decimal",
                "Giá trị (%, hoặc điểm trên thang 100); trống khi số phiếu dưới ngưỡng ẩn danh",
                "Value (percent, or points out of 100); empty when the answers are below the anonymity threshold",
            ),
            Column(
                "ci_low",
                "decimal",
                "Cận dưới khoảng tin cậy 95%",
                "Lower bound of the 95% confidence interval",
            ),
            Column(
                "ci_high",
                "decimal",
                "Cận trên khoảng tin cậy 95%",
                "Upper bound of the 95% confidence interval",
            ),
            Column(
                "n", "integer", "Số phiếu khảo sát làm căn cứ", "Number of survey answers behind the value"
            ),
            Column(
                "is_estimate",
                "boolean",
                "Giá trị ước tính (ví dụ bình quân các tỉnh cũ đã hợp nhất), không phải số liệu đo trực tiếp",
                "Estimated value (e.g. mean of the merged former provinces), not a direct measurement",
            ),
            Column("estimate_note", "string", "Cách ước tính", "How the estimate was made"),
            Column(
                "is_demo",
                "boolean",
                "Dữ liệu minh họa, không phải số liệu chính thức",
                "Demonstration data, not official",
            ),
            Column("source", "string", "Nguồn số liệu", "Source"),
            Column(
                "components",
                "json",
                "Chỉ số thành phần (JSON: tên → giá trị); với kết quả khảo sát: label (tên), se (sai số chuẩn), "
                "campaign (đợt), suppressed (lý do không công bố)",
                "Component indices (JSON: name → value); for survey results: label, se (standard error), "
                "campaign, suppressed (why the value is withheld)",
            ),
            Column("block_code", "string", "Mã khối cơ quan (kết quả theo khối)", "Comparison block code"),
            Column("block_name", "string", "Tên khối cơ quan", "Comparison block name"),
        ),
        _figures,
    ),
    Dataset(
        "muc-tieu",
        "Mục tiêu",
        "Targets",
        "Các mục tiêu đã ban hành (ví dụ mức độ hài lòng tối thiểu 90% vào năm 2025, 95% vào năm 2030) và thời gian hiệu lực.",
        "Targets set by the authorities (for example satisfaction of at least 90% by 2025 and 95% by 2030) and "
        "when they apply.",
        (
            _MEASURE,
            Column("threshold", "decimal", "Ngưỡng cần đạt", "Threshold to reach"),
            Column("target_year", "integer", "Năm phải đạt", "Year by which it must be reached"),
            Column("label", "string", "Nội dung mục tiêu", "Target as worded"),
            Column("unit_code", "string", "Đơn vị áp dụng (trống: chung)", "Unit it applies to (empty: all)"),
            Column("effective_from", "date", "Hiệu lực từ ngày", "In force from"),
            Column("effective_to", "date", "Hết hiệu lực từ ngày", "No longer in force from"),
            Column("source", "string", "Căn cứ", "Legal or published source"),
        ),
        _targets,
    ),
    Dataset(
        "xep-hang-hang-ngay",
        "Xếp hạng hằng ngày",
        "Daily rankings",
        "Bảng xếp hạng được chụp mỗi ngày theo chỉ số và nhóm so sánh, kèm thứ hạng kỳ trước và mức thay đổi. "
        "Đơn vị có quá ít phiếu khảo sát không được xếp hạng (hạng để trống).",
        "Rankings captured every day by measure and comparison group, with the previous rank and the change. "
        "Units with too few survey answers are not ranked (empty rank).",
        (
            Column("taken_on", "date", "Ngày chụp", "Snapshot date"),
            _MEASURE,
            Column(
                "group",
                "string",
                "Nhóm so sánh: province (các tỉnh), commune:<mã tỉnh> (các xã của tỉnh), block:<mã khối>",
                "Comparison group: province, commune:<province code>, block:<block code>",
            ),
            Column("year", "integer", "Năm của số liệu", "Year of the figures"),
            Column("code", "string", "Mã đơn vị hoặc cơ quan", "Unit or agency code"),
            Column("name", "string", "Tên", "Name"),
            Column("value", "decimal", "Giá trị", "Value"),
            Column("n", "integer", "Số phiếu", "Number of answers"),
            Column("is_estimate", "boolean", "Giá trị ước tính", "Estimated value"),
            Column(
                "rank",
                "integer",
                "Hạng (trống: chưa đủ số phiếu để xếp hạng)",
                "Rank (empty: too few answers)",
            ),
            Column("previous_rank", "integer", "Hạng ở lần chụp trước", "Rank in the previous snapshot"),
            Column(
                "rank_change", "integer", "Số bậc tăng (+) hoặc giảm (−)", "Places gained (+) or lost (−)"
            ),
            Column(
                "period",
                "string",
                "Kỳ của số liệu: trống = cả năm, M01–M12 = tháng (chỉ số 766)",
                "Period of the figures: empty = whole year, M01–M12 = month (766 index)",
            ),
        ),
        _snapshots,
    ),
    Dataset(
        "chi-so-766-hang-thang",
        "Chỉ số 766 hằng tháng",
        "Monthly 766 index",
        "Điểm chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766) của từng tháng đã công bố: tỉnh, cơ quan "
        "(xếp hạng trong khối) và xã, phường (xếp hạng trong tỉnh), kèm xếp loại, điểm từng nhóm và thứ hạng "
        "tháng công bố trước. Tỷ lệ từng chỉ tiêu có trong bộ «Số liệu chỉ số đã công bố» (index766_indicator:…).",
        "Scores of the index of service to citizens and businesses (Decision 766) for every published month: the "
        "province, agencies (ranked within their block) and communes (ranked within the province), with the band, "
        "the points of each group and the rank of the previous published month. The rate of each indicator is in "
        "the «Published index values» dataset (index766_indicator:…).",
        (
            Column("month", "string", "Tháng (YYYY-MM)", "Month (YYYY-MM)"),
            Column("year", "integer", "Năm", "Year"),
            Column("month_number", "integer", "Tháng trong năm", "Month of the year"),
            Column("kind", "string", "Loại: province, agency, commune", "Kind: province, agency, commune"),
            Column("code", "string", "Mã đơn vị hành chính hoặc mã cơ quan", "Unit or agency code"),
            Column("name", "string", "Tên", "Name"),
            Column("province_code", "string", "Mã tỉnh (đơn vị hành chính)", "Province code (units)"),
            Column("block_code", "string", "Mã khối so sánh (cơ quan)", "Comparison block code (agencies)"),
            Column("total", "decimal", "Tổng điểm (thang 100)", "Total points (out of 100)"),
            Column("band", "string", "Xếp loại", "Rating band (Vietnamese)"),
            Column("rank", "integer", "Hạng trong nhóm so sánh", "Rank within the comparison group"),
            Column(
                "previous_rank",
                "integer",
                "Hạng ở tháng công bố trước",
                "Rank in the previous published month",
            ),
            Column(
                "dossiers", "integer", "Số hồ sơ được đánh giá tiến độ", "Dossiers assessed for timeliness"
            ),
            Column(
                "groups", "json", "Điểm từng nhóm chỉ số (JSON: mã nhóm → điểm)", "Points per group (JSON)"
            ),
            Column("is_demo", "boolean", "Dữ liệu minh họa", "Demonstration data"),
        ),
        _index766,
    ),
    Dataset(
        "tre-han-co-quan",
        "Cơ quan, đơn vị để xảy ra trễ hạn",
        "Agencies with late dossiers",
        "Danh sách hằng tháng các cơ quan, đơn vị có hồ sơ thủ tục hành chính giải quyết quá hạn "
        "(Quyết định 766/QĐ-TTg), theo cơ quan hiện nay.",
        "The monthly list of agencies with administrative procedure dossiers settled late (Decision 766/QĐ-TTg), "
        "by present-day agency.",
        (
            Column("month", "string", "Tháng (YYYY-MM)", "Month (YYYY-MM)"),
            Column("province_code", "string", "Mã tỉnh", "Province code"),
            Column("agency_code", "string", "Mã cơ quan", "Agency code"),
            Column("agency_name", "string", "Tên cơ quan", "Agency name"),
            Column("late", "integer", "Số hồ sơ trễ hạn", "Late dossiers"),
            Column("counted", "integer", "Số hồ sơ được đánh giá", "Dossiers assessed"),
            Column("is_demo", "boolean", "Dữ liệu minh họa", "Demonstration data"),
        ),
        _late_units,
    ),
    Dataset(
        "tre-han-can-bo",
        "Cán bộ để xảy ra trễ hạn",
        "Officials with late processing steps",
        "Danh sách hằng tháng cán bộ, công chức, viên chức xử lý quá thời hạn của bước được giao "
        "(Quyết định 766/QĐ-TTg): họ tên, nơi công tác và số bước trễ hạn; không có hồ sơ hay thông tin người dân.",
        "The monthly list of officials who handled a processing step after its deadline (Decision 766/QĐ-TTg): "
        "name, workplace and number of late steps; no dossier or citizen data.",
        (
            Column("month", "string", "Tháng (YYYY-MM)", "Month (YYYY-MM)"),
            Column("province_code", "string", "Mã tỉnh", "Province code"),
            Column("agency_code", "string", "Mã cơ quan", "Agency code"),
            Column("agency_name", "string", "Tên cơ quan", "Agency name"),
            Column("officer", "string", "Họ và tên", "Name"),
            Column("department", "string", "Phòng ban", "Department"),
            Column("late_steps", "integer", "Số bước xử lý trễ hạn", "Late processing steps"),
            Column("is_demo", "boolean", "Dữ liệu minh họa", "Demonstration data"),
        ),
        _late_officials,
    ),
)
BY_SLUG = {d.slug: d for d in DATASETS}


def dictionary() -> list[dict[str, Any]]:
    """The data dictionary as plain data (served as JSON)."""
    return [
        {
            "dataset": d.slug,
            "title": {"vi": d.title_vi, "en": d.title_en},
            "description": d.description_vi,
            "description_en": d.description_en,
            "formats": list(FORMATS),
            "columns": [{"name": c.name, "type": c.type, "vi": c.vi, "en": c.en} for c in d.columns],
        }
        for d in DATASETS
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export(dataset: Dataset, fmt: str) -> bytes:
    """The dataset in one of FORMATS."""
    names = [c.name for c in dataset.columns]
    if fmt in ("csv", "xlsx"):
        rows = ([_plain(v) if fmt == "csv" else _xlsx(v) for v in row] for row in dataset.rows())
        return write_table(names, rows, fmt)
    if fmt == "json":
        records = [dict(zip(names, map(_plain, row), strict=True)) for row in dataset.rows()]
        return json.dumps(
            {"dataset": dataset.slug, "title": dataset.title_vi, "rows": records}, ensure_ascii=False
        ).encode("utf-8")
    if fmt == "parquet":
        return _parquet(dataset)
    raise ValueError(f"unknown format {fmt!r}")


def _xlsx(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


_ARROW_TYPES = {"integer": "int64", "decimal": "float64", "boolean": "bool", "date": "date32"}


def _parquet(dataset: Dataset) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(dataset.rows())
    arrays = []
    for index, column in enumerate(dataset.columns):
        values = [_xlsx(row[index]) for row in rows]
        kind = _ARROW_TYPES.get(column.type, "string")
        arrow_type = pa.date32() if kind == "date32" else pa.type_for_alias(kind)
        if kind == "string":
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=arrow_type))
    schema = pa.schema(
        [
            pa.field(c.name, a.type, metadata={"vi": c.vi, "en": c.en})
            for c, a in zip(dataset.columns, arrays, strict=True)
        ],
        metadata={"dataset": dataset.slug, "title": dataset.title_vi},
    )
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out)
    return out.getvalue()
