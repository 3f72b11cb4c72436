"""Screens of screening runs, warnings and the rules settings.

Who sees what:
- runs: district officers and admins start them; they and inspectors see them (`RUN_READERS`);
- warnings: every role with VIEW_CASES, inside its area (`scoped`); assigning, verifying and closing
  follow `screening.actions.warnings` (the forms show only to those who may act);
- rules: every role with VIEW_POLICY reads them; district admins (EDIT_POLICY) change thresholds and
  enabled rules, after a preview on current data, as a new settings version (`policy.actions`).
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability, Role
from zhenxing.accounts.scope import get_in_scope, require, scoped
from zhenxing.areas.models import Area, Level
from zhenxing.lib.downloads import xlsx_response
from zhenxing.lib.tabular import SheetSpec, write_xlsx
from zhenxing.policy.actions import save_policy
from zhenxing.policy.forms import PolicyForm
from zhenxing.policy.parameters import BY_KEY, PARAMETERS, SCREENING, InvalidValue, display, parse, to_storage
from zhenxing.policy.resolve import policy_for
from zhenxing.screening import exports, feeds, runs
from zhenxing.screening.actions import warnings as actions
from zhenxing.screening.colour import LABELS as COLOUR_LABELS
from zhenxing.screening.colour import risk_colour
from zhenxing.screening.engine import schema
from zhenxing.screening.engine.rules import RULES, WARNING
from zhenxing.screening.models import (
    FeedKind,
    ScreeningRun,
    Warning,
    WarningResult,
    WarningSeen,
    WarningStatus,
)

PAGE_SIZE = 50
RUN_READERS = frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER, Role.INSPECTOR})
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PREVIEW_SALT = "screening.rules_preview"
# Warnings of the income rules read the registry, not a department's feed: their `department` is blank.
INCOME_SOURCE, INCOME_LABEL = "income", "农户台账收入"


def _today() -> datetime.date:
    return timezone.localdate()


def _error(e: ValidationError) -> str:
    return e.messages[0]


# —— Runs ————————————————————————————————————————————————————————————————————————————————————————


def _require_run_reader(user) -> None:
    if not (user.is_authenticated and user.role in RUN_READERS):
        raise PermissionDenied("筛查运行记录只有区级业务人员、区级管理员和纪检督查人员可以查看")


class RunForm(forms.Form):
    as_of = forms.DateField(
        label="筛查基准日", widget=DATE_WIDGET, help_text="按此日期统计“近12个月”等时间窗，不能晚于今天"
    )
    backend = forms.ChoiceField(
        label="计算引擎",
        choices=list(runs.BACKENDS.items()),
        initial="duckdb",
        help_text="一般用 DuckDB；Spark 用于超大规模数据，两者结果相同",
    )


@login_required
def run_list(request):
    _require_run_reader(request.user)
    form = RunForm(request.POST or None, initial={"as_of": _today()})
    if request.method == "POST":
        actions.check_may_run(request.user)
        if form.is_valid():
            try:
                job = runs.enqueue_run(
                    request.user,
                    trigger=ScreeningRun.Trigger.MANUAL,
                    as_of=form.cleaned_data["as_of"],
                    backend=form.cleaned_data["backend"],
                )
            except ValidationError as e:
                form.add_error(None, _error(e))
            else:
                messages.success(request, "已开始筛查，完成后可在“筛查运行”中查看结果和新增预警")
                return redirect("jobs:detail", public_id=job.public_id)
    page = Paginator(ScreeningRun.objects.select_related("started_by", "upload", "job"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "rows": [(run, sum(run.counts.values())) for run in page],
        "can_run": request.user.role in actions.DISTRICT_ROLES,
    }
    return render(request, "screening/run_list.html", context)


@login_required
def run_detail(request, public_id):
    _require_run_reader(request.user)
    run = ScreeningRun.objects.select_related("started_by", "upload", "job", "policy_version").filter(
        public_id=public_id
    )
    run = run.first()
    if run is None:
        raise Http404("这次筛查不存在")
    counts = [(r, run.counts[r.key]) for r in RULES if r.key in run.counts]
    context = {"run": run, "counts": counts, "total": sum(run.counts.values())}
    return render(request, "screening/run_detail.html", context)


# —— Warnings ————————————————————————————————————————————————————————————————————————————————————


def get_warning_for_user(user, number: str) -> Warning:
    """One warning in the user's scope: 403 without VIEW_CASES, 404 if missing or outside the scope."""
    require(user, Capability.VIEW_CASES)
    warnings = Warning.objects.select_related(
        "household__head", "area__parent", "person", "policy_version", "assigned_by", "closed_by", "lead"
    )
    return get_in_scope(warnings, user, number=number)


