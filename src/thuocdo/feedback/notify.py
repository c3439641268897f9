"""Telling citizens and officials what happened: e-mail through Django, SMS through a pluggable sender.

The SMS sender is chosen by settings.THUOCDO_SMS_SENDER (a dotted path to a callable taking
(phone, text)); the default only logs, because every province contracts its own SMS gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger("thuocdo.feedback.notify")


def log_sms(phone: str, text: str) -> None:
    """Default SMS sender: records the message instead of sending it."""
    logger.info("sms", extra={"phone_suffix": phone[-3:], "chars": len(text)})


def sms_sender() -> Callable[[str, str], None]:
    path = getattr(settings, "THUOCDO_SMS_SENDER", "thuocdo.feedback.notify.log_sms")
    return import_string(path)  # type: ignore[no-any-return]


def notify_citizen(submission: Any, *, subject: str, text: str) -> None:
    """Send to whatever contact the citizen left (none for anonymous submissions)."""
    if submission.contact_email:
        send_mail(subject, text, None, [submission.contact_email], fail_silently=True)
    if submission.contact_phone:
        try:
            sms_sender()(submission.contact_phone, text[:300])
        except Exception:  # a failing gateway must not undo the citizen's submission
            logger.exception("sms sender failed")


def notify_received(submission: Any) -> None:
    notify_citizen(
        submission,
        subject=f"Đã tiếp nhận phản ánh {submission.tracking_code}",
        text=(
            f"Phản ánh «{submission.title}» đã được tiếp nhận. Mã tra cứu: {submission.tracking_code}. "
            f"Hạn trả lời: {submission.handle_by:%d/%m/%Y}."
        ),
    )


def notify_published(submission: Any) -> None:
    notify_citizen(
        submission,
        subject=f"Đã có kết quả trả lời phản ánh {submission.tracking_code}",
        text=f"Phản ánh {submission.tracking_code} đã có kết quả trả lời. Tra cứu bằng mã này để xem và đánh giá.",
    )


def notify_heads(recipients: list[str], *, subject: str, text: str) -> int:
    if not recipients:
        return 0
    return send_mail(subject, text, None, recipients, fail_silently=True)
