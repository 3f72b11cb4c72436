"""`zhenxing report NAME [--as-of YYYY-MM-DD] [--area CODE] FILE.xlsx [--full-ids]`: a statutory export.

Writes the same workbook as the 统计报表 page (`reports.statutory.workbook`) for one area (default: the
whole district) as of a date (default: today). ID numbers are masked; `--full-ids` writes them in full and
records the export in the audit log (source 命令行). A bad report name, date, area or file name exits 1
with the reason and writes no file.
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhenxing.areas.models import Area
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Source
from zhenxing.management.commands.screen import as_of_date
from zhenxing.reports.statutory import actions
from zhenxing.reports.statutory.table import all_reports, chinese_date, get_report
from zhenxing.reports.statutory.workbook import build_workbook


def _names() -> str:
    return "、".join(f"{r.name}（{r.title}）" for r in all_reports())


class Command(BaseCommand):
    help = "生成统计报表（.xlsx）：zhenxing report NAME --as-of YYYY-MM-DD --area CODE FILE.xlsx [--full-ids]"

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"报表：{_names()}")
        parser.add_argument("file", type=Path, help="输出文件，如 监测对象台账.xlsx")
        parser.add_argument("--as-of", dest="as_of", help="截至日期（默认今天），如 2024-06-30")
        parser.add_argument("--area", help="区划代码：乡镇（街道）9位或村（社区）12位（默认全区）")
        parser.add_argument(
            "--full-ids", dest="full_ids", action="store_true", help="导出完整身份证号码（记入审计日志）"
        )

    def handle(self, *args, name: str, file: Path, as_of=None, area=None, full_ids=False, **options):
        report = get_report(name)
        if report is None:
            raise CommandError(f"没有名为“{name}”的报表，可选：{_names()}")
        day = as_of_date(as_of)
        today = timezone.localdate()
        if day > today:
            raise CommandError(f"截至日期不能晚于今天（{today:%Y-%m-%d}），现为 {day:%Y-%m-%d}")
        place = self._area(area)
        if file.suffix.lower() != ".xlsx":
            raise CommandError(f"请输出为 .xlsx 文件，如 {report.title}.xlsx（现为“{file.name}”）")
        if not file.parent.is_dir():
            raise CommandError(f"找不到目录：{file.parent}，请先创建")
        full = full_ids and report.has_id_numbers
        built = build_workbook(report, place, day, full)
        if full:
            with acting_via(Source.CLI):
                actions.record_full_id_export(None, report, place, day, built.rows)
        partial = file.with_name(file.name + ".part")
        try:
            partial.write_bytes(built.data)
            os.replace(partial, file)  # never a half-written workbook under the asked name
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise CommandError(f"无法写入文件 {file}：{e.strerror}") from None
        ids = "，含完整身份证号码（已记入审计日志）" if full else ""
        self.stdout.write(
            f"已生成{report.title}（{place.full_name}，截至{chinese_date(day)}）：{built.rows}{report.unit}{ids}，{file}"
        )

    def _area(self, code: str | None) -> Area:
        if not code:
            county = Area.objects.filter(parent__isnull=True).order_by("code").first()
            if county is None:
                raise CommandError("尚未载入区划，请先运行 zhenxing migrate")
            return county
        area = Area.objects.filter(code=code.strip()).first()
        if area is None:
            raise CommandError(f"找不到区划代码“{code}”，请填写乡镇（街道）9位或村（社区）12位统计用区划代码")
        return area
