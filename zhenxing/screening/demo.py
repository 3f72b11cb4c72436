"""The demo district's department screening (部门筛查预警), written entirely through the actions.

`load_demo_screening()` needs the demo registry (`registry.demo.load_demo_registry`) and is meant to
run after the cases demo (`cases.demo.load_demo_cases`): the 疑点 checks look at the households it put
under monitoring or in identification, and the workflow uses the accounts it created or found. With a
seeded random generator and dates counted back from today it:

1. builds one file per department feed (formats.md §3) from the registry's current members — the ID
   numbers decrypted from the registry (`lib.personal.decrypt`) for the persons picked, so the rows match
   the way a department's rows do — plus a few rows with valid ID numbers that no registry person has
   (kept as unmatched). Most rows are ordinary; a few cross each default rule's threshold (formats.md
   §4): 个人自付 ≥ 5,000 in a 脱贫户 or monitored household and ≥ 20,000 elsewhere, school costs above
   10,000, dropouts, new 一级/二级 certificates, houses appraised C/D, disasters with large losses or
   collapsed houses, 失业/返乡 labour of 脱贫户 and monitored households, new 低保/特困 of households not
   monitored, and cars, flats, companies, public-payroll posts and deaths in households under monitoring
   or in identification (疑点). Row counts scale with the registry (`RATES`: per 1,000 households);
2. checks each file (`feeds.validate_feed`) and stores it (`actions.feeds.commit_feed`): the 医保 file by
   the medical department clerk, the others by the district officer. Each commit queues the screening of
   the households it matched (a `screening.run` job), which the worker of `zhenxing serve` runs;
3. runs the screening once as of today (`runs.run_screening`, DuckDB) as the district officer;
4. takes part of the warnings of the villages that have a village cadre account (and whose township has
   a township officer account) through the workflow: assigned by the township officer, verification
   started by the village account, closed as 纳入监测 (a lead, attached to an open case) or as 不纳入
   with a reason; the rest stay 待分派. A warning is raised on the day of the run and no step may be
   dated before the step it follows or after today, so every step is dated today and none is overdue.

Everything is written in one transaction (all or nothing). Nothing is loaded when a feed upload already
exists (running the demo again reuses it).
"""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Department, Role
from zhenxing.areas.models import Area, Level
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Source
from zhenxing.cases.models import Case, CaseStatus, Discrepancy
from zhenxing.lib import idnumbers, personal
from zhenxing.lib.tabular import write_csv
from zhenxing.registry.demo import NAME_CHARS, SURNAMES
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdKind,
    Membership,
    MonitoringStatus,
    Person,
    PersonStatus,
)
from zhenxing.screening import feeds
from zhenxing.screening.actions import warnings as actions
from zhenxing.screening.actions.feeds import commit_feed
from zhenxing.screening.models import FeedUpload, ScreeningRun, Warning, WarningResult, WarningStatus
from zhenxing.screening.runs import run_screening

SEED = 420704
D = datetime.timedelta

# (rows or persons per 1,000 demo households, minimum). "hit_*": households whose rows cross a rule's
# threshold; "near_*": rows that show a rule's limits without crossing them.
RATES = {
    "medical_patients": (30, 25),  # persons with settlements (1–5 each)
    "hit_medical_lifted": (0.8, 2),
    "hit_medical_other": (0.3, 1),
    "education_students": (40, 30),
    "hit_education_cost": (0.5, 2),
    "hit_education_dropout": (0.15, 1),
    "civil_ordinary": (5, 3),  # 低保 of ordinary households, begun years ago
    "civil_temporary": (4, 3),  # 临时救助 this year
    "hit_assistance_new": (0.3, 2),
    "near_assistance_monitored": (0.1, 1),  # new 低保 of a monitored household (兜底): no warning
    "disability_cards": (50, 10),  # at most, of the registry's disabled persons
    "hit_disability_new": (0.3, 2),
    "near_disability_minor": (0.2, 1),  # a new 三级/四级 card
    "housing_households": (20, 15),
    "hit_housing_unsafe": (0.4, 2),
    "near_housing_repaired": (0.1, 1),  # C or D, then B after 危房改造
    "emergency_households": (10, 10),
    "hit_disaster": (0.3, 2),
    "near_disaster_old": (0.1, 1),  # a large loss more than 12 months ago
    "employment_persons": (17, 12),  # three monthly rows each
    "hit_employment_loss": (0.5, 2),
    "near_employment_other": (0.2, 1),  # 返乡 of an ordinary household, or of 弱劳动力
    "police_rows": (8, 6),
    "hit_deceased": (0.2, 1),
    "payroll_rows": (5, 4),
    "hit_public_payroll": (0.2, 1),
    "vehicle_rows": (30, 20),
    "hit_vehicle": (0.6, 2),
    "real_estate_rows": (20, 15),
    "hit_real_estate": (0.4, 2),
    "business_rows": (10, 8),
    "hit_business": (0.2, 1),
    "near_checked": (0.3, 1),  # per 疑点 feed: a row of a checked household that is no 疑点
}
INCOME_RULES = ("income_below_line", "income_drop")  # raised from the registry's income, not a feed
UNMATCHED_SHARE = 0.02  # of each feed's rows: ID numbers no registry person has
# Of the warnings in villages with accounts: the share taken to each state (the rest stay 待分派).
WORKFLOW = (
    ("include", 0.08),
    ("exclude", 0.12),
    ("verifying", 0.12),
    ("assigned", 0.15),
)

