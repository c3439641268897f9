from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.audit.models import AuditEntry
from thuocdo.shared.tabular import ImportFailed, read_table
from thuocdo.units import services
from thuocdo.units.models import Agency

HEADER = "code,name,short_name,kind,parent_code,unit_code,block,phone,email,address,office_hours\n"
GOOD = (
    HEADER
    + 'H15.05,Sở Xây dựng,SXD,department,H15,66,so-nganh,0262 3851234,sxd@daklak.gov.vn,"phường Buôn Ma Thuột","07:00-11:30,13:30-17:00"\n'
    + "H15,Ủy ban nhân dân tỉnh Đắk Lắk,UBND tỉnh,province_committee,,66,,,,,\n"
    + "H15.66.002,Ủy ban nhân dân phường Buôn Ma Thuột,,commune_committee,H15,24133,xa-phuong,,ubnd.bmt@daklak.gov.vn,,\n"
)


def _csv(text: str, name: str = "co-quan.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return data


@pytest.mark.django_db
def test_import_creates_the_tree_in_any_row_order_and_is_audited(dak_lak):
    report = services.import_agencies(source=_csv(GOOD), actor="tester")
    assert sorted(report.created) == ["H15", "H15.05", "H15.66.002"]
    building = Agency.objects.select_related("parent", "admin_unit", "block").get(code="H15.05")
    assert building.parent.code == "H15"
    assert building.path == f"/{building.parent.pk}/{building.pk}/"
    assert building.admin_unit.name == "Tỉnh Đắk Lắk"
    assert building.block.code == "so-nganh"
    assert building.office_hours == [["07:00", "11:30"], ["13:30", "17:00"]]
    assert building.search_name == "so xay dung"
    assert Agency.objects.get(code="H15.66.002").admin_unit.name == "Phường Buôn Ma Thuột"
    assert AuditEntry.objects.filter(action="agency.create").count() == 3

    again = services.import_agencies(source=_csv(GOOD))
    assert (again.created, again.updated, again.unchanged) == ([], [], 3)


@pytest.mark.django_db
def test_vietnamese_headers_and_labels_are_accepted(dak_lak):
    text = (
        "Mã,Tên,Loại,Mã cơ quan cha,Mã địa bàn,Khối,Điện thoại,Giờ làm việc\n"
        "H15,UBND tỉnh,UBND tỉnh/thành phố,,66,,,\n"
        'H15.02,Sở Nội vụ,"Sở, ban, ngành",H15,66,Khối sở, ban, ngành,0262 3850000,07:00-11:30\n'
    )
    # The block name contains commas, so quote it like a spreadsheet would.
    text = text.replace("Khối sở, ban, ngành", '"Khối sở, ban, ngành"')
    services.import_agencies(source=_csv(text))
    home = Agency.objects.get(code="H15.02")
    assert home.kind == Agency.Kind.DEPARTMENT and home.block.code == "so-nganh" and home.parent.code == "H15"
    assert home.phone == "0262 3850000"


@pytest.mark.django_db
def test_every_error_names_row_and_column_and_nothing_is_written(dak_lak):
    text = (
        HEADER
        + "H15,UBND tỉnh,,province_committee,,66,,,,,\n"  # row 2: fine
        + "H15.01,Sở A,,department,H99,66,so-nganh,,,,\n"  # row 3: unknown parent
        + "H15.02,Sở B,,bogus,H15,66,so-nganh,,,,\n"  # row 4: unknown kind
        + "H15.03,Sở C,,department,H15,99999,so-nganh,,,,\n"  # row 5: unknown unit code
        + "H15.04,Sở D,,department,H15,66,khoi-la,,,,\n"  # row 6: unknown block
        + "H15.05,Sở E,,department,H15,66,so-nganh,,,,7h-11h\n"  # row 7: bad office hours
        + "H15.01,Sở F,,department,H15,66,so-nganh,,,,\n"  # row 8: duplicate code
        + "H15.06,Sở G,,department,H15,66,so-nganh,,khong-phai-email,,\n"  # row 9: bad e-mail
        + ",Sở H,,department,H15,66,so-nganh,,,,\n"  # row 10: no code
    )
    with pytest.raises(ImportFailed) as failure:
        services.import_agencies(source=_csv(text, "loi.csv"))
    where = [(e.file, e.row, e.column) for e in failure.value.errors]
    assert where == [
        ("loi.csv", 3, "parent_code"),
        ("loi.csv", 4, "kind"),
        ("loi.csv", 5, "unit_code"),
        ("loi.csv", 6, "block"),
        ("loi.csv", 7, "office_hours"),
        ("loi.csv", 8, "code"),
        ("loi.csv", 9, "email"),
        ("loi.csv", 10, "code"),
    ]
    message = str(failure.value)
    assert "loi.csv, dòng 3, cột «parent_code»" in message and "H99" in message
    assert "99999" in message and "khoi-la" in message and "bogus" in message
    assert not Agency.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="agency").exists()