class WarningFilterForm(forms.Form):
    q = forms.CharField(label="查询", required=False, max_length=40)
    status = forms.MultipleChoiceField(label="状态", required=False, choices=WarningStatus.choices)
    rule = forms.ChoiceField(label="规则", required=False)
    department = forms.ChoiceField(label="来源部门", required=False)
    township = forms.ChoiceField(label="乡镇（街道）", required=False)
    village = forms.ChoiceField(label="村（社区）", required=False)
    overdue = forms.BooleanField(label="只看逾期未办结", required=False)
    run = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The dashboards' links (reports/dashboards): raised / closed in a date range; overdue on a date.
    raised_from = forms.DateField(required=False, widget=forms.HiddenInput)
    raised_to = forms.DateField(required=False, widget=forms.HiddenInput)
    closed_from = forms.DateField(required=False, widget=forms.HiddenInput)
    closed_to = forms.DateField(required=False, widget=forms.HiddenInput)
    overdue_on = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [
            ("", "全部规则"),
            *((r.key, r.label) for r in RULES if r.kind == WARNING),
        ]
        self.fields["department"].choices = [
            ("", "全部部门"),
            *FeedKind.choices,
            (INCOME_SOURCE, INCOME_LABEL),
        ]
        within = Area.objects.within(user.area).order_by("code")
        townships = list(within.filter(level=Level.TOWNSHIP).values_list("code", "name"))
        self.fields["township"].choices = [("", "全部乡镇"), *townships]
        villages = within.filter(level=Level.VILLAGE)
        if self.data.get("township", "") in dict(townships):
            villages = villages.filter(code__startswith=self.data["township"])
        self.fields["village"].choices = [("", "全部村"), *villages.values_list("code", "name")]
        self.show_township = bool(townships)

    DASHBOARD_LABELS = {
        "raised_from": "收到自{}",
        "raised_to": "收到至{}",
        "closed_from": "办结自{}",
        "closed_to": "办结至{}",
        "overdue_on": "{}逾期未办结",
    }

    def dashboard_filters(self) -> list[tuple[str, str, str]]:
        """(field, value, Chinese label) of each dashboard filter in force (hidden fields, not on the form),
        so the list says why it shows what it shows and keeps them when another filter changes; call after
        `apply` (an invalid date is ignored there, and here)."""
        data = getattr(self, "cleaned_data", {})
        return [
            (name, data[name].isoformat(), label.format(data[name].isoformat()))
            for name, label in self.DASHBOARD_LABELS.items()
            if data.get(name)
        ]

    def apply(self, warnings):
        """The warnings matching the valid filters (an invalid one is ignored and shown as an error)."""
        self.is_valid()
        f = {k: v for k, v in self.cleaned_data.items() if v not in ("", None, [], False)}
        if "status" in f:
            warnings = warnings.filter(status__in=f["status"])
        if "rule" in f:
            warnings = warnings.filter(rule=f["rule"])
        if "department" in f:
            department = "" if f["department"] == INCOME_SOURCE else f["department"]
            warnings = warnings.filter(department=department)
        if "village" in f:
            warnings = warnings.filter(area__code=f["village"])
        elif "township" in f:
            warnings = warnings.filter(area__code__startswith=f["township"])
        if f.get("overdue"):
            warnings = warnings.exclude(status=WarningStatus.CLOSED).filter(due__lt=_today())
        if "run" in f:
            warnings = warnings.filter(first_run__public_id=f["run"])
        for name, lookup in (
            ("raised_from", "raised_on__gte"),
            ("raised_to", "raised_on__lte"),
            ("closed_from", "closed_on__gte"),
            ("closed_to", "closed_on__lte"),
        ):
            if name in f:
                warnings = warnings.filter(**{lookup: f[name]})
        if "overdue_on" in f:
            warnings = warnings.filter(overdue_on(f["overdue_on"]))
        if "q" in f:
            q = f["q"].strip()
            warnings = warnings.filter(
                Q(number=q.upper()) | Q(household__number=q) | Q(household__head__name=q) | Q(person__name=q)
            )
        return warnings


