"""Every write of monitoring cases. Views, the API, screening, the portal, the demo and commands call
these; nothing else saves leads, cases, step records, notices, objections, discrepancies, measures,
visits or case events, and only these change `Household.monitoring_status`.

Each action runs in one transaction, locks the case row, checks every rule before writing, moves the
case with a conditional update checked for one row, and ends with `_event()` (the case's history row and
the audit row). Refusals are `ValidationError`s with a Chinese message naming the rule of policy.md §7;
a missing role is `PermissionDenied`. Nothing is written when an action refuses.

Who does what (design.md "Who uses it", policy rule 40):
- leads, measures, visits, discrepancy notes: anyone who may record cases, inside their area;
- 承诺授权, 入户核实, 信息比对, 民主评议: village cadres and township officers for their villages;
- 村内公示: village cadres only (rule 11: 乡镇、县 do not publish another notice);
- 乡镇审核: township officers of the case's township; 县级审定 and rollback: district officers and admins;
- 公告: township officers or district officers; no approver may approve a step they took part in.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.areas.models import Level
from zhenxing.attachments.models import Attachment
from zhenxing.audit import actions as audit
from zhenxing.cases import rules
from zhenxing.cases.deadlines import SHARES_WINDOW, due_date
from zhenxing.cases.models import (
    GUARANTEES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    Discrepancy,
    DiscrepancyKind,
    Lead,
    LeadStatus,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Objection,
    Procedure,
    PublicNotice,
    RiskType,
    Step,
    StepRecord,
    Visit,
)
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.models import Household, MonitoringStatus, Person
from zhenxing.registry.signals import risk_changed

SELF_APPROVAL = "不能审核或审定本人经办过的环节，请由其他人员办理（政策规则40）"


def _today() -> datetime.date:
    return timezone.localdate()


# --- checks ----------------------------------------------------------------------------------------


def _can(actor, capability: Capability, area) -> None:
    if not (actor is not None and actor.is_authenticated and actor.is_active and actor.can(capability)):
        raise PermissionDenied("您的角色无权办理此事项")
    if not actor.area.contains(area):
        raise ValidationError(f"“{area.full_name}”不在您的管辖范围内")


def _village_step(actor, case: Case) -> None:
    _can(actor, Capability.RECORD_CASES, case.area)
    if actor.area.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise ValidationError("此环节由村干部或乡镇（街道）干部在村里办理")


def _date(
    value: datetime.date, label: str, *, not_before: datetime.date | None = None, what: str = ""
) -> None:
    if value is None:
        raise ValidationError(f"请填写{label}")
    if value > _today():
        raise ValidationError(f"{label}不能晚于今天")
    if not_before is not None and value < not_before:
        raise ValidationError(f"{label}不能早于{what}（{not_before:%Y-%m-%d}）")


def _text(value: str, label: str, max_length: int = 500) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"请填写{label}")
    if len(value) > max_length:
        raise ValidationError(f"{label}不能超过{max_length}个字")
    return value


def _attachments(actor, items, label: str, *, required: bool) -> list[Attachment]:
    items = list(items or [])
    if required and not items:
        raise ValidationError(f"请上传{label}")
    for a in items:
        if not actor.area.contains(a.area):
            raise ValidationError(f"附件“{a.original_name}”不在您的管辖范围内")
    return items


def _lock(case: Case) -> Case:
    """The case row, locked for the rest of the transaction (SQLite serialises writers anyway)."""
    return (
        # Only the case row: PostgreSQL cannot lock the nullable side of the outer join to area__parent.
        Case.objects.select_for_update(of=("self",))
        .select_related("household", "area", "area__parent")
        .get(pk=case.pk)
    )


def _expect(case: Case, procedure: str, stage: str, what: str) -> None:
    if case.procedure != procedure or case.stage != stage or case.status not in OPEN_STATUSES:
        now = (
            f"{case.get_procedure_display()}·{case.get_stage_display()}"
            if case.is_open
            else case.get_status_display()
        )
        raise ValidationError(
            f"{what}须按顺序办理：案件{case.number}当前为“{now}”，不能办理此环节（政策规则9）"
        )


def _move(case: Case, *, stage: str, since: datetime.date, policy, due=None, **fields) -> None:
    """Conditional update from the case's current state; refuses when someone else moved it first."""
    if due is None:
        due = case.stage_due if SHARES_WINDOW.get(stage) == case.stage else due_date(stage, since, policy)
    count = Case.objects.filter(
        pk=case.pk, procedure=case.procedure, stage=case.stage, status=case.status, round=case.round
    ).update(stage=stage, stage_since=since, stage_due=due, updated_at=timezone.now(), **fields)
    if count != 1:
        raise ValidationError("案件已被他人办理，请刷新页面后重试")
    case.refresh_from_db()
    risk_changed.send(sender=Case, household_ids=[case.household_id])


def _set_household_status(household: Household, status: str) -> None:
    Household.objects.filter(pk=household.pk).update(monitoring_status=status, updated_at=timezone.now())
    household.monitoring_status = status
    risk_changed.send(sender=Household, household_ids=[household.pk])


def _record(case: Case, step: str, outcome: str, actor, acted_on, *, reason="", data=None, attachments=()):
    record = StepRecord.objects.create(
        case=case,
        procedure=case.procedure,
        round=case.round,
        step=step,
        outcome=outcome,
        acted_on=acted_on,
        actor=actor,
        reason=reason,
        data=data or {},
    )
    if attachments:
        record.attachments.set(attachments)
    return record


def _event(actor, kind: str, effective_date, *, case=None, lead=None, step="", reason="", data=None):
    """Append the case history row and the audit row. Call last, inside the action's transaction."""
    subject = case or lead
    data = data or {}
    CaseEvent.objects.create(
        case=case,
        lead=lead,
        household_id=subject.household_id,
        area_id=subject.area_id,
        kind=kind,
        procedure=case.procedure if case else "",
        step=step,
        effective_date=effective_date,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        data=data,
    )
    changes = dict(data, reason=reason) if reason else dict(data)
    if step:
        changes["step"] = step
    audit.record(actor, f"cases.{kind}", subject, changes=changes)


def _numbered(model, prefix: str, instance) -> None:
    instance.number = f"{prefix}{instance.pk:08d}"
    model.objects.filter(pk=instance.pk).update(number=instance.number)