@pytest.mark.django_db
def test_parent_loop_is_refused(dak_lak):
    text = HEADER + "A,Cơ quan A,,other,B,,,,,,\nB,Cơ quan B,,other,A,,,,,,\nC,Cơ quan C,,other,C,,,,,,\n"
    with pytest.raises(ImportFailed) as failure:
        services.import_agencies(source=_csv(text))
    assert [(e.row, e.column) for e in failure.value.errors] == [
        (2, "parent_code"),
        (3, "parent_code"),
        (4, "parent_code"),
    ]
    assert not Agency.objects.exists()


@pytest.mark.django_db
def test_missing_required_column(dak_lak):
    with pytest.raises(ImportFailed) as failure:
        services.import_agencies(source=_csv("code,name\nX,Y\n"))
    assert [(e.row, e.column) for e in failure.value.errors] == [(1, "kind")]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_round_trip(dak_lak, fmt):
    services.import_agencies(source=_csv(GOOD))
    before = [services.agency_snapshot(a) for a in Agency.objects.order_by("code")]
    exported = services.export_agencies(fmt=fmt)
    table = read_table(io.BytesIO(exported), name=f"x.{fmt}")
    assert table.columns == services.AGENCY_COLUMNS
    assert {r.get("code") for r in table.rows} == {"H15", "H15.05", "H15.66.002"}
    # Change one field and re-import the export: exactly that agency is updated, with an audited diff.
    edited = exported.replace(b"sxd@daklak.gov.vn", b"xaydung@daklak.gov.vn") if fmt == "csv" else exported
    report = services.import_agencies(source=io.BytesIO(edited), name=f"x.{fmt}")
    after = [services.agency_snapshot(a) for a in Agency.objects.order_by("code")]
    if fmt == "csv":
        assert report.updated == ["H15.05"]
        entry = AuditEntry.objects.filter(action="agency.update").get()
        assert entry.data["changes"]["email"] == ["sxd@daklak.gov.vn", "xaydung@daklak.gov.vn"]
        before[1]["email"] = "xaydung@daklak.gov.vn"
    else:
        assert report.updated == [] and report.unchanged == 3
    assert after == before


@pytest.mark.django_db
def test_moving_an_agency_moves_its_subtree_and_refuses_loops(dak_lak):
    services.import_agencies(source=_csv(GOOD))
    root = Agency.objects.get(code="H15")
    building = Agency.objects.get(code="H15.05")
    office = services.create_agency(code="H15.05.01", name="Văn phòng Sở", kind="other", parent=building)
    other_root = services.create_agency(code="H16", name="UBND khác", kind="province_committee")
    services.update_agency(agency=building, parent=other_root)
    office.refresh_from_db()
    assert office.path == f"/{other_root.pk}/{building.pk}/{office.pk}/"
    with pytest.raises(services.AgencyError):
        services.update_agency(agency=other_root, parent=office)
    assert root.path == f"/{root.pk}/"


@pytest.mark.django_db
def test_agency_commands(dak_lak, tmp_path, capsys):
    good = tmp_path / "co-quan.csv"
    good.write_text(GOOD, encoding="utf-8")
    call_command("agencies", "import", str(good))
    assert "3 mới" in capsys.readouterr().out
    target = tmp_path / "ra.xlsx"
    call_command("agencies", "export", str(target))
    assert target.read_bytes()[:2] == b"PK"
    bad = tmp_path / "sai.csv"
    bad.write_text(HEADER + "H15.09,Sở,,department,KHONG,,,,,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"sai.csv, dòng 2, cột «parent_code»"):
        call_command("agencies", "import", str(bad))
    assert not Agency.objects.filter(code="H15.09").exists()