def overdue_on(day: datetime.date) -> Q:
    """Raised by `day`, not closed by then, and past its verification deadline on that day."""
    return Q(raised_on__lte=day, due__lt=day) & (Q(closed_on__isnull=True) | Q(closed_on__gt=day))


@login_required
def warning_list(request):
    require(request.user, Capability.VIEW_CASES)
    form = WarningFilterForm(request.user, request.GET)
    warnings = form.apply(scoped(Warning.objects.all(), request.user))
    if request.GET.get("export") == "xlsx":
        sheet = SheetSpec("筛查预警", exports.HEADERS, exports.rows(warnings))
        return xlsx_response(write_xlsx([sheet]), f"筛查预警_{_today():%Y%m%d}.xlsx")
    warnings = warnings.select_related("household__head", "area", "person").order_by("-raised_on", "-number")
    page = Paginator(warnings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(w, actions.rule_label(w.rule)) for w in page],
        "today": _today(),
        "querystring": query.urlencode(),
        "dashboard_filters": form.dashboard_filters(),
    }
    return render(request, "screening/warning_list.html", context)


class AssignForm(forms.Form):
    assigned_on = forms.DateField(label="分派日期", widget=DATE_WIDGET)


class VerifyForm(forms.Form):
    started_on = forms.DateField(
        label="开始核实日期", widget=DATE_WIDGET, help_text="入户或电话核实开始的日期"
    )


class CloseForm(forms.Form):
    result = forms.ChoiceField(label="核实结果", choices=WarningResult.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="核实说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不纳入监测时必填：写明核实的情况和理由；纳入监测时将自动登记一条风险线索",
    )
    closed_on = forms.DateField(label="办结日期", widget=DATE_WIDGET)


def _feed_rows(warning: Warning) -> list[dict]:
    """The feed rows behind the warning, with masked ID numbers and the columns' Chinese headers."""
    items = []
    for row in warning.feed_rows.select_related("upload").order_by("kind", "pk"):
        columns = [c for c in feeds.FEED_COLUMNS[row.kind] if c.key not in (feeds.ID_KEY, feeds.NAME_KEY)]
        items.append(
            {
                "row": row,
                "kind": schema.FEED_LABELS.get(row.kind, row.kind),
                "fields": [(c.header, row.data.get(c.key) or "—") for c in columns],
            }
        )
    return items