STAGES_COST = ("高中", "中职", "高职", "本科及以上")
STAGES_COMPULSORY = ("小学", "初中")
SCHOOLS = {
    "高中": ("湖北省鄂州高级中学", "鄂州市第二中学", "鄂州市第三中学", "鄂州市泽林高级中学"),
    "中职": ("鄂州市中等职业技术学校", "鄂州市鄂城区职业技术学校", "湖北城市职业学校"),
    "高职": ("鄂州职业大学", "武汉职业技术学院", "黄冈职业技术学院", "湖北交通职业技术学院"),
    "本科及以上": (
        "湖北大学",
        "武汉理工大学",
        "湖北工业大学",
        "黄冈师范学院",
        "湖北经济学院",
        "湖北科技学院",
    ),
}
WORK_PLACES = {
    "省外务工": ("浙江省宁波市", "广东省东莞市", "江苏省苏州市", "上海市", "福建省晋江市", "广东省深圳市"),
    "省内县外务工": ("武汉市", "黄石市", "黄冈市", "武汉市东湖新技术开发区"),
    "县内务工": ("鄂州市葛店经济技术开发区", "鄂州市鄂城区", "鄂州临空经济区"),
}
DISABILITY_CATEGORIES = (
    ("肢体", 50),
    ("视力", 12),
    ("听力", 12),
    ("言语", 3),
    ("智力", 10),
    ("精神", 10),
    ("多重", 3),
)
EMPLOYERS = (
    "鄂州市鄂城区人民政府{town}",
    "鄂城区{town}中心小学",
    "鄂城区{town}初级中学",
    "鄂城区{town}卫生院",
    "鄂州市鄂城区人民医院",
    "鄂州市公安局鄂城分局",
    "鄂州市鄂城区农业农村局",
    "鄂州市中心医院",
)
STREETS = ("滨湖南路", "寒溪路", "吴都大道", "古楼街", "南浦路", "鄂城大道", "凤凰路", "澜湖路", "武昌大道")
ESTATES = ("滨湖花园", "江南名苑", "凤凰城", "吴都家园", "莲花山庄", "碧桂园", "洋澜湖壹号", "金色港湾")
BUSINESS_WORDS = ("农业", "水产养殖", "商贸", "建材", "物流", "餐饮", "种植", "农机服务", "电子商务", "家具")
VEHICLES = (("小型轿车", 45), ("货车", 8), ("农用车", 12), ("摩托车", 35))
# Regions of people a feed lists who are not in the district's registry (neighbours, people moved away).
OTHER_REGIONS = ("420704", "420702", "420703", "421102", "420115")

INCLUDE_REASON = "经入户核实，风险属实，转为风险线索，启动监测对象识别程序"
# Why a village closes a warning without monitoring, by the warning's risk type (the verification note).
EXCLUDE_REASONS = {
    "因病": "经入户核实，住院费用已由基本医保、大病保险和医疗救助报销大部分，家庭成员稳定务工，无返贫致贫风险",
    "因学": "经核实，学生已享受国家助学金和雨露计划补助，家庭收入稳定，教育支出可以承受",
    "因残": "经核实，已落实困难残疾人生活补贴和重度残疾人护理补贴，家庭有劳动力稳定务工，基本生活有保障",
    "住房安全": "经核实，该户已另建新房居住，鉴定为危房的旧房已不再住人，住房安全有保障",
    "因灾": "经核实，受灾损失已由农业保险理赔，家庭收入未受明显影响",
    "因务工就业不稳": "经核实，返乡人员已在本地企业重新就业，月收入稳定",
    "其他": "经核实，该户因临时困难纳入低保，家庭人均纯收入高于监测范围，暂不纳入监测，村里继续跟踪",
    "收入": "经入户核实，台账漏记外出务工收入，核实后家庭人均纯收入高于监测范围",
}


def _count(key: str, scale: float) -> int:
    rate, minimum = RATES[key]
    return max(minimum, round(rate * scale))


def _usable(users):
    """Active accounts someone can log in to (the funds demo's staff have no usable password)."""
    return users.filter(is_active=True).exclude(password="").exclude(password__startswith="!")


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(slots=True)
class _Member:
    person_id: int
    household_id: int
    area_id: int
    household_kind: str
    lifted_attribute: str
    monitoring: str
    is_head: bool
    name: str
    sex: str
    birth: datetime.date
    health: str
    schooling: str
    labour: str
    employment: str
    education: str
    token: str  # the encrypted ID number
    lifted_or_monitored: bool = False
    checked: bool = False  # under the 疑点 checks: monitored, or in identification
    age: int = 0


