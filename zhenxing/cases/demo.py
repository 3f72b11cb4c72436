"""The demo district's monitoring cases (防返贫动态监测), written entirely through the actions.

`load_demo_cases(admin, password)` needs the demo registry (`registry.demo.load_demo_registry`). It picks
the villages that show cases (the demo village cadre's first, then one village per township in turn,
until they hold enough low-income households), and in them, with a seeded random generator and dates
counted back from today (so every date is in the past, as the actions require):

- open leads from each channel, a few older than the home-check deadline; leads closed as not a risk;
  leads attached to a household's open case;
- cases at every identification step, on time and overdue, and one each: returned by the township,
  with an unanswered objection, with an unresolved 疑点 at the county step, on the green channel with
  a measure before approval, rejected by the village review, rejected by the county;
- monitored households of the three types (脱贫不稳定户 and 边缘易致贫户 typed from a registry income
  below the line, 突发严重困难户 from one above it with the event and its amount), with the village
  account as 帮扶责任人, measures matched to their risks, monthly visits (some overdue) and
  verification visits; households without labour stay monitored on 兜底 measures;
- households in the elimination procedure and eliminated households (identified 7+ months earlier, a
  latest-year income above the line: this year's, recorded through `registry.actions.record_income`
  for households typed from a low income; eliminations started in an earlier year go to 突发严重困难户,
  whose registry income is above the line already), one rollback and one relapse (a new case linked to
  the eliminated one).

Each step is taken by a user allowed to: village steps by a village cadre account of the village,
乡镇审核 and 公告 by a township officer of its township, 县级审定 and rollback by a district officer.
Where a village or township has no such account (with a usable password) one is created through
`accounts.actions.create_user` with the demo password. Counts scale with the registry (`rate` per 1,000
households, never below a minimum). Nothing is loaded when demo villages already have leads or cases.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from zhenxing.accounts import actions as account_actions
from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.attachments.actions import store_attachment
from zhenxing.cases import actions
from zhenxing.cases.models import (
    GUARANTEES,
    IDENTIFICATION_STEPS,
    Case,
    CaseStatus,
    Channel,
    Discrepancy,
    DiscrepancyKind,
    Lead,
    LeadStatus,
    Measure,
    MeasureCategory,
    MeasureStatus,
    MonitoringType,
    RiskType,
    Step,
    Visit,
)
from zhenxing.cases.rules import LABOUR_CAPABLE, months_between
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.actions import record_income
from zhenxing.registry.models import Household, HouseholdKind, IncomeYear, Membership, MonitoringStatus

SEED = 420704
# Cases go to as few villages as hold enough low-income households (at least MIN_CASE_VILLAGES): each
# village needs its own village cadre account (the notice is the village's), and each new account costs a
# password hash (~0.6 s with the production hasher).
MIN_CASE_VILLAGES = 3
# (per 1,000 demo households, minimum): about 1.2% of households get a case, as in the real district.
RATES = {
    "lead_recent": (0.4, 1),  # per channel
    "lead_overdue": (0.1, 1),  # per channel
    "lead_not_risk": (0.5, 2),
    "lead_attached": (0.1, 1),
    "identifying": (0.25, 1),  # per identification step, on time
    "identifying_overdue": (0.08, 1),  # per identification step
    "monitored": (5.5, 6),
    "no_labour": (0.3, 1),
    "eliminating": (0.1, 1),  # per elimination step
    "eliminated": (1.5, 3),
}
SUDDEN_SHARE = 0.15  # of monitored households: 突发严重困难户
OVERDUE_VISIT_SHARE = 0.12  # of monitored households: last visit longer ago than the interval
DISCREPANCY_SHARE = 0.1  # of identifications: a 疑点 found at comparison, resolved before review

# Days from the start of elimination to the day each step is due (as `eliminate` takes them, at most).
ELIMINATION_ENTRY = {
    Step.HOME_CHECK: 0,
    Step.REVIEW: 1,
    Step.NOTICE: 3,
    Step.TOWNSHIP: 9,
    Step.COUNTY: 10,
    Step.ANNOUNCEMENT: 12,
}
D = datetime.timedelta
CENT = Decimal("0.01")
TOWNSHIP_USERNAMES = {
    "420704001": "fenghuang",
    "420704002": "gulou",
    "420704003": "xishan",
    "420704004": "fankou",
    "420704100": "zelin",
    "420704101": "dushan",
    "420704102": "xinmiao",
    "420704103": "bishidu",
    "420704104": "tingzu",
    "420704105": "yanji",
    "420704106": "yangye",
    "420704107": "huahu",
    "420704108": "changgang",
    "420704200": "shawo",
}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯程曹袁邓彭柯"
GIVEN = ("建华", "志刚", "红梅", "海燕", "国强", "丽娟", "文斌", "春林", "小平", "秀英", "明辉", "德胜")

# Risk → what the lead says, the development measures and the one-off or continuing support.
LEAD_TEXT = {
    RiskType.ILLNESS: "家庭成员患病住院治疗，自付医疗费用较高，家庭收入减少",
    RiskType.EDUCATION: "子女就读高中（中职、大学），学费和生活费支出较大",
    RiskType.DISABILITY: "家庭成员残疾，需长期照料，家庭劳动力不足",
    RiskType.DISASTER: "汛期强降雨致房屋和农作物受损",
    RiskType.ACCIDENT: "家庭主要劳动力因意外事故受伤，暂时无法务工",
    RiskType.BUSINESS_FAILURE: "养殖项目因市场价格下跌亏损，投入难以收回",
    RiskType.UNSTABLE_EMPLOYMENT: "家庭务工人员返乡，务工收入明显减少",
    RiskType.LABOUR_SHORTAGE: "家庭成员年老体弱，缺少劳动力，收入来源单一",
    RiskType.HOUSING: "住房年久失修，经鉴定存在安全隐患",
    RiskType.WATER: "水源季节性断水，取水困难",
    RiskType.OTHER: "家庭收入不稳定，生活较困难",
}
# (category, content, responsible, amount, continuing)
MEASURES = {
    RiskType.ILLNESS: [
        (MeasureCategory.HEALTH, "落实医疗救助和大病保险倾斜支付", "区医疗保障局", 6000, False),
        (MeasureCategory.HEALTH, "家庭医生签约服务，慢病门诊用药报销", "镇卫生院", None, True),
    ],
    RiskType.EDUCATION: [
        (MeasureCategory.EDUCATION, "落实雨露计划职业教育补助（每学期1500元）", "区乡村振兴局", 3000, True),
        (MeasureCategory.EDUCATION, "落实国家助学金和学费减免", "区教育局", 2000, False),
    ],
    RiskType.DISABILITY: [
        (MeasureCategory.SAFETY_NET, "落实困难残疾人生活补贴和重度残疾人护理补贴", "区残联", 1800, True),
    ],
    RiskType.DISASTER: [
        (MeasureCategory.SAFETY_NET, "发放临时救助金", "区民政局", 3000, False),
        (MeasureCategory.HOUSING, "受损房屋维修加固", "区住房和城乡建设局", 15000, False),
    ],
    RiskType.ACCIDENT: [
        (MeasureCategory.SAFETY_NET, "发放临时救助金", "区民政局", 5000, False),
        (MeasureCategory.SOCIAL, "协调慈善总会开展社会救助", "区慈善总会", 3000, False),
    ],
    RiskType.BUSINESS_FAILURE: [
        (MeasureCategory.INDUSTRY, "落实产业发展奖补，调整种养结构", "区农业农村局", 4000, False),
        (MeasureCategory.MICROCREDIT, "办理小额信贷5万元（3年期，财政贴息）", "区农村商业银行", 50000, True),
    ],
    RiskType.UNSTABLE_EMPLOYMENT: [
        (MeasureCategory.EMPLOYMENT, "推荐到就业帮扶车间务工", "区人力资源和社会保障局", None, True),
        (MeasureCategory.EMPLOYMENT, "发放跨省务工一次性交通补贴", "区人力资源和社会保障局", 500, False),
    ],
    RiskType.LABOUR_SHORTAGE: [
        (MeasureCategory.PUBLIC_WELFARE_JOB, "安排村级保洁公益性岗位", "村民委员会", 6000, True),
    ],
    RiskType.HOUSING: [
        (MeasureCategory.HOUSING, "实施农村危房改造", "区住房和城乡建设局", 40000, False),
    ],
    RiskType.WATER: [
        (MeasureCategory.WATER, "接通集中供水管网入户", "区水利和湖泊局", 1200, False),
    ],
    RiskType.OTHER: [
        (MeasureCategory.EMPLOYMENT, "开展职业技能培训", "区人力资源和社会保障局", None, False),
    ],
}
DEVELOPMENT = (MeasureCategory.INDUSTRY, "发放种养殖产业奖补", "镇人民政府", 2000, False)
SAFETY_NET = [
    (MeasureCategory.SAFETY_NET, "纳入农村低保，按月发放低保金", "区民政局", 4800, True),
    (MeasureCategory.HEALTH, "落实城乡居民医保参保资助", "区医疗保障局", 380, False),
]
SUDDEN = {
    RiskType.ILLNESS: ("家庭成员突发重病住院手术，合规自付医疗费用较大", (30000, 80000)),
    RiskType.ACCIDENT: ("家庭主要劳动力因交通事故受伤，长期无法务工", (20000, 60000)),
    RiskType.DISASTER: ("强降雨引发内涝，房屋和养殖设施严重受损", (15000, 50000)),
}
DEPARTMENTS = {
    RiskType.ILLNESS: "区医疗保障局",
    RiskType.EDUCATION: "区教育局",
    RiskType.DISABILITY: "区残联",
    RiskType.DISASTER: "区应急管理局",
    RiskType.HOUSING: "区住房和城乡建设局",
    RiskType.UNSTABLE_EMPLOYMENT: "区人力资源和社会保障局",
}
VISIT_TEXT = (
    "走访了解家庭生产生活情况，帮扶措施落实正常",
    "宣讲帮扶政策，发放帮扶政策明白纸",
    "了解家庭成员务工和身体状况，收支情况无明显变化",
    "核对家庭收入和帮扶措施落实台账，群众对帮扶满意",
)
NOT_A_RISK = (
    "经入户核实，家庭成员已在县内稳定务工，人均纯收入高于监测范围，无返贫致贫风险",
    "经核实，医疗费用已由医保报销，家庭收支正常，不存在返贫致贫风险",
    "经核实，子女赡养到位，基本生活有保障，无风险",
)


def _usable(users):
    """Active accounts someone can log in to (the funds demo's staff have no usable password)."""
    return users.filter(is_active=True).exclude(password="").exclude(password__startswith="!")


def _count(key: str, scale: float) -> int:
    rate, minimum = RATES[key]
    return max(minimum, round(rate * scale))


def _pdf(title: str) -> bytes:
    """A one-page PDF saying what the scan stands for (ASCII: the base-14 fonts have no Chinese)."""
    text = f"BT /F1 18 Tf 72 760 Td (Zhenxing demo scan: {title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


CONSENT_PDF, MINUTES_PDF = _pdf("consent form"), _pdf("village review minutes")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


@dataclass
class _Home:
    """A candidate household: its latest registry income, whether anyone can work, its likely risks."""

    household: Household
    income: IncomeYear
    labour: bool
    risks: list[str] = field(default_factory=list)

    @property
    def lifted(self) -> bool:
        return self.household.kind == HouseholdKind.LIFTED


@dataclass
class _Plan:
    """When each identification step is taken, as days after the case is opened."""

    found: int
    taken: dict
    notice: tuple[int, int]  # start, end

    def entry(self, stage: str) -> int:
        """The day the case reaches `stage` (the day the step before was taken; the notice's end)."""
        if stage == Step.CONSENT:
            return 0
        if stage == Step.TOWNSHIP:
            return self.notice[1]
        order = [Step.CONSENT, Step.HOME_CHECK, Step.COMPARISON, Step.REVIEW, Step.NOTICE, Step.TOWNSHIP]
        order += [Step.COUNTY, Step.ANNOUNCEMENT, Step.DONE]
        return self.taken[order[order.index(stage) - 1]]


class _Loader:
    def __init__(self, admin, password: str, seed: int, today: datetime.date):
        self.admin, self.password, self.seed, self.today = admin, password, seed, today
        self.rng = random.Random(seed)
        self.created: list[User] = []
        self.staff: dict[tuple[str, str], User] = {}
        self.used: set[int] = set()
        self.district = Area.objects.get(level=Level.COUNTY)
        # The registry's latest income year and the lines of the years from it to today: "below" means
        # below every one of them (the home checks of these years), "above" above every one of them.
        self.registry_year = IncomeYear.objects.filter(household__area__is_demo=True).aggregate(Max("year"))[
            "year__max"
        ]
        first = min(self.registry_year or today.year, today.year - 1)
        lines = [policy_for(year)["monitoring_line"] for year in range(first, today.year + 1)]
        self.line, self.line_above = min(lines), max(lines)
        # Income recorded for eliminated households: the current year, the only one `record_income`
        # accepts for households the demo registered today (it counts members on 31 December).
        self.income_year = today.year

    # -- accounts -------------------------------------------------------------------------------------

    def _account(self, role: str, area: Area, username: str) -> User:
        key = (role, area.code)
        if key in self.staff:
            return self.staff[key]
        # The earliest account of the place: the demo's own login (cadre, zelin, officer) before the funds
        # demo's staff.
        user = _usable(User.objects.filter(role=role, area=area)).order_by("pk").first()
        if user is None:
            base, n = username, 1
            while User.objects.filter(username=username).exists():
                n += 1
                username = f"{base}{n}"
            names = random.Random(f"{self.seed}-{username}")
            full_name = names.choice(SURNAMES) + names.choice(GIVEN)
            user, _ = account_actions.create_user(
                self.admin, account_actions.UserData(username, full_name, role, area), self.password
            )
            # Demo logins skip the first-login password change, like the other demo accounts.
            User.objects.filter(pk=user.pk).update(must_change_password=False)
            user.must_change_password = False
            self.created.append(user)
        self.staff[key] = user
        return user

    def village(self, area: Area) -> User:
        return self._account(Role.VILLAGE_CADRE, area, f"cun{area.code[6:]}")

    def township(self, area: Area) -> User:
        township = area.parent
        return self._account(
            Role.TOWNSHIP_OFFICER, township, TOWNSHIP_USERNAMES.get(township.code, f"xz{township.code[6:]}")
        )

    def county(self) -> User:
        return self._account(Role.DISTRICT_OFFICER, self.district, "officer")

    # -- candidate households -------------------------------------------------------------------------

    def choose_villages(self, wanted: int) -> list[Area]:
        """Villages in order until they hold `wanted` households below the line (the households typed
        from a low income)."""
        villages = list(
            Area.objects.filter(level=Level.VILLAGE, is_demo=True, is_active=True, households__isnull=False)
            .distinct()
            .select_related("parent")
            .order_by("code")
        )
        accounts = _usable(User.objects.filter(role=Role.VILLAGE_CADRE)).order_by("pk")
        staffed = list(dict.fromkeys(accounts.values_list("area_id", flat=True)))
        # The demo cadre's village first; then one village of each township in turn, villages that
        # already have a village cadre account first (each new account costs a password hash).
        ordered = [v for v in villages if staffed and v.pk == staffed[0]]
        by_township: dict[str, list[Area]] = {}
        for v in sorted(villages, key=lambda v: (v.pk not in staffed, v.code)):
            if v not in ordered:
                by_township.setdefault(v.parent.code, []).append(v)
        while any(by_township.values()):
            for code in sorted(by_township):
                if by_township[code]:
                    ordered.append(by_township[code].pop(0))
        below = dict(
            IncomeYear.objects.filter(
                year=self.registry_year, net_income_per_capita__lt=self.line, household__is_active=True
            )
            .values_list("household__area_id")
            .annotate(n=Count("id"))
        )
        chosen, found = [], 0
        for village in ordered:
            if len(chosen) >= MIN_CASE_VILLAGES and found >= wanted:
                break
            chosen.append(village)
            found += below.get(village.pk, 0)
        return chosen

    def build_pools(self) -> None:
        households = list(
            Household.objects.filter(
                area__in=self.villages, is_active=True, monitoring_status=MonitoringStatus.NONE
            ).order_by("number")
        )
        latest = {
            income.household_id: income
            for income in IncomeYear.objects.filter(
                household__area__in=self.villages, year=self.registry_year
            )
        }
        members: dict[int, list] = {}
        for m in Membership.objects.filter(
            household__area__in=self.villages, end_date__isnull=True
        ).select_related("person"):
            members.setdefault(m.household_id, []).append(m.person)
        self.pools: dict[str, dict[int, list[_Home]]] = {
            k: {v.pk: [] for v in self.villages} for k in ("below", "no_labour", "above", "any")
        }
        for h in households:
            income = latest.get(h.pk)
            persons = members.get(h.pk, [])
            if income is None or not persons:
                continue
            labour = any(p.labour_capacity in LABOUR_CAPABLE for p in persons)
            home = _Home(h, income, labour, self.risks(persons, labour))
            pc = income.net_income_per_capita
            if pc < self.line:
                self.pools["below" if labour else "no_labour"][h.area_id].append(home)
            elif labour and self.line_above < pc < 2 * self.line_above:
                self.pools["above"][h.area_id].append(home)
            self.pools["any"][h.area_id].append(home)
        for pool in self.pools.values():
            for homes in pool.values():
                self.rng.shuffle(homes)
        self.turn = {k: 0 for k in self.pools}

    def risks(self, persons, labour: bool) -> list[str]:
        risks = []
        if any("患有大病" in p.health or "长期慢性病" in p.health for p in persons):
            risks.append(RiskType.ILLNESS)
        if any("残疾" in p.health for p in persons):
            risks.append(RiskType.DISABILITY)
        if any(p.schooling in ("高中", "中职", "高职", "本科及以上") for p in persons):
            risks.append(RiskType.EDUCATION)
        if not labour:
            risks.append(RiskType.LABOUR_SHORTAGE)
        if any(p.employment for p in persons):
            risks.append(RiskType.UNSTABLE_EMPLOYMENT)
        extra = (
            RiskType.BUSINESS_FAILURE,
            RiskType.DISASTER,
            RiskType.HOUSING,
            RiskType.WATER,
            RiskType.OTHER,
        )
        if not risks or self.rng.random() < 0.2:
            risks.append(self.rng.choice(extra))
        return risks[:3]

    def take(self, pool: str, *, village: Area | None = None, lifted: bool = False) -> _Home | None:
        """The next unused household of the pool: from `village`, else from the villages in turn."""
        order = [village.pk] if village else [v.pk for v in self.villages]
        start = 0 if village else self.turn[pool]
        for i in range(len(order)):
            homes = self.pools[pool][order[(start + i) % len(order)]]
            for home in homes:
                if home.household.pk not in self.used and (not lifted or home.lifted):
                    self.used.add(home.household.pk)
                    if not village:
                        self.turn[pool] = (start + i + 1) % len(order)
                    return home
        return None

    def take_typed(self, sudden: bool = False, **kw) -> tuple[_Home, bool] | None:
        """A household to identify and whether it is typed 突发严重困难户 (income above the line)."""
        home = None if sudden else self.take("below", **kw)
        if home is not None:
            return home, False
        home = self.take("above", **kw)
        return (home, True) if home is not None else None

    # -- dates ----------------------------------------------------------------------------------------

    def plan(self) -> _Plan:
        r = self.rng.randint
        taken, day = {}, r(0, 1)
        taken[Step.CONSENT] = day
        for step, low, high in ((Step.HOME_CHECK, 0, 1), (Step.COMPARISON, 1, 2), (Step.REVIEW, 1, 2)):
            day += r(low, high)
            taken[step] = day
        start = day + r(0, 1)
        end = start + r(5, 6)
        taken[Step.NOTICE] = start
        taken[Step.TOWNSHIP] = end + r(0, 1)
        taken[Step.COUNTY] = taken[Step.TOWNSHIP] + r(1, 2)
        taken[Step.ANNOUNCEMENT] = taken[Step.COUNTY] + r(0, 2)
        return _Plan(found=r(0, 1), taken=taken, notice=(start, end))

    def opened_for(self, plan: _Plan, stage: str, *, overdue: bool = False) -> datetime.date:
        """The opening day that puts the case at `stage` today or yesterday, or 3–6 weeks ago."""
        back = self.rng.randint(21, 45) if overdue else self.rng.randint(0, 1)
        return self.today - D(days=back + plan.entry(stage))

    # -- identification -------------------------------------------------------------------------------

    def lead(self, home: _Home, found: datetime.date, channel: str | None = None, risks=None) -> Lead:
        area = home.household.area
        risks = list(risks or home.risks)
        channel = channel or self.rng.choices(Channel.values, weights=(35, 40, 25))[0]
        main = risks[0]
        if channel == Channel.DEPARTMENT_WARNING:
            actor, found_by = self.county(), DEPARTMENTS.get(main, "区民政局")
            source_ref = f"YJ{found:%Y%m%d}{home.household.pk % 1000:03d}"
        elif channel == Channel.SELF_DECLARED:
            # Half come through the public portal (一码申报), half by word of mouth at the village.
            portal = self.rng.random() < 0.5
            actor, found_by = (None, "农户本人（一码申报）") if portal else (self.village(area), "户主本人")
            source_ref = ""
        else:
            actor = self.village(area)
            found_by, source_ref = actor.full_name, ""
        return actions.record_lead(
            actor,
            home.household,
            channel=channel,
            description=LEAD_TEXT[main],
            found_on=found,
            found_by=found_by,
            risk_types=risks,
            source_ref=source_ref,
        )

    def home_check(self, home: _Home, day: datetime.date, sudden: bool) -> actions.HomeCheck:
        income = home.income
        amounts = {
            k: str(getattr(income, k))
            for k in (
                "wage_income",
                "business_income",
                "property_income",
                "transfer_income",
                "production_costs",
            )
        }
        risks = list(home.risks)
        event, amount = "", None
        if sudden:
            main = self.rng.choice(list(SUDDEN))
            event, (low, high) = SUDDEN[main]
            amount = Decimal(self.rng.randrange(low, high, 100))
            risks = [main] + [r for r in risks if r != main][:2]
            kind = MonitoringType.SUDDEN_HARDSHIP
        else:
            kind = MonitoringType.UNSTABLE_LIFTED if home.lifted else MonitoringType.MARGINAL
        return actions.HomeCheck(
            checked_on=day,
            findings=f"入户核实：{LEAD_TEXT[risks[0]]}；已核对家庭成员、收入和支出情况",
            incomes=amounts,
            monitoring_type=kind,
            risk_types=risks,
            main_risk=risks[0],
            household_size=income.household_size,
            sudden_event=event,
            sudden_amount=amount,
        )

    def identify(
        self,
        home: _Home,
        until: str,
        *,
        sudden: bool = False,
        overdue: bool = False,
        opened: datetime.date | None = None,
        plan: _Plan | None = None,
        green: bool = False,
        discrepancy: tuple[str, str, str] | None = None,  # kind, detail, resolution ("" = unresolved)
        stop: str = "",  # "review_fails" | "returned" | "objection" | "county_rejects"
        channel: str | None = None,
    ) -> Case:
        """Open a case and take it through the identification steps before `until` (Step.DONE: all)."""
        plan = plan or self.plan()
        d0 = opened or self.opened_for(plan, until, overdue=overdue)
        on = {step: d0 + D(days=offset) for step, offset in plan.taken.items()}
        area = home.household.area
        v, t, c = self.village(area), self.township(area), self.county()
        risks = [RiskType.DISASTER] + [r for r in home.risks if r != RiskType.DISASTER][:2] if green else None
        lead = self.lead(home, d0 - D(days=plan.found), channel, risks)
        reason = "汛期房屋受损，基本生活困难，先行落实临时救助" if green else ""
        case = actions.open_case(v, lead, opened_on=d0, green_channel=green, green_channel_reason=reason)
        if green:
            self.measure(
                v, case, (MeasureCategory.SAFETY_NET, "先行发放临时救助金", "区民政局", 3000, False), d0
            )
        if until == Step.CONSENT:
            return case
        scan = store_attachment(v, ("承诺授权书.pdf", CONSENT_PDF), area, "scan")
        case = actions.record_consent(
            v, case, signed_on=on[Step.CONSENT], signer="户主本人", attachments=[scan]
        )
        if until == Step.HOME_CHECK:
            return case
        check = self.home_check(home, on[Step.HOME_CHECK], sudden)
        if green:
            check.risk_types, check.main_risk = lead.risk_types, RiskType.DISASTER
            if sudden:
                check.sudden_event, check.sudden_amount = SUDDEN[RiskType.DISASTER][0], Decimal("26000.00")
        case = actions.record_home_check(v, case, check)
        if until == Step.COMPARISON:
            return case
        if discrepancy is None and self.rng.random() < DISCREPANCY_SHARE:
            discrepancy = (
                DiscrepancyKind.VEHICLE,
                "家庭成员名下登记农用三轮车一辆",
                "经核实为农用车，用于生产经营，不影响认定",
            )
        found = [discrepancy[:2]] if discrepancy else []
        case = actions.record_comparison(
            v,
            case,
            compared_on=on[Step.COMPARISON],
            note="已与财政供养、车辆、不动产、市场主体、死亡人员数据比对",
            discrepancies=found,
        )
        if discrepancy and discrepancy[2]:
            item = Discrepancy.objects.get(case=case)
            actions.resolve_discrepancy(v, item, resolution=discrepancy[2], resolved_on=on[Step.COMPARISON])
        if until == Step.REVIEW:
            return case
        attendance = self.rng.randint(12, 30)
        votes_for = attendance // 3 if stop == "review_fails" else attendance - self.rng.randint(0, 2)
        minutes = store_attachment(v, ("民主评议会议记录.pdf", MINUTES_PDF), area, "scan")
        case = actions.record_review(
            v,
            case,
            held_on=on[Step.REVIEW],
            attendance=attendance,
            votes_for=votes_for,
            votes_against=attendance - votes_for - (1 if votes_for < attendance else 0),
            minutes=[minutes],
        )
        if stop == "review_fails" or until == Step.NOTICE:
            return case
        start, end = (d0 + D(days=day) for day in plan.notice)
        actions.publish_notice(v, case, start=start, end=end)
        case = Case.objects.get(pk=case.pk)
        if stop == "objection":
            actions.record_objection(
                v,
                case,
                received_on=min(end, self.today),
                content="有村民反映该户子女在外地务工收入较高，请核实",
            )
        if until == Step.TOWNSHIP:
            return case
        if stop == "returned":
            return actions.township_review(
                t,
                case,
                approve=False,
                reason="评议会议记录缺少参会人员签名，请补齐签名后重新报送",
                reviewed_on=on[Step.TOWNSHIP],
            )
        case = actions.township_review(t, case, approve=True, reason="同意", reviewed_on=on[Step.TOWNSHIP])
        if until == Step.COUNTY:
            return case
        if stop == "county_rejects":
            return actions.county_decision(
                c,
                case,
                decision=actions.REJECT,
                reason="经比对核实，家庭成员名下有城区商品房一套且稳定就业，家庭实际生活水平高于监测范围，不予认定",
                decided_on=on[Step.COUNTY],
            )
        case = actions.county_decision(
            c, case, decision=actions.APPROVE, reason="同意纳入监测", decided_on=on[Step.COUNTY]
        )
        if until == Step.ANNOUNCEMENT:
            return case
        return actions.announce(t, case, announced_on=on[Step.ANNOUNCEMENT])

    # -- monitoring -----------------------------------------------------------------------------------

    def measure(self, actor, case: Case, spec, start: datetime.date, *, finished_by=None) -> Measure:
        """One measure; one-off support is done within weeks, continuing support runs on (or ends at
        `finished_by`, for households leaving monitoring)."""
        category, content, responsible, amount, continuing = spec
        status, end = MeasureStatus.IN_PROGRESS, None
        if finished_by is not None:
            status, end = MeasureStatus.DONE, min(finished_by, start + D(days=self.rng.randint(10, 150)))
        elif not continuing:
            end = start + D(days=self.rng.randint(7, 45))
            status = MeasureStatus.DONE if end <= self.today else MeasureStatus.IN_PROGRESS
            end = end if status == MeasureStatus.DONE else None
        elif self.today - start < D(days=7):
            status = MeasureStatus.PLANNED
        return actions.add_measure(
            actor,
            case,
            actions.MeasureData(
                category=category,
                content=content,
                responsible=responsible,
                start_date=start,
                end_date=end,
                amount=Decimal(amount) if amount else None,
                status=status,
            ),
        )

    def plan_measures(self, case: Case, home: _Home) -> list:
        """一户一策: support for each risk found at the home check; 开发式帮扶 for households that can
        work, 兜底 for those that cannot."""
        if not home.labour:
            return list(SAFETY_NET)
        specs = [MEASURES[r][self.rng.randrange(len(MEASURES[r]))] for r in case.risk_types]
        specs = list(dict.fromkeys(specs))[:2]
        developing = (
            MeasureCategory.INDUSTRY,
            MeasureCategory.EMPLOYMENT,
            MeasureCategory.PUBLIC_WELFARE_JOB,
        )
        if not any(s[0] in developing + (MeasureCategory.MICROCREDIT,) for s in specs):
            specs.append(DEVELOPMENT)  # 有劳动能力：开发式帮扶
        return specs

    def guarantees(self, case: Case, secure: bool) -> dict:
        values = {key: True for key, _ in GUARANTEES}
        if not secure:
            values["housing"] = RiskType.HOUSING not in case.risk_types
            values["water"] = RiskType.WATER not in case.risk_types
        return values

    def visits(
        self,
        actor,
        case: Case,
        start: datetime.date,
        until: datetime.date,
        *,
        overdue: bool = False,
        settle: bool = False,
    ) -> None:
        """Monthly visits from `start` to `until` (the last within 20 days of it, or 40–90 days before
        when `overdue`); every sixth is a verification. `settle`: the last is a verification finding
        everything secure and the risks gone (ready for elimination)."""
        last = until - D(days=self.rng.randint(40, 90) if overdue else self.rng.randint(0, 20))
        days = []
        while last >= start:
            days.append(last)
            last -= D(days=self.rng.randint(24, 31))
        days.reverse()
        for i, day in enumerate(days):
            final = settle and i == len(days) - 1
            verify = final or i % 6 == 5
            data = actions.VisitData(visited_on=day, findings=VISIT_TEXT[i % len(VISIT_TEXT)])
            if verify:
                data.is_verification = True
                data.guarantees = self.guarantees(case, secure=final)
                data.income_stable = data.risks_resolved = final
                data.findings = (
                    "核实两不愁三保障及饮水安全均有保障，家庭收入持续稳定，原有风险已消除"
                    if final
                    else "核实两不愁三保障及饮水安全情况，家庭收入尚不稳定，继续落实帮扶措施"
                )
            actions.record_visit(actor, case, data)

    def monitor(
        self,
        case: Case,
        home: _Home,
        *,
        until: datetime.date | None = None,
        overdue: bool = False,
        settle: bool = False,
    ) -> Case:
        """帮扶责任人, the household plan (一户一策) and the visits from the announcement to `until`."""
        area = home.household.area
        v, t = self.village(area), self.township(area)
        announced = case.announced_on
        actions.assign_cadre(t, case, v, assigned_on=announced)
        end = until or self.today
        for spec in self.plan_measures(case, home):
            start = min(announced + D(days=self.rng.randint(2, 20)), end)
            self.measure(v, case, spec, start, finished_by=end if settle else None)
        self.visits(v, case, announced + D(days=5), end, overdue=overdue, settle=settle)
        return Case.objects.get(pk=case.pk)

    def ensure_income(self, home: _Home, started: datetime.date) -> None:
        """The latest income of a year up to `started` must be above the line (rule 21): households typed
        from a low income get this year's, wages up after the help, through `record_income`."""
        household = home.household
        latest = (
            IncomeYear.objects.filter(household=household, year__lte=started.year).order_by("-year").first()
        )
        if latest is not None and latest.net_income_per_capita > policy_for(latest.year)["monitoring_line"]:
            return
        # `record_income` counts the members on 31 December of the year: households the demo registry
        # registered today have none before this year, so only this year can be recorded.
        assert started.year == self.income_year, "eliminations of earlier years are typed 突发严重困难户"
        income, size = home.income, household.member_count
        line = policy_for(self.income_year)["monitoring_line"]
        target = (line * Decimal(self.rng.uniform(1.15, 1.6)) * size).quantize(CENT)
        amounts = {
            "wage_income": str(income.wage_income + max(target - income.net_income, Decimal(0))),
            "business_income": str(income.business_income),
            "property_income": str(income.property_income),
            "transfer_income": str(income.transfer_income),
            "production_costs": str(income.production_costs),
        }
        record_income(self.village(household.area), household, self.income_year, amounts)

    def eliminate(self, case: Case, home: _Home, started: datetime.date, until: str) -> Case:
        """The elimination procedure from `started` up to `until` (Step.DONE: eliminated)."""
        area = home.household.area
        v, t, c = self.village(area), self.township(area), self.county()
        r = self.rng.randint
        self.ensure_income(home, started)
        case = actions.start_elimination(v, case, started_on=started)
        if until == Step.HOME_CHECK:
            return case
        day = started + D(days=r(0, 1))
        check = actions.VisitData(
            visited_on=day,
            findings="风险消除入户核实：家庭收入持续稳定，两不愁三保障及饮水安全均有保障",
            guarantees=self.guarantees(case, secure=True),
            income_stable=True,
            risks_resolved=True,
        )
        case = actions.record_elimination_check(v, case, check)
        if until == Step.REVIEW:
            return case
        day += D(days=r(1, 2))
        attendance = r(12, 30)
        minutes = store_attachment(v, ("民主评议会议记录.pdf", MINUTES_PDF), area, "scan")
        case = actions.record_review(
            v,
            case,
            held_on=day,
            attendance=attendance,
            votes_for=attendance,
            votes_against=0,
            minutes=[minutes],
        )
        if until == Step.NOTICE:
            return case
        end = day + D(days=r(5, 6))
        actions.publish_notice(v, case, start=day, end=end)
        case = Case.objects.get(pk=case.pk)
        if until == Step.TOWNSHIP:
            return case
        day = end + D(days=r(0, 1))
        case = actions.township_review(t, case, approve=True, reason="同意风险消除", reviewed_on=day)
        if until == Step.COUNTY:
            return case
        day += D(days=r(1, 2))
        case = actions.county_decision(
            c, case, decision=actions.APPROVE, reason="同意风险消除", decided_on=day
        )
        if until == Step.ANNOUNCEMENT:
            return case
        return actions.announce(t, case, announced_on=day + D(days=r(0, 2)))

    def take_for_elimination(self, started: datetime.date, **kw) -> tuple[_Home, bool] | None:
        """A household for an elimination starting on `started`: one typed from a low income only when
        this year's income can be recorded for it (see `ensure_income`)."""
        if started.year == self.income_year:
            return self.take_typed(sudden=self.rng.random() < SUDDEN_SHARE, **kw)
        return self.take_typed(sudden=True, **kw)

    def eliminated_case(
        self, home: _Home, sudden: bool, started: datetime.date, until: str = Step.DONE
    ) -> Case:
        """Identified long enough before `started` (rule 20), helped and visited, then the elimination
        procedure from `started` up to `until`."""
        plan = self.plan()
        months = policy_for(started.year)["elimination_min_months"]
        identified = _add_months(started, -months) - D(days=self.rng.randint(5, 60))
        assert months_between(identified, started) >= months
        case = self.identify(
            home, Step.DONE, sudden=sudden, opened=identified - D(days=plan.taken[Step.COUNTY]), plan=plan
        )
        case = self.monitor(case, home, until=started - D(days=1), settle=True)
        return self.eliminate(case, home, started, until)

    def monitored_case(self, home: _Home, sudden: bool, opened: datetime.date, **kw) -> Case:
        case = self.identify(home, Step.DONE, sudden=sudden, opened=opened)
        return self.monitor(case, home, **kw)

    # -- the district ---------------------------------------------------------------------------------

    def run(self, households: int) -> None:
        scale = households / 1000
        # Households typed at a home check (most from a low income), plus those without labour.
        typed = (
            10
            + _count("monitored", scale)
            + _count("eliminated", scale)
            + 6 * _count("eliminating", scale)
            + 6 * (_count("identifying", scale) + _count("identifying_overdue", scale))
        )
        wanted = round(typed * (1 - SUDDEN_SHARE) * 1.3) + _count("no_labour", scale)
        self.villages = self.choose_villages(wanted)
        self.build_pools()
        self.specials()
        self.in_identification(scale)
        self.monitored(scale)
        self.eliminations(scale)
        self.leads(scale)

    def specials(self) -> None:
        """One of each situation worth showing, in the first village (the demo cadre's) if it can."""
        first = self.villages[0]
        # stop, identify up to, the day placed `back` days before today, back (min, max)
        for stop, until, day, back in (
            ("returned", Step.COUNTY, Step.TOWNSHIP, (0, 1)),  # the village must correct and resend
            ("objection", Step.TOWNSHIP, "notice_end", (1, 1)),  # the notice ended, objection unanswered
            ("review_fails", Step.NOTICE, Step.REVIEW, (2, 20)),
            ("county_rejects", Step.ANNOUNCEMENT, Step.COUNTY, (2, 20)),
        ):
            typed = self.take_typed(village=first) or self.take_typed()
            if typed is None:
                continue
            plan = self.plan()
            offset = plan.notice[1] if day == "notice_end" else plan.taken[day]
            opened = self.today - D(days=self.rng.randint(*back) + offset)
            discrepancy = (
                (
                    DiscrepancyKind.REAL_ESTATE,
                    "户主之子名下登记城区商品房一套",
                    "经核实属实，该房产为户主之子2022年购买",
                )
                if stop == "county_rejects"
                else None
            )
            self.identify(
                typed[0], until, sudden=typed[1], opened=opened, plan=plan, stop=stop, discrepancy=discrepancy
            )
        typed = self.take_typed(village=first) or self.take_typed()
        if typed is not None:  # an unresolved 疑点 holds the case at the county step
            self.identify(
                typed[0],
                Step.COUNTY,
                sudden=typed[1],
                discrepancy=(DiscrepancyKind.PUBLIC_PAYROLL, "户主之女为财政供养人员（区属事业单位）", ""),
            )
        typed = self.take_typed(village=first) or self.take_typed()
        if typed is not None:  # green channel: help first, the procedure runs on
            self.identify(typed[0], Step.REVIEW, sudden=typed[1], green=True)

    def in_identification(self, scale: float) -> None:
        for overdue in (False, True):
            count = _count("identifying_overdue" if overdue else "identifying", scale)
            for stage in IDENTIFICATION_STEPS:
                for i in range(count):
                    early = stage in (Step.CONSENT, Step.HOME_CHECK)
                    typed = (
                        (self.take("above"), False)
                        if early
                        else self.take_typed(sudden=self.rng.random() < SUDDEN_SHARE)
                    )
                    if typed is None or typed[0] is None:
                        continue
                    plan = self.plan()
                    opened = None
                    if stage == Step.TOWNSHIP and not overdue and i % 2 == 0:
                        # The notice is still running: it ends in 1–4 days.
                        opened = self.today + D(days=self.rng.randint(1, 4) - plan.notice[1])
                    self.identify(typed[0], stage, sudden=typed[1], overdue=overdue, plan=plan, opened=opened)

    def monitored(self, scale: float) -> None:
        count = _count("monitored", scale)
        late_seen = False  # at least one overdue visit, whatever the draws (the board shows it)
        for i in range(count):
            sudden = self.rng.random() < SUDDEN_SHARE
            lifted = self.take("below", lifted=True) if i == 0 else None  # one 脱贫不稳定户 at least
            typed = (lifted, False) if lifted else self.take_typed(sudden=sudden)
            if typed is None:
                break
            opened = self.today - D(days=self.rng.randint(20, 460))
            late = self.rng.random() < OVERDUE_VISIT_SHARE
            late_seen |= late
            self.monitored_case(
                typed[0], typed[1], opened, overdue=late or (i == count - 1 and not late_seen)
            )
        for _ in range(_count("no_labour", scale)):
            home = self.take("no_labour")
            if home is None:
                break
            self.monitored_case(home, False, self.today - D(days=self.rng.randint(250, 500)))
        cases = list(Case.objects.filter(status=CaseStatus.MONITORED, household__area__in=self.villages)[:50])
        for case in self.rng.sample(cases, min(len(cases), _count("lead_attached", scale))):
            home = _Home(case.household, None, True, list(case.risk_types))
            found = self.today - D(days=self.rng.randint(1, 20))
            lead = self.lead(home, found, Channel.DEPARTMENT_WARNING, [RiskType.ILLNESS])
            actions.attach_lead(self.village(case.area), lead, case, attached_on=found + D(days=1))

    def eliminations(self, scale: float) -> None:
        # Eliminated: the procedure started 1–10 months ago and took about two weeks.
        for _ in range(_count("eliminated", scale)):
            started = self.today - D(days=self.rng.randint(30, 300))
            typed = self.take_for_elimination(started)
            if typed is None:
                break
            self.eliminated_case(*typed, started)
        # In the procedure now: started so that each step is due today or yesterday.
        for stage, entry in ELIMINATION_ENTRY.items():
            for _ in range(_count("eliminating", scale)):
                started = self.today - D(days=self.rng.randint(0, 1) + entry)
                typed = self.take_for_elimination(started)
                if typed is None:
                    break
                self.eliminated_case(*typed, started, stage)
        # Rollback: eliminated, then back under monitoring on 低保 (兜底), with the reason.
        started = self.today - D(days=self.rng.randint(90, 300))
        typed = self.take_for_elimination(started, village=self.villages[0]) or self.take_for_elimination(
            started
        )
        if typed is not None:
            case = self.eliminated_case(*typed, started)
            back = case.eliminated_on + D(days=self.rng.randint(20, 60))
            case = actions.rollback(
                self.county(),
                case,
                reason="家庭成员再次住院，收入不稳定，需低保兜底持续帮扶",
                rolled_back_on=back,
            )
            v = self.village(case.area)
            self.measure(v, case, SAFETY_NET[0], back + D(days=3))
            self.visits(v, case, back + D(days=5), self.today)
        # Relapse: eliminated, then a new risk; the new case is linked to the old one.
        started = self.today - D(days=self.rng.randint(100, 300))
        typed = self.take_for_elimination(started, village=self.villages[0]) or self.take_for_elimination(
            started
        )
        if typed is not None:
            old = self.eliminated_case(*typed, started)
            home = typed[0]
            home.income = IncomeYear.objects.filter(household=home.household).order_by("-year").first()
            opened = max(old.eliminated_on + D(days=30), self.today - D(days=self.rng.randint(40, 80)))
            case = self.identify(home, Step.DONE, sudden=True, opened=opened, channel=Channel.CADRE_VISIT)
            self.monitor(case, home)

    def leads(self, scale: float) -> None:
        for channel in Channel.values:
            for overdue in (False, True):
                for _ in range(_count("lead_overdue" if overdue else "lead_recent", scale)):
                    home = self.take("any")
                    if home is None:
                        return
                    back = self.rng.randint(10, 40) if overdue else self.rng.randint(0, 1)
                    self.lead(home, self.today - D(days=back), channel)
        for i in range(_count("lead_not_risk", scale)):
            home = self.take("any")
            if home is None:
                return
            found = self.today - D(days=self.rng.randint(5, 200))
            lead = self.lead(home, found)
            actions.close_lead(
                self.village(home.household.area),
                lead,
                reason=NOT_A_RISK[i % len(NOT_A_RISK)],
                closed_on=min(self.today, found + D(days=self.rng.randint(1, 3))),
            )


def load_demo_cases(admin, password: str, *, seed: int = SEED) -> dict:
    """Generate the demo cases through the actions, in one transaction (all or nothing).

    `admin` creates the missing staff accounts, which get `password`. Nothing is written when demo
    villages already have leads or cases (running the demo again reuses them). Returns counts.
    """
    existing = Case.objects.filter(area__is_demo=True).count()
    leads = Lead.objects.filter(area__is_demo=True).count()
    if existing or leads:
        return {"skipped": True, **summary()}
    households = Household.objects.filter(area__is_demo=True, is_active=True).count()
    if not households:
        raise ValidationError("没有演示农户：请先运行 zhenxing demo 准备演示农户台账")
    loader = _Loader(admin, password, seed, timezone.localdate())
    with transaction.atomic():
        loader.run(households)
    return {
        "skipped": False,
        **summary(),
        "villages": len(loader.villages),
        "accounts": [u.username for u in loader.created],
    }


def summary() -> dict:
    """Counts of the demo villages' leads and cases, by status."""
    cases = Case.objects.filter(area__is_demo=True)
    leads = Lead.objects.filter(area__is_demo=True)
    return {
        "leads": leads.count(),
        "open_leads": leads.filter(status=LeadStatus.OPEN).count(),
        "cases": cases.count(),
        **{status: cases.filter(status=status).count() for status in CaseStatus.values},
        "measures": Measure.objects.filter(area__is_demo=True).count(),
        "visits": Visit.objects.filter(area__is_demo=True).count(),
    }


def describe(result: dict) -> str:
    """One Chinese line for the `zhenxing demo` output."""
    head = "演示监测案件已存在，直接使用：" if result["skipped"] else "演示监测案件："
    line = (
        f"{head}风险线索{result['leads']}条（待处理{result['open_leads']}条），"
        f"案件{result['cases']}件：识别认定中{result[CaseStatus.IDENTIFYING]}件，"
        f"监测帮扶中{result[CaseStatus.MONITORED]}户，风险消除程序中{result[CaseStatus.ELIMINATING]}户，"
        f"风险已消除{result[CaseStatus.ELIMINATED]}户，未纳入监测{result[CaseStatus.REJECTED]}件；"
        f"帮扶措施{result['measures']}项，走访{result['visits']}次"
    )
    if result.get("accounts"):
        shown = "、".join(result["accounts"][:5]) + ("等" if len(result["accounts"]) > 5 else "")
        line += f"；新建演示干部账号{len(result['accounts'])}个（{shown}，密码同上）"
    return line + "。"
