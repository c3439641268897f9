"""Early, on time or late: the Decision 766 rule for one dossier (indicator 2.1), with its reason.

The rules, each with a worked example, are in docs/indices/766.md; tests/core/test_timeliness.py
runs every example. In short: the end is the first of processing finished > result returned >
stopped / rejected / withdrawn; time waiting for the citizen's supplement does not count against
the agency; more supplement requests than the rule set allows mean late; a dossier waiting for a
supplement is judged at the request; an open dossier is judged at the evaluation moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from thuocdo.core.dossier import ENDED_STATUSES, VN_TZ, Dossier, Scan, Status, stamp_epoch
from thuocdo.core.rulesets import Granularity

DueFrom = Callable[[datetime, str], datetime | None]
"""Deadline from the catalogue time limit: (received_at, procedure_code) -> due time, or None."""


class Category(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    IN_PROGRESS = "in_progress"  # still open (or waiting for a supplement) and within time
    LATE = "late"
    NOT_COUNTED = "not_counted"


@dataclass(frozen=True)
class Timeliness:
    """The verdict for one dossier and why, in Vietnamese and English."""

    category: Category
    reason_vi: str
    reason_en: str
    due_at: datetime | None = None
    judged_at: datetime | None = None  # the moment compared with the due date, before removing pauses
    paused: timedelta = timedelta()
    ended: bool = False

    @property
    def counted(self) -> bool:
        """True if the dossier is in the denominator of 2.1."""
        return self.category is not Category.NOT_COUNTED

    @property
    def within_time(self) -> bool:
        """True if the dossier is in the numerator of 2.1 (early, on time, or open within time)."""
        return self.category in (Category.EARLY, Category.ON_TIME, Category.IN_PROGRESS)


_END_LABELS: dict[Status, tuple[str, str]] = {
    Status.FINISHED: ("kết thúc xử lý", "finished"),
    Status.RETURNED: ("trả kết quả", "result returned"),
    Status.STOPPED: ("dừng xử lý", "stopped"),
    Status.WITHDRAWN: ("rút hồ sơ", "withdrawn"),
}


def _fmt(ts: datetime) -> str:
    return ts.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def _duration(delta: timedelta) -> tuple[str, str]:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    vi: list[str] = []
    en: list[str] = []
    if days:
        vi.append(f"{days} ngày")
        en.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        vi.append(f"{hours} giờ")
        en.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins or not vi:
        vi.append(f"{mins} phút")
        en.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(vi), " ".join(en)


def pause_length(waits: Iterable[tuple[datetime, datetime]]) -> timedelta:
    """How long the clock stood still: the length of the union of the (start, end) supplement waits.

    Two requests whose waits overlap pause the clock once for the overlap, not twice; otherwise the
    removed time could exceed the elapsed time and an open dossier could turn late, then within time.
    """
    total = timedelta()
    start = end = None
    for a, b in sorted(waits):
        if b <= a:
            continue
        if end is None or start is None or a > end:
            if end is not None and start is not None:
                total += end - start
            start, end = a, b
        elif b > end:
            end = b
    if end is not None and start is not None:
        total += end - start
    return total


def pause_seconds(waits: Iterable[tuple[int, int]]) -> int:
    """pause_length on Unix seconds (the ingestion fast path)."""
    total = 0
    start = end = -1
    for a, b in sorted(waits):
        if b <= a:
            continue
        if a > end:
            total += end - start
            start, end = a, b
        elif b > end:
            end = b
    return total + end - start


def end_of(d: Dossier, as_of: datetime) -> tuple[datetime, str, str] | None:
    """When and how the dossier ended by as_of: finished > returned > stopped/rejected; None if still open."""
    if d.status not in _END_LABELS:
        return None
    label_vi, label_en = _END_LABELS[d.status]
    candidates = (
        (d.finished_at, "kết thúc xử lý", "finished"),
        (d.returned_at, "trả kết quả", "result returned"),
        (d.rejected_at, label_vi, label_en),
    )
    for stamp, how_vi, how_en in candidates:
        if stamp is not None:
            return (stamp, how_vi, how_en) if stamp <= as_of else None
    return None


def original_due(d: Dossier, due_from: DueFrom | None) -> tuple[datetime | None, bool]:
    """The promised return time before any rescheduling, and whether it came from the catalogue.

    A supplement or an apology letter may move NgayHenTra; 766 measures against the first promise
    (the supplement wait is removed from the elapsed time instead), so NgayHenTraTruoc of the
    earliest supplement wins when present.
    """
    earlier = [s.previous_due_at for s in d.supplements if s.previous_due_at is not None]
    if earlier:
        return min(earlier), False
    if d.due_at is not None:
        return d.due_at, False
    if due_from is not None:
        return due_from(d.received_at, d.procedure_code), True
    return None, False


def classify(
    d: Dossier,
    *,
    as_of: datetime,
    due_from: DueFrom | None = None,
    granularity: Granularity = "timestamp",
    supplements_allowed: int = 1,
) -> Timeliness:
    """Classify one dossier as of a moment (the end of the period, or earlier)."""
    if d.status is Status.REJECTED_AT_RECEPTION:
        return Timeliness(
            Category.NOT_COUNTED,
            "Không tính: hồ sơ không được tiếp nhận",
            "Not counted: rejected at reception",
        )
    if d.status is Status.SUBMITTED:
        return Timeliness(
            Category.NOT_COUNTED, "Không tính: hồ sơ chưa được tiếp nhận", "Not counted: not yet received"
        )
    if d.received_at > as_of:
        return Timeliness(
            Category.NOT_COUNTED,
            "Không tính: tiếp nhận sau thời điểm đánh giá",
            "Not counted: received after the evaluation moment",
        )

    ended = end_of(d, as_of)
    point = ended[0] if ended else as_of
    requests = sorted((s for s in d.supplements if s.requested_at <= point), key=lambda s: s.requested_at)
    waiting = None
    if ended is None:
        waiting = next((s for s in requests if s.completed_at is None or s.completed_at > as_of), None)
        if waiting is not None:
            # The citizen has not returned yet: the request date is the end.
            point = waiting.requested_at
            requests = [s for s in requests if s.requested_at <= point]

    due, from_catalogue = original_due(d, due_from)
    paused = pause_length(
        (s.requested_at, min(s.completed_at or point, point)) for s in requests if s.requested_at < point
    )
    if len(requests) > supplements_allowed:
        return Timeliness(
            Category.LATE,
            f"Trễ hạn: yêu cầu bổ sung {len(requests)} lần",
            f"Late: supplement requested {len(requests)} times",
            due,
            point,
            paused,
            ended is not None,
        )
    if due is None:
        return Timeliness(
            Category.NOT_COUNTED,
            "Không tính: không xác định được hạn trả kết quả (thiếu NgayHenTra và thời hạn của thủ tục)",
            "Not counted: no due date (no NgayHenTra and no procedure time limit)",
            None,
            point,
            paused,
            ended is not None,
        )

    effective = point - paused
    if granularity == "date":
        eff_day, due_day = effective.astimezone(VN_TZ).date(), due.astimezone(VN_TZ).date()
        late = eff_day > due_day
    else:
        eff_day, due_day = effective.astimezone(VN_TZ).date(), due.astimezone(VN_TZ).date()
        late = effective > due
    early = not late and eff_day < due_day

    suffix_vi = suffix_en = ""
    if paused:
        p_vi, p_en = _duration(paused)
        suffix_vi += f" (đã trừ {p_vi} chờ bổ sung)"
        suffix_en += f" ({p_en} waiting for a supplement removed)"
    if from_catalogue:
        suffix_vi += " (hạn tính theo thời hạn giải quyết của thủ tục)"
        suffix_en += " (due date from the procedure's time limit)"
    due_vi = f"hạn {_fmt(due)}"
    due_en = f"due {_fmt(due)}"

    if ended is not None:
        _, how_vi, how_en = ended
        what_vi = f"{how_vi} {_fmt(point)}"
        what_en = f"{how_en} {_fmt(point)}"
        if late:
            category, head_vi, head_en = Category.LATE, "Trễ hạn", "Late"
        elif early:
            category, head_vi, head_en = Category.EARLY, "Trước hạn", "Early"
        else:
            category, head_vi, head_en = Category.ON_TIME, "Đúng hạn", "On time"
        return Timeliness(
            category,
            f"{head_vi}: {what_vi}, {due_vi}{suffix_vi}",
            f"{head_en}: {what_en}, {due_en}{suffix_en}",
            due,
            point,
            paused,
            True,
        )
    if waiting is not None:
        what_vi = f"đang chờ công dân bổ sung, tính tại ngày yêu cầu {_fmt(point)}"
        what_en = f"waiting for the citizen's supplement, judged at the request {_fmt(point)}"
    else:
        what_vi = f"đang xử lý tại {_fmt(point)}"
        what_en = f"open at {_fmt(point)}"
    if late:
        return Timeliness(
            Category.LATE,
            f"Trễ hạn: {what_vi}, đã quá {due_vi}{suffix_vi}",
            f"Late: {what_en}, past {due_en}{suffix_en}",
            due,
            point,
            paused,
            False,
        )
    return Timeliness(
        Category.IN_PROGRESS,
        f"Trong hạn: {what_vi}, {due_vi}{suffix_vi}",
        f"Within time: {what_en}, {due_en}{suffix_en}",
        due,
        point,
        paused,
        False,
    )


# ----------------------------------------------------------------------------------------------
# The verdict ingestion stores


_ENDED_CODES = frozenset(int(s) for s in ENDED_STATUSES)
_VN_OFFSET_S = 7 * 3600


def stored_verdict(d: Dossier) -> str:
    """The verdict stored with a dossier: final for an ended one, judged at its own version time; else "open".

    Only an ended dossier has a verdict no later date can change; an open one is judged when a
    period is evaluated (classify with that period's end).
    """
    if d.status not in _ENDED_CODES and d.status not in (Status.SUBMITTED, Status.REJECTED_AT_RECEPTION):
        return "open"
    category = classify(d, as_of=d.version_at).category
    return "open" if category is Category.IN_PROGRESS else str(category)


def scan_verdict(s: Scan, *, supplements_allowed: int = 1) -> str:
    """stored_verdict for a scanned document, on its ``yyyyMMddHHmmss`` text (equal to it; tests check).

    Timestamps of one time zone compare as text; only paused time needs arithmetic, in Unix seconds.
    """
    status = s.status
    if status not in _ENDED_CODES:
        return "not_counted" if status == 1 or status == 3 else "open"
    as_of = s.version_at
    if s.received > as_of:
        return "not_counted"
    stamp = s.finished if s.finished is not None else s.returned if s.returned is not None else s.rejected
    ended = stamp is not None and stamp <= as_of
    point: str = stamp if ended else as_of  # type: ignore[assignment]
    requests = sorted((r for r in s.supplements if r[0] <= point), key=lambda r: r[0])
    if not ended:
        waiting = next((r for r in requests if r[1] is None or r[1] > as_of), None)
        if waiting is not None:
            point = waiting[0]
            requests = [r for r in requests if r[0] <= point]
    if len(requests) > supplements_allowed:
        return "late"
    due = s.original_due
    if due is None:
        return "not_counted"
    paused = 0
    if requests:
        point_s = stamp_epoch(point)
        paused = pause_seconds(
            (
                stamp_epoch(requested),
                point_s if completed is None or completed > point else stamp_epoch(completed),
            )
            for requested, completed, _ in requests
            if requested < point
        )
    if paused:
        effective = stamp_epoch(point) - paused
        due_s = stamp_epoch(due)
        late = effective > due_s
        early = not late and (effective + _VN_OFFSET_S) // 86400 < (due_s + _VN_OFFSET_S) // 86400
    else:
        late = point > due
        early = not late and point[:8] < due[:8]
    if late:
        return "late"
    if not ended:
        return "open"
    return "early" if early else "on_time"
