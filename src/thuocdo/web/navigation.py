"""The public site's main navigation.

Each entry names the URL patterns that will serve it, in order of preference. Sections whose app has
no public page yet point to a fixed path (or to "#") so the menu never breaks while apps are built;
once an app registers one of the names below, the menu links to it without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_names: tuple[str, ...]
    fallback: str | None = None  # path below the language prefix, used while no URL name resolves


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool


SECTIONS = (
    Section("home", _("Trang chủ"), ("web:home",)),
    Section("rankings", _("Xếp hạng"), ("publication:rankings", "indices:rankings")),
    Section("satisfaction", _("Hài lòng"), ("publication:satisfaction", "surveys:results")),
    Section("feedback", _("Phản ánh"), ("feedback:index", "feedback:submit")),
    Section("procedures", _("Thủ tục"), ("catalog:index", "catalog:procedure_list"), "thu-tuc/"),
    Section("units", _("Đơn vị"), ("units:index", "units:search"), "don-vi/"),
    Section("open_data", _("Dữ liệu mở"), ("publication:open_data", "publication:datasets")),
)
# Officials' work pages, shown after the public menu to signed-in staff (each page still checks scope).
STAFF_SECTIONS = (
    Section("staff_index", _("Chỉ số 766"), ("indices:index766",)),
    Section("staff_feedback", _("Xử lý phản ánh"), ("feedback:work_list",)),
    Section("staff_surveys", _("Khảo sát"), ("surveys:campaigns",)),
    Section("staff_satisfaction", _("Kết quả hài lòng"), ("publication:dashboard",)),
    Section("staff_alerts", _("Cảnh báo"), ("publication:alerts",)),
    Section("staff_reports", _("Báo cáo"), ("web:reports",)),
)
_BY_KEY = {section.key: section for section in (*SECTIONS, *STAFF_SECTIONS)}


def section_url(section: Section) -> str:
    """The first URL name that resolves, else the fallback path in the active language, else "#"."""
    for name in section.url_names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    if section.fallback is None:
        return "#"
    return reverse("web:home") + section.fallback


def url_for(key: str) -> str:
    """The URL of a section by key ("feedback", "open_data", ...), for links outside the menu."""
    return section_url(_BY_KEY[key])


def staff_items(current_path: str) -> list[NavItem]:
    """Officials' work pages that exist, for the staff bar under the main menu."""
    items = []
    for section in STAFF_SECTIONS:
        url = section_url(section)
        if url != "#":
            items.append(NavItem(section.label, url, current_path.startswith(url)))
    return items


def main_items(current_path: str) -> list[NavItem]:
    """The menu entries with the one containing `current_path` marked current."""
    items = []
    home = reverse("web:home")
    for section in SECTIONS:
        url = section_url(section)
        if url == "#":
            current = False
        elif url == home:
            current = current_path == home
        else:
            current = current_path.startswith(url)
        items.append(NavItem(section.label, url, current))
    return items
