from django.urls import path

from zhenxing.funds import views

app_name = "funds"
PROJECT_STEPS = [
    "resubmit",
    "township",
    "county",
    "library",
    "return",
    "reject",
    "start",
    "complete",
    "terminate",
    "accept",
    "disburse",
]
urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/<str:code>/", views.project_detail, name="project_detail"),
    path("projects/<str:code>/edit/", views.project_edit, name="project_edit"),
    path("projects/<str:code>/notice.pdf", views.project_notice, name="project_notice"),
    *[
        path(f"projects/<str:code>/{step}/", views.project_step, {"step": step}, name=f"project_{step}")
        for step in PROJECT_STEPS
    ],
    path("allocations/", views.allocations, name="allocations"),
    path("plan/", views.plan, name="plan"),
    path("plan/items/<int:pk>/remove/", views.plan_item_remove, name="plan_item_remove"),
    path("progress/", views.progress, name="progress"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/<str:code>/", views.asset_detail, name="asset_detail"),
    *[
        path(f"assets/<str:code>/{step}/", views.asset_step, {"step": step}, name=f"asset_{step}")
        for step in ("revenue", "dispose", "approve", "reject")
    ],
    path("pv/", views.pv_list, name="pv_list"),
    path("pv/notice/<int:year>.pdf", views.pv_notice, name="pv_notice"),
    path("pv/<str:code>/", views.pv_detail, name="pv_detail"),
    path("pv/<str:code>/month/", views.pv_step, {"step": "month"}, name="pv_month"),
    path("pv/<str:code>/distribute/", views.pv_step, {"step": "distribute"}, name="pv_distribute"),
    path("reconcile/", views.reconcile, name="reconcile"),
    path("reconcile/commit/", views.reconcile_commit, name="reconcile_commit"),
    path("reconcile/<uuid:public_id>/", views.reconcile_detail, name="reconcile_detail"),
    path("reconcile/differences/<int:pk>/resolve/", views.difference_resolve, name="difference_resolve"),
    path("import/", views.import_upload, name="import"),
    path("import/commit/", views.import_commit, name="import_commit"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
