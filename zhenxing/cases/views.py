"""Screens of monitoring cases (防返贫监测): the lead and case lists (each also answers `?export=xlsx`), the
lead page and its three outcomes, the case page, one form page per procedure step (`case_step`) and the
forms of the case page.

Every view is getter or `require` → form → one action → redirect, or the page again with the action's
refusal. Write pages check the capability before looking the record up (403 before 404). Uploads are
stored in the same transaction as the action, so a refusal leaves no attachment row behind.
"""

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require, scoped
from zhenxing.areas.models import Area, Level
from zhenxing.attachments.actions import store_attachment
from zhenxing.cases import actions, forms, queries, rules
from zhenxing.cases.deadlines import days_overdue
from zhenxing.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Discrepancy,
    Lead,
    LeadStatus,
    Measure,
    MeasureCategory,
    Objection,
    Procedure,
    PublicNotice,
    RiskType,
    Step,
    StepRecord,
)
from zhenxing.cases.timeline import timeline
from zhenxing.lib.downloads import xlsx_response
from zhenxing.lib.tabular import SheetSpec, write_xlsx
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.models import Household

PAGE_SIZE = 50
Outcome = StepRecord.Outcome
RECORD = Capability.RECORD_CASES
REVIEW = Capability.REVIEW_CASES_TOWNSHIP
APPROVE = Capability.APPROVE_CASES_COUNTY


def _today() -> datetime.date:
    return timezone.localdate()


def _post(request):
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


def _query(request) -> str:
    query = request.GET.copy()
    for name in ("page", "export"):
        query.pop(name, None)
    return query.urlencode()


# —— Getters and who may act ———————————————————————————————————————————————————————————————————————


def _require_any(user, *capabilities: Capability) -> None:
    if not any(user.can(c) for c in capabilities):
        raise PermissionDenied("您的角色无权办理此事项")


def get_lead_for_user(user, public_id, write: bool = False) -> Lead:
    """A lead in the user's scope (404 otherwise); 403 without VIEW_CASES, or RECORD_CASES when `write`."""
    require(user, Capability.VIEW_CASES)
    if write:
        require(user, RECORD)
    leads = Lead.objects.select_related(
        "household__head", "household__area", "area__parent", "case", "closed_by"
    )
    return get_in_scope(leads, user, public_id=public_id)


def get_case_for_user(user, public_id, write: bool = False) -> Case:
    """A case in the user's scope (404 otherwise); 403 without VIEW_CASES, or RECORD_CASES when `write`."""
    require(user, Capability.VIEW_CASES)
    if write:
        require(user, RECORD)
    cases = Case.objects.select_related("household__head", "area__parent", "cadre", "previous_case")
    return get_in_scope(cases, user, public_id=public_id)


def can_act(user, step: str) -> bool:
    """Whether the user's role works at the level that takes `step` (a URL step name). Shown forms
    follow this; the action still decides, and its refusal is shown."""
    level = user.area.level
    township = user.can(REVIEW) and level == Level.TOWNSHIP
    county = user.can(APPROVE) and level == Level.COUNTY
    special = {
        "notice": user.can(RECORD) and level == Level.VILLAGE,
        "township": township,
        "county": county,
        "announcement": township or county,
    }
    return special.get(step, user.can(RECORD) and level in (Level.VILLAGE, Level.TOWNSHIP))


def current_notice(case: Case) -> PublicNotice | None:
    return PublicNotice.objects.filter(case=case, procedure=case.procedure, round=case.round).first()


def current_step(case: Case) -> str | None:
    """The URL step name of what is due next, or None when nothing is."""
    if not case.is_open or case.stage == Step.DONE:
        return None
    if case.stage == Step.HOME_CHECK and case.procedure == Procedure.ELIMINATION:
        return "elimination_check"
    if case.stage == Step.NOTICE and current_notice(case) is not None:
        return "resubmit"
    return case.stage


# —— Writing ———————————————————————————————————————————————————————————————————————————————————————


