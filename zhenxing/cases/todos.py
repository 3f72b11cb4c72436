"""To-do providers of monitoring cases (the home page's list; `zhenxing.todo` orders overdue first).

- every step waiting for the user (`queries.open_steps`), due on the step's deadline;
- open leads in scope not decided within `home_verification_workdays` working days of discovery;
- overdue visits, for the case's cadre (or, while it has none, the village cadres of its village);
- unanswered notice objections and unresolved 疑点 of open cases: they block the step in progress
  (township review, county approval), so they are due on its deadline.
"""

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from zhenxing import todo
from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import scoped
from zhenxing.areas.models import Level
from zhenxing.cases import queries
from zhenxing.cases.deadlines import days_overdue
from zhenxing.cases.models import Case, Discrepancy, Lead, LeadStatus, Objection, Procedure, Step
from zhenxing.lib.workdays import add_working_days
from zhenxing.policy.resolve import policy_for

LEAD_WORKDAYS = "home_verification_workdays"


def _records(user) -> bool:
    return user.is_authenticated and user.is_active and user.can(Capability.RECORD_CASES)


def _household(household) -> str:
    return f"{household.head.name}户" if household.head_id else f"农户{household.number}"


def _case_url(case: Case) -> str:
    return reverse("cases:case_detail", kwargs={"public_id": case.public_id})


def _step_label(case: Case) -> str:
    if case.stage == Step.NOTICE and case.last_return_step == Step.TOWNSHIP:
        label = "补正后重新报送（乡镇已退回）"
    else:
        label = case.get_stage_display()
    return f"{label}（风险消除）" if case.procedure == Procedure.ELIMINATION else label


def _open_due(case: Case) -> datetime.date | None:
    return case.stage_due if case.is_open and case.stage != Step.DONE else None


@todo.register
def waiting_steps(user, today=None):
    """Each step of a case waiting for this user: "JC00000012 张三户：乡镇审核"."""
    today = today or timezone.localdate()
    cases = queries.open_steps(user).select_related("household__head")
    return [
        todo.TodoItem(
            title=f"{case.number} {_household(case.household)}：{_step_label(case)}",
            url=_case_url(case),
            due=case.stage_due,
            days_overdue=queries.overdue_days(case, today),
            category=case.get_procedure_display(),
        )
        for case in cases
    ]


@todo.register
def undecided_leads(user, today=None):
    """Open leads past the home-verification time limit: verify, then open a case or close the lead."""
    if not _records(user):
        return []
    today = today or timezone.localdate()
    years = {}

    def workdays(year: int) -> int:
        if year not in years:
            years[year] = policy_for(year)[LEAD_WORKDAYS]
        return years[year]

    # A deadline of N working days is at least N calendar days away: only older leads can be late.
    shortest = min(workdays(today.year), workdays(today.year - 1))
    leads = scoped(
        Lead.objects.filter(
            status=LeadStatus.OPEN, found_on__lt=today - datetime.timedelta(days=shortest)
        ).select_related("household__head"),
        user,
    )
    items = []
    for lead in leads.order_by("found_on", "number"):
        due = add_working_days(lead.found_on, workdays(lead.found_on.year))
        if due >= today:
            continue
        items.append(
            todo.TodoItem(
                title=f"风险线索{lead.number} {_household(lead.household)}：请入户核实，启动识别或核实无风险办结",
                url=reverse("cases:lead_detail", kwargs={"public_id": lead.public_id}),
                due=due,
                days_overdue=days_overdue(due, today),
                category="风险线索",
            )
        )
    return items


@todo.register
def overdue_visits(user, today=None):
    """Monitored households not visited within the visit interval, for their cadre."""
    if not _records(user):
        return []
    today = today or timezone.localdate()
    cases = scoped(queries.visit_overdue_cases(today), user).select_related("household__head")
    mine = Q(cadre=user)
    if user.area.level == Level.VILLAGE:
        mine |= Q(cadre__isnull=True, area=user.area)
    cases = cases.filter(mine)
    items = []
    for case in cases.order_by("visit_reference", "number"):
        due = queries.visit_due(case, today)
        items.append(
            todo.TodoItem(
                title=f"{case.number} {_household(case.household)}：走访已逾期，请入户走访"
                f"（上次走访或纳入监测：{case.visit_reference:%Y-%m-%d}）",
                url=_case_url(case),
                due=due,
                days_overdue=days_overdue(due, today),
                category="走访",
            )
        )
    return items


@todo.register
def open_questions(user, today=None):
    """Unanswered objections and unresolved 疑点 of open cases in scope."""
    if not _records(user):
        return []
    today = today or timezone.localdate()
    items = []
    objections = scoped(
        Objection.objects.filter(answered_on__isnull=True, notice__case__is_open=True).select_related(
            "notice__case__household__head"
        ),
        user,
        area_field="notice__case__area",
    )
    for objection in objections.order_by("received_on", "pk"):
        case = objection.notice.case
        due = _open_due(case)
        items.append(
            todo.TodoItem(
                title=f"{case.number} {_household(case.household)}：公示异议待答复"
                f"（{objection.received_on:%Y-%m-%d}收到）",
                url=_case_url(case),
                due=due,
                days_overdue=days_overdue(due, today),
                category="公示异议",
            )
        )
    discrepancies = scoped(
        Discrepancy.objects.filter(resolved_on__isnull=True, case__is_open=True).select_related(
            "case__household__head"
        ),
        user,
    )
    for item in discrepancies.order_by("found_on", "pk"):
        case = item.case
        due = _open_due(case)
        items.append(
            todo.TodoItem(
                title=f"{case.number} {_household(case.household)}：疑点待核实说明（{item.get_kind_display()}）",
                url=_case_url(case),
                due=due,
                days_overdue=days_overdue(due, today),
                category="疑点核实",
            )
        )
    return items
