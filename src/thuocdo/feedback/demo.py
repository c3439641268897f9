"""A year of citizen feedback for the demo province, in every state, made through the real services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from thuocdo.core.feedback import Event
from thuocdo.feedback import services
from thuocdo.feedback.models import FeedbackCategory, RoutingRule

CATEGORIES = [
    ("thu-tuc", "Thủ tục hành chính, giấy tờ", "Administrative procedures", "regulation"),
    ("thoi-han", "Trễ hẹn trả kết quả", "Late results", "regulation"),
    ("phi-le-phi", "Phí, lệ phí", "Fees and charges", "regulation"),
    ("thai-do", "Thái độ, hành vi của cán bộ", "Officials' conduct", "conduct"),
    ("nhung-nhieu", "Nhũng nhiễu, gây phiền hà", "Harassment, undue demands", "conduct"),
    ("truc-tuyen", "Dịch vụ công trực tuyến", "Online public services", "regulation"),
    ("co-so-vat-chat", "Cơ sở vật chất nơi tiếp nhận", "Facilities at the counter", "other"),
    ("khac", "Khác", "Other", "other"),
]

TOPICS = [
    (
        "Trễ hẹn trả giấy chứng nhận",
        "Hồ sơ của tôi đã quá hẹn {d} ngày mà chưa nhận được kết quả, đề nghị kiểm tra.",
    ),
    (
        "Yêu cầu nộp thêm giấy tờ không có trong quy định",
        "Cán bộ yêu cầu bổ sung bản sao giấy tờ không có trong thành phần hồ sơ đã công khai.",
    ),
    ("Không được hướng dẫn đầy đủ", "Tôi phải đi lại {d} lần vì mỗi lần chỉ được hướng dẫn một phần hồ sơ."),
    (
        "Cổng dịch vụ công báo lỗi khi nộp hồ sơ",
        "Khi nộp hồ sơ trực tuyến, hệ thống báo lỗi ở bước thanh toán lệ phí.",
    ),
    (
        "Thái độ cán bộ tiếp nhận chưa lịch sự",
        "Cán bộ tiếp nhận trả lời cộc lốc và không giải thích lý do từ chối.",
    ),
    ("Phòng chờ thiếu ghế ngồi", "Bộ phận một cửa đông người nhưng thiếu ghế và không có số thứ tự."),
    ("Thu phí cao hơn quy định", "Tôi bị thu {d}0.000 đồng, cao hơn mức lệ phí niêm yết."),
    ("Đề nghị kéo dài giờ tiếp nhận", "Đề nghị tiếp nhận hồ sơ vào sáng thứ Bảy cho người đi làm."),
]

ANSWERS = [
    "Cơ quan đã kiểm tra, xác định hồ sơ trễ do phải xác minh thông tin và đã trả kết quả cho công dân.",
    "Cơ quan đã nhắc nhở cán bộ, chấn chỉnh việc hướng dẫn hồ sơ một lần, đầy đủ theo quy định.",
    "Lỗi thanh toán đã được khắc phục; công dân có thể nộp lại hồ sơ trực tuyến.",
    "Mức thu đã được rà soát; khoản thu sai quy định sẽ được hoàn trả.",
]


def build(ctx: Any) -> None:
    from thuocdo.units.models import AdminUnit, Agency

    categories = {}
    for order, (code, name, name_en, classification) in enumerate(CATEGORIES):
        categories[code], _ = FeedbackCategory.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "classification": classification, "order": order},
        )
    province = AdminUnit.objects.filter(code=ctx.province_code, level="province", structure="2025").first()
    agencies = list(Agency.objects.filter(admin_unit__path__startswith=province.path) if province else [])
    if not agencies:
        ctx.say("  (no agencies: skipping feedback)")
        return
    centre = next((a for a in agencies if a.kind == "service_centre"), agencies[0])
    RoutingRule.objects.get_or_create(category=None, admin_unit=None, agency=centre)
    communes = [a for a in agencies if a.kind == "commune_committee"]
    departments = [a for a in agencies if a.kind in ("department", "service_centre")]
    for a in communes:
        RoutingRule.objects.get_or_create(category=categories["thu-tuc"], admin_unit=a.admin_unit, agency=a)

    rng = ctx.rng
    count = int(600 * ctx.scale)
    start = datetime.combine(
        ctx.today - timedelta(days=365), time(8, 0), tzinfo=timezone.get_current_timezone()
    )
    now = timezone.now()
    for i in range(count):
        submitted = start + timedelta(days=rng.uniform(0, 360), hours=rng.uniform(0, 8))
        title, body = rng.choice(TOPICS)
        agency = rng.choice(communes if communes and rng.random() < 0.6 else departments or agencies)
        s = services.submit_feedback(
            data=services.NewSubmission(
                title=title,
                body=body.format(d=rng.randint(2, 9)) + f" (#{i + 1})",
                category=rng.choice(list(categories.values())),
                agency=agency,
                channel=rng.choice(["web", "web", "web", "counter", "hotline", "open311"]),
                contact_email=f"nguoidan{i}@example.vn" if rng.random() < 0.4 else "",
            ),
            now=submitted,
        )
        _advance(s, submitted, rng, now, departments)
    from django.db.models import Count

    from thuocdo.feedback.models import Submission

    states = dict(Submission.objects.values_list("state").annotate(n=Count("id")))
    ctx.say(f"  phản ánh, kiến nghị: {count} ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))})")


def _advance(s: Any, t: datetime, rng: Any, now: datetime, departments: list[Any]) -> None:
    """Walk a submission along a plausible path; how far depends on a draw and on its age."""
    fate = rng.random()

    def step(event: Event, days: float, **kw: Any) -> bool:
        nonlocal t
        t = t + timedelta(days=days)
        if t > now:
            return False
        services.transition_submission(submission=s, event=event, now=t, **kw)
        return True

    if fate < 0.05:
        step(
            Event.REFUSE,
            rng.uniform(0.2, 3),
            note="Không thuộc phạm vi phản ánh, kiến nghị về quy định hành chính.",
        )
        return
    if fate < 0.12 and step(Event.REQUEST_INFO, rng.uniform(0.5, 4)):
        if rng.random() < 0.5:
            step(Event.INFO_RECEIVED, rng.uniform(1, 6))
        return
    if fate < 0.20 and departments:
        target = rng.choice([d for d in departments if d.pk != s.agency_id] or departments)
        if target.pk != s.agency_id and not step(Event.TRANSFER, rng.uniform(0.5, 3), to_agency=target):
            return
    if not step(Event.ACCEPT, rng.uniform(0.1, 2)):
        return
    # Most are answered within 15 working days; about one in six is late.
    if not step(
        Event.ANSWER,
        rng.uniform(3, 30) if rng.random() < 0.17 else rng.uniform(2, 16),
        answer=rng.choice(ANSWERS),
    ):
        return
    if not step(Event.PUBLISH, rng.uniform(0.2, 3)):
        return
    for _ in range(rng.randint(0, 4)):
        services.rate_answer(submission=s, liked=rng.random() < 0.8)
    if rng.random() < 0.05 and t + timedelta(days=1) < now:
        services.reraise_submission(
            submission=s, reason="Câu trả lời chưa giải quyết được vấn đề của tôi.", now=t + timedelta(days=1)
        )
