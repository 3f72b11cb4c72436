"""`zhenxing import KIND FILE`: the command-line side of the import pages.

Exit 0 with a summary when the file is clean and committed; exit 1 listing the errors when not
(nothing is written then). Imports made here are audited with source 命令行 and the acting user given
by --user (default: the first active district admin).

`households` and `income` write the full error report (.xlsx) next to the file (or to --report) and
print its path and the first 20 errors; `--commit-valid` commits the households without errors and
still exits 1 when any were skipped.

`feed KIND FILE` stores a department feed (formats.md §3) the same way: `--user` may be a department
clerk of that kind's department or a district officer/admin (default: the first district admin);
`--commit-valid` stores the rows without errors and still exits 1 when any were skipped.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.importing import commit_areas, validate_areas
from zhenxing.areas.models import Area, Level
from zhenxing.registry import importing

SHOWN_ERRORS = 20
COMMIT_VALID_HELP = "只导入没有错误的户（有错误的户整户跳过，错误报告照常生成）；有户被跳过时仍以退出码1结束"


class Command(BaseCommand):
    help = "导入数据文件：zhenxing import areas|households|income|projects FILE，或 zhenxing import feed KIND FILE"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, title="导入类型")
        areas = sub.add_parser("areas", help="村（社区）和村民小组：代码、名称、上级代码")
        areas.add_argument("file", type=Path)
        areas.add_argument("--user", help="记入审计日志的操作账号（默认：第一个区级管理员）")
        projects = sub.add_parser("projects", help="衔接资金项目库（模板可在“项目库 → 导入项目库”页下载）")
        projects.add_argument("file", type=Path)
        projects.add_argument("--user", help="记入审计日志的操作账号（默认：第一个区级管理员）")
        for kind, text in (
            (
                "households",
                "户籍成员（每人一行）：户编号、行政区划代码、户类型、姓名、公民身份号码、与户主关系……",
            ),
            ("income", "家庭收入（每户每年一行）：户编号、年度、各项收入、生产经营性支出……"),
        ):
            parser_ = sub.add_parser(kind, help=text)
            parser_.add_argument("file", type=Path)
            parser_.add_argument("--commit-valid", action="store_true", help=COMMIT_VALID_HELP)
            parser_.add_argument("--user", help="记入审计日志的操作账号（默认：第一个区级管理员）")
            parser_.add_argument(
                "--report",
                type=Path,
                help="错误报告的保存位置（默认：与文件同目录的“<文件名>_错误报告.xlsx”）",
            )

        self.add_feed_arguments(sub)

    def add_feed_arguments(self, sub):
        from zhenxing.screening import feeds

        feed = sub.add_parser(
            "feed",
            help="部门数据（每条记录一行）：zhenxing import feed 类别 文件，类别为 " + "、".join(feeds.KINDS),
        )
        feed.add_argument(
            "feed_kind",
            metavar="KIND",
            choices=feeds.KINDS,
            help="数据类别：" + "、".join(f"{kind}（{label}）" for kind, label in feeds.LABELS.items()),
        )
        feed.add_argument("file", type=Path)
        feed.add_argument("--period", default="", help="数据期间，如 2024-11 或 2024年1-11月")
        feed.add_argument(
            "--commit-valid",
            action="store_true",
            help="只写入没有错误的行（错误报告照常生成）；有行被跳过时仍以退出码1结束",
        )
        feed.add_argument(
            "--user", help="上传人账号：该部门的填报员，或区级业务人员/管理员（默认：第一个区级管理员）"
        )
        feed.add_argument(
            "--report", type=Path, help="错误报告的保存位置（默认：与文件同目录的“<文件名>_错误报告.xlsx”）"
        )

    def handle(self, *args, **options):
        if options["kind"] == "feed":
            self.import_feed(options)
            return
        actor = self.actor(options.get("user"))
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"找不到文件：{path}")
        if options["kind"] == "areas":
            self.import_areas(actor, path)
        elif options["kind"] == "projects":
            self.import_projects(actor, path)
        else:
            self.import_registry(options["kind"], actor, path, options["commit_valid"], options["report"])

    def actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True, role=Role.DISTRICT_ADMIN)
        user = users.filter(username=username).first() if username else users.order_by("pk").first()
        if user is None:
            raise CommandError("找不到可用的区级管理员账号，请用 --user 指定，或先创建区级管理员")
        return user

    def import_projects(self, actor: User, path: Path) -> None:
        from zhenxing.funds.importing import commit_projects, validate_projects

        plan = validate_projects(path.read_bytes(), path.name, actor.area)
        for e in plan.errors:
            self.stderr.write(
                f"{f'第{e.row}行 ' if e.row else ''}{e.column + '：' if e.column else ''}{e.reason}"
            )
        if not plan.is_valid:
            raise CommandError(f"文件有{len(plan.errors)}处错误，未导入任何数据")
        try:
            created = commit_projects(actor, plan)
        except ValidationError as e:
            raise CommandError(e.messages[0]) from None
        self.stdout.write(f"导入完成：新增{len(created)}个项目（状态：村申报，待乡镇审核）")

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

    def import_registry(self, kind: str, actor: User, path: Path, commit_valid: bool, report: Path | None):
        label = importing.KINDS[kind]
        plan = importing.validate_file(kind, path.read_bytes(), path.name, actor.area)
        for notice in importing.all_notices(plan):
            self.stdout.write(notice)
        errors = importing.all_errors(plan)
        if errors:
            report = report or path.with_name(f"{path.stem}_错误报告.xlsx")
            report.write_bytes(importing.error_report(errors))
            summary = plan.summary()
            self.stderr.write(
                f"{label}文件有{len(errors)}处错误（涉及{summary['error_households']}户），错误报告：{report}"
            )
            for error in errors[:SHOWN_ERRORS]:
                self.stderr.write(error.line())
            if len(errors) > SHOWN_ERRORS:
                self.stderr.write(f"……其余{len(errors) - SHOWN_ERRORS}处见错误报告")
            if not commit_valid:
                raise CommandError(
                    "未导入任何数据：请按错误报告改正后重新导入，或加 --commit-valid 只导入没有错误的户",
                    returncode=1,
                )
        try:
            result = importing.commit_plan(kind, actor, plan, only_valid=commit_valid)
        except ValidationError as e:
            raise CommandError("；".join(e.messages), returncode=1) from None
        self.stdout.write(self.summary(kind, result))
        if result.get("skipped"):
            raise CommandError(
                f"有{result['skipped']}{'户' if kind == 'households' else '条'}因错误未导入，见错误报告",
                returncode=1,
            )

    @staticmethod
    def summary(kind: str, result: dict) -> str:
        if kind == "households":
            return (
                f"导入完成：新增{result['created']}户，更新{result['updated']}户，无变化{result['unchanged']}户，"
                f"写入{result['persons']}人"
            )
        text = f"导入完成：新增{result['created']}条年度收入，更新{result['updated']}条，无变化{result['unchanged']}条"
        if "households_created" in result:
            text += (
                f"；户籍成员新增{result['households_created']}户，更新{result['households_updated']}户，"
                f"无变化{result['households_unchanged']}户"
            )
        return text

    def import_feed(self, options) -> None:
        import hashlib

        from zhenxing.screening import feeds, permissions
        from zhenxing.screening.actions.feeds import commit_feed
        from zhenxing.screening.models import FeedUpload

        kind, path = options["feed_kind"], options["file"]
        actor = self.feed_actor(options.get("user"), kind)
        if not path.exists():
            raise CommandError(f"找不到文件：{path}")
        data = path.read_bytes()
        plan = feeds.validate_feed(kind, data, path.name)
        for notice in plan.notices:
            self.stdout.write(notice)
        label = f"{feeds.LABELS[kind]}数据"
        if plan.errors:
            report = options.get("report") or path.with_name(f"{path.stem}_错误报告.xlsx")
            report.write_bytes(importing.error_report(plan.errors))
            self.stderr.write(
                f"{label}文件有{len(plan.errors)}处错误（涉及{len(plan.error_rows())}行），错误报告：{report}"
            )
            for error in plan.errors[:SHOWN_ERRORS]:
                self.stderr.write(error.line())
            if len(plan.errors) > SHOWN_ERRORS:
                self.stderr.write(f"……其余{len(plan.errors) - SHOWN_ERRORS}处见错误报告")
            if not options["commit_valid"] or plan.has_file_error or not plan.rows:
                raise CommandError(
                    "未写入任何数据：请按错误报告改正后重新导入"
                    + (
                        ""
                        if plan.has_file_error or not plan.rows
                        else "，或加 --commit-valid 只写入没有错误的行"
                    ),
                    returncode=1,
                )
        if not permissions.may_upload(actor, kind):
            raise CommandError(
                f"用户 {actor.username} 不能上传{label}：部门填报员只能上传本部门的数据", returncode=1
            )
        try:
            upload = commit_feed(
                actor,
                kind,
                plan,
                source=FeedUpload.Source.FILE,
                file_name=path.name,
                sha256=hashlib.sha256(data).hexdigest(),
                period=options["period"],
                only_valid=options["commit_valid"],
            )
        except ValidationError as e:
            raise CommandError("；".join(e.messages), returncode=1) from None
        self.stdout.write(
            f"导入完成：{label}写入{upload.rows_total}行，匹配到农户{upload.rows_matched}行，"
            f"未匹配{upload.rows_unmatched}行（上传编号 {upload.public_id}）"
        )
        if plan.errors:
            raise CommandError(f"有{len(plan.error_rows())}行因错误未写入，见错误报告", returncode=1)

    def feed_actor(self, username: str | None, kind: str) -> User:
        from zhenxing.screening import permissions

        if username is None:
            return self.actor(None)
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"找不到启用的账号 {username}，请检查 --user", returncode=1)
        if not permissions.may_upload(user, kind):
            raise CommandError(
                f"账号 {username} 不能上传这类部门数据：部门填报员只能上传本部门的数据，"
                "其他角色须为区级业务人员或区级管理员",
                returncode=1,
            )
        return user
