"""The demo district: a deterministic, realistic registry on the real townships of 鄂城区.

`generate()` is pure (no database): given village codes it returns the rows of the two import
templates (formats.md §1 `户籍成员`, §2 `家庭收入`), always the same rows for the same arguments.
`iter_households()` yields the same households one at a time (benchmarks stream millions of them).
`load_demo_registry()` feeds the rows through the importer the way a district loads its own files, as
registered on 1 January of the first income year, then records a year of 务工状况 changes (see
`record_work_changes`), so that the as-of history (the dashboards' "a year ago") has something to show.

What the district looks like (the numbers are the generator's, not statistics):
- household sizes 1–7, mean ≈ 3; relations consistent (spouse of the opposite sex within 6 years of
  age, children 22–35 years younger than the head, a daughter-in-law or son-in-law and grandchildren in
  three-generation households, parents living with younger heads);
- 7% 脱贫户 (exactly: `round(households × 0.07)`), 脱贫年度 2014–2020, 脱贫属性 mostly 一般脱贫户;
- ID numbers from the 鄂城区 region code 420704 (some spouses married in from 420702 梁子湖区 and
  420703 华容区) with correct check digits, all different; ages are as of 31 December of the last
  income year, so the rows never depend on the day they are generated;
- schooling, labour capacity and health by age; about 40% of working-age adults work away from home;
- yearly incomes growing 3–9% a year with household noise and occasional job losses, so a few percent
  of households fall below each year's monitoring line and more are within 1.5× of it.
"""

from __future__ import annotations

import datetime
import math
import operator
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from zhenxing.lib import idnumbers, tabular
from zhenxing.registry.importing.columns import HOUSEHOLD_HEADERS

PERSON_SHEET = "户籍成员"
INCOME_SHEET = "家庭收入"
PERSON_HEADERS = HOUSEHOLD_HEADERS  # the import template's columns, in order
INCOME_HEADERS = [
    "户编号",
    "年度",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "理赔收入",
    "合规自付支出",
    "人均纯收入",  # left blank: the importer computes it
]
# Column positions used by tests and loaders.
P_NUMBER, P_PERSON, P_AREA, P_KIND, P_ATTRIBUTE, P_LIFTED_YEAR, P_NAME, P_ID, P_RELATION = range(9)
P_ETHNICITY, P_POLITICAL, P_EDUCATION, P_SCHOOLING, P_HEALTH, P_LABOUR, P_EMPLOYMENT = range(9, 16)
P_MONTHS, P_PHONE = 16, 17
I_NUMBER, I_YEAR, I_WAGE, I_BUSINESS, I_PROPERTY, I_TRANSFER, I_COSTS, I_CLAIMS, I_OUT_OF_POCKET = range(9)

DEFAULT_SEED = 420704
DEFAULT_YEARS = (2021, 2022, 2023, 2024)
# 监测范围 (yuan per person per year); the policy app's defaults, repeated so the generator stays pure.
DEFAULT_LINES = {2021: 6000, 2022: 6900, 2023: 7600, 2024: 8300}
DEFAULT_HOUSEHOLDS = 30_000

