import itertools

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.redaction import Span, find_personal_data, redact


def test_phone_id_email_and_names_are_masked():
    text = (
        "Tôi là ông Nguyễn Văn Bình, CCCD 001085012345, điện thoại 0912 345 678, "
        "email binh.nv@gmail.com, nhà số 12 đường Lê Lợi, phản ánh cán bộ chậm trả hồ sơ."
    )
    out = redact(text)
    assert "Nguyễn Văn Bình" not in out
    assert "001085012345" not in out
    assert "0912 345 678" not in out
    assert "binh.nv@gmail.com" not in out
    assert "Lê Lợi" not in out
    assert "[họ tên]" in out and "[số điện thoại]" in out and "[thư điện tử]" in out
    assert "phản ánh cán bộ chậm trả hồ sơ" in out


def test_international_phone_format_is_masked():
    assert "[số điện thoại]" in redact("Liên hệ +84 912 345 678 để được hỗ trợ")


def test_ordinary_numbers_are_kept():
    out = redact("Hồ sơ trễ 15 ngày, lệ phí 50.000 đồng, năm 2025")
    assert out == "Hồ sơ trễ 15 ngày, lệ phí 50.000 đồng, năm 2025"


def test_names_found_by_a_recogniser_are_masked_too():
    text = "Cảm ơn Trần Thị Mai đã phản ánh"
    start = text.index("Trần")
    out = redact(text, [Span(start, start + len("Trần Thị Mai"), "person")])
    assert out == "Cảm ơn [họ tên] đã phản ánh"


@given(st.text(max_size=200))
def test_spans_never_overlap_and_redaction_is_stable(text):
    spans = find_personal_data(text)
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
    once = redact(text)
    assert redact(once) == once
