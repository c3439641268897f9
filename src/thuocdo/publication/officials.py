"""Officials' own settings on the portal: the e-mail alert subscription form and its save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from thuocdo.accounts.models import AlertSubscription
from thuocdo.indices import selectors as index_selectors
from thuocdo.indices.drilldown import default_scope_key
from thuocdo.indices.selectors import ScopeError, allowed
from thuocdo.shared.forms import StyledFormMixin


def scope_choices(user: Any, *, limit: int = 200) -> list[tuple[str, str]]:
    """Scopes a user may subscribe to: their own (default) and the units and agencies one level below it."""
    own_key = default_scope_key(user)
    own = index_selectors.resolve_scope(own_key)
    choices = [("", _("Phạm vi của tôi: %(label)s") % {"label": own.label})]
    if allowed(user, own):
        choices += [
            (child.key, child.label)
            for child in index_selectors.child_scopes(own)[:limit]
            if allowed(user, child)
        ]
    return choices


class AlertSubscriptionForm(StyledFormMixin, forms.ModelForm):
    scope_key = forms.ChoiceField(label=gettext_lazy("Phạm vi"), required=False)

    class Meta:
        model = AlertSubscription
        fields = [
            "active",
            "frequency",
            "scope_key",
            "on_drop",
            "on_deadline",
            "on_target",
            "drop_threshold",
            "horizon_days",
        ]
        help_texts = {
            "drop_threshold": gettext_lazy(
                "Báo khi một chỉ số (hoặc tổng điểm) mất từ chừng này điểm trở lên so với tháng trước."
            ),
            "horizon_days": gettext_lazy(
                "Báo các hồ sơ sẽ quá hạn trong số ngày làm việc này (theo lịch làm việc của cơ quan)."
            ),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["scope_key"].choices = scope_choices(user)
        self.fields["drop_threshold"].min_value = 0
        self.fields["horizon_days"].max_value = 30

    def clean_scope_key(self) -> str:
        key = str(self.cleaned_data.get("scope_key") or "")
        if not key:
            return ""
        try:
            scope = index_selectors.resolve_scope(key)
        except ScopeError as exc:
            raise forms.ValidationError(str(exc)) from None
        if not allowed(self.user, scope):
            raise forms.ValidationError(_("Phạm vi này nằm ngoài quyền xem của bạn."))
        return key

    def clean_drop_threshold(self) -> Any:
        value = self.cleaned_data["drop_threshold"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("Ngưỡng giảm không được âm."))
        return value

    def clean_horizon_days(self) -> Any:
        value = self.cleaned_data["horizon_days"]
        if value is not None and value > 30:
            raise forms.ValidationError(_("Tối đa 30 ngày làm việc."))
        return value


def subscription_of(user: Any) -> AlertSubscription:
    """The user's subscription, unsaved with defaults (inactive) when they have none yet."""
    found = AlertSubscription.objects.filter(user=user).first()
    return found if found is not None else AlertSubscription(user=user, active=False)


def save_subscription(*, form: AlertSubscriptionForm) -> AlertSubscription:
    """Store the user's choices; a changed frequency or scope lets the next digest go out in the current period."""
    sub: AlertSubscription = form.save(commit=False)
    if sub.pk and {"frequency", "scope_key"} & set(form.changed_data):
        sub.last_sent_key = ""
    sub.save()
    return sub
