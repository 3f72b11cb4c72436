"""Screening benchmark: the engine against a household-by-household ORM evaluation, on 100,000 persons.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_screening_orm.py            # SQLite: var/bench/screening_orm.sqlite3
    .venv/bin/python bench/bench_screening_orm.py \
        --database-url postgres://postgres@127.0.0.1:5432/zx_bench_orm
    .venv/bin/python bench/bench_screening_orm.py --persons 20000 --orm-households 2000

Goal (issue 5): the engine's run ≥ 100× faster than evaluating the rules household by household through
the ORM on 100,000 persons.

What it does:
1. a fresh database, every run: SQLite, a scratch file under var/bench/ (removed at the end), or with
   `--database-url` a PostgreSQL database of that name (it must be named `zx_bench_orm`), dropped and
   created again, and dropped at the end (`--keep` keeps either); migrates it, adds 140 bench villages
   and a district admin (`bench_import.setup_django`);
2. loads ~`--persons` persons (~3 per household) from the demo generator (`registry.demo.iter_households`)
   through the registry importer (`registry.importing`: households, then incomes, as the import pages
   do), then changes part of the registry directly, as bench data (no history or audit rows for these):
   households monitored, risk eliminated, in identification (an open case) or merged into another
   (inactive, their members moved), persons dead but still in the household, persons moved away, and
   income years removed, added after the as-of year or set to values at the income rules' boundaries;
3. builds department feed rows for every feed kind, so that each of the 16 default rules fires for some
   households and not for others: amounts on both sides of each threshold (5,000.00 / 4,999.99 …),
   dates on both sides of each window's edge and after the as-of date, school years and months after it,
   empty dates, same-day housing appraisals, rows of persons not in the registry, and a second 医保
   upload re-sending part of the first (which must not double the totals); checks and stores them
   through the product's own path (`feeds.validate_records`, `actions.feeds.commit_feed`);
4. in fresh child processes (each with its own peak RSS):
   (a) the engine path: `write_snapshot` of the whole database + `engine.run` (DuckDB) with the rules
       enabled in the as-of year's settings and their parameters (`runs.engine_params`);
   (b) the ORM path: `screening_orm.evaluate`, every household's queries and every rule in Python (see
       bench/screening_orm.py); with `--orm-households N` only a random sample of N households, its time
       scaled linearly to all households (said so in the output);
   (c) for information, `runs.run_screening` (snapshot + engine + storing the warnings and 疑点);
5. compares (a) and (b) as sets of (rule, household, period) and prints the differences per rule, the
   hits per rule of both, the times, the ratio ORM ÷ engine and the peak RSS.
Setup time is printed but is not part of the comparison.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_import  # noqa: E402
import screening_orm  # noqa: E402

CACHE = ROOT / "var" / "bench"
SQLITE_FILE = CACHE / "screening_orm.sqlite3"
DATABASE_NAME = "zx_bench_orm"
AS_OF = datetime.date(2024, 11, 30)
REGISTERED_ON = datetime.date(2021, 1, 1)  # before every income year, as `registry.demo` does
CHANGED_ON = datetime.date(2024, 6, 1)  # moves, merges and deaths of the bench data
GOAL_RATIO = 100
UNMATCHED_REGION = "421102"  # no demo person is born there: valid ID numbers no registry person has


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--database-url", help=f"PostgreSQL, database {DATABASE_NAME} (dropped and created)")
    parser.add_argument("--seed", type=int, default=420704)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--orm-households", type=int, help="time the ORM on a random sample of N households")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--no-analyze", action="store_true", help="leave the database without planner statistics (ANALYZE)"
    )
    parser.add_argument("--child", choices=["engine", "orm", "store"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the database ---------------------------------------------------------------------------------------
def fresh_database(url: str | None) -> str:
    """The scratch database's URL, created empty (an earlier one of the same name is removed first)."""
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(url)
    if parts.get("dbname") != DATABASE_NAME:
        raise SystemExit(
            f"--database-url must name the database {DATABASE_NAME} (this benchmark drops and recreates it)"
        )
    with psycopg.connect(make_conninfo(**{**parts, "dbname": "postgres"}), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
    return url


def drop_database(url: str | None) -> None:
    from django.db import connections

    connections.close_all()
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(url)
    with psycopg.connect(make_conninfo(**{**parts, "dbname": "postgres"}), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE_NAME)))


