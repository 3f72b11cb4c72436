from django.urls import path

from zhenxing.attachments import views

app_name = "attachments"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("<uuid:public_id>/", views.download, name="download"),
]
