"""Screens of the funds app: getter → form → one action → redirect or render. Lists answer ?export=xlsx."""

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhenxing.accounts.scope import get_in_scope, scoped
from zhenxing.areas.models import Area, Level
from zhenxing.funds import actions, checks, forms, importing, notices, tasks
from zhenxing.funds.models import (
    ZERO,
    Allocation,
    Asset,
    AssetKind,
    AssetStatus,
    Category,
    Difference,
    FundSource,
    OwnerLevel,
    PlanItem,
    Progress,
    Project,
    ProjectEvent,
    ProjectStatus,
    PvStation,
    ReconciliationBatch,
)
from zhenxing.funds.permissions import (
    can_manage,
    can_propose,
    can_review_township,
    get_visible,
    require_manage,
    require_propose,
    require_read,
    require_township,
    visible,
)
from zhenxing.funds.reconcile import validate_reconciliation
from zhenxing.jobs.actions import enqueue_job
from zhenxing.lib.downloads import xlsx_response
from zhenxing.lib.staging import read_staged, stage_upload
from zhenxing.lib.tabular import SheetSpec, write_xlsx

PAGE_SIZE = 50


def _year(request) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else timezone.localdate().year


def _run(request, fn, *args, ok: str) -> bool:
    try:
        fn(request.user, *args)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return False
    messages.success(request, ok)
    return True


def _form_error(request, form) -> None:
    first = next(iter(form.errors.items()), ("", ["请检查填写内容"]))
    label = form.fields[first[0]].label if first[0] in form.fields else ""
    messages.error(request, f"{label}：{first[1][0]}" if label else first[1][0])


def _pdf(data: bytes, filename: str) -> HttpResponse:
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def _townships(user):
    return (
        visible(Area.objects.filter(level=Level.TOWNSHIP), user, area_field="")
        if user.area.level != Level.VILLAGE
        else []
    )


def get_project_for_user(user, code: str) -> Project:
    return get_visible(Project.objects.select_related("area", "township", "proposed_by"), user, code=code)


# --- project library ---------------------------------------------------------------------------


@login_required
def project_list(request):
    projects = visible(Project.objects.select_related("area", "township"), request.user)
    g = request.GET
    year = g.get("year", "")
    if year.isdigit():
        projects = projects.filter(year=int(year))
    for key in ("category", "status", "progress"):
        if g.get(key):
            projects = projects.filter(**{key: g[key]})
    if g.get("township"):
        projects = projects.filter(township__code=g["township"])
    projects = _dashboard_filters(projects, g)
    if g.get("q"):
        projects = projects.filter(Q(name__contains=g["q"]) | Q(code__contains=g["q"]))
    if g.get("export") == "xlsx":
        return _export_projects(projects)
    totals = {"count": projects.count()}
    page = Paginator(projects, PAGE_SIZE).get_page(g.get("page"))
    return render(
        request,
        "funds/project_list.html",
        {
            "page": page,
            "totals": totals,
            "categories": Category.choices,
            "statuses": ProjectStatus.choices,
            "progresses": Progress.choices,
            "townships": _townships(request.user),
            "can_propose": can_propose(request.user),
            "query": g.urlencode(),
            "dashboard_filters": _dashboard_filter_labels(g),
        },
    )


def _dashboard_filter_labels(g) -> list[tuple[str, str, str]]:
    """(name, value, Chinese label) of the dashboards' filters in force (`_dashboard_filters`), so the list
    says why it shows what it shows and keeps them when another filter changes."""
    found = []
    village = Area.objects.filter(code=g.get("village", ""), level=Level.VILLAGE).first()
    if village is not None:
        found.append(("village", village.code, f"实施地点：{village.name}"))
    if g.get("leading") == "1":
        found.append(("leading", "1", "主导产业项目"))
    if g.get("plan_year", "").isdigit():
        source = g.get("source") if g.get("source") in FundSource.values else ""
        funds = f"{FundSource(source).label}" if source else "衔接资金"
        found.append(("plan_year", g["plan_year"], f"{g['plan_year']}年计划安排{funds}"))
        if source:
            found.append(("source", source, ""))
    return found


