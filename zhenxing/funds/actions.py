"""Every write of the funds app. Views, imports, the demo and commands call these; nothing else saves
projects, allocations, plan items, disbursements, assets, PV records or reconciliation results.

Each action runs in one transaction and ends with `_log()`, which appends a `ProjectEvent` and the audit
row. Refusals are `ValidationError`s with a Chinese message naming the rule (policy.md §7) and saying
what to do; they are raised before anything is written. State changes are conditional updates checked
for a row count of 1, so a concurrent or repeated step is refused, never silently applied twice.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.audit import actions as audit
from zhenxing.funds.models import (
    SOURCE_FIELDS,
    ZERO,
    Allocation,
    Asset,
    AssetKind,
    AssetRevenue,
    AssetStatus,
    Category,
    Difference,
    Disbursement,
    DistributionPurpose,
    FundSource,
    OwnerLevel,
    PlanItem,
    Progress,
    Project,
    ProjectBeneficiary,
    ProjectEvent,
    ProjectStatus,
    PvDistribution,
    PvMonth,
    PvStation,
    ReconciliationBatch,
)
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.models import Household

EQUAL_SPLIT_REASON = (
    "光伏扶贫电站收益须用于公益岗位、小型公益事业、奖励补助，严禁简单平均分配、按户发放现金"
    "（国开办发〔2017〕61号；政策规则36），请改为设置公益岗位或开展小型公益事业"
)


def _today() -> datetime.date:
    return timezone.localdate()


def _log(actor, kind: str, project: Project | None = None, *, subject="", reason="", data=None, obj=None):
    """Append the event and the audit row. Call last, inside the action's transaction."""
    data = data or {}
    ProjectEvent.objects.create(
        project=project,
        kind=kind,
        subject=subject,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        data=data,
    )
    changes = dict(data, reason=reason) if reason else data
    audit.record(actor, f"funds.{kind}", obj if obj is not None else project, changes=changes)


def _money(value, label: str, *, positive: bool = True) -> Decimal:
    amount = Decimal(value).quantize(Decimal("0.01"))
    if amount != Decimal(value):
        raise ValidationError(f"{label}最多保留两位小数")
    if amount < 0 or (positive and amount == 0):
        raise ValidationError(f"{label}须大于0")
    return amount


def _transition(project: Project, old, new: str, refusal: str, **fields) -> None:
    old = [old] if isinstance(old, str) else list(old)
    count = Project.objects.filter(pk=project.pk, status__in=old).update(
        status=new, updated_at=timezone.now(), **fields
    )
    if count != 1:
        raise ValidationError(refusal)
    project.refresh_from_db()


def _advance(project: Project, old, new: str, refusal: str, **fields) -> None:
    old = [old] if isinstance(old, str) else list(old)
    count = Project.objects.filter(pk=project.pk, progress__in=old, status=ProjectStatus.IN_LIBRARY).update(
        progress=new, updated_at=timezone.now(), **fields
    )
    if count != 1:
        raise ValidationError(refusal)
    project.refresh_from_db()


def _require_scope(actor, area: Area) -> None:
    if not actor.area.contains(area):
        raise ValidationError(f"“{area.full_name}”不在您的管辖范围内")


# --- project library ---------------------------------------------------------------------------


@dataclass
class ProjectData:
    year: int
    name: str
    category: str
    content: str
    area: Area
    period_start: datetime.date
    period_end: datetime.date
    responsible_unit: str
    responsible_person: str
    amounts: dict[str, Decimal] = field(default_factory=dict)  # FundSource → yuan
    sub_type: str = ""
    is_leading_industry: bool = False
    performance_targets: str = ""
    linkage_mechanism: str = ""
    household_numbers: list[str] = field(default_factory=list)
    code: str = ""


