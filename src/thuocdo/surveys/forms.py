"""Staff forms of survey collection (citizen forms are built from the instrument in views.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from thuocdo.shared.forms import StyledFormMixin
from thuocdo.surveys.answers import FLAG_LABELS


class XLSFormUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Tệp XLSForm (.xlsx)"), help_text=_("Biểu mẫu soạn bằng KoboToolbox, ODK hoặc Excel.")
    )


class FrameUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Danh sách khung mẫu (CSV hoặc XLSX)"),
        help_text=_("Cột bắt buộc: ma, tang; không bắt buộc: ten_tang, dien_thoai."),
    )


class FlagPolicyForm(StyledFormMixin, forms.Form):
    excluded = forms.MultipleChoiceField(
        label=_("Loại khỏi ước lượng các phiếu có cờ"),
        choices=sorted(FLAG_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Lý do (ghi vào nhật ký)"), max_length=300)


class PaperHeaderForm(StyledFormMixin, forms.Form):
    batch = forms.CharField(label=_("Mã lô phiếu"), max_length=40)
    sheet_no = forms.IntegerField(label=_("Số phiếu"), min_value=1)
    stratum = forms.ChoiceField(label=_("Cơ quan được đánh giá"))

    def __init__(self, *args: object, strata: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["stratum"].choices = [("", "—"), *strata]  # type: ignore[attr-defined]


class MarginsForm(StyledFormMixin, forms.Form):
    margins_text = forms.CharField(
        label=_("Tổng thể biên (CSV: variable, category, population)"),
        help_text=_("Mỗi dòng một nhóm, ví dụ: gender,2,51230. Để trống và ghi để bỏ hiệu chỉnh."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    margins_file = forms.FileField(
        label=_("Hoặc tải tệp tổng thể biên (CSV hoặc XLSX)"),
        help_text=_("Cột: variable (biến), category (nhóm), population (số người). Tệp thay cho ô nhập."),
        required=False,
    )