def _actors(case: Case, step: str) -> set[int]:
    """Users who took a step of the case's current procedure round before `step` (they may not approve
    it). The approver's own earlier decisions at `step` (a return, an approval before a county return)
    are not a submission and do not count."""
    return set(
        StepRecord.objects.filter(case=case, procedure=case.procedure, round=case.round)
        .exclude(step=step)
        .values_list("actor_id", flat=True)
    )


def _notice(case: Case) -> PublicNotice | None:
    return PublicNotice.objects.filter(case=case, procedure=case.procedure, round=case.round).first()


# --- leads -----------------------------------------------------------------------------------------


def record_lead(
    actor,
    household: Household,
    *,
    channel: str,
    description: str,
    found_on: datetime.date,
    found_by: str = "",
    risk_types=(),
    source_ref: str = "",
) -> Lead:
    """A risk lead from any channel. Staff record self-declarations and visit findings; screening and the
    public portal call this too (the portal with `actor=None` and channel 农户自主申报)."""
    if actor is not None:
        _can(actor, Capability.RECORD_CASES, household.area)
    elif channel != Channel.SELF_DECLARED:
        raise PermissionDenied("只有农户自主申报可以不登录提交")
    if channel not in Channel.values:
        raise ValidationError("请选择发现渠道")
    if not household.is_active:
        raise ValidationError(f"农户{household.number}已不在册（已合户或注销），请在现所在户登记线索")
    description = _text(description, "反映情况", 2000)
    _date(found_on, "发现日期")
    risk_types = list(dict.fromkeys(risk_types or []))
    if any(r not in RiskType.values for r in risk_types):
        raise ValidationError("风险类型须从规定的风险类型中选择")
    found_by = (found_by or "").strip() or (
        getattr(actor, "display_name", "") or getattr(actor, "username", "") or "农户本人"
    )
    with transaction.atomic():
        lead = Lead.objects.create(
            number=uuid.uuid4().hex[:20],
            household=household,
            area=household.area,
            channel=channel,
            description=description,
            risk_types=risk_types,
            found_on=found_on,
            found_by=found_by[:40],
            source_ref=source_ref[:60],
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        _numbered(Lead, "XS", lead)
        _event(
            actor,
            CaseEvent.Kind.LEAD_RECORDED,
            found_on,
            lead=lead,
            data={"channel": channel, "risk_types": risk_types, "number": lead.number},
        )
    return lead


def _close_lead(lead: Lead, status: str, actor, day, reason="", case=None) -> None:
    count = Lead.objects.filter(pk=lead.pk, status=LeadStatus.OPEN).update(
        status=status, closed_on=day, closed_reason=reason[:300], closed_by=actor, case=case
    )
    if count != 1:
        lead.refresh_from_db(fields=["status"])  # name the state it is in now, not the caller's copy
        raise ValidationError(f"线索{lead.number}已处理（{lead.get_status_display()}），不能再次处理")
    lead.refresh_from_db()
    risk_changed.send(sender=Lead, household_ids=[lead.household_id])


def close_lead(actor, lead: Lead, *, reason: str, closed_on: datetime.date) -> Lead:
    """经核实无风险: closes the lead with the reason."""
    _can(actor, Capability.RECORD_CASES, lead.area)
    reason = _text(reason, "核实无风险的理由", 300)
    _date(closed_on, "办结日期", not_before=lead.found_on, what="发现日期")
    with transaction.atomic():
        _close_lead(lead, LeadStatus.NOT_RISK, actor, closed_on, reason)
        _event(actor, CaseEvent.Kind.LEAD_CLOSED, closed_on, lead=lead, reason=reason)
    return lead


def open_case(
    actor,
    lead: Lead,
    *,
    opened_on: datetime.date,
    green_channel: bool = False,
    green_channel_reason: str = "",
) -> Case:
    """Start identification from a lead. A household has only one open case: a lead on a household with
    one is attached to it instead (`attach_lead`). A household whose last case ended in risk elimination
    starts a new case linked to the old one (relapse, rule 25)."""
    _village_step(actor, lead)
    household = lead.household
    if not household.is_active:
        raise ValidationError(f"农户{household.number}已不在册，不能启动识别")
    _date(opened_on, "启动日期", not_before=lead.found_on, what="线索发现日期")
    if green_channel:
        green_channel_reason = _text(green_channel_reason, "开通绿色通道的原因（如因灾、因意外事故）", 200)
    existing = Case.objects.filter(household=household, is_open=True).first()
    if existing is not None:
        raise ValidationError(
            f"该户已有在办案件{existing.number}（{existing.get_status_display()}），一户只能有一个在办案件，请将线索并入该案件"
        )
    previous = Case.objects.filter(household=household).order_by("-opened_on", "-id").first()
    policy = policy_for(opened_on.year)
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    number=uuid.uuid4().hex[:20],
                    household=household,
                    area=household.area,
                    stage=Step.CONSENT,
                    stage_since=opened_on,
                    stage_due=due_date(Step.CONSENT, opened_on, policy),
                    total_due=lead.found_on + datetime.timedelta(days=policy["identification_total_days"]),
                    risk_types=list(lead.risk_types),
                    green_channel=green_channel,
                    green_channel_reason=green_channel_reason if green_channel else "",
                    previous_case=previous,
                    is_relapse=previous is not None and previous.status == CaseStatus.ELIMINATED,
                    opened_by=actor,
                    opened_on=opened_on,
                    policy_version=policy.version,
                )
        except IntegrityError:
            raise ValidationError(
                "该户已有在办案件，一户只能有一个在办案件，请刷新页面后将线索并入该案件"
            ) from None
        _numbered(Case, "JC", case)
        _close_lead(lead, LeadStatus.CASE_OPENED, actor, opened_on, case=case)
        CaseEvent.objects.filter(lead=lead, case__isnull=True).update(case=case)
        _event(
            actor,
            CaseEvent.Kind.OPENED,
            opened_on,
            case=case,
            lead=lead,
            reason=green_channel_reason if green_channel else "",
            data={
                "lead": lead.number,
                "green_channel": green_channel,
                "previous_case": previous.number if previous else "",
                "relapse": case.is_relapse,
                "policy_version": policy.version.pk,
            },
        )
    return case