ORDINARY = "一般农户"
LIFTED = "脱贫户"
LIFTED_ATTRIBUTES = (("一般脱贫户", 0.82), ("低保脱贫户", 0.14), ("特困供养脱贫户", 0.04))
LIFTED_SHARE = 0.07
LIFTED_YEARS = (
    (2014, 0.06),
    (2015, 0.10),
    (2016, 0.20),
    (2017, 0.22),
    (2018, 0.20),
    (2019, 0.17),
    (2020, 0.05),
)
MAX_SERIAL = 9999  # 户编号 = 12-digit village code + 4-digit serial
HOME_REGION = "420704"  # 鄂城区
MARRIED_IN_REGIONS = ("420702", "420703")  # 梁子湖区, 华容区
# A region code, birth year and sex give 182,500 numbers (365 days × 500 sequence numbers). Past FULL of
# them the generator issues the person's number under the next of these Hubei codes instead (people born
# or registered elsewhere): only registries of many millions (the benchmarks') get that far.
OVERFLOW_REGIONS = (
    "420700",
    "420100",
    "420111",
    "420115",
    "420117",
    "420200",
    "420600",
    "420900",
    "421000",
    "421100",
)
FULL = 150_000
HOUSEHOLD_SIZES = ((1, 0.14), (2, 0.27), (3, 0.24), (4, 0.19), (5, 0.10), (6, 0.04), (7, 0.02))
MAX_AGE = 95

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段柯钱汤尹黎易常武乔贺赖龚文"
)
# Given-name characters by sex and birth cohort: (first characters, second characters).
NAME_CHARS = {
    ("男", 0): ("建国德志明文永家长春金光庆红卫兴忠学世友", "国华明强生清林福胜富贵成山才平安祥发荣"),
    ("女", 0): ("秀桂玉春淑凤翠兰金美菊冬梅月爱素彩", "英兰珍芳华梅娥莲凤香琴荣花娟云仙"),
    ("男", 1): ("志建海军伟俊国文新小永立晓春红卫自少", "强军华平明伟勇斌峰刚林波涛辉鹏龙兵"),
    ("女", 1): ("丽小春红海晓美秀燕玉艳爱桂雪", "华丽芳燕娟霞萍红玲敏静琴艳丹"),
    ("男", 2): ("浩子宇俊梓博一晨嘉天文皓明思昊", "然轩豪宇杰航辰泽睿阳涵博凯文"),
    ("女", 2): ("欣梓子雨思诗佳可紫语一晓雅梦", "怡涵萱琪彤悦雯颖妍琳婷雪瑶"),
}
ETHNICITIES = (
    ("汉族", 0.985),
    ("土家族", 0.006),
    ("回族", 0.003),
    ("苗族", 0.003),
    ("满族", 0.002),
    ("蒙古族", 0.001),
)
# 文化程度 of people not in school, by birth cohort (upper bound of birth year, weights).
EDUCATION_BY_COHORT = (
    (1949, (("文盲或半文盲", 40), ("小学", 45), ("初中", 12), ("高中", 3))),
    (1964, (("文盲或半文盲", 15), ("小学", 45), ("初中", 30), ("高中", 9), ("大专", 1))),
    (1979, (("文盲或半文盲", 3), ("小学", 25), ("初中", 52), ("高中", 15), ("大专", 4), ("本科及以上", 1))),
    (1994, (("小学", 8), ("初中", 50), ("高中", 22), ("大专", 12), ("本科及以上", 8))),
    (9999, (("初中", 30), ("高中", 30), ("大专", 22), ("本科及以上", 18))),
)
EDUCATION_LEFT_SCHOOL_YOUNG = (("初中", 40), ("高中", 60))  # 15–21-year-olds not in school
MIGRANT_KINDS = (("省外务工", 0.45), ("省内县外务工", 0.30), ("县内务工", 0.25))
MONTHLY_WAGE = {"省外务工": (4800, 900), "省内县外务工": (4000, 800), "县内务工": (3200, 600)}

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass
class DemoHousehold:
    """One household's template rows (lists in PERSON_HEADERS / INCOME_HEADERS order)."""

    number: str
    person_rows: list[list]
    income_rows: list[list]


@dataclass
class DemoDistrict:
    """The generated district: the rows of both templates, in header order."""

    person_rows: list[list] = field(default_factory=list)
    income_rows: list[list] = field(default_factory=list)
    households: int = 0
    person_headers: list[str] = field(default_factory=lambda: list(PERSON_HEADERS))
    income_headers: list[str] = field(default_factory=lambda: list(INCOME_HEADERS))

    @property
    def headers(self) -> dict[str, list[str]]:
        """Sheet name → headers."""
        return {PERSON_SHEET: self.person_headers, INCOME_SHEET: self.income_headers}

    def person_csv(self) -> bytes:
        return tabular.write_csv(self.person_headers, self.person_rows)

    def income_csv(self) -> bytes:
        return tabular.write_csv(self.income_headers, self.income_rows)

    def xlsx(self) -> bytes:
        """One workbook with the sheets 户籍成员 and 家庭收入."""
        return tabular.write_xlsx(
            [
                tabular.SheetSpec(PERSON_SHEET, self.person_headers, self.person_rows),
                tabular.SheetSpec(INCOME_SHEET, self.income_headers, self.income_rows),
            ]
        )

    def write_xlsx(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.xlsx())
        return path

    def write_csv(self, person_path: str | Path, income_path: str | Path) -> tuple[Path, Path]:
        person_path, income_path = Path(person_path), Path(income_path)
        person_path.write_bytes(self.person_csv())
        income_path.write_bytes(self.income_csv())
        return person_path, income_path


def generate(
    village_codes: Sequence[str],
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    years: Sequence[int] = DEFAULT_YEARS,
    lines: dict[int, int] | None = None,
) -> DemoDistrict:
    """The district's rows: the same arguments always give identical rows.

    `village_codes` are 12-digit village codes (households are spread over them unevenly, at most
    9999 per village, numbered village code + 4-digit serial); `years` the income years (ages are as
    of 31 December of the last); `lines` is accepted for symmetry with the policy defaults but does not
    steer the incomes: their spread is calibrated so that with the default lines about 3–5% of
    households fall below each year's line and 9–15% are within 1.5× of it.
    """
    district = DemoDistrict(households=households)
    for household in iter_households(village_codes, households, seed, years, lines):
        district.person_rows.extend(household.person_rows)
        district.income_rows.extend(household.income_rows)
    return district


