"""To-do providers of screening: warnings waiting for the user (`zhenxing.todo` orders overdue first).

- township officers: new warnings of their villages, to assign (分派);
- village cadres: assigned warnings to verify and warnings being verified, to close with a result.
Each list shows the `LIMIT` most urgent (overdue first, then the soonest due) and one more line that
counts the rest and links to the filtered warning list.
"""

import datetime

from django.urls import reverse
from django.utils import timezone

from zhenxing import todo
from zhenxing.accounts.roles import Role
from zhenxing.accounts.scope import scoped
from zhenxing.cases.deadlines import days_overdue
from zhenxing.screening.actions.warnings import rule_label
from zhenxing.screening.models import Warning, WarningStatus

LIMIT = 20
CATEGORY = "部门筛查预警"
WHAT = {
    WarningStatus.NEW: "请分派到村核实",
    WarningStatus.ASSIGNED: "请入户核实",
    WarningStatus.VERIFYING: "核实中，请登记核实结果",
}


def _waiting(user, statuses, today: datetime.date) -> list[todo.TodoItem]:
    warnings = scoped(Warning.objects.filter(status__in=statuses), user).select_related("household__head")
    items = []
    for warning in warnings.order_by("due", "number")[:LIMIT]:
        household = warning.household
        who = f"{household.head.name}户" if household.head_id else f"农户{household.number}"
        items.append(
            todo.TodoItem(
                title=f"预警{warning.number} {who}：{rule_label(warning.rule)}，{WHAT[warning.status]}",
                url=reverse("screening:warning_detail", kwargs={"number": warning.number}),
                due=warning.due,
                days_overdue=days_overdue(warning.due, today),
                category=CATEGORY,
            )
        )
    rest = warnings.count() - len(items) if len(items) == LIMIT else 0
    if rest:
        query = "&".join(f"status={s}" for s in statuses)
        items.append(
            todo.TodoItem(
                title=f"另有{rest}条预警{'待分派' if statuses == [WarningStatus.NEW] else '待核实'}，请到预警列表办理",
                url=f"{reverse('screening:warning_list')}?{query}",
                category=CATEGORY,
            )
        )
    return items


@todo.register
def warnings_to_assign(user, today=None):
    if not (user.is_authenticated and user.is_active and user.role == Role.TOWNSHIP_OFFICER):
        return []
    return _waiting(user, [WarningStatus.NEW], today or timezone.localdate())


@todo.register
def warnings_to_verify(user, today=None):
    if not (user.is_authenticated and user.is_active and user.role == Role.VILLAGE_CADRE):
        return []
    return _waiting(user, [WarningStatus.ASSIGNED, WarningStatus.VERIFYING], today or timezone.localdate())