def django_only(url: str) -> None:
    """Django on an already prepared database (the children)."""
    os.environ["ZX_ENV"] = "test"
    os.environ["ZX_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()


def peak_mb() -> float:
    """This process's peak RSS: VmHWM (Linux keeps `ru_maxrss` across exec, so a child would report the
    peak of the large parent it was started from), else `getrusage`."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the registry ---------------------------------------------------------------------------------------
@dataclass
class Member:
    id_number: str
    labour: str
    id_hash: str = ""


@dataclass
class BenchHousehold:
    number: str
    kind: str  # lifted | ordinary
    members: list[Member]
    pk: int = 0
    area_id: int = 0
    status: str = "none"  # monitoring status
    identifying: bool = False  # an open case in identification
    active: bool = True
    moved_in: list[Member] = field(default_factory=list)  # members of a household merged into this one


def load_registry(persons: int, seed: int, county, admin) -> tuple[list[BenchHousehold], dict]:
    """Demo households through the registry importer (households, then incomes)."""
    from zhenxing.lib import tabular
    from zhenxing.registry import demo, importing

    person_rows, income_rows, households = [], [], []
    for household in demo.iter_households(
        bench_import.VILLAGES, round(persons / bench_import.MEAN_HOUSEHOLD) + 200, seed
    ):
        person_rows += household.person_rows
        income_rows += household.income_rows
        head = household.person_rows[0]
        members = [Member(r[demo.P_ID], r[demo.P_LABOUR]) for r in household.person_rows]
        households.append(
            BenchHousehold(
                household.number, "lifted" if head[demo.P_KIND] == demo.LIFTED else "ordinary", members
            )
        )
        if len(person_rows) >= persons:
            break
    figures = {}
    started = time.perf_counter()
    plan = importing.validate_households(
        tabular.write_csv(demo.PERSON_HEADERS, person_rows), "户籍成员.csv", county
    )
    _refuse_errors(importing.all_errors(plan), "Household members")
    importing.commit_households(admin, plan, registered_on=REGISTERED_ON)
    figures["households_s"] = time.perf_counter() - started
    started = time.perf_counter()
    plan = importing.validate_income(
        tabular.write_csv(demo.INCOME_HEADERS, income_rows), "家庭收入.csv", county
    )
    _refuse_errors(importing.all_errors(plan), "Household incomes")
    importing.commit_income(admin, plan)
    figures["incomes_s"] = time.perf_counter() - started
    return households, figures


def _refuse_errors(errors: list, what: str) -> None:
    if errors:
        shown = "; ".join(f"row {e.row} {e.column} {e.reason}" for e in errors[:5])
        raise SystemExit(f"{what} import refused ({len(errors)} problems): {shown}")


def change_registry(households: list[BenchHousehold], rng: random.Random, as_of: datetime.date) -> dict:
    """Bench data written directly: statuses, cases, merges, moves, deaths and income boundaries."""
    from django.db.models import Value
    from django.db.models.functions import Greatest

    from zhenxing.cases.models import Case, CaseStatus, Step
    from zhenxing.lib.personal import lookup_hash
    from zhenxing.registry.models import Household, IncomeYear, Membership, Person

    ended = Greatest("start_date", Value(CHANGED_ON))  # a member born after it joined after it
    rows = Household.objects.values_list("number", "pk", "area_id")
    ids = {number: (pk, area) for number, pk, area in rows}
    for h in households:
        h.pk, h.area_id = ids[h.number]
        for m in h.members:
            m.id_hash = lookup_hash(m.id_number)
    shuffled = households[:]
    rng.shuffle(shuffled)
    n = len(households)
    cut = [0]

    def take(share: float) -> list[BenchHousehold]:
        start = cut[0]
        cut[0] += max(3, round(n * share))
        return shuffled[start : cut[0]]

    # Merged households: inactive, their members moved into another household.
    merged = take(0.002)
    for source in merged:
        target = rng.choice(shuffled[-1000:])
        source.active = False
        target.moved_in += source.members
        hashes = [m.id_hash for m in source.members]
        Membership.objects.filter(household_id=source.pk, end_date__isnull=True).update(
            end_date=ended, end_reason=Membership.EndReason.MERGE
        )
        person_ids = Person.objects.filter(id_hash__in=hashes).values_list("pk", flat=True)
        Membership.objects.bulk_create(
            Membership(
                household_id=target.pk,
                person_id=pk,
                relation="其他",
                start_date=CHANGED_ON,
                start_reason=Membership.StartReason.MERGE,
            )
            for pk in person_ids
        )
    Household.objects.filter(pk__in=[h.pk for h in merged]).update(is_active=False)
    for status, share in (("monitored", 0.04), ("eliminated", 0.01)):
        chosen = take(share)
        for h in chosen:
            h.status = status
        Household.objects.filter(pk__in=[h.pk for h in chosen]).update(monitoring_status=status)
    identifying = take(0.015)
    for h in identifying:
        h.identifying = True
    # Open cases: in identification (counted as "in identification"), and monitored ones (not counted);
    # a few closed ones in identification (not counted either).
    cases = [(h, CaseStatus.IDENTIFYING, True) for h in identifying]
    cases += [(h, CaseStatus.MONITORED, True) for h in households if h.status == "monitored"]
    cases += [(h, CaseStatus.IDENTIFYING, False) for h in take(0.005)]
    Case.objects.bulk_create(
        Case(
            number=f"BENCH{i:08d}",
            household_id=h.pk,
            area_id=h.area_id,
            status=status,
            is_open=is_open,
            stage=Step.CONSENT,
            stage_since=as_of,
            opened_on=as_of,
        )
        for i, (h, status, is_open) in enumerate(cases, start=1)
    )
    # Persons: dead but still in the household (inactive), or moved away (membership ended).
    people = [m for h in shuffled[cut[0] :] for m in h.members]
    rng.shuffle(people)
    few = max(5, round(len(people) * 0.003))
    dead, gone = people[:few], people[few : 2 * few]
    Person.objects.filter(id_hash__in=[m.id_hash for m in dead]).update(
        status="deceased", status_date=CHANGED_ON
    )
    gone_ids = list(Person.objects.filter(id_hash__in=[m.id_hash for m in gone]).values_list("pk", flat=True))
    Membership.objects.filter(person_id__in=gone_ids, end_date__isnull=True).update(
        end_date=ended, end_reason=Membership.EndReason.MOVED_AWAY
    )
    Person.objects.filter(pk__in=gone_ids).update(status="left", status_date=CHANGED_ON)

    # Incomes: the as-of year's removed (the year before is then the latest), the year before removed
    # (no previous income), a year after the as-of year (ignored), boundary values.
    year = as_of.year
    no_latest, no_previous, later = take(0.015), take(0.01), take(0.01)
    IncomeYear.objects.filter(household_id__in=[h.pk for h in no_latest], year=year).delete()
    IncomeYear.objects.filter(household_id__in=[h.pk for h in no_previous], year=year - 1).delete()
    copies = list(IncomeYear.objects.filter(household_id__in=[h.pk for h in later], year=year))
    for income in copies:
        income.pk, income.year, income.net_income_per_capita = None, year + 1, Decimal("100.00")
    IncomeYear.objects.bulk_create(copies)
    boundaries = [
        ("10000.00", "7000.00"),  # a drop of exactly 30 %, below 1.5 × line: income_drop
        ("10000.00", "7000.01"),  # just under 30 %
        ("20000.00", "12449.99"),  # below 1.5 × 8,300
        ("20000.00", "12450.00"),  # not below it
        ("0.00", "100.00"),  # no previous income to drop from
        (None, "8300.00"),  # at the line: not below it
        (None, "8299.99"),  # one cent below
    ]
    for i, h in enumerate(take(0.02)):
        previous, latest = boundaries[i % len(boundaries)]
        IncomeYear.objects.filter(household_id=h.pk, year=year).update(net_income_per_capita=Decimal(latest))
        if previous is not None:
            IncomeYear.objects.filter(household_id=h.pk, year=year - 1).update(
                net_income_per_capita=Decimal(previous)
            )
    return {
        "merged": len(merged),
        "dead": len(dead),
        "moved_away": len(gone),
        "cases": len(cases),
    }


# --- the feeds ------------------------------------------------------------------------------------------
class Days:
    """Dates around the as-of date and its windows, never after today (the feed check refuses those)."""

    def __init__(self, rng: random.Random, as_of: datetime.date):
        self.rng, self.as_of = rng, as_of
        self.today = datetime.date.today()
        self.edge = screening_orm.months_back(as_of, 12)  # the 12-month windows' excluded first day

    def between(self, first: datetime.date, last: datetime.date) -> str:
        last = min(last, self.today)
        return (first + datetime.timedelta(days=self.rng.randrange((last - first).days + 1))).isoformat()

    def around(self, years_back: float, days_after: int = 90) -> str:
        first = self.as_of - datetime.timedelta(days=round(365 * years_back))
        return self.between(first, self.as_of + datetime.timedelta(days=days_after))

    def boundary(self) -> str:
        """The window's edge (out), the day after (in), the as-of date (in), the day after it (out)."""
        one = datetime.timedelta(days=1)
        return self.rng.choice([self.edge, self.edge + one, self.as_of, self.as_of + one]).isoformat()

    def month(self, back: int, forward: int = 1) -> str:
        """A 'YYYY-MM' month from `back` months before the as-of month to `forward` after it."""
        offset = self.rng.randint(-back, forward)
        day = screening_orm.months_back(self.as_of.replace(day=1), -offset)
        return min(day, self.today.replace(day=1)).strftime("%Y-%m")


def money(rng: random.Random, *bands: tuple[float, float, float]) -> str:
    """An amount from weighted (weight, low, high) bands, in cents."""
    weights = [b[0] for b in bands]
    _, low, high = rng.choices(bands, weights)[0]
    return f"{rng.uniform(low, high):.2f}"


def pick(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


def feed_records(households: list[BenchHousehold], rng: random.Random, as_of: datetime.date) -> dict:
    """kind → the uploads (lists of records) of that kind."""
    from zhenxing.lib import idnumbers

    days = Days(rng, as_of)
    people = [(m, h) for h in households for m in h.members]
    heads = [(h.members[0], h) for h in households]
    school = screening_orm.school_year_begun(as_of)
    strangers = iter(
        idnumbers.make(UNMATCHED_REGION, datetime.date(1960, 1, 1) + datetime.timedelta(days=i), 11)
        for i in range(100_000)
    )

    def some(pool, share: float):
        return rng.sample(pool, min(len(pool), max(5, round(len(pool) * share))))

    def stranger() -> str:
        return next(strangers)

    # Under check (monitored or in identification) households get more of the 疑点 feeds' rows.
    checked = [(m, h) for m, h in people if h.status == "monitored" or h.identifying]
    lifted = [(m, h) for m, h in people if h.kind == "lifted" or h.status == "monitored"]
    feeds: dict[str, list[list[dict]]] = {}

    # 医保: settlements over ~2 years around the window; a few totals at the thresholds exactly.
    medical = []
    for m, _ in some(people, 0.12):
        for _ in range(rng.randint(1, 4)):
            self_pay = money(rng, (70, 50, 3000), (20, 3000, 9000), (8, 9000, 22000), (2, 20000, 40000))
            medical.append(
                {
                    "id_number": m.id_number,
                    "settlement_date": days.around(1.4),
                    "visit_type": pick(rng, (("住院", 0.4), ("门诊", 0.6))),
                    "total_cost": f"{Decimal(self_pay) * 3:.2f}",
                    "self_pay": self_pay,
                }
            )
    amounts = ["5000.00", "4999.99", "20000.00", "19999.99"]
    for i, (m, _) in enumerate(some(lifted, 0.01) + some(people, 0.002)):
        day = days.boundary() if i % 3 == 0 else days.between(days.edge + datetime.timedelta(days=1), as_of)
        if i % 4 == 3:  # one total in two rows
            medical.append({"id_number": m.id_number, "settlement_date": day, "self_pay": "2500.00"})
            medical.append(
                {"id_number": m.id_number, "settlement_date": as_of.isoformat(), "self_pay": "2500.00"}
            )
        else:
            medical.append(
                {"id_number": m.id_number, "settlement_date": day, "self_pay": amounts[i % len(amounts)]}
            )
    medical += [
        {"id_number": stranger(), "settlement_date": days.around(1), "self_pay": "30000.00"}
        for _ in range(200)
    ]
    again = rng.sample(medical, len(medical) // 10)  # re-sent in a second upload
    twice = rng.sample(again, len(again) // 10)  # and some of them twice in it
    extra = [
        {"id_number": m.id_number, "settlement_date": days.around(1), "self_pay": money(rng, (1, 1000, 9000))}
        for m, _ in some(people, 0.005)
    ]
    feeds["medical"] = [medical, again + twice + extra]

    # 教育: school years before, in and after the latest begun; costs around 10,000 per member and year.
    years = [f"{y}-{y + 1}" for y in range(school - 2, school + 2)]
    stages = ("小学", "初中", "高中", "中职", "高职", "本科及以上")
    education = []
    for m, _ in some(people, 0.08):
        for year in rng.sample(years, rng.randint(1, 2)):
            education.append(
                {
                    "id_number": m.id_number,
                    "school_year": year,
                    "stage": rng.choice(stages),
                    "school": "基准学校",
                    "enrolment_status": pick(rng, (("在读", 85), ("辍学", 7), ("休学", 4), ("毕业", 4))),
                    "personal_cost": money(rng, (60, 0, 6000), (25, 6000, 10000), (15, 10000, 16000))
                    if rng.random() < 0.9
                    else "",
                }
            )
    for i, (m, _) in enumerate(some(people, 0.003)):
        year, stage = rng.choice(years), rng.choice(stages[2:])
        costs = [["10000.00"], ["10000.01"], ["6000.00", "4000.01"], ["6000.00", "4000.00"]][i % 4]
        for cost in costs:
            education.append(
                {"id_number": m.id_number, "school_year": year, "stage": stage, "enrolment_status": "在读",
                 "personal_cost": cost}
            )  # fmt: skip
    feeds["education"] = [education]

    # 民政: assistance begun over three years; new 低保/特困 within the window warn unmonitored households.
    civil = []
    for m, _ in some(people, 0.04):
        start = days.boundary() if rng.random() < 0.1 else days.around(3)
        civil.append(
            {
                "id_number": m.id_number,
                "assistance_type": pick(rng, (("低保", 40), ("特困", 15), ("临时救助", 45))),
                "start_date": start,
                "end_date": max(start, days.around(0.5, 400)) if rng.random() < 0.2 else "",
                "monthly_amount": money(rng, (1, 300, 900)),
            }
        )
    feeds["civil_affairs"] = [civil]

    # 残联: certificates over six years, grades one to four.
    disability = [
        {
            "id_number": m.id_number,
            "disability_category": rng.choice(("肢体", "视力", "听力", "智力", "精神")),
            "disability_grade": rng.choice(("一级", "二级", "三级", "四级")),
            "issue_date": days.boundary() if rng.random() < 0.1 else days.around(6),
        }
        for m, _ in some(people, 0.025)
    ]
    feeds["disability"] = [disability]

    # 住建: appraisals of the head's house (now and then another member's), some on the same day.
    housing = []
    for m, h in some(heads, 0.06):
        who = rng.choice(h.members) if rng.random() < 0.1 else m
        for _ in range(rng.randint(1, 3)):
            day = days.around(4)
            housing.append({"id_number": who.id_number, "appraisal_date": day, "safety_grade": pick(
                rng, (("A", 40), ("B", 35), ("C", 15), ("D", 10)))})  # fmt: skip
            if rng.random() < 0.15:
                housing.append(
                    {"id_number": who.id_number, "appraisal_date": day, "safety_grade": rng.choice("ABCD")}
                )
    feeds["housing"] = [housing]

    # 应急: disasters over two years; losses around 10,000, houses damaged or not.
    emergency = []
    for i, (m, _) in enumerate(some(heads, 0.04)):
        emergency.append(
            {
                "id_number": m.id_number,
                "disaster_type": rng.choice(("洪涝灾害", "风雹灾害", "地质灾害", "干旱")),
                "occurrence_date": days.boundary() if rng.random() < 0.1 else days.around(2),
                "direct_loss": ["10000.00", "9999.99"][i % 2]
                if i % 10 == 0
                else (money(rng, (70, 0, 9000), (30, 9000, 20000)) if rng.random() < 0.9 else ""),
                "house_damage": pick(
                    rng, (("无", 55), ("一般损坏", 25), ("严重损坏", 10), ("倒塌", 5), ("", 5))
                ),
            }
        )
    feeds["emergency"] = [emergency]

    # 人社: monthly status of labour, the months around the 3-month window and one after the as-of month.
    employment = []
    for m, _ in some(people, 0.10) + some(lifted, 0.05):
        for _ in range(rng.randint(1, 3)):
            employment.append(
                {
                    "id_number": m.id_number,
                    "stat_month": days.month(5),
                    "employment_status": pick(
                        rng, (("务工", 70), ("失业", 12), ("返乡", 12), ("公益性岗位", 6))
                    ),
                    "work_place": "鄂州市",
                }
            )
    feeds["employment"] = [employment]

    # 公安: deaths, moves, normal; some undated.
    police = [
        {
            "id_number": m.id_number,
            "registration_status": pick(rng, (("正常", 60), ("死亡", 25), ("迁出", 15))),
            "change_date": days.around(3) if rng.random() < 0.9 else "",
        }
        for m, _ in some(people, 0.01) + some(checked, 0.05)
    ]
    feeds["police"] = [police]

    # 疑点 feeds: payroll posts, vehicles, real estate, businesses; some dated after the as-of date.
    feeds["public_payroll"] = [
        [
            {
                "id_number": m.id_number,
                "employer": "基准单位",
                "hire_date": days.around(20) if rng.random() < 0.8 else "",
            }
            for m, _ in some(people, 0.005) + some(checked, 0.03)
        ]
    ]
    feeds["vehicle"] = [
        [
            {
                "id_number": m.id_number,
                "plate_number": f"鄂G{rng.randrange(10000, 99999)}",
                "vehicle_type": pick(
                    rng, (("小型轿车", 40), ("中型客车", 5), ("货车", 10), ("农用车", 15), ("摩托车", 30))
                ),
                "registration_date": days.around(8) if rng.random() < 0.9 else "",
            }
            for m, _ in some(people, 0.03) + some(checked, 0.05)
        ]
    ]
    feeds["real_estate"] = [
        [
            {
                "id_number": m.id_number,
                "location": "鄂城区基准路1号",
                "property_use": pick(rng, (("住宅", 50), ("商业", 15), ("其他", 35))),
                "registration_date": days.around(8) if rng.random() < 0.9 else "",
                "floor_area": money(rng, (1, 40, 200)),
            }
            for m, _ in some(people, 0.02) + some(checked, 0.04)
        ]
    ]
    business = []
    for i, (m, _) in enumerate(some(people, 0.015) + some(checked, 0.05)):
        capital = ["50.00", "49.99"][i % 2] if i % 5 == 0 else money(rng, (80, 0, 45), (20, 45, 200))
        business.append(
            {
                "id_number": m.id_number,
                "entity_name": "基准商贸",
                "entity_type": pick(
                    rng,
                    (
                        ("个体工商户", 60),
                        ("有限责任公司", 15),
                        ("股份有限公司", 3),
                        ("农民专业合作社", 17),
                        ("其他", 5),
                    ),
                ),  # fmt: skip
                "registered_capital": capital,
                "founded_date": days.around(10) if rng.random() < 0.9 else "",
                "registration_status": pick(rng, (("存续", 70), ("注销", 20), ("吊销", 10))),
            }
        )
    feeds["business"] = [business]
    # Each kind also gets rows of persons not in the registry (kept unmatched, never counted).
    for kind, uploads in feeds.items():
        if kind != "medical":
            template = uploads[0][0]
            uploads[0] += [{**template, "id_number": stranger()} for _ in range(20)]
    return feeds


def store_feeds(feeds: dict, admin) -> dict[str, int]:
    """Check and store every upload through the product's path; returns rows stored per kind."""
    from zhenxing.screening import feeds as checks
    from zhenxing.screening.actions.feeds import commit_feed
    from zhenxing.screening.models import FeedUpload

    stored: dict[str, int] = Counter()
    for kind, uploads in feeds.items():
        for records in uploads:
            plan = checks.validate_records(kind, records)
            if plan.errors:
                shown = "; ".join(f"row {e.row} {e.column} {e.reason}" for e in plan.errors[:5])
                raise SystemExit(f"{kind} feed check failed ({len(plan.errors)} problems): {shown}")
            upload = commit_feed(admin, kind, plan, source=FeedUpload.Source.API, period="基准")
            stored[kind] += upload.rows_total
    return dict(stored)


def setup(args, url: str) -> dict:
    started = time.perf_counter()
    county, admin = bench_import.setup_django(url)
    from django.db import connection

    from zhenxing.registry.models import Household, IncomeYear, Membership

    figures = {"migrate_s": time.perf_counter() - started}
    rng = random.Random(args.seed)
    households, loaded = load_registry(args.persons, args.seed, county, admin)
    figures |= loaded
    step = time.perf_counter()
    figures["changes"] = change_registry(households, rng, args.as_of)
    figures["changes_s"] = time.perf_counter() - step
    step = time.perf_counter()
    feeds = feed_records(households, rng, args.as_of)
    figures["feeds_made_s"] = time.perf_counter() - step
    step = time.perf_counter()
    figures["feed_rows"] = store_feeds(feeds, admin)
    figures["feeds_stored_s"] = time.perf_counter() - step
    if not args.no_analyze:
        # Planner statistics, as PostgreSQL's autovacuum gathers in time (the importer analyses the
        # registry tables itself; feed commits do not). Without them SQLite reads a household's feed rows
        # through the (kind, id) index, every row of the kind for each household (see bench/README.md).
        step = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        figures["analyze_s"] = time.perf_counter() - step
    figures["setup_s"] = time.perf_counter() - started
    figures["households"] = Household.objects.filter(is_active=True).count()
    figures["persons"] = Membership.objects.filter(end_date__isnull=True, household__is_active=True).count()
    figures["incomes"] = IncomeYear.objects.count()
    figures["peak_mb"] = peak_mb()
    return figures


# --- the children ---------------------------------------------------------------------------------------
def settings_for(as_of: datetime.date) -> tuple[dict, list[str]]:
    """The as-of year's engine parameters and enabled rules, exactly as a screening run reads them."""
    from zhenxing.policy.resolve import policy_for
    from zhenxing.screening.runs import enabled_rules, engine_params

    policy = policy_for(as_of.year)
    return engine_params(policy.values), enabled_rules(policy.values)


def child_engine(args) -> dict:
    import tempfile

    from zhenxing.screening.engine import run as engine
    from zhenxing.screening.snapshot import write_snapshot

    params, rules = settings_for(args.as_of)
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="zhenxing-bench-orm-") as directory:
        info = write_snapshot(Path(directory))
        snapshot_s = time.perf_counter() - started
        result = engine.run(Path(directory), params, args.as_of, rules=rules)
    total = time.perf_counter() - started
    return {
        "snapshot_s": snapshot_s,
        "engine_s": result.seconds_total,
        "total_s": total,
        "cpu_s": time.process_time() - cpu,
        "peak_mb": peak_mb(),
        "rules": rules,
        "counts": result.counts,
        "snapshot_feeds": info.feeds,
        "snapshot_persons": info.persons,
        "identities": sorted(h.identity for h in result.hits),
    }


def child_orm(args) -> dict:
    from django.db import connection

    from zhenxing.registry.models import Household

    params, rules = settings_for(args.as_of)
    every = list(Household.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    sample = None
    if args.orm_households and args.orm_households < len(every):
        sample = sorted(random.Random(args.seed).sample(every, args.orm_households))
    queries = [0]

    def count(execute, sql, params_, many, context):
        queries[0] += 1
        return execute(sql, params_, many, context)

    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        found = screening_orm.evaluate(args.as_of, params, rules=rules, households=sample)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_s": time.process_time() - cpu,
        "queries": queries[0],
        "peak_mb": peak_mb(),
        "households": len(every),
        "sample": sample,
        "identities": sorted(found),
    }


def child_store(args) -> dict:
    from zhenxing.screening.runs import run_screening

    started = time.perf_counter()
    run = run_screening(None, as_of=args.as_of)
    return {
        "seconds": time.perf_counter() - started,
        "run_seconds": run.seconds,
        "counts": run.counts,
        "new_warnings": run.new_warnings,
        "new_discrepancies": run.new_discrepancies,
        "peak_mb": peak_mb(),
    }


def in_child(kind: str, args, url: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--db", url, "--as-of", args.as_of.isoformat()]
    command += ["--seed", str(args.seed)]
    command += ["--orm-households", str(args.orm_households)] if args.orm_households else []
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{kind} child process failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the report -----------------------------------------------------------------------------------------
def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} / {five:.2f}"


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        django_only(args.db)
        result = {"engine": child_engine, "orm": child_orm, "store": child_store}[args.child](args)
        print(json.dumps(result, default=str))
        return
    print(f"Machine: {os.cpu_count()} cores; load {load()} (1/5 min); screening as of {args.as_of}")
    url = fresh_database(args.database_url)
    try:
        report(args, url)
    finally:
        if not args.keep:
            drop_database(args.database_url)


def report(args, url: str) -> None:
    made = setup(args, url)
    from django.db import connection, connections

    vendor = connection.vendor
    connections.close_all()  # the children open their own
    c = made["changes"]
    analyzed = f"ANALYZE {made['analyze_s']:.1f}" if "analyze_s" in made else "no ANALYZE"
    print(
        f"Setup ({vendor}): {made['setup_s']:.1f} s (migrate {made['migrate_s']:.1f}, household import "
        f"{made['households_s']:.1f}, income import {made['incomes_s']:.1f}, direct changes "
        f"{made['changes_s']:.1f}, feeds generated {made['feeds_made_s']:.1f}, feeds checked and stored "
        f"{made['feeds_stored_s']:.1f}, {analyzed}), peak RSS {made['peak_mb']:,.0f} MB"
    )
    print(
        f"  {made['persons']:,} persons in households, {made['households']:,} active households, "
        f"{made['incomes']:,} income years; {c['merged']} households merged, {c['dead']} persons dead but "
        f"still in their household, {c['moved_away']} moved away, {c['cases']} cases"
    )

    engine = in_child("engine", args, url)
    print("  Feeds (rows stored / rows in the snapshot, re-sent records merged):")
    for kind, rows in made["feed_rows"].items():
        print(f"    {kind:15s} {rows:7,d} / {engine['snapshot_feeds'].get(kind, 0):7,d}")
    print(
        f"\nEngine path (write_snapshot + engine.run, DuckDB, {len(engine['rules'])} rules): "
        f"snapshot {engine['snapshot_s']:.2f} s + engine {engine['engine_s']:.2f} s = {engine['total_s']:.2f} s "
        f"(CPU {engine['cpu_s']:.2f} s), peak RSS {engine['peak_mb']:,.0f} MB"
    )

    orm = in_child("orm", args, url)
    sample = orm["sample"]
    evaluated = len(sample) if sample is not None else orm["households"]
    factor = orm["households"] / evaluated  # 1 unless a sample was timed
    scaled = orm["seconds"] * factor
    how = (
        f"a random sample of {evaluated:,} households in {orm['seconds']:.1f} s, "
        f"scaled linearly to {orm['households']:,} households"
        if sample is not None
        else f"all {evaluated:,} households"
    )
    print(
        f"ORM path, household by household ({how}): {scaled:.1f} s (CPU {orm['cpu_s'] * factor:.1f} s), "
        f"{orm['queries']:,} queries measured ({orm['queries'] / evaluated:.1f} per household), "
        f"peak RSS {orm['peak_mb']:,.0f} MB"
    )
    print(
        f"ORM ÷ engine = {scaled / engine['total_s']:.0f}× (goal ≥ {GOAL_RATIO}×); "
        f"ORM ÷ engine alone (without the snapshot) = {scaled / engine['engine_s']:.0f}×; load {load()}"
    )

    a = {tuple(i) for i in engine["identities"]}
    b = {tuple(i) for i in orm["identities"]}
    if sample is not None:
        chosen = set(sample)
        a = {i for i in a if i[1] in chosen}
    by_rule_a, by_rule_b = Counter(i[0] for i in a), Counter(i[0] for i in b)
    print(f"\nRule                    Engine      ORM{' (sampled households)' if sample is not None else ''}")
    for rule in engine["rules"]:
        print(f"  {rule:20s} {by_rule_a[rule]:7,d} {by_rule_b[rule]:8,d}")
    print(f"  {'Total':20s} {len(a):7,d} {len(b):8,d}")
    if a == b:
        print("Same sets of (rule, household, period): yes")
    else:
        print("Same sets of (rule, household, period): no")
        only_a, only_b = defaultdict(list), defaultdict(list)
        for i in sorted(a - b):
            only_a[i[0]].append(i)
        for i in sorted(b - a):
            only_b[i[0]].append(i)
        for rule in engine["rules"]:
            if only_a[rule] or only_b[rule]:
                print(f"  {rule}: engine only {len(only_a[rule])} {only_a[rule][:5]}")
                print(f"  {' ' * len(rule)}  ORM only    {len(only_b[rule])} {only_b[rule][:5]}")
    silent = [r for r in engine["rules"] if not engine["counts"].get(r)]
    if silent:
        print(f"Note: these rules have no hits: {', '.join(silent)}")

    store = in_child("store", args, url)
    same = store["counts"] == engine["counts"]
    print(
        f"\nFor reference: run_screening (snapshot + engine + storing warnings and discrepancies) "
        f"{store['seconds']:.1f} s (ScreeningRun.seconds {store['run_seconds']:.1f}), "
        f"{store['new_warnings']:,} new warnings, {store['new_discrepancies']:,} new discrepancies, "
        f"peak RSS {store['peak_mb']:,.0f} MB; hits per rule as the engine's: {'yes' if same else 'no'}"
    )
    print(f"Load {load()} (1/5 min)")


if __name__ == "__main__":
    main()
