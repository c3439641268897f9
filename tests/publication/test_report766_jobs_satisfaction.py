"""The annual satisfaction report requested from /bao-cao/ is made by the same background job."""

from __future__ import annotations

import pytest
from docx import Document

from tests.publication import test_views_reports
from thuocdo.web import jobs
from thuocdo.web.models import ReportJob

history = test_views_reports.history  # published SIPAS figures of Đắk Lắk, 2015-2025
pytestmark = pytest.mark.django_db


def test_satisfaction_report_job_makes_the_word_file(client, history, settings, tmp_path, django_user_model):
    settings.VAR_DIR = tmp_path
    admin = django_user_model.objects.create_superuser("quantri", "qt@example.vn", "mat-khau-dai-123")
    client.force_login(admin)
    response = client.post(
        "/bao-cao/", {"kind": "satisfaction", "unit": "province:66", "year": "2025", "fmt": "docx"}
    )
    assert response.status_code == 302
    job = jobs.run_job(ReportJob.objects.get().pk)
    assert job.state == "done" and job.file_name == "bao-cao-hai-long-66-2025.docx"
    word = Document(jobs.file_path(job))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "Kết quả đo lường sự hài lòng" in text and "87,36%" in text
    page = client.get(f"/bao-cao/{job.pk}/").content.decode()
    assert "Tỉnh Đắk Lắk · năm 2025 · DOCX" in page and "Tải về DOCX" in page