def attach_lead(actor, lead: Lead, case: Case, *, attached_on: datetime.date) -> Lead:
    """A lead on a household that already has an open case joins that case (new facts, new risks)."""
    _can(actor, Capability.RECORD_CASES, lead.area)
    if case.household_id != lead.household_id or not case.is_open:
        raise ValidationError("线索只能并入本户的在办案件")
    _date(attached_on, "办理日期", not_before=lead.found_on, what="发现日期")
    with transaction.atomic():
        _close_lead(lead, LeadStatus.ATTACHED, actor, attached_on, "并入在办案件", case=case)
        _event(
            actor, CaseEvent.Kind.LEAD_ATTACHED, attached_on, case=case, lead=lead, data={"lead": lead.number}
        )
    return lead


# --- identification steps ---------------------------------------------------------------------------


def record_consent(actor, case: Case, *, signed_on: datetime.date, signer: str, attachments) -> Case:
    """承诺授权书: signed (or thumb-printed, or written by a proxy) authorisation; the scan is required (rule 8)."""
    _village_step(actor, case)
    signer = _text(signer, "签字人（户主或代签人）", 40)
    files = _attachments(
        actor, attachments, "签字（按手印）的承诺授权书扫描件或照片（政策规则8）", required=True
    )
    with transaction.atomic():
        case = _lock(case)
        _expect(case, Procedure.IDENTIFICATION, Step.CONSENT, "承诺授权")
        _date(signed_on, "签署日期", not_before=case.stage_since, what="案件启动日期")
        policy = policy_for(signed_on.year)
        _record(
            case,
            Step.CONSENT,
            StepRecord.Outcome.DONE,
            actor,
            signed_on,
            data={"signer": signer},
            attachments=files,
        )
        _move(case, stage=Step.HOME_CHECK, since=signed_on, policy=policy)
        _event(
            actor,
            CaseEvent.Kind.STEP_DONE,
            signed_on,
            case=case,
            step=Step.CONSENT,
            data={"files": len(files)},
        )
    return case


@dataclass
class HomeCheck:
    checked_on: datetime.date
    findings: str
    incomes: dict  # wage_income, business_income, property_income, transfer_income, production_costs
    monitoring_type: str
    risk_types: list[str]
    main_risk: str
    household_size: int | None = None  # default: the household's current members
    sudden_event: str = ""
    sudden_amount: Decimal | None = None
    photos: list = field(default_factory=list)


def record_home_check(actor, case: Case, check: HomeCheck) -> Case:
    """入户核实: findings, photos and the income of the 12 full months before this month (rules 6–7);
    the type and risks proposed must fit the household and its income (rules 1–5)."""
    _village_step(actor, case)
    findings = _text(check.findings, "入户核实情况", 2000)
    photos = _attachments(actor, check.photos, "照片", required=False)
    with transaction.atomic():
        case = _lock(case)
        _expect(case, Procedure.IDENTIFICATION, Step.HOME_CHECK, "入户核实")
        _date(check.checked_on, "核实日期", not_before=case.stage_since, what="承诺授权日期")
        size = check.household_size or case.household.member_count
        amounts, net, per_capita = rules.assess_income(check.incomes, size)
        policy = policy_for(check.checked_on.year)
        line = policy["monitoring_line"]
        risk_types = list(dict.fromkeys(check.risk_types or []))
        sudden_amount = check.sudden_amount
        rules.check_type(
            household_kind=case.household.kind,
            per_capita=per_capita,
            line=line,
            monitoring_type=check.monitoring_type,
            risk_types=risk_types,
            main_risk=check.main_risk,
            sudden_event=check.sudden_event,
            sudden_amount=sudden_amount,
        )
        start, end = rules.income_window(check.checked_on)
        data = {
            "findings": findings,
            "window": [start.isoformat(), end.isoformat()],
            "amounts": {k: str(v) for k, v in amounts.items()},
            "size": size,
            "net_income": str(net),
            "per_capita": str(per_capita),
            "line": str(line),
            "monitoring_type": check.monitoring_type,
            "risk_types": risk_types,
            "main_risk": check.main_risk,
            "policy_version": policy.version.pk,
        }
        _record(
            case,
            Step.HOME_CHECK,
            StepRecord.Outcome.DONE,
            actor,
            check.checked_on,
            data=data,
            attachments=photos,
        )
        _move(
            case,
            stage=Step.COMPARISON,
            since=check.checked_on,
            policy=policy,
            monitoring_type=check.monitoring_type,
            risk_types=risk_types,
            main_risk=check.main_risk,
            sudden_event=check.sudden_event.strip()[:200],
            sudden_amount=sudden_amount,
            income_window_start=start,
            income_window_end=end,
            assessed_size=size,
            assessed_net_income=net,
            assessed_per_capita=per_capita,
            assessment_line=line,
            policy_version=policy.version,
        )
        _event(
            actor,
            CaseEvent.Kind.STEP_DONE,
            check.checked_on,
            case=case,
            step=Step.HOME_CHECK,
            data={k: data[k] for k in ("per_capita", "line", "size", "monitoring_type", "risk_types")},
        )
    return case


def record_comparison(actor, case: Case, *, compared_on: datetime.date, note: str, discrepancies=()) -> Case:
    """信息比对: records that the department data was compared and the 疑点 found (each becomes a
    `Discrepancy` to be resolved before county approval, rule 16). Screening adds its own hits."""
    _village_step(actor, case)
    note = (note or "").strip()[:500]
    items = []
    for kind, detail in discrepancies or ():
        if kind not in DiscrepancyKind.values:
            raise ValidationError("疑点类型须从规定类型中选择")
        items.append((kind, _text(detail, "疑点内容", 300)))
    with transaction.atomic():
        case = _lock(case)
        _expect(case, Procedure.IDENTIFICATION, Step.COMPARISON, "信息比对")
        _date(compared_on, "比对日期", not_before=case.stage_since, what="入户核实日期")
        policy = policy_for(compared_on.year)
        for kind, detail in items:
            Discrepancy.objects.create(
                household=case.household,
                case=case,
                area=case.area,
                kind=kind,
                detail=detail,
                source="comparison",
                found_on=compared_on,
                recorded_by=actor,
            )
        open_count = Discrepancy.objects.filter(case=case, resolved_on__isnull=True).count()
        _record(
            case,
            Step.COMPARISON,
            StepRecord.Outcome.DONE,
            actor,
            compared_on,
            reason=note,
            data={"found": len(items), "unresolved": open_count},
        )
        _move(case, stage=Step.REVIEW, since=compared_on, policy=policy)
        _event(
            actor,
            CaseEvent.Kind.STEP_DONE,
            compared_on,
            case=case,
            step=Step.COMPARISON,
            reason=note,
            data={"found": len(items)},
        )
    return case


