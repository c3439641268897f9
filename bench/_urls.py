"""Only the dossier API, at the path the project serves it from (/api/dossiers/)."""

from django.urls import path
from ninja import NinjaAPI

from thuocdo.dossiers.api import router

api = NinjaAPI(title="Thước Đo API (benchmark)", urls_namespace="bench-api")
api.add_router("/dossiers/", router)
urlpatterns = [path("api/", api.urls)]
