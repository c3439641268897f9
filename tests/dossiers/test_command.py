from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from thuocdo.core.dossier import CSV_COLUMNS, flatten, parse_document
from thuocdo.dossiers.models import Dossier, Quarantine, SourceSystem
from thuocdo.dossiers.selectors import hash_key
from thuocdo.shared.tabular import write_table

from .factories import document

pytestmark = pytest.mark.django_db

DOCS = [document("A-1"), document("A-2", MaTTHC="2.000001"), document("A-3", KenhThucHien=1)]


def run(*args):
    out = StringIO()
    call_command("dossiers", *args, stdout=out)
    return out.getvalue()


def rows():
    return [flatten(parse_document(d, record="t")) for d in DOCS]


def test_jsonl_import_stores_good_lines_and_names_the_line_and_field_of_bad_ones(tmp_path):
    bad = document("A-9")
    del bad["NgayTiepNhan"]
    lines = [json.dumps(d, ensure_ascii=False) for d in DOCS] + ["{not json", json.dumps(bad)]
    path = tmp_path / "hoso.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = run("import", str(path), "--no-progress", "--batch-size", "2")
    assert sorted(Dossier.objects.values_list("code", flat=True)) == ["A-1", "A-2", "A-3"]
    assert "3 được lưu" in output and "2 bị từ chối" in output
    assert "hoso.jsonl, dòng 4" in output
    assert "hoso.jsonl, dòng 5 (hồ sơ A-9), trường «NgayTiepNhan»" in output
    assert Quarantine.objects.count() == 2
    again = run("import", str(path), "--no-progress")
    assert "0 được lưu, 3 trùng lặp" in again


def test_json_array_import(tmp_path):
    path = tmp_path / "hoso.json"
    path.write_text(json.dumps(DOCS, ensure_ascii=False), encoding="utf-8")
    run("import", str(path), "--no-progress")
    assert Dossier.objects.count() == 3


def test_csv_import_with_list_fields_as_json_text(tmp_path):
    path = tmp_path / "hoso.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows())
    run("import", str(path), "--no-progress")
    stored = Dossier.objects.get(code="A-1")
    assert stored.steps.count() == 2 and stored.fee_vnd == 8000
    assert Dossier.objects.get(code="A-3").channel == 1


def test_xlsx_import(tmp_path):
    path = tmp_path / "hoso.xlsx"
    path.write_bytes(write_table(CSV_COLUMNS, [[r.get(c, "") for c in CSV_COLUMNS] for r in rows()], "xlsx"))
    run("import", str(path), "--no-progress")
    assert Dossier.objects.count() == 3
    assert Dossier.objects.get(code="A-2").procedure_code == "2.000001"


def test_parquet_import(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "hoso.parquet"
    pq.write_table(pa.Table.from_pylist(rows()), path)
    output = run("import", str(path), "--no-progress")
    assert Dossier.objects.count() == 3 and "3 được lưu" in output


def test_a_missing_file_or_unknown_source_stops_before_anything_is_read(tmp_path):
    with pytest.raises(CommandError, match="không tìm thấy"):
        run("import", str(tmp_path / "none.jsonl"))
    path = tmp_path / "hoso.jsonl"
    path.write_text(json.dumps(DOCS[0]), encoding="utf-8")
    with pytest.raises(CommandError, match="sources add"):
        run("import", str(path), "--source", "khong-co")


def test_quarantine_list_show_fix_and_replay(tmp_path):
    bad = document("A-9")
    del bad["MaTTHC"]
    path = tmp_path / "hoso.jsonl"
    path.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    run("import", str(path), "--no-progress")
    item = Quarantine.objects.get()
    listing = run("quarantine", "list")
    assert f"#{item.pk}" in listing and "MaTTHC" in listing and "A-9" in listing
    shown = run("quarantine", "show", str(item.pk))
    assert "hoso.jsonl, dòng 1" in shown and '"MaHoSo": "A-9"' in shown
    assert "vẫn còn lỗi" in run("quarantine", "replay", str(item.pk))
    item.raw = json.dumps(document("A-9"))
    item.save()
    assert "Đã nạp lại 1 bản ghi; 0 vẫn còn lỗi" in run("quarantine", "replay", "--all")
    assert Dossier.objects.filter(code="A-9").exists()
    assert Quarantine.objects.get().state == "replayed"


def test_sources_add_prints_the_key_once_and_stores_only_its_hash():
    output = run("sources", "add", "motcua-daklak")
    key = output.strip().splitlines()[-1]
    source = SourceSystem.objects.get(name="motcua-daklak")
    assert source.key_hash == hash_key(key) and key not in source.key_hash
    assert "motcua-daklak" in run("sources", "list") and key not in run("sources", "list")
    with pytest.raises(CommandError, match="đã có"):
        run("sources", "add", "motcua-daklak")


def test_jsonl_line_numbers_survive_blank_lines_crlf_and_batch_boundaries(tmp_path):
    bad = document("A-9", KenhThucHien=7)
    lines = [json.dumps(d, ensure_ascii=False) for d in DOCS] + ["", "   ", json.dumps(bad)]
    path = tmp_path / "hoso.jsonl"
    path.write_bytes(("\r\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n").encode())
    output = run("import", str(path), "--no-progress", "--batch-size", "2")
    assert "Đã đọc 4 bản ghi" in output and "3 được lưu" in output
    assert "hoso.jsonl, dòng 7 (hồ sơ A-9), trường «KenhThucHien»" in output
