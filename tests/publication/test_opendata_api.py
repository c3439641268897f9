import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from tests.publication.helpers import csv_file
from thuocdo.publication import opendata, services


@pytest.fixture
def published(vn_map):
    services.import_history(
        source=csv_file(
            ["unit_code", "year", "measure", "value", "ci_low", "ci_high", "n", "component:tiep_can"],
            ["66", 2023, "sipas", "85.71", "83", "88", 600, 84],
            ["54", 2023, "sipas", "84.96", "82", "87", 500, 83],
            ["24121", 2025, "sipas", "90.5", "86", "94", 3, ""],
        )
    )
    return vn_map


@pytest.mark.parametrize("slug", [d.slug for d in opendata.DATASETS])
def test_every_dataset_downloads_in_every_format_with_the_dictionary_columns(client, published, slug):
    columns = [c.name for c in opendata.BY_SLUG[slug].columns]
    response = client.get(f"/du-lieu-mo/{slug}.csv")
    assert response.status_code == 200 and f"{slug}.csv" in response["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == columns
    sheet = load_workbook(io.BytesIO(client.get(f"/du-lieu-mo/{slug}.xlsx").content)).active
    assert [c.value for c in sheet[1]] == columns
    table = pq.read_table(io.BytesIO(client.get(f"/du-lieu-mo/{slug}.parquet").content))
    assert table.column_names == columns
    document = json.loads(client.get(f"/du-lieu-mo/{slug}.json").content)
    assert document["dataset"] == slug


def test_published_figures_keep_their_labels_in_open_data(client, published):
    rows = json.loads(client.get("/du-lieu-mo/so-lieu-cong-bo.json").content)["rows"]
    estimate = next(r for r in rows if r["unit_structure"] == "2025" and r["unit_code"] == "66")
    assert estimate["is_estimate"] is True and estimate["value"] == pytest.approx(85.335)
    parquet = pq.read_table(io.BytesIO(client.get("/du-lieu-mo/so-lieu-cong-bo.parquet").content))
    assert parquet.schema.field("value").type == "double"
    assert parquet.schema.field("n").metadata[b"vi"].decode() == "Số phiếu khảo sát làm căn cứ"


def test_the_dictionary_is_a_page_and_json(client, published):
    page = client.get("/du-lieu-mo/tu-dien/").content.decode()
    assert "Giá trị ước tính" in page and "is_estimate" in page
    data = client.get("/du-lieu-mo/tu-dien.json").json()
    figures = next(d for d in data["datasets"] if d["dataset"] == "so-lieu-cong-bo")
    assert {
        "name": "n",
        "type": "integer",
        "vi": "Số phiếu khảo sát làm căn cứ",
        "en": "Number of survey answers behind the value",
    } in figures["columns"]


def test_unknown_dataset_or_format_is_404(client, db):
    assert client.get("/du-lieu-mo/khong-co.csv").status_code == 404
    assert client.get("/du-lieu-mo/muc-tieu.pdf").status_code == 404


def test_api_filters_figures_and_marks_small_samples(client, published):
    data = client.get("/api/publication/figures", {"unit": "66", "structure": "2025"}).json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item["unit_name"] == "Tỉnh Đắk Lắk" and item["is_estimate"] is True and item["year"] == 2023
    small = client.get("/api/publication/figures", {"unit": "24121"}).json()["items"][0]
    assert small["enough_answers"] is False and small["n"] == 3
    assert client.get("/api/publication/figures", {"year": 1999}).json()["count"] == 0


def test_api_targets_and_rankings(client, published):
    from datetime import date
    from decimal import Decimal

    services.set_target(
        measure="sipas",
        threshold=Decimal(95),
        target_year=2030,
        label="≥ 95% năm 2030",
        effective_from=date(2021, 7, 15),
    )
    services.take_snapshot(on=date(2026, 1, 1))
    targets = client.get("/api/publication/targets").json()
    assert targets[0]["threshold"] in ("95.000", 95.0) and targets[0]["effective_to"] is None
    ranks = client.get("/api/publication/rankings", {"group": "province"}).json()
    assert ranks[0]["code"] == "66" and ranks[0]["rank"] == 1
    assert "/api/publication/figures" in client.get("/api/openapi.json").content.decode()
