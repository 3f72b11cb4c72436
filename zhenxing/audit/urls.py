from django.urls import path

from zhenxing.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("<int:entry_id>/", views.entry_detail, name="detail"),
    path("verify/", views.verify_chain, name="verify"),
    path("export/", views.export_entries, name="export"),
]
