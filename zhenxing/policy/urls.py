from django.urls import path

from zhenxing.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.year_list, name="year_list"),
    path("<int:year>/", views.year_detail, name="year_detail"),
    path("<int:year>/edit/", views.year_edit, name="year_edit"),
    path("<int:year>/v<int:version>/", views.version_detail, name="version_detail"),
]