def _dashboard_filters(projects, g):
    """The filters behind the dashboards' figures (reports/dashboards): `village` (the project's place),
    `leading=1`, and `plan_year` (with `source`: a plan item of that year and source)."""
    if g.get("village"):
        projects = projects.filter(area__code=g["village"])
    if g.get("leading") == "1":
        projects = projects.filter(is_leading_industry=True)
    if g.get("plan_year", "").isdigit():
        items = PlanItem.objects.filter(project=OuterRef("pk"), year=int(g["plan_year"]))
        if g.get("source") in FundSource.values:
            items = items.filter(source=g["source"])
        projects = projects.filter(Exists(items))
    return projects


def _export_projects(projects):
    headers = [
        "项目编码",
        "年度",
        "项目名称",
        "类别",
        "子类型",
        "主导产业",
        "乡镇",
        "实施地点",
        *[s.label for s in FundSource],
        "计划投资合计",
        "入库状态",
        "实施状态",
        "责任单位",
        "责任人",
    ]
    rows, total = [], [ZERO] * 6
    for p in projects:
        amounts = [p.planned(s) for s in FundSource] + [p.planned_total]
        total = [a + b for a, b in zip(total, amounts, strict=True)]
        rows.append(
            [
                p.code,
                p.year,
                p.name,
                p.get_category_display(),
                p.sub_type,
                "是" if p.is_leading_industry else "否",
                p.township.name,
                p.area.name,
                *amounts,
                p.get_status_display(),
                p.get_progress_display(),
                p.responsible_unit,
                p.responsible_person,
            ]
        )
    rows.append(["合计", "", f"{len(rows)}个项目", "", "", "", "", "", *total, "", "", "", ""])
    return xlsx_response(write_xlsx([SheetSpec(name="项目库", headers=headers, rows=rows)]), "项目库.xlsx")


@login_required
def project_new(request):
    require_propose(request.user)
    form = forms.ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = actions.propose_project(request.user, form.project_data())
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"已申报项目 {project.code}，等待乡镇审核")
            return redirect("funds:project_detail", code=project.code)
    return render(request, "funds/project_form.html", {"form": form, "title": "申报项目"})


@login_required
def project_edit(request, code):
    require_propose(request.user)
    project = get_project_for_user(request.user, code)
    numbers = ",".join(project.beneficiaries.values_list("number", flat=True))
    form = forms.ProjectForm(
        request.POST or None, instance=project, user=request.user, initial={"household_numbers": numbers}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.edit_project(request.user, Project.objects.get(pk=project.pk), form.project_data())
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, "已保存项目")
            return redirect("funds:project_detail", code=project.code)
    return render(
        request,
        "funds/project_form.html",
        {"form": form, "title": f"修改项目 {project.code}", "project": project},
    )


@login_required
def project_detail(request, code):
    project = get_project_for_user(request.user, code)
    user = request.user
    items = project.plan_items.order_by("year", "source")
    context = {
        "project": project,
        "counts": notices.beneficiary_counts(project),
        "events": project.events.select_related("actor"),
        "plan_items": items,
        "disbursements": project.disbursements.all(),
        "assets": project.assets.all(),
        "can_edit": can_propose(user) and project.status in (ProjectStatus.PROPOSED, ProjectStatus.RETURNED),
        "can_township": can_review_township(user) and project.status == ProjectStatus.PROPOSED,
        "can_county": can_manage(user)
        and project.status in (ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.COUNTY_APPROVED),
        "can_manage": can_manage(user),
        "S": ProjectStatus,
        "P": Progress,
        "notice_form": forms.NoticeForm(initial=_notice_initial(project)),
        "reason_form": forms.ReasonForm(),
        "date_form": forms.DateNoteForm(initial={"day": timezone.localdate()}),
        "disburse_form": forms.DisbursementForm(
            initial={"year": project.year, "paid_on": timezone.localdate()}
        ),
        "accept_form": forms.AcceptForm(
            initial={"accepted_on": timezone.localdate(), "custodian": project.area.name + "村民委员会"}
        ),
    }
    return render(request, "funds/project_detail.html", context)


def _notice_initial(project):
    from zhenxing.policy.resolve import policy_for

    start = timezone.localdate()
    days = policy_for(project.year)["project_notice_min_days"]
    return {"notice_start": start, "notice_end": start + datetime.timedelta(days=days - 1)}


def _step_resubmit(request, project):
    require_propose(request.user)
    return _run(request, actions.resubmit_project, project, ok="已重新申报，等待乡镇审核")