def _submit(form, user, area, run) -> tuple[bool, object]:
    """`run(store)` — stores the form's uploads with `store(files, kind)` and calls one action — in one
    transaction. A refusal lands on the form (its Chinese message) and leaves nothing written."""
    stored = []

    def store(files, kind: str):
        items = [store_attachment(user, f, area, kind) for f in files]
        stored.extend(items)
        return items

    try:
        with transaction.atomic():
            return True, run(store)
    except BaseException as e:
        for attachment in stored:
            attachment.path.unlink(missing_ok=True)
        if not isinstance(e, ValidationError):
            raise
        form.add_error(None, e.messages[0] + ("（请重新选择要上传的文件）" if stored else ""))
        return False, None


def _form_page(request, form, run, title: str, submit: str, *, case=None, item=None, **extra):
    """GET: the form page. POST: `run(store)` returns the success message → back to the case page (or,
    for a discrepancy without a case, `item`'s household page); a refusal shows the form again."""
    owner = item or case
    if request.method == "POST" and form.is_valid():
        ok, message = _submit(form, request.user, owner.area, run)
        if ok:
            messages.success(request, message)
            if case is not None:
                return redirect("cases:case_detail", public_id=case.public_id)
            return redirect("registry:household_detail", public_id=owner.household.public_id)
    context = {"form": form, "title": title, "submit": submit, "case": case, "household": owner.household}
    return render(request, "cases/form.html", {**context, **extra})


# —— Lists and exports —————————————————————————————————————————————————————————————————————————————


def _in_area(queryset, values: dict):
    code = values.get("village") or values.get("township")
    if not code:
        return queryset
    # Literal area ids, as the registry list does, so PostgreSQL uses the (area, status) index.
    return queryset.filter(area_id__in=list(Area.objects.within_code(code).values_list("pk", flat=True)))


def _labels(values, choices) -> str:
    names = dict(choices)
    return "、".join(str(names.get(v, v)) for v in values)


@login_required
def lead_list(request):
    require(request.user, Capability.VIEW_CASES)
    form = forms.LeadFilterForm(request.user, request.GET)
    f = form.values()
    leads = scoped(Lead.objects.select_related("household__head", "area__parent", "case"), request.user)
    for key in ("status", "channel"):
        if f.get(key):
            leads = leads.filter(**{key: f[key]})
    leads = _in_area(leads, f)
    if f.get("q"):
        leads = leads.filter(forms.household_search(f["q"]))
    if request.GET.get("export") == "xlsx":
        return _export(leads, LEAD_COLUMNS, "风险线索")
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _query(request), "can_record": request.user.can(RECORD)}
    return render(request, "cases/lead_list.html", context)


def _head(record, field: str) -> str:
    head = record.household.head
    return getattr(head, field) if head else ""


def _export(records, columns, sheet: str, **context):
    """An `.xlsx` of `records` with one column per (header, value(record, context)); ID numbers masked."""
    rows = [[value(r, context) for _, value in columns] for r in records]
    data = write_xlsx([SheetSpec(name=sheet, headers=[h for h, _ in columns], rows=rows)])
    return xlsx_response(data, f"{sheet}_{_today():%Y%m%d}.xlsx")


COMMON_COLUMNS = [
    ("户编号", lambda r, c: r.household.number),
    ("户主", lambda r, c: _head(r, "name")),
    ("户主身份证号码", lambda r, c: _head(r, "id_masked")),
    ("乡镇（街道）", lambda r, c: r.area.parent.name if r.area.parent else ""),
    ("村（社区）", lambda r, c: r.area.name),
]
LEAD_COLUMNS = [
    ("线索编号", lambda r, c: r.number),
    *COMMON_COLUMNS,
    ("发现渠道", lambda r, c: r.get_channel_display()),
    ("反映的风险类型", lambda r, c: _labels(r.risk_types, RiskType.choices)),
    ("反映情况", lambda r, c: r.description),
    ("发现日期", lambda r, c: r.found_on),
    ("发现人", lambda r, c: r.found_by),
    ("状态", lambda r, c: r.get_status_display()),
    ("办结日期", lambda r, c: r.closed_on),
    ("办结说明", lambda r, c: r.closed_reason),
    ("案件编号", lambda r, c: r.case.number if r.case else ""),
]
LEAD_HEADERS = [header for header, _ in LEAD_COLUMNS]


