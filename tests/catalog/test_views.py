import pytest

from thuocdo.catalog.models import Procedure
from thuocdo.catalog.services import import_procedures
from thuocdo.units.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(sample_file, province):
    import_procedures(source=sample_file)


def test_search_page_lists_procedures_with_vietnamese_time_limits(client, catalogue):
    response = client.get("/thu-tuc/", {"q": "giay phep xay dung"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ" in html
    assert "15 ngày" in html
    assert "DVC trực tuyến toàn trình" in html
    assert "Đăng ký khai sinh" not in html
    assert "2 thủ tục" in html


def test_live_search_returns_only_the_results(client, catalogue):
    response = client.get("/thu-tuc/", {"q": "khai sinh"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Đăng ký khai sinh" in html
    assert "Trong ngày làm việc" in html
    assert 'href="/thu-tuc/1.001193/"' in html


def test_filters_and_empty_result(client, catalogue):
    html = client.get("/thu-tuc/", {"field": "CHUNGTHUC", "online_level": "none"}).content.decode()
    assert "Chứng thực chữ ký" in html and "Chứng thực bản sao" not in html
    html = client.get("/thu-tuc/", {"q": "hộ chiếu"}).content.decode()
    assert "Không tìm thấy thủ tục nào" in html


def test_search_page_paginates(client, catalogue):
    html = client.get("/thu-tuc/").content.decode()
    assert "20 thủ tục" in html
    assert "Trang sau" not in html or "disabled" in html


def test_detail_page(client, catalogue, province):
    procedure = Procedure.objects.get(code="1.004837")
    procedure.agencies.set(Agency.objects.filter(kind="commune_committee"))
    response = client.get("/thu-tuc/1.004837/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in html
    assert "3 ngày làm việc" in html
    assert "2 ngày làm việc" in html  # online time limit
    assert "1452/QĐ-UBND" in html and "12/06/2025" in html
    assert "Ủy ban nhân dân phường buôn ma thuột" in html


def test_unknown_procedure_is_404(client, db):
    assert client.get("/thu-tuc/9.999999/").status_code == 404
