import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from thuocdo.audit.models import AuditEntry
from thuocdo.catalog.models import Procedure, ProcedureField
from thuocdo.catalog.services import export_procedures, import_procedures
from thuocdo.shared.tabular import ImportFailed

pytestmark = pytest.mark.django_db

HEADER = "Mã thủ tục,Tên thủ tục,Mã lĩnh vực,Lĩnh vực,Cấp thực hiện,Thời hạn giải quyết,Cơ quan thực hiện\n"


def csv_file(text: str, name: str = "tthc.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return data


def import_text(text: str, **kwargs):
    return import_procedures(source=csv_file(text), **kwargs)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ImportFailed) as excinfo:
        import_text(text)
    return [str(e) for e in excinfo.value.errors]


def snapshot() -> list[tuple]:
    return [
        (
            p.code,
            p.name,
            p.field.code,
            p.field.name,
            p.levels,
            p.time_limit,
            p.time_limit_unit,
            p.online_time_limit,
            p.fee_bearing,
            p.online_level,
            p.full_online_eligible,
            p.issues_paper_result,
            p.citizen_subject,
            p.components_complete,
            p.decision_number,
            p.published_on,
            p.made_public_on,
            p.legal_effective_on,
            p.effective_from,
            p.effective_to,
            sorted(a.code for a in p.agencies.all()),
        )
        for p in Procedure.objects.select_related("field").prefetch_related("agencies").order_by("code")
    ]


def test_the_sample_file_imports_with_every_column_understood(sample_file):
    result = import_procedures(source=sample_file)
    assert len(result.changes.created) == 20
    assert ProcedureField.objects.count() == 13
    birth = Procedure.objects.get(code="1.001193")
    assert birth.name == "Đăng ký khai sinh"
    assert birth.field.name == "Hộ tịch"
    assert birth.levels == ["commune"]
    assert birth.time_limit_display == "Trong ngày làm việc"
    assert birth.online_level == "full" and birth.full_online_eligible
    assert birth.fee_bearing is False
    assert birth.published_on == date(2025, 6, 12)
    certificate = Procedure.objects.get(code="1.004837")
    assert (certificate.time_limit, certificate.time_limit_unit) == (Decimal(3), "working_days")
    assert certificate.online_time_limit == Decimal(2)
    assert certificate.fee_bearing is True
    permit = Procedure.objects.get(code="1.009994")
    assert permit.time_limit_display == "15 ngày"
    assert permit.published_on == date(2025, 7, 20)
    assert Procedure.objects.get(code="2.000815").online_level == "partial"  # "Mức độ 3"
    assert Procedure.objects.get(code="2.000884").online_level == "none"  # "Mức độ 2"
    assert Procedure.objects.get(code="2.000181").online_level == "full"  # "Mức độ 4"
    assert Procedure.objects.get(code="2.000635").levels == ["province", "commune"]
    imports = Procedure.objects.get(code="1.011612")
    assert imports.time_limit_display == "8 giờ làm việc"
    assert imports.citizen_subject is False and imports.issues_paper_result is False


def test_reimporting_changes_nothing_and_each_import_is_audited(sample_file):
    import_procedures(source=sample_file, actor="cli")
    before = snapshot()
    again = import_procedures(source=sample_file, actor="cli")
    assert (len(again.changes.created), len(again.changes.updated), len(again.changes.unchanged)) == (
        0,
        0,
        20,
    )
    assert snapshot() == before
    entries = list(AuditEntry.objects.filter(action="catalog.import_procedures").order_by("seq"))
    assert len(entries) == 2
    assert entries[0].data["created"] == 20 and entries[1].data["unchanged"] == 20
    assert "20 mới" in entries[0].summary and entries[0].actor == "cli"


def test_reimport_updates_by_code(sample_file):
    import_procedures(source=sample_file)
    result = import_text(
        HEADER + "1.001193,Đăng ký khai sinh (sửa),HOTICH,Hộ tịch,Cấp Xã,02 ngày làm việc,\n"
    )
    assert result.changes.updated == ["1.001193"]
    birth = Procedure.objects.get(code="1.001193")
    assert birth.name == "Đăng ký khai sinh (sửa)"
    assert birth.time_limit == 2
    # Columns the file does not have are left alone.
    assert birth.online_level == "full"
    assert birth.published_on == date(2025, 6, 12)
    assert Procedure.objects.count() == 20


def test_dry_run_reports_without_writing(sample_file):
    result = import_procedures(source=sample_file, dry_run=True)
    assert len(result.changes.created) == 20
    assert result.summary().startswith("Sẽ nhập 20 thủ tục")
    assert not Procedure.objects.exists()
    assert not ProcedureField.objects.exists()
    assert not AuditEntry.objects.exists()


