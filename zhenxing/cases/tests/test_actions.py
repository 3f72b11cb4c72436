"""The case actions beyond the numbered rules: self-approval, returns, objections, the green channel, one
open case per household, rejection, scope, and two quick calls to the same step."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from conftest import make_user
from zhenxing.accounts.roles import Role
from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions
from zhenxing.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Discrepancy,
    DiscrepancyKind,
    Lead,
    LeadStatus,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Objection,
    Procedure,
    Step,
    StepRecord,
)
from zhenxing.cases.tests.helpers import (
    home_check,
    lead,
    monitored,
    open_case,
    scan,
    secure_visit,
    take,
    to_stage,
)
from zhenxing.cases.tests.test_rules import VILLAGE, eligible, family, order_message, refused, to_stage_from
from zhenxing.registry.models import Household, MonitoringStatus

pytestmark = pytest.mark.django_db

D = datetime.date
GREEN_DAY = D(2025, 3, 4)  # a measure on the green channel, the day after the case opened


@pytest.fixture
def household(cast, village):
    return family(cast, village)


def measure(start=GREEN_DAY, **kw) -> actions.MeasureData:
    values = dict(
        category=MeasureCategory.HOUSING,
        content="临时租房安置，发放临时救助金",
        responsible="泽林镇民政办",
        start_date=start,
        status=MeasureStatus.IN_PROGRESS,
        amount=Decimal("3000.00"),
    )
    values.update(kw)
    return actions.MeasureData(**values)


def audit_actions(case) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(case.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- self-approval (policy rule 40) ---------------------------------------------------------------------


def test_it_refuses_township_approval_by_the_officer_who_took_a_village_step(cast, township, household):
    zelin = cast["township_officer"]
    case = open_case(cast, household)
    # The township officer records the consent on behalf of the village.
    case = actions.record_consent(
        zelin, case, signed_on=D(2025, 3, 4), signer="户主本人", attachments=[scan(zelin, case.area)]
    )
    for step in (Step.HOME_CHECK, Step.COMPARISON, Step.REVIEW, Step.NOTICE):
        case = take(cast, case, step)
    with refused(actions.SELF_APPROVAL, case):
        actions.township_review(zelin, case, approve=True, reason="同意", reviewed_on=D(2025, 3, 12))
    with refused(actions.SELF_APPROVAL, case):
        actions.township_review(zelin, case, approve=False, reason="退回补正", reviewed_on=D(2025, 3, 12))
    colleague = make_user("zelin2", Role.TOWNSHIP_OFFICER, township)
    case = actions.township_review(colleague, case, approve=True, reason="同意", reviewed_on=D(2025, 3, 12))
    assert case.stage == Step.COUNTY


def test_it_refuses_county_approval_by_a_user_who_took_a_step_of_the_round(cast, county, household):
    zelin = cast["township_officer"]
    case = to_stage(cast, open_case(cast, household), Step.COUNTY)  # zelin approved at township
    # zelin moves to the district bureau as an administrator.
    zelin.role, zelin.area = Role.DISTRICT_ADMIN, county
    zelin.save(update_fields=["role", "area"])
    with refused(actions.SELF_APPROVAL, case):
        actions.county_decision(zelin, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 3, 13))
    with refused(actions.SELF_APPROVAL, case):
        actions.county_decision(
            zelin, case, decision=actions.REJECT, reason="不符合", decided_on=D(2025, 3, 13)
        )
    case = actions.county_decision(
        cast["district_admin"], case, decision=actions.APPROVE, reason="", decided_on=D(2025, 3, 13)
    )
    assert case.identified_on == D(2025, 3, 13)


def test_it_lets_identification_approvers_approve_the_elimination(cast, household):
    """The ban covers the current procedure round only: the officers of the identification approve the
    elimination."""
    case = eligible(cast, household)
    cadre, zelin, officer = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    case = actions.start_elimination(cadre, case, started_on=D(2025, 10, 13))
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=9,
        votes_for=9,
        votes_against=0,
        minutes=[scan(cadre, case.area)],
    )
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = actions.township_review(zelin, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    case = actions.county_decision(
        officer, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
    )
    assert case.stage == Step.ANNOUNCEMENT


# --- returns --------------------------------------------------------------------------------------------


def test_it_returns_from_township_to_the_notice_stage_and_resubmits(cast, household):
    cadre, zelin = cast["village_cadre"], cast["township_officer"]
    case = to_stage(cast, open_case(cast, household), Step.TOWNSHIP)
    with refused("请填写退回原因", case):
        actions.township_review(zelin, case, approve=False, reason=" ", reviewed_on=D(2025, 3, 12))
    case = actions.township_review(
        zelin, case, approve=False, reason="请补充医疗费用票据", reviewed_on=D(2025, 3, 12)
    )
    assert (case.status, case.stage, case.stage_since, case.last_return_reason, case.last_return_step) == (
        CaseStatus.IDENTIFYING,
        Step.NOTICE,
        D(2025, 3, 12),
        "请补充医疗费用票据",
        Step.TOWNSHIP,
    )
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.step, event.reason, event.actor) == (
        CaseEvent.Kind.RETURNED,
        Step.TOWNSHIP,
        "请补充医疗费用票据",
        zelin,
    )
    assert audit_actions(case)[-1] == "cases.returned"
    with refused("请填写补正说明", case):
        actions.resubmit(cadre, case, note="", resubmitted_on=D(2025, 3, 13))
    with refused("报送日期不能早于退回日期（2025-03-12）", case):
        actions.resubmit(cadre, case, note="已补充票据", resubmitted_on=D(2025, 3, 11))
    case = actions.resubmit(cadre, case, note="已补充住院票据3张", resubmitted_on=D(2025, 3, 13))
    assert (case.stage, case.stage_since, case.last_return_reason) == (
        Step.TOWNSHIP,
        D(2025, 3, 13),
        "请补充医疗费用票据",
    )
    record = StepRecord.objects.filter(case=case).last()
    assert (record.step, record.outcome, record.reason) == (
        Step.NOTICE,
        StepRecord.Outcome.RESUBMITTED,
        "已补充住院票据3张",
    )
    with refused(order_message("补正后重新报送", case, "识别认定·乡镇审核"), case):
        actions.resubmit(cadre, case, note="再次报送", resubmitted_on=D(2025, 3, 13))


def test_it_lets_the_township_officer_who_returned_a_case_approve_it_after_resubmission(cast, household):
    """Regression: a return is the reviewer's own decision, not a step of the submission (rule 40)."""
    cadre, zelin = cast["village_cadre"], cast["township_officer"]
    case = to_stage(cast, open_case(cast, household), Step.TOWNSHIP)
    case = actions.township_review(
        zelin, case, approve=False, reason="请补充医疗费用票据", reviewed_on=D(2025, 3, 12)
    )
    case = actions.resubmit(cadre, case, note="已补充住院票据3张", resubmitted_on=D(2025, 3, 13))
    case = actions.township_review(zelin, case, approve=True, reason="同意", reviewed_on=D(2025, 3, 13))
    assert (case.stage, case.stage_since) == (Step.COUNTY, D(2025, 3, 13))


