"""`{% load publication766 %}{% publish766_box %}`: the box with which authorised staff publish a 766 month.

It renders nothing for anyone else, so any staff page (the rankings page, the officials' 766 page) can carry it
with one line; the POST is checked again by views.publish_index766.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("publication/_publish766_box.html", takes_context=True)
def publish766_box(context: template.Context) -> dict[str, Any]:
    """The publish form for users with PUBLISH over the portal's province; empty for everyone else."""
    from thuocdo.publication import views

    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not views.may_publish_index766(user):
        return {"show": False}
    return {
        "show": True,
        "publishable": views.publishable_months(),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
