from datetime import date

import pytest

from thuocdo.catalog import columns as col


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("Cấp Tỉnh; Cấp Xã", ["province", "commune"]),
        ("Cấp Xã; Cấp Tỉnh", ["province", "commune"]),
        ("cap tinh", ["province"]),
        ("Cấp Bộ", ["ministry"]),
        ("Cơ quan khác", ["other"]),
        ("Cấp Xã/Phường", ["commune"]),
        ("province;commune", ["province", "commune"]),
        ("", []),
    ],
)
def test_levels(text, levels):
    assert col.read_levels(text) == levels


@pytest.mark.parametrize(
    ("text", "fragment"), [("Cấp Huyện", "cấp huyện không còn"), ("Cấp Thôn", "không hiểu cấp")]
)
def test_unknown_levels_are_refused(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        col.read_levels(text)


@pytest.mark.parametrize(
    ("text", "fee"),
    [
        ("Không", False),
        ("", False),
        ("0", False),
        ("0 đồng", False),
        ("Miễn phí", False),
        ("Không thu phí", False),
        ("50.000 đồng", True),
        ("Lệ phí: 8.000 đồng/bản sao", True),
        ("Có", True),
        ("Theo quy định của Hội đồng nhân dân tỉnh", True),
    ],
)
def test_fee(text, fee):
    assert col.read_fee(text) is fee


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Toàn trình", "full"),
        ("DVC trực tuyến toàn trình", "full"),
        ("Một phần", "partial"),
        ("Không", "none"),
        ("", "none"),
        ("Mức độ 4", "full"),
        ("Mức độ 3", "partial"),
        ("Mức độ 2", "none"),
        ("full", "full"),
    ],
)
def test_online_level(text, level):
    assert col.read_online_level(text) == level


def test_unknown_online_level():
    with pytest.raises(ValueError, match="mức độ"):
        col.read_online_level("Mức độ cao")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/07/2025", date(2025, 7, 1)),
        ("1/7/2025", date(2025, 7, 1)),
        ("2025-07-01", date(2025, 7, 1)),
        ("2025-07-01T00:00:00", date(2025, 7, 1)),
        ("01-07-2025", date(2025, 7, 1)),
    ],
)
def test_dates(text, expected):
    assert col.read_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2025", "07/2025", "hôm qua", "2025/13/01"])
def test_bad_dates(text):
    with pytest.raises(ValueError, match="ngày"):
        col.read_date(text)


def test_citizen_subject_from_the_subjects_text():
    assert col.read_citizen_subject("Công dân Việt Nam; Tổ chức") is True
    assert col.read_citizen_subject("Người Việt Nam định cư ở nước ngoài") is True
    assert col.read_citizen_subject("Tổ chức; Doanh nghiệp") is False
    assert col.read_citizen_subject("Không") is False


def test_codes_shortened_by_excel_get_their_zeros_back():
    assert col.read_code("2.00012") == "2.000120"
    assert col.read_code("1.001234") == "1.001234"
    assert col.read_code("1.001234.000.00.00.H12") == "1.001234.000.00.00.H12"
    with pytest.raises(ValueError, match="không hợp lệ"):
        col.read_code("1.001 234")
