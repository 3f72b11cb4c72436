from django.urls import path

from zhenxing.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("export.xlsx", views.household_export, name="household_export"),
    path("h/<uuid:public_id>/", views.household_detail, name="household_detail"),
    path("h/<uuid:public_id>/qr.svg", views.household_qr, name="household_qr"),
    path("h/<uuid:public_id>/add-member/", views.member_add, name="member_add"),
    path("h/<uuid:public_id>/remove-member/", views.member_remove, name="member_remove"),
    path("h/<uuid:public_id>/change-head/", views.head_change, name="head_change"),
    path("h/<uuid:public_id>/split/", views.household_split, name="household_split"),
    path("h/<uuid:public_id>/merge/", views.household_merge, name="household_merge"),
    path("h/<uuid:public_id>/move/", views.household_move, name="household_move"),
    path("h/<uuid:public_id>/edit/", views.household_edit, name="household_edit"),
    path("h/<uuid:public_id>/edit-person/", views.person_edit, name="person_edit"),
    path("h/<uuid:public_id>/income/", views.income_record, name="income_record"),
    path("p/<uuid:public_id>/reveal/", views.person_reveal, name="person_reveal"),
]