def test_it_returns_from_county_to_township_and_both_approve_again(cast, household):
    """Regression: after a county return the same township officer re-approves, and the county officer who
    returned the case approves it."""
    zelin, officer = cast["township_officer"], cast["district_officer"]
    case = to_stage(cast, open_case(cast, household), Step.COUNTY)
    case = actions.county_decision(
        officer, case, decision=actions.RETURN, reason="请核实车辆情况", decided_on=D(2025, 3, 13)
    )
    assert (case.stage, case.stage_since, case.last_return_reason, case.last_return_step) == (
        Step.TOWNSHIP,
        D(2025, 3, 13),
        "请核实车辆情况",
        Step.COUNTY,
    )
    assert audit_actions(case)[-1] == "cases.returned"
    case = actions.township_review(
        zelin, case, approve=True, reason="已核实，无车辆", reviewed_on=D(2025, 3, 13)
    )
    assert case.stage == Step.COUNTY
    case = actions.county_decision(
        officer, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 3, 14)
    )
    assert (case.stage, case.identified_on) == (Step.ANNOUNCEMENT, D(2025, 3, 14))
    outcomes = list(
        StepRecord.objects.filter(case=case, step__in=[Step.TOWNSHIP, Step.COUNTY]).values_list(
            "step", "outcome"
        )
    )
    assert outcomes == [
        ("township", "approved"),
        ("county", "returned"),
        ("township", "approved"),
        ("county", "approved"),
    ]