def record_review(
    actor,
    case: Case,
    *,
    held_on: datetime.date,
    attendance: int,
    votes_for: int,
    votes_against: int,
    minutes,
    note: str = "",
) -> Case:
    """民主评议 (one meeting; identification and elimination may share one). Passes with more than half
    of those present in favour; a review that does not pass ends the procedure."""
    _village_step(actor, case)
    files = _attachments(actor, minutes, "评议会议记录（扫描件或照片）", required=True)
    if attendance is None or attendance < 1:
        raise ValidationError("参会人数须至少为1人")
    if votes_for is None or votes_against is None or votes_for < 0 or votes_against < 0:
        raise ValidationError("请填写同意票数和反对票数（没有则填0）")
    if votes_for + votes_against > attendance:
        raise ValidationError(f"同意票{votes_for}与反对票{votes_against}之和超过参会人数{attendance}，请核对")
    passed = votes_for * 2 > attendance
    with transaction.atomic():
        case = _lock(case)
        _expect(case, case.procedure, Step.REVIEW, "民主评议")
        _date(held_on, "评议日期", not_before=case.stage_since, what="上一环节办理日期")
        policy = policy_for(held_on.year)
        data = {"attendance": attendance, "for": votes_for, "against": votes_against, "passed": passed}
        if passed:
            _record(
                case,
                Step.REVIEW,
                StepRecord.Outcome.DONE,
                actor,
                held_on,
                reason=note,
                data=data,
                attachments=files,
            )
            _move(case, stage=Step.NOTICE, since=held_on, policy=policy)
            _event(
                actor, CaseEvent.Kind.STEP_DONE, held_on, case=case, step=Step.REVIEW, reason=note, data=data
            )
        else:
            reason = f"民主评议未通过（参会{attendance}人，同意{votes_for}票）"
            _record(
                case,
                Step.REVIEW,
                StepRecord.Outcome.REJECTED,
                actor,
                held_on,
                reason=reason,
                data=data,
                attachments=files,
            )
            _end_procedure(case, actor, held_on, reason, policy)
    return case


def _end_procedure(case: Case, actor, day, reason: str, policy) -> None:
    """The procedure stops: identification closes the case unmonitored; elimination returns to monitoring."""
    if case.procedure == Procedure.IDENTIFICATION:
        _move(
            case,
            stage=Step.DONE,
            since=day,
            policy=policy,
            due=None,
            status=CaseStatus.REJECTED,
            is_open=False,
            closed_on=day,
            closed_reason=reason[:300],
        )
        _event(actor, CaseEvent.Kind.REJECTED, day, case=case, reason=reason)
    else:
        _move(case, stage=Step.DONE, since=day, policy=policy, due=None, status=CaseStatus.MONITORED)
        _event(actor, CaseEvent.Kind.REJECTED, day, case=case, reason=reason, data={"elimination": True})


def publish_notice(actor, case: Case, *, start: datetime.date, end: datetime.date) -> PublicNotice:
    """村内公示: in the village only, at least `notice_min_days` days (rule 10), once per procedure
    (rule 11, also a database constraint). The notice lists no sensitive data (rule 12, `documents`)."""
    _can(actor, Capability.RECORD_CASES, case.area)
    if actor.area.level != Level.VILLAGE:
        raise ValidationError("村内公示只在村内开展一次，由村干部发布；乡镇、区级不再另行公示（政策规则11）")
    if start is None or end is None:
        raise ValidationError("请填写公示开始日期和结束日期")
    with transaction.atomic():
        case = _lock(case)
        existing = _notice(case)
        if existing is not None:
            raise ValidationError(
                f"本案件已于{existing.start:%Y-%m-%d}至{existing.end:%Y-%m-%d}开展村内公示，每个案件只公示一次（政策规则11）"
            )
        _expect(case, case.procedure, Step.NOTICE, "村内公示")
        _date(start, "公示开始日期", not_before=case.stage_since, what="民主评议日期")
        policy = policy_for(start.year)
        minimum = policy["notice_min_days"]
        if (end - start).days < minimum:
            raise ValidationError(
                f"公示期为{start:%Y-%m-%d}至{end:%Y-%m-%d}，共{(end - start).days}天，村内公示不少于{minimum}天（政策规则10）"
            )
        notice = PublicNotice.objects.create(
            case=case, procedure=case.procedure, round=case.round, start=start, end=end, posted_by=actor
        )
        data = {"start": start.isoformat(), "end": end.isoformat(), "days": (end - start).days}
        _record(case, Step.NOTICE, StepRecord.Outcome.DONE, actor, start, data=data)
        _move(case, stage=Step.TOWNSHIP, since=end, policy=policy)
        _event(actor, CaseEvent.Kind.STEP_DONE, start, case=case, step=Step.NOTICE, data=data)
    return notice


def resubmit(actor, case: Case, *, note: str, resubmitted_on: datetime.date) -> Case:
    """After the township returns a case to the village (the notice is not repeated, rule 11): the
    village corrects what was asked and sends the case back to the township with a note."""
    _village_step(actor, case)
    note = _text(note, "补正说明", 500)
    with transaction.atomic():
        case = _lock(case)
        _expect(case, case.procedure, Step.NOTICE, "补正后重新报送")
        if _notice(case) is None:
            raise ValidationError("尚未开展村内公示，请先发布公示")
        _date(resubmitted_on, "报送日期", not_before=case.stage_since, what="退回日期")
        policy = policy_for(resubmitted_on.year)
        _record(case, Step.NOTICE, StepRecord.Outcome.RESUBMITTED, actor, resubmitted_on, reason=note)
        _move(case, stage=Step.TOWNSHIP, since=resubmitted_on, policy=policy)
        _event(
            actor,
            CaseEvent.Kind.STEP_DONE,
            resubmitted_on,
            case=case,
            step=Step.NOTICE,
            reason=note,
            data={"resubmitted": True},
        )
    return case


