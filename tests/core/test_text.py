from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.text import fold


def test_fold_makes_search_accent_insensitive():
    assert fold("Hà Nội") == fold("ha noi") == "ha noi"
    assert fold("  Thành phố   Đà Nẵng ") == "thanh pho da nang"
    assert fold("Đắk Lắk") == "dak lak"


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)
