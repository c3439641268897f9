import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from docx import Document
from openpyxl import load_workbook

from tests.publication.helpers import csv_file
from thuocdo.publication import reports, services


@pytest.fixture
def history(vn_map):
    rows = []
    for year, dl, py in ((2015, 74, 75), (2016, 73, 74), (2017, 76.4, 77)):
        rows += [["66", year, "sipas", dl, "", "", 500], ["54", year, "sipas", py, "", "", 500]]
    rows += [
        ["1", 2017, "sipas", 81, "", "", 600],
        ["66", 2025, "sipas", "87.36", "86.2", "88.5", 3200],
        ["24121", 2025, "sipas", "91.00", "85", "97", 60],
        ["22015", 2025, "sipas", "86.00", "80", "92", 45],
        ["24400", 2025, "sipas", "99.00", "", "", 3],
    ]
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value", "ci_low", "ci_high", "n"], *rows)
    )
    for threshold, year in ((90, 2025), (95, 2030)):
        services.set_target(
            measure="sipas",
            threshold=Decimal(threshold),
            target_year=year,
            label=f"Hài lòng tối thiểu {threshold}% năm {year}",
            effective_from=date(2021, 7, 15),
        )
    return vn_map


def test_satisfaction_page_shows_trend_targets_intervals_and_small_samples(client, history):
    page = client.get("/hai-long/", {"tinh": "66"}).content.decode()
    assert "Sự hài lòng của người dân, tổ chức: Tỉnh Đắk Lắk" in page
    assert "87,36%" in page and "(±1,15)" in page  # value with its margin
    assert "Còn thiếu 2,64 điểm" in page  # against the 90% target
    assert "Chưa đủ số phiếu" in page  # Xã Ea Kar: 3 answers
    assert "ước tính" in page  # back-cast years
    assert (
        'role="img" aria-label="Tỉnh Đắk Lắk: chỉ số hài lòng từ 74,50% năm 2015 đến 87,36% năm 2025; giảm so với năm trước ở năm 2016'
        in page
    )
    data = json.loads(page.split('<script id="trend-data" type="application/json">')[1].split("</script>")[0])
    assert data["years"] == ["2015", "2016", "2017", "2025"]
    assert [t["value"] for t in data["targets"]] == [90.0, 95.0]
    assert data["series"][0]["estimated"] == [True, True, True, False]
    assert "echarts.min.js" in page


def test_small_samples_are_listed_but_not_ranked(client, history):
    page = client.get("/hai-long/", {"tinh": "66"}).content.decode()
    communes = page.split('id="communes-title"')[1].split("</table>")[0]
    assert (
        communes.index("Phường Buôn Ma Thuột")
        < communes.index("Phường Tuy Hòa")
        < communes.index("Xã Ea Kar")
    )
    assert '<tr class="few-answers">' in communes


def test_empty_portal_says_so_and_loads_no_chart_library(client, db):
    page = client.get("/hai-long/").content.decode()
    assert "Chưa có số liệu hài lòng nào được công bố." in page
    assert "echarts" not in page


def test_map_has_points_and_a_table_alternative(client, history):
    page = client.get("/ban-do/", {"cap": "xa", "tinh": "66"}).content.decode()
    data = json.loads(page.split('<script id="map-data" type="application/json">')[1].split("</script>")[0])
    assert {p["name"] for p in data["points"]} == {"Phường Buôn Ma Thuột", "Phường Tuy Hòa", "Xã Ea Kar"}
    assert next(p for p in data["points"] if p["name"] == "Xã Ea Kar")["enough"] is False
    assert "cao nhất Phường Buôn Ma Thuột (91,00%)" in page
    provinces = client.get("/ban-do/").content.decode()
    assert "Thành phố Hà Nội" in provinces


