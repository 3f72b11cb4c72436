"""`zhenxing export warnings FILE.csv [--as-of YYYY-MM-DD]`: the screening warnings as CSV.

Columns: 预警编号, 规则, 户编号, 姓名, 公民身份号码 (masked), 风险类型, 状态, 期间, 核实结果 — the same as
the warning list's Excel export (`screening.exports`). With --as-of: the warnings raised on or before
that date, each with its state on that date. UTF-8 with BOM, so Chinese Excel opens it directly.
Exits 1 with the reason on a bad date or an unwritable file.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhenxing.lib.tabular import write_csv
from zhenxing.management.commands.screen import as_of_date
from zhenxing.screening import exports
from zhenxing.screening.models import Warning


class Command(BaseCommand):
    help = "导出数据文件：zhenxing export warnings FILE.csv [--as-of YYYY-MM-DD]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True, title="导出内容")
        warnings = sub.add_parser(
            "warnings", help="筛查预警：预警编号、规则、户编号、姓名、脱敏身份证号码、状态、核实结果……"
        )
        warnings.add_argument("file", type=Path)
        warnings.add_argument(
            "--as-of", dest="as_of", help="截至日期：只导出此前下发的预警，状态按当日情况（默认：现在）"
        )

    def handle(self, *args, what: str, file: Path, as_of=None, **options):
        day = as_of_date(as_of) if as_of else None
        if file.suffix.lower() != ".csv":
            raise CommandError(f"请导出为 .csv 文件，如 预警.csv（现为“{file.name}”）")
        if not file.parent.is_dir():
            raise CommandError(f"找不到目录：{file.parent}，请先创建")
        rows = list(exports.rows(Warning.objects.all(), day))
        try:
            file.write_bytes(write_csv(exports.HEADERS, rows))
        except OSError as e:
            raise CommandError(f"无法写入文件 {file}：{e.strerror}") from None
        when = f"（截至 {day:%Y-%m-%d}）" if day else ""
        self.stdout.write(f"已导出{len(rows)}条筛查预警{when}：{file}")
