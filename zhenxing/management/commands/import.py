"""`zhenxing import KIND FILE`: the command-line side of the import pages.

Exit 0 with a summary when the file is clean and committed; exit 1 listing the errors when not
(nothing is written then). Imports made here are audited with source 命令行 and the acting user given
by --user (default: the first active district admin).
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.importing import commit_areas, validate_areas
from zhenxing.areas.models import Area, Level


class Command(BaseCommand):
    help = "导入数据文件：zhenxing import areas FILE"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, title="导入类型")
        areas = sub.add_parser("areas", help="村（社区）和村民小组：代码、名称、上级代码")
        areas.add_argument("file", type=Path)
        areas.add_argument("--user", help="记入审计日志的操作账号（默认：第一个区级管理员）")

    def handle(self, *args, **options):
        actor = self.actor(options.get("user"))
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"找不到文件：{path}")
        if options["kind"] == "areas":
            self.import_areas(actor, path)

    def actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True, role=Role.DISTRICT_ADMIN)
        user = users.filter(username=username).first() if username else users.order_by("pk").first()
        if user is None:
            raise CommandError("找不到可用的区级管理员账号，请用 --user 指定，或先创建区级管理员")
        return user

    def import_areas(self, actor: User, path: Path) -> None:
        county = Area.objects.get(level=Level.COUNTY)
        plan = validate_areas(path.read_bytes(), path.name, county)
        for notice in plan.notices:
            self.stdout.write(notice)
        if not plan.is_valid:
            for e in plan.errors:
                where = f"第{e.row}行 " if e.row else ""
                self.stderr.write(f"{where}{e.column + '：' if e.column else ''}{e.reason}")
            raise CommandError(f"文件有{len(plan.errors)}处错误，未导入任何数据")
        try:
            result = commit_areas(actor, plan)
        except ValidationError as e:
            raise CommandError(e.messages[0]) from None
        self.stdout.write(
            f"导入完成：新增{result['added']}个，更名{result['renamed']}个，无变化{result['unchanged']}个"
        )
