"""The pure checks of an answer sheet and the integrity flags, with hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.surveys.answers import (
    BEFORE_RESULT,
    SPEEDER,
    STRAIGHT_LINE,
    check_sheet,
    compare_keyings,
    quality_flags,
)
from thuocdo.surveys.selectors import builtin_instruments

SIPAS = next(i for i in builtin_instruments() if i.code == "sipas-2017")
CODES = [c.code for c in SIPAS.criteria]


@given(
    st.dictionaries(
        st.sampled_from([*CODES, "F1"]), st.one_of(st.integers(-3, 9).map(str), st.text(max_size=3))
    )
)
def test_accepted_answers_are_always_on_the_scale_and_filtered(raw):
    sheet = check_sheet(SIPAS, raw)
    for code, value in sheet.answers.items():
        if code in CODES:
            assert value in SIPAS.criterion(code).scale.values
            if code.startswith("E"):
                assert sheet.answers.get("F1") == 1  # E is asked only of those who gave feedback
    if sheet.ok:
        assert any(c in sheet.answers for c in CODES)


@given(st.integers(1, 5), st.integers(8, 22))
def test_straight_lining_needs_a_long_battery_of_one_value(value, length):
    answers = dict.fromkeys(CODES[:length], value)
    assert STRAIGHT_LINE in quality_flags(SIPAS, answers)
    answers[CODES[0]] = 1 if value != 1 else 2
    assert STRAIGHT_LINE not in quality_flags(SIPAS, answers)


def test_speeder_and_before_result():
    answers = dict.fromkeys(CODES[:10], 4)
    assert SPEEDER in quality_flags(SIPAS, answers, seconds=10)
    assert SPEEDER not in quality_flags(SIPAS, answers, seconds=120)
    assert BEFORE_RESULT in quality_flags(SIPAS, answers, before_result=True)


@given(st.dictionaries(st.sampled_from(CODES), st.integers(1, 5).map(str)))
def test_a_keying_agrees_with_itself_and_differences_are_symmetric(first):
    assert compare_keyings(first, dict(first)) == []
    second = {**first, "A1": "9"}
    assert compare_keyings(first, second) == compare_keyings(second, first) == ["A1"]
