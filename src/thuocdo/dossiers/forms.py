from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from thuocdo.shared.forms import StyledFormMixin


class ApologyForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Lý do chậm trả kết quả"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ví dụ: cần xác minh thêm thông tin với cơ quan liên quan."),
    )
    new_due_at = forms.DateTimeField(
        label=_("Ngày giờ hẹn trả mới"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )
    signer_title = forms.CharField(label=_("Chức vụ người ký"), max_length=150, initial="Giám đốc")
    signer_name = forms.CharField(label=_("Họ tên người ký"), max_length=150)
    send = forms.BooleanField(
        label=_("Gửi phiếu cho người dân qua thư điện tử (nếu có)"), required=False, initial=True
    )
