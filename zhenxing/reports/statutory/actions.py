"""The one write of the statutory exports: the audit row of an export with full ID numbers."""

import datetime

from django.db import transaction

from zhenxing.areas.models import Area
from zhenxing.audit import actions as audit
from zhenxing.audit.models import Kind
from zhenxing.reports.statutory.table import Report

ACTION = "export_statutory_report"


def record_full_id_export(actor, report: Report, area: Area, as_of: datetime.date, rows: int) -> None:
    """Audited as an export of personal data before the file is handed out; `actor` is None from the
    command line (the source, 命令行 or 后台任务, comes from `audit.context`)."""
    with transaction.atomic():
        audit.record(
            actor,
            ACTION,
            kind=Kind.EXPORT_PERSONAL,
            object_type="reports.statutory",
            object_id=report.name,
            object_label=f"{report.title}导出（含完整身份证号码）",
            area_code=area.code,
            changes={"report": report.name, "area": area.code, "as_of": as_of.isoformat(), "rows": rows},
        )