def iter_households(
    village_codes: Sequence[str],
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    years: Sequence[int] = DEFAULT_YEARS,
    lines: dict[int, int] | None = None,
) -> Iterator[DemoHousehold]:
    """The households of `generate()`, one at a time, in the same order."""
    del lines  # incomes are drawn independently of the line; kept for a uniform signature
    return _Builder(village_codes, households, seed, tuple(sorted(years))).households()


def village_counts(village_codes: Sequence[str], households: int, rng: random.Random) -> list[int]:
    """Households per village: uneven (weights 0.6–1.4), summing exactly to `households`."""
    weights = [rng.uniform(0.6, 1.4) for _ in village_codes]
    total = sum(weights)
    quotas = [households * w / total for w in weights]
    counts = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder[: households - sum(counts)]:
        counts[i] += 1
    return counts


class _Member:
    __slots__ = ("relation", "sex", "age", "surname", "region")

    def __init__(self, relation: str, sex: str, age: int, surname: str, region: str = HOME_REGION):
        self.relation, self.sex, self.age, self.surname, self.region = relation, sex, age, surname, region


def _weighted(pairs) -> tuple[list, list[float]]:
    values = [v for v, _ in pairs]
    cumulative, total = [], 0.0
    for _, w in pairs:
        total += w
        cumulative.append(total)
    return values, [c / total for c in cumulative]


