"""Template filters and tags for Vietnamese figures and the site chrome: `{% load thuocdo %}`.

{{ 83.944|percent }}        → 83,94%      {{ value|percent:1 }} → 83,9%
{{ 1234567|vi_number }}     → 1.234.567   {{ 1234.5|vi_number:1 }} → 1.234,5
{{ some_date|vi_date }}     → 05/09/2025
{{ "Tốt"|band_class }}      → band-good   {{ "good"|band_label }} → Tốt (translated)
{{ "improve_first"|quadrant_label }} → Ưu tiên cải thiện (translated)
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import translate_url

from thuocdo.publication.index766 import label_in_language as _label_in_language
from thuocdo.surveys.labels import quadrant_label as _quadrant_label
from thuocdo.web import navigation
from thuocdo.web.presentation import find_band, format_date, format_number, format_percent

register = template.Library()


@register.filter
def label_in_language(components: object) -> str:
    """A published figure's label in the page's language: `label_en` on English pages when it was stored."""
    return _label_in_language(components) if isinstance(components, dict) else ""


@register.filter
def percent(value: object, decimals: int = 2) -> str:
    """Percentage points with a decimal comma: 83.944 → "83,94%"."""
    return format_percent(value, decimals)


@register.filter
def vi_number(value: object, decimals: int = 0) -> str:
    """Dot-grouped thousands, comma decimals: 1234567 → "1.234.567"."""
    return format_number(value, decimals)


@register.filter
def vi_date(value: object) -> str:
    """A date or datetime as dd/mm/yyyy."""
    return format_date(value)


@register.filter
def band_class(value: object) -> str:
    """The CSS class of a rating band given by code or Vietnamese label; "band-unknown" otherwise."""
    band = find_band(value)
    return band.css if band else "band-unknown"


@register.filter
def band_label(value: object) -> str:
    """The translated name of a rating band given by code or Vietnamese label."""
    band = find_band(value)
    return str(band.label) if band else ("" if value is None else str(value))


@register.filter
def quadrant_label(value: object) -> str:
    """The translated name of a key-driver quadrant given by its code; "" when there is none."""
    return _quadrant_label(None if value is None else str(value))


@register.simple_tag(takes_context=True)
def translated_path(context: template.Context, language: str) -> str:
    """The current page's address in another language, for the language switcher's `next`.

    Computed while the page's own language is active: Django's set_language cannot resolve an /en/
    address itself when the default language has no prefix, so it is handed the finished one.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), language)


@register.simple_tag
def section_url(key: str) -> str:
    """The URL of a public section by key (see thuocdo.web.navigation.SECTIONS); "#" until it exists."""
    return navigation.url_for(key)


@register.inclusion_tag("web/partials/main_nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    """The main navigation with the current section marked for assistive technology."""
    request = context.get("request")
    return {"items": navigation.main_items(request.path if request else "")}


@register.inclusion_tag("web/partials/staff_nav.html", takes_context=True)
def staff_nav(context: template.Context) -> dict[str, Any]:
    """Officials' work pages, shown to signed-in staff under the main menu."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"items": []}
    return {"items": navigation.staff_items(request.path)}