def test_it_refuses_a_second_notice_after_a_return(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.TOWNSHIP)
    case = actions.township_review(
        cast["township_officer"], case, approve=False, reason="请补充医疗费用票据", reviewed_on=D(2025, 3, 12)
    )
    message = "本案件已于2025-03-07至2025-03-12开展村内公示，每个案件只公示一次（政策规则11）"
    with refused(message, case):
        actions.publish_notice(cast["village_cadre"], case, start=D(2025, 3, 13), end=D(2025, 3, 18))


# --- objections -----------------------------------------------------------------------------------------


def test_it_refuses_an_objection_before_the_notice_or_outside_its_window(cast, household):
    cadre = cast["village_cadre"]
    case = to_stage(cast, open_case(cast, household), Step.NOTICE)
    with refused("本案件尚未开展村内公示，不能登记公示异议", case):
        actions.record_objection(cadre, case, received_on=D(2025, 3, 7), content="该户有商铺出租")
    case = take(cast, case, Step.NOTICE)
    for day in (D(2025, 3, 6), D(2025, 3, 13)):
        with refused("公示期为2025-03-07至2025-03-12，只登记公示期内收到的异议", case):
            actions.record_objection(cadre, case, received_on=day, content="该户有商铺出租")
    for day in (D(2025, 3, 7), D(2025, 3, 12)):
        objection = actions.record_objection(cadre, case, received_on=day, content="该户有商铺出租")
        assert (objection.received_on, objection.received_by) == (day, cadre)


def test_it_refuses_township_approval_while_an_objection_is_unanswered(cast, household):
    cadre, zelin = cast["village_cadre"], cast["township_officer"]
    case = to_stage(cast, open_case(cast, household), Step.TOWNSHIP)
    objection = actions.record_objection(cadre, case, received_on=D(2025, 3, 10), content="该户有商铺出租")
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.data) == (CaseEvent.Kind.OBJECTION, {"objection": objection.pk})
    with refused("公示期间收到的1条异议尚未答复，答复后才能审核", case):
        actions.township_review(zelin, case, approve=True, reason="", reviewed_on=D(2025, 3, 12))
    with refused("请填写答复内容", case):
        actions.answer_objection(cadre, objection, answer=" ", answered_on=D(2025, 3, 11))
    objection = actions.answer_objection(
        cadre, objection, answer="经核实，商铺为村集体所有，与该户无关", answered_on=D(2025, 3, 11)
    )
    assert (objection.answered_on, objection.answered_by) == (D(2025, 3, 11), cadre)
    with refused("该异议已答复", case):
        actions.answer_objection(cadre, objection, answer="再次答复", answered_on=D(2025, 3, 11))
    case = actions.township_review(zelin, case, approve=True, reason="", reviewed_on=D(2025, 3, 12))
    assert case.stage == Step.COUNTY


# --- green channel ----------------------------------------------------------------------------------------


def test_it_refuses_a_measure_before_approval_without_the_green_channel(cast, household):
    case = open_case(cast, household)
    message = "识别认定完成前不能落实帮扶措施；因灾、因意外等紧急情况请开通绿色通道先行帮扶（政策规则9）"
    with refused(message, case):
        actions.add_measure(cast["village_cadre"], case, measure())
    assert case.procedure_pending is False


def test_it_refuses_the_green_channel_without_a_reason(cast, household):
    found = lead(cast, household)
    with refused("请填写开通绿色通道的原因（如因灾、因意外事故）"):
        actions.open_case(cast["village_cadre"], found, opened_on=D(2025, 3, 3), green_channel=True)


