from django.urls import path

from thuocdo.web import views, views_reports

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("bao-cao/", views_reports.report_index, name="reports"),
    path("bao-cao/<uuid:job_id>/", views_reports.report_job, name="report_job"),
    path("bao-cao/<uuid:job_id>/trang-thai/", views_reports.report_status, name="report_status"),
    path("bao-cao/<uuid:job_id>/tai-ve/", views_reports.report_download, name="report_download"),
]
