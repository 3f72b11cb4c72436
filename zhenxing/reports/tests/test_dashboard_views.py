"""The dashboard pages: every section renders, the as-of date and the area are checked, the wall display
and its polled panel, and a section costs the same number of queries however many villages and cases."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenxing.areas.models import Area, Level
from zhenxing.cases.models import CaseStatus, MonitoringType, RiskType
from zhenxing.registry.models import HouseholdKind
from zhenxing.reports.dashboards.views import SECTIONS
from zhenxing.reports.tests.test_dashboard_figures import case, household, person

D = datetime.date
URL = "/reports/dashboard/"


def test_the_urls_are_named_in_the_reports_namespace():
    assert (reverse("reports:dashboard"), reverse("reports:dashboard_screen")) == (URL, URL + "screen/")


@pytest.mark.django_db
@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_section_renders_for_each_level(client, cast, section):
    for role in ("district_officer", "township_officer", "village_cadre", "inspector"):
        client.force_login(cast[role])
        response = client.get(URL, {"section": section, "as_of": "2025-06-30"})
        assert response.status_code == 200, role
        assert response.context["frame"].as_of == D(2025, 6, 30)
        assert response.context["frame"].area == cast[role].area
        assert b'id="dashboard-charts"' in response.content


@pytest.mark.django_db
def test_it_refuses_a_department_clerk_an_unknown_section_and_a_group(client, cast, village):
    client.force_login(cast["department_clerk"])
    assert client.get(URL).status_code == 403
    client.force_login(cast["district_officer"])
    assert client.get(URL, {"section": "other"}).status_code == 404
    group = Area.objects.create(code=village.code + "001", name="一组", level=Level.GROUP, parent=village)
    assert client.get(URL, {"area": group.code}).status_code == 404
    assert client.get(URL, {"area": village.code}).context["frame"].area == village


@pytest.mark.django_db
def test_a_bad_or_future_date_falls_back_to_today_with_a_message(client, cast):
    client.force_login(cast["district_officer"])
    for value, message in (("2025-13-01", "格式不对"), ("2999-01-01", "不能晚于今天")):
        response = client.get(URL, {"as_of": value})
        assert response.context["frame"].as_of == response.context["frame"].today
        assert message in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_the_wall_display_polls_its_panel_without_counting_as_activity(client, cast):
    client.force_login(cast["district_officer"])
    page = client.get(URL + "screen/")
    assert page.status_code == 200
    assert b'hx-trigger="every 300s"' in page.content and b"X-ZX-Poll" in page.content
    assert b"<html" in page.content and b'data-theme="dark"' in page.content
    panel = client.get(URL + "screen/", HTTP_HX_REQUEST="true", HTTP_X_ZX_POLL="1")
    assert panel.status_code == 200 and b"<html" not in panel.content
    assert b'id="dashboard-charts"' in panel.content


def _count_queries(client, section) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"section": section, "as_of": "2025-12-31"}).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_section_costs_the_same_queries_with_more_villages_and_cases(client, cast, village, other_village):
    client.force_login(cast["district_officer"])
    for section in SECTIONS:  # warm the per-process caches (policy settings) first
        _count_queries(client, section)
    before = {section: _count_queries(client, section) for section in SECTIONS}
    for i, area in enumerate((village, other_village)):
        for j in range(3):
            extra = Area.objects.create(
                code=f"{area.parent.code}2{i}{j + 2}",
                name=f"村{i}{j}",
                level=Level.VILLAGE,
                parent=area.parent,
            )
            h = household(f"Q{i}{j}", extra.code, HouseholdKind.ORDINARY, person("某", "户主"))
            case(
                h,
                f"Q{i}{j}",
                CaseStatus.MONITORED,
                D(2025, 1, 2),
                kind=MonitoringType.MARGINAL,
                risk=RiskType.ILLNESS,
                announced=D(2025, 2, 3),
            )
    after = {section: _count_queries(client, section) for section in SECTIONS}
    assert after == before
    assert max(after.values()) <= 40