def test_it_records_measures_before_approval_on_the_green_channel(cast, household):
    cadre = cast["village_cadre"]
    case = open_case(cast, household, green_channel=True, green_channel_reason="房屋遭暴雨损毁")
    assert (case.green_channel, case.green_channel_reason, case.procedure_pending) == (
        True,
        "房屋遭暴雨损毁",
        True,
    )
    first = actions.add_measure(cadre, case, measure())
    assert first.before_approval is True
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.data["green_channel"]) == (CaseEvent.Kind.MEASURE_ADDED, True)
    # The procedure still runs in order.
    with refused(order_message("入户核实", case, "识别认定·承诺授权"), case):
        actions.record_home_check(cadre, case, home_check(D(2025, 3, 5)))
    case = to_stage(cast, case, Step.ANNOUNCEMENT)
    assert case.procedure_pending is True
    case = take(cast, case, Step.ANNOUNCEMENT)
    assert (case.status, case.procedure_pending) == (CaseStatus.MONITORED, False)
    second = actions.add_measure(
        cadre, case, measure(start=D(2025, 3, 20), category=MeasureCategory.EMPLOYMENT)
    )
    assert second.before_approval is False


# --- one open case per household ---------------------------------------------------------------------------


def test_it_refuses_a_second_open_case_and_attaches_the_lead(cast, village, household):
    cadre = cast["village_cadre"]
    case = open_case(cast, household)
    second = lead(
        cast, household, description="子女上学费用大", risk_types=["education"], found_on=D(2025, 3, 4)
    )
    message = f"该户已有在办案件{case.number}（识别认定中），一户只能有一个在办案件，请将线索并入该案件"
    with refused(message, case):
        actions.open_case(cadre, second, opened_on=D(2025, 3, 4))
    other_case = open_case(cast, family(cast, village, 1))
    with refused("线索只能并入本户的在办案件", case):
        actions.attach_lead(cadre, second, other_case, attached_on=D(2025, 3, 4))
    attached = actions.attach_lead(cadre, second, case, attached_on=D(2025, 3, 4))
    assert (attached.status, attached.case, attached.closed_on, attached.closed_reason) == (
        LeadStatus.ATTACHED,
        case,
        D(2025, 3, 4),
        "并入在办案件",
    )
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.lead, event.data) == (
        CaseEvent.Kind.LEAD_ATTACHED,
        second,
        {"lead": second.number},
    )
    assert audit_actions(case)[-1] == "cases.lead_attached"
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            number="JC-duplicate",
            household=household,
            area=household.area,
            stage_since=D(2025, 3, 4),
            opened_on=D(2025, 3, 4),
        )


# --- review not passed, county rejection --------------------------------------------------------------------


def test_it_ends_identification_when_the_review_does_not_pass(cast, household):
    cadre = cast["village_cadre"]
    case = to_stage(cast, open_case(cast, household), Step.REVIEW)
    minutes = [scan(cadre, case.area, "评议记录.pdf")]
    with refused("同意票10与反对票5之和超过参会人数14，请核对", case):
        actions.record_review(
            cadre, case, held_on=D(2025, 3, 7), attendance=14, votes_for=10, votes_against=5, minutes=minutes
        )
    # Exactly half in favour is not more than half.
    case = actions.record_review(
        cadre, case, held_on=D(2025, 3, 7), attendance=14, votes_for=7, votes_against=5, minutes=minutes
    )
    assert (case.status, case.is_open, case.stage, case.closed_on, case.closed_reason) == (
        CaseStatus.REJECTED,
        False,
        Step.DONE,
        D(2025, 3, 7),
        "民主评议未通过（参会14人，同意7票）",
    )
    record = StepRecord.objects.filter(case=case).last()
    assert (record.outcome, record.data) == (
        StepRecord.Outcome.REJECTED,
        {"attendance": 14, "for": 7, "against": 5, "passed": False},
    )
    assert CaseEvent.objects.filter(case=case).last().kind == CaseEvent.Kind.REJECTED
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.NONE
    with refused("未纳入监测的案件不能登记帮扶措施", case):
        actions.add_measure(cadre, case, measure())
    again = open_case(cast, household, day=D(2025, 4, 1))
    assert (again.previous_case, again.is_relapse) == (case, False)