def _step_township(request, project):
    require_township(request.user)
    return _run(request, actions.review_at_township, project, ok="乡镇审核通过，已报区级审定")


def _step_county(request, project):
    require_manage(request.user)
    form = forms.NoticeForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return False
    d = form.cleaned_data
    return _run(
        request,
        actions.approve_at_county,
        project,
        d["notice_start"],
        d["notice_end"],
        ok="区级审定通过，请打印公告并在公告期满后入库",
    )


def _step_library(request, project):
    require_manage(request.user)
    return _run(request, actions.enter_library, project, ok="项目已入库")


def _step_back(fn, ok):
    def step(request, project):
        if not (can_review_township(request.user) or can_manage(request.user)):
            require_manage(request.user)
        form = forms.ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写原因")
            return False
        return _run(request, fn, project, form.cleaned_data["reason"], ok=ok)

    return step


def _dated(fn, ok):
    def step(request, project):
        require_manage(request.user)
        form = forms.DateNoteForm(request.POST)
        if not form.is_valid():
            _form_error(request, form)
            return False
        d = form.cleaned_data
        if fn is actions.terminate_project:
            return _run(request, fn, project, d["day"], d["note"], ok=ok)
        return _run(request, fn, project, d["day"], d["note"], ok=ok)

    return step


def _step_accept(request, project):
    require_manage(request.user)
    form = forms.AcceptForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return False
    return _run(
        request,
        actions.accept_project,
        project,
        form.cleaned_data["accepted_on"],
        [form.asset_data()],
        ok="项目已验收，资产已登记入账",
    )


def _step_disburse(request, project):
    require_manage(request.user)
    form = forms.DisbursementForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return False
    d = form.cleaned_data
    return _run(
        request,
        actions.record_disbursement,
        project,
        d["year"],
        d["source"],
        d["paid_on"],
        d["amount"],
        d["voucher_number"],
        ok=f"已登记拨付 {d['amount']:.2f} 元",
    )


STEPS = {
    "resubmit": _step_resubmit,
    "township": _step_township,
    "county": _step_county,
    "library": _step_library,
    "return": _step_back(actions.return_project, "已退回，申报人可修改后重新申报"),
    "reject": _step_back(actions.reject_project, "已作不通过处理"),
    "start": _dated(actions.start_project, "已登记开工"),
    "complete": _dated(actions.complete_project, "已登记完工"),
    "terminate": _dated(actions.terminate_project, "项目已终止"),
    "accept": _step_accept,
    "disburse": _step_disburse,
}


@login_required
@require_POST
def project_step(request, code, step):
    project = get_project_for_user(request.user, code)
    STEPS[step](request, project)
    return redirect("funds:project_detail", code=project.code)


@login_required
def project_notice(request, code):
    project = get_project_for_user(request.user, code)
    return _pdf(notices.project_notice_pdf(project), f"项目公告_{project.code}.pdf")


# --- allocations and plan ----------------------------------------------------------------------


@login_required
def allocations(request):
    require_read(request.user)
    form = forms.AllocationForm(request.POST or None)
    if request.method == "POST":
        require_manage(request.user)
        if form.is_valid():
            d = form.cleaned_data
            if _run(
                request,
                actions.add_allocation,
                d["year"],
                d["source"],
                d["amount"],
                d["document_number"],
                d["document_date"],
                ok="已登记资金下达",
            ):
                return redirect(f"{request.path}?year={d['year']}")
    year = _year(request)
    rows = Allocation.objects.filter(year=year)
    if request.GET.get("export") == "xlsx":
        data = [[a.year, a.get_source_display(), a.document_number, a.document_date, a.amount] for a in rows]
        data.append(["合计", "", "", None, rows.aggregate(s=Sum("amount"))["s"] or ZERO])
        return xlsx_response(
            write_xlsx([SheetSpec("资金下达", ["年度", "资金来源", "文号", "下达日期", "金额（元）"], data)]),
            f"{year}年资金下达.xlsx",
        )
    return render(
        request,
        "funds/allocations.html",
        {
            "year": year,
            "rows": rows,
            "total": rows.aggregate(s=Sum("amount"))["s"] or ZERO,
            "form": form,
            "can_manage": can_manage(request.user),
        },
    )


