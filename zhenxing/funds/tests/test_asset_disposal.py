"""Asset disposal: requested by one district user, then approved or rejected (with a reason) by another."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions
from zhenxing.funds.models import Asset, AssetStatus, ProjectEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(cast, in_library):
    """The accepted project's asset, its disposal requested by the district officer."""
    officer = cast["district_officer"]
    actions.start_project(officer, in_library, datetime.date(2024, 3, 1))
    actions.complete_project(officer, in_library, datetime.date(2024, 9, 1))
    data = actions.AssetData("茶园", "operating", "village", Decimal("120000.00"), "新港村委会", "日常管护")
    [asset] = actions.accept_project(officer, in_library, datetime.date(2024, 9, 10), [data])
    actions.request_asset_disposal(officer, asset, "自然灾害损毁")
    return asset


def snapshot(asset):
    return (
        Asset.objects.filter(pk=asset.pk).values().get(),
        ProjectEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_it_rejects_a_disposal_request_with_a_reason(client, cast, requested):
    admin = cast["district_admin"]
    client.force_login(admin)

    response = client.post(reverse("funds:asset_reject", args=[requested.code]), {"reason": "未见损毁证明"})

    assert response.status_code == 302 and response["Location"] == reverse(
        "funds:asset_detail", args=[requested.code]
    )
    asset = Asset.objects.get(pk=requested.pk)
    assert (asset.status, asset.disposal_reason, asset.disposal_requested_by, asset.disposed_on) == (
        AssetStatus.ACTIVE,
        "",
        None,
        None,
    )
    event = ProjectEvent.objects.latest("id")
    assert (event.kind, event.project_id, event.subject, event.actor, event.reason, event.data) == (
        "asset_disposal_reject",
        requested.project_id,
        f"asset:{requested.code}",
        admin,
        "未见损毁证明",
        {
            "asset": requested.code,
            "requested_reason": "自然灾害损毁",
            "requested_by": cast["district_officer"].pk,
        },
    )
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.changes["reason"]) == (
        "funds.asset_disposal_reject",
        str(requested.pk),
        "未见损毁证明",
    )
    page = client.get(reverse("funds:asset_detail", args=[requested.code])).content.decode()
    assert "已驳回处置申请，资产恢复为“在用”" in page
    assert "<dt>状态</dt><dd>在用</dd>" in page
    assert "officer：申请资产处置（自然灾害损毁）" in page
    assert "admin：驳回资产处置申请（未见损毁证明）" in page
    assert 'id="reject-form"' not in page and reverse("funds:asset_dispose", args=[requested.code]) in page


def test_a_rejected_asset_can_be_requested_again_and_approved(cast, requested):
    actions.reject_asset_disposal(cast["district_admin"], requested, "未见损毁证明")
    actions.request_asset_disposal(cast["district_admin"], requested, "补充了损毁证明")
    actions.approve_asset_disposal(cast["district_officer"], requested, datetime.date(2024, 12, 1))
    assert (requested.status, requested.disposal_reason, requested.disposed_on) == (
        AssetStatus.DISPOSED,
        "补充了损毁证明",
        datetime.date(2024, 12, 1),
    )


@pytest.mark.parametrize(
    "who,reason,message",
    [
        ("district_admin", "  ", "请填写驳回原因，申请人据此补充材料或继续管护"),
        ("district_officer", "不同意", "不能审批自己提出的资产处置申请，请由另一位区级人员审批"),
        ("township_officer", "不同意", "资产处置申请须由区级业务人员或区级管理员审批"),
        ("inspector", "不同意", "资产处置申请须由区级业务人员或区级管理员审批"),
    ],
)
def test_it_refuses_a_rejection_and_writes_nothing(cast, requested, who, reason, message):
    before = snapshot(requested)
    with pytest.raises(ValidationError) as e:
        actions.reject_asset_disposal(cast[who], requested, reason)
    assert e.value.messages == [message]
    assert snapshot(requested) == before


def test_it_refuses_to_reject_an_asset_without_a_pending_request(cast, requested):
    actions.approve_asset_disposal(cast["district_admin"], requested, datetime.date(2024, 12, 1))
    before = snapshot(requested)
    with pytest.raises(ValidationError) as e:
        actions.reject_asset_disposal(cast["district_admin"], requested, "不同意")
    assert e.value.messages == ["只有“处置待审批”的资产可以驳回处置申请"]
    assert snapshot(requested) == before


def test_the_page_refuses_an_empty_reason_and_writes_nothing(client, cast, requested):
    client.force_login(cast["district_admin"])
    before = snapshot(requested)
    response = client.post(reverse("funds:asset_reject", args=[requested.code]), {"reason": ""}, follow=True)
    assert "请填写驳回原因" in response.content.decode()
    assert snapshot(requested) == before


@pytest.mark.parametrize(
    "who,status",
    [
        ("township_officer", 403),
        ("village_cadre", 403),
        ("inspector", 403),
        ("department_clerk", 403),
        ("outside_township_officer", 404),
        ("outside_village_cadre", 404),
    ],
)
def test_only_county_roles_may_reject_on_the_page(client, cast, requested, who, status):
    client.force_login(cast[who])
    before = snapshot(requested)
    response = client.post(reverse("funds:asset_reject", args=[requested.code]), {"reason": "不同意"})
    assert response.status_code == status
    assert snapshot(requested) == before


def test_the_page_offers_approval_and_rejection_while_a_request_waits(client, cast, requested):
    client.force_login(cast["district_admin"])
    page = client.get(reverse("funds:asset_detail", args=[requested.code])).content.decode()
    assert "<dt>状态</dt><dd>处置待审批（自然灾害损毁）</dd>" in page
    assert 'id="approve-form"' in page and 'id="reject-form"' in page
    assert reverse("funds:asset_reject", args=[requested.code]) in page
    client.force_login(cast["inspector"])
    page = client.get(reverse("funds:asset_detail", args=[requested.code])).content.decode()
    assert 'id="reject-form"' not in page
