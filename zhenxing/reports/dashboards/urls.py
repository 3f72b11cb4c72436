from django.urls import path

from zhenxing.reports.dashboards import map as district_map
from zhenxing.reports.dashboards import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/screen/", views.screen, name="dashboard_screen"),
    path("map/", district_map.district_map, name="map"),
    path("map/data/", district_map.district_map_data, name="map_data"),
]
