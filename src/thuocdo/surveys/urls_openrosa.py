"""OpenRosa endpoints for ODK Collect / KoboCollect / Enketo (mounted at /openrosa/, outside the language prefix)."""

from django.urls import path

from thuocdo.surveys import openrosa

app_name = "openrosa"
urlpatterns = [
    path("formList", openrosa.form_list, name="form_list"),
    path("forms/<slug:slug>/form.xml", openrosa.form_download, name="form"),
    path("submission", openrosa.submission, name="submission"),
    path("key/<str:key>/formList", openrosa.form_list, name="key_form_list"),
    path("key/<str:key>/forms/<slug:slug>/form.xml", openrosa.form_download, name="key_form"),
    path("key/<str:key>/submission", openrosa.submission, name="key_submission"),
]