@login_required
def plan(request):
    require_read(request.user)
    year = _year(request)
    form = forms.PlanItemForm(request.POST or None)
    if request.method == "POST":
        require_manage(request.user)
        if form.is_valid():
            d = form.cleaned_data
            project = get_project_for_user(request.user, d["project"].strip())
            if _run(
                request, actions.set_plan_item, year, project, d["source"], d["amount"], ok="已列入年度计划"
            ):
                return redirect(f"{request.path}?year={year}")
    items = visible(
        PlanItem.objects.filter(year=year).select_related("project__township", "project__area"),
        request.user,
        "project__area",
    )
    if request.GET.get("export") == "xlsx":
        data = [
            [
                i.project.code,
                i.project.name,
                i.project.get_category_display(),
                "是" if i.project.is_leading_industry else "否",
                i.project.township.name,
                i.get_source_display(),
                i.amount,
            ]
            for i in items
        ]
        data.append(["合计", "", "", "", "", "", items.aggregate(s=Sum("amount"))["s"] or ZERO])
        headers = ["项目编码", "项目名称", "类别", "主导产业", "乡镇", "资金来源", "安排金额（元）"]
        return xlsx_response(
            write_xlsx([SheetSpec(f"{year}年度计划", headers, data)]), f"{year}年度实施计划.xlsx"
        )
    plan_checks, figures = checks.plan_checks(year)
    candidates = visible(
        Project.objects.filter(status=ProjectStatus.IN_LIBRARY).exclude(progress=Progress.TERMINATED),
        request.user,
    ).order_by("code")[:500]
    return render(
        request,
        "funds/plan.html",
        {
            "year": year,
            "items": items,
            "checks": plan_checks,
            "figures": figures,
            "form": form,
            "candidates": candidates,
            "can_manage": can_manage(request.user),
            "total": items.aggregate(s=Sum("amount"))["s"] or ZERO,
        },
    )


@login_required
@require_POST
def plan_item_remove(request, pk):
    require_manage(request.user)
    item = get_visible(PlanItem.objects.select_related("project"), request.user, "project__area", pk=pk)
    _run(request, actions.remove_plan_item, item, ok="已移出年度计划")
    return redirect(f"/funds/plan/?year={item.year}")


@login_required
def progress(request):
    require_read(request.user)
    year = _year(request)
    as_of = min(timezone.localdate(), datetime.date(year, 12, 31))
    try:  # an earlier day (the dashboards' as-of date); never past the year's end
        as_of = min(datetime.date.fromisoformat(request.GET.get("as_of", "")), datetime.date(year, 12, 31))
    except ValueError:
        pass
    projects = visible(Project.objects.all(), request.user)
    if request.GET.get("township"):
        projects = projects.filter(township__code=request.GET["township"])
    projects = _dashboard_filters(projects, {"village": request.GET.get("village", "")})
    group = request.GET.get("group", "source")
    if group not in ("source", "township", "project"):
        raise Http404("未知的统计口径")
    rows = checks.progress_rows(year, projects, group, as_of)
    cps = checks.checkpoints(year)
    if request.GET.get("export") == "xlsx":
        headers = [
            "口径",
            "名称",
            "计划安排（元）",
            "已拨付（元）",
            "拨付进度（%）",
            *[f"{c.label}时已拨付（元）" for c in cps],
        ]
        data = [
            [r.key, r.label, r.planned, r.paid, r.percent, *[by for _, by, _, _ in r.at_checkpoints]]
            for r in rows
        ]
        data.append(
            [
                "合计",
                "",
                sum((r.planned for r in rows), ZERO),
                sum((r.paid for r in rows), ZERO),
                None,
                *[sum((r.at_checkpoints[i][1] for r in rows), ZERO) for i in range(len(cps))],
            ]
        )
        return xlsx_response(write_xlsx([SheetSpec("拨付进度", headers, data)]), f"{year}年拨付进度.xlsx")
    chart = {
        "labels": [r.label for r in rows],
        "percent": [float(r.percent or 0) for r in rows],
        "checkpoints": [{"label": c.label, "percent": float(c.percent)} for c in cps],
        "required": float(checks.required_percent(year, as_of)),
    }
    return render(
        request,
        "funds/progress.html",
        {
            "year": year,
            "rows": rows,
            "checkpoints": cps,
            "group": group,
            "as_of": as_of,
            "chart": chart,
            "required": checks.required_percent(year, as_of),
            "planned": sum((r.planned for r in rows), ZERO),
            "paid": sum((r.paid for r in rows), ZERO),
        },
    )


