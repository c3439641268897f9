from django.urls import re_path

from thuocdo.feedback import open311

app_name = "open311"
FMT = r"(?P<fmt>json|xml)"
urlpatterns = [
    re_path(rf"^discovery\.{FMT}$", open311.discovery, name="discovery"),
    re_path(rf"^services\.{FMT}$", open311.services_list, name="services"),
    re_path(rf"^services/(?P<code>[\w-]+)\.{FMT}$", open311.service_definition, name="service"),
    re_path(rf"^requests\.{FMT}$", open311.requests_collection, name="requests"),
    re_path(rf"^requests/(?P<code>[\w-]+)\.{FMT}$", open311.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[\w-]+)\.{FMT}$", open311.token, name="token"),
]
