from django.urls import path

from zhenxing.reports.leaflets import views

urlpatterns = [
    path("leaflets/", views.index, name="leaflet_index"),
    path("leaflets/batch/", views.batch, name="leaflet_batch"),
    path("leaflets/h/<uuid:public_id>/", views.household, name="leaflet_household"),
    path("leaflets/h/<uuid:public_id>/<str:kind>.pdf", views.household_pdf, name="leaflet_pdf"),
    path("leaflets/templates/<str:kind>/", views.template_edit, name="leaflet_template"),
]