# --- assets ------------------------------------------------------------------------------------


@login_required
def asset_list(request):
    assets = visible(Asset.objects.select_related("area", "project", "owner_household"), request.user)
    g = request.GET
    for key in ("kind", "owner_level", "status"):
        if g.get(key):
            assets = assets.filter(**{key: g[key]})
    if g.get("owner"):
        assets = assets.filter(area__code=g["owner"])
    if g.get("export") == "xlsx":
        headers = [
            "资产编号",
            "资产名称",
            "资产类型",
            "确权层级",
            "权属地",
            "来源项目",
            "资产价值（元）",
            "管护主体",
            "管护责任",
            "移交日期",
            "状态",
        ]
        data = [
            [
                a.code,
                a.name,
                a.get_kind_display(),
                a.get_owner_level_display(),
                a.area.full_name,
                a.project.code if a.project else "",
                a.value,
                a.custodian,
                a.duties,
                a.handed_over_on,
                a.get_status_display(),
            ]
            for a in assets
        ]
        data.append(
            [
                "合计",
                f"{len(data)}项",
                "",
                "",
                "",
                "",
                assets.aggregate(s=Sum("value"))["s"] or ZERO,
                "",
                "",
                None,
                "",
            ]
        )
        return xlsx_response(write_xlsx([SheetSpec("资产台账", headers, data)]), "项目资产台账.xlsx")
    owners = visible(
        Area.objects.filter(level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]), request.user, ""
    )
    owners = owners.filter(code__in=assets.values("area__code"))
    return render(
        request,
        "funds/asset_list.html",
        {
            "page": Paginator(assets, PAGE_SIZE).get_page(g.get("page")),
            "total": assets.aggregate(s=Sum("value"))["s"] or ZERO,
            "count": assets.count(),
            "kinds": AssetKind.choices,
            "levels": OwnerLevel.choices,
            "statuses": AssetStatus.choices,
            "owners": owners,
            "query": g.urlencode(),
        },
    )


@login_required
def asset_detail(request, code):
    asset = get_visible(Asset.objects.select_related("area", "project"), request.user, code=code)
    return render(
        request,
        "funds/asset_detail.html",
        {
            "asset": asset,
            "revenues": asset.revenues.all(),
            "events": ProjectEvent.objects.filter(
                project_id=asset.project_id, subject=f"asset:{asset.code}"
            ).select_related("actor"),
            "can_manage": can_manage(request.user),
            "revenue_form": forms.RevenueForm(),
            "reason_form": forms.ReasonForm(),
            "reject_form": forms.DisposalRejectForm(),
            "date_form": forms.DateNoteForm(initial={"day": timezone.localdate()}),
            "S": AssetStatus,
        },
    )


@login_required
@require_POST
def asset_step(request, code, step):
    asset = get_visible(Asset.objects.all(), request.user, code=code)
    require_manage(request.user)
    if step == "revenue":
        form = forms.RevenueForm(request.POST)
        if form.is_valid():
            _run(
                request,
                actions.record_asset_revenue,
                asset,
                form.cleaned_data["year"],
                form.cleaned_data["amount"],
                ok="已登记年收益",
            )
        else:
            _form_error(request, form)
    elif step == "dispose":
        form = forms.ReasonForm(request.POST)
        if form.is_valid():
            _run(
                request,
                actions.request_asset_disposal,
                asset,
                form.cleaned_data["reason"],
                ok="已提出处置申请，等待审批",
            )
        else:
            messages.error(request, "请填写处置原因")
    elif step == "reject":
        form = forms.DisposalRejectForm(request.POST)
        if form.is_valid():
            _run(
                request,
                actions.reject_asset_disposal,
                asset,
                form.cleaned_data["reason"],
                ok="已驳回处置申请，资产恢复为“在用”",
            )
        else:
            messages.error(request, "请填写驳回原因")
    else:
        form = forms.DateNoteForm(request.POST)
        if form.is_valid():
            _run(request, actions.approve_asset_disposal, asset, form.cleaned_data["day"], ok="已批准处置")
        else:
            _form_error(request, form)
    return redirect("funds:asset_detail", code=asset.code)


# --- PV stations ---------------------------------------------------------------------------------


