from django.urls import path

from thuocdo.dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("phieu-xin-loi/<int:pk>.<str:fmt>", views.letter_file, name="letter_file"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/xin-loi/", views.apologise, name="apologise"),
]
