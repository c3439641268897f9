import pytest

from thuocdo.catalog import selectors
from thuocdo.catalog.services import import_procedures
from thuocdo.units.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(sample_file, province):
    import_procedures(source=sample_file)


def codes(procedures) -> list[str]:
    return [p.code for p in procedures]


def test_search_by_name_ignores_accents_and_word_order(catalogue):
    assert codes(selectors.search_procedures(q="khai sinh")) == ["1.001193"]
    assert codes(selectors.search_procedures(q="KHAI SINH ĐĂNG KÝ")) == ["1.001193"]
    assert codes(selectors.search_procedures(q="giay phep xay dung")) == ["1.009972", "1.009994"]
    assert codes(selectors.search_procedures(q="trích lục")) == ["2.000635"]
    assert not selectors.search_procedures(q="hộ chiếu").exists()


def test_search_by_code_prefix(catalogue):
    assert codes(selectors.search_procedures(q="1.0011")) == ["1.001193"]
    assert codes(selectors.search_procedures(q="2.0008")) == ["2.000815", "2.000884"]


def test_filters(catalogue):
    assert codes(selectors.search_procedures(field_code="CHUNGTHUC")) == ["2.000815", "2.000884"]
    provincial = codes(selectors.search_procedures(level="province"))
    assert "2.000635" in provincial and "1.001193" not in provincial and len(provincial) == 10
    assert len(selectors.search_procedures(level="commune")) == 13
    assert not selectors.search_procedures(level="ministry").exists()
    assert codes(selectors.search_procedures(q="chứng thực", online_level="none")) == ["2.000884"]


def test_online_level_counts(catalogue):
    assert selectors.online_level_counts() == {"full": 13, "partial": 5, "none": 2}
    commune = selectors.search_procedures(level="commune")
    assert sum(selectors.online_level_counts(commune).values()) == 13
    assert selectors.online_level_counts(selectors.search_procedures(q="nothing at all")) == {
        "full": 0,
        "partial": 0,
        "none": 0,
    }


def test_procedures_for_agency_and_field(catalogue):
    justice = Agency.objects.get(code="H15.03")
    justice.procedures.set(selectors.procedures_in_field("HOTICH"))
    assert codes(selectors.procedures_for_agency(justice)) == [
        "1.000656",
        "1.000894",
        "1.001193",
        "1.004837",
        "2.000635",
    ]
    assert codes(selectors.search_procedures(q="khai", agency=justice)) == ["1.000656", "1.001193"]
    assert [f.code for f in selectors.fields_with_counts()][:2] == ["BTXH", "CHUNGTHUC"]


def test_procedure_by_code(catalogue):
    assert selectors.procedure_by_code("1.001193").name == "Đăng ký khai sinh"
    assert selectors.procedure_by_code("9.999999") is None