def test_unit_page_shows_latest_trend_and_history(client, history):
    page = client.get("/don-vi-cong-khai/66/").content.decode()
    assert "Tỉnh Đắk Lắk" in page and "Hình thành từ" in page and "Tỉnh Phú Yên" in page
    assert "/don-vi-cong-khai/54/?he-thong=cu" in page
    old = client.get("/don-vi-cong-khai/54/", {"he-thong": "cu"}).content.decode()
    assert "không còn từ ngày 01/07/2025" in old
    assert client.get("/don-vi-cong-khai/99/").status_code == 404


def test_unit_search_ignores_accents(client, history):
    page = client.get("/don-vi-cong-khai/", {"q": "buon ma thuot"}).content.decode()
    assert "Phường Buôn Ma Thuột" in page and "Phường Tuy Hòa" not in page


def test_open_data_page_links_every_format(client, history):
    page = client.get("/du-lieu-mo/").content.decode()
    for fmt in ("csv", "xlsx", "parquet", "json"):
        assert f"/du-lieu-mo/so-lieu-cong-bo.{fmt}" in page


def test_english_pages_keep_vietnamese_figures(client, history):
    response = client.get("/en/hai-long/", {"tinh": "66"})
    assert response.status_code == 200 and "87,36%" in response.content.decode()


def test_report_downloads_in_three_formats(client, history):
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK"), ("xlsx", b"PK")):
        response = client.get("/hai-long/bao-cao/", {"tinh": "66", "nam": 2025, "dinh-dang": fmt})
        assert response.status_code == 200 and response.content.startswith(magic)
        assert f"bao-cao-hai-long-66-2025.{fmt}" in response["Content-Disposition"]
    assert (
        client.get("/hai-long/bao-cao/", {"tinh": "66", "nam": 2025, "dinh-dang": "odt"}).status_code == 404
    )
    assert (
        client.get("/hai-long/bao-cao/", {"tinh": "01", "nam": 2010, "dinh-dang": "pdf"}).status_code == 404
    )


def test_annual_report_text_tables_and_editable_files(history):
    report = reports.satisfaction_report(unit=history.dak_lak, year=2025, today=date(2026, 3, 5))
    text = " ".join(p for s in report.sections for p in s.paragraphs)
    assert (
        "chỉ số hài lòng về sự phục vụ hành chính (SIPAS) của Tỉnh Đắk Lắk đạt 87,36% (sai số ±1,15 điểm phần trăm), trên cơ sở 3.200 phiếu"
        in text
    )
    assert "còn cách mục tiêu «Hài lòng tối thiểu 90% năm 2025» 2,64 điểm phần trăm" in text
    assert "chỉ số giảm so với năm trước ở năm 2016" in text
    assert any("ước tính bằng bình quân" in n for n in report.notes)
    word = Document(io.BytesIO(reports.render(report, "docx")))
    paragraphs = "\n".join(p.text for p in word.paragraphs)
    cells = "\n".join(c.text for t in word.tables for row in t.rows for c in row.cells)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Đắk Lắk, ngày 05 tháng 3 năm 2026" in cells
    assert "BÁO CÁO" in paragraphs and "Chưa đủ số phiếu" in cells
    book = load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    trend = next(ws for ws in book.worksheets if ws.title.startswith("Bảng 1"))
    assert [c.value for c in trend[2]][:2] == ["Năm", "Chỉ số (%)"]
    assert trend["B6"].value == pytest.approx(87.36)


def test_cli_writes_the_report(history, tmp_path, capsys):
    out = tmp_path / "bao-cao.xlsx"
    call_command(
        "report",
        "satisfaction",
        "--year",
        "2025",
        "--unit",
        "66",
        "--format",
        "xlsx",
        "--output",
        str(out),
        "--quiet",
    )
    assert out.read_bytes().startswith(b"PK") and "bao-cao.xlsx" in capsys.readouterr().out


def test_cli_refuses_a_unit_without_figures(vn_map, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="chưa có số liệu"):
        call_command(
            "report",
            "satisfaction",
            "--year",
            "2025",
            "--unit",
            "01",
            "--output",
            str(tmp_path / "x.pdf"),
            "--quiet",
        )
