from django.urls import path

from zhenxing.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("running/", views.running, name="running"),
    path("<uuid:public_id>/", views.job_detail, name="detail"),
    path("<uuid:public_id>/progress/", views.progress, name="progress"),
    path("<uuid:public_id>/retry/", views.retry, name="retry"),
    path("<uuid:public_id>/download/", views.download, name="download"),
]