@login_required
def pv_list(request):
    require_read(request.user)
    year = _year(request)
    form = forms.PvStationForm(request.POST or None, user=request.user)
    if request.method == "POST":
        require_manage(request.user)
        if form.is_valid():
            d = form.cleaned_data
            if _run(
                request,
                actions.add_pv_station,
                d["code"],
                d["name"],
                d["area"],
                d["capacity_kw"],
                d["grid_date"],
                ok="已登记电站",
            ):
                return redirect("funds:pv_list")
    stations = visible(PvStation.objects.select_related("area"), request.user)
    rows = notices.pv_notice_context(stations, year)["rows"]
    if request.GET.get("export") == "xlsx":
        headers = [
            "电站编号",
            "电站名称",
            "所在村",
            "装机容量（kW）",
            "并网日期",
            "发电量（kWh）",
            "售电收益（元）",
            "分配合计（元）",
        ]
        data = [
            [
                r["station"].code,
                r["station"].name,
                r["station"].area.full_name,
                r["station"].capacity_kw,
                r["station"].grid_date,
                r["output"],
                r["revenue"],
                r["distributed"],
            ]
            for r in rows
        ]
        data.append(
            [
                "合计",
                "",
                "",
                sum((r["station"].capacity_kw for r in rows), ZERO),
                None,
                sum((r["output"] for r in rows), ZERO),
                sum((r["revenue"] for r in rows), ZERO),
                sum((r["distributed"] for r in rows), ZERO),
            ]
        )
        return xlsx_response(write_xlsx([SheetSpec("光伏电站", headers, data)]), f"{year}年光伏电站台账.xlsx")
    return render(
        request,
        "funds/pv_list.html",
        {"rows": rows, "year": year, "form": form, "can_manage": can_manage(request.user)},
    )


@login_required
def pv_detail(request, code):
    station = get_visible(PvStation.objects.select_related("area"), request.user, code=code)
    return render(
        request,
        "funds/pv_detail.html",
        {
            "station": station,
            "months": station.months.all(),
            "distributions": station.distributions.all(),
            "can_manage": can_manage(request.user),
            "month_form": forms.PvMonthForm(),
            "dist_form": forms.PvDistributionForm(initial={"paid_on": timezone.localdate()}),
        },
    )


@login_required
@require_POST
def pv_step(request, code, step):
    station = get_visible(PvStation.objects.all(), request.user, code=code)
    require_manage(request.user)
    if step == "month":
        form = forms.PvMonthForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            _run(
                request,
                actions.record_pv_month,
                station,
                d["month"],
                d["output_kwh"],
                d["revenue"],
                ok="已登记月度发电",
            )
        else:
            _form_error(request, form)
    else:
        form = forms.PvDistributionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            _run(
                request,
                actions.record_pv_distribution,
                station,
                d["paid_on"],
                d["purpose"],
                d["amount"],
                d["description"],
                d["method"],
                ok="已登记收益分配",
            )
        else:
            _form_error(request, form)
    return redirect("funds:pv_detail", code=station.code)


@login_required
def pv_notice(request, year):
    stations = list(visible(PvStation.objects.select_related("area"), request.user))
    return _pdf(notices.pv_notice_pdf(stations, year), f"{year}年光伏电站收益公示.pdf")


# --- reconciliation --------------------------------------------------------------------------------


@login_required
def reconcile(request):
    require_manage(request.user)
    form = forms.ReconcileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            stored = stage_upload(upload.name, data)
        except ValidationError as e:
            form.add_error("file", e)
        else:
            result = validate_reconciliation(data, upload.name, form.cleaned_data["year"])
            return render(request, "funds/reconcile_preview.html", {"plan": result, "stored_path": stored})
    batches = scoped(ReconciliationBatch.objects.select_related("imported_by"), request.user)[:20]
    return render(request, "funds/reconcile.html", {"form": form, "batches": batches})


def _staged(request) -> str | None:
    """The staged upload named by the preview form, or None when it is gone (or was never there)."""
    stored = request.POST.get("stored_path", "")
    try:
        read_staged(stored)
    except (ValidationError, OSError):
        return None
    return stored


def get_batch_for_user(user, public_id) -> ReconciliationBatch:
    """403 without a managing role; 404 for a batch that is not there or outside the user's scope."""
    require_manage(user)
    return get_in_scope(ReconciliationBatch.objects.all(), user, public_id=public_id)


