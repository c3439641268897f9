"""Citizen and staff pages (mounted at the site root inside the language prefix)."""

from django.urls import path

from thuocdo.surveys import views

app_name = "surveys"
urlpatterns = [
    path("khao-sat/cam-on/", views.thanks, name="thanks"),
    path("khao-sat/mo/<slug:slug>/", views.open_form, name="open"),
    path("khao-sat/quan-ly/", views.campaign_list, name="campaigns"),
    path("khao-sat/quan-ly/phieu/", views.instruments, name="instruments"),
    path("khao-sat/quan-ly/phieu/<int:pk>/xlsform/", views.instrument_xlsform, name="instrument_xlsform"),
    path("khao-sat/quan-ly/danh-gia-ho-so/", views.ratings, name="ratings"),
    path("khao-sat/quan-ly/<slug:slug>/", views.campaign_detail, name="campaign"),
    path("khao-sat/quan-ly/<slug:slug>/thao-tac/", views.campaign_action, name="campaign_action"),
    path("khao-sat/quan-ly/<slug:slug>/loi-moi/", views.invitations_print, name="invitations"),
    path("khao-sat/quan-ly/<slug:slug>/phieu.csv", views.microdata_csv, name="microdata"),
    path("khao-sat/quan-ly/<slug:slug>/phieu-giay/", views.paper_entry, name="paper"),
    path("khao-sat/<str:token>/", views.invitation_form, name="invitation"),
    path("quay/<str:key>/", views.kiosk, name="kiosk"),
    path("danh-gia/<str:code>/", views.rate_dossier, name="rate"),
]