@login_required
def case_list(request):
    require(request.user, Capability.VIEW_CASES)
    today = _today()
    form = forms.CaseFilterForm(request.user, request.GET)
    f = form.values()
    cases = scoped(Case.objects.select_related("household__head", "area__parent", "cadre"), request.user)
    for key in ("status", "procedure", "stage", "monitoring_type"):
        if f.get(key):
            cases = cases.filter(**{key: f[key]})
    cases = _in_area(cases, f)
    if f.get("overdue"):
        cases = cases.filter(is_open=True, stage_due__lt=today).exclude(stage=Step.DONE)
    if f.get("total_overdue"):  # not yet at county approval 15 days after the lead (rule 13)
        cases = cases.filter(procedure=Procedure.IDENTIFICATION, is_open=True, identified_on__isnull=True)
        cases = cases.filter(total_due__lt=today)
    if f.get("visit_overdue"):
        cases = cases.filter(pk__in=queries.visit_overdue_cases(today).values("pk"))
    cases = queries.dated_filters(cases, request.GET, today)  # the dashboards' links
    if f.get("q"):
        cases = cases.filter(forms.household_search(f["q"]))
    if request.GET.get("export") == "xlsx":
        return _export(cases, CASE_COLUMNS, "监测案件", today=today)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page:
        case.overdue_days = queries.overdue_days(case, today)
    context = {"form": form, "page": page, "query": _query(request)}
    context["dated_filters"] = queries.dated_filter_labels(request.GET)
    return render(request, "cases/case_list.html", context)


CASE_COLUMNS = [
    ("案件编号", lambda r, c: r.number),
    *COMMON_COLUMNS,
    ("状态", lambda r, c: r.get_status_display()),
    ("当前程序", lambda r, c: r.get_procedure_display()),
    ("待办环节", lambda r, c: r.get_stage_display()),
    ("环节办理期限", lambda r, c: r.stage_due if r.is_open and r.stage != Step.DONE else None),
    ("逾期天数", lambda r, c: queries.overdue_days(r, c["today"])),
    ("监测对象类型", lambda r, c: r.get_monitoring_type_display()),
    ("风险类型", lambda r, c: _labels(r.risk_types, RiskType.choices)),
    ("主要风险", lambda r, c: r.get_main_risk_display()),
    ("测算人均纯收入（元）", lambda r, c: r.assessed_per_capita),
    ("识别认定日期", lambda r, c: r.identified_on),
    ("风险消除日期", lambda r, c: r.eliminated_on),
    ("帮扶责任人", lambda r, c: r.cadre.full_name if r.cadre else ""),
    ("绿色通道", lambda r, c: "是" if r.green_channel else "否"),
    ("返贫", lambda r, c: "是" if r.is_relapse else "否"),
]
CASE_HEADERS = [header for header, _ in CASE_COLUMNS]


# —— Leads —————————————————————————————————————————————————————————————————————————————————————————


def _household_from_query(request) -> Household:
    try:
        public_id = uuid.UUID(request.GET["household"])
    except ValueError:
        raise Http404("记录不存在或不在您的管辖范围内") from None
    return get_in_scope(Household.objects.all(), request.user, public_id=public_id)