class _Builder:
    def __init__(self, village_codes: Sequence[str], households: int, seed: int, years: tuple[int, ...]):
        if households < 0:
            raise ValueError("households must not be negative")
        if households and not village_codes:
            raise ValueError("生成演示户需要至少一个村（社区）代码")
        for code in village_codes:
            if len(code) != 12 or not code.isdigit():
                raise ValueError(f"村（社区）代码应为12位数字，当前为 {code!r}")
        if not years:
            raise ValueError("years must not be empty")
        self.rng = random.Random(seed)
        self.village_codes = list(village_codes)
        self.households_total = households
        self.years = years
        self.as_of_year = years[-1]  # ages are as of 31 December of the last income year
        self.used_ids: set[str] = set()
        self.issued: dict[tuple[str, int, int], int] = {}  # numbers per (region, birth year, parity)
        self._tables = {
            "size": _weighted(HOUSEHOLD_SIZES),
            "attribute": _weighted(LIFTED_ATTRIBUTES),
            "lifted_year": _weighted(LIFTED_YEARS),
            "ethnicity": _weighted(ETHNICITIES),
            "migrant": _weighted(MIGRANT_KINDS),
            "left_school": _weighted(EDUCATION_LEFT_SCHOOL_YOUNG),
            **{f"edu{upper}": _weighted(pairs) for upper, pairs in EDUCATION_BY_COHORT},
        }

    def pick(self, table: str):
        values, cumulative = self._tables[table]
        r = self.rng.random()
        for value, c in zip(values, cumulative, strict=True):
            if r < c:
                return value
        return values[-1]

    # -- the district ---------------------------------------------------------------------------

    def households(self) -> Iterator[DemoHousehold]:
        rng = self.rng
        counts = village_counts(self.village_codes, self.households_total, rng)
        if counts and max(counts) > MAX_SERIAL:
            raise ValueError(
                f"每个村（社区）最多生成{MAX_SERIAL}户，当前最多的村需{max(counts)}户：请减少户数或增加演示村"
            )
        lifted = set(rng.sample(range(self.households_total), round(self.households_total * LIFTED_SHARE)))
        index = 0
        for code, count in zip(self.village_codes, counts, strict=True):
            for serial in range(1, count + 1):
                yield self.household(f"{code}{serial:04d}", code, index in lifted)
                index += 1

    def household(self, number: str, village: str, is_lifted: bool) -> DemoHousehold:
        if is_lifted:
            kind, attribute = LIFTED, self.pick("attribute")
            lifted_year: int | str = self.pick("lifted_year")
        else:
            kind, attribute, lifted_year = ORDINARY, "", ""
        members = self.members(self.pick("size"))
        persons = [self.person(m) for m in members]
        rows = []
        for i, (m, p) in enumerate(zip(members, persons, strict=True), start=1):
            rows.append(
                [number, f"{number}{i:02d}", village, kind, attribute, lifted_year, m.surname + p["given"], p["id"],
                 m.relation, p["ethnicity"], p["political"], p["education"], p["schooling"], p["health"], p["labour"],
                 p["employment"], p["months"], self.phone() if i == 1 else ""]
            )  # fmt: skip
        incomes = self.incomes(number, attribute, members, persons)
        return DemoHousehold(number, rows, incomes)

    # -- who lives together -----------------------------------------------------------------------

    def members(self, size: int) -> list[_Member]:
        rng = self.rng
        if size == 1:
            head_age = int(rng.triangular(24, 90, 70))
        elif size == 2:
            head_age = int(rng.triangular(26, 88, 64))
        elif size <= 4:
            head_age = int(rng.triangular(28, 76, 48))
        else:
            head_age = int(rng.triangular(46, 80, 60))
        head_sex = "男" if rng.random() < (0.7 if size == 1 else 0.88) else "女"
        surname = self.surname()
        head = _Member("户主", head_sex, head_age, surname)
        members = [head]
        spouse = None
        if size >= 2 and rng.random() < (0.78 if size == 2 else 0.9):
            gap = rng.randint(-2, 6)  # husbands a little older, as usual
            age = head_age - gap if head_sex == "男" else head_age + gap
            spouse = _Member(
                "配偶", _other(head_sex), _clamp(age, 20, MAX_AGE), self.surname(), self.region()
            )
            members.append(spouse)
        # The family name of the head's children: the father's.
        family = surname if head_sex == "男" or spouse is None else spouse.surname
        if len(members) < size and head_age <= 58 and rng.random() < 0.3:
            mother_age = head_age + rng.randint(22, 32)
            if mother_age <= MAX_AGE:
                members.append(_Member("之母", "女", mother_age, self.surname()))
                father_age = mother_age + rng.randint(0, 4)
                if len(members) < size and father_age <= MAX_AGE and rng.random() < 0.5:
                    members.append(_Member("之父", "男", father_age, surname))
        youngest_parent = min(head_age, spouse.age if spouse else head_age)
        child_age = youngest_parent - rng.randint(22, 29)
        children: list[_Member] = []
        while len(members) < size and child_age >= 0 and head_age - child_age <= 35:
            # Three generations: an adult child brings a spouse and the grandchildren fill the rest.
            if children and size - len(members) >= 2 and children[0].age >= 22 and not _has_in_law(members):
                self.add_grandchildren(members, children[0], size)
                break
            sex = "男" if rng.random() < 0.53 else "女"
            child = _Member("之子" if sex == "男" else "之女", sex, child_age, family)
            children.append(child)
            members.append(child)
            child_age -= rng.randint(1, 5)
        while len(members) < size:  # no (more) children possible: the head's parents, then siblings
            relations = {m.relation for m in members}
            if "之母" not in relations and head_age + 22 <= MAX_AGE:
                members.append(
                    _Member("之母", "女", _clamp(head_age + rng.randint(22, 32), 0, MAX_AGE), self.surname())
                )
            elif "之父" not in relations and head_age + 24 <= MAX_AGE:
                members.append(
                    _Member("之父", "男", _clamp(head_age + rng.randint(24, 34), 0, MAX_AGE), surname)
                )
            else:
                sex = "男" if rng.random() < 0.5 else "女"
                age = _clamp(head_age + rng.randint(-8, 8), 16, MAX_AGE)
                members.append(_Member("之兄弟姐妹", sex, age, surname))
        return members

    def add_grandchildren(self, members: list[_Member], child: _Member, size: int) -> None:
        rng = self.rng
        gap = rng.randint(-2, 5)
        if child.sex == "男":
            partner = _Member(
                "之儿媳", "女", _clamp(child.age - gap, 20, MAX_AGE), self.surname(), self.region()
            )
            family, prefix = child.surname, "之"
        else:
            partner = _Member(
                "之女婿", "男", _clamp(child.age + gap, 20, MAX_AGE), self.surname(), self.region()
            )
            family, prefix = partner.surname, "之外"
        members.append(partner)
        age = max(0, min(child.age, partner.age) - rng.randint(22, 30))
        while len(members) < size:
            sex = "男" if rng.random() < 0.53 else "女"
            relation = prefix + ("孙子" if sex == "男" else "孙女")
            members.append(_Member(relation, sex, age, family))
            age = max(0, age - rng.randint(1, 4))  # twins when the parents are young

    def surname(self) -> str:
        # Common surnames are commoner: an index skewed towards the start of SURNAMES.
        return SURNAMES[int(len(SURNAMES) * self.rng.random() ** 2.2)]

    def region(self) -> str:
        return self.rng.choice(MARRIED_IN_REGIONS) if self.rng.random() < 0.2 else HOME_REGION

    def phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    # -- one person -------------------------------------------------------------------------------

    def person(self, m: _Member) -> dict:
        rng = self.rng
        age = m.age
        birth_year = self.as_of_year - age
        cohort = 0 if birth_year < 1960 else 1 if birth_year < 1990 else 2
        firsts, seconds = NAME_CHARS[(m.sex, cohort)]
        given = rng.choice(seconds) if rng.random() < 0.12 else rng.choice(firsts) + rng.choice(seconds)

        schooling = education = ""
        if age <= 5:
            schooling = "学前"
        elif age <= 11:
            schooling = "小学"
        elif age <= 14:
            schooling = "初中"
        elif age <= 17:
            if rng.random() < 0.88:
                schooling = "高中" if rng.random() < 0.6 else "中职"
        elif age <= 21 and rng.random() < 0.4:
            schooling = "高职" if rng.random() < 0.5 else "本科及以上"
        if not schooling:
            if age <= 21:
                education = self.pick("left_school")
            else:
                upper = next(u for u, _ in EDUCATION_BY_COHORT if birth_year <= u)
                education = self.pick(f"edu{upper}")

        chronic_p, serious_p, disabled_p = (
            (0.02, 0.003, 0.008) if age < 40 else (0.08, 0.01, 0.015) if age < 60 else
            (0.18, 0.025, 0.03) if age < 70 else (0.30, 0.03, 0.045)
        )  # fmt: skip
        health = []
        if rng.random() < chronic_p:
            health.append("长期慢性病")
        if rng.random() < serious_p:
            health.append("患有大病")
        if rng.random() < disabled_p:
            health.append("残疾")
        serious = "患有大病" in health or "残疾" in health

        if age < 16 or age >= 70 or schooling:
            labour = "无劳动力"
        elif serious:
            labour = "丧失劳动力" if rng.random() < 0.6 else "弱劳动力或半劳动力"
        else:
            weak_p = 0.4 if age >= 60 else 0.12 if age >= 50 else 0.02
            if health:
                weak_p += 0.25
            if rng.random() < weak_p:
                labour = "弱劳动力或半劳动力"
            elif 20 <= age <= 55 and rng.random() < 0.15:
                labour = "技能劳动力"
            else:
                labour = "普通劳动力"

        employment, months = "", ""
        if 16 <= age <= 64 and labour != "无劳动力" and labour != "丧失劳动力":
            if labour == "弱劳动力或半劳动力":
                migrant_p = 0.15
            else:
                migrant_p = 0.5 if age <= 50 else 0.33 if age <= 59 else 0.12
            if rng.random() < migrant_p:
                employment = self.pick("migrant")
                months = rng.randint(8, 12) if rng.random() < 0.75 else rng.randint(6, 7)

        if age < 14:
            political = "群众"
        elif age <= 28 and rng.random() < 0.35:
            political = "共青团员"
        elif age >= 22 and rng.random() < (0.09 if m.sex == "男" else 0.03):
            political = "中共党员" if rng.random() < 0.97 else "中共预备党员"
        else:
            political = "群众"

        return {
            "given": given,
            "id": self.id_number(m.region, birth_year, m.sex),
            "ethnicity": self.pick("ethnicity"),
            "political": political,
            "education": education,
            "schooling": schooling,
            "health": ",".join(health) or "健康",
            "labour": labour,
            "employment": employment,
            "months": months,
        }

    def id_number(self, region: str, birth_year: int, sex: str) -> str:
        random_ = self.rng.random
        parity = 1 if sex == "男" else 0
        days = _DAYS_LEAP if birth_year % 4 == 0 and (birth_year % 100 or birth_year % 400 == 0) else _DAYS
        issued = self.issued
        code = next(
            (c for c in (region, *OVERFLOW_REGIONS) if issued.get((c, birth_year, parity), 0) < FULL), None
        )
        if code is None:
            raise ValueError(f"{birth_year}年出生的{sex}性身份号码已用尽")
        issued[code, birth_year, parity] = issued.get((code, birth_year, parity), 0) + 1
        prefix = f"{code}{birth_year}"
        while True:
            first17 = f"{prefix}{days[int(random_() * len(days))]}{2 * int(random_() * 500) + parity:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + _check_char(first17)

    # -- money ------------------------------------------------------------------------------------

    def incomes(self, number: str, attribute: str, members: list[_Member], persons: list[dict]) -> list[list]:
        """One row per year: last year's amounts drawn from the members, earlier years scaled back."""
        rng = self.rng
        wage = business = property_ = transfer = 0.0
        seriously_ill = chronic = 0
        has_working_age = any(25 <= m.age <= 59 for m in members)
        for m, p in zip(members, persons, strict=True):
            labour, employment, age = p["labour"], p["employment"], m.age
            if employment:
                mean, sd = MONTHLY_WAGE[employment]
                wage += p["months"] * max(1800.0, rng.gauss(mean, sd))
            elif labour in ("普通劳动力", "技能劳动力") and age <= 64 and rng.random() < 0.88:
                wage += rng.uniform(12000, 40000)  # factory shifts and 零工 near home
            elif labour == "弱劳动力或半劳动力" and rng.random() < 0.5:
                wage += rng.uniform(2000, 8000)
            if age >= 60:
                transfer += rng.uniform(1600, 2600)  # 城乡居民养老保险
                if not has_working_age and rng.random() < 0.9:
                    transfer += rng.uniform(5000, 12000)  # 赡养费 from children living elsewhere
            if "残疾" in p["health"]:
                transfer += rng.uniform(800, 1600)
            if "患有大病" in p["health"]:
                seriously_ill += 1
            elif "长期慢性病" in p["health"]:
                chronic += 1
        farmers = sum(
            1 for m, p in zip(members, persons, strict=True)
            if 16 <= m.age <= 75 and not p["employment"] and p["labour"] not in ("无劳动力", "丧失劳动力")
        )  # fmt: skip
        if farmers and rng.random() < 0.8:
            business += rng.triangular(3000, 30000, 9000) * (1 + 0.3 * (farmers - 1))
        elif rng.random() < 0.2:
            business += rng.uniform(500, 3000)  # a vegetable plot, a few chickens
        if rng.random() < 0.05:
            business += rng.uniform(20000, 100000)  # a shop, a transport van, a fish pond
        cost_share = rng.uniform(0.3, 0.55)
        if rng.random() < 0.5:
            property_ += rng.uniform(200, 2500)  # 土地流转 rent
        size = len(members)
        if attribute:
            property_ += rng.uniform(300, 1200)  # 资产收益扶贫分红
        transfer += rng.uniform(0, 800)  # 地力补贴, 生态补偿, 计划生育金…
        base = (wage + business * (1 - cost_share) + property_ + transfer) / size
        if attribute == "特困供养脱贫户":
            transfer += size * rng.uniform(8000, 11000)  # 特困供养金
        elif attribute == "低保脱贫户" or (base < 7000 and rng.random() < 0.7):
            transfer += size * rng.uniform(3000, 5000)  # 低保金: the safety net catches most of the poorest
        # Lower incomes grew faster (support policies), roughly keeping pace with the rising line.
        growth = rng.uniform(1.03, 1.09) + (0.04 if base < 12000 else 0.0)
        rows = []
        last = self.years[-1]
        for year in self.years:
            back = last - year
            factor = growth**-back * min(1.3, max(0.7, rng.gauss(1, 0.07)))
            shock = rng.uniform(0.2, 0.6) if wage and rng.random() < 0.04 else 1.0  # a migrant came home
            year_business = business * factor * min(1.4, max(0.6, rng.gauss(1, 0.1)))
            claims = rng.uniform(1000, 20000) if rng.random() < (0.3 if seriously_ill else 0.02) else 0.0
            out_of_pocket = rng.uniform(100, 1500) if rng.random() < 0.05 else 0.0
            for _ in range(seriously_ill):
                out_of_pocket += rng.uniform(3000, 40000)
            for _ in range(chronic):
                out_of_pocket += rng.uniform(200, 3000)
            rows.append(
                [
                    number,
                    year,
                    _yuan(wage * factor * shock, 10),
                    _yuan(year_business),
                    _yuan(property_ * factor),
                    _yuan(transfer * 1.03**-back),
                    _yuan(year_business * cost_share),
                    _yuan(claims),
                    _yuan(out_of_pocket),
                    "",
                ]
            )
        return rows


