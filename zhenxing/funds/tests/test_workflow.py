import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions, notices
from zhenxing.funds.models import Project, ProjectEvent, ProjectStatus
from zhenxing.funds.tests.conftest import project_data

pytestmark = pytest.mark.django_db
JAN1, JAN9, JAN10 = datetime.date(2024, 1, 1), datetime.date(2024, 1, 9), datetime.date(2024, 1, 10)


def snapshot(project):
    return (
        Project.objects.filter(pk=project.pk).values().get(),
        ProjectEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_it_walks_village_township_county_library_with_events_and_audit(cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    assert project.code == "2024-420704100201-001" and project.status == ProjectStatus.PROPOSED
    actions.review_at_township(cast["township_officer"], project)
    actions.approve_at_county(cast["district_officer"], project, JAN1, JAN10)
    assert project.status == ProjectStatus.COUNTY_APPROVED and project.policy_version_id is not None
    actions.enter_library(cast["district_officer"], project, today=datetime.date(2024, 1, 11))
    assert project.status == ProjectStatus.IN_LIBRARY and project.entered_library_on == datetime.date(
        2024, 1, 11
    )
    kinds = list(project.events.values_list("kind", flat=True))
    assert kinds == ["propose", "township_review", "county_approve", "enter_library"]
    assert list(AuditEntry.objects.filter(object_id=str(project.pk)).values_list("action", flat=True)) == [
        "funds.propose",
        "funds.township_review",
        "funds.county_approve",
        "funds.enter_library",
    ]


def test_it_refuses_self_review_and_changes_nothing(cast, township):
    project = actions.propose_project(cast["township_officer"], project_data(township))
    before = snapshot(project)
    with pytest.raises(ValidationError, match="不能审核自己申报的项目"):
        actions.review_at_township(cast["township_officer"], project)
    assert snapshot(project) == before


def test_it_refuses_county_approval_by_the_township_reviewer(cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    actions.review_at_township(cast["township_officer"], project)
    project.township_reviewed_by = cast["district_officer"]
    Project.objects.filter(pk=project.pk).update(township_reviewed_by=cast["district_officer"])
    before = snapshot(project)
    with pytest.raises(ValidationError, match="不能审定自己申报或审核过的项目"):
        actions.approve_at_county(cast["district_officer"], project, JAN1, JAN10)
    assert snapshot(project) == before


@pytest.mark.parametrize("missing", ["performance_targets", "linkage_mechanism"])
def test_it_refuses_county_approval_without_targets_or_linkage(cast, village, missing):
    project = actions.propose_project(cast["village_cadre"], project_data(village, **{missing: ""}))
    actions.review_at_township(cast["township_officer"], project)
    before = snapshot(project)
    with pytest.raises(ValidationError, match="规则32"):
        actions.approve_at_county(cast["district_officer"], project, JAN1, JAN10)
    assert snapshot(project) == before


def test_it_requires_a_ten_day_notice(cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    actions.review_at_township(cast["township_officer"], project)
    before = snapshot(project)
    with pytest.raises(ValidationError, match="项目公告期不少于10天"):
        actions.approve_at_county(cast["district_officer"], project, JAN1, JAN9)  # 9 days
    assert snapshot(project) == before
    actions.approve_at_county(cast["district_officer"], project, JAN1, JAN10)  # 10 days
    with pytest.raises(ValidationError, match="公告期满后方可入库"):
        actions.enter_library(cast["district_officer"], project, today=JAN10)
    assert project.status == ProjectStatus.COUNTY_APPROVED


def test_it_refuses_skipping_the_township(cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    before = snapshot(project)
    with pytest.raises(ValidationError, match="只有“乡镇审核通过”的项目可以区级审定"):
        actions.approve_at_county(cast["district_officer"], project, JAN1, JAN10)
    assert snapshot(project) == before


def test_it_returns_with_a_reason_and_resubmits(cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    with pytest.raises(ValidationError, match="请填写退回或不通过的原因"):
        actions.return_project(cast["township_officer"], project, " ")
    actions.return_project(cast["township_officer"], project, "投资概算偏高")
    assert (project.status, project.status_reason) == (ProjectStatus.RETURNED, "投资概算偏高")
    actions.resubmit_project(cast["village_cadre"], project)
    assert project.status == ProjectStatus.PROPOSED and project.status_reason == ""


def test_it_refuses_a_proposal_outside_the_users_village(cast, other_village):
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        actions.propose_project(cast["village_cadre"], project_data(other_village))
    assert Project.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_the_notice_pdf_has_the_hotline_and_no_personal_numbers(cast, village):
    project = actions.propose_project(cast["village_cadre"], project_data(village))
    context = notices.project_notice_context(project)
    assert context["hotline"] == "12317" and context["days"] == 10
    from django.template.loader import render_to_string

    html = render_to_string("funds/notice_project.html", context)
    assert "12317" in html and "共10天" in html and "绩效目标" in html and "联农带农" in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", text)  # 18-character ID numbers
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)  # 11-digit mobiles
    assert not re.search(r"(?<!\d)\d{16,19}(?!\d)", text)  # bank account numbers
    pdf = notices.project_notice_pdf(project)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
