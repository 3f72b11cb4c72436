from django.core.exceptions import ValidationError

from zhenxing.areas.importing import commit_areas, validate_areas
from zhenxing.areas.models import Area
from zhenxing.jobs.registry import job_handler
from zhenxing.lib.staging import read_staged


@job_handler("areas.import", "导入行政区划")
def import_areas_job(job, ctx) -> dict:
    """Re-validate the uploaded file (the tree may have changed since the preview), then commit."""
    plan = validate_areas(
        read_staged(ctx.params["stored_path"]),
        ctx.params["filename"],
        Area.objects.get(code=ctx.params["scope"]),
    )
    if not plan.is_valid:
        for e in plan.errors[:50]:
            ctx.log(f"第{e.row}行 {e.column}：{e.reason}")
        raise ValidationError(f"文件有{len(plan.errors)}处错误，未导入任何数据，请改正后重新上传")
    result = commit_areas(
        ctx.actor,
        plan,
        progress=lambda done, total: ctx.progress(done, total),
        is_demo=ctx.params.get("demo", False),
    )
    ctx.log(f"新增{result['added']}个，更名{result['renamed']}个，未变{result['unchanged']}个")
    return result
