"""`zhenxing demo`: prepare the embedded demo of 鄂城区 (migrate, demo villages, one login per role).

Safe to run again: what exists is reused. Villages and groups it invents are flagged as demo data
(演示) since official village codes are not published in a package we can use.
"""

import random

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from zhenxing.accounts import actions as account_actions
from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Department, Role
from zhenxing.areas.models import Area, Level
from zhenxing.jobs.actions import claim_next_job, enqueue_job, run_job
from zhenxing.lib.staging import stage_upload
from zhenxing.lib.tabular import write_csv

DEMO_PASSWORD = "Zhenxing@2024"
SEED = 420704

# Stems for plausible village names of the 鄂东 lakeside plain; combined at random, marked 演示.
STEMS = (
    "新港 月山 长岭 胡湾 杨桥 石山 洪港 黄柏 太和 金山 周湾 刘畈 吴垴 李边 何湾 樊湖 沙塘 梅岭 桂花 竹林 "
    "雷山 高桥 陈庄 花园 泉塘 凉亭 白雉 程潮 塘角 峒山 百子 向阳 红星 光明 熊易 余湾 邓铺 戴家 新屋 "
    "曹湾 夏湾 燕矶 钮墩 张远 旭光 朱家 铁门 上洪 下洪 杜湾 池湖 徐桥 彭墩 柯营 严家 车湖 万山 芦湾"
).split()
GROUP_NAMES = ["第一村民小组", "第二村民小组", "第三村民小组", "第四村民小组"]

DEMO_USERS = [
    # username, full name, role, area code (None = county), department
    ("admin", "王建国", Role.DISTRICT_ADMIN, None, ""),
    ("officer", "李慧敏", Role.DISTRICT_OFFICER, None, ""),
    ("clerk", "赵医保", Role.DEPARTMENT_CLERK, None, Department.MEDICAL),
    ("inspector", "陈纪检", Role.INSPECTOR, None, ""),
    ("zelin", "周泽林", Role.TOWNSHIP_OFFICER, "420704100", ""),
    ("cadre", "胡村干", Role.VILLAGE_CADRE, "village", ""),
]


def demo_village_rows() -> list[list[str]]:
    """Deterministic villages (街道: 社区) and a few groups for every shipped township."""
    rng = random.Random(SEED)
    rows = []
    for township in Area.objects.filter(level=Level.TOWNSHIP).order_by("code"):
        is_street = township.name.endswith("街道")
        names = rng.sample(STEMS, rng.randint(6, 12))
        for i, stem in enumerate(names, start=1):
            code = f"{township.code}{'0' if is_street else '2'}{i:02d}"
            rows.append([code, stem + ("社区" if is_street else "村"), township.code])
            if i == 1:
                rows += [[f"{code}{g:03d}", name, code] for g, name in enumerate(GROUP_NAMES[:3], start=1)]
    return rows


class Command(BaseCommand):
    help = "准备演示数据：鄂城区的演示村、每个角色一个演示账号（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--households",
            type=int,
            default=30000,
            help="演示农户数（默认30000户，约9万人；可调小以加快首次准备）",
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if User.objects.filter(username="admin").exists():
            self.stdout.write("演示区划与账号已存在，直接使用。")
        else:
            self.load()
        admin = User.objects.get(username="admin")
        self.load_registry(admin, options["households"])
        self.load_funds(admin)
        self.load_cases(admin)
        self.load_screening()
        self.print_logins()

    def load_registry(self, admin, households: int) -> None:
        from zhenxing.audit.context import acting_via
        from zhenxing.audit.models import Source
        from zhenxing.registry.demo import load_demo_registry

        self.stdout.write(f"准备演示农户台账（{households}户，首次约需一两分钟）……")
        with acting_via(Source.IMPORT):
            result = load_demo_registry(admin, households)
        if result.get("skipped"):
            self.stdout.write(f"演示农户台账已存在：{result['households']}户，直接使用。")
        else:
            self.stdout.write(f"演示农户台账：{result}")

    def load_funds(self, admin) -> None:
        from zhenxing.funds.demo import load_demo_funds
        from zhenxing.funds.models import Project

        if Project.objects.exists():
            self.stdout.write("演示衔接资金项目已存在，直接使用。")
            return
        self.stdout.write(f"演示衔接资金项目：{load_demo_funds(admin)}")

    def load_cases(self, admin) -> None:
        from zhenxing.audit.context import acting_via
        from zhenxing.audit.models import Source
        from zhenxing.cases.demo import describe, load_demo_cases

        self.stdout.write("准备演示监测案件（风险线索、识别认定、帮扶、风险消除）……")
        with acting_via(Source.CLI):
            self.stdout.write(describe(load_demo_cases(admin, DEMO_PASSWORD)))

    def load_screening(self) -> None:
        from zhenxing.audit.context import acting_via
        from zhenxing.audit.models import Source
        from zhenxing.screening.demo import describe, load_demo_screening

        self.stdout.write("准备演示部门筛查（部门数据上传、筛查运行、预警分派与核实）……")
        with acting_via(Source.CLI):
            self.stdout.write(describe(load_demo_screening()))

    def load(self) -> None:
        county = Area.objects.get(level=Level.COUNTY)
        with transaction.atomic():
            admin, _ = account_actions.create_user(
                None,
                account_actions.UserData("admin", "王建国", Role.DISTRICT_ADMIN, county),
                password=DEMO_PASSWORD,
            )
            User.objects.filter(pk=admin.pk).update(must_change_password=False)
        # The villages go in the way a district loads its own: a file imported as a job.
        stored = stage_upload("演示村.csv", write_csv(["代码", "名称", "上级代码"], demo_village_rows()))
        enqueue_job(
            admin,
            "areas.import",
            {"stored_path": stored, "filename": "演示村.csv", "scope": county.code, "demo": True},
        )
        job = claim_next_job("demo")
        run_job(job, "demo")
        job.refresh_from_db()
        self.stdout.write(f"演示村导入：{job.get_status_display()} {job.result}")
        first_village = (
            Area.objects.filter(level=Level.VILLAGE, parent__code="420704100").order_by("code").first()
        )
        for username, full_name, role, code, department in DEMO_USERS[1:]:
            area = first_village if code == "village" else Area.objects.get(code=code or county.code)
            with transaction.atomic():
                user, _ = account_actions.create_user(
                    admin,
                    account_actions.UserData(username, full_name, role, area, department),
                    DEMO_PASSWORD,
                )
                # Demo logins skip the first-login password change so every role can be tried at once.
                User.objects.filter(pk=user.pk).update(must_change_password=False)

    def print_logins(self) -> None:
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for user in User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).select_related("area"):
            self.stdout.write(f"  {user.username:<10} {user.get_role_display()}（{user.area.full_name}）")
