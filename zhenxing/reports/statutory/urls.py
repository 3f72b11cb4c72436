from django.urls import path

from zhenxing.reports.statutory import views

urlpatterns = [
    path("exports/", views.export_index, name="export_index"),
    path("exports/<slug:name>/", views.export_start, name="export_start"),
]