def test_errors_name_file_row_and_column(province):
    errors = errors_of(
        HEADER
        + ",Thiếu mã,HOTICH,Hộ tịch,Cấp Xã,5,\n"
        + "1.000001,Một,HOTICH,Hộ tịch,Cấp Huyện,5,\n"
        + "1.000002,Hai,HOTICH,Hộ tịch,Cấp Xã,năm tới,\n"
        + "1.000003,Ba,HOTICH,Hộ tịch,Cấp Xã,5,H15.03;H99.99\n"
        + "1.000004,Bốn,HOTICH,Hộ tịch,Cấp Xã,5,\n"
        + "1.000004,Bốn lần hai,HOTICH,Hộ tịch,Cấp Xã,5,\n"
    )
    assert errors == [
        "tthc.csv, dòng 2, cột «Mã thủ tục (code)»: thiếu mã thủ tục",
        "tthc.csv, dòng 3, cột «Cấp thực hiện (levels)»: cấp huyện không còn từ 01/07/2025; hãy ghi Cấp Tỉnh hoặc Cấp Xã",
        "tthc.csv, dòng 4, cột «Thời hạn giải quyết (time_limit)»: không hiểu thời hạn «năm tới» (ví dụ hợp lệ: «05 ngày làm việc», «Trong ngày»)",
        "tthc.csv, dòng 7, cột «Mã thủ tục (code)»: mã thủ tục 1.000004 trùng với dòng 6",
        "tthc.csv, dòng 5, cột «Cơ quan thực hiện (agency_codes)»: không có cơ quan mang mã H99.99 trong danh mục cơ quan",
    ]
    assert not Procedure.objects.exists()


def test_bad_dates_and_numbers_are_reported():
    errors = errors_of(
        "code,name,field_code,time_limit,time_limit_unit,published_on,effective_from,effective_to\n"
        "1.000001,A,F,5,tháng,01/07/2025,,\n"
        "1.000002,B,F,-3,,32/01/2025,,\n"
        "1.000003,C,F,3,ngày,,01/07/2025,01/01/2025\n"
    )
    assert any("dòng 2" in e and "time_limit_unit" in e and "đơn vị" in e for e in errors)
    assert any("dòng 3" in e and "time_limit" in e for e in errors)
    assert any("dòng 3" in e and "published_on" in e and "32/01/2025" in e for e in errors)
    assert any("dòng 4" in e and "effective_to" in e for e in errors)


def test_one_bad_row_writes_nothing(sample_file):
    import_procedures(source=sample_file)
    before = snapshot()
    with pytest.raises(ImportFailed):
        import_text(
            HEADER + "1.001193,Đổi tên,HOTICH,Hộ tịch,Cấp Xã,5,\n9.999999,Mới,HOTICH,Hộ tịch,Cấp Xã,abc,\n"
        )
    assert snapshot() == before


def test_missing_columns_are_reported():
    with pytest.raises(ImportFailed, match="thiếu cột bắt buộc"):
        import_text("Tên thủ tục,Lĩnh vực\nA,B\n")


def test_agencies_are_assigned_and_replaced(province):
    import_text(HEADER + "1.000001,Đăng ký khai sinh,HOTICH,Hộ tịch,Cấp Xã,5,H15.101; H15.102\n")
    assert sorted(Procedure.objects.get().agencies.values_list("code", flat=True)) == ["H15.101", "H15.102"]
    result = import_text(HEADER + "1.000001,Đăng ký khai sinh,HOTICH,Hộ tịch,Cấp Xã,5,H15.102\n")
    assert result.changes.updated == ["1.000001"]
    assert list(Procedure.objects.get().agencies.values_list("code", flat=True)) == ["H15.102"]


def test_fields_can_be_named_without_codes():
    import_text(
        "Mã thủ tục,Tên thủ tục,Lĩnh vực\n1.000001,A,Hộ tịch\n1.000002,B,Hộ tịch\n1.000003,C,Đất đai\n"
    )
    assert sorted(ProcedureField.objects.values_list("code", "name")) == [
        ("dat-dai", "Đất đai"),
        ("ho-tich", "Hộ tịch"),
    ]
    import_text("Mã thủ tục,Tên thủ tục,Lĩnh vực\n1.000004,D,ho tich\n")
    assert Procedure.objects.get(code="1.000004").field.code == "ho-tich"


def test_xlsx_with_vietnamese_headers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Mã thủ tục",
            "Tên thủ tục",
            "Mã lĩnh vực",
            "Lĩnh vực",
            "Thời hạn giải quyết",
            "Ngày quyết định công bố",
        ]
    )
    sheet.append([2.00012, "Đăng ký khai tử", "HOTICH", "Hộ tịch", 3, date(2025, 7, 1)])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    import_procedures(source=data, name="tthc.xlsx")
    death = Procedure.objects.get()
    assert death.code == "2.000120"
    assert (death.time_limit, death.time_limit_unit, death.published_on) == (
        3,
        "working_days",
        date(2025, 7, 1),
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trip(fmt, sample_file, province):
    import_procedures(source=sample_file)
    import_text(
        HEADER + "1.001193,Đăng ký khai sinh,HOTICH,Hộ tịch,Cấp Xã,Trong ngày làm việc,H15.101;H15.102\n"
    )
    Procedure.objects.filter(code="1.009994").update(
        effective_from=date(2025, 8, 1), effective_to=date(2026, 1, 1)
    )
    before = snapshot()
    exported = export_procedures(fmt=fmt)
    again = import_procedures(source=io.BytesIO(exported), name=f"export.{fmt}")
    assert len(again.changes.unchanged) == 20
    Procedure.objects.all().delete()
    ProcedureField.objects.all().delete()
    import_procedures(source=io.BytesIO(exported), name=f"export.{fmt}")
    assert snapshot() == before


def test_csv_export_uses_canonical_columns(sample_file):
    import_procedures(source=sample_file)
    text = export_procedures(fmt="csv").decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("code,name,field_code,field_name,levels,time_limit,time_limit_unit")
    assert first.startswith("1.000656,Đăng ký khai tử,HOTICH,Hộ tịch,Cấp Xã,0.5,ngày làm việc")