def _check_char(first17: str) -> str:
    """`idnumbers.check_digit` without its argument checks (the generator calls it millions of times)."""
    return idnumbers.CHECK_CHARS[sum(map(operator.mul, map(int, first17), idnumbers.WEIGHTS)) % 11]


def _month_days(year: int) -> list[str]:
    start = datetime.date(year, 1, 1)
    return [
        f"{start + datetime.timedelta(days=i):%m%d}"
        for i in range((datetime.date(year + 1, 1, 1) - start).days)
    ]


_DAYS, _DAYS_LEAP = _month_days(2023), _month_days(2024)  # MMDD of every day of a common / leap year


def _yuan(amount: float, step: int = 1) -> Decimal:
    """Whole yuan (or tens of yuan), as money with two places."""
    if not amount:
        return ZERO
    return Decimal(int(round(amount / step)) * step * 100).scaleb(-2)


def _other(sex: str) -> str:
    return "女" if sex == "男" else "男"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _has_in_law(members: list[_Member]) -> bool:
    return any(m.relation in ("之儿媳", "之女婿") for m in members)


def per_capita(income_row: Sequence, members: int) -> Decimal:
    """人均纯收入 as the importer computes it: (four incomes − production costs) ÷ household size."""
    net = sum(income_row[i] for i in (I_WAGE, I_BUSINESS, I_PROPERTY, I_TRANSFER)) - income_row[I_COSTS]
    return (net / members).quantize(CENT)


