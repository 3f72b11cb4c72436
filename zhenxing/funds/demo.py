"""A realistic 2024 of bridging funds for the demo district, written entirely through the actions.

`load_demo_funds(admin)` needs the demo villages (is_demo) and users acting as village cadre, township
officer and district officer: it creates its own demo staff through `accounts.actions` (the demo password,
no forced change, like the other demo logins) so every step is done by a different person, as the rules
require. Dates are in 2024, so run it any time after 2024.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from zhenxing.accounts import actions as account_actions
from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.funds import actions
from zhenxing.funds.models import Category, DistributionPurpose, FundSource, Project
from zhenxing.management.commands.demo import DEMO_PASSWORD

C, P, D = FundSource.CENTRAL, FundSource.PROVINCIAL, FundSource.DISTRICT
NAMES = {
    Category.INDUSTRY: [
        "高山茶园提质扩面",
        "油茶基地建设",
        "稻虾共作基地",
        "蔬菜大棚",
        "农产品冷链仓储",
        "食用菌产业园",
    ],
    Category.EMPLOYMENT: ["就业帮扶车间", "务工交通补助"],
    Category.CONSTRUCTION: ["人居环境整治", "村庄道路硬化"],
    Category.INFRASTRUCTURE: ["农田水利灌渠", "产业路建设"],
    Category.PUBLIC_SERVICE: ["村卫生室改造"],
}


def _staff(admin, username, role, area):
    """A demo login through `accounts.actions.create_user`, reused when it exists (the demo re-runs).

    Like the other demo logins: the demo password, and no forced password change at first login.
    """
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    with transaction.atomic():
        user, _ = account_actions.create_user(
            admin, account_actions.UserData(username, username, role, area), DEMO_PASSWORD
        )
        # Demo logins skip the first-login password change so every role can be tried at once.
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.must_change_password = False
    return user


def load_demo_funds(admin) -> dict:
    rng = random.Random(2024)
    county = admin.area if admin.area.level == Level.COUNTY else Area.objects.get(code=admin.area.code[:6])
    villages = list(
        Area.objects.within(county).filter(level=Level.VILLAGE, is_active=True).order_by("code")[:12]
    )
    if not villages:
        villages = list(Area.objects.within(county).filter(level=Level.TOWNSHIP).order_by("code")[:6])
    officer = _staff(admin, "demo_funds_officer", Role.DISTRICT_OFFICER, county)
    for source, amount, doc in (
        (C, "6000000", "鄂财农〔2024〕3号"),
        (P, "1500000", "鄂财农〔2024〕15号"),
        (D, "800000", "鄂城财〔2024〕8号"),
    ):
        actions.add_allocation(admin, 2024, source, Decimal(amount), doc, datetime.date(2024, 1, 20))
    projects: list[Project] = []
    n = 0
    for village in villages:
        township = village if village.level == Level.TOWNSHIP else village.parent
        cadre = _staff(admin, f"demo_cadre_{village.code}", Role.VILLAGE_CADRE, village)
        reviewer = _staff(admin, f"demo_township_{township.code}", Role.TOWNSHIP_OFFICER, township)
        for _ in range(3):
            category = [
                Category.INDUSTRY,
                Category.INDUSTRY,
                Category.INDUSTRY,
                Category.EMPLOYMENT,
                Category.CONSTRUCTION,
                Category.INFRASTRUCTURE,
                Category.PUBLIC_SERVICE,
            ][n % 7]
            central = Decimal(rng.randrange(20, 60) * 10000)
            data = actions.ProjectData(
                year=2024,
                name=f"{village.name}{rng.choice(NAMES[category])}",
                category=category,
                content="详见项目实施方案",
                area=village,
                period_start=datetime.date(2024, 3, 1),
                period_end=datetime.date(2024, 11, 30),
                responsible_unit=f"{township.name}人民政府",
                responsible_person="项目负责人",
                amounts={C: central, P: Decimal(rng.randrange(0, 5) * 10000)},
                is_leading_industry=category == Category.INDUSTRY and n % 4 != 0,
                performance_targets="带动脱贫户和监测户增收，年人均增收500元以上",
                linkage_mechanism="优先吸纳脱贫劳动力务工，村集体收益用于公益岗位",
            )
            project = actions.propose_project(cadre, data)
            n += 1
            stage = n % 8
            if stage == 1:
                continue  # waits for the township
            if stage == 2:
                actions.return_project(reviewer, project, "投资概算需细化")
                continue
            actions.review_at_township(reviewer, project)
            if stage == 3:
                continue  # waits for the county
            actions.approve_at_county(officer, project, datetime.date(2024, 2, 1), datetime.date(2024, 2, 10))
            if stage == 4:
                continue  # notice running
            actions.enter_library(officer, project, today=datetime.date(2024, 2, 11))
            projects.append(project)
    # The plan: central money mostly to industry, but leading industry below 60% is shown as failing.
    for i, project in enumerate(projects):
        for source in (C, P):
            amount = project.planned(source)
            if amount and actions.assigned(2024, source) + amount <= actions.allocated(2024, source):
                actions.set_plan_item(admin, 2024, project, source, amount)
        item = project.plan_items.filter(source=C).first()
        if item is None:
            continue
        share = Decimal("0.40") if i % 3 else Decimal("0.60")  # a third on schedule, the rest behind 55%
        actions.record_disbursement(
            admin,
            project,
            2024,
            C,
            datetime.date(2024, 4, 15),
            (item.amount * Decimal("0.30")).quantize(Decimal("0.01")),
            f"PZ2024-{i:03d}-1",
        )
        actions.record_disbursement(
            admin,
            project,
            2024,
            C,
            datetime.date(2024, 6, 20),
            (item.amount * (share - Decimal("0.30"))).quantize(Decimal("0.01")),
            f"PZ2024-{i:03d}-2",
        )
        actions.start_project(admin, project, datetime.date(2024, 3, 15))
        if i % 3 == 0:
            actions.complete_project(admin, project, datetime.date(2024, 10, 31))
            kind = "operating" if project.category == Category.INDUSTRY else "public"
            asset = actions.AssetData(
                project.name,
                kind,
                "village" if project.area.level == Level.VILLAGE else "township",
                item.amount,
                f"{project.area.name}村民委员会",
                "日常管护、运营和维修",
            )
            actions.accept_project(admin, project, datetime.date(2024, 11, 20), [asset])
    stations = []
    for i, village in enumerate([v for v in villages if v.level == Level.VILLAGE][:3]):
        station = actions.add_pv_station(
            admin,
            f"PV-{village.code}",
            f"{village.name}村级光伏电站",
            village,
            Decimal("60") + i * 20,
            datetime.date(2017, 6, 30),
        )
        for month in range(1, 13):
            kwh = Decimal(rng.randrange(4000, 9000))
            actions.record_pv_month(
                admin,
                station,
                datetime.date(2024, month, 1),
                kwh,
                (kwh * Decimal("0.75")).quantize(Decimal("0.01")),
            )
        actions.record_pv_distribution(
            admin,
            station,
            datetime.date(2024, 7, 1),
            DistributionPurpose.PUBLIC_JOBS,
            Decimal("20000.00"),
            "村级保洁、护路公益岗位工资",
        )
        actions.record_pv_distribution(
            admin,
            station,
            datetime.date(2024, 9, 1),
            DistributionPurpose.PUBLIC_WORKS,
            Decimal("8000.00"),
            "村内小型公益设施维修",
        )
        actions.record_pv_distribution(
            admin,
            station,
            datetime.date(2024, 12, 20),
            DistributionPurpose.REWARDS,
            Decimal("3000.00"),
            "人居环境评比奖励",
        )
        stations.append(station)
    return {"projects": n, "in_library": len(projects), "stations": len(stations)}
