from django.contrib.auth import views as auth_views
from django.urls import path

from thuocdo.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("dang-xuat-moi-noi/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("pham-vi/", views.scope, name="scope"),
    path("co-quan/<str:code>/", views.agency_detail, name="agency"),
]
