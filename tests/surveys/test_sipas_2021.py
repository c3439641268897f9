"""SIPAS 2021 version 2 (three aspects) works end to end: form, XForm, answers and estimates by aspect."""

from __future__ import annotations

import pytest

from thuocdo.core.estimation import estimate_indices
from thuocdo.surveys.answers import check_sheet
from thuocdo.surveys.selectors import latest_instrument
from thuocdo.surveys.xlsform import xform_xml

pytestmark = pytest.mark.django_db


def test_the_latest_sipas_2021_is_version_2_and_its_xform_builds(world):
    row = latest_instrument("sipas-2021")
    assert row.version == 2
    xml = xform_xml(row.instrument, form_id="sipas21", form_version="1", strata=(("S.TP", "Sở Tư pháp"),))
    for code in ("CSA1", "CSD3", "GD5", "YT1", "F0", "G0", "Y0"):
        assert f"/{code}" in xml
    assert "selected(${F0}" in xml or "/data/F0" in xml


def test_a_resident_without_a_procedure_answers_policy_and_services_only(world):
    instrument = latest_instrument("sipas-2021").instrument
    sheet = check_sheet(instrument, {"F0": "2", "G0": "1", "Y0": "2", "CSA1": "4", "GD1": "5", "A1": "5"})
    assert sheet.ok
    assert "A1" not in sheet.answers and "YT1" not in sheet.answers  # not asked, so not kept
    assert sheet.answers["CSA1"] == 4 and sheet.answers["GD1"] == 5
    missing = check_sheet(instrument, {"CSA1": "4"})
    assert missing.errors == {"F0": "Vui lòng trả lời câu hỏi này."}


def test_the_overall_index_is_the_mean_of_the_three_aspects(world):
    instrument = latest_instrument("sipas-2021").instrument
    rows = []
    for i in range(20):
        # Policy: all satisfied; administrative services: half; education: nobody (health: not asked).
        answers = {"F0": 1, "F1": 2, "G0": 1, "Y0": 2, "CSA1": 5, "A1": 4 if i % 2 else 2, "GD1": 1}
        rows.append({k: str(v) for k, v in answers.items()})
    result = estimate_indices(instrument, rows).all
    assert result.aspects["CS"].estimate == pytest.approx(100)
    assert result.aspects["DVHCC"].estimate == pytest.approx(50)
    assert result.aspects["DVCCB"].estimate == pytest.approx(0)
    assert result.factors["YT"].estimate is None
    assert result.overall.estimate == pytest.approx(50)