def _clean(actor, data: ProjectData) -> tuple[dict, list[Household]]:
    if data.area.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise ValidationError("实施地点须为村（社区）或乡镇（街道）")
    _require_scope(actor, data.area)
    if not data.name.strip():
        raise ValidationError("请填写项目名称")
    if data.category not in Category.values:
        raise ValidationError("请选择项目类别")
    if data.is_leading_industry and data.category != Category.INDUSTRY:
        raise ValidationError("只有产业发展类项目可以标记为主导产业")
    if data.period_end < data.period_start:
        raise ValidationError("实施结束日期不能早于开始日期")
    amounts = {}
    for source in FundSource:
        amounts[SOURCE_FIELDS[source]] = _money(data.amounts.get(source, ZERO), source.label, positive=False)
    if sum(amounts.values()) <= 0:
        raise ValidationError("请填写计划投入资金（至少一个来源大于0）")
    numbers = sorted({n.strip() for n in data.household_numbers if n.strip()})
    households = list(Household.objects.filter(number__in=numbers, area__code__startswith=data.area.code))
    missing = sorted(set(numbers) - {h.number for h in households})
    if missing:
        raise ValidationError(f"以下户编号不存在或不在项目实施地点内：{'、'.join(missing)}")
    township = data.area if data.area.level == Level.TOWNSHIP else data.area.parent
    fields = {
        "year": data.year,
        "name": data.name.strip(),
        "category": data.category,
        "sub_type": data.sub_type.strip(),
        "is_leading_industry": data.is_leading_industry,
        "content": data.content.strip(),
        "area": data.area,
        "township": township,
        "period_start": data.period_start,
        "period_end": data.period_end,
        "performance_targets": data.performance_targets.strip(),
        "linkage_mechanism": data.linkage_mechanism.strip(),
        "responsible_unit": data.responsible_unit.strip(),
        "responsible_person": data.responsible_person.strip(),
        **amounts,
    }
    return fields, households


def _values(fields: dict) -> dict:
    def plain(v):
        if isinstance(v, Area):
            return v.code
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, datetime.date):
            return v.isoformat()
        return v

    return {k: plain(v) for k, v in fields.items()}


def _next_code(year: int, area: Area) -> str:
    prefix = f"{year}-{area.code}-"
    n = Project.objects.filter(code__startswith=prefix).count() + 1
    while Project.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


@transaction.atomic
def propose_project(actor, data: ProjectData) -> Project:
    """村申报: a new project waiting for township review (rule 30)."""
    fields, households = _clean(actor, data)
    code = data.code.strip() or _next_code(data.year, data.area)
    if Project.objects.filter(code=code).exists():
        raise ValidationError(f"项目编码 {code} 已存在")
    project = Project.objects.create(code=code, status=ProjectStatus.PROPOSED, proposed_by=actor, **fields)
    ProjectBeneficiary.objects.bulk_create(
        [ProjectBeneficiary(project=project, household=h) for h in households]
    )
    _log(actor, "propose", project, data=dict(_values(fields), households=[h.pk for h in households]))
    return project


@transaction.atomic
def edit_project(actor, project: Project, data: ProjectData) -> Project:
    """Change a project still with its proposer (申报中 or 退回)."""
    fields, households = _clean(actor, data)
    editable = [ProjectStatus.PROPOSED, ProjectStatus.RETURNED]
    if not Project.objects.filter(pk=project.pk, status__in=editable).update(
        updated_at=timezone.now(), **fields
    ):
        raise ValidationError("项目已进入审核，只有“村申报”或“已退回修改”的项目可以修改")
    ProjectBeneficiary.objects.filter(project=project).delete()
    ProjectBeneficiary.objects.bulk_create(
        [ProjectBeneficiary(project=project, household=h) for h in households]
    )
    project.refresh_from_db()
    _log(actor, "edit", project, data=dict(_values(fields), households=[h.pk for h in households]))
    return project