def test_it_passes_the_review_with_more_than_half(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.REVIEW)
    cadre = cast["village_cadre"]
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 3, 7),
        attendance=14,
        votes_for=8,
        votes_against=6,
        minutes=[scan(cadre, case.area)],
    )
    assert (case.status, case.stage) == (CaseStatus.IDENTIFYING, Step.NOTICE)


def test_it_rejects_at_county(cast, household):
    officer = cast["district_officer"]
    case = to_stage(cast, open_case(cast, household), Step.COUNTY)
    with refused("请填写退回或不予认定的原因", case):
        actions.county_decision(officer, case, decision=actions.REJECT, reason="", decided_on=D(2025, 3, 13))
    with refused("请选择审定结果", case):
        actions.county_decision(officer, case, decision="maybe", reason="", decided_on=D(2025, 3, 13))
    case = actions.county_decision(
        officer, case, decision=actions.REJECT, reason="家庭成员为财政供养人员", decided_on=D(2025, 3, 13)
    )
    assert (case.status, case.is_open, case.closed_reason, case.identified_on) == (
        CaseStatus.REJECTED,
        False,
        "家庭成员为财政供养人员",
        None,
    )
    assert [e.kind for e in CaseEvent.objects.filter(case=case)][-1] == CaseEvent.Kind.REJECTED
    assert audit_actions(case)[-1] == "cases.rejected"
    assert Household.objects.get(pk=household.pk).monitoring_status == MonitoringStatus.NONE


# --- scope ------------------------------------------------------------------------------------------------------


@pytest.fixture
def busy(cast, household):
    """A green-channel case at township review with an objection, a discrepancy, a measure and an open lead."""
    cadre = cast["village_cadre"]
    case = open_case(cast, household, green_channel=True, green_channel_reason="房屋遭暴雨损毁")
    added = actions.add_measure(cadre, case, measure())
    case = to_stage(cast, case, Step.TOWNSHIP)
    objection = actions.record_objection(cadre, case, received_on=D(2025, 3, 8), content="该户有商铺出租")
    item = actions.record_discrepancy(
        cadre, household, kind=DiscrepancyKind.VEHICLE, detail="登记轿车一辆", found_on=D(2025, 3, 8)
    )
    extra = lead(cast, household, found_on=D(2025, 3, 8))
    return {"case": case, "objection": objection, "discrepancy": item, "measure": added, "lead": extra}


