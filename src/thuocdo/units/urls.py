from django.urls import path

from thuocdo.units import views

app_name = "units"
urlpatterns = [
    path("", views.unit_search, name="search"),
    path("<str:structure>/<str:level>/<str:code>/", views.unit_detail, name="detail"),
]
