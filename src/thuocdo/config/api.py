"""The JSON API: one NinjaAPI, one router per domain, documented at /api/docs (OpenAPI at /api/openapi.json)."""

from ninja import NinjaAPI

from thuocdo.catalog.api import router as catalog_router
from thuocdo.dossiers.api import router as dossiers_router
from thuocdo.indices.api import router as indices_router
from thuocdo.publication.api import router as publication_router
from thuocdo.surveys.api import router as surveys_router
from thuocdo.units.api import router as units_router

api = NinjaAPI(
    title="Thước Đo API",
    version="1",
    description="Administrative units, agencies, procedures, dossier ingestion, surveys and published figures.",
    urls_namespace="api",
)
api.add_router("/units/", units_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/dossiers/", dossiers_router)
api.add_router("/indices/", indices_router)
api.add_router("/surveys/", surveys_router)
api.add_router("/publication/", publication_router)
