"""Job handlers of the audit app: exporting the (filtered) log to `.xlsx`."""

from collections.abc import Iterator

from django.utils import timezone

from zhenxing.audit.display import summarize_changes
from zhenxing.audit.filters import AuditFilter, filter_entries, visible_entries
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.registry import job_handler
from zhenxing.lib.tabular import SheetSpec, write_xlsx

# Rows fetched per query. An entry is well under 2 KB with its changes, so a batch stays around a few
# MB in memory, and a million-row export takes a few hundred short queries (keyset, by id).
EXPORT_BATCH_SIZE = 2000

HEADERS = [
    "序号",
    "时间",
    "账号",
    "区划代码",
    "来源",
    "类别",
    "操作",
    "对象类型",
    "对象标识",
    "对象",
    "变更内容",
    "哈希",
]
WIDTHS = {"时间": 20, "区划代码": 14, "对象类型": 20, "对象标识": 38, "对象": 30, "变更内容": 60, "哈希": 66}


def export_row(entry: AuditEntry) -> list:
    return [
        entry.id,
        entry.at,
        entry.actor_username,
        entry.area_code,
        entry.get_source_display(),
        entry.get_kind_display(),
        entry.action_label,
        entry.object_type,
        entry.object_id,
        entry.object_label,
        summarize_changes(entry.changes),
        entry.hash,
    ]


def _batches(entries, size: int) -> Iterator[list[AuditEntry]]:
    """Newest first, in keyset batches (`id < last`), so no batch re-reads an offset."""
    last_id = None
    while True:
        batch = entries if last_id is None else entries.filter(id__lt=last_id)
        rows = list(batch.order_by("-id")[:size])
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


@job_handler("audit.export", "导出审计日志")
def export_audit_log(job, ctx) -> dict:
    """Write the entries matching `ctx.params` (an `AuditFilter.as_params()`) in the list page's order."""
    filters = AuditFilter.from_params(ctx.params)
    entries = filter_entries(visible_entries(ctx.actor), filters)
    # Rows appended while the export runs are left out, so the count and the file agree.
    newest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    entries = entries.filter(id__lte=newest)
    total = entries.count()
    ctx.progress(0, total, f"共 {total} 条记录待导出")
    written = 0

    def rows():
        nonlocal written
        for batch in _batches(entries, EXPORT_BATCH_SIZE):
            yield from (export_row(entry) for entry in batch)
            written += len(batch)
            ctx.progress(written, total, f"已导出 {written} / {total} 条")

    sheet = SheetSpec(name="审计日志", headers=HEADERS, rows=rows(), column_widths=WIDTHS)
    data = write_xlsx([sheet])
    ctx.log(f"导出审计日志 {written} 条，筛选条件：{filters.as_params() or '无'}")
    ctx.save_result(f"审计日志-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx", data)
    return {"rows": written}
