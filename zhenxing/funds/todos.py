"""To-do items: planned projects behind the disbursement schedule, from N days before each checkpoint."""

from django.urls import reverse
from django.utils import timezone

from zhenxing import todo
from zhenxing.accounts.roles import Role
from zhenxing.accounts.scope import scoped
from zhenxing.funds.checks import behind_projects
from zhenxing.funds.models import Project

RESPONSIBLE = {Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE}


@todo.register
def behind_schedule(user, today=None):
    if not (user.is_authenticated and user.role in RESPONSIBLE):
        return []
    today = today or timezone.localdate()
    projects = scoped(Project.objects.filter(plan_items__year=today.year).distinct(), user)
    checkpoint, rows = behind_projects(today.year, projects, today)
    if checkpoint is None:
        return []
    overdue = max(0, (today - checkpoint.date).days)
    return [
        todo.TodoItem(
            title=f"{row.label}：拨付进度 {row.percent or 0}%，低于{checkpoint.label}的时序进度",
            url=reverse("funds:project_detail", kwargs={"code": row.key}),
            due=checkpoint.date,
            days_overdue=overdue,
            category="衔接资金拨付",
        )
        for row in rows
    ]
