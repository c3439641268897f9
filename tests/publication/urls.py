"""The project's routes plus the publication pages and API, as the lead will mount them (see docs/publication.md)."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from ninja import NinjaAPI

from thuocdo.config.urls import urlpatterns as project_urlpatterns
from thuocdo.publication.api import router

api = NinjaAPI(title="publication test", urls_namespace="publication-test-api")
api.add_router("/publication/", router)

urlpatterns = [
    path("api/", api.urls),
    *project_urlpatterns,
    *i18n_patterns(path("", include("thuocdo.publication.urls")), prefix_default_language=False),
]
