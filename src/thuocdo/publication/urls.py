"""Public routes of the portal's publication pages (mounted at the site root, under the language prefix)."""

from django.urls import path

from thuocdo.publication import views, views_officials

app_name = "publication"
urlpatterns = [
    path("hai-long/", views.satisfaction, name="satisfaction"),
    path("hai-long/bao-cao/", views.satisfaction_report, name="satisfaction_report"),
    path("hai-long/quan-ly/", views.dashboard, name="dashboard"),
    path("hai-long/quan-ly/cong-bo/", views.publish_campaign, name="publish_campaign"),
    path("canh-bao/", views_officials.alert_settings, name="alerts"),
    path("ban-do/", views.satisfaction_map, name="map"),
    path("xep-hang/", views.rankings, name="rankings"),
    path("xep-hang/cong-bo/", views.publish_index766, name="publish_index766"),
    path("tre-han/", views.late_list, name="late_list"),
    path("don-vi-cong-khai/", views.unit_index, name="units"),
    path("don-vi-cong-khai/<str:code>/", views.unit_detail, name="unit"),
    path("du-lieu-mo/", views.open_data, name="open_data"),
    path("du-lieu-mo/tu-dien/", views.data_dictionary, name="data_dictionary"),
    path("du-lieu-mo/tu-dien.json", views.data_dictionary_json, name="data_dictionary_json"),
    path("du-lieu-mo/<slug:slug>.<str:fmt>", views.dataset_download, name="dataset"),
]
