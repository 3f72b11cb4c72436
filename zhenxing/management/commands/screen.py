"""`zhenxing screen [--as-of YYYY-MM-DD] [--backend duckdb|spark]`: one screening run, now, in this process.

Prints the hits of each enabled rule and the new warnings and 疑点 in Chinese; exits 1 with the reason
when the run is refused or fails (the run is then recorded as failed). The run is the platform's own
(no user; audited with source 命令行), like the monthly scheduled run.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhenxing.jobs.actions import error_message
from zhenxing.screening import runs
from zhenxing.screening.engine.rules import RULES
from zhenxing.screening.models import ScreeningRun


def as_of_date(text: str | None) -> datetime.date:
    if not text:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31") from None


class Command(BaseCommand):
    help = "按已启用的规则筛查一次部门数据并保存预警和疑点：zhenxing screen [--as-of YYYY-MM-DD] [--backend duckdb|spark]"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="筛查基准日（默认今天），如 2025-03-31")
        parser.add_argument(
            "--backend", choices=list(runs.BACKENDS), default="duckdb", help="计算引擎（默认 duckdb）"
        )

    def handle(self, *args, as_of=None, backend="duckdb", **options):
        day = as_of_date(as_of)
        try:
            run = runs.run_screening(None, as_of=day, backend=backend, trigger=ScreeningRun.Trigger.MANUAL)
        except ValidationError as e:
            raise CommandError(e.messages[0]) from None
        except Exception as e:
            raise CommandError(f"筛查失败：{error_message(e)}") from None
        self.stdout.write(f"筛查完成：基准日 {run.as_of:%Y-%m-%d}，计算引擎 {runs.BACKENDS[run.backend]}")
        for rule in RULES:  # definition order (PostgreSQL's jsonb does not keep the keys' order)
            if rule.key in run.counts:
                kind = "预警" if rule.kind == "warning" else "疑点"
                self.stdout.write(f"  {rule.label}（{kind}）：{run.counts[rule.key]} 户")
        self.stdout.write(
            f"命中合计 {sum(run.counts.values())} 户次；新增预警 {run.new_warnings} 条，新增疑点 {run.new_discrepancies} 条"
        )
