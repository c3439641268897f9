from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from thuocdo.config.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("open311/v2/", include("thuocdo.feedback.urls_open311")),
    path("openrosa/", include("thuocdo.surveys.urls_openrosa")),
    path("", include("thuocdo.web.urls_plain")),
]
urlpatterns += i18n_patterns(
    path("quan-tri/", admin.site.urls),
    path("tai-khoan/", include("thuocdo.accounts.urls")),
    path("don-vi/", include("thuocdo.units.urls")),
    path("thu-tuc/", include("thuocdo.catalog.urls")),
    path("phan-anh/", include("thuocdo.feedback.urls")),
    path("ho-so/", include("thuocdo.dossiers.urls")),
    path("chi-so/", include("thuocdo.indices.urls")),
    path("", include("thuocdo.surveys.urls")),
    path("", include("thuocdo.publication.urls")),
    path("", include("thuocdo.web.urls")),
    prefix_default_language=False,
)

admin.site.site_header = "Thước Đo"
admin.site.site_title = "Thước Đo"
if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
