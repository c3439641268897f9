"""`thuocdo index766` on hand-made fixtures; every expected number is worked out in docs/indices/766.md."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.core.dossier import CSV_COLUMNS, flatten, parse_document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dossiers"
DOSSIERS = FIXTURES / "october.jsonl"
PROCEDURES = FIXTURES / "procedures.csv"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("index766", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> tuple[dict, str]:
    out, err = run(*args, "--format", "json")
    return json.loads(out), err


def october(*extra: str, dossiers: Path = DOSSIERS) -> tuple[dict, str]:
    return run_json(
        "--dossiers",
        str(dossiers),
        "--procedures",
        str(PROCEDURES),
        "--period",
        "2025-10",
        "--unit",
        "H66.01",
        *extra,
    )


def test_scores_of_the_october_fixture_match_the_hand_computation():
    doc, _ = october()
    ind = doc["indicators"]
    expected = {
        "1.1": (0, 2, 0.0, 0.0),
        "1.2": (1, 2, 50.0, 2.0),
        "1.3": (3, 3, 100.0, 2.0),
        "2.1": (10, 16, 62.5, 12.5),
        "3.1": (3, 4, 75.0, 3.75),
        "3.2": (3, 3, 100.0, 2.0),
        "3.3": (5, 16, 31.25, 3.75),
        "3.5": (2, 2, 100.0, 2.0),
        "3.5b": (1, 2, 50.0, 1.25),
        "3.6": (2, 5, 40.0, 2.4),
        "4.1": (4, 8, 50.0, 3.0),
        "4.2": (5, 16, 31.25, 1.56),
        "4.3": (2, 16, 12.5, 0.31),
        "4.4": (1, 16, 6.25, 0.25),
        "4.5a": (2, 3, 66.67, 1.33),
        "4.5b": (3, 16, 18.75, 0.38),
        "5.4": (8, 16, 50.0, 3.33),
    }
    got = {
        k: (ind[k]["numerator"], ind[k]["denominator"], ind[k]["rate"], ind[k]["points"]) for k in expected
    }
    assert got == expected
    assert ind["1.4"]["rate"] is None and ind["1.4"]["not_applicable"]
    assert ind["5.2"]["points"] == 6.0  # no feedback in the period: nothing overdue
    groups = {k: v["points"] for k, v in doc["groups"].items()}
    assert groups == {
        "transparency": 6.0,
        "progress": 12.5,
        "online": 9.5,
        "digitisation": 7.51,
        "payment": 5.65,
        "satisfaction": 15.33,
    }
    assert doc["total"] == 56.49
    assert doc["band"] == "Trung bình"
    assert doc["period"] == "2025-10"
    assert doc["ruleset"] == "766-2022"


def test_bad_records_are_reported_by_line_and_field_and_skipped():
    doc, err = october()
    assert doc["records"] == {"read": 29, "valid": 24, "invalid": 5, "selected": 21}
    assert "october.jsonl, dòng 4 (hồ sơ B01), trường «MaTTHC»: bắt buộc nhưng bị thiếu" in err
    assert "dòng 12 (hồ sơ B02), trường «NgayHenTra»: ngày giờ không hợp lệ" in err
    assert "dòng 13 (hồ sơ B03), trường «TrangThaiHoSo»" in err
    assert "dòng 24 (hồ sơ B04), trường «NgayHenTra»: ngày hẹn trả trước ngày tiếp nhận" in err
    assert "dòng 29" in err and "không phải JSON" in err
    assert "24 hợp lệ, 5 lỗi" in err


def test_reported_count_fills_indicator_1_4():
    doc, _ = october("--reported", "20")
    assert (
        doc["indicators"]["1.4"].items()
        >= {"numerator": 16, "denominator": 20, "rate": 80.0, "points": 4.8}.items()
    )
    assert doc["groups"]["transparency"]["points"] == 8.8
    assert doc["total"] == 59.29


def test_unit_selects_the_unit_and_those_below_it_only():
    whole, _ = run_json("--dossiers", str(DOSSIERS), "--period", "2025-10")
    assert whole["records"]["selected"] == 23
    sub, _ = run_json("--dossiers", str(DOSSIERS), "--period", "2025-10", "--unit", "H66.01.05")
    assert sub["records"]["selected"] == 1
    assert sub["indicators"]["2.1"].items() >= {"numerator": 1, "denominator": 1}.items()


def test_as_of_earlier_than_period_end_judges_open_dossiers_then():
    # On 25/10 D09 (due 27/10) is still within time and D08 was not yet received.
    doc, _ = october("--as-of", "2025-10-25T12:00:00+07:00")
    assert doc["indicators"]["2.1"]["numerator"] == 10
    assert doc["indicators"]["2.1"]["denominator"] == 15


def test_json_array_and_csv_give_the_same_result(tmp_path):
    docs = []
    for line in DOSSIERS.read_text(encoding="utf-8").splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError:
            continue
    array = tmp_path / "october.json"
    array.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    rows = tmp_path / "october.csv"
    with rows.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for i, d in enumerate(docs):
            try:
                writer.writerow(flatten(parse_document(d, record=str(i))))
            except ValueError:
                continue
    reference, _ = october()
    from_array, err = october(dossiers=array)
    assert "phần tử 4 (hồ sơ B01)" in err
    from_csv, _ = october(dossiers=rows)
    for doc in (from_array, from_csv):
        assert doc["indicators"] == reference["indicators"]
        assert doc["total"] == reference["total"]


def test_table_output_is_in_vietnamese_and_explains_an_indicator():
    out, _ = run(
        "--dossiers",
        str(DOSSIERS),
        "--procedures",
        str(PROCEDURES),
        "--period",
        "2025-10",
        "--unit",
        "H66.01",
        "--explain",
        "2.1",
    )
    assert "Tổng điểm: 56.49 / 100 — Xếp loại: Trung bình" in out
    assert "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn" in out
    assert " - D05: Trễ hạn: yêu cầu bổ sung 2 lần" in out
    assert "D14: Không tính" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2025-13"], "kỳ đánh giá không hợp lệ"),
        (["--period", "2025-10", "--as-of", "hôm qua"], "--as-of"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(CommandError, match=message):
        run("--dossiers", str(DOSSIERS), *args)


def test_a_file_without_any_valid_record_fails(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"MaHoSo": "X"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="không có hồ sơ hợp lệ"):
        run("--dossiers", str(bad), "--period", "2025-10")


def test_bad_catalogue_rows_name_row_and_column(tmp_path):
    procs = tmp_path / "p.csv"
    procs.write_text(
        "code,online_level,published_on\n1.001,maybe,\n1.002,full,31/12/2025\n", encoding="utf-8"
    )
    with pytest.raises(CommandError) as info:
        run("--dossiers", str(DOSSIERS), "--procedures", str(procs), "--period", "2025-10")
    assert "p.csv, dòng 2, cột «online_level»" in str(info.value)
    assert "p.csv, dòng 3, cột «published_on»" in str(info.value)