# -- loading the demo -----------------------------------------------------------------------------

# The demo households are registered as the national system's export would be loaded: long before today
# (on 1 January of the first income year, so every income year lies within the registration).
REGISTERED_ON = datetime.date(DEFAULT_YEARS[0], 1, 1)
# 务工状况 changes in the last year, per township: about this share of its 脱贫劳动力 (LABOUR_CAPABLE) change,
# and in FEWER_SHARE of the townships (picked at random) more come home than leave, so the 就业 dashboard
# flags them (外出务工规模不减); elsewhere more leave. One `edit_person` each: 59 for 5,000 households.
WORK_CHANGE_SHARE = 0.08
FEWER_SHARE = 1 / 3
LABOUR_CAPABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
MAX_LEAVING_AGE = 55

# Households per staged file: ~3 persons each, so about 10 MB of CSV per file, well under
# ZX_MAX_UPLOAD_MB (20 by default); larger runs are loaded file by file.
HOUSEHOLDS_PER_FILE = 20_000


def load_demo_registry(
    admin, households: int = DEFAULT_HOUSEHOLDS, progress: Callable[[int, int], None] | None = None
) -> dict:
    """Generate the registry for every demo village and import it through the importer.

    The rows are written as CSV files, staged like uploads (`lib.staging.stage_upload`), validated and
    committed by `registry.importing` as `admin` (a district admin): households first (registered on
    `REGISTERED_ON`), then incomes; then `record_work_changes`. Nothing is generated when demo villages
    already have households (running the demo twice reuses them). `progress(done, total)` counts person
    rows, then income rows. Returns counts; raises `ValidationError` listing the first problems if the
    importer rejects a file.
    """
    # Django imports stay inside: `generate()` and this module work without a configured project.
    from django.core.exceptions import ValidationError

    from zhenxing.areas.models import Area, Level
    from zhenxing.lib.staging import read_staged, stage_upload
    from zhenxing.registry.models import Household

    villages = list(
        Area.objects.filter(level=Level.VILLAGE, is_demo=True, is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    existing = Household.objects.filter(area__is_demo=True).count()
    if existing:
        return {"skipped": True, "households": existing, "persons": 0, "income_rows": 0, "files": 0}
    if not villages:
        raise ValidationError("没有演示村（社区）：请先运行 zhenxing demo 导入演示村")
    county = Area.objects.get(level=Level.COUNTY)
    from zhenxing.registry import importing  # imported late: the checks above work without it

    district = generate(villages, households)
    numbers = sorted({row[P_NUMBER] for row in district.person_rows})
    batches = [set(numbers[i : i + HOUSEHOLDS_PER_FILE]) for i in range(0, len(numbers), HOUSEHOLDS_PER_FILE)]
    total = len(district.person_rows) + len(district.income_rows)
    done = 0

    def run(kind: str, validate, commit, headers: list[str], rows: list[list]) -> None:
        nonlocal done
        filename = f"演示{kind}.csv"
        stored = stage_upload(filename, tabular.write_csv(headers, rows))
        plan = validate(read_staged(stored), filename, county)
        errors = importing.all_errors(plan)
        if errors:
            shown = "；".join(_describe(e) for e in errors[:10])
            raise ValidationError(f"演示{kind}导入被拒绝（{len(errors)}处问题）：{shown}")
        offset = done

        def report(step: int, of: int, message: str = "") -> None:
            if progress is not None:
                progress(offset + round(len(rows) * step / max(of, 1)), total)

        commit(admin, plan, report)
        done = offset + len(rows)
        report(1, 1)

    def commit_households(actor, plan, report) -> None:
        importing.commit_households(actor, plan, report, registered_on=REGISTERED_ON)

    for batch in batches:
        rows = [r for r in district.person_rows if r[P_NUMBER] in batch]
        run(PERSON_SHEET, importing.validate_households, commit_households, PERSON_HEADERS, rows)
    for batch in batches:
        rows = [r for r in district.income_rows if r[I_NUMBER] in batch]
        run(INCOME_SHEET, importing.validate_income, importing.commit_income, INCOME_HEADERS, rows)
    return {
        "skipped": False,
        "households": district.households,
        "persons": len(district.person_rows),
        "income_rows": len(district.income_rows),
        "files": 2 * len(batches),
        "work_changes": record_work_changes(admin),
    }


def record_work_changes(admin, seed: int = DEFAULT_SEED) -> int:
    """A year of 务工状况 changes among the demo's 脱贫劳动力, through `registry.actions.edit_person`.

    Per township (in a seeded random order, `FEWER_SHARE` of them first): about `WORK_CHANGE_SHARE` of its
    脱贫劳动力, at least 2, change; in the first townships two thirds of them come home from 外出务工 and a
    third leave for it (at most `MAX_LEAVING_AGE` years old), elsewhere the other way round, as far as the
    township has people of each kind. Each change is dated on a random day of the last year (after the
    same day a year ago, before today); a leaver's months worked count from it. Who comes home gets the
    generator's blank 务工状况 of everyone not working away (the screening demo's 人社 feed knows only
    blank and the three 外出务工 kinds).
    Returns the number of changes; the same people change for the same registry and seed.
    """
    from django.utils import timezone

    from zhenxing.audit.context import acting_via
    from zhenxing.audit.models import Source
    from zhenxing.registry.actions import edit_person
    from zhenxing.registry.models import Household, HouseholdKind, Membership, Person

    today = timezone.localdate()
    members = (
        Membership.objects.filter(
            end_date__isnull=True,
            household__area__is_demo=True,
            household__is_active=True,
            household__kind=HouseholdKind.LIFTED,
            person__labour_capacity__in=LABOUR_CAPABLE,
        )
        .order_by("person__external_id", "person_id")  # the generator's 人编号: independent of the data key
        .values_list(
            "household_id", "household__area__code", "person_id", "person__employment", "person__birth_date"
        )
    )
    townships: dict[str, tuple[list, list]] = {}
    labour: Counter[str] = Counter()
    for household_id, code, person_id, employment, born in members:
        migrants, locals_ = townships.setdefault(code[:9], ([], []))
        labour[code[:9]] += 1
        if employment in MONTHLY_WAGE:  # 外出务工: 省外, 省内县外 or 县内
            migrants.append((household_id, person_id))
        elif _age(born, today) <= MAX_LEAVING_AGE:
            locals_.append((household_id, person_id))
    rng = random.Random(f"{seed}-work")
    order = sorted(townships)
    rng.shuffle(order)
    fewer = set(order[: math.ceil(len(order) * FEWER_SHARE)])
    migrant_kinds = _weighted(MIGRANT_KINDS)
    changes = []
    for code in sorted(townships):
        migrants, locals_ = townships[code]
        count = max(2, round(WORK_CHANGE_SHARE * labour[code]))
        most, rest = count - count // 3, count // 3
        back, out = (most, rest) if code in fewer else (rest, most)
        for (household_id, person_id), going in [
            *((m, False) for m in rng.sample(migrants, min(back, len(migrants)))),
            *((m, True) for m in rng.sample(locals_, min(out, len(locals_)))),
        ]:
            day = today - datetime.timedelta(days=rng.randint(1, 364))
            months = min(12, max(1, (today - day).days // 30))
            if going:
                values = {"employment": _pick(rng, migrant_kinds), "months_worked": months}
            else:
                values = {"employment": "", "months_worked": None}
            changes.append((day, person_id, household_id, values))
    changes.sort(key=operator.itemgetter(0, 1))  # in the order they happened: history is a sequence
    households = Household.objects.in_bulk({c[2] for c in changes})
    persons = Person.objects.in_bulk([c[1] for c in changes])
    with acting_via(Source.CLI):
        for day, person_id, household_id, values in changes:
            edit_person(admin, households[household_id], persons[person_id], values, day)
    return len(changes)


def _age(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _pick(rng: random.Random, table: tuple[list, list[float]]):
    values, cumulative = table
    r = rng.random()
    return next((v for v, c in zip(values, cumulative, strict=True) if r < c), values[-1])


def _describe(error) -> str:
    row = getattr(error, "row", 0)
    column = getattr(error, "column", "")
    reason = getattr(error, "reason", str(error))
    return f"{'第' + str(row) + '行 ' if row else ''}{column + '：' if column else ''}{reason}"