def _detail(request, warning: Warning, status: int = 200, refusal: str = "", **bound):
    today = _today()
    forms_ = {
        "assign_form": bound.get("assign_form") or AssignForm(initial={"assigned_on": today}),
        "verify_form": bound.get("verify_form") or VerifyForm(initial={"started_on": today}),
        "close_form": bound.get("close_form") or CloseForm(initial={"closed_on": today}),
    }
    colour, colour_reason = risk_colour(warning.household, today)
    rule = next((r for r in RULES if r.key == warning.rule), None)
    # In the rule's order: PostgreSQL's jsonb does not keep the stored keys' order.
    order = [label for label, _ in rule.values] if rule else []
    values = sorted(
        warning.values.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
    )
    context = {
        "warning": warning,
        "rule": rule,
        "values": values,
        "rule_label": actions.rule_label(warning.rule),
        "explanation": actions.explanation(warning),
        "feed_rows": _feed_rows(warning),
        "last_seen": WarningSeen.objects.filter(warning=warning).select_related("run").first(),
        "who": warning.person or warning.household.head,
        "department": FeedKind(warning.department).label if warning.department else "收入台账",
        "may_assign": warning.status == WarningStatus.NEW and actions.may_assign(request.user, warning),
        "may_verify": warning.status == WarningStatus.ASSIGNED and actions.may_verify(request.user, warning),
        "may_close": warning.status == WarningStatus.VERIFYING and actions.may_verify(request.user, warning),
        "is_overdue": warning.status != WarningStatus.CLOSED and warning.due < today,
        "colour": colour,
        "colour_label": COLOUR_LABELS[colour],
        "colour_reason": colour_reason,
        "refusal": refusal,
        **forms_,
    }
    return render(request, "screening/warning_detail.html", context, status=status)


@login_required
def warning_detail(request, number):
    return _detail(request, get_warning_for_user(request.user, number))


ASSIGNERS = frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER, Role.TOWNSHIP_OFFICER})
VERIFIERS = frozenset({Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER})


def _act(request, number, form_class, form_name: str, run, done: str, roles=VERIFIERS):
    """POST: getter → role → form → one action → back to the warning, or the page again with the refusal."""
    warning = get_warning_for_user(request.user, number)
    if request.user.role not in roles:
        raise PermissionDenied("预警由乡镇（街道）分派、由村里核实办结，您的角色不能办理此步骤")
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(warning, form.cleaned_data)
        except ValidationError as e:
            return _detail(request, warning, status=422, refusal=_error(e), **{form_name: form})
        messages.success(request, done)
        return redirect("screening:warning_detail", number=warning.number)
    return _detail(request, warning, status=422, **{form_name: form})


@login_required
@require_POST
def warning_assign(request, number):
    return _act(
        request,
        number,
        AssignForm,
        "assign_form",
        lambda w, d: actions.assign_warning(request.user, w, d["assigned_on"]),
        "已分派到村，请村里在核实期限内入户核实",
        roles=ASSIGNERS,
    )


@login_required
@require_POST
def warning_verify(request, number):
    return _act(
        request,
        number,
        VerifyForm,
        "verify_form",
        lambda w, d: actions.start_verification(request.user, w, d["started_on"]),
        "已开始核实，核实后请登记核实结果",
    )


@login_required
@require_POST
def warning_close(request, number):
    def close(warning, data):
        actions.close_warning(
            request.user, warning, result=data["result"], reason=data["reason"], closed_on=data["closed_on"]
        )

    return _act(request, number, CloseForm, "close_form", close, "预警已办结")


# —— Rules and their settings ————————————————————————————————————————————————————————————————————


def _rule_rows(values) -> list[dict]:
    enabled = set(values["screening_rules_enabled"])
    return [
        {
            "rule": rule,
            "enabled": rule.label in enabled,
            "source": "收入台账" if rule.source == schema.INCOME else schema.FEED_LABELS[rule.source],
            "kind": "预警" if rule.kind == WARNING else "疑点",
            "params": [(BY_KEY[k], display(BY_KEY[k], values[k])) for k in rule.params if k in BY_KEY],
        }
        for rule in RULES
    ]


@login_required
def rule_list(request):
    require(request.user, Capability.VIEW_POLICY)
    policy = policy_for(_today().year)
    context = {
        "policy": policy,
        "rows": _rule_rows(policy.values),
        "can_edit": request.user.can(Capability.EDIT_POLICY),
    }
    return render(request, "screening/rule_list.html", context)


