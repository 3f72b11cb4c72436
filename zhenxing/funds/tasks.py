"""Funds jobs: store a 直达系统 reconciliation, and import a project library.

Both start from the staged upload (`lib.staging`) and check the whole file again — disbursements or the
library may have changed since the preview — then write through the actions in one transaction. A
failure leaves nothing written, so a retry simply starts again from the file. The summary carries
`url`, the page that shows what was written.
"""

from django.core.exceptions import ValidationError
from django.urls import reverse

from zhenxing.areas.models import Area
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Source
from zhenxing.funds import actions, importing
from zhenxing.funds.reconcile import validate_reconciliation
from zhenxing.jobs.registry import job_handler
from zhenxing.lib.staging import read_staged

RECONCILE = "funds.reconcile"
IMPORT_PROJECTS = "funds.import_projects"
LOGGED_ERRORS = 20

RECONCILE_LABELS = {
    "year": "年度",
    "rows": "直达系统行数",
    "matched": "一致笔数",
    "differences": "差异数",
    "url": "对账差异清单",
}
IMPORT_LABELS = {"created": "新增项目", "url": "项目库"}


def _refuse(ctx, errors, what: str) -> None:
    for e in errors[:LOGGED_ERRORS]:
        where = f"第{e.row}行 " if e.row else ""
        ctx.log(f"{where}{e.column + '：' if e.column else ''}{e.reason}")
    if len(errors) > LOGGED_ERRORS:
        ctx.log(f"……共{len(errors)}处错误")
    raise ValidationError(f"文件有{len(errors)}处错误，{what}：请改正后重新上传")


@job_handler(RECONCILE, "直达系统对账", result_labels=RECONCILE_LABELS)
def reconcile(job, ctx) -> dict:
    """Compare the file with the year's disbursements again, then store the batch and its differences."""
    year = int(ctx.params["year"])
    ctx.progress(0, 0, "正在读取和比对文件")
    plan = validate_reconciliation(
        read_staged(ctx.params["stored_path"]),
        ctx.params["filename"],
        year,
        progress=lambda done, total: ctx.progress(done, total, "正在比对"),
    )
    if not plan.is_valid:
        _refuse(ctx, plan.errors, "未保存对账结果")
    ctx.progress(0, 0, "正在保存差异")
    with acting_via(Source.IMPORT):
        batch = actions.commit_reconciliation(ctx.actor, plan)
    ctx.log(f"对账完成：{plan.row_count}行，{plan.matched}笔一致，{len(plan.differences)}处差异")
    return {
        "year": year,
        "rows": plan.row_count,
        "matched": plan.matched,
        "differences": len(plan.differences),
        "url": reverse("funds:reconcile_detail", kwargs={"public_id": batch.public_id}),
    }


@job_handler(IMPORT_PROJECTS, "导入项目库", result_labels=IMPORT_LABELS)
def import_projects(job, ctx) -> dict:
    """Check the file again within the importer's area, then write every row (all or nothing)."""
    scope = Area.objects.get(code=ctx.params["scope"])
    ctx.progress(0, 0, "正在读取和检查文件")
    plan = importing.validate_projects(read_staged(ctx.params["stored_path"]), ctx.params["filename"], scope)
    if not plan.is_valid:
        _refuse(ctx, plan.errors, "未导入任何项目")
    with acting_via(Source.IMPORT):
        created = importing.commit_projects(
            ctx.actor, plan, progress=lambda done, total: ctx.progress(done, total, "正在写入")
        )
    ctx.log(f"导入完成：新增{len(created)}个项目（状态：村申报，待乡镇审核）")
    return {"created": len(created), "url": reverse("funds:project_list") + "?status=proposed"}
