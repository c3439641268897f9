from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.text import fold, without_emoji


def test_fold_makes_search_accent_insensitive():
    assert fold("Hà Nội") == fold("ha noi") == "ha noi"
    assert fold("  Thành phố   Đà Nẵng ") == "thanh pho da nang"
    assert fold("Đắk Lắk") == "dak lak"


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_without_emoji_keeps_the_vietnamese_words_of_a_face_label():
    assert without_emoji("Rất không hài lòng 😠") == "Rất không hài lòng"
    assert without_emoji("Thích 👍🏽") == "Thích"
    assert without_emoji("☹️ Không hài lòng") == "Không hài lòng"
    assert without_emoji("Đạt 100% · 5°C © Sở") == "Đạt 100% · 5°C © Sở"


@given(
    st.text(
        alphabet=st.characters(
            max_codepoint=0x25FF,
            exclude_categories=("Zs", "Cc", "Zl", "Zp"),
            exclude_characters="\u200d\u20e3",
        )
    )
)
def test_without_emoji_leaves_text_below_the_pictographs_alone(text):
    assert without_emoji(text) == text
