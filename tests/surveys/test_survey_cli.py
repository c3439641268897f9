"""`thuocdo survey …` on fixture files; figures are R `survey` 4.1-1 values (docs/surveys/estimation.md)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/survey"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("survey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def estimate_json(path, *extra):
    out, err = run(
        "estimate", "--instrument", "sipas-2017", "--responses", str(path), "--format", "json", *extra
    )
    return json.loads(out), err


def close(actual, expected):
    return actual == pytest.approx(expected, rel=5e-5)


def test_estimate_json_matches_r_for_the_whole_file_and_each_group():
    data, _err = estimate_json(FIXTURES / "sipas_strat.csv", "--by", "unit")
    assert data["instrument"] == "sipas-2017@1"
    assert data["design"] == {"stratum": "stratum", "fpc": "fpc"}
    a1 = data["all"]["items"]["A1"]
    assert close(a1["estimate"], 66.81852696) and close(a1["se"], 2.953839535) and a1["n"] == 212
    assert close(a1["ci_low"], 60.99663831) and close(a1["ci_high"], 72.6404156)
    assert close(data["all"]["factors"]["E"]["se"], 3.407216192)
    assert close(data["all"]["overall"]["estimate"], 63.51242766) and close(
        data["all"]["overall"]["se"], 0.9132453349
    )
    group = data["groups"]["Sở Tư pháp"]
    assert close(group["overall"]["estimate"], 66.96837013) and close(group["overall"]["se"], 2.580035912)
    assert data["groups"]["Xã Hòa Phú"]["suppressed"] is True
    assert data["groups"]["Xã Hòa Phú"]["overall"]["estimate"] is None


def test_estimate_json_with_psu_and_weights_matches_r():
    data, _err = estimate_json(FIXTURES / "sipas_clus.csv")
    assert data["design"] == {"stratum": "stratum", "psu": "psu", "weight": "weight"}
    assert close(data["all"]["overall"]["estimate"], 67.38567243) and close(
        data["all"]["overall"]["se"], 2.27963596
    )
    assert data["df"] == 10


def test_raking_to_population_margins(tmp_path):
    margins = tmp_path / "margins.csv"
    margins.write_text(
        "column,level,count\nstratum,tinh,1200\nstratum,xa-bac,800\nstratum,xa-nam,600\n", encoding="utf-8"
    )
    data, _err = estimate_json(FIXTURES / "sipas_strat.csv", "--margins", str(margins))
    # Post-stratifying on the strata themselves leaves the weights N_h/n_h, so the point estimate is unchanged.
    assert data["calibrated"] is True
    assert close(data["all"]["overall"]["estimate"], 63.51242766)


def test_table_is_aligned_and_in_vietnamese():
    out, _err = run(
        "estimate", "--instrument", "sipas-2017", "--responses", str(FIXTURES / "sipas_strat.csv")
    )
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("Mã"))
    assert "Chỉ số (%)" in header and "Sai số chuẩn" in header and "KTC 95%" in header
    overall = next(line for line in lines if line.startswith("Chung"))
    assert "63,5" in overall and "0,91" in overall and "61,7 – 65,3" in overall
    assert len({len(line) for line in lines if line[:2] in {"A1", "B1", "C1"}}) == 1


def test_value_outside_the_scale_names_row_and_column(tmp_path):
    bad = tmp_path / "phieu.csv"
    bad.write_text("A1,A2,B1\n4,5,3\n4,7,3\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        estimate_json(bad)
    assert "phieu.csv, dòng 3, cột «A2»: giá trị «7» ngoài thang đo (1, 2, 3, 4, 5)" in str(err.value)


def test_answer_to_a_filtered_question_is_refused(tmp_path):
    bad = tmp_path / "phieu.csv"
    bad.write_text("F1,A1,E1\n1,4,5\n2,4,5\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"dòng 3, cột «E1»: chỉ hỏi khi F1 ∈ \{1\}"):
        estimate_json(bad)


def test_unknown_columns_are_a_warning_not_an_error(tmp_path):
    path = tmp_path / "phieu.csv"
    path.write_text("A1,A2,ghi_chu\n4,5,x\n5,3,y\n4,4,z\n3,4,t\n5,5,u\n", encoding="utf-8")
    data, err = estimate_json(path)
    assert "cột «ghi_chu» không thuộc công cụ sipas-2017@1" in err
    assert data["warnings"] and data["all"]["items"]["A1"]["estimate"] == pytest.approx(80.0)


def test_missing_instrument_and_missing_file_are_clear():
    with pytest.raises(CommandError, match="Không có công cụ khảo sát «sipas-1999»"):
        run("estimate", "--instrument", "sipas-1999", "--responses", str(FIXTURES / "sipas_strat.csv"))
    with pytest.raises(CommandError, match="Không tìm thấy tệp"):
        run("estimate", "--instrument", "sipas-2017", "--responses", "khong-co.csv")


def test_sample_size():
    out, _err = run(
        "sample-size",
        "--population",
        "2000",
        "--margin",
        "0.05",
        "--deff",
        "1.5",
        "--response-rate",
        "0.8",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert data["yamane"] == 334 and data["cochran"]["n"] == 560
    out, _err = run("sample-size", "--population", "2000")
    assert "Yamane n = N/(1 + N·e²): 334" in out and "→ 323" in out
    with pytest.raises(CommandError, match="sai số cho phép"):
        run("sample-size", "--population", "2000", "--margin", "2")


def test_drivers_and_instrument_listing():
    out, _err = run(
        "drivers",
        "--instrument",
        "sipas-2017",
        "--responses",
        str(FIXTURES / "sipas_strat.csv"),
        "--format",
        "json",
    )
    data = json.loads(out)
    assert data["excluded"] == ["E1", "E2", "E3", "E4"]
    assert sum(d["importance"] for d in data["drivers"]) == pytest.approx(1.0)
    out, _err = run("instruments")
    assert {"sipas-2017@1", "sipas-2021@1", "dossier-01-2018@1", "counter-faces@1"} <= {
        line.split()[0] for line in out.splitlines()
    }
