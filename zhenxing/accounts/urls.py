from django.urls import path

from zhenxing.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<str:username>/", views.user_edit, name="user_edit"),
    path("users/<str:username>/active/", views.user_set_active, name="user_set_active"),
    path("users/<str:username>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("login-log/", views.login_log, name="login_log"),
]
