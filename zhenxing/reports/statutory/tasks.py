"""The job that builds a statutory export: the result file is the workbook, the job page its progress.

The job re-checks what the view checked (the report exists, the area lies in the requester's scope, full
ID numbers only for roles that may see them), since the requester's role or area may have changed while
it waited. Safe to retry: it builds the file again from the start (a retry with full ID numbers is audited
again, as a second export).
"""

import datetime

from django.core.exceptions import ValidationError

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import in_scope
from zhenxing.areas.models import Area
from zhenxing.jobs.registry import job_handler
from zhenxing.reports.statutory import actions
from zhenxing.reports.statutory.table import chinese_date, get_report, yes_no
from zhenxing.reports.statutory.workbook import build_workbook

JOB_KIND = "reports.statutory_export"
RESULT_LABELS = {
    "report": "报表",
    "area": "区划",
    "as_of": "截至日期",
    "rows": "行数",
    "full_ids": "完整身份证号码",
}


@job_handler(JOB_KIND, "生成统计报表", result_labels=RESULT_LABELS)
def export_report(job, ctx) -> dict:
    report = get_report(ctx.params.get("report", ""))
    if report is None:
        raise ValidationError(f"没有名为“{ctx.params.get('report')}”的报表，请在统计报表页面重新选择")
    area = Area.objects.filter(code=ctx.params.get("area", "")).first()
    user = ctx.actor
    if area is None or user is None or not (user.is_active and user.can(Capability.VIEW_REPORTS)):
        raise ValidationError("发起人已无权生成统计报表，或所选区划已不存在，请重新发起")
    if not in_scope(user, area):
        raise ValidationError(f"“{area.name}”已不在发起人的管辖范围内，请重新选择区划后发起")
    as_of = datetime.date.fromisoformat(ctx.params["as_of"])
    full = bool(ctx.params.get("full_ids")) and report.has_id_numbers
    if full and not user.can(Capability.VIEW_FULL_PERSONAL_DATA):
        raise ValidationError("发起人已无权导出完整身份证号码，请重新发起（导出脱敏号码）")
    ctx.progress(0, 0, "正在查询数据")
    built = build_workbook(
        report, area, as_of, full, progress=lambda done, total: ctx.progress(done, total, "正在写入")
    )
    if full:
        actions.record_full_id_export(user, report, area, as_of, built.rows)
    ctx.save_result(built.filename, built.data, has_personal_data=full)
    ctx.log(f"已生成{report.title}（{area.full_name}，截至{chinese_date(as_of)}）：{built.rows}{report.unit}")
    return {
        "report": report.title,
        "area": area.full_name,
        "as_of": as_of.isoformat(),
        "rows": built.rows,
        "full_ids": yes_no(full),
    }