DAY = D(2025, 3, 20)
CALLS = {
    "record_lead": lambda u, o: actions.record_lead(
        u, o["case"].household, channel="cadre_visit", description="走访发现", found_on=DAY
    ),
    "close_lead": lambda u, o: actions.close_lead(u, o["lead"], reason="无风险", closed_on=DAY),
    "open_case": lambda u, o: actions.open_case(u, o["lead"], opened_on=DAY),
    "attach_lead": lambda u, o: actions.attach_lead(u, o["lead"], o["case"], attached_on=DAY),
    "record_consent": lambda u, o: actions.record_consent(
        u, o["case"], signed_on=DAY, signer="户主", attachments=[]
    ),
    "record_home_check": lambda u, o: actions.record_home_check(u, o["case"], home_check(DAY)),
    "record_comparison": lambda u, o: actions.record_comparison(u, o["case"], compared_on=DAY, note=""),
    "record_review": lambda u, o: actions.record_review(
        u, o["case"], held_on=DAY, attendance=9, votes_for=9, votes_against=0, minutes=[]
    ),
    "publish_notice": lambda u, o: actions.publish_notice(
        u, o["case"], start=DAY, end=DAY + datetime.timedelta(days=5)
    ),
    "resubmit": lambda u, o: actions.resubmit(u, o["case"], note="补正", resubmitted_on=DAY),
    "record_objection": lambda u, o: actions.record_objection(u, o["case"], received_on=DAY, content="异议"),
    "answer_objection": lambda u, o: actions.answer_objection(
        u, o["objection"], answer="答复", answered_on=DAY
    ),
    "township_review": lambda u, o: actions.township_review(
        u, o["case"], approve=True, reason="", reviewed_on=DAY
    ),
    "county_decision": lambda u, o: actions.county_decision(
        u, o["case"], decision=actions.APPROVE, reason="", decided_on=DAY
    ),
    "announce": lambda u, o: actions.announce(u, o["case"], announced_on=DAY),
    "extend_deadline": lambda u, o: actions.extend_deadline(
        u, o["case"], new_due=D(2025, 4, 30), reason="延期"
    ),
    "record_discrepancy": lambda u, o: actions.record_discrepancy(
        u, o["case"].household, kind=DiscrepancyKind.OTHER, detail="疑点", found_on=DAY
    ),
    "resolve_discrepancy": lambda u, o: actions.resolve_discrepancy(
        u, o["discrepancy"], resolution="已核实", resolved_on=DAY
    ),
    "assign_cadre": lambda u, o: actions.assign_cadre(u, o["case"], u, assigned_on=DAY),
    "add_measure": lambda u, o: actions.add_measure(u, o["case"], measure(start=DAY)),
    "update_measure": lambda u, o: actions.update_measure(u, o["measure"], status=MeasureStatus.DONE),
    "record_visit": lambda u, o: actions.record_visit(
        u, o["case"], actions.VisitData(visited_on=DAY, findings="走访")
    ),
    "start_elimination": lambda u, o: actions.start_elimination(u, o["case"], started_on=DAY),
    "record_elimination_check": lambda u, o: actions.record_elimination_check(
        u, o["case"], secure_visit(DAY)
    ),
    "rollback": lambda u, o: actions.rollback(u, o["case"], reason="回退", rolled_back_on=DAY),
}
OUT_OF_SCOPE = f"“{VILLAGE}”不在您的管辖范围内"
NO_ROLE = "您的角色无权办理此事项"
# What the village cadre of 杜山村 is told: out of scope, or (steps above the village) no such role.
OUTSIDE_CADRE = {name: (OUT_OF_SCOPE, None) for name in CALLS} | {
    "township_review": (NO_ROLE, PermissionDenied),
    "county_decision": (NO_ROLE, PermissionDenied),
    "rollback": (NO_ROLE, PermissionDenied),
    "announce": ("公告由乡镇（街道）或区级业务人员发布", PermissionDenied),
    "extend_deadline": ("延长办理期限须由乡镇（街道）或区级业务人员批准", PermissionDenied),
}


def test_every_action_is_listed_for_the_scope_tests():
    public = {
        name
        for name, value in vars(actions).items()
        if callable(value)
        and not name.startswith("_")
        and getattr(value, "__module__", "") == actions.__name__
    }
    assert public - {"HomeCheck", "MeasureData", "VisitData"} == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_it_refuses_every_action_for_the_village_cadre_of_another_township(cast, busy, name):
    message, error = OUTSIDE_CADRE[name]
    with refused(message, busy["case"], error=error or actions.ValidationError):
        CALLS[name](cast["outside_village_cadre"], busy)


@pytest.mark.parametrize(
    "name", ["township_review", "announce", "extend_deadline", "record_consent", "add_measure"]
)
def test_it_refuses_the_township_officer_of_another_township(cast, busy, name):
    with refused(OUT_OF_SCOPE, busy["case"]):
        CALLS[name](cast["outside_township_officer"], busy)


@pytest.mark.parametrize("role", ["inspector", "department_clerk"])
def test_it_refuses_roles_that_do_not_record_cases(cast, busy, role):
    for name in ("record_lead", "add_measure", "record_visit", "record_objection"):
        with refused(NO_ROLE, busy["case"], error=PermissionDenied):
            CALLS[name](cast[role], busy)


def test_it_refuses_a_notice_published_by_a_township_officer(cast, household):
    case = to_stage(cast, open_case(cast, household), Step.NOTICE)
    message = "村内公示只在村内开展一次，由村干部发布；乡镇、区级不再另行公示（政策规则11）"
    with refused(message, case):
        actions.publish_notice(cast["township_officer"], case, start=D(2025, 3, 7), end=D(2025, 3, 12))


