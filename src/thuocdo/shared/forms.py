"""Form styling shared by every app: Bootstrap classes on widgets, so templates can render fields plainly."""

from __future__ import annotations

from typing import Any

from django import forms


class StyledFormMixin:
    """Adds form-control / form-select / form-check-input to every widget (templates add is-invalid from field.errors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if field.help_text:
                widget.attrs.setdefault("aria-describedby", f"id_{name}-help")
