from django.urls import path

from zhenxing.registry import import_views as views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("template/<str:kind>.xlsx", views.template, name="template"),
    path("upload/<str:kind>/", views.upload, name="upload"),
    path("<uuid:job_id>/", views.preview, name="preview"),
    path("<uuid:job_id>/errors.xlsx", views.errors, name="errors"),
    path("<uuid:job_id>/commit/", views.commit, name="commit"),
]
