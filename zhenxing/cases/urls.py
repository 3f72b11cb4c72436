from django.urls import path

from zhenxing.cases import boards, documents, views

app_name = "cases"
# One URL per step (the access matrix checks each); `views.case_step` dispatches on `step`.
STEPS = [
    "consent",
    "home_check",
    "comparison",
    "review",
    "notice",
    "resubmit",
    "township",
    "county",
    "announcement",
    "elimination_check",
]
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_new, name="lead_new"),
    path("leads/<uuid:public_id>/", views.lead_detail, name="lead_detail"),
    path("leads/<uuid:public_id>/close/", views.lead_close, name="lead_close"),
    path("leads/<uuid:public_id>/open/", views.lead_open, name="lead_open"),
    path("leads/<uuid:public_id>/attach/", views.lead_attach, name="lead_attach"),
    path("board/", boards.board, name="board"),
    path("workload/", boards.workload, name="workload"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("discrepancies/<uuid:public_id>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
    path("measures/<int:pk>/", views.measure_update, name="measure_update"),
    path("<uuid:public_id>/", views.case_detail, name="case_detail"),
    *[
        path(f"<uuid:public_id>/{step}/", views.case_step, {"step": step}, name=f"case_{step}")
        for step in STEPS
    ],
    path("<uuid:public_id>/objections/", views.objection_add, name="objection_add"),
    path("<uuid:public_id>/discrepancies/", views.discrepancy_add, name="discrepancy_add"),
    path("<uuid:public_id>/extend/", views.case_extend, name="case_extend"),
    path("<uuid:public_id>/cadre/", views.case_cadre, name="case_cadre"),
    path("<uuid:public_id>/measures/", views.measure_add, name="measure_add"),
    path("<uuid:public_id>/visits/", views.visit_add, name="visit_add"),
    path("<uuid:public_id>/eliminate/", views.elimination_start, name="elimination_start"),
    path("<uuid:public_id>/rollback/", views.case_rollback, name="case_rollback"),
    path("<uuid:public_id>/notice.pdf", documents.notice_pdf, name="notice_pdf"),
    path("<uuid:public_id>/announcement.pdf", documents.announcement_pdf, name="announcement_pdf"),
]
