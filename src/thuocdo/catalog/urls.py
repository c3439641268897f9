from django.urls import path

from thuocdo.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.procedure_search, name="index"),
    path("<str:code>/", views.procedure_detail, name="detail"),
]
