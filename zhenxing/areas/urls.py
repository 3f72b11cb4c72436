from django.urls import path

from zhenxing.areas import views

app_name = "areas"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("import/", views.import_upload, name="import"),
    path("import/commit/", views.import_commit, name="import_commit"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("export.xlsx", views.export, name="export"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/children/", views.children, name="children"),
    path("<str:code>/add/", views.add_child, name="add_child"),
    path("<str:code>/rename/", views.rename, name="rename"),
    path("<str:code>/retire/", views.retire, name="retire"),
    path("<str:code>/restore/", views.restore, name="restore"),
    path("<str:code>/delete/", views.delete, name="delete"),
]