def get_difference_for_user(user, pk: int) -> Difference:
    require_manage(user)
    return get_in_scope(Difference.objects.select_related("batch"), user, "batch__area", pk=pk)


@login_required
@require_POST
def reconcile_commit(request):
    """The preview's 保存: checked again and stored by the `funds.reconcile` job; its page follows it."""
    require_manage(request.user)
    stored, year = _staged(request), request.POST.get("year", "")
    if stored is None or not year.isdigit():
        messages.error(request, "导入文件已失效，请重新上传")
        return redirect("funds:reconcile")
    params = {"stored_path": stored, "filename": request.POST.get("filename", "")[:200], "year": int(year)}
    try:
        job = enqueue_job(request.user, tasks.RECONCILE, params)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect("funds:reconcile")
    messages.success(request, "已开始保存对账结果：完成后在“直达系统对账”页面的对账记录中打开本次差异清单")
    return redirect("jobs:detail", public_id=job.public_id)


@login_required
def reconcile_detail(request, public_id):
    batch = get_batch_for_user(request.user, public_id)
    diffs = batch.differences.select_related("resolved_by")
    if request.GET.get("open"):
        diffs = diffs.filter(is_resolved=False)
    if request.GET.get("export") == "xlsx":
        headers = [
            "项目编码",
            "项目名称",
            "资金来源",
            "差异类型",
            "直达系统日期",
            "直达系统金额",
            "本系统日期",
            "本系统金额",
            "已处理",
            "处理说明",
        ]
        data = [
            [
                d.project_code,
                d.project_name,
                d.get_source_display(),
                d.get_kind_display(),
                d.their_date,
                d.their_amount,
                d.our_date,
                d.our_amount,
                "是" if d.is_resolved else "否",
                d.note,
            ]
            for d in diffs
        ]
        data.append(
            [
                "合计",
                f"{len(data)}处",
                "",
                "",
                None,
                sum((d.their_amount or ZERO for d in diffs), ZERO),
                None,
                sum((d.our_amount or ZERO for d in diffs), ZERO),
                "",
                "",
            ]
        )
        return xlsx_response(write_xlsx([SheetSpec("对账差异", headers, data)]), "直达系统对账差异.xlsx")
    return render(
        request,
        "funds/reconcile_detail.html",
        {"batch": batch, "diffs": diffs, "note_form": forms.NoteForm()},
    )


@login_required
@require_POST
def difference_resolve(request, pk):
    diff = get_difference_for_user(request.user, pk)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        _run(request, actions.resolve_difference, diff, form.cleaned_data["note"], ok="已处理该差异")
    else:
        messages.error(request, "请填写处理说明")
    return redirect("funds:reconcile_detail", public_id=diff.batch.public_id)


# --- project import ------------------------------------------------------------------------------


@login_required
def import_upload(request):
    require_manage(request.user)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            stored = stage_upload(upload.name, data)
        except ValidationError as e:
            form.add_error("file", e)
        else:
            result = importing.validate_projects(data, upload.name, request.user.area)
            return render(
                request,
                "funds/import_preview.html",
                {"plan": result, "stored_path": stored, "filename": upload.name},
            )
    return render(request, "funds/import.html", {"form": form})


@login_required
@require_POST
def import_commit(request):
    """The preview's 确认导入: checked again and written by the `funds.import_projects` job."""
    require_manage(request.user)
    stored = _staged(request)
    if stored is None:
        messages.error(request, "导入文件已失效，请重新上传")
        return redirect("funds:import")
    params = {
        "stored_path": stored,
        "filename": request.POST.get("filename", "")[:200],
        "scope": request.user.area.code,
    }
    try:
        job = enqueue_job(request.user, tasks.IMPORT_PROJECTS, params)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect("funds:import")
    messages.success(request, "已开始导入项目库，完成后导入的项目在项目库中显示为“村申报（待乡镇审核）”")
    return redirect("jobs:detail", public_id=job.public_id)


@login_required
def import_template(request):
    require_read(request.user)
    spec = SheetSpec(
        name="项目库",
        headers=importing.HEADERS,
        rows=[importing.EXAMPLE],
        choices={"项目类别": [c.label for c in Category], "主导产业": ["是", "否"]},
    )
    return xlsx_response(write_xlsx([spec]), "项目库导入模板.xlsx")


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
