"""The monthly 766 report: the same figures as the index in PDF, XLSX and DOCX; rankings, late lists; the CLI."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from openpyxl import load_workbook

from tests.indices import conftest as indices_fixtures
from tests.indices.conftest import NOW
from thuocdo.indices import selectors as ix
from thuocdo.publication import report766, reports
from thuocdo.shared.documents import QUOC_HIEU, TIEU_NGU

# The small province with dossiers of the index tests.
dossiers = indices_fixtures.dossiers
official = indices_fixtures.official
province = indices_fixtures.province
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]
TODAY = date(2026, 1, 10)


def _report(unit: str = "66", month: str = "2025-10") -> reports.Report:
    return report766.monthly_766_report(unit=unit, month=month, today=TODAY, as_of=NOW)


def _sheet(book, caption: str):  # type: ignore[no-untyped-def]
    return next(ws for ws in book.worksheets if caption in str(ws["A1"].value))


def test_xlsx_figures_equal_the_index_for_every_indicator_and_group():
    view = ix.index_for("province:66", "2025-10", NOW)
    book = load_workbook(io.BytesIO(reports.render(_report(), "xlsx")))
    ws = _sheet(book, "Kết quả theo nhóm và chỉ số")
    assert [c.value for c in ws[2]] == [
        "Mã",
        "Nhóm / chỉ số",
        "Tử số",
        "Mẫu số",
        "Tỷ lệ (%)",
        "Điểm",
        "Tối đa",
        "Ghi chú",
    ]
    rows = {str(r[0]): r for r in ws.iter_rows(min_row=3, values_only=True)}
    for ind in view.result.indicators.values():
        _code, name, num, den, rate, points, maximum, note = rows[ind.id]
        assert name == ind.name_vi
        assert maximum == float(ind.max_points)
        if ind.not_applicable:
            assert (num, den, rate) == (None, None, None)
            assert note.startswith("Không phát sinh")
            assert points == ("Loại trừ" if ind.excluded else float(ind.points))
        else:
            assert (num, den) == (ind.numerator, ind.denominator)
            assert rate == float(ind.rate) and points == float(ind.points)
    for number, group in enumerate(view.result.groups.values(), start=1):
        assert rows[str(number)][5] == float(group.points)
    total = next(r for r in rows.values() if r[1] == "TỔNG ĐIỂM")
    assert total[5] == float(view.result.total) and total[7] == view.result.band.name_vi
    assert view.result.indicators["2.1"].denominator > 0  # the fixture has dossiers: the check is not vacuous


def test_xlsx_has_the_late_lists_the_trend_and_the_weakest_indicators():
    book = load_workbook(io.BytesIO(reports.render(_report(), "xlsx")))
    units = list(_sheet(book, "Cơ quan, đơn vị có hồ sơ trễ hạn").iter_rows(min_row=3, values_only=True))
    late = {r[0]: r for r in units}
    expected = {u.agency_code: u for u in ix.late_units(ix.resolve_scope("province:66"), "2025-10", NOW)}
    assert set(late) == set(expected) and "H66.01" in late
    assert late["H66.01"][2] == expected["H66.01"].late and late["H66.01"][3] == expected["H66.01"].counted
    officials = list(_sheet(book, "Cán bộ, công chức").iter_rows(min_row=3, values_only=True))
    chậm = next(r for r in officials if r[0] == "Trần Văn Chậm")
    assert chậm[1] == "Phòng Hành chính tư pháp" and chậm[2] == "Sở Tư pháp" and chậm[3] >= 1
    trend = list(_sheet(book, "Tổng điểm theo tháng").iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in trend][-3:] == ["T8/2025", "T9/2025", "T10/2025"] and len(trend) == 12
    assert trend[-1][1] == float(ix.index_for("province:66", "2025-10", NOW).result.total)
    assert trend[0][4] == "Không có hồ sơ trong tháng"  # November 2024: before the first dossier
    weakest = list(_sheet(book, "Chỉ số mất nhiều điểm nhất").iter_rows(min_row=3, values_only=True))
    lost = [r[5] for r in weakest]
    assert lost == sorted(lost, reverse=True) and all(x > 0 for x in lost)


def test_docx_has_the_decree_30_header_the_summary_and_editable_tables():
    view = ix.index_for("province:66", "2025-10", NOW)
    word = Document(io.BytesIO(reports.render(_report(), "docx")))
    header = "\n".join(c.text for c in word.tables[0].rows[0].cells)
    assert QUOC_HIEU in header and TIEU_NGU in header
    assert "ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK" in header and "VĂN PHÒNG" in header and "/BC-VP" in header
    assert "Đắk Lắk, ngày 10 tháng 01 năm 2026" in header
    text = "\n".join(p.text for p in word.paragraphs)
    assert "BÁO CÁO" in text and "tháng 10 năm 2025" in text
    assert f"đạt {reports.vn(view.result.total)}/100 điểm" in text
    assert f"xếp loại «{view.result.band.name_vi}»" in text
    cells = {c.text for t in word.tables for row in t.rows for c in row.cells}
    assert "Trần Văn Chậm" in cells and "TỔNG ĐIỂM" in cells
    assert len(word.inline_shapes) == 2  # the group bars and the 12-month trend


def test_pdf_text_has_header_total_and_the_late_official(tmp_path):
    view = ix.index_for("province:66", "2025-10", NOW)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(reports.render(_report(), "pdf"))
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # table cells wrap inside names
    assert QUOC_HIEU in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert f"{reports.vn(view.result.total)}/100" in text
    assert "Trần Văn Chậm" in text and "DANH SÁCH ĐƠN VỊ, CÁN BỘ ĐỂ XẢY RA TRỄ HẠN" in text


def test_an_agency_report_ranks_it_within_its_block_and_names_it_as_issuer():
    report = _report(unit="H66.01")
    assert report.issuer == "Sở Tư pháp" and report.parent_issuer == "Ủy ban nhân dân tỉnh Đắk Lắk"
    ranking = next(s for s in report.sections if "XẾP HẠNG" in s.heading)
    table = ranking.tables[0]
    assert [table.rows[i][1] for i in table.strong_rows] == ["Sở Tư pháp"]
    assert all(r[1] != "Xã Hòa Phú" for r in table.rows)  # communes are another block
    summary = report.sections[0].paragraphs
    assert any(p.startswith("Xếp thứ 1/1 trong") for p in summary)


def test_province_ranking_orders_agencies_and_communes_by_total():
    report = _report()
    ranking = next(s for s in report.sections if "XẾP HẠNG" in s.heading)
    labels = [r[1] for t in ranking.tables for r in t.rows]
    assert {"Sở Tư pháp", "Xã Hòa Phú"} <= set(labels)
    for table in ranking.tables:
        totals = [r[-2] for r in table.rows]
        assert totals == sorted(totals, reverse=True)
        assert table.rows[0][0] == 1


@pytest.mark.parametrize(
    ("unit", "month", "message"),
    [
        ("66", "2025-13", "không hợp lệ"),
        ("66", "2025-Q4", "không phải một tháng"),
        ("99", "2025-10", "Không có đơn vị hành chính «99»"),
        ("H99.99", "2025-10", "Không có cơ quan «H99.99»"),
        ("block:xa", "2025-10", "không hợp lệ"),
        ("66", "2027-01", "chưa bắt đầu"),
    ],
)
def test_bad_requests_say_what_is_wrong(unit, month, message):
    with pytest.raises(reports.ReportError, match=message):
        _report(unit=unit, month=month)


def test_cli_writes_each_format_and_rejects_a_bad_unit(tmp_path):
    out = tmp_path / "bao-cao.xlsx"
    call_command(
        "report",
        "766",
        "--month",
        "2025-10",
        "--unit",
        "66",
        "--format",
        "xlsx",
        "--output",
        str(out),
        "--quiet",
    )
    book = load_workbook(out)
    assert book["Thông tin"]["A2"].value == "Báo cáo"
    docx = tmp_path / "bao-cao.docx"
    call_command(
        "report",
        "766",
        "--month",
        "2025-10",
        "--unit",
        "agency:H66.01",
        "--format",
        "docx",
        "--output",
        str(docx),
        "--quiet",
    )
    assert "SỞ TƯ PHÁP" in "\n".join(c.text for c in Document(docx).tables[0].rows[0].cells)
    with pytest.raises(CommandError, match="«99»"):
        call_command(
            "report",
            "766",
            "--month",
            "2025-10",
            "--unit",
            "99",
            "--output",
            str(tmp_path / "x.pdf"),
            "--quiet",
        )
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command(
            "report",
            "766",
            "--month",
            "2025-13",
            "--unit",
            "66",
            "--output",
            str(tmp_path / "y.pdf"),
            "--quiet",
        )
    assert not (tmp_path / "y.pdf").exists()


def test_expected_steps_match_the_progress_reported():
    steps: list[str] = []
    report766.monthly_766_report(unit="66", month="2025-10", today=TODAY, as_of=NOW, progress=steps.append)
    assert len(steps) == report766.expected_steps("66")
    agency: list[str] = []
    report766.monthly_766_report(
        unit="H66.01", month="2025-10", today=TODAY, as_of=NOW, progress=agency.append
    )
    assert len(agency) == report766.expected_steps("H66.01") < len(steps)


def _x_sort(spec):  # type: ignore[no-untyped-def]
    return next(layer["encoding"]["x"] for layer in spec["layer"] if "x" in layer.get("encoding", {}))


def test_month_charts_keep_calendar_order_and_year_charts_stay_sorted():
    months = reports.LineChart(
        "t",
        "y",
        (reports.Series("A", (("T12/2024", 70.0), ("T1/2025", 72.0), ("T2/2025", 71.0))),),
        x_title="Tháng",
    )
    x = _x_sort(reports.chart_spec(months))
    assert x["sort"] == ["T12/2024", "T1/2025", "T2/2025"] and x["title"] == "Tháng"
    years = reports.LineChart("t", "y", (reports.Series("A", ((2016, 82.5), (2015, 80.0))),))
    x = _x_sort(reports.chart_spec(years))
    assert x["sort"] == [2015, 2016] and x["title"] == "Năm"
