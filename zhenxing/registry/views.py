"""Registry screens: the household list, the household page (now or as of a date), its QR code, the full
personal data on request, the export, and one form per change action."""

import datetime
import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.areas.models import Area
from zhenxing.jobs.actions import enqueue_job
from zhenxing.lib.downloads import xlsx_response
from zhenxing.registry import actions, export, queries
from zhenxing.registry.forms import (
    HeadChangeForm,
    HouseholdEditForm,
    HouseholdFilterForm,
    IncomeForm,
    MemberAddForm,
    MemberRemoveForm,
    MergeForm,
    MoveForm,
    PersonEditForm,
    SplitForm,
)
from zhenxing.registry.history import incomes_on, state_on
from zhenxing.registry.models import HEAD, HouseholdKind, IncomeYear, Membership
from zhenxing.registry.queries import (
    BAND_BADGE,
    Lines,
    chart_data,
    current_members,
    get_household_for_user,
    get_person_for_user,
    income_rows,
    members_as_of,
)
from zhenxing.registry.timeline import timeline

PAGE_SIZE = 50


def _as_of(request) -> datetime.date | None:
    """`?as_of=YYYY-MM-DD`, or None (a bad value is reported and ignored)."""
    text = request.GET.get("as_of", "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        messages.error(request, f"日期“{text}”格式不对，请按 YYYY-MM-DD 填写，如 2024-06-30")
        return None


def _querystring(request, drop=("page",)) -> str:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


# —— List and export ———————————————————————————————————————————————————————————————————————————————


def _dashboard_filters(request, f: queries.HouseholdFilter) -> queries.HouseholdFilter:
    """The filters behind the dashboards' figures (`colour`, `migrant_on`), not on the form; bad values are
    ignored."""
    if request.GET.get("colour") in queries.COLOURS:
        f.colour = request.GET["colour"]
    try:
        f.migrant_on = datetime.date.fromisoformat(request.GET.get("migrant_on", "").strip()).isoformat()
    except ValueError:
        pass
    return f


COLOUR_LABELS = {"red": "红色", "yellow": "黄色", "green": "绿色"}


def _dashboard_filter_labels(f: queries.HouseholdFilter) -> list[tuple[str, str, str]]:
    """(name, value, Chinese label) of the dashboards' filters in force, so the list says why it shows what it
    shows and keeps them when another filter changes."""
    found = []
    if f.colour:
        found.append(("colour", f.colour, f"今日风险颜色为{COLOUR_LABELS[f.colour]}"))
    if f.migrant_on:
        found.append(("migrant_on", f.migrant_on, f"{f.migrant_on}有脱贫劳动力外出务工"))
    return found


@login_required
def household_list(request):
    require(request.user, Capability.VIEW_REGISTRY)
    form = HouseholdFilterForm(request.user, request.GET)
    f = _dashboard_filters(request, form.to_filter())
    page = Paginator(queries.household_list(request.user, f), PAGE_SIZE).get_page(request.GET.get("page"))
    lines = Lines()
    for household in page:
        year, per_capita = household.latest_year, household.latest_per_capita
        household.band = lines.band(year, per_capita) if year is not None else None
        household.band_badge = BAND_BADGE.get(household.band)
    show_risk = request.user.can(Capability.VIEW_CASES)
    if show_risk:
        risks = _risks([h.pk for h in page])
        for household in page:
            household.risk = risks.get(household.pk)
    context = {
        "form": form,
        "filter": f,
        "page": page,
        "show_risk": show_risk,
        "querystring": _querystring(request),
        "filter_params": [(k, v) for k, v in request.GET.items() if k not in ("page", "as_of", "full")],
        "can_full": request.user.can(Capability.VIEW_FULL_PERSONAL_DATA),
        "sync_limit": export.EXPORT_SYNC_LIMIT,
        "dashboard_filters": _dashboard_filter_labels(f),
    }
    return render(request, "registry/household_list.html", context)


@login_required
def household_export(request):
    """The filtered list as `.xlsx` (import-template headers); a large one runs as a job."""
    require(request.user, Capability.VIEW_REGISTRY)
    full = request.GET.get("full") == "1"
    if full:
        require(request.user, Capability.VIEW_FULL_PERSONAL_DATA)
    f = _dashboard_filters(request, HouseholdFilterForm(request.user, request.GET).to_filter())
    as_of = _as_of(request)
    if as_of is None and request.GET.get("as_of", "").strip():
        return redirect(
            reverse("registry:household_list") + "?" + _querystring(request, ("page", "as_of", "full"))
        )
    households = export.households_for(request.user, f)
    count = households.count()
    if count > export.EXPORT_SYNC_LIMIT:
        params = {"filters": f.params(), "as_of": as_of.isoformat() if as_of else None, "full": full}
        job = enqueue_job(request.user, export.JOB_KIND, params)
        messages.info(request, f"共{count}户，数据较多，已转为后台任务导出；完成后在本页下载结果文件")
        return redirect("jobs:detail", public_id=job.public_id)
    result = export.build_export(households, as_of=as_of, full=full)
    if full:
        actions.record_full_export(request.user, f.params(), as_of, result.households, result.rows)
    return xlsx_response(result.data, export.filename(request.user, as_of, full))


# —— Household page ————————————————————————————————————————————————————————————————————————————————


@login_required
def household_detail(request, public_id):
    household = get_household_for_user(request.user, public_id)
    as_of = _as_of(request)
    state = None
    if as_of is not None:
        state = state_on(household, as_of)
        members = members_as_of(state) if state else []
        incomes = income_rows(incomes_on(household, as_of))
        facts = state.household if state else None
    else:
        members = current_members(household)
        incomes = income_rows(list(IncomeYear.objects.filter(household=household)))
        facts = {
            "number": household.number,
            "kind": household.kind,
            "lifted_year": household.lifted_year,
            "lifted_attribute": household.lifted_attribute,
            "is_active": household.is_active,
            "area_code": household.area.code,
        }
    if facts:
        facts = {**facts, "kind_label": HouseholdKind(facts["kind"]).label}
        area = Area.objects.select_related("parent").filter(code=facts["area_code"]).first()
        facts["area_name"] = area.full_name if area else facts["area_code"]
    can_edit = request.user.can(Capability.EDIT_REGISTRY)
    context = {
        "household": household,
        "as_of": as_of,
        "state": state,
        "facts": facts,
        "members": members,
        "incomes": incomes,
        "chart": chart_data(incomes),
        "timeline": timeline(household, until=as_of),
        "can_edit": can_edit and household.is_active and as_of is None,
        "can_reveal": request.user.can(Capability.VIEW_FULL_PERSONAL_DATA),
        "head_label": HEAD,
        **_monitoring(request.user, household),
    }
    return render(request, "registry/household_detail.html", context)


def _monitoring(user, household) -> dict:
    """The household's cases and leads for the 防返贫监测 card (roles that may see cases only)."""
    if not user.can(Capability.VIEW_CASES):
        return {}
    from zhenxing.cases.models import Case, Lead

    cases = list(
        Case.objects.filter(household=household).select_related("cadre").order_by("-opened_on", "-id")
    )
    return {
        "show_cases": True,
        "risk": _risks([household.pk]).get(household.pk),
        "cases": cases,
        "open_case": next((c for c in cases if c.is_open), None),
        "leads": Lead.objects.filter(household=household).select_related("case").order_by("-found_on", "-id"),
        "can_record_lead": user.can(Capability.RECORD_CASES) and household.is_active,
    }


def _risks(household_ids: list[int]) -> dict[int, dict]:
    """The risk colour (screening/colour.py) of a page of households: colour, Chinese label, reason."""
    from zhenxing.screening.colour import LABELS, risk_colours

    return {
        pk: {"colour": colour, "label": LABELS[colour], "reason": reason}
        for pk, (colour, reason) in risk_colours(household_ids).items()
    }


@login_required
def household_qr(request, public_id):
    """户码: an SVG QR code of the household page's address (opening it requires signing in)."""
    household = get_household_for_user(request.user, public_id)
    url = request.build_absolute_uri(reverse("registry:household_detail", args=[household.public_id]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, title=f"户码 {household.number}", desc=url
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def person_reveal(request, public_id):
    """htmx fragment: the full ID number and phone, for roles allowed to see them (audited)."""
    person, household = get_person_for_user(request.user, public_id)
    revealed = actions.reveal_person(request.user, person, household)
    return render(request, "registry/_revealed.html", {"person": person, **revealed})


# —— Change forms ——————————————————————————————————————————————————————————————————————————————————


def _change(request, household, form, title: str, run, template="registry/change_form.html", extra=None):
    """GET shows the form; a valid POST runs the action and returns to the household page with
    `run`'s success message; a refusal shows the action's message above the form."""
    if request.method == "POST" and form.is_valid():
        try:
            done = run(form)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, done)
            return redirect("registry:household_detail", public_id=household.public_id)
    context = {"household": household, "form": form, "title": title, **(extra or {})}
    return render(request, template, context)


@login_required
def member_add(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    form = MemberAddForm(household, request.user, request.POST or None)

    def run(form):
        d = form.cleaned_data
        person = actions.add_member(
            request.user, household, form.person_data(), d["reason"], d["effective_date"]
        )
        return f"已增加成员 {person.name}"

    return _change(request, household, form, "增加成员", run)


@login_required
def member_remove(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    form = MemberRemoveForm(household, request.user, request.POST or None)

    def run(form):
        d = form.cleaned_data
        actions.remove_member(
            request.user, household, d["person"], d["reason"], d["effective_date"], d["note"]
        )
        closed = "；该户已无在册成员，已注销" if not household.is_active else ""
        return f"已减少成员 {d['person'].name}{closed}"

    return _change(request, household, form, "减少成员", run)


@login_required
def head_change(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    form = HeadChangeForm(household, request.user, request.POST or None)

    def run(form):
        d = form.cleaned_data
        actions.change_head(
            request.user, household, d["new_head"], d["effective_date"], d["old_head_relation"]
        )
        return f"户主已变更为 {d['new_head'].name}"

    return _change(request, household, form, "变更户主", run)


@login_required
def household_split(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    form = SplitForm(household, request.user, request.POST or None)

    def run(form):
        d = form.cleaned_data
        persons, relations = form.split_plan()
        new = actions.split_household(
            request.user, household, persons, d["new_number"], d["new_head"], relations, d["effective_date"]
        )
        return f"已分户：新户 {new.number}（{len(persons)}人）"

    return _change(request, household, form, "分户", run, "registry/split_form.html")


@login_required
def household_merge(request, public_id):
    """Another household (in scope) joins this one; it is chosen by number, then relations are given."""
    household = get_household_for_user(request.user, public_id, write=True)
    initial = {"source": request.GET.get("source", "")}
    form = MergeForm(household, request.user, request.POST or None, initial=initial)

    def run(form):
        d = form.cleaned_data
        actions.merge_households(request.user, household, d["source"], form.relations(), d["effective_date"])
        return f"户 {d['source'].number} 已并入本户"

    return _change(request, household, form, "合户", run, "registry/merge_form.html")


@login_required
def household_move(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    form = MoveForm(household, request.user, request.POST or None)

    def run(form):
        d = form.cleaned_data
        actions.move_household(request.user, household, d["new_village"], d["effective_date"])
        return f"已迁往{d['new_village'].name}"

    return _change(request, household, form, "迁往他村", run)


@login_required
def household_edit(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    initial = {
        "kind": household.kind,
        "lifted_year": household.lifted_year,
        "lifted_attribute": household.lifted_attribute,
    }
    form = HouseholdEditForm(household, request.user, request.POST or None, initial=initial)

    def run(form):
        d = form.cleaned_data
        actions.edit_household(
            request.user,
            household,
            kind=d["kind"],
            lifted_year=d["lifted_year"],
            lifted_attribute=d["lifted_attribute"],
            effective_date=d["effective_date"],
        )
        return "户信息已保存"

    return _change(request, household, form, "修改户信息", run)


def _membership_for_edit(request, household) -> Membership:
    """The current member named by `?person=` (or the form's hidden field); the head by default."""
    chosen = request.POST.get("person") or request.GET.get("person")
    memberships = Membership.objects.filter(household=household, end_date__isnull=True).select_related(
        "person"
    )
    if chosen:
        try:
            return memberships.get(person__public_id=chosen)
        except (Membership.DoesNotExist, ValidationError):
            raise Http404("该人员不是本户在册成员") from None
    membership = memberships.filter(relation=HEAD).first() or memberships.first()
    if membership is None:
        raise Http404("该户没有在册成员")
    return membership


@login_required
def person_edit(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    membership = _membership_for_edit(request, household)
    form = PersonEditForm(household, request.user, membership, request.POST or None)

    def run(form):
        actions.edit_person(
            request.user, household, membership.person, form.values(), form.cleaned_data["effective_date"]
        )
        return f"已保存 {form.cleaned_data['name']} 的信息"

    members = current_members(household)
    extra = {"members": members, "membership": membership}
    return _change(request, household, form, "修改成员信息", run, "registry/person_form.html", extra)


@login_required
def income_record(request, public_id):
    household = get_household_for_user(request.user, public_id, write=True)
    year = request.GET.get("year", "")
    default_year = int(year) if year.isdigit() and len(year) == 4 else timezone.localdate().year - 1
    form = IncomeForm(
        household, request.user, request.POST or None, initial=IncomeForm.initial_for(household, default_year)
    )

    def run(form):
        income = actions.record_income(request.user, household, form.cleaned_data["year"], form.amounts())
        return (
            f"已登记{income.year}年度收入：人均纯收入 {income.net_income_per_capita} 元"
            f"（家庭人口 {income.household_size} 人）"
        )

    return _change(request, household, form, "登记年度收入", run, "registry/income_form.html")
