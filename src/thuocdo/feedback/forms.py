from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from thuocdo.feedback.models import FeedbackCategory
from thuocdo.shared.forms import StyledFormMixin


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class SubmissionForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(
        label=_("Lĩnh vực phản ánh"),
        queryset=FeedbackCategory.objects.filter(is_active=True),
        empty_label=_("— Chọn lĩnh vực —"),
    )
    agency_code = forms.CharField(
        label=_("Cơ quan, đơn vị liên quan (nếu biết)"),
        required=False,
        max_length=40,
        help_text=_("Ví dụ: UBND phường, Sở Tư pháp. Để trống nếu chưa rõ, chúng tôi sẽ chuyển đúng nơi."),
    )
    title = forms.CharField(label=_("Tiêu đề"), max_length=200)
    body = forms.CharField(
        label=_("Nội dung phản ánh, kiến nghị"), widget=forms.Textarea(attrs={"rows": 6}), min_length=10
    )
    procedure = forms.CharField(
        label=_("Thủ tục hành chính liên quan (nếu có)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"list": "procedure-names", "autocomplete": "off"}),
        help_text=_("Gõ mã hoặc tên thủ tục, ví dụ «Đăng ký khai sinh»."),
    )
    dossier_code = forms.CharField(label=_("Số hồ sơ (nếu có)"), required=False, max_length=60)
    latitude = forms.FloatField(
        label=_("Vị trí: vĩ độ (nếu có)"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.FloatField(
        label=_("Vị trí: kinh độ (nếu có)"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Điện thoại có thể điền tự động bằng nút «Dùng vị trí của tôi»."),
    )
    attachments = MultipleFileField(label=_("Ảnh hoặc tệp PDF (tối đa 5 tệp, mỗi tệp 10 MB)"), required=False)
    anonymous = forms.BooleanField(label=_("Gửi ẩn danh (không để lại thông tin liên hệ)"), required=False)
    contact_name = forms.CharField(label=_("Họ và tên"), required=False, max_length=150)
    contact_phone = forms.CharField(label=_("Số điện thoại"), required=False, max_length=30)
    contact_email = forms.EmailField(label=_("Thư điện tử (để nhận thông báo kết quả)"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Cần cả vĩ độ và kinh độ, hoặc để trống cả hai."))
        if data.get("anonymous"):
            data["contact_name"] = data["contact_phone"] = data["contact_email"] = ""
        return data


class TrackForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Mã tra cứu"), max_length=30)


class ReraiseForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Lý do chưa hài lòng"), widget=forms.Textarea(attrs={"rows": 3}), min_length=10
    )


EVENT_LABELS = {
    "accept": _("Tiếp nhận xử lý"),
    "refuse": _("Từ chối tiếp nhận"),
    "request_info": _("Yêu cầu bổ sung thông tin"),
    "info_received": _("Đã nhận thông tin bổ sung"),
    "transfer": _("Chuyển cơ quan khác"),
    "answer": _("Trả lời (chờ duyệt công khai)"),
    "publish": _("Duyệt và công khai trả lời"),
    "reraise": _("Phản ánh lại"),
    "close": _("Đóng"),
}


class HandleForm(StyledFormMixin, forms.Form):
    event = forms.ChoiceField(label=_("Thao tác"))
    note = forms.CharField(
        label=_("Ghi chú (nội bộ)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    to_agency_code = forms.CharField(label=_("Mã cơ quan nhận chuyển"), required=False, max_length=40)
    answer = forms.CharField(
        label=_("Nội dung trả lời"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    answer_public = forms.CharField(
        label=_("Bản công khai (đã che thông tin cá nhân; kiểm tra trước khi duyệt)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: object, allowed: list[object], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["event"].choices = [
            (e.value, EVENT_LABELS.get(e.value, e.value)) for e in allowed if e.value != "reraise"
        ]  # type: ignore[attr-defined]


class StaffIntakeForm(SubmissionForm):
    """Counter or hotline staff log a submission on the caller's behalf."""

    channel = forms.ChoiceField(
        label=_("Kênh tiếp nhận"),
        choices=[
            ("counter", _("Tại bộ phận một cửa")),
            ("hotline", _("Đường dây nóng")),
            ("email", _("Thư điện tử")),
        ],
    )
    field_order = ["channel"]
