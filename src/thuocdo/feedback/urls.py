from django.urls import path

from thuocdo.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.index, name="index"),
    path("gui/", views.submit, name="submit"),
    path("tra-cuu/", views.track, name="track"),
    path("quan-ly/", views.work_list, name="work_list"),
    path("quan-ly/tiep-nhan/", views.staff_intake, name="staff_intake"),
    path("quan-ly/thong-ke/", views.dashboard, name="dashboard"),
    path("quan-ly/<str:code>/", views.handle, name="handle"),
    path("<str:code>/", views.status, name="status"),
    path("<str:code>/danh-gia/", views.rate, name="rate"),
    path("<str:code>/phan-anh-lai/", views.reraise, name="reraise"),
]
