import json
from pathlib import Path

import pytest

from thuocdo.core.instruments import (
    InstrumentError,
    canonical_hash,
    latest,
    parse_instrument,
    parse_instrument_text,
)

DATA = Path(__file__).resolve().parents[2] / "src/thuocdo/surveys/data/instruments"


def load(name):
    return parse_instrument_text((DATA / name).read_text(encoding="utf-8"), source=name)


def document(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_instrument_is_valid_and_sealed(path):
    instrument = load(path.name)
    assert instrument.status == "published"
    assert path.name == f"{instrument.code}.v{instrument.version}.json"
    assert document(path.name)["content_hash"] == instrument.content_hash


def test_sipas_2017_has_the_22_criteria_of_the_five_factors_in_order():
    sipas = load("sipas-2017.v1.json")
    assert [f.code for f in sipas.factors] == ["A", "B", "C", "D", "E"]
    assert [len(f.criteria) for f in sipas.factors] == [4, 5, 6, 3, 4]
    assert [c.code for c in sipas.criteria][:5] == ["A1", "A2", "A3", "A4", "B1"]
    assert sipas.criterion("A1").text.vi.startswith("Nơi ngồi chờ tại cơ quan giải quyết thủ tục hành chính")
    assert sipas.criterion("C6").text.vi == "Công chức tuân thủ đúng quy định trong giải quyết công việc"
    assert sipas.criterion("D3").text.en == "The result contains accurate information"
    scale = sipas.criterion("B2").scale
    assert [p.label.vi for p in scale.points] == [
        "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng",
    ]  # fmt: skip
    assert scale.satisfied == {4, 5}
    # Feedback handling is asked only of those who gave feedback.
    assert all(c.asked_if is not None and c.asked_if.question == "F1" for c in sipas.factors[4].criteria)
    assert sipas.criterion("A1").asked_if is None
    assert sipas.question("F1").role == "filter"
    demographics = {q.code for q in sipas.questions if q.role == "demographic"}
    assert demographics == {"gender", "age_group", "ethnicity", "education", "occupation", "disability"}
    assert not any(q.required for q in sipas.questions if q.role == "demographic")
    assert (sipas.aggregation.criterion, sipas.aggregation.factor, sipas.aggregation.overall) == (
        "share",
        "mean",
        "mean",
    )


def test_sipas_2021_puts_aspects_between_factors_and_overall_and_asks_expectations():
    sipas = load("sipas-2021.v1.json")
    assert sipas.aspects[0].factors == ("A", "B", "C", "D", "E")
    assert sipas.aggregation.aspect == "mean"
    assert [c.form_no for c in sipas.criteria if c.form_no] == list(range(15, 31))
    expectation = [q for q in sipas.questions if q.role == "expectation"]
    assert expectation[0].kind == "multiple"
    assert {o.factor for o in expectation[0].options} >= {"A", "B", "C", "D", "E"}


def test_dossier_form_has_nine_criteria_of_two_points_summing_to_eighteen():
    form = load("dossier-01-2018.v1.json")
    assert len(form.criteria) == 9
    assert all(c.scale.values == {0, 1, 2} for c in form.criteria)
    assert (form.aggregation.criterion, form.aggregation.factor, form.aggregation.unit) == (
        "mean",
        "sum",
        "points",
    )
    assert sum(max(c.scale.values) for c in form.criteria) == 18


def test_counter_faces_offers_five_faces_and_like_dislike():
    faces = load("counter-faces.v1.json")
    assert faces.criterion("R1").scale.values == {1, 2, 3, 4, 5}
    assert faces.criterion("R2").scale.satisfied == {1}


def test_a_published_instrument_cannot_be_edited_in_place():
    doc = document("sipas-2017.v1.json")
    doc["factors"][0]["criteria"][0]["text"]["vi"] = "Sửa lén"
    with pytest.raises(InstrumentError) as err:
        parse_instrument(doc, source="sipas-2017.v1.json")
    assert str(err.value).startswith(
        "sipas-2017.v1.json: $.content_hash: nội dung đã thay đổi sau khi ban hành"
    )
    doc["status"] = "draft"
    assert parse_instrument(doc, source="x").status == "draft"  # drafts may change freely


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (
            lambda d: d["factors"][1]["criteria"][2].update(scale="sat7"),
            "$.factors[1].criteria[2].scale",
            "không có thang đo",
        ),
        (
            lambda d: d["factors"][2]["criteria"][0].update(code="A1"),
            "$.factors[2].criteria[0].code",
            "mã trùng lặp",
        ),
        (
            lambda d: d["factors"][4]["criteria"][3]["asked_if"].update(question="X9"),
            "$.factors[4].criteria[3].asked_if.question",
            "câu hỏi lọc",
        ),
        (
            lambda d: d["scales"]["sat5"]["satisfied"].append(6),
            "$.scales.sat5.satisfied[2]",
            "không thuộc thang đo",
        ),
        (lambda d: d["factors"][0].pop("title"), "$.factors[0].title", "thiếu trường bắt buộc"),
        (
            lambda d: d["aggregation"].update(criterion="median"),
            "$.aggregation.criterion",
            "phải là một trong",
        ),
        (lambda d: d.update(effective_from="10/10/2017"), "$.effective_from", "YYYY-MM-DD"),
    ],
)
def test_validation_errors_name_the_file_and_json_path(edit, path, message):
    doc = document("sipas-2017.v1.json")
    edit(doc)
    doc["content_hash"] = canonical_hash(doc)
    with pytest.raises(InstrumentError) as err:
        parse_instrument(doc, source="sipas-2017.v1.json")
    assert err.value.source == "sipas-2017.v1.json"
    assert err.value.path == path
    assert message in err.value.message


