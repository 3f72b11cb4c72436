"""Registry jobs: check an uploaded import file, and commit it.

Both re-read the staged file (`lib.staging`): the check stores a compact summary in `Job.result` and
every error in the job's result file (an `.xlsx` error report); the commit checks the file again (the
registry may have changed since the preview) and writes it in one transaction.
"""

from django.core.exceptions import ValidationError

from zhenxing.areas.models import Area
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Source
from zhenxing.jobs.registry import job_handler
from zhenxing.lib.staging import read_staged
from zhenxing.registry import importing

VALIDATE_IMPORT = "registry.validate_import"
COMMIT_IMPORT = "registry.commit_import"
ERROR_REPORT_NAME = "{label}导入错误报告.xlsx"
LOGGED_ERRORS = 20

VALIDATE_LABELS = {
    "kind": "导入类型",
    "households": "户数",
    "new": "新增",
    "updated": "更新",
    "unchanged": "无变化",
    "persons": "人数（行数）",
    "incomes": "收入记录数",
    "errors": "错误数",
    "error_households": "有错误的户数",
    "clean_households": "无错误的户数",
    "clean_incomes": "无错误的收入记录数",
    "clean_changes": "可导入的变动数",
    "file_error": "文件本身有错误",
    "households_new": "新增户数",
    "households_updated": "更新户数",
    "households_unchanged": "无变化户数",
    "notices": "提示",
}
COMMIT_LABELS = {
    "kind": "导入类型",
    "created": "新增",
    "updated": "更新",
    "unchanged": "无变化",
    "persons": "写入人数",
    "skipped": "因错误未导入",
    "errors": "错误数",
    "households_created": "新增户数",
    "households_updated": "更新户数",
    "households_unchanged": "无变化户数",
    "households_persons": "写入人数",
}


def _check(ctx):
    kind = ctx.params["kind"]
    scope = Area.objects.get(code=ctx.params["scope"])
    data = read_staged(ctx.params["stored_path"])
    ctx.progress(0, 0, "正在读取和检查文件")
    plan = importing.validate_file(
        kind, data, ctx.params["filename"], scope, lambda done, total: ctx.progress(done, total, "正在检查")
    )
    errors = importing.all_errors(plan)
    if errors:
        label = importing.KINDS[kind]
        ctx.save_result(ERROR_REPORT_NAME.format(label=label), importing.error_report(errors))
        for error in errors[:LOGGED_ERRORS]:
            ctx.log(error.line())
        if len(errors) > LOGGED_ERRORS:
            ctx.log(f"……共{len(errors)}处错误，全部列在错误报告中")
    return kind, plan, errors


@job_handler(VALIDATE_IMPORT, "检查导入文件（户籍成员/家庭收入）", result_labels=VALIDATE_LABELS)
def validate_import(job, ctx) -> dict:
    """Check the whole file; nothing is written. The preview page reads the summary and the report."""
    kind, plan, errors = _check(ctx)
    return {
        "kind": importing.KINDS[kind],
        **plan.summary(),
        "notices": "；".join(importing.all_notices(plan)),
    }


@job_handler(COMMIT_IMPORT, "导入农户数据（户籍成员/家庭收入）", result_labels=COMMIT_LABELS)
def commit_import(job, ctx) -> dict:
    """Check the file again, then write it: all of it, or with `only_valid` the households without errors."""
    kind, plan, errors = _check(ctx)
    only_valid = bool(ctx.params.get("only_valid"))
    if errors and not only_valid:
        raise ValidationError(
            f"文件有{len(errors)}处错误（台账可能在检查之后有了变化），未导入任何数据：请下载错误报告改正后重新上传"
        )
    ctx.progress(0, 0, "正在写入")
    with acting_via(Source.IMPORT):
        result = importing.commit_plan(
            kind, ctx.actor, plan, lambda done, total: ctx.progress(done, total, "正在写入"), only_valid
        )
    ctx.log("导入完成：" + "，".join(f"{COMMIT_LABELS.get(k, k)}{v}" for k, v in result.items()))
    return {"kind": importing.KINDS[kind], **result, "errors": len(errors)}
