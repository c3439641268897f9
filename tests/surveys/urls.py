"""The project's URLs plus the survey routes, until config/urls.py mounts them (then this adds nothing)."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from thuocdo.config import urls as project

urlpatterns = list(project.urlpatterns)
_mounted = {
    getattr(p, "urlconf_name", None).__name__
    for p in project.urlpatterns
    if hasattr(getattr(p, "urlconf_name", None), "__name__")
}
if "thuocdo.surveys.urls_openrosa" not in _mounted:
    urlpatterns.insert(0, path("openrosa/", include("thuocdo.surveys.urls_openrosa")))
_names = set()
for p in project.urlpatterns:
    for inner in getattr(p, "url_patterns", []):
        _names.add(getattr(inner, "app_name", None) or getattr(inner, "namespace", None))
if "surveys" not in _names:
    urlpatterns += i18n_patterns(path("", include("thuocdo.surveys.urls")), prefix_default_language=False)