@transaction.atomic
def resubmit_project(actor, project: Project) -> None:
    _require_scope(actor, project.area)
    _transition(
        project,
        ProjectStatus.RETURNED,
        ProjectStatus.PROPOSED,
        "只有已退回的项目可以重新申报",
        proposed_by=actor,
        status_reason="",
    )
    _log(actor, "resubmit", project)


@transaction.atomic
def review_at_township(actor, project: Project) -> None:
    """乡审核 (rule 30): by a township officer of the project's township, not the proposer."""
    _require_scope(actor, project.area)
    if actor.pk == project.proposed_by_id:
        raise ValidationError("不能审核自己申报的项目（规则30：村申报、乡审核、县审定须由不同人员办理）")
    _transition(
        project,
        ProjectStatus.PROPOSED,
        ProjectStatus.TOWNSHIP_REVIEWED,
        "只有“村申报（待乡镇审核）”的项目可以乡镇审核",
        township_reviewed_by=actor,
    )
    _log(actor, "township_review", project)


@transaction.atomic
def approve_at_county(
    actor, project: Project, notice_start: datetime.date, notice_end: datetime.date
) -> None:
    """县审定 (rules 30–32): requires 绩效目标 and 联农带农, sets the 公告 window (≥ the year's days)."""
    if actor.pk in (project.proposed_by_id, project.township_reviewed_by_id):
        raise ValidationError("不能审定自己申报或审核过的项目（规则30：各环节须由不同人员办理）")
    missing = [
        label
        for label, value in (
            ("绩效目标", project.performance_targets),
            ("联农带农机制", project.linkage_mechanism),
        )
        if not value.strip()
    ]
    if missing:
        raise ValidationError(f"项目缺少{'和'.join(missing)}，不能审定（规则32），请退回村里补充")
    policy = policy_for(project.year)
    days = policy["project_notice_min_days"]
    if (notice_end - notice_start).days + 1 < days:
        raise ValidationError(f"项目公告期不少于{days}天（规则31，{policy.label}），请调整公告起止日期")
    _transition(
        project,
        ProjectStatus.TOWNSHIP_REVIEWED,
        ProjectStatus.COUNTY_APPROVED,
        "只有“乡镇审核通过”的项目可以区级审定",
        county_approved_by=actor,
        notice_start=notice_start,
        notice_end=notice_end,
        policy_version=policy.version,
    )
    _log(
        actor,
        "county_approve",
        project,
        data={
            "notice_start": notice_start.isoformat(),
            "notice_end": notice_end.isoformat(),
            "notice_min_days": days,
            "policy_version": policy.version.pk,
        },
    )


@transaction.atomic
def enter_library(actor, project: Project, today: datetime.date | None = None) -> None:
    """入库: once the 公告 has run its full window without being withdrawn."""
    today = today or _today()
    if project.notice_end is None or today <= project.notice_end:
        end = project.notice_end.isoformat() if project.notice_end else "（未设置）"
        raise ValidationError(f"项目公告期至{end}，公告期满后方可入库（规则31）")
    _transition(
        project,
        ProjectStatus.COUNTY_APPROVED,
        ProjectStatus.IN_LIBRARY,
        "只有“区级审定通过（公告中）”的项目可以入库",
        entered_library_on=today,
    )
    _log(actor, "enter_library", project, data={"entered_library_on": today.isoformat()})


def _returnable(actor) -> list[str]:
    if actor.role == Role.TOWNSHIP_OFFICER:
        return [ProjectStatus.PROPOSED]
    if actor.role in (Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER):
        return [ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.COUNTY_APPROVED]
    return []


