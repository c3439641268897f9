"""Report generation in the background, for the web.

A request creates a ReportJob row; once the request's transaction commits, a daemon thread in the same
process makes the report, writing its progress to the row as it goes (the page polls it with htmx), and
keeps the file under THUOCDO_VAR_DIR/reports. Threads work the same under `make run` (runserver) and
gunicorn's sync workers without another process to run; one report is made at a time per process so
two cores are not swamped. If the process dies mid-report (a deploy, a worker recycled by gunicorn) the
job stops reporting progress and is marked failed after STALE_AFTER, so the official can ask again.
Files and jobs older than KEEP_DAYS are removed whenever the reports page is used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from thuocdo.publication import report766, reports
from thuocdo.publication import selectors as publication_selectors
from thuocdo.web.models import ReportJob

log = logging.getLogger(__name__)

KEEP_DAYS = 7
STALE_AFTER = timedelta(minutes=10)
# Steps the renderers report besides the content (charts and layout, tables, charts).
RENDER_STEPS = {"pdf": 3, "xlsx": 12, "docx": 2}
SATISFACTION_STEPS = {"pdf": 6, "xlsx": 6, "docx": 5}

_one_at_a_time = threading.BoundedSemaphore(1)


def reports_dir() -> Path:
    """Where made reports are kept."""
    folder = Path(settings.VAR_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_path(job: ReportJob) -> Path:
    """The file of a finished job."""
    return reports_dir() / f"{job.pk}.{job.fmt}"


def download_name(job: ReportJob) -> str:
    """The name the browser saves the file under."""
    code = job.unit.partition(":")[2] or job.unit
    stem = "bao-cao-766" if job.kind == ReportJob.Kind.INDEX766 else "bao-cao-hai-long"
    return f"{stem}-{code}-{job.period}.{job.fmt}"


def request_report(
    *, user: Any, kind: str, unit: str, unit_label: str, period: str, fmt: str, now: datetime
) -> ReportJob:
    """Record a report request and start making it once the request's transaction has committed."""
    job = ReportJob.objects.create(
        kind=kind,
        unit=unit,
        unit_label=unit_label,
        period=period,
        fmt=fmt,
        requested_by=user,
        created_at=now,
        updated_at=now,
    )
    transaction.on_commit(lambda: start(job.pk))
    return job


def start(job_id: Any) -> threading.Thread:
    """Make the report in a daemon thread."""
    thread = threading.Thread(target=_run_in_thread, args=(job_id,), name=f"report-{job_id}", daemon=True)
    thread.start()
    return thread


def _run_in_thread(job_id: Any) -> None:
    try:
        with _one_at_a_time:
            close_old_connections()
            run_job(job_id)
    finally:
        connection.close()  # a thread's connection is its own; leaving it open leaks it


def _update(job_id: Any, *, final: bool = False, **fields: Any) -> None:
    """Write the job's state; each update commits at once (autocommit), so the polling page sees it.

    A progress write that meets a locked database (SQLite while a request writes) is skipped: the next
    step writes again. The final state must land, so it is retried for a while.
    """
    for attempt in range(40 if final else 1):
        try:
            ReportJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **fields)
            return
        except OperationalError:
            if not final:
                return
            time.sleep(0.05 * (attempt + 1))
    log.error("report job %s: could not record %s", job_id, fields.get("state"))


def _builder(job: ReportJob) -> tuple[int, Callable[[reports.Progress], reports.Report]]:
    """The number of steps and the function that describes the report."""
    today = timezone.localdate()
    if job.kind == ReportJob.Kind.INDEX766:
        steps = report766.expected_steps(job.unit) + RENDER_STEPS[job.fmt]

        def build766(progress: reports.Progress) -> reports.Report:
            return report766.monthly_766_report(
                unit=job.unit, month=job.period, today=today, progress=progress
            )

        return steps, build766
    unit = publication_selectors.current_unit(job.unit.partition(":")[2])
    if unit is None:
        raise reports.ReportError(f"không có đơn vị «{job.unit}»")

    def build_satisfaction(progress: reports.Progress) -> reports.Report:
        return reports.satisfaction_report(unit=unit, year=int(job.period), today=today, progress=progress)

    return SATISFACTION_STEPS[job.fmt], build_satisfaction


def run_job(job_id: Any) -> ReportJob:
    """Make the report of a queued job now, recording progress, the file or the error."""
    job = ReportJob.objects.get(pk=job_id)
    if job.state != ReportJob.State.QUEUED:
        return job
    _update(job.pk, final=True, state=ReportJob.State.RUNNING, progress=0, step="Chuẩn bị số liệu")
    done = 0
    shown = -1

    def progress(step: str) -> None:
        nonlocal done, shown
        done += 1
        percent = min(99, done * 100 // max(total, 1))
        if percent != shown:  # one write per percent, not one per step
            shown = percent
            _update(job.pk, progress=percent, step=step[:200])

    try:
        total, build = _builder(job)
        data = reports.render(build(progress), job.fmt, progress=progress)
        path = file_path(job)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # never a half-written file under the final name
    except reports.ReportError as exc:
        _update(job.pk, final=True, state=ReportJob.State.FAILED, error=str(exc), finished_at=timezone.now())
    except Exception as exc:  # the page must say the report failed, whatever went wrong
        log.exception("report job %s failed", job.pk)
        _update(
            job.pk,
            final=True,
            state=ReportJob.State.FAILED,
            error=f"Lỗi hệ thống khi lập báo cáo ({exc.__class__.__name__}). Vui lòng thử lại hoặc báo quản trị.",
            finished_at=timezone.now(),
        )
    else:
        _update(
            job.pk,
            final=True,
            state=ReportJob.State.DONE,
            progress=100,
            step="Xong",
            file_name=download_name(job),
            size=len(data),
            finished_at=timezone.now(),
        )
    return ReportJob.objects.get(pk=job.pk)


def tidy(*, now: datetime) -> int:
    """Fail jobs that stopped reporting progress; remove jobs and files older than KEEP_DAYS. Returns removed."""
    ReportJob.objects.filter(
        state__in=[ReportJob.State.QUEUED, ReportJob.State.RUNNING], updated_at__lt=now - STALE_AFTER
    ).update(
        state=ReportJob.State.FAILED,
        error="Việc lập báo cáo bị gián đoạn (máy chủ khởi động lại). Vui lòng yêu cầu lại.",
        finished_at=now,
        updated_at=now,
    )
    old = list(ReportJob.objects.filter(created_at__lt=now - timedelta(days=KEEP_DAYS)))
    for job in old:
        file_path(job).unlink(missing_ok=True)
    ReportJob.objects.filter(pk__in=[j.pk for j in old]).delete()
    return len(old)
