"""Officials' pages of the 766 index, mounted at /chi-so/."""

from django.urls import path

from thuocdo.indices import views

app_name = "indices"
urlpatterns = [
    path("766/", views.index_page, name="index766"),
    path("766/thu-tuc/", views.procedures_page, name="procedures"),
    path("766/can-bo/", views.officials_page, name="officials"),
    path("766/gia-dinh/", views.whatif_page, name="whatif"),
    path("766/giai-thich/", views.explain_page, name="explain"),
    path("766/tre-han/", views.late_page, name="late"),
    path("766/tre-han.csv", views.late_csv, name="late_csv"),
]
