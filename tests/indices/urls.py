"""Test URLconf: the project's URLs plus the index pages and API at the mounts proposed for config/."""

from django.urls import include, path
from ninja import NinjaAPI

from thuocdo.config.urls import urlpatterns as project
from thuocdo.indices.api import router

api = NinjaAPI(urls_namespace="indices-test")
api.add_router("/indices/", router)

urlpatterns = [
    path("chi-so/", include("thuocdo.indices.urls")),
    path("api-test/", api.urls),
    *project,
]