SCREENING_KEYS = [p.key for p in PARAMETERS if p.group == SCREENING]


class RuleSettingsForm(PolicyForm):
    """The screening group of the policy settings, plus the signed stamp of the last preview."""

    previewed = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for p in PARAMETERS:
            if p.group != SCREENING:
                del self.fields[p.key]

    def parameter_values(self) -> dict:
        return {key: self.cleaned_data.get(key) for key in SCREENING_KEYS}

    def typed_values(self) -> dict | None:
        """The typed values, or None with the problems put on the fields."""
        typed = {}
        for key, raw in self.parameter_values().items():
            try:
                typed[key] = parse(BY_KEY[key], raw)
            except InvalidValue as e:
                self.add_error(key, str(e))
        return None if self.errors else typed

    def fields_in_order(self) -> list[forms.BoundField]:
        return [self[key] for key in SCREENING_KEYS]


def _stamp(typed: dict, based_on: int) -> str:
    """What was previewed: the values and the version they were compared with."""
    stored = {k: to_storage(BY_KEY[k], v) for k, v in sorted(typed.items())}
    return hashlib.sha256(json.dumps([stored, based_on], ensure_ascii=False).encode()).hexdigest()


def _save(request, form: RuleSettingsForm, typed: dict, year: int, based_on: int):
    """The new settings version, or None with the refusal put on the form."""
    try:
        previewed = signing.Signer(salt=PREVIEW_SALT).unsign(form.cleaned_data["previewed"])
    except signing.BadSignature:
        previewed = ""
    if previewed != _stamp(typed, based_on):
        form.add_error(None, "参数在预览之后有改动（或尚未预览），请查看下方重新计算的影响，确认后再保存")
        return None
    try:
        return save_policy(request.user, year, typed, form.cleaned_data["reason"], expected_version=based_on)
    except ValidationError as e:
        for key, errors in e.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
        return None


@login_required
def rule_edit(request):
    """GET: the form; POST "preview": the changes' effect on current data; POST "save": a new version,
    only for exactly the values last previewed against the version in effect."""
    require(request.user, Capability.EDIT_POLICY)
    year = _today().year
    policy = policy_for(year)
    form = RuleSettingsForm(
        request.POST or None, current=policy.values, initial={"based_on": policy.version.pk}
    )
    preview, stamp = None, ""
    if request.method == "POST" and form.is_valid():
        typed = form.typed_values()
        based_on = form.cleaned_data["based_on"] or policy.version.pk
        if typed is not None and based_on != policy.version.pk:
            form.add_error(
                None, f"{year}年的参数已被他人更新为{policy.label}，请刷新页面，在最新版本上重新修改"
            )
        elif typed is not None:
            if request.POST.get("action") == "save":
                version = _save(request, form, typed, year, based_on)
                if version is not None:
                    messages.success(request, f"已保存{version.label}，之后的筛查将使用新的规则设置")
                    return redirect("screening:rule_list")
            preview = runs.preview_settings(typed)
            stamp = signing.Signer(salt=PREVIEW_SALT).sign(_stamp(typed, based_on))
    context = {"form": form, "policy": policy, "preview": preview, "stamp": stamp}
    return render(request, "screening/rule_edit.html", context, status=422 if form.errors else 200)


urlpatterns = [
    path("runs/", run_list, name="run_list"),
    path("runs/<uuid:public_id>/", run_detail, name="run_detail"),
    path("warnings/", warning_list, name="warning_list"),
    path("warnings/<str:number>/", warning_detail, name="warning_detail"),
    path("warnings/<str:number>/assign/", warning_assign, name="warning_assign"),
    path("warnings/<str:number>/verify/", warning_verify, name="warning_verify"),
    path("warnings/<str:number>/close/", warning_close, name="warning_close"),
    path("rules/", rule_list, name="rule_list"),
    path("rules/edit/", rule_edit, name="rule_edit"),
]