def record_objection(actor, case: Case, *, received_on: datetime.date, content: str) -> Objection:
    """An objection received during the notice window; it must be answered before township review."""
    _can(actor, Capability.RECORD_CASES, case.area)
    content = _text(content, "异议内容", 2000)
    with transaction.atomic():
        case = _lock(case)
        notice = _notice(case)
        if notice is None:
            raise ValidationError("本案件尚未开展村内公示，不能登记公示异议")
        _date(received_on, "收到日期")
        if not notice.start <= received_on <= notice.end:
            raise ValidationError(
                f"公示期为{notice.start:%Y-%m-%d}至{notice.end:%Y-%m-%d}，只登记公示期内收到的异议"
            )
        objection = Objection.objects.create(
            notice=notice, received_on=received_on, content=content, received_by=actor
        )
        _event(actor, CaseEvent.Kind.OBJECTION, received_on, case=case, data={"objection": objection.pk})
    return objection


def answer_objection(actor, objection: Objection, *, answer: str, answered_on: datetime.date) -> Objection:
    case = objection.notice.case
    _can(actor, Capability.RECORD_CASES, case.area)
    answer = _text(answer, "答复内容", 2000)
    _date(answered_on, "答复日期", not_before=objection.received_on, what="收到异议的日期")
    with transaction.atomic():
        count = Objection.objects.filter(pk=objection.pk, answered_on__isnull=True).update(
            answer=answer, answered_on=answered_on, answered_by=actor
        )
        if count != 1:
            raise ValidationError("该异议已答复")
        objection.refresh_from_db()
        _event(
            actor, CaseEvent.Kind.OBJECTION_ANSWERED, answered_on, case=case, data={"objection": objection.pk}
        )
    return objection


def township_review(actor, case: Case, *, approve: bool, reason: str, reviewed_on: datetime.date) -> Case:
    """乡镇审核: approve, or return to the village (the step before) with the reason."""
    _can(actor, Capability.REVIEW_CASES_TOWNSHIP, case.area)
    if actor.area.level != Level.TOWNSHIP:
        raise ValidationError("乡镇审核须由案件所在乡镇（街道）的干部办理")
    reason = (reason or "").strip()
    if not approve:
        reason = _text(reason, "退回原因", 300)
    with transaction.atomic():
        case = _lock(case)
        _expect(case, case.procedure, Step.TOWNSHIP, "乡镇审核")
        _date(reviewed_on, "审核日期", not_before=case.stage_since, what="公示结束或报送日期")
        if actor.pk in _actors(case, Step.TOWNSHIP):
            raise ValidationError(SELF_APPROVAL)
        policy = policy_for(reviewed_on.year)
        if approve:
            notice = _notice(case)
            if notice is None or reviewed_on < notice.end:
                end = f"{notice.end:%Y-%m-%d}" if notice else "—"
                raise ValidationError(f"村内公示到{end}结束，公示期满后才能审核（政策规则10）")
            pending = Objection.objects.filter(notice=notice, answered_on__isnull=True).count()
            if pending:
                raise ValidationError(f"公示期间收到的{pending}条异议尚未答复，答复后才能审核")
            _record(case, Step.TOWNSHIP, StepRecord.Outcome.APPROVED, actor, reviewed_on, reason=reason)
            _move(case, stage=Step.COUNTY, since=reviewed_on, policy=policy)
            _event(actor, CaseEvent.Kind.STEP_DONE, reviewed_on, case=case, step=Step.TOWNSHIP, reason=reason)
        else:
            _record(case, Step.TOWNSHIP, StepRecord.Outcome.RETURNED, actor, reviewed_on, reason=reason)
            _move(
                case,
                stage=Step.NOTICE,
                since=reviewed_on,
                policy=policy,
                due=due_date(Step.NOTICE, reviewed_on, policy),
                last_return_reason=reason,
                last_return_step=Step.TOWNSHIP,
            )
            _event(actor, CaseEvent.Kind.RETURNED, reviewed_on, case=case, step=Step.TOWNSHIP, reason=reason)
    return case


APPROVE, RETURN, REJECT = "approve", "return", "reject"


def county_decision(actor, case: Case, *, decision: str, reason: str, decided_on: datetime.date) -> Case:
    """县级审定: approve, return to the township, or reject (identification) / refuse elimination.
    Approval is refused while a 疑点 is unresolved (rule 16) and re-checks the type (rules 1–5) or the
    elimination criteria (rules 20–22)."""
    _can(actor, Capability.APPROVE_CASES_COUNTY, case.area)
    if actor.area.level != Level.COUNTY:
        raise ValidationError("县级审定须由区级业务人员办理")
    if decision not in (APPROVE, RETURN, REJECT):
        raise ValidationError("请选择审定结果")
    reason = (reason or "").strip()
    if decision != APPROVE:
        reason = _text(reason, "退回或不予认定的原因", 300)
    with transaction.atomic():
        case = _lock(case)
        _expect(case, case.procedure, Step.COUNTY, "县级审定")
        _date(decided_on, "审定日期", not_before=case.stage_since, what="乡镇审核日期")
        if actor.pk in _actors(case, Step.COUNTY):
            raise ValidationError(SELF_APPROVAL)
        policy = policy_for(decided_on.year)
        if decision == APPROVE:
            unresolved = Discrepancy.objects.filter(
                household=case.household, resolved_on__isnull=True
            ).count()
            if unresolved:
                raise ValidationError(f"该户有{unresolved}条疑点尚未核实说明，核实后才能审定（政策规则16）")
            data = {"policy_version": policy.version.pk}
            if case.procedure == Procedure.IDENTIFICATION:
                rules.check_type(
                    household_kind=case.household.kind,
                    per_capita=case.assessed_per_capita,
                    line=case.assessment_line,
                    monitoring_type=case.monitoring_type,
                    risk_types=case.risk_types,
                    main_risk=case.main_risk,
                    sudden_event=case.sudden_event,
                    sudden_amount=case.sudden_amount,
                )
                late = (decided_on - case.total_due).days if case.total_due else 0
                data["days_over_total"] = max(late, 0)
                fields = {"identified_on": decided_on}
            else:
                failing = [c for c in rules.elimination_criteria(case, decided_on) if not c.passed]
                if failing:
                    raise ValidationError(
                        "不符合风险消除条件：" + "；".join(f"{c.label}（{c.value}）" for c in failing)
                    )
                fields = {}
            _record(
                case, Step.COUNTY, StepRecord.Outcome.APPROVED, actor, decided_on, reason=reason, data=data
            )
            _move(case, stage=Step.ANNOUNCEMENT, since=decided_on, policy=policy, **fields)
            _event(
                actor,
                CaseEvent.Kind.STEP_DONE,
                decided_on,
                case=case,
                step=Step.COUNTY,
                reason=reason,
                data=data,
            )
        elif decision == RETURN:
            _record(case, Step.COUNTY, StepRecord.Outcome.RETURNED, actor, decided_on, reason=reason)
            _move(
                case,
                stage=Step.TOWNSHIP,
                since=decided_on,
                policy=policy,
                last_return_reason=reason,
                last_return_step=Step.COUNTY,
            )
            _event(actor, CaseEvent.Kind.RETURNED, decided_on, case=case, step=Step.COUNTY, reason=reason)
        else:
            _record(case, Step.COUNTY, StepRecord.Outcome.REJECTED, actor, decided_on, reason=reason)
            _end_procedure(case, actor, decided_on, reason, policy)
    return case


