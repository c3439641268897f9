"""Routes that are not localised: health checks for load balancers."""

from django.urls import path

from thuocdo.web import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