# --- two quick calls to the same step ------------------------------------------------------------------------


def test_it_refuses_the_second_of_two_quick_calls_to_the_same_step(cast, household):
    cadre, zelin = cast["village_cadre"], cast["township_officer"]
    stale = open_case(cast, household)
    files = [scan(cadre, stale.area)]
    actions.record_consent(cadre, stale, signed_on=D(2025, 3, 4), signer="户主本人", attachments=files)
    with refused(order_message("承诺授权", stale, "识别认定·入户核实"), stale):
        actions.record_consent(cadre, stale, signed_on=D(2025, 3, 4), signer="户主本人", attachments=files)

    stale = to_stage_from(cast, Case.objects.get(pk=stale.pk), Step.TOWNSHIP)
    actions.township_review(zelin, stale, approve=True, reason="", reviewed_on=D(2025, 3, 12))
    with refused(order_message("乡镇审核", stale, "识别认定·县级审定"), stale):
        actions.township_review(zelin, stale, approve=True, reason="", reviewed_on=D(2025, 3, 12))

    stale = to_stage_from(cast, Case.objects.get(pk=stale.pk), Step.ANNOUNCEMENT)
    actions.announce(zelin, stale, announced_on=D(2025, 3, 14))
    with refused(order_message("公告", stale, "识别认定·已完成"), stale):
        actions.announce(zelin, stale, announced_on=D(2025, 3, 14))


def test_it_refuses_a_stale_state_change(cast, household):
    """The conditional update behind every step: a case moved by someone else is not moved again."""
    stale = open_case(cast, household)
    take(cast, stale, Step.CONSENT)
    with refused("案件已被他人办理，请刷新页面后重试", stale), transaction.atomic():
        actions._move(stale, stage=Step.HOME_CHECK, since=D(2025, 3, 4), policy=None, due=D(2025, 3, 6))


def test_it_names_the_current_state_of_a_lead_closed_meanwhile(cast, household):
    """Regression: the second of two quick closes names the state the lead is in now, not the stale one."""
    cadre = cast["village_cadre"]
    found = lead(cast, household)
    stale = Lead.objects.get(pk=found.pk)
    actions.close_lead(cadre, found, reason="已由大病保险报销", closed_on=D(2025, 3, 4))
    with refused(f"线索{found.number}已处理（经核实无风险），不能再次处理"):
        actions.close_lead(cadre, stale, reason="无风险", closed_on=D(2025, 3, 4))
    case = open_case(cast, household)
    with refused(f"线索{found.number}已处理（经核实无风险），不能再次处理", case):
        actions.attach_lead(cadre, stale, case, attached_on=D(2025, 3, 4))


def test_it_refuses_starting_elimination_twice(cast, household):
    cadre = cast["village_cadre"]
    stale = eligible(cast, household)
    actions.start_elimination(cadre, stale, started_on=D(2025, 10, 13))
    message = f"只有监测帮扶中的案件可以启动风险消除，案件{stale.number}当前为“风险消除程序中”"
    with refused(message, stale):
        actions.start_elimination(cadre, stale, started_on=D(2025, 10, 13))
    assert Case.objects.get(pk=stale.pk).procedure == Procedure.ELIMINATION


def test_it_keeps_a_monitored_case_after_a_measure_is_updated(cast, household):
    case = monitored(cast, household)
    added = actions.add_measure(cast["village_cadre"], case, measure(start=D(2025, 3, 20)))
    updated = actions.update_measure(
        cast["village_cadre"], added, status=MeasureStatus.DONE, end_date=D(2025, 6, 30)
    )
    assert (updated.status, updated.end_date) == (MeasureStatus.DONE, D(2025, 6, 30))
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.data) == (
        CaseEvent.Kind.MEASURE_UPDATED,
        {"measure": added.pk, "from": "in_progress", "to": "done"},
    )
    assert Measure.objects.filter(case=case).count() == 1
    assert Discrepancy.objects.count() == Objection.objects.count() == 0