def announce(actor, case: Case, *, announced_on: datetime.date) -> Case:
    """公告 in the township's name; the household becomes monitored (identification) or eliminated."""
    if actor is None or not (
        actor.can(Capability.REVIEW_CASES_TOWNSHIP)
        and actor.area.level == Level.TOWNSHIP
        or actor.can(Capability.APPROVE_CASES_COUNTY)
        and actor.area.level == Level.COUNTY
    ):
        raise PermissionDenied("公告由乡镇（街道）或区级业务人员发布")
    _can(actor, Capability.VIEW_CASES, case.area)
    with transaction.atomic():
        case = _lock(case)
        _expect(case, case.procedure, Step.ANNOUNCEMENT, "公告")
        _date(announced_on, "公告日期", not_before=case.stage_since, what="县级审定日期")
        policy = policy_for(announced_on.year)
        _record(case, Step.ANNOUNCEMENT, StepRecord.Outcome.DONE, actor, announced_on)
        if case.procedure == Procedure.IDENTIFICATION:
            _move(
                case,
                stage=Step.DONE,
                since=announced_on,
                policy=policy,
                due=None,
                status=CaseStatus.MONITORED,
                announced_on=announced_on,
            )
            _set_household_status(case.household, MonitoringStatus.MONITORED)
            _event(
                actor,
                CaseEvent.Kind.MONITORED,
                announced_on,
                case=case,
                step=Step.ANNOUNCEMENT,
                data={
                    "type": case.monitoring_type,
                    "risk_types": case.risk_types,
                    "identified_on": case.identified_on.isoformat(),
                },
            )
        else:
            _move(
                case,
                stage=Step.DONE,
                since=announced_on,
                policy=policy,
                due=None,
                status=CaseStatus.ELIMINATED,
                is_open=False,
                eliminated_on=announced_on,
            )
            _set_household_status(case.household, MonitoringStatus.ELIMINATED)
            _event(actor, CaseEvent.Kind.ELIMINATED, announced_on, case=case, step=Step.ANNOUNCEMENT)
    return case


def extend_deadline(actor, case: Case, *, new_due: datetime.date, reason: str) -> Case:
    """Extend the current step's deadline; the reason is required and kept."""
    if actor is None or not (
        actor.can(Capability.REVIEW_CASES_TOWNSHIP) or actor.can(Capability.APPROVE_CASES_COUNTY)
    ):
        raise PermissionDenied("延长办理期限须由乡镇（街道）或区级业务人员批准")
    _can(actor, Capability.VIEW_CASES, case.area)
    reason = _text(reason, "延期原因", 300)
    with transaction.atomic():
        case = _lock(case)
        if not case.is_open or case.stage == Step.DONE or case.stage_due is None:
            raise ValidationError("当前没有正在办理的环节，无需延期")
        if new_due is None or new_due <= case.stage_due:
            raise ValidationError(f"新的期限须晚于原期限{case.stage_due:%Y-%m-%d}")
        old = case.stage_due
        count = Case.objects.filter(pk=case.pk, stage=case.stage, stage_due=old).update(
            stage_due=new_due, updated_at=timezone.now()
        )
        if count != 1:
            raise ValidationError("案件已被他人办理，请刷新页面后重试")
        case.refresh_from_db()
        risk_changed.send(sender=Case, household_ids=[case.household_id])
        _event(
            actor,
            CaseEvent.Kind.EXTENDED,
            _today(),
            case=case,
            step=case.stage,
            reason=reason,
            data={"from": old.isoformat(), "to": new_due.isoformat()},
        )
    return case


# --- discrepancies ----------------------------------------------------------------------------------