def test_broken_json_names_the_line():
    with pytest.raises(InstrumentError, match=r"^x.json: dòng 1, cột 2: JSON không hợp lệ"):
        parse_instrument_text("{,}", source="x.json")


def test_latest_picks_the_highest_published_version_in_force():
    v1 = load("sipas-2017.v1.json")
    doc = document("sipas-2017.v1.json")
    doc.update(version=2, effective_from="2030-01-01")
    doc["content_hash"] = canonical_hash(doc)
    v2 = parse_instrument(doc, source="sipas-2017.v2.json")
    from datetime import date

    assert latest([v1, v2], "sipas-2017").version == 2
    assert latest([v1, v2], "sipas-2017", on=date(2025, 1, 1)).version == 1
    with pytest.raises(KeyError):
        latest([v1, v2], "sipas-1999")


def test_sipas_2021_version_2_has_the_three_aspects_of_the_national_form():
    """domain-vn §2.1–2.2: policy (4 factors, 14 items numbered 1–14), administrative services (items 15–30 and
    feedback handling, as in version 1), basic public services (education, health); overall = mean of aspects."""
    v1, v2 = load("sipas-2021.v1.json"), load("sipas-2021.v2.json")
    assert (v2.code, v2.version) == ("sipas-2021", 2) and latest(
        [v1, v2], "sipas-2021", on=v2.effective_from
    ) == v2
    assert [(a.code, a.factors) for a in v2.aspects] == [
        ("CS", ("CSA", "CSB", "CSC", "CSD")),
        ("DVHCC", ("A", "B", "C", "D", "E")),
        ("DVCCB", ("GD", "YT")),
    ]
    assert [a.title.vi for a in v2.aspects] == [
        "Ban hành, tổ chức thực hiện chính sách",
        "Cung ứng dịch vụ hành chính công",
        "Cung ứng dịch vụ công cơ bản, thiết yếu",
    ]
    policy = [c for f in v2.factors[:4] for c in f.criteria]
    assert [c.form_no for c in policy] == list(range(1, 15))
    assert [f.title.vi for f in v2.factors[:4]] == [
        "Trách nhiệm giải trình về chính sách", "Sự tham gia của người dân", "Chất lượng chính sách",
        "Kết quả, tác động của chính sách",
    ]  # fmt: skip
    assert all(c.asked_if is None for c in policy)  # asked of every respondent
    # The administrative-services aspect keeps version 1's codes and texts, so answers compare across versions.
    admin = {c.code: c for f in v2.factors if f.code in "ABCDE" for c in f.criteria}
    assert [(c.code, c.text.vi, c.form_no) for c in v1.criteria] == [
        (admin[c.code].code, admin[c.code].text.vi, admin[c.code].form_no) for c in v1.criteria
    ]
    assert {admin[c].asked_if.question for c in admin if c[0] in "ABCD"} == {"F0"}
    assert {admin[c].asked_if.question for c in admin if c[0] == "E"} == {"F1"}
    assert v2.question("F1").asked_if.question == "F0"
    basic = {f.code: f for f in v2.factors[-2:]}
    assert {c.asked_if.question for c in basic["GD"].criteria} == {"G0"}
    assert {c.asked_if.question for c in basic["YT"].criteria} == {"Y0"}
    assert all(c.scale.satisfied == {4, 5} for c in v2.criteria)
    assert (v2.aggregation.factor, v2.aggregation.aspect, v2.aggregation.overall) == ("mean", "mean", "mean")
    expectations = [q for q in v2.questions if q.role == "expectation"]
    assert [q.kind for q in expectations] == ["multiple", "text"]
    assert {o.factor for o in expectations[0].options} >= {"A", "B", "C", "D", "E", "GD", "YT"}
    assert any("chính sách" in o.label.vi for o in expectations[0].options)
    # Version 1 is published and stays as it was.
    assert document("sipas-2021.v1.json")["content_hash"] == v1.content_hash
    assert [a.code for a in v1.aspects] == ["DVHCC"]
    assert "phần cung ứng" not in v2.title.vi and v2.title.vi.endswith("(SIPAS 2021–2022)")
