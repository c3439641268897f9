"""The annual satisfaction report uses the published survey estimates: intervals, n, components, method note."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from tests.publication.helpers import csv_file
from thuocdo.publication import reports, services
from thuocdo.publication.models import PublishedFigure

pytestmark = pytest.mark.django_db


def test_report_tables_carry_the_published_estimates_with_intervals_and_n(survey_world):
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value", "n"], ["66", 2025, "sipas", "84.1", 700])
    )
    services.publish_campaign_results(
        campaign=survey_world.campaign, actor=None, now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    overall = PublishedFigure.objects.get(unit=survey_world.map.dak_lak, measure="sipas", year=2026)
    report = reports.satisfaction_report(unit=survey_world.map.dak_lak, year=2026, today=date(2026, 11, 2))
    text = " ".join(p for s in report.sections for p in s.paragraphs)
    assert f"{reports.vn(overall.value)}%" in text and "118 phiếu" in text and "sai số ±" in text
    tables = {t.caption: t for s in report.sections for t in s.tables}
    trend = next(t for c, t in tables.items() if "qua các năm" in c)
    assert "Khoảng tin cậy 95%" in trend.columns
    row_2026 = next(r for r in trend.rows if r[0] == "2026")
    assert row_2026[2] == f"{reports.vn(overall.ci_low)}–{reports.vn(overall.ci_high)}" and row_2026[4] == 118
    assert next(r for r in trend.rows if r[0] == "2025")[2] == "—"  # imported history has no interval
    components = next(t for c, t in tables.items() if "yếu tố và tiêu chí" in c)
    names = [r[0] for r in components.rows]
    assert names[0].startswith("A. ") and names[1].strip().startswith("A1. ")
    assert len(components.rows) == 5 + 22
    agencies = next(t for c, t in tables.items() if "theo cơ quan" in c)
    tai_chinh = next(r for r in agencies.rows if r[1] == "Sở Tài chính")
    assert tai_chinh[0] == "—" and tai_chinh[2] is None and "Chưa đủ số phiếu" in tai_chinh[5]
    notes = " ".join(report.notes)
    assert "tuyến tính hóa Taylor" in notes and "khoảng tin cậy 95%" in notes and "dưới 5 phiếu" in notes
    book = load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert any("yếu tố và tiêu chí" in str(ws["A1"].value) for ws in book.worksheets)


def test_report_without_survey_results_falls_back_to_imported_history(vn_map):
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value", "n"], ["66", 2025, "sipas", "84.1", 700])
    )
    report = reports.satisfaction_report(unit=vn_map.dak_lak, year=2025, today=date(2026, 1, 2))
    assert "tuyến tính hóa Taylor" not in " ".join(report.notes)
    assert not [t for s in report.sections for t in s.tables if "yếu tố và tiêu chí" in t.caption]
