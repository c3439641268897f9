"""Reports requested from the web: scope, background job progress and errors, download, clean-up."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from openpyxl import load_workbook

from tests.indices import conftest as indices_fixtures
from thuocdo.accounts.models import RoleAssignment
from thuocdo.indices import selectors as ix
from thuocdo.units.models import Agency
from thuocdo.web import jobs
from thuocdo.web.models import ReportJob

# The small province with dossiers of the index tests.
dossiers = indices_fixtures.dossiers
official = indices_fixtures.official
province = indices_fixtures.province
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path


@pytest.fixture
def department_head(db):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user("thutruong", password="mat-khau-dai-123")
    RoleAssignment.objects.create(user=user, role="agency_head", agency=Agency.objects.get(code="H66.01"))
    return user


def _request(client, **data):  # type: ignore[no-untyped-def]
    form = {"kind": "766", "unit": "province:66", "month": "2025-10", "fmt": "xlsx"} | data
    return client.post("/bao-cao/", form)


def test_the_page_needs_a_login(client):
    assert client.get("/bao-cao/").status_code == 302


def test_an_official_requests_a_report_watches_it_and_downloads_it(
    client, official, django_capture_on_commit_callbacks
):
    client.force_login(official)
    page = client.get("/bao-cao/").content.decode()
    assert '<option value="province:66"' in page and '<option value="agency:H66.01"' in page
    assert '<option value="commune:24133"' in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _request(client)
    assert len(callbacks) == 1  # the thread starts only once the request has committed
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/bao-cao/{job.pk}/")
    waiting = client.get(f"/bao-cao/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "<progress" in waiting and 'aria-valuenow="0"' in waiting

    seen: list[int] = []
    real_update = jobs._update

    def spy(job_id, **fields):  # type: ignore[no-untyped-def]
        if "progress" in fields:
            seen.append(fields["progress"])
        real_update(job_id, **fields)

    jobs._update = spy  # type: ignore[assignment]
    try:
        finished = jobs.run_job(job.pk)
    finally:
        jobs._update = real_update  # type: ignore[assignment]
    assert finished.state == "done" and finished.progress == 100
    assert seen == sorted(seen) and seen[-1] == 100 and len(set(seen)) > 20  # a bar that moves, never back
    fragment = client.get(f"/bao-cao/{job.pk}/trang-thai/").content.decode()
    assert "hx-trigger" not in fragment  # polling stops
    assert "bao-cao-766-66-2025-10.xlsx" in fragment
    download = client.get(f"/bao-cao/{job.pk}/tai-ve/")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bao-cao-766-66-2025-10.xlsx"' in download["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    total = next(
        r
        for ws in book.worksheets
        for r in ws.iter_rows(values_only=True)
        if len(r) > 5 and r[1] == "TỔNG ĐIỂM"
    )
    assert total[5] == float(ix.index_for("province:66", "2025-10").result.total)
    listed = client.get("/bao-cao/").content.decode()
    assert "Tỉnh Đắk Lắk · tháng 10/2025 · XLSX" in listed


def test_a_failed_report_says_why(client, official):
    client.force_login(official)
    _request(client, month="2031-01")
    job = jobs.run_job(ReportJob.objects.get().pk)
    assert job.state == "failed" and "chưa bắt đầu" in job.error
    fragment = client.get(f"/bao-cao/{job.pk}/trang-thai/").content.decode()
    assert 'role="alert"' in fragment and "Không lập được báo cáo." in fragment and "chưa bắt đầu" in fragment
    assert client.get(f"/bao-cao/{job.pk}/tai-ve/").status_code == 404


def test_an_unexpected_error_fails_the_job_with_a_message(client, official, monkeypatch):
    client.force_login(official)
    _request(client)

    def broken(**_kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs.report766, "monthly_766_report", broken)
    job = jobs.run_job(ReportJob.objects.get().pk)
    assert job.state == "failed" and "Lỗi hệ thống" in job.error and "RuntimeError" in job.error


def test_bad_form_input_is_shown_next_to_the_field(client, official):
    client.force_login(official)
    response = _request(client, month="10/2025", fmt="odt")
    page = response.content.decode()
    assert response.status_code == 400 and not ReportJob.objects.exists()
    assert "Nhập tháng theo dạng YYYY-MM, ví dụ 2025-10." in page
    assert 'aria-invalid="true"' in page


def test_officials_only_request_units_in_their_scope(client, department_head):
    client.force_login(department_head)
    page = client.get("/bao-cao/").content.decode()
    assert '<option value="agency:H66.01"' in page
    assert '<option value="province:66"' not in page and '<option value="commune:24133"' not in page
    assert _request(client, unit="province:66").status_code == 404
    assert _request(client, unit="commune:24133").status_code == 404
    assert _request(client, unit="agency:H66.01").status_code == 302
    assert list(ReportJob.objects.values_list("unit", flat=True)) == ["agency:H66.01"]


def test_nobody_sees_another_officials_report(client, official, department_head):
    client.force_login(official)
    _request(client)
    job = jobs.run_job(ReportJob.objects.get().pk)
    client.force_login(department_head)
    for suffix in ("", "trang-thai/", "tai-ve/"):
        assert client.get(f"/bao-cao/{job.pk}/{suffix}").status_code == 404
    assert "Tỉnh Đắk Lắk" not in client.get("/bao-cao/").content.decode().split('id="recent-title"')[1]


def test_the_satisfaction_report_is_requested_the_same_way(client, official):
    client.force_login(official)
    response = client.post(
        "/bao-cao/", {"kind": "satisfaction", "unit": "province:66", "year": "2025", "fmt": "pdf"}
    )
    assert response.status_code == 302
    job = jobs.run_job(ReportJob.objects.get().pk)
    # No satisfaction figures are published in this province: the job says so rather than printing blanks.
    assert job.state == "failed" and "chưa có số liệu" in job.error
    bad = client.post(
        "/bao-cao/", {"kind": "satisfaction", "unit": "agency:H66.01", "year": "2025", "fmt": "pdf"}
    )
    assert bad.status_code == 400 and "Báo cáo hài lòng lập cho tỉnh hoặc xã, phường." in bad.content.decode()


def test_stale_and_old_jobs_are_tidied(official):
    now = timezone.now()
    base = {"kind": "766", "unit": "province:66", "period": "2025-10", "fmt": "pdf", "requested_by": official}
    stale = ReportJob.objects.create(
        **base, state="running", created_at=now, updated_at=now - timedelta(minutes=11)
    )
    old = ReportJob.objects.create(
        **base, state="done", created_at=now - timedelta(days=8), updated_at=now - timedelta(days=8)
    )
    jobs.file_path(old).write_bytes(b"%PDF")
    fresh = ReportJob.objects.create(**base, state="running", created_at=now, updated_at=now)
    assert jobs.tidy(now=now) == 1
    assert not jobs.file_path(old).exists() and not ReportJob.objects.filter(pk=old.pk).exists()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == "failed" and "gián đoạn" in stale.error
    assert fresh.state == "running"


def test_reports_are_in_the_staff_menu(client, official):
    client.force_login(official)
    page = client.get("/bao-cao/").content.decode()
    assert 'href="/bao-cao/"' in page and "Báo cáo" in page