class _Loader:
    def __init__(self, seed: int, today: datetime.date):
        self.seed, self.today = seed, today
        self.planned: dict[str, set[int]] = {}  # rule → households it should raise
        self.ids: dict[int, str] = {}  # person pk → ID number

    # -- the registry ------------------------------------------------------------------------------------

    def load_members(self) -> None:
        identifying = set(
            Case.objects.filter(is_open=True, status=CaseStatus.IDENTIFYING, area__is_demo=True).values_list(
                "household_id", flat=True
            )
        )
        rows = (
            Membership.objects.filter(
                end_date__isnull=True,
                household__is_active=True,
                household__area__is_demo=True,
                person__status=PersonStatus.ACTIVE,
            )
            .order_by("household__number", "person__external_id", "person_id")
            .values_list(
                "person_id",
                "household_id",
                "household__area_id",
                "household__kind",
                "household__lifted_attribute",
                "household__monitoring_status",
                "relation",
                "person__name",
                "person__sex",
                "person__birth_date",
                "person__health",
                "person__schooling",
                "person__labour_capacity",
                "person__employment",
                "person__education",
                "person__id_number_encrypted",
            )
        )
        self.members: list[_Member] = []
        for row in rows.iterator(chunk_size=20_000):
            m = _Member(*row[:6], row[6] == HEAD, *row[7:])
            m.lifted_or_monitored = (
                m.household_kind == HouseholdKind.LIFTED or m.monitoring == MonitoringStatus.MONITORED
            )
            m.checked = m.monitoring == MonitoringStatus.MONITORED or m.household_id in identifying
            m.age = (
                self.today.year
                - m.birth.year
                - ((self.today.month, self.today.day) < (m.birth.month, m.birth.day))
            )
            self.members.append(m)
        self.heads = [m for m in self.members if m.is_head]
        self.households = len(self.heads)
        self.scale = self.households / 1000
        areas = Area.objects.filter(level=Level.VILLAGE, is_demo=True).select_related("parent")
        self.towns = {a.pk: a.parent.name for a in areas}

    def id_number(self, m: _Member) -> str:
        number = self.ids.get(m.person_id)
        if number is None:
            number = self.ids[m.person_id] = personal.decrypt(m.token)
        return number

    # -- picking -----------------------------------------------------------------------------------------

    def count(self, key: str) -> int:
        return _count(key, self.scale)

    @staticmethod
    def pick(rng, pool, k: int, *, weight=None, avoid: set[int] | None = None, distinct: bool = False):
        """Up to `k` members of `pool` drawn at random (in proportion to `weight`), never a person twice;
        `avoid` holds households left out, and `distinct` keeps one member per household (adding to
        `avoid`). A few draws usually suffice; when they do not, the rest of the pool is ordered."""
        chosen: list[_Member] = []
        if k <= 0 or not pool:
            return chosen
        homes = avoid if avoid is not None else set()
        seen: set[int] = set()

        def take(candidates) -> bool:
            for m in candidates:
                if m.person_id in seen or m.household_id in homes:
                    continue
                seen.add(m.person_id)
                chosen.append(m)
                if distinct:
                    homes.add(m.household_id)
                if len(chosen) == k:
                    return True
            return False

        draws = min(len(pool), 3 * k + 20)
        if weight is None:
            if take(rng.sample(pool, draws)):
                return chosen
            rest = [m for m in pool if m.person_id not in seen]
            rng.shuffle(rest)
        else:
            if take(rng.choices(pool, [weight(m) for m in pool], k=draws)):
                return chosen
            rest = sorted(
                (m for m in pool if m.person_id not in seen), key=lambda m: -(rng.random() ** (1 / weight(m)))
            )
        take(rest)
        return chosen

    def plan(self, rule: str, members) -> None:
        self.planned.setdefault(rule, set()).update(m.household_id for m in members)

    def day(self, rng, low: int, high: int) -> datetime.date:
        """A day `low`–`high` days before today."""
        return self.today - D(days=rng.randint(low, high))

    def unknown(self, rng, count: int) -> list[tuple[str, str]]:
        """(ID number, name) of people no registry person is: valid numbers, checked against the hashes."""
        found: list[tuple[str, str]] = []
        while len(found) < count:
            batch = []
            for _ in range(count - len(found)):
                born = datetime.date(1940, 1, 1) + D(days=rng.randint(0, 365 * 62))
                sex = rng.choice("男女")
                number = idnumbers.make(
                    rng.choice(OTHER_REGIONS), born, 2 * rng.randint(0, 499) + (1 if sex == "男" else 0)
                )
                cohort = 0 if born.year < 1960 else 1 if born.year < 1990 else 2
                firsts, seconds = NAME_CHARS[(sex, cohort)]
                name = (
                    SURNAMES[int(len(SURNAMES) * rng.random() ** 2.2)]
                    + rng.choice(firsts)
                    + rng.choice(seconds)
                )
                batch.append((number, name))
            hashes = {personal.lookup_hash(n): (n, name) for n, name in batch}
            known = set(Person.objects.filter(id_hash__in=list(hashes)).values_list("id_hash", flat=True))
            taken = {n for n, _ in found}
            found += [v for h, v in hashes.items() if h not in known and v[0] not in taken]
        return found[:count]

    def with_unknown(self, rng, rows: list[dict], make) -> list[dict]:
        """`rows` plus UNMATCHED_SHARE of rows for unknown people (`make(rng, id, name)` → a row)."""
        extra = [
            make(rng, number, name)
            for number, name in self.unknown(rng, max(1, round(len(rows) * UNMATCHED_SHARE)))
        ]
        return rows + extra

    def row(self, m: _Member, **data) -> dict:
        return {feeds.ID_KEY: self.id_number(m), feeds.NAME_KEY: m.name, **data}

    # -- the feeds ---------------------------------------------------------------------------------------

    def medical(self, rng) -> list[dict]:
        def weight(m: _Member) -> float:
            return 1 + 4 * ("患有大病" in m.health) + 2 * ("长期慢性病" in m.health) + 1.5 * (m.age >= 60)

        lifted = [m for m in self.members if m.lifted_or_monitored]
        other = [m for m in self.members if not m.lifted_or_monitored]
        hit_lifted = self.pick(rng, lifted, self.count("hit_medical_lifted"), weight=weight, distinct=True)
        hit_other = self.pick(rng, other, self.count("hit_medical_other"), weight=weight, distinct=True)
        self.plan("medical_lifted", hit_lifted)
        self.plan("medical_other", hit_other)
        taken = {m.person_id for m in hit_lifted + hit_other}
        rest = self.pick(
            rng,
            [m for m in self.members if m.person_id not in taken],
            self.count("medical_patients") - len(taken),
            weight=weight,
        )
        rows = []
        for m in hit_lifted:
            rows += self.settlements(rng, m, rng.randint(5_200_00, 28_000_00))
        for m in hit_other:
            rows += self.settlements(rng, m, rng.randint(21_000_00, 80_000_00))
        for m in rest:
            r = rng.random()
            if m.lifted_or_monitored:  # below 5,000 in all
                total = rng.randint(50_00, 1_500_00) if r < 0.7 else rng.randint(1_500_00, 4_900_00)
            else:  # below 20,000 in all
                total = (
                    rng.randint(50_00, 2_000_00)
                    if r < 0.7
                    else rng.randint(2_000_00, 8_000_00)
                    if r < 0.95
                    else rng.randint(8_000_00, 18_000_00)
                )
            rows += self.settlements(rng, m, total)

        def unknown(rng, number, name):
            self_pay = rng.randint(30_00, 3_000_00)
            return self.settlement(rng, number, name, self.day(rng, 1, 355), self_pay, False)

        rows = self.with_unknown(rng, rows, unknown)
        return sorted(rows, key=lambda r: r["settlement_date"])

    def settlements(self, rng, m: _Member, total: int) -> list[dict]:
        """1–5 settlements of `m` in the last 12 months whose 个人自付 add up to `total` cents exactly."""
        k = max(1, min(5, total // 40_00, int(rng.triangular(1, 5.99, 1.5))))
        weights = [rng.random() + 0.2 for _ in range(k)]
        parts = [int(total * w / sum(weights)) for w in weights]
        parts[0] += total - sum(parts)
        days = sorted({self.day(rng, 1, 355) for _ in range(k)})
        while len(days) < k:
            days.append(days[-1])
        return [
            self.settlement(rng, self.id_number(m), m.name, day, part, m.lifted_or_monitored)
            for day, part in zip(days, parts, strict=True)
        ]

    def settlement(self, rng, number, name, day, self_pay: int, assisted: bool) -> dict:
        inpatient = self_pay > 1_500_00 or (self_pay > 600_00 and rng.random() < 0.5)
        share = rng.uniform(0.18, 0.45) if inpatient else rng.uniform(0.35, 0.7)
        total = max(self_pay, round(self_pay / share))
        covered = total - self_pay
        critical = round(covered * rng.uniform(0.1, 0.25)) if inpatient and total > 30_000_00 else 0
        assistance = round((covered - critical) * rng.uniform(0.05, 0.15)) if inpatient and assisted else 0
        return {
            feeds.ID_KEY: number,
            feeds.NAME_KEY: name,
            "settlement_date": day.isoformat(),
            "visit_type": "住院" if inpatient else "门诊",
            "total_cost": _money(total),
            "basic_insurance": _money(covered - critical - assistance),
            "critical_illness_insurance": _money(critical),
            "medical_assistance": _money(assistance),
            "self_pay": _money(self_pay),
        }

    def school_year(self) -> str:
        start = self.today.year if self.today.month >= 9 else self.today.year - 1
        return f"{start}-{start + 1}"

    def school(self, rng, m: _Member | None, stage: str) -> str:
        if stage in STAGES_COMPULSORY:
            town = self.towns.get(m.area_id, "鄂城区") if m else "鄂城区"
            return f"鄂城区{town}{'中心小学' if stage == '小学' else '初级中学'}"
        return rng.choice(SCHOOLS[stage])

    def education(self, rng) -> list[dict]:
        students = [m for m in self.members if m.schooling in STAGES_COST + STAGES_COMPULSORY]
        costly = [m for m in students if m.schooling in STAGES_COST]
        young = [m for m in students if m.schooling in STAGES_COMPULSORY]
        hit_cost = self.pick(rng, costly, self.count("hit_education_cost"), distinct=True)
        hit_dropout = self.pick(rng, young, self.count("hit_education_dropout"), distinct=True)
        self.plan("education_cost", hit_cost)
        self.plan("education_dropout", hit_dropout)
        taken = {m.person_id for m in hit_cost + hit_dropout}
        rest = self.pick(
            rng,
            [m for m in students if m.person_id not in taken],
            self.count("education_students") - len(taken),
            weight=lambda m: 4 if m.lifted_or_monitored else 1,
        )
        year = self.school_year()
        rows = []
        costs, dropouts = {m.person_id for m in hit_cost}, {m.person_id for m in hit_dropout}
        for m in hit_cost + hit_dropout + rest:
            stage = m.schooling
            if m.person_id in costs:
                cost, status = rng.randrange(10_500_00, 24_000_00, 10_00), "在读"
            elif m.person_id in dropouts:
                cost, status = rng.randrange(0, 800_00, 10_00), "辍学"
            else:
                cost = (
                    rng.randrange(1_500_00, 9_800_00, 10_00)
                    if stage in STAGES_COST
                    else rng.randrange(0, 1_200_00, 10_00)
                )
                status = "休学" if rng.random() < 0.01 else "在读"
            rows.append(
                self.row(
                    m,
                    school_year=year,
                    stage=stage,
                    school=self.school(rng, m, stage),
                    enrolment_status=status,
                    personal_cost=_money(cost),
                )
            )

        def unknown(rng, number, name):
            stage = rng.choice(STAGES_COST + STAGES_COMPULSORY)
            cost = (
                rng.randrange(0, 1_000_00, 10_00)
                if stage in STAGES_COMPULSORY
                else rng.randrange(2_000_00, 9_000_00, 10_00)
            )
            return {
                feeds.ID_KEY: number,
                feeds.NAME_KEY: name,
                "school_year": year,
                "stage": stage,
                "school": self.school(rng, None, stage),
                "enrolment_status": "在读",
                "personal_cost": _money(cost),
            }

        rows = self.with_unknown(rng, rows, unknown)
        rng.shuffle(rows)
        return rows

    def civil_affairs(self, rng) -> list[dict]:
        window_start = 400  # days back: older than the 12-month window

        def since(m: _Member) -> datetime.date:
            return self.day(
                rng, window_start, max(window_start, (self.today - datetime.date(2015, 1, 1)).days)
            )

        def standing(m: _Member, kind: str) -> dict:
            start = since(m)
            amount = (
                rng.randrange(850_00, 1_100_00, 1_00)
                if kind == "特困"
                else rng.randrange(300_00, 650_00, 1_00)
            )
            ended = kind == "低保" and rng.random() < 0.1
            end = start + D(days=rng.randint(200, 1500)) if ended else None
            end = end if end is None or end < self.today else None
            return self.row(
                m,
                assistance_type=kind,
                start_date=start.isoformat(),
                end_date=end.isoformat() if end else None,
                monthly_amount=_money(amount),
            )

        rows = []
        used: set[int] = set()
        for m in self.heads:
            if m.lifted_attribute == "低保脱贫户":
                rows.append(standing(m, "低保"))
                used.add(m.household_id)
            elif m.lifted_attribute == "特困供养脱贫户":
                rows.append(standing(m, "特困"))
                used.add(m.household_id)
        ordinary = [m for m in self.heads if m.household_kind == HouseholdKind.ORDINARY]
        for m in self.pick(rng, ordinary, self.count("civil_ordinary"), avoid=used, distinct=True):
            rows.append(standing(m, "低保"))

        def weight(m: _Member) -> float:
            return 1 + 2 * (m.labour in ("无劳动力", "丧失劳动力")) + 2 * ("患有大病" in m.health)

        none = [m for m in self.heads if m.monitoring == MonitoringStatus.NONE]
        hits = self.pick(
            rng, none, self.count("hit_assistance_new"), weight=weight, avoid=used, distinct=True
        )
        self.plan("assistance_new", hits)
        for m in hits:
            kind = "特困" if m.labour == "无劳动力" and m.age >= 60 and rng.random() < 0.5 else "低保"
            amount = (
                rng.randrange(850_00, 1_100_00, 1_00)
                if kind == "特困"
                else rng.randrange(300_00, 650_00, 1_00)
            )
            rows.append(
                self.row(
                    m,
                    assistance_type=kind,
                    start_date=self.day(rng, 20, 330).isoformat(),
                    end_date=None,
                    monthly_amount=_money(amount),
                )
            )
        monitored = [m for m in self.heads if m.monitoring == MonitoringStatus.MONITORED]
        for m in self.pick(
            rng, monitored, self.count("near_assistance_monitored"), avoid=used, distinct=True
        ):
            rows.append(
                self.row(
                    m,
                    assistance_type="低保",
                    start_date=self.day(rng, 20, 200).isoformat(),
                    end_date=None,
                    monthly_amount=_money(rng.randrange(300_00, 650_00, 1_00)),
                )
            )
        for m in self.pick(rng, self.heads, self.count("civil_temporary"), avoid=used, distinct=True):
            day = self.day(rng, 5, 340)
            rows.append(
                self.row(
                    m,
                    assistance_type="临时救助",
                    start_date=day.isoformat(),
                    end_date=day.isoformat(),
                    monthly_amount=_money(rng.randrange(500_00, 3_000_00, 100_00)),
                )
            )

        def unknown(rng, number, name):
            start = self.day(rng, window_start, 3000)
            return {
                feeds.ID_KEY: number,
                feeds.NAME_KEY: name,
                "assistance_type": "低保",
                "start_date": start.isoformat(),
                "end_date": None,
                "monthly_amount": _money(rng.randrange(300_00, 650_00, 1_00)),
            }

        rows = self.with_unknown(rng, rows, unknown)
        return sorted(rows, key=lambda r: r["start_date"])

    def card(self, rng, m: _Member, grade: str, day: datetime.date) -> dict:
        categories, weights = zip(*DISABILITY_CATEGORIES, strict=True)
        return self.row(
            m,
            disability_category=rng.choices(categories, weights)[0],
            disability_grade=grade,
            issue_date=day.isoformat(),
        )

    def disability(self, rng) -> list[dict]:
        old_enough = 400  # days back: outside the 12-month window
        disabled = [m for m in self.members if "残疾" in m.health]
        hits = self.pick(
            rng,
            [m for m in self.members if "残疾" not in m.health and m.age >= 30],
            self.count("hit_disability_new"),
            weight=lambda m: 1 + 3 * ("患有大病" in m.health) + (m.age >= 60),
            distinct=True,
        )
        self.plan("disability_new", hits)
        rows = [self.card(rng, m, rng.choice(("一级", "二级")), self.day(rng, 10, 330)) for m in hits]
        for m in self.pick(rng, disabled, self.count("disability_cards")):
            earliest = max(datetime.date(2008, 1, 1), m.birth + D(days=365))
            span = (self.today - D(days=old_enough) - earliest).days
            if span < 0:
                continue
            grade = rng.choices(("一级", "二级", "三级", "四级"), (8, 17, 35, 40))[0]
            rows.append(self.card(rng, m, grade, earliest + D(days=rng.randint(0, span))))
        minor = self.pick(
            rng,
            [m for m in self.members if m.age >= 20],
            self.count("near_disability_minor"),
            avoid={m.household_id for m in hits},
        )
        rows += [self.card(rng, m, rng.choice(("三级", "四级")), self.day(rng, 10, 330)) for m in minor]

        def unknown(rng, number, name):
            return {
                feeds.ID_KEY: number,
                feeds.NAME_KEY: name,
                "disability_category": "肢体",
                "disability_grade": rng.choice(("三级", "四级")),
                "issue_date": self.day(rng, old_enough, 4000).isoformat(),
            }

        return self.with_unknown(rng, rows, unknown)

    def housing(self, rng) -> list[dict]:
        used: set[int] = set()

        def weight(m: _Member) -> float:
            return 3 if m.lifted_or_monitored else 1

        hits = self.pick(
            rng, self.heads, self.count("hit_housing_unsafe"), weight=weight, avoid=used, distinct=True
        )
        self.plan("housing_unsafe", hits)
        rows = []
        for m in hits:
            grade = "C" if rng.random() < 0.7 else "D"
            rows.append(
                {
                    feeds.ID_KEY: self.id_number(m),
                    "appraisal_date": self.day(rng, 10, 330).isoformat(),
                    "safety_grade": grade,
                }
            )
        for m in self.pick(
            rng, self.heads, self.count("near_housing_repaired"), weight=weight, avoid=used, distinct=True
        ):
            before, after = self.day(rng, 500, 700), self.day(rng, 30, 300)
            rows.append(
                {
                    feeds.ID_KEY: self.id_number(m),
                    "appraisal_date": before.isoformat(),
                    "safety_grade": rng.choice("CD"),
                }
            )
            rows.append(
                {feeds.ID_KEY: self.id_number(m), "appraisal_date": after.isoformat(), "safety_grade": "B"}
            )
        for m in self.pick(
            rng, self.heads, self.count("housing_households"), weight=weight, avoid=used, distinct=True
        ):
            grade = "A" if rng.random() < 0.4 else "B"
            rows.append(
                {
                    feeds.ID_KEY: self.id_number(m),
                    "appraisal_date": self.day(rng, 30, 700).isoformat(),
                    "safety_grade": grade,
                }
            )

        def unknown(rng, number, name):
            return {
                feeds.ID_KEY: number,
                "appraisal_date": self.day(rng, 30, 700).isoformat(),
                "safety_grade": "B",
            }

        rows = self.with_unknown(rng, rows, unknown)
        return sorted(rows, key=lambda r: r["appraisal_date"])

    def emergency(self, rng) -> list[dict]:
        # The year's disasters (type, days back) and, more than 12 months ago, last year's flood.
        events = (
            ("洪涝灾害", rng.randint(120, 160)),
            ("风雹灾害", rng.randint(200, 240)),
            ("低温冷冻和雪灾", rng.randint(280, 320)),
        )
        old_flood = ("洪涝灾害", rng.randint(470, 520))
        used: set[int] = set()

        def row(m_or_number, event, loss: int, damage: str) -> dict:
            number = m_or_number if isinstance(m_or_number, str) else self.id_number(m_or_number)
            return {
                feeds.ID_KEY: number,
                "disaster_type": event[0],
                "occurrence_date": (self.today - D(days=event[1])).isoformat(),
                "direct_loss": _money(loss),
                "house_damage": damage,
            }

        hits = self.pick(rng, self.heads, self.count("hit_disaster"), avoid=used, distinct=True)
        self.plan("disaster", hits)
        rows = []
        for m in hits:
            if rng.random() < 0.6:
                rows.append(
                    row(
                        m,
                        events[0],
                        rng.randrange(12_000_00, 60_000_00, 100_00),
                        rng.choice(("一般损坏", "严重损坏")),
                    )
                )
            else:
                rows.append(
                    row(
                        m,
                        rng.choice(events),
                        rng.randrange(4_000_00, 9_000_00, 100_00),
                        rng.choice(("严重损坏", "倒塌")),
                    )
                )
        for m in self.pick(rng, self.heads, self.count("near_disaster_old"), avoid=used, distinct=True):
            rows.append(row(m, old_flood, rng.randrange(15_000_00, 40_000_00, 100_00), "严重损坏"))
        for m in self.pick(rng, self.heads, self.count("emergency_households"), avoid=used, distinct=True):
            event = rng.choices(events + (old_flood,), (5, 2, 2, 2))[0]
            damage = "一般损坏" if rng.random() < 0.3 else "无"
            rows.append(row(m, event, rng.randrange(300_00, 8_000_00, 50_00), damage))

        def unknown(rng, number, name):
            return row(number, events[0], rng.randrange(300_00, 5_000_00, 50_00), "无")

        rows = self.with_unknown(rng, rows, unknown)
        return sorted(rows, key=lambda r: r["occurrence_date"])

    def months(self) -> list[str]:
        """The three statistical months ending with this month (the default 3-month window)."""
        year, month = self.today.year, self.today.month
        found = []
        for _ in range(3):
            found.append(f"{year}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return found[::-1]

    def employment(self, rng) -> list[dict]:
        capable = ("普通劳动力", "技能劳动力")
        working = [
            m for m in self.members if 16 <= m.age <= 64 and m.labour in (*capable, "弱劳动力或半劳动力")
        ]
        lifted_capable = [m for m in working if m.lifted_or_monitored and m.labour in capable]
        hits = self.pick(rng, lifted_capable, self.count("hit_employment_loss"), distinct=True)
        self.plan("employment_loss", hits)
        hit_homes = {m.household_id for m in hits}
        near = self.pick(
            rng,
            [m for m in working if not m.lifted_or_monitored or m.labour not in capable],
            self.count("near_employment_other"),
            avoid=set(hit_homes),
        )
        taken = {m.person_id for m in hits + near}
        rest = self.pick(
            rng,
            [m for m in working if m.person_id not in taken and (m.employment or m.lifted_or_monitored)],
            self.count("employment_persons") - len(taken),
            weight=lambda m: 6 if m.lifted_or_monitored else 1,
        )
        months = self.months()
        rows = []

        def place(m: _Member | None) -> str:
            kind = (m.employment if m else "") or "县内务工"
            return rng.choice(WORK_PLACES.get(kind, WORK_PLACES["县内务工"]))  # e.g. 乡镇内务工: near home

        losing = {m.person_id for m in hits + near}
        for m in hits + near + rest:
            status = ["务工", "务工", "务工"]
            if m.person_id in losing:
                lost = rng.choice(("失业", "返乡"))
                status[rng.choice((1, 2))] = lost
                if status[1] == lost:
                    status[2] = lost if rng.random() < 0.5 else "务工"
            elif m.labour == "弱劳动力或半劳动力" and rng.random() < 0.4:
                status = ["公益性岗位"] * 3
            where = place(m)
            for month, state in zip(months, status, strict=True):
                if state == "公益性岗位":
                    here = f"鄂城区{self.towns.get(m.area_id, '')}"
                elif state == "务工":
                    here = where
                else:
                    here = ""
                rows.append(self.row(m, stat_month=month, employment_status=state, work_place=here))

        def unknown(rng, number, name):
            return {
                feeds.ID_KEY: number,
                feeds.NAME_KEY: name,
                "stat_month": months[-1],
                "employment_status": "务工",
                "work_place": place(None),
            }

        rows = self.with_unknown(rng, rows, unknown)
        return sorted(rows, key=lambda r: r["stat_month"])

    def police(self, rng) -> list[dict]:
        checked = [m for m in self.members if m.checked]
        hits = self.pick(
            rng, checked, self.count("hit_deceased"), weight=lambda m: 1 + 4 * (m.age >= 70), distinct=True
        )
        self.plan("deceased", hits)
        rows = [
            self.row(m, registration_status="死亡", change_date=self.day(rng, 5, 200).isoformat())
            for m in hits
        ]
        unchecked = [m for m in self.members if not m.checked]
        total = self.count("police_rows")
        old = self.pick(rng, [m for m in unchecked if m.age >= 75], round(total * 0.3))
        rows += [
            self.row(m, registration_status="死亡", change_date=self.day(rng, 5, 300).isoformat())
            for m in old
        ]
        moving = self.pick(
            rng,
            [m for m in self.members if 18 <= m.age <= 35 and m.person_id not in {h.person_id for h in hits}],
            total - len(old),
        )
        rows += [
            self.row(m, registration_status="迁出", change_date=self.day(rng, 5, 300).isoformat())
            for m in moving
        ]

        def unknown(rng, number, name):
            return {
                feeds.ID_KEY: number,
                feeds.NAME_KEY: name,
                "registration_status": "迁出",
                "change_date": self.day(rng, 5, 300).isoformat(),
            }

        rows = self.with_unknown(rng, rows, unknown)
        return sorted(rows, key=lambda r: r["change_date"])

    def public_payroll(self, rng) -> list[dict]:
        def row(m: _Member) -> dict:
            first = m.birth + D(days=365 * 22)
            start = max(first, self.today - D(days=365 * 30))
            span = max(0, (self.today - D(days=60) - start).days)
            employer = rng.choice(EMPLOYERS).format(town=self.towns.get(m.area_id, ""))
            return self.row(
                m, employer=employer, hire_date=(start + D(days=rng.randint(0, span))).isoformat()
            )

        adults = [m for m in self.members if 23 <= m.age <= 58]
        hits = self.pick(
            rng, [m for m in adults if m.checked], self.count("hit_public_payroll"), distinct=True
        )
        self.plan("public_payroll", hits)
        rest = self.pick(
            rng,
            [m for m in adults if not m.checked],
            self.count("payroll_rows"),
            weight=lambda m: 8 if m.education in ("大专", "本科及以上") else 1,
        )
        rows = [row(m) for m in hits + rest]

        def unknown(rng, number, name):
            return {
                feeds.ID_KEY: number,
                feeds.NAME_KEY: name,
                "employer": rng.choice(EMPLOYERS).format(town="泽林镇"),
                "hire_date": self.day(rng, 400, 8000).isoformat(),
            }

        return self.with_unknown(rng, rows, unknown)

    def checked_split(self, rng, hit_key: str, rows_key: str, rule: str, adult=(20, 70)):
        """(hits: members of checked households, one a household; near: checked members whose rows are no
        疑点; rest: members of unchecked households) for a 疑点 feed."""
        adults = [m for m in self.members if adult[0] <= m.age <= adult[1]]
        hits = self.pick(rng, [m for m in adults if m.checked], self.count(hit_key), distinct=True)
        self.plan(rule, hits)
        near = self.pick(
            rng,
            [m for m in adults if m.checked],
            self.count("near_checked"),
            avoid={m.household_id for m in hits},
        )
        rest = self.pick(rng, [m for m in adults if not m.checked], self.count(rows_key))
        return hits, near, rest

    def plate(self, rng, kind: str) -> str:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        if kind == "摩托车":
            return f"鄂G{rng.randint(10000, 99999)}"
        return f"鄂G{rng.choice(letters)}{rng.randint(1000, 9999)}"

    def vehicle(self, rng) -> list[dict]:
        hits, near, rest = self.checked_split(rng, "hit_vehicle", "vehicle_rows", "vehicle")
        kinds, weights = zip(*VEHICLES, strict=True)

        def row(m_or_number, kind: str) -> dict:
            number = m_or_number if isinstance(m_or_number, str) else self.id_number(m_or_number)
            return {
                feeds.ID_KEY: number,
                "plate_number": self.plate(rng, kind),
                "vehicle_type": kind,
                "registration_date": self.day(rng, 60, 5000).isoformat(),
            }

        rows = [row(m, "小型轿车" if rng.random() < 0.9 else "中型客车") for m in hits]
        rows += [row(m, rng.choice(("摩托车", "农用车", "货车"))) for m in near]
        rows += [row(m, rng.choices(kinds, weights)[0]) for m in rest]
        return self.with_unknown(
            rng, rows, lambda rng, number, name: row(number, rng.choices(kinds, weights)[0])
        )

    def address(self, rng) -> str:
        return (
            f"鄂州市鄂城区{rng.choice(STREETS)}{rng.randint(1, 399)}号{rng.choice(ESTATES)}"
            f"{rng.randint(1, 24)}栋{rng.randint(1, 4)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
        )

    def real_estate(self, rng) -> list[dict]:
        hits, near, rest = self.checked_split(rng, "hit_real_estate", "real_estate_rows", "real_estate")

        def row(m_or_number, use: str) -> dict:
            number = m_or_number if isinstance(m_or_number, str) else self.id_number(m_or_number)
            area = rng.randint(60_00, 150_00) if use == "住宅" else rng.randint(15_00, 120_00)
            location = self.address(rng)
            if use == "其他":
                location = (
                    location.replace("室", "号车库")
                    if rng.random() < 0.6
                    else location.replace("室", "号储藏室")
                )
            elif use == "商业":
                location = f"鄂州市鄂城区{rng.choice(STREETS)}{rng.randint(1, 399)}号门面"
            return {
                feeds.ID_KEY: number,
                "location": location,
                "property_use": use,
                "registration_date": self.day(rng, 60, 4000).isoformat(),
                "floor_area": _money(area),
            }

        rows = [row(m, "住宅" if rng.random() < 0.85 else "商业") for m in hits]
        rows += [row(m, "其他") for m in near]
        rows += [row(m, rng.choices(("住宅", "商业", "其他"), (60, 5, 35))[0]) for m in rest]
        return self.with_unknown(rng, rows, lambda rng, number, name: row(number, "住宅"))

    def business(self, rng) -> list[dict]:
        hits, near, rest = self.checked_split(rng, "hit_business", "business_rows", "business")

        def row(m_or_number, kind: str, capital: int, status: str) -> dict:
            if isinstance(m_or_number, str):
                number, name = m_or_number, "张"
            else:
                number, name = self.id_number(m_or_number), m_or_number.name
            word = rng.choice(BUSINESS_WORDS)
            entity = {
                "个体工商户": f"鄂城区{name[0]}记{word}经营部",
                "农民专业合作社": f"鄂州市鄂城区{name[:2]}{word}专业合作社",
                "有限责任公司": f"鄂州市{name[:2]}{word}有限公司",
                "股份有限公司": f"湖北{name[:2]}{word}股份有限公司",
                "其他": f"鄂城区{name[0]}氏{word}服务部",
            }[kind]
            return {
                feeds.ID_KEY: number,
                "entity_name": entity,
                "entity_type": kind,
                "registered_capital": _money(capital),
                "founded_date": self.day(rng, 100, 5000).isoformat(),
                "registration_status": status,
            }

        rows = []
        for m in hits:
            if rng.random() < 0.7:
                rows.append(row(m, "有限责任公司", rng.randrange(10_00, 200_00, 5_00), "存续"))
            else:
                rows.append(row(m, "个体工商户", rng.randrange(50_00, 120_00, 5_00), "存续"))
        for m in near:
            if rng.random() < 0.6:
                rows.append(row(m, "个体工商户", rng.randrange(1_00, 30_00, 1_00), "存续"))
            else:
                rows.append(row(m, "有限责任公司", rng.randrange(10_00, 100_00, 5_00), "注销"))
        kinds = ("个体工商户", "农民专业合作社", "有限责任公司", "股份有限公司", "其他")
        for m in rest:
            kind = rng.choices(kinds, (55, 15, 20, 2, 8))[0]
            capital = {"个体工商户": (1_00, 30_00), "股份有限公司": (500_00, 2000_00)}.get(
                kind, (10_00, 300_00)
            )
            status = rng.choices(("存续", "注销", "吊销"), (80, 15, 5))[0]
            rows.append(row(m, kind, rng.randrange(*capital, 1_00), status))
        return self.with_unknown(
            rng,
            rows,
            lambda rng, number, name: row(number, "个体工商户", rng.randrange(1_00, 30_00, 1_00), "存续"),
        )


# Each feed: who sends it (the medical department's clerk, or the district officer), what the file is called.
FEEDS = (
    ("medical", "医保结算数据"),
    ("education", "在校生资助信息"),
    ("civil_affairs", "低保特困及临时救助名单"),
    ("disability", "残疾人证发证信息"),
    ("housing", "农村房屋安全鉴定结果"),
    ("emergency", "自然灾害受灾农户名单"),
    ("employment", "农村劳动力务工监测"),
    ("police", "户籍变动信息"),
    ("public_payroll", "财政供养人员名单"),
    ("vehicle", "机动车登记信息"),
    ("real_estate", "不动产登记信息"),
    ("business", "市场主体登记信息"),
)


def _sender(kind: str, officer: User) -> User:
    """The medical department's clerk sends the 医保 file (the district officer when there is none); the
    district officer sends the others."""
    if kind != Department.MEDICAL:
        return officer
    users = User.objects.filter(role=Role.DEPARTMENT_CLERK, department=kind)
    return _usable(users).order_by("pk").first() or officer


def _officer() -> User:
    officer = _usable(User.objects.filter(role=Role.DISTRICT_OFFICER)).order_by("pk").first()
    if officer is None:
        raise ValidationError("没有可用的区级业务人员账号：请先运行 zhenxing demo 创建演示账号")
    return officer


def _period(kind: str, today: datetime.date, loader: _Loader) -> str:
    """The upload's 数据期间: the months of a feed of events, the school year, or the day of a register."""
    if kind in ("medical", "emergency", "police", "civil_affairs"):
        year, month = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
        return f"{year}年{month}月至{today.year}年{today.month}月"  # the 12 months up to this one
    if kind == "employment":
        first, last = loader.months()[0], loader.months()[-1]
        return f"{first[:4]}年{int(first[5:])}月至{last[:4]}年{int(last[5:])}月"
    if kind == "education":
        return f"{loader.school_year()}学年"
    return f"截至{today.year}年{today.month}月{today.day}日"


def load_demo_screening(*, seed: int = SEED) -> dict:
    """Generate the demo feeds, run the screening and work part of its warnings (module docstring).

    Raises ValidationError when there are no demo households or no district officer account. Nothing
    is written when a feed upload exists already: the summary comes back with `skipped`. Every write is
    made through the actions by the account whose job it is, in one transaction. Returns the summary,
    the run's hits per rule (`run_counts`), the households the generator made cross each feed rule
    (`planned`, rule → count: equal to the run's hits of that rule) and how many villages' warnings
    were worked (`workflow_villages`).
    """
    if not Household.objects.filter(area__is_demo=True, is_active=True).exists():
        raise ValidationError("没有演示农户：请先运行 zhenxing demo 准备演示农户台账")
    if FeedUpload.objects.exists():
        return {"skipped": True, **summary()}
    today = timezone.localdate()
    officer = _officer()
    loader = _Loader(seed, today)
    loader.load_members()
    with transaction.atomic(), acting_via(Source.IMPORT):
        for kind, title in FEEDS:
            rows = getattr(loader, kind)(random.Random(f"{seed}-{kind}"))
            columns = feeds.FEED_COLUMNS[kind]
            data = write_csv([c.header for c in columns], [[r.get(c.key) for c in columns] for r in rows])
            file_name = f"{title}（{today:%Y%m%d}）.csv"
            plan = feeds.validate_feed(kind, data, file_name)
            if plan.errors:  # the generator's own mistake: say which
                shown = "；".join(f"第{e.row}行 {e.column}：{e.reason}" for e in plan.errors[:5])
                raise ValidationError(f"演示{feeds.LABELS[kind]}数据有误：{shown}")
            commit_feed(
                _sender(kind, officer),
                kind,
                plan,
                source=FeedUpload.Source.FILE,
                file_name=file_name,
                sha256=hashlib.sha256(data).hexdigest(),
                period=_period(kind, today, loader),
            )
        with acting_via(Source.CLI):
            run = run_screening(officer, as_of=today)
            flow = _work(random.Random(f"{seed}-workflow"), today)
    return {
        "skipped": False,
        **summary(),
        "run_counts": dict(run.counts),
        "planned": {rule: len(homes) for rule, homes in loader.planned.items()},
        "workflow_villages": flow,
    }


def _work(rng, today: datetime.date) -> int:
    """Take part of the new warnings of staffed villages through the workflow; returns how many villages."""
    warnings = list(
        Warning.objects.filter(area__is_demo=True, status=WarningStatus.NEW)
        .select_related("area", "household")
        .order_by("rule", "household__number", "period")
    )
    villages, townships = {}, {}
    areas = {w.area_id: w.area for w in warnings}
    for area_id in sorted(areas):
        area = areas[area_id]
        cadre = _usable(User.objects.filter(role=Role.VILLAGE_CADRE, area=area)).order_by("pk").first()
        if area.parent_id not in townships:
            townships[area.parent_id] = (
                _usable(User.objects.filter(role=Role.TOWNSHIP_OFFICER, area_id=area.parent_id))
                .order_by("pk")
                .first()
            )
        if cadre is not None and townships[area.parent_id] is not None:
            villages[area_id] = cadre
    # The department's warnings and the income ledger's in the same shares: every state shows both.
    worked = []
    for income in (False, True):
        group = [w for w in warnings if w.area_id in villages and (w.rule in INCOME_RULES) == income]
        rng.shuffle(group)
        states = [state for state, share in WORKFLOW for _ in range(max(1, round(len(group) * share)))]
        worked += zip(group, states, strict=False)
    for warning, state in worked:
        cadre = villages[warning.area_id]
        actions.assign_warning(townships[warning.area.parent_id], warning, today)
        if state == "assigned":
            continue
        actions.start_verification(cadre, warning, today)
        if state == "verifying":
            continue
        if state == "include":
            result, reason = WarningResult.INCLUDE, INCLUDE_REASON
        else:
            result, reason = WarningResult.EXCLUDE, EXCLUDE_REASONS[warning.risk_type]
        actions.close_warning(cadre, warning, result=result, reason=reason, closed_on=today)
    return len(villages)


def summary() -> dict:
    """Counts of the feeds, runs, warnings (by status and result) and screening 疑点."""
    uploads = FeedUpload.objects.all()
    warnings = Warning.objects.filter(area__is_demo=True)
    statuses = dict(warnings.values_list("status").annotate(n=Count("id")).order_by())
    results = dict(warnings.exclude(result="").values_list("result").annotate(n=Count("id")).order_by())
    rules = dict(warnings.values_list("rule").annotate(n=Count("id")).order_by())
    return {
        "uploads": uploads.count(),
        "rows": sum(uploads.values_list("rows_total", flat=True)),
        "unmatched": sum(uploads.values_list("rows_unmatched", flat=True)),
        "runs": ScreeningRun.objects.filter(status=ScreeningRun.Status.DONE).count(),
        "warnings": warnings.count(),
        "rules": dict(sorted(rules.items())),
        **{status: statuses.get(status, 0) for status in WarningStatus.values},
        **{result: results.get(result, 0) for result in WarningResult.values},
        "overdue": warnings.exclude(status=WarningStatus.CLOSED).filter(due__lt=timezone.localdate()).count(),
        "discrepancies": Discrepancy.objects.filter(
            source=actions.DISCREPANCY_SOURCE, area__is_demo=True
        ).count(),
    }


def describe(result: dict) -> str:
    """One Chinese line for the `zhenxing demo` output."""
    head = "演示部门筛查已存在，直接使用：" if result["skipped"] else "演示部门筛查："
    return (
        f"{head}部门数据{result['uploads']}批{result['rows']}行（未匹配{result['unmatched']}行），"
        f"筛查{result['runs']}次，预警{result['warnings']}条：待分派{result[WarningStatus.NEW]}条，"
        f"已分派待核实{result[WarningStatus.ASSIGNED]}条，核实中{result[WarningStatus.VERIFYING]}条，"
        f"已办结{result[WarningStatus.CLOSED]}条（纳入监测{result[WarningResult.INCLUDE]}条，"
        f"不纳入{result[WarningResult.EXCLUDE]}条）"
        + (f"，逾期未办结{result['overdue']}条" if result["overdue"] else "")
        + f"；疑点{result['discrepancies']}条。"
    )