def _send_back(actor, project: Project, reason: str, new: str, kind: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写退回或不通过的原因，申报人据此修改")
    _require_scope(actor, project.area)
    if actor.pk == project.proposed_by_id:
        raise ValidationError("不能审核自己申报的项目（规则30）")
    _transition(
        project,
        _returnable(actor),
        new,
        "项目不在您这一级的审核环节，不能退回或否决",
        status_reason=reason[:200],
    )
    _log(actor, kind, project, reason=reason[:200])


@transaction.atomic
def return_project(actor, project: Project, reason: str) -> None:
    _send_back(actor, project, reason, ProjectStatus.RETURNED, "return")


@transaction.atomic
def reject_project(actor, project: Project, reason: str) -> None:
    _send_back(actor, project, reason, ProjectStatus.REJECTED, "reject")


# --- allocations and the annual plan ---------------------------------------------------------------


@transaction.atomic
def add_allocation(actor, year: int, source: str, amount, document_number: str, document_date) -> Allocation:
    amount = _money(amount, "下达金额")
    if not document_number.strip():
        raise ValidationError("请填写下达文号")
    if Allocation.objects.filter(year=year, source=source, document_number=document_number.strip()).exists():
        raise ValidationError(f"{year}年已登记文号 {document_number} 的{FundSource(source).label}")
    allocation = Allocation.objects.create(
        year=year,
        source=source,
        amount=amount,
        document_number=document_number.strip(),
        document_date=document_date,
        created_by=actor,
    )
    _log(
        actor,
        "add_allocation",
        subject=f"allocation:{allocation.pk}",
        obj=allocation,
        data={
            "year": year,
            "source": source,
            "amount": str(amount),
            "document_number": allocation.document_number,
        },
    )
    return allocation


def _total(queryset) -> Decimal:
    return (queryset.aggregate(s=Sum("amount"))["s"] or ZERO).quantize(Decimal("0.01"))


def allocated(year: int, source: str) -> Decimal:
    return _total(Allocation.objects.filter(year=year, source=source))


def assigned(year: int, source: str) -> Decimal:
    return _total(PlanItem.objects.filter(year=year, source=source))


def disbursed(project: Project, year: int, source: str) -> Decimal:
    return _total(Disbursement.objects.filter(project=project, year=year, source=source))


@transaction.atomic
def set_plan_item(actor, year: int, project: Project, source: str, amount) -> PlanItem:
    """Put a library project into the year's plan (or change its amount) for one source.

    Refused: a project not 入库 (rule 29), more than the project's planned investment from that source,
    less than already paid, or a total for the source above what was allocated for the year.
    """
    amount = _money(amount, "安排金额")
    source = FundSource(source)
    if not project.is_in_library:
        raise ValidationError("只有已入库的项目可以列入年度计划（规则29：未入库项目不得安排衔接资金）")
    if project.progress == Progress.TERMINATED:
        raise ValidationError("项目已终止，不能列入年度计划")
    if amount > project.planned(source):
        raise ValidationError(f"安排金额不能超过项目{source.label}计划投入 {project.planned(source)} 元")
    list(Allocation.objects.select_for_update().filter(year=year, source=source))  # serialise the sum check
    item = PlanItem.objects.select_for_update().filter(year=year, project=project, source=source).first()
    paid = disbursed(project, year, source)
    if amount < paid:
        raise ValidationError(f"该项目{source.label}已拨付 {paid} 元，安排金额不能低于已拨付金额")
    others = assigned(year, source) - (item.amount if item else ZERO)
    limit = allocated(year, source)
    if others + amount > limit:
        raise ValidationError(
            f"{year}年{source.label}已下达 {limit} 元，已安排 {others} 元，本次安排 {amount} 元将超出下达金额；"
            "请先登记资金下达或减少安排金额"
        )
    before = str(item.amount) if item else None
    if item:
        PlanItem.objects.filter(pk=item.pk).update(amount=amount)
        item.amount = amount
    else:
        item = PlanItem.objects.create(
            year=year, project=project, source=source, amount=amount, created_by=actor
        )
    _log(
        actor,
        "plan_item",
        project,
        data={"year": year, "source": source, "amount": str(amount), "before": before},
    )
    return item


@transaction.atomic
def remove_plan_item(actor, item: PlanItem) -> None:
    if disbursed(item.project, item.year, item.source) > 0:
        raise ValidationError("该计划已有拨付记录，不能移出年度计划")
    if not PlanItem.objects.filter(pk=item.pk).delete()[0]:
        raise ValidationError("该计划已被移除")
    _log(
        actor,
        "remove_plan_item",
        item.project,
        data={"year": item.year, "source": item.source, "amount": str(item.amount)},
    )


@transaction.atomic
def record_disbursement(
    actor, project: Project, year: int, source: str, paid_on: datetime.date, amount, voucher_number: str
) -> Disbursement:
    """拨付: only to a library project, within its plan item for the source (rule 29)."""
    amount = _money(amount, "拨付金额")
    source = FundSource(source)
    if not project.is_in_library:
        raise ValidationError("只有已入库的项目可以拨付资金（规则29）")
    if project.progress in (Progress.TERMINATED,):
        raise ValidationError("项目已终止，不能继续拨付")
    if paid_on > _today():
        raise ValidationError("拨付日期不能晚于今天")
    if not voucher_number.strip():
        raise ValidationError("请填写凭证号")
    item = PlanItem.objects.select_for_update().filter(year=year, project=project, source=source).first()
    if item is None:
        raise ValidationError(f"项目未列入{year}年度计划的{source.label}，请先列入年度计划")
    paid = disbursed(project, year, source)
    if paid + amount > item.amount:
        raise ValidationError(
            f"{source.label}计划安排 {item.amount} 元，已拨付 {paid} 元，本次 {amount} 元将超出计划安排，不能拨付"
        )
    row = Disbursement.objects.create(
        project=project,
        year=year,
        source=source,
        paid_on=paid_on,
        amount=amount,
        voucher_number=voucher_number.strip(),
        created_by=actor,
    )
    _log(
        actor,
        "disburse",
        project,
        data={
            "disbursement": row.pk,
            "year": year,
            "source": source,
            "paid_on": paid_on.isoformat(),
            "amount": str(amount),
            "voucher_number": row.voucher_number,
        },
    )
    return row


# --- implementation and assets ---------------------------------------------------------------------


@transaction.atomic
def start_project(actor, project: Project, started_on: datetime.date, note: str = "") -> None:
    _advance(
        project,
        Progress.NOT_STARTED,
        Progress.IN_PROGRESS,
        "只有已入库且未开工的项目可以登记开工",
        started_on=started_on,
        progress_note=note[:200],
    )
    _log(actor, "start", project, reason=note[:200], data={"started_on": started_on.isoformat()})


@transaction.atomic
def complete_project(actor, project: Project, completed_on: datetime.date, note: str = "") -> None:
    if project.started_on and completed_on < project.started_on:
        raise ValidationError("完工日期不能早于开工日期")
    _advance(
        project,
        Progress.IN_PROGRESS,
        Progress.COMPLETED,
        "只有在建项目可以登记完工",
        completed_on=completed_on,
        progress_note=note[:200],
    )
    _log(actor, "complete", project, reason=note[:200], data={"completed_on": completed_on.isoformat()})


@dataclass
class AssetData:
    name: str
    kind: str
    owner_level: str
    value: Decimal
    custodian: str
    duties: str
    household_number: str = ""


def _owner_area(project: Project, data: AssetData) -> tuple[Area, Household | None]:
    if data.owner_level == OwnerLevel.DISTRICT:
        return Area.objects.get(code=project.township.code[:6]), None
    if data.owner_level == OwnerLevel.TOWNSHIP:
        return project.township, None
    if data.owner_level == OwnerLevel.VILLAGE:
        if project.area.level != Level.VILLAGE:
            raise ValidationError("项目实施地点为乡镇，资产不能确权到村，请选择乡镇或区")
        return project.area, None
    if data.owner_level == OwnerLevel.HOUSEHOLD:
        household = project.beneficiaries.filter(number=data.household_number.strip()).first()
        if household is None:
            raise ValidationError("到户资产须确权到本项目联农带农的受益户，请填写其户编号")
        return household.area, household
    raise ValidationError("请选择确权层级（区/乡镇/村/户）")


@transaction.atomic
def accept_project(
    actor, project: Project, accepted_on: datetime.date, assets: list[AssetData]
) -> list[Asset]:
    """验收 and asset hand-over in one step: every accepted project registers its assets (rule 35)."""
    if not assets:
        raise ValidationError("验收时须登记项目形成的资产（规则35：类型、确权层级、价值、管护主体）")
    if project.completed_on and accepted_on < project.completed_on:
        raise ValidationError("验收日期不能早于完工日期")
    _advance(
        project, Progress.COMPLETED, Progress.ACCEPTED, "只有完工的项目可以验收", accepted_on=accepted_on
    )
    created = []
    for i, data in enumerate(assets, start=project.assets.count() + 1):
        if data.kind not in AssetKind.values:
            raise ValidationError("请选择资产类型（经营性/公益性/到户类）")
        if not data.name.strip() or not data.custodian.strip() or not data.duties.strip():
            raise ValidationError("请填写资产名称、管护主体和管护责任")
        area, household = _owner_area(project, data)
        asset = Asset.objects.create(
            code=f"ZC-{project.code}-{i:02d}",
            project=project,
            name=data.name.strip(),
            kind=data.kind,
            owner_level=data.owner_level,
            area=area,
            owner_household=household,
            value=_money(data.value, "资产价值"),
            custodian=data.custodian.strip(),
            duties=data.duties.strip(),
            handed_over_on=accepted_on,
        )
        created.append(asset)
    _log(
        actor,
        "accept",
        project,
        data={
            "accepted_on": accepted_on.isoformat(),
            "assets": [a.code for a in created],
        },
    )
    return created


@transaction.atomic
def terminate_project(actor, project: Project, terminated_on: datetime.date, reason: str) -> None:
    if not reason.strip():
        raise ValidationError("请填写终止原因")
    _advance(
        project,
        [Progress.NOT_STARTED, Progress.IN_PROGRESS, Progress.COMPLETED],
        Progress.TERMINATED,
        "已验收或已终止的项目不能终止",
        terminated_on=terminated_on,
        progress_note=reason.strip()[:200],
    )
    _log(
        actor,
        "terminate",
        project,
        reason=reason.strip()[:200],
        data={"terminated_on": terminated_on.isoformat()},
    )


@transaction.atomic
def record_asset_revenue(actor, asset: Asset, year: int, amount) -> AssetRevenue:
    amount = _money(amount, "年收益", positive=False)
    row, _ = AssetRevenue.objects.update_or_create(asset=asset, year=year, defaults={"amount": amount})
    _log(
        actor,
        "asset_revenue",
        asset.project,
        subject=f"asset:{asset.code}",
        obj=asset,
        data={"asset": asset.code, "year": year, "amount": str(amount)},
    )
    return row


@transaction.atomic
def request_asset_disposal(actor, asset: Asset, reason: str) -> None:
    if not reason.strip():
        raise ValidationError("请填写处置原因")
    count = Asset.objects.filter(pk=asset.pk, status=AssetStatus.ACTIVE).update(
        status=AssetStatus.DISPOSAL_REQUESTED,
        disposal_reason=reason.strip()[:200],
        disposal_requested_by=actor,
    )
    if count != 1:
        raise ValidationError("只有在用的资产可以申请处置")
    asset.refresh_from_db()
    _log(
        actor,
        "asset_disposal_request",
        asset.project,
        subject=f"asset:{asset.code}",
        obj=asset,
        reason=reason.strip()[:200],
        data={"asset": asset.code},
    )


@transaction.atomic
def approve_asset_disposal(actor, asset: Asset, disposed_on: datetime.date) -> None:
    if actor.pk == asset.disposal_requested_by_id:
        raise ValidationError("不能审批自己提出的资产处置申请，请由另一位区级人员审批")
    count = Asset.objects.filter(pk=asset.pk, status=AssetStatus.DISPOSAL_REQUESTED).update(
        status=AssetStatus.DISPOSED, disposal_approved_by=actor, disposed_on=disposed_on
    )
    if count != 1:
        raise ValidationError("只有“处置待审批”的资产可以审批处置")
    asset.refresh_from_db()
    _log(
        actor,
        "asset_disposal_approve",
        asset.project,
        subject=f"asset:{asset.code}",
        obj=asset,
        data={"asset": asset.code, "disposed_on": disposed_on.isoformat()},
    )


@transaction.atomic
def reject_asset_disposal(actor, asset: Asset, reason: str) -> None:
    """Refuse a disposal request: the asset is 在用 again; the request and this reason stay in its history.

    Decided, like an approval, by a district user other than the one who asked (and only by one).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写驳回原因，申请人据此补充材料或继续管护")
    if actor.role not in (Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER):
        raise ValidationError("资产处置申请须由区级业务人员或区级管理员审批")
    _require_scope(actor, asset.area)
    requested = (
        Asset.objects.select_for_update()
        .filter(pk=asset.pk)
        .values("disposal_reason", "disposal_requested_by_id")
        .get()
    )
    if actor.pk == requested["disposal_requested_by_id"]:
        raise ValidationError("不能审批自己提出的资产处置申请，请由另一位区级人员审批")
    count = Asset.objects.filter(pk=asset.pk, status=AssetStatus.DISPOSAL_REQUESTED).update(
        status=AssetStatus.ACTIVE, disposal_reason="", disposal_requested_by=None
    )
    if count != 1:
        raise ValidationError("只有“处置待审批”的资产可以驳回处置申请")
    asset.refresh_from_db()
    _log(
        actor,
        "asset_disposal_reject",
        asset.project,
        subject=f"asset:{asset.code}",
        obj=asset,
        reason=reason[:200],
        data={
            "asset": asset.code,
            "requested_reason": requested["disposal_reason"],
            "requested_by": requested["disposal_requested_by_id"],
        },
    )


# --- PV stations -------------------------------------------------------------------------------------


@transaction.atomic
def add_pv_station(
    actor, code: str, name: str, area: Area, capacity_kw, grid_date: datetime.date
) -> PvStation:
    if area.level != Level.VILLAGE:
        raise ValidationError("村级光伏扶贫电站须登记到村（确权村集体）")
    _require_scope(actor, area)
    if PvStation.objects.filter(code=code.strip()).exists():
        raise ValidationError(f"电站编号 {code} 已存在")
    capacity = Decimal(capacity_kw)
    if capacity <= 0:
        raise ValidationError("装机容量须大于0")
    station = PvStation.objects.create(
        code=code.strip(), name=name.strip(), area=area, capacity_kw=capacity, grid_date=grid_date
    )
    _log(
        actor,
        "pv_add",
        subject=f"pv:{station.code}",
        obj=station,
        data={"code": station.code, "capacity_kw": str(capacity), "grid_date": grid_date.isoformat()},
    )
    return station


@transaction.atomic
def record_pv_month(actor, station: PvStation, month: datetime.date, output_kwh, revenue) -> PvMonth:
    month = month.replace(day=1)
    output = Decimal(output_kwh)
    if output < 0:
        raise ValidationError("发电量不能为负数")
    revenue = _money(revenue, "售电收益", positive=False)
    row, _ = PvMonth.objects.update_or_create(
        station=station, month=month, defaults={"output_kwh": output, "revenue": revenue}
    )
    _log(
        actor,
        "pv_month",
        subject=f"pv:{station.code}",
        obj=station,
        data={"month": month.isoformat()[:7], "output_kwh": str(output), "revenue": str(revenue)},
    )
    return row


EQUAL_CASH = "equal_cash"


@transaction.atomic
def record_pv_distribution(
    actor,
    station: PvStation,
    paid_on: datetime.date,
    purpose: str,
    amount,
    description: str,
    method: str = "",
) -> PvDistribution:
    """Revenue distribution, tagged 公益岗位/小型公益事业/奖励补助 (rule 36); equal cash splits refused."""
    if method == EQUAL_CASH:
        raise ValidationError(EQUAL_SPLIT_REASON)
    if purpose not in DistributionPurpose.values:
        raise ValidationError("收益分配须标明用途：公益岗位、小型公益事业或奖励补助（规则36）")
    amount = _money(amount, "分配金额")
    if not description.strip():
        raise ValidationError("请填写分配说明（岗位、事项或奖补对象）")
    revenue = (PvMonth.objects.filter(station=station).aggregate(s=Sum("revenue"))["s"] or ZERO).quantize(
        ZERO
    )
    spent = _total(PvDistribution.objects.filter(station=station))
    if spent + amount > revenue:
        raise ValidationError(f"电站累计收益 {revenue} 元，已分配 {spent} 元，本次分配超出可分配收益")
    row = PvDistribution.objects.create(
        station=station,
        paid_on=paid_on,
        purpose=purpose,
        amount=amount,
        description=description.strip()[:200],
        created_by=actor,
    )
    _log(
        actor,
        "pv_distribution",
        subject=f"pv:{station.code}",
        obj=station,
        data={"paid_on": paid_on.isoformat(), "purpose": purpose, "amount": str(amount)},
    )
    return row


# --- reconciliation ----------------------------------------------------------------------------------


def _county(area: Area) -> Area:
    return area if area.level == Level.COUNTY else Area.objects.get(code=area.code[:6])


# Differences per INSERT statement: a 50,000-row file may differ almost everywhere, and one statement
# per 2,000 rows keeps each statement (and its parameter list) small on both databases.
DIFFERENCE_BATCH = 2000


@transaction.atomic
def commit_reconciliation(actor, plan) -> ReconciliationBatch:
    """Store a validated comparison (see `funds.reconcile`) and its differences.

    The batch belongs to the county (it compares every disbursement of the district); only district
    users, whose scope is the county, may store one.
    """
    if not plan.is_valid:
        raise ValidationError("文件有错误，请改正后重新上传")
    county = _county(actor.area)
    _require_scope(actor, county)
    batch = ReconciliationBatch.objects.create(
        area=county,
        year=plan.year,
        filename=plan.filename[:200],
        row_count=plan.row_count,
        imported_by=actor,
    )
    Difference.objects.bulk_create(
        [Difference(batch=batch, **d) for d in plan.differences], batch_size=DIFFERENCE_BATCH
    )
    _log(
        actor,
        "reconcile",
        subject=f"reconciliation:{batch.public_id}",
        obj=batch,
        data={"year": plan.year, "rows": plan.row_count, "differences": len(plan.differences)},
    )
    return batch


@transaction.atomic
def resolve_difference(actor, difference: Difference, note: str) -> None:
    if not note.strip():
        raise ValidationError("请填写处理说明（如：已补录拨付记录、直达系统已更正）")
    count = Difference.objects.filter(pk=difference.pk, is_resolved=False).update(
        is_resolved=True, note=note.strip()[:200], resolved_by=actor, resolved_at=timezone.now()
    )
    if count != 1:
        raise ValidationError("该差异已处理")
    difference.refresh_from_db()
    _log(
        actor,
        "resolve_difference",
        subject=f"difference:{difference.pk}",
        obj=difference,
        reason=note.strip()[:200],
        data={"difference": difference.pk, "project_code": difference.project_code},
    )