@login_required
def lead_new(request):
    require(request.user, Capability.VIEW_CASES)
    require(request.user, RECORD)
    initial = {}
    if request.GET.get("household"):
        initial["household_number"] = _household_from_query(request).number
    form = forms.LeadForm(request.user, _post(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data

        def run(store):
            return actions.record_lead(
                request.user,
                form.household,
                channel=d["channel"],
                description=d["description"],
                found_on=d["found_on"],
                found_by=d["found_by"],
                risk_types=d["risk_types"],
            )

        ok, lead = _submit(form, request.user, None, run)
        if ok:
            messages.success(
                request, f"已登记风险线索 {lead.number}，请核实后处理：核实无风险、启动识别或并入在办案件"
            )
            return redirect("cases:lead_detail", public_id=lead.public_id)
    return render(request, "cases/lead_form.html", {"form": form})


def _lead_context(user, lead: Lead, **bound) -> dict:
    open_case = Case.objects.filter(household=lead.household, is_open=True).first()
    is_open = lead.status == LeadStatus.OPEN
    return {
        "lead": lead,
        "open_case": open_case,
        "risk_labels": _labels(lead.risk_types, RiskType.choices),
        "events": CaseEvent.objects.filter(lead=lead).select_related("actor"),
        "can_record": is_open and user.can(RECORD),
        "can_open": is_open and open_case is None and can_act(user, "consent"),
        "close_form": bound.get("close_form") or forms.LeadCloseForm(),
        "open_form": bound.get("open_form") or forms.LeadOpenForm(),
        "attach_form": bound.get("attach_form") or forms.LeadAttachForm(),
    }


@login_required
def lead_detail(request, public_id):
    lead = get_lead_for_user(request.user, public_id)
    return render(request, "cases/lead_detail.html", _lead_context(request.user, lead))


def _lead_outcome(request, public_id, form_class, name: str, run):
    """GET: the lead page. POST: `run(lead, data)` → (message, url); a refusal shows the lead page again."""
    lead = get_lead_for_user(request.user, public_id, write=True)
    form = form_class(_post(request))
    if request.method == "POST" and form.is_valid():
        ok, result = _submit(form, request.user, lead.area, lambda store: run(lead, form.cleaned_data))
        if ok:
            messages.success(request, result[0])
            return redirect(result[1])
    return render(request, "cases/lead_detail.html", _lead_context(request.user, lead, **{name: form}))


@login_required
def lead_close(request, public_id):
    def run(lead, d):
        actions.close_lead(request.user, lead, reason=d["reason"], closed_on=d["closed_on"])
        return "线索已按“经核实无风险”办结", reverse("cases:lead_detail", args=[lead.public_id])

    return _lead_outcome(request, public_id, forms.LeadCloseForm, "close_form", run)


@login_required
def lead_open(request, public_id):
    def run(lead, d):
        case = actions.open_case(
            request.user,
            lead,
            opened_on=d["opened_on"],
            green_channel=d["green_channel"],
            green_channel_reason=d["green_channel_reason"],
        )
        first = "可先落实帮扶措施，" if case.green_channel else ""
        return (
            f"已启动识别认定，案件编号 {case.number}。{first}下一步：签署承诺授权书",
            reverse("cases:case_detail", args=[case.public_id]),
        )

    return _lead_outcome(request, public_id, forms.LeadOpenForm, "open_form", run)


@login_required
def lead_attach(request, public_id):
    def run(lead, d):
        case = Case.objects.filter(household=lead.household, is_open=True).first()
        if case is None:
            raise ValidationError("该户没有在办案件，请启动识别认定")
        actions.attach_lead(request.user, lead, case, attached_on=d["attached_on"])
        return f"线索已并入在办案件 {case.number}", reverse("cases:case_detail", args=[case.public_id])

    return _lead_outcome(request, public_id, forms.LeadAttachForm, "attach_form", run)


# —— Case page —————————————————————————————————————————————————————————————————————————————————————


def _step_bar(case: Case) -> list[tuple[str, str]]:
    """(label, done/current/pending/rejected) for every step of the case's procedure."""
    steps = case.steps
    if case.stage != Step.DONE:
        at = steps.index(case.stage) if case.stage in steps else -1
        states = ["done" if i < at else "current" if i == at else "pending" for i in range(len(steps))]
        return [(Step(s).label, state) for s, state in zip(steps, states, strict=True)]
    outcomes = dict(
        StepRecord.objects.filter(case=case, procedure=case.procedure, round=case.round)
        .order_by("id")
        .values_list("step", "outcome")
    )
    return [
        (
            Step(s).label,
            "pending" if s not in outcomes else "rejected" if outcomes[s] == Outcome.REJECTED else "done",
        )
        for s in steps
    ]


def _total_overdue(case: Case, today) -> int:
    """Days past the 15-day identification deadline: at county approval, or until today while pending."""
    if case.total_due is None:
        return 0
    if case.identified_on is not None:
        return max(0, (case.identified_on - case.total_due).days)
    if case.procedure == Procedure.IDENTIFICATION and case.is_open:
        return days_overdue(case.total_due, today)
    return 0


def _county_approved(case: Case) -> bool:
    return StepRecord.objects.filter(
        case=case,
        procedure=case.procedure,
        round=case.round,
        step=Step.COUNTY,
        outcome=Outcome.APPROVED,
    ).exists()


RETURNED_TO = {(Step.TOWNSHIP, Step.NOTICE), (Step.COUNTY, Step.TOWNSHIP)}  # (who returned, stage now)
INLINE_STEPS = {"notice", "resubmit", "township", "county", "announcement"}  # short forms on the case page


def _detail_context(user, case: Case) -> dict:
    today = _today()
    step = current_step(case)
    notice = current_notice(case)
    record = user.can(RECORD)
    monitored_done = case.status == CaseStatus.MONITORED and case.stage == Step.DONE
    acts = step is not None and can_act(user, step)
    discrepancies = Discrepancy.objects.filter(household=case.household).select_related("case", "resolved_by")
    return {
        "case": case,
        "today": today,
        "steps": _step_bar(case),
        "step": step,
        "step_title": STEPS[step][0] if step else "",
        "can_step": acts,
        "step_form": _step_form(step, case) if acts and step in INLINE_STEPS else None,
        "stage_overdue": queries.overdue_days(case, today),
        # The step a return sent the case back to is still waiting: show why it came back.
        "returned": (case.last_return_step, case.stage) in RETURNED_TO,
        "total_overdue": _total_overdue(case, today),
        "risk_labels": [
            (RiskType(r).label, r == case.main_risk) for r in case.risk_types if r in RiskType.values
        ],
        "records": case.step_records.select_related("actor").prefetch_related("attachments").order_by("-id"),
        "notices": case.notices.prefetch_related("objections__received_by").order_by("-id"),
        "notice": notice,
        "county_approved": _county_approved(case),
        "discrepancies": discrepancies,
        "unresolved": sum(1 for d in discrepancies if not d.is_resolved),
        "measures": case.measures.prefetch_related("evidence"),
        "visits": case.visits.select_related("cadre").prefetch_related("photos"),
        "criteria": rules.elimination_criteria(case, today) if monitored_done else None,
        "can_record": record,
        "can_files": user.can(Capability.VIEW_FULL_PERSONAL_DATA),
        "can_objection": record and notice is not None and case.is_open,
        "can_extend": (user.can(REVIEW) or user.can(APPROVE)) and case.is_open and case.stage != Step.DONE,
        "can_cadre": record and case.status != CaseStatus.REJECTED,
        "can_measure": record
        and case.status != CaseStatus.REJECTED
        and (case.status != CaseStatus.IDENTIFYING or case.green_channel),
        "can_visit": record and case.status != CaseStatus.REJECTED,
        "can_eliminate": monitored_done and can_act(user, "consent"),
        "can_rollback": case.status == CaseStatus.ELIMINATED
        and user.can(APPROVE)
        and user.area.level == Level.COUNTY,
        "objection_form": forms.ObjectionForm(),
        "discrepancy_form": forms.DiscrepancyForm(),
        "extend_form": forms.ExtendForm(),
        "cadre_form": forms.CadreForm(case) if record else None,
        "start_form": forms.EliminationStartForm(),
        "rollback_form": forms.RollbackForm(),
        "timeline": timeline(case),
    }


@login_required
def case_detail(request, public_id):
    case = get_case_for_user(request.user, public_id)
    return render(request, "cases/case_detail.html", _detail_context(request.user, case))


# —— Procedure steps ———————————————————————————————————————————————————————————————————————————————


def _consent(user, case, form, store):
    d = form.cleaned_data
    files = store(d["files"], "scan")
    actions.record_consent(user, case, signed_on=d["signed_on"], signer=d["signer"], attachments=files)
    return "已登记承诺授权。下一步：入户核实"


def _home_check(user, case, form, store):
    check = form.check()
    check.photos = store(form.cleaned_data["photos"], "photo")
    case = actions.record_home_check(user, case, check)
    return (
        f"已登记入户核实：收入测算期 {case.income_window_start:%Y-%m-%d} 至 {case.income_window_end:%Y-%m-%d}，"
        f"家庭人口 {case.assessed_size} 人，人均纯收入 {case.assessed_per_capita} 元"
        f"（监测范围 {case.assessment_line} 元）。下一步：信息比对"
    )


def _comparison(user, case, form, store):
    d = form.cleaned_data
    actions.record_comparison(
        user, case, compared_on=d["compared_on"], note=d["note"], discrepancies=form.discrepancies
    )
    found = f"登记疑点 {len(form.discrepancies)} 条，区级审定前须逐条核实说明。" if form.discrepancies else ""
    return f"已登记信息比对。{found}下一步：民主评议"


def _review(user, case, form, store):
    d = form.cleaned_data
    minutes = store(d["minutes"], "scan")
    case = actions.record_review(
        user,
        case,
        held_on=d["held_on"],
        attendance=d["attendance"],
        votes_for=d["votes_for"],
        votes_against=d["votes_against"],
        minutes=minutes,
        note=d["note"],
    )
    if case.stage == Step.NOTICE:
        return "民主评议通过。下一步：村内公示"
    return f"民主评议未通过，{case.get_status_display()}"


def _notice(user, case, form, store):
    d = form.cleaned_data
    notice = actions.publish_notice(user, case, start=d["start"], end=d["end"])
    return f"已发布村内公示（{notice.start:%Y-%m-%d} 至 {notice.end:%Y-%m-%d}）。公示期满后报乡镇审核"


def _resubmit(user, case, form, store):
    d = form.cleaned_data
    actions.resubmit(user, case, note=d["note"], resubmitted_on=d["resubmitted_on"])
    return "已补正并重新报送乡镇审核"


def _township(user, case, form, store):
    d = form.cleaned_data
    approve = d["decision"] == "approve"
    actions.township_review(user, case, approve=approve, reason=d["reason"], reviewed_on=d["reviewed_on"])
    return "乡镇审核同意，已报区级审定" if approve else "已退回村里补正"


def _county(user, case, form, store):
    d = form.cleaned_data
    case = actions.county_decision(
        user, case, decision=d["decision"], reason=d["reason"], decided_on=d["decided_on"]
    )
    if d["decision"] == actions.APPROVE:
        return "区级审定同意。下一步：由乡镇（街道）或区级发布公告"
    if d["decision"] == actions.RETURN:
        return "已退回乡镇审核"
    return f"已作出不同意的决定，{case.get_status_display()}"


def _announcement(user, case, form, store):
    case = actions.announce(user, case, announced_on=form.cleaned_data["announced_on"])
    if case.status == CaseStatus.MONITORED:
        return "已公告，该户纳入监测。请确定帮扶责任人，制定帮扶措施"
    return "已公告，该户风险已消除"


def _elimination_check(user, case, form, store):
    data = form.visit_data(is_verification=True)
    data.photos = store(form.cleaned_data["photos"], "photo")
    actions.record_elimination_check(user, case, data)
    return "已登记风险消除入户核实。下一步：民主评议"


STEPS = {  # URL step name → (title, form, run)
    "consent": ("承诺授权", forms.ConsentForm, _consent),
    "home_check": ("入户核实", forms.HomeCheckForm, _home_check),
    "comparison": ("信息比对", forms.ComparisonForm, _comparison),
    "review": ("民主评议", forms.ReviewForm, _review),
    "notice": ("村内公示", forms.NoticeForm, _notice),
    "resubmit": ("补正后重新报送", forms.ResubmitForm, _resubmit),
    "township": ("乡镇审核", forms.TownshipForm, _township),
    "county": ("县级审定", forms.CountyForm, _county),
    "announcement": ("公告", forms.AnnouncementForm, _announcement),
    "elimination_check": ("风险消除入户核实", forms.EliminationCheckForm, _elimination_check),
}
# The capability each step needs (403 otherwise); every other step needs RECORD_CASES.
STEP_CAPABILITIES = {"township": (REVIEW,), "county": (APPROVE,), "announcement": (REVIEW, APPROVE)}


def _step_form(step, case, data=None, files=None):
    return STEPS[step][1](case, data, files)


@login_required
def case_step(request, public_id, step):
    """GET: the step's form page (the form only when the step is due). POST: the step's action."""
    _require_any(request.user, *STEP_CAPABILITIES.get(step, (RECORD,)))
    case = get_case_for_user(request.user, public_id)
    form = _step_form(step, case, _post(request), _files(request))
    if request.method == "POST" and form.is_valid():
        run = STEPS[step][2]
        ok, message = _submit(
            form, request.user, case.area, lambda store: run(request.user, case, form, store)
        )
        if ok:
            messages.success(request, message)
            return redirect("cases:case_detail", public_id=case.public_id)
    context = {
        "case": case,
        "household": case.household,
        "step": step,
        "title": STEPS[step][0],
        "form": form,
        "is_due": current_step(case) == step,
        "can_step": can_act(request.user, step),
        "notice": current_notice(case),
        "unresolved": Discrepancy.objects.filter(household=case.household, resolved_on__isnull=True).count(),
        "notice_min_days": policy_for(_today().year)["notice_min_days"],
    }
    return render(request, "cases/step.html", context)


# —— Case page forms ———————————————————————————————————————————————————————————————————————————————


@login_required
def objection_add(request, public_id):
    case = get_case_for_user(request.user, public_id, write=True)
    form = forms.ObjectionForm(_post(request))

    def run(store):
        d = form.cleaned_data
        actions.record_objection(request.user, case, received_on=d["received_on"], content=d["content"])
        return "已登记公示异议。请核实后答复，答复前乡镇不能审核"

    notice = current_notice(case)
    intro = f"公示期：{notice.start:%Y-%m-%d} 至 {notice.end:%Y-%m-%d}。" if notice else "尚未开展村内公示。"
    return _form_page(request, form, run, "登记公示异议", "登记异议", case=case, intro=intro)


def _objection_for_user(user, pk) -> Objection:
    require(user, Capability.VIEW_CASES)
    require(user, RECORD)
    objections = Objection.objects.select_related("notice__case__household", "notice__case__area")
    return get_in_scope(objections, user, "notice__case__area", pk=pk)


@login_required
def objection_answer(request, pk):
    objection = _objection_for_user(request.user, pk)
    form = forms.ObjectionAnswerForm(_post(request))

    def run(store):
        d = form.cleaned_data
        actions.answer_objection(request.user, objection, answer=d["answer"], answered_on=d["answered_on"])
        return "已答复公示异议"

    intro = f"{objection.received_on:%Y-%m-%d} 收到的异议：{objection.content}"
    return _form_page(request, form, run, "答复公示异议", "保存答复", case=objection.notice.case, intro=intro)


@login_required
def discrepancy_add(request, public_id):
    case = get_case_for_user(request.user, public_id, write=True)
    form = forms.DiscrepancyForm(_post(request))

    def run(store):
        d = form.cleaned_data
        household = case.household
        actions.record_discrepancy(
            request.user, household, kind=d["kind"], detail=d["detail"], found_on=d["found_on"]
        )
        return "已登记疑点。区级审定前须核实说明"

    return _form_page(request, form, run, "登记疑点", "登记疑点", case=case)


@login_required
def discrepancy_resolve(request, public_id):
    require(request.user, Capability.VIEW_CASES)
    require(request.user, RECORD)
    items = Discrepancy.objects.select_related("case__household", "household__head", "area")
    item = get_in_scope(items, request.user, public_id=public_id)
    form = forms.DiscrepancyResolveForm(_post(request), _files(request))

    def run(store):
        d = form.cleaned_data
        files = store([d["file"]] if d["file"] else [], "scan")
        actions.resolve_discrepancy(
            request.user,
            item,
            resolution=d["resolution"],
            resolved_on=d["resolved_on"],
            attachment=next(iter(files), None),
        )
        return "已核实说明疑点"

    intro = f"{item.get_kind_display()}：{item.detail}（{item.found_on:%Y-%m-%d} 发现）"
    return _form_page(
        request, form, run, "核实说明疑点", "保存核实说明", case=item.case, item=item, intro=intro
    )


@login_required
def case_extend(request, public_id):
    _require_any(request.user, REVIEW, APPROVE)
    case = get_case_for_user(request.user, public_id)
    form = forms.ExtendForm(_post(request))

    def run(store):
        d = form.cleaned_data
        extended = actions.extend_deadline(request.user, case, new_due=d["new_due"], reason=d["reason"])
        return f"{extended.get_stage_display()}的办理期限已延至 {extended.stage_due:%Y-%m-%d}"

    intro = f"{case.get_stage_display()}的办理期限：{case.stage_due:%Y-%m-%d}。" if case.stage_due else ""
    return _form_page(request, form, run, "延长办理期限", "延长期限", case=case, intro=intro)


@login_required
def case_cadre(request, public_id):
    case = get_case_for_user(request.user, public_id, write=True)
    form = forms.CadreForm(case, _post(request))

    def run(store):
        d = form.cleaned_data
        actions.assign_cadre(request.user, case, d["cadre"], assigned_on=d["assigned_on"])
        return f"帮扶责任人已确定为 {d['cadre'].full_name}"

    return _form_page(request, form, run, "确定帮扶责任人", "保存", case=case)


def _suggestions(case: Case) -> list[tuple[str, str, str]]:
    """(category, label, reason) suggested for the case's risks by the measure catalogue."""
    try:
        from zhenxing.cases.catalogue import suggest
    except ModuleNotFoundError as e:  # the catalogue ships separately; the form works without it
        if e.name != "zhenxing.cases.catalogue":
            raise
        return []
    labels = dict(MeasureCategory.choices)
    return [(value, labels.get(value, value), reason) for value, reason in suggest(case)]


@login_required
def measure_add(request, public_id):
    case = get_case_for_user(request.user, public_id, write=True)
    category = request.GET.get("category", "")
    initial = {"category": category} if category in MeasureCategory.values else {}
    form = forms.MeasureForm(_post(request), _files(request), initial=initial)

    def run(store):
        data = form.measure_data(store(form.cleaned_data["evidence"], "scan"))
        measure = actions.add_measure(request.user, case, data)
        return f"已登记帮扶措施：{measure.get_category_display()}，{measure.content}"

    first = case.status == CaseStatus.IDENTIFYING and case.green_channel
    intro = "本案件开通了绿色通道：措施先行落实，识别认定程序须随后补办。" if first else ""
    suggestions = _suggestions(case)
    return _form_page(
        request, form, run, "登记帮扶措施", "保存措施", case=case, intro=intro, suggestions=suggestions
    )


@login_required
def measure_update(request, pk):
    require(request.user, Capability.VIEW_CASES)
    require(request.user, RECORD)
    measure = get_in_scope(
        Measure.objects.select_related("case__household__head", "case__area"), request.user, pk=pk
    )
    initial = {"status": measure.status, "end_date": measure.end_date, "note": measure.note}
    form = forms.MeasureUpdateForm(_post(request), _files(request), initial=initial)

    def run(store):
        d = form.cleaned_data
        files = store(d["evidence"], "scan")
        updated = actions.update_measure(
            request.user, measure, status=d["status"], end_date=d["end_date"], note=d["note"], evidence=files
        )
        return f"措施“{updated.content}”已更新为{updated.get_status_display()}"

    intro = f"{measure}（{measure.responsible}，{measure.start_date:%Y-%m-%d} 起）"
    return _form_page(request, form, run, "更新帮扶措施", "保存", case=measure.case, intro=intro)


@login_required
def visit_add(request, public_id):
    case = get_case_for_user(request.user, public_id, write=True)
    form = forms.VisitForm(_post(request), _files(request))

    def run(store):
        data = form.visit_data(is_verification=form.cleaned_data["is_verification"])
        data.photos = store(form.cleaned_data["photos"], "photo")
        actions.record_visit(request.user, case, data)
        return "已登记走访"

    return _form_page(request, form, run, "登记走访", "保存走访", case=case)


@login_required
def elimination_start(request, public_id):
    case = get_case_for_user(request.user, public_id, write=True)
    form = forms.EliminationStartForm(_post(request))

    def run(store):
        actions.start_elimination(request.user, case, started_on=form.cleaned_data["started_on"])
        return "已启动风险消除。下一步：入户核实"

    criteria = rules.elimination_criteria(case, _today())
    return _form_page(request, form, run, "启动风险消除", "启动风险消除", case=case, criteria=criteria)


@login_required
def case_rollback(request, public_id):
    require(request.user, APPROVE)
    case = get_case_for_user(request.user, public_id)
    form = forms.RollbackForm(_post(request))

    def run(store):
        d = form.cleaned_data
        actions.rollback(request.user, case, reason=d["reason"], rolled_back_on=d["rolled_back_on"])
        return "已回退风险消除，该户回到监测帮扶"

    intro = "回退后该户重新作为监测对象继续帮扶；出现新风险的，请登记风险线索重新识别。"
    return _form_page(request, form, run, "风险消除回退", "确认回退", case=case, intro=intro)