def record_discrepancy(
    actor,
    household: Household,
    *,
    kind: str,
    detail: str,
    found_on: datetime.date,
    person: Person | None = None,
    source: str = "comparison",
    source_ref: str = "",
) -> Discrepancy:
    """A 疑点 on a household; it attaches to the household's open case, if any. Screening calls this."""
    if actor is not None:
        _can(actor, Capability.RECORD_CASES, household.area)
    if kind not in DiscrepancyKind.values:
        raise ValidationError("疑点类型须从规定类型中选择")
    detail = _text(detail, "疑点内容", 300)
    _date(found_on, "发现日期")
    with transaction.atomic():
        case = Case.objects.filter(household=household, is_open=True).first()
        item = Discrepancy.objects.create(
            household=household,
            case=case,
            area=household.area,
            person=person,
            kind=kind,
            detail=detail,
            source=source,
            source_ref=source_ref[:60],
            found_on=found_on,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        if case is not None:
            _event(
                actor,
                CaseEvent.Kind.DISCREPANCY,
                found_on,
                case=case,
                data={"kind": kind, "discrepancy": item.pk},
            )
        else:
            audit.record(actor, "cases.discrepancy", item, changes={"kind": kind})
    return item


def resolve_discrepancy(
    actor,
    item: Discrepancy,
    *,
    resolution: str,
    resolved_on: datetime.date,
    attachment: Attachment | None = None,
) -> Discrepancy:
    """Each 疑点 needs a verification note (and may carry a scan) before county approval (rule 16)."""
    _can(actor, Capability.RECORD_CASES, item.area)
    resolution = _text(resolution, "核实说明", 2000)
    _date(resolved_on, "核实日期", not_before=item.found_on, what="疑点发现日期")
    if attachment is not None:
        _attachments(actor, [attachment], "附件", required=False)
    with transaction.atomic():
        count = Discrepancy.objects.filter(pk=item.pk, resolved_on__isnull=True).update(
            resolution=resolution, resolved_on=resolved_on, resolved_by=actor, attachment=attachment
        )
        if count != 1:
            raise ValidationError("该疑点已核实说明")
        item.refresh_from_db()
        if item.case_id:
            _event(
                actor,
                CaseEvent.Kind.DISCREPANCY_RESOLVED,
                resolved_on,
                case=item.case,
                data={"discrepancy": item.pk},
            )
        else:
            audit.record(actor, "cases.discrepancy_resolved", item, changes={"resolution": resolution})
    return item


# --- monitoring: cadre, measures, visits --------------------------------------------------------------


def assign_cadre(actor, case: Case, cadre, *, assigned_on: datetime.date) -> Case:
    """帮扶责任人: a staff account whose area covers the household's village."""
    _can(actor, Capability.RECORD_CASES, case.area)
    if (
        cadre is None
        or not cadre.is_active
        or not cadre.can(Capability.RECORD_CASES)
        or not cadre.area.contains(case.area)
    ):
        raise ValidationError("帮扶责任人须为负责该村的在岗干部账号")
    if case.status == CaseStatus.REJECTED:
        raise ValidationError("未纳入监测的案件不需要帮扶责任人")
    _date(assigned_on, "确定日期")
    with transaction.atomic():
        case = _lock(case)
        old = case.cadre_id
        Case.objects.filter(pk=case.pk).update(cadre=cadre, updated_at=timezone.now())
        case.refresh_from_db()
        _event(
            actor, CaseEvent.Kind.CADRE_ASSIGNED, assigned_on, case=case, data={"from": old, "to": cadre.pk}
        )
    return case


@dataclass
class MeasureData:
    category: str
    content: str
    responsible: str
    start_date: datetime.date
    end_date: datetime.date | None = None
    amount: Decimal | None = None
    status: str = MeasureStatus.PLANNED
    note: str = ""
    evidence: list = field(default_factory=list)


def add_measure(actor, case: Case, data: MeasureData) -> Measure:
    """A measure of the household plan (一户一策). Before approval only on the green channel; measures may
    continue after elimination."""
    _can(actor, Capability.RECORD_CASES, case.area)
    if data.category not in MeasureCategory.values:
        raise ValidationError("请选择措施类别")
    content = _text(data.content, "措施内容", 300)
    responsible = _text(data.responsible, "责任人或责任单位", 60)
    if data.status not in MeasureStatus.values:
        raise ValidationError("请选择措施状态")
    if data.start_date is None:
        raise ValidationError("请填写开始日期")
    if data.end_date is not None and data.end_date < data.start_date:
        raise ValidationError("结束日期不能早于开始日期")
    if data.amount is not None and data.amount < 0:
        raise ValidationError("金额不能为负数")
    files = _attachments(actor, data.evidence, "佐证材料", required=False)
    with transaction.atomic():
        case = _lock(case)
        before_approval = case.status == CaseStatus.IDENTIFYING
        if case.status == CaseStatus.REJECTED or (before_approval and not case.green_channel):
            raise ValidationError(
                "识别认定完成前不能落实帮扶措施；因灾、因意外等紧急情况请开通绿色通道先行帮扶（政策规则9）"
                if before_approval
                else "未纳入监测的案件不能登记帮扶措施"
            )
        measure = Measure.objects.create(
            case=case,
            household=case.household,
            area=case.area,
            category=data.category,
            content=content,
            responsible=responsible,
            start_date=data.start_date,
            end_date=data.end_date,
            amount=data.amount,
            status=data.status,
            before_approval=before_approval,
            note=(data.note or "").strip()[:300],
            created_by=actor,
        )
        if files:
            measure.evidence.set(files)
        _event(
            actor,
            CaseEvent.Kind.MEASURE_ADDED,
            data.start_date,
            case=case,
            data={
                "measure": measure.pk,
                "category": data.category,
                "status": data.status,
                "green_channel": before_approval,
            },
        )
    return measure


def update_measure(
    actor,
    measure: Measure,
    *,
    status: str,
    end_date: datetime.date | None = None,
    note: str = "",
    evidence=(),
) -> Measure:
    _can(actor, Capability.RECORD_CASES, measure.area)
    if status not in MeasureStatus.values:
        raise ValidationError("请选择措施状态")
    if end_date is not None and end_date < measure.start_date:
        raise ValidationError("结束日期不能早于开始日期")
    files = _attachments(actor, evidence, "佐证材料", required=False)
    with transaction.atomic():
        old = measure.status
        Measure.objects.filter(pk=measure.pk).update(
            status=status,
            end_date=end_date or measure.end_date,
            note=(note or measure.note).strip()[:300],
            updated_at=timezone.now(),
        )
        measure.refresh_from_db()
        if files:
            measure.evidence.add(*files)
        _event(
            actor,
            CaseEvent.Kind.MEASURE_UPDATED,
            _today(),
            case=measure.case,
            data={"measure": measure.pk, "from": old, "to": status},
        )
    return measure


@dataclass
class VisitData:
    visited_on: datetime.date
    findings: str
    photos: list = field(default_factory=list)
    is_verification: bool = False
    guarantees: dict = field(default_factory=dict)  # GUARANTEES key → bool
    income_stable: bool | None = None
    risks_resolved: bool | None = None
    new_risks: str = ""


def _visit(actor, case: Case, data: VisitData) -> Visit:
    findings = _text(data.findings, "走访情况", 2000)
    photos = _attachments(actor, data.photos, "照片", required=False)
    _date(data.visited_on, "走访日期")
    guarantees = {}
    if data.is_verification:
        missing = [label for key, label in GUARANTEES if data.guarantees.get(key) is None]
        if missing:
            raise ValidationError("核实走访须逐项填写两不愁三保障及饮水安全情况：" + "、".join(missing))
        if data.income_stable is None or data.risks_resolved is None:
            raise ValidationError("核实走访须填写收入是否持续稳定、识别时的风险是否已消除")
        guarantees = {key: bool(data.guarantees[key]) for key, _ in GUARANTEES}
    visit = Visit.objects.create(
        case=case,
        household=case.household,
        area=case.area,
        visited_on=data.visited_on,
        cadre=actor,
        findings=findings,
        is_verification=data.is_verification,
        guarantees=guarantees,
        income_stable=data.income_stable if data.is_verification else None,
        risks_resolved=data.risks_resolved if data.is_verification else None,
        new_risks=(data.new_risks or "").strip()[:200],
    )
    if photos:
        visit.photos.set(photos)
    if case.last_visited_on is None or visit.visited_on > case.last_visited_on:
        case.last_visited_on = visit.visited_on
        case.save(update_fields=["last_visited_on", "updated_at"])
    return visit


def record_visit(actor, case: Case, data: VisitData) -> Visit:
    """走访 by the cadre; a verification visit also records 两不愁三保障, income stability and risks."""
    _can(actor, Capability.RECORD_CASES, case.area)
    with transaction.atomic():
        case = _lock(case)
        if case.status == CaseStatus.REJECTED:
            raise ValidationError("未纳入监测的案件不需要走访")
        visit = _visit(actor, case, data)
        _event(
            actor,
            CaseEvent.Kind.VISIT,
            data.visited_on,
            case=case,
            data={
                "visit": visit.pk,
                "verification": data.is_verification,
                "all_secure": visit.all_secure if data.is_verification else None,
            },
        )
    return visit


# --- risk elimination and rollback ------------------------------------------------------------------


def start_elimination(actor, case: Case, *, started_on: datetime.date) -> Case:
    """Start 风险消除 when every criterion passes (rules 20–22); refused with each failing criterion."""
    _village_step(actor, case)
    with transaction.atomic():
        case = _lock(case)
        if case.status != CaseStatus.MONITORED:
            raise ValidationError(
                f"只有监测帮扶中的案件可以启动风险消除，案件{case.number}当前为“{case.get_status_display()}”"
            )
        _date(started_on, "启动日期", not_before=case.announced_on, what="纳入监测公告日期")
        criteria = rules.elimination_criteria(case, started_on)
        labour = next(c for c in criteria if c.key == "labour")
        if not labour.passed:
            raise ValidationError(rules.NO_LABOUR_REASON)
        failing = [c for c in criteria if not c.passed]
        if failing:
            raise ValidationError(
                "不符合风险消除条件：" + "；".join(f"{c.label}（{c.value}）" for c in failing)
            )
        policy = policy_for(started_on.year)
        new_round = case.round + 1 if case.procedure == Procedure.ELIMINATION else 1
        count = Case.objects.filter(pk=case.pk, status=CaseStatus.MONITORED, stage=Step.DONE).update(
            status=CaseStatus.ELIMINATING,
            procedure=Procedure.ELIMINATION,
            round=new_round,
            stage=Step.HOME_CHECK,
            stage_since=started_on,
            stage_due=due_date(Step.HOME_CHECK, started_on, policy),
            elimination_started_on=started_on,
            last_return_reason="",
            last_return_step="",
            updated_at=timezone.now(),
        )
        if count != 1:
            raise ValidationError("案件已被他人办理，请刷新页面后重试")
        case.refresh_from_db()
        risk_changed.send(sender=Case, household_ids=[case.household_id])
        _event(
            actor,
            CaseEvent.Kind.ELIMINATION_STARTED,
            started_on,
            case=case,
            data={"criteria": {c.key: c.value for c in criteria}, "round": new_round},
        )
    return case


def record_elimination_check(actor, case: Case, data: VisitData) -> Case:
    """入户核实 of the elimination procedure: a verification visit (guarantees, income, risks)."""
    _village_step(actor, case)
    data.is_verification = True
    with transaction.atomic():
        case = _lock(case)
        _expect(case, Procedure.ELIMINATION, Step.HOME_CHECK, "入户核实")
        _date(data.visited_on, "核实日期", not_before=case.stage_since, what="启动风险消除日期")
        visit = _visit(actor, case, data)
        policy = policy_for(data.visited_on.year)
        info = {"visit": visit.pk, "all_secure": visit.all_secure, "income_stable": visit.income_stable}
        _record(case, Step.HOME_CHECK, StepRecord.Outcome.DONE, actor, data.visited_on, data=info)
        _move(case, stage=Step.REVIEW, since=data.visited_on, policy=policy)
        _event(actor, CaseEvent.Kind.STEP_DONE, data.visited_on, case=case, step=Step.HOME_CHECK, data=info)
    return case


def rollback(actor, case: Case, *, reason: str, rolled_back_on: datetime.date) -> Case:
    """风险消除回退: an eliminated household that still needs help returns to monitoring (rule 25)."""
    _can(actor, Capability.APPROVE_CASES_COUNTY, case.area)
    if actor.area.level != Level.COUNTY:
        raise ValidationError("风险消除回退须由区级业务人员办理")
    reason = _text(reason, "回退原因", 300)
    with transaction.atomic():
        case = _lock(case)
        if case.status != CaseStatus.ELIMINATED:
            raise ValidationError("只有风险已消除的案件可以回退")
        _date(rolled_back_on, "回退日期", not_before=case.eliminated_on, what="风险消除日期")
        try:
            with transaction.atomic():
                count = Case.objects.filter(pk=case.pk, status=CaseStatus.ELIMINATED).update(
                    status=CaseStatus.MONITORED,
                    is_open=True,
                    rollbacks=case.rollbacks + 1,
                    eliminated_on=None,
                    updated_at=timezone.now(),
                )
        except IntegrityError:
            raise ValidationError("该户已有新的在办案件，请在新案件中办理") from None
        if count != 1:
            raise ValidationError("案件已被他人办理，请刷新页面后重试")
        case.refresh_from_db()
        _set_household_status(case.household, MonitoringStatus.MONITORED)
        _event(actor, CaseEvent.Kind.ROLLED_BACK, rolled_back_on, case=case, reason=reason)
    return case
