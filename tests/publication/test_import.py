from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tests.publication.helpers import csv_file
from thuocdo.audit.models import AuditEntry
from thuocdo.publication import services
from thuocdo.publication.models import PublishedFigure
from thuocdo.shared.tabular import ImportFailed

HEADER = [
    "unit_code",
    "year",
    "measure",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "weight",
    "component:tiep_can",
    "source",
]


def figure(unit, year, measure="sipas"):
    return PublishedFigure.objects.get(unit=unit, measure=measure, year=year, period="")


def test_merged_province_gets_a_weighted_estimate_labelled_as_such(vn_map):
    upload = csv_file(
        HEADER,
        ["66", 2019, "sipas", "80,00", "77", "83", 300, 300, 81, "Báo cáo SIPAS 2019"],
        ["54", 2019, "sipas", "90.00", "87", "93", 100, 100, 85, "Báo cáo SIPAS 2019"],
    )
    report = services.import_history(source=upload, actor="test")
    assert (report.created, report.estimates) == (2, 1)
    assert figure(vn_map.old_dak_lak, 2019).value == Decimal("80.000")
    assert figure(vn_map.phu_yen, 2019).value == Decimal("90.000")
    estimate = figure(vn_map.dak_lak, 2019)
    assert estimate.value == Decimal("82.500")  # (80·300 + 90·100) / 400
    assert estimate.is_estimate
    assert estimate.ci_low is None and estimate.n == 400
    assert "Tỉnh Phú Yên" in estimate.estimate_note and "Ước tính" in estimate.estimate_note
    assert estimate.components == {"tiep_can": 82.0}
    entry = AuditEntry.objects.get(action="publication.import_history")
    assert "1 giá trị ước tính" in entry.summary


def test_without_a_weight_column_the_estimate_is_the_plain_mean(vn_map):
    upload = csv_file(
        ["unit_code", "year", "measure", "value"], ["66", 2020, "sipas", 80], ["54", 2020, "sipas", 90]
    )
    services.import_history(source=upload)
    assert figure(vn_map.dak_lak, 2020).value == Decimal("85.000")


def test_no_estimate_when_a_merged_province_is_missing(vn_map):
    report = services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value"], ["66", 2020, "sipas", 80])
    )
    assert report.estimates == 0
    assert "thiếu số liệu của Tỉnh Phú Yên" in report.warnings[0]
    assert not PublishedFigure.objects.filter(unit=vn_map.dak_lak).exists()


def test_an_unchanged_province_carries_its_history_as_measured(vn_map):
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value", "n"], ["1", 2023, "sipas", "84.5", 500])
    )
    carried = figure(vn_map.ha_noi, 2023)
    assert carried.value == Decimal("84.500") and not carried.is_estimate and carried.n == 500


def test_a_figure_published_for_the_new_unit_is_never_replaced_by_an_estimate(vn_map):
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value"], ["66", 2025, "sipas", 88])
    )
    services.import_history(
        source=csv_file(
            ["unit_code", "year", "measure", "value", "structure"],
            ["66", 2025, "sipas", 80, "legacy"],
            ["54", 2025, "sipas", 90, "legacy"],
        )
    )
    kept = figure(vn_map.dak_lak, 2025)
    assert kept.value == Decimal("88.000") and not kept.is_estimate


def test_legacy_communes_are_back_cast_too(vn_map):
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value"], ["24122", 2022, "sipas", 77])
    )
    assert figure(vn_map.communes[0], 2022).value == Decimal("77.000")


def test_every_bad_row_is_reported_and_nothing_is_written(vn_map):
    upload = csv_file(
        ["unit_code", "year", "measure", "value", "ci_low"],
        ["66", 2019, "sipass", 80, ""],
        ["99", 2019, "sipas", 80, ""],
        ["66", 2019, "sipas", 180, ""],
        ["66", 2019, "sipas", 80, 85],
        ["66", "hai nghìn", "sipas", 80, ""],
        ["54", 2019, "sipas", 80, ""],
        ["54", 2019, "sipas", 81, ""],
    )
    with pytest.raises(ImportFailed) as failure:
        services.import_history(source=upload)
    text = str(failure.value)
    assert "dòng 2, cột «measure»: chỉ số «sipass» không hợp lệ" in text
    assert "dòng 3, cột «unit_code»: không có đơn vị hành chính mã «99» trong năm 2019" in text
    assert "dòng 4, cột «value»: 180 ngoài khoảng 0–100" in text
    assert "dòng 5, cột «ci_low»: cận dưới lớn hơn giá trị" in text
    assert "dòng 6, cột «year»: «hai nghìn» không phải số nguyên" in text
    assert "dòng 8: trùng với dòng 7" in text
    assert not PublishedFigure.objects.exists()


def test_missing_columns_are_named(vn_map):
    with pytest.raises(ImportFailed) as failure:
        services.import_history(source=csv_file(["unit_code", "year"], ["66", 2019]))
    assert "cột «measure»: thiếu cột bắt buộc" in str(failure.value)


def test_xlsx_with_agency_rows_and_reimport_is_idempotent(vn_map):
    book = Workbook()
    sheet = book.active
    sheet.append(["agency_code", "year", "measure", "value", "n", "component:cong_chuc"])
    sheet.append(["H15.02", 2025, "sipas", 91.2, 120, 93.5])
    data = BytesIO()
    book.save(data)
    first = services.import_history(source=BytesIO(data.getvalue()), name="co-quan.xlsx")
    again = services.import_history(source=BytesIO(data.getvalue()), name="co-quan.xlsx")
    assert (first.created, again.unchanged, again.created) == (1, 1, 0)
    saved = PublishedFigure.objects.get(agency=vn_map.agencies[0])
    assert saved.value == Decimal("91.200") and saved.components == {"cong_chuc": 93.5}


def test_cli_imports_and_reports_errors(vn_map, tmp_path, capsys):
    good = tmp_path / "lich-su.csv"
    good.write_text(
        "unit_code,year,measure,value\n66,2018,sipas,80.6\n54,2018,sipas,79.9\n", encoding="utf-8"
    )
    call_command("publication", "import-history", str(good))
    assert "2 số liệu mới" in capsys.readouterr().out
    assert figure(vn_map.dak_lak, 2018).is_estimate
    bad = tmp_path / "loi.csv"
    bad.write_text("unit_code,year,measure,value\n66,2018,sipas,abc\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"loi\.csv, dòng 2, cột «value»"):
        call_command("publication", "import-history", str(bad))
