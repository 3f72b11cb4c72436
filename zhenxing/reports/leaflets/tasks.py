"""The batch job: every leaflet of a township or village as one PDF, one A4 page per household.

Params: `kind` (LeafletKind), `area` (a township or village code inside the requester's scope) and
`printed_on` (ISO date: the year's settings and the date in the footer). It writes nothing but its
result file, so a retry simply lays everything out again.
"""

import datetime

from django.core.exceptions import ValidationError

from zhenxing.accounts.scope import in_scope
from zhenxing.areas.models import Area, Level
from zhenxing.jobs.registry import job_handler
from zhenxing.reports.leaflets.content import Edition, batch_households
from zhenxing.reports.leaflets.render import batch_pdf, filename
from zhenxing.reports.models import LeafletKind

JOB_KIND = "reports.leaflets"
RESULT_LABELS = {
    "kind": "明白纸",
    "area": "范围",
    "year": "年度",
    "households": "户数",
    "pages": "页数",
    "template": "模板版本",
}
BATCH_LEVELS = (Level.TOWNSHIP, Level.VILLAGE)
# Memory does not grow with the batch (it is made in chunks, `render.CHUNK`), time does: about 0.06 s
# per household, so the largest township (~6,000 rural households) takes a few minutes. The cap only
# keeps one job from running for hours; larger areas are printed village by village.
BATCH_MAX_HOUSEHOLDS = 20000


def place_name(area: Area) -> str:
    """泽林镇 / 泽林镇新港村"""
    if area.level == Level.VILLAGE and area.parent_id:
        return f"{area.parent.name}{area.name}"
    return area.name


def too_many(area: Area, count: int) -> str:
    return f"{place_name(area)}有{count}户，超过一次最多{BATCH_MAX_HOUSEHOLDS}户的上限，请按村分别生成"


def nothing_to_print(kind: str, area: Area) -> str:
    if kind == LeafletKind.ASSISTANCE:
        return f"{place_name(area)}没有监测对象（监测帮扶中的案件），无需打印帮扶政策明白纸"
    return f"{place_name(area)}没有在册农户，无需打印申报政策明白纸"


@job_handler(JOB_KIND, "批量生成明白纸", result_labels=RESULT_LABELS)
def generate_leaflets(job, ctx) -> dict:
    kind = ctx.params["kind"]
    if kind not in LeafletKind.values:
        raise ValidationError("未知的明白纸类型，请重新发起")
    area = Area.objects.select_related("parent").get(code=ctx.params["area"])
    if area.level not in BATCH_LEVELS or not in_scope(ctx.actor, area):
        raise ValidationError(f"“{area.name}”不在发起人的管辖范围内，请由负责该地的人员重新发起")
    printed_on = datetime.date.fromisoformat(ctx.params["printed_on"])
    ctx.progress(0, 0, "正在读取农户")
    households = list(batch_households(ctx.actor, kind, area))
    total = len(households)
    if not total:
        raise ValidationError(nothing_to_print(kind, area))
    if total > BATCH_MAX_HOUSEHOLDS:
        raise ValidationError(too_many(area, total))
    edition = Edition.of(kind, printed_on)
    ctx.progress(0, total, "正在排版明白纸")
    ctx.log(f"{place_name(area)}：{total}户，使用{edition.template.label}、{edition.policy.describe()}")

    def progress(done: int) -> None:  # after each chunk; the last one is followed by the merge
        ctx.progress(done, total, "正在排版明白纸" if done < total else "正在合并PDF文件")

    batch = batch_pdf(edition, households, progress=progress)
    ctx.progress(total, total, "正在保存PDF文件")
    ctx.save_result(filename(edition, place_name(area)), batch.pdf)
    if batch.overflowing:
        numbers = "、".join(h.number for h in batch.overflowing[:20])
        ctx.log(
            f"注意：{len(batch.overflowing)}户的明白纸超过一页（{numbers}），请精简模板正文或这些户的帮扶措施"
        )
    ctx.log(f"已生成：{total}户，{batch.pages}页")
    pages = batch.pages
    return {
        "kind": LeafletKind(kind).label,
        "area": place_name(area),
        "year": edition.year,
        "households": total,
        "pages": pages,
        "template": edition.template.label,
    }
