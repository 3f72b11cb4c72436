import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions
from zhenxing.funds.models import FundSource, Project, ProjectStatus
from zhenxing.funds.tests.conftest import library_project, project_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, village, other_village):
    inside = library_project(cast, village)
    outside = library_project(cast, other_village)
    actions.add_allocation(
        cast["district_officer"],
        2024,
        FundSource.CENTRAL,
        Decimal("500000"),
        "鄂财1号",
        datetime.date(2024, 1, 5),
    )
    actions.set_plan_item(cast["district_officer"], 2024, inside, FundSource.CENTRAL, "100000.00")
    actions.record_disbursement(
        cast["district_officer"],
        inside,
        2024,
        FundSource.CENTRAL,
        datetime.date(2024, 4, 1),
        "40000.00",
        "V1",
    )
    station = actions.add_pv_station(
        cast["district_officer"], "PV-1", "光伏", village, "60", datetime.date(2017, 1, 1)
    )
    return {"inside": inside, "outside": outside, "station": station}


PAGES = [
    ("funds:project_list", {}),
    ("funds:allocations", {}),
    ("funds:plan", {}),
    ("funds:progress", {}),
    ("funds:asset_list", {}),
    ("funds:pv_list", {}),
    ("funds:reconcile", {}),
    ("funds:import", {}),
]


@pytest.mark.parametrize("name,kwargs", PAGES)
def test_it_shows_each_page_and_its_export_to_the_district(client, cast, world, name, kwargs):
    client.force_login(cast["district_officer"])
    url = reverse(name, kwargs=kwargs) + "?year=2024"
    assert client.get(url).status_code == 200
    if name not in ("funds:reconcile", "funds:import"):
        response = client.get(url + "&export=xlsx")
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")


def test_project_pages_follow_scope(client, cast, world):
    client.force_login(cast["village_cadre"])
    assert client.get(reverse("funds:project_detail", args=[world["inside"].code])).status_code == 200
    assert client.get(reverse("funds:project_detail", args=[world["outside"].code])).status_code == 404
    assert (
        client.get(reverse("funds:project_notice", args=[world["inside"].code]))["Content-Type"]
        == "application/pdf"
    )
    page = client.get(reverse("funds:project_list")).content.decode()
    assert world["inside"].code in page and world["outside"].code not in page
    client.force_login(cast["department_clerk"])
    assert client.get(reverse("funds:project_list")).status_code == 403
    client.force_login(cast["inspector"])
    assert client.get(reverse("funds:project_detail", args=[world["outside"].code])).status_code == 200
    assert client.get(reverse("funds:allocations")).status_code == 200
    assert client.get(reverse("funds:reconcile")).status_code == 403


def test_a_village_cadre_cannot_approve_at_county(client, cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    actions.review_at_township(cast["township_officer"], project)
    audit = AuditEntry.objects.count()
    client.force_login(cast["village_cadre"])
    response = client.post(
        reverse("funds:project_county", args=[project.code]),
        {"notice_start": "2024-01-01", "notice_end": "2024-01-10"},
    )
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.TOWNSHIP_REVIEWED
    assert AuditEntry.objects.count() == audit


def test_the_outside_township_gets_404_on_review(client, cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    client.force_login(cast["outside_township_officer"])
    assert client.post(reverse("funds:project_township", args=[project.code])).status_code == 404
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.PROPOSED


def test_detail_pages_render(client, cast, world):
    client.force_login(cast["district_officer"])
    assert client.get(reverse("funds:pv_detail", args=["PV-1"])).status_code == 200
    assert client.get(reverse("funds:pv_notice", args=[2024]))["Content-Type"] == "application/pdf"
    assert client.get(reverse("funds:project_edit", args=[world["inside"].code])).status_code == 200
    assert client.get(reverse("funds:import_template")).status_code == 200
    assert client.get(reverse("funds:project_new")).status_code == 200


def test_the_project_list_names_the_dashboards_filters_and_keeps_them_in_its_form(client, cast, village):
    """The dashboards' links filter projects by village, 主导产业 and a year's plan by source, which are not on
    the form: the list says what they are and carries them as hidden fields; a malformed one is not named."""
    client.force_login(cast["district_officer"])
    query = f"village={village.code}&leading=1&plan_year=2025&source=central"

    page = client.get(reverse("funds:project_list") + "?" + query).content.decode()

    assert f"来自统计看板：实施地点：{village.name}；主导产业项目；2025年计划安排中央衔接资金。" in page
    for name, value in (
        ("village", village.code),
        ("leading", "1"),
        ("plan_year", "2025"),
        ("source", "central"),
    ):
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    bad = client.get(reverse("funds:project_list") + "?village=999&leading=2&plan_year=x").content.decode()
    assert (
        "来自统计看板" not in bad
        and 'type="hidden"' not in bad.split('role="search">', 1)[1].split("</form>")[0]
    )
