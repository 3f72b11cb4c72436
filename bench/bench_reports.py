"""Reports benchmark: the district dashboard and the statutory exports with 1,000,000 households on PostgreSQL.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_registry_web.py --no-deep --no-plans   # loads 1,000,000 households into zx_bench
    .venv/bin/python bench/bench_reports.py                              # adds cases, warnings, funds; measures

Goal (issue 7): the district dashboard in ≤ 500 ms and each statutory export of 100,000 rows in ≤ 30 s, with
1,000,000 households on PostgreSQL.

What it does:
1. reuses the registry benchmark's database (`zx_bench`, 1,000,000 households with members and incomes,
   loaded by `bench_registry_web.py`; it refuses to run on a database with fewer households);
2. once (marker: cases numbered `BJ…`), adds bench data with `bulk_create` — the case events the reports
   date things by (opened, monitored, elimination started, eliminated) but no step records, visits or audit
   rows: `--monitored` (100,000) households in monitoring
   (identified 2022–2024, one in twenty of them in the elimination procedure), `--eliminated` (50,000)
   eliminated cases (one in ten of them followed by a relapse case), 2,000 cases in identification, one to
   two measures per case, `--warnings` (100,000) screening warnings in every state (a quarter of the open
   ones overdue), and the funds library of `bench_funds.py` (5,000 projects, 50,000 payments) plus one
   asset per accepted project; then `ANALYZE`; and (marker: events with reason 基准历史) the household
   history the 就业 figures read: a registration event on 2021-01-01 with its snapshot for every household,
   and a member change half a year ago for one 脱贫户 in four (`seed_history`);
3. times, `--repeat` times each, the dashboard pages as a district admin through Django's test `Client`
   (whole requests: session, middleware, queries, template), and prints p50/p95/max;
4. times each statutory export for the whole district as of today — the funds ones as of 2024-12-31, the
   bench library's year — (`build_workbook`, the job's own work: queries, rows, the `.xlsx`), with its row
   count and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime
import random
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_registry_web as web  # noqa: E402

BULK = 5000
TODAY = datetime.date.today()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=web.DEFAULT_URL)
    parser.add_argument("--households", type=int, default=1_000_000, help="households the database must hold")
    parser.add_argument("--monitored", type=int, default=100_000)
    parser.add_argument("--eliminated", type=int, default=50_000)
    parser.add_argument("--warnings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    return parser.parse_args()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]
    return f"p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms"


# --- bench data -----------------------------------------------------------------------------------------
def seeded() -> bool:
    from zhenxing.cases.models import Case

    return Case.objects.filter(number__startswith="BJ").exists()


def seed(args, admin) -> None:
    from django.db import connection

    rng = random.Random(args.seed)
    started = time.perf_counter()
    households = pick_households(args.monitored + args.eliminated + 2_000, rng)
    seed_cases(args, admin, households, rng)
    print(f"  cases and measures  {time.perf_counter() - started:6.1f} s", flush=True)
    t = time.perf_counter()
    seed_warnings(args, admin, households, rng)
    print(f"  warnings            {time.perf_counter() - t:6.1f} s", flush=True)
    t = time.perf_counter()
    from zhenxing.screening.colour import refresh_all

    looked_at = refresh_all()  # bulk_create sends no signals: the households' colour columns, as a repair
    print(f"  colour columns      {time.perf_counter() - t:6.1f} s ({looked_at:,} households)", flush=True)
    t = time.perf_counter()
    seed_funds(admin, rng)
    print(f"  funds               {time.perf_counter() - t:6.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  bench data in {time.perf_counter() - started:.1f} s", flush=True)


def pick_households(count: int, rng: random.Random) -> list[tuple[int, int]]:
    """(household id, village id) of `count` random households."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, area_id FROM registry_household WHERE is_active ORDER BY id")
        rows = cursor.fetchall()
    return rng.sample(rows, count)


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def seed_cases(args, admin, households, rng) -> None:
    from django.db import connection

    from zhenxing.cases.models import (
        Case,
        CaseEvent,
        CaseStatus,
        Measure,
        MeasureCategory,
        MeasureStatus,
        MonitoringType,
        Procedure,
        RiskType,
        Step,
    )

    risks = [r.value for r in RiskType]
    types = [t.value for t in MonitoringType]
    categories = [c.value for c in MeasureCategory]
    cases, n = [], 0

    def case(household, area, **fields):
        nonlocal n
        n += 1
        main = rng.choice(risks)
        identified = fields.pop("identified_on", None)
        cases.append(
            Case(
                number=f"BJ{n:08d}",
                household_id=household,
                area_id=area,
                monitoring_type=rng.choice(types) if identified else "",
                risk_types=[main] + ([rng.choice(risks)] if rng.random() < 0.3 else []),
                main_risk=main,
                identified_on=identified,
                announced_on=identified + datetime.timedelta(days=3) if identified else None,
                assessed_per_capita=Decimal(rng.randrange(4000, 9000)),
                opened_by=admin,
                **fields,
            )
        )

    start, end = datetime.date(2022, 1, 1), min(TODAY, datetime.date(2024, 12, 31))
    monitored = households[: args.monitored]
    eliminated = households[args.monitored : args.monitored + args.eliminated]
    identifying = households[args.monitored + args.eliminated :]
    for k, (household, area) in enumerate(monitored):
        identified = _day(rng, start, end)
        eliminating = k % 20 == 0
        case(
            household,
            area,
            status=CaseStatus.ELIMINATING if eliminating else CaseStatus.MONITORED,
            procedure=Procedure.ELIMINATION if eliminating else Procedure.IDENTIFICATION,
            stage=Step.REVIEW if eliminating else Step.DONE,
            stage_since=identified,
            stage_due=identified + datetime.timedelta(days=200) if eliminating else None,
            opened_on=identified - datetime.timedelta(days=12),
            identified_on=identified,
            elimination_started_on=identified + datetime.timedelta(days=190) if eliminating else None,
        )
    for household, area in eliminated:
        identified = _day(rng, start, datetime.date(2023, 6, 30))
        gone = identified + datetime.timedelta(days=rng.randrange(190, 500))
        case(
            household,
            area,
            status=CaseStatus.ELIMINATED,
            is_open=False,
            procedure=Procedure.ELIMINATION,
            stage=Step.DONE,
            stage_since=gone,
            opened_on=identified - datetime.timedelta(days=12),
            identified_on=identified,
            elimination_started_on=gone - datetime.timedelta(days=20),
            eliminated_on=gone,
            closed_on=gone,
        )
    for household, area in identifying:
        opened = _day(rng, TODAY - datetime.timedelta(days=40), TODAY)
        case(
            household,
            area,
            stage=rng.choice([Step.HOME_CHECK, Step.NOTICE, Step.TOWNSHIP]),
            stage_since=opened,
            stage_due=opened + datetime.timedelta(days=5),
            total_due=opened + datetime.timedelta(days=21),
            opened_on=opened,
        )
    Case.objects.bulk_create(cases, batch_size=BULK)
    ids = dict(Case.objects.filter(number__startswith="BJ").values_list("number", "id"))
    relapses = []
    for c in cases[args.monitored : args.monitored + args.eliminated : 10]:  # one eliminated case in ten
        again = c.eliminated_on + datetime.timedelta(days=rng.randrange(30, 300))
        if again > TODAY:
            continue
        relapses.append(c)
        case(
            c.household_id,
            c.area_id,
            status=CaseStatus.MONITORED,
            stage=Step.DONE,
            stage_since=again,
            opened_on=again - datetime.timedelta(days=12),
            identified_on=again,
            is_relapse=True,
            previous_case_id=ids[c.number],
        )
    Case.objects.bulk_create(cases[-len(relapses) :], batch_size=BULK)
    with connection.cursor() as cursor:  # bulk_create skips `Case.save`, which copies the member count
        cursor.execute(
            "UPDATE cases_case c SET household_members = h.member_count FROM registry_household h "
            "WHERE h.id = c.household_id AND c.number LIKE %s",
            ["BJ%"],
        )
    ids = dict(Case.objects.filter(number__startswith="BJ").values_list("number", "id"))
    events = []
    for c in cases:
        base = dict(case_id=ids[c.number], household_id=c.household_id, area_id=c.area_id, actor=admin)
        events.append(CaseEvent(kind=CaseEvent.Kind.OPENED, effective_date=c.opened_on, **base))
        if c.announced_on:
            events.append(CaseEvent(kind=CaseEvent.Kind.MONITORED, effective_date=c.announced_on, **base))
        if c.elimination_started_on:
            day = c.elimination_started_on
            events.append(CaseEvent(kind=CaseEvent.Kind.ELIMINATION_STARTED, effective_date=day, **base))
        if c.eliminated_on:
            events.append(CaseEvent(kind=CaseEvent.Kind.ELIMINATED, effective_date=c.eliminated_on, **base))
    CaseEvent.objects.bulk_create(events, batch_size=BULK)
    measures = []
    for c in cases:
        if not c.identified_on:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            begun = c.identified_on + datetime.timedelta(days=rng.randrange(0, 60))
            measures.append(
                Measure(
                    case_id=ids[c.number],
                    household_id=c.household_id,
                    area_id=c.area_id,
                    category=rng.choice(categories),
                    content="基准帮扶措施",
                    responsible="帮扶责任人",
                    start_date=begun,
                    amount=Decimal(rng.randrange(500, 5000)),
                    status=rng.choice([MeasureStatus.IN_PROGRESS, MeasureStatus.DONE]),
                    created_by=admin,
                )
            )
    Measure.objects.bulk_create(measures, batch_size=BULK)
    print(
        f"  {len(cases):,} cases ({len(relapses):,} relapses), {len(events):,} events, {len(measures):,} measures"
    )


def seed_warnings(args, admin, households, rng) -> None:
    from zhenxing.policy.models import PolicyVersion
    from zhenxing.screening.models import ScreeningRun, Warning, WarningResult, WarningStatus

    version = PolicyVersion.objects.order_by("-id").first()
    run = ScreeningRun.objects.create(
        as_of=TODAY, started_by=admin, policy_version=version, status=ScreeningRun.Status.DONE
    )
    departments = ["medical", "education", "civil_affairs", "disability", "housing", "employment"]
    risks = {"medical": "因病", "education": "因学", "civil_affairs": "其他", "disability": "因残",
             "housing": "住房安全", "employment": "因务工就业不稳"}  # fmt: skip
    rows = []
    pool = households[: args.warnings] if args.warnings <= len(households) else households
    for k in range(args.warnings):
        household, area = pool[k % len(pool)]
        department = departments[k % len(departments)]
        raised = _day(rng, datetime.date(2024, 1, 1), TODAY)
        due = raised + datetime.timedelta(days=7)
        state = rng.random()
        fields = {}
        if state < 0.7 and due < TODAY:
            closed = min(TODAY, raised + datetime.timedelta(days=rng.randrange(1, 12)))
            fields = dict(
                status=WarningStatus.CLOSED,
                assigned_on=raised,
                verification_started_on=raised,
                result=WarningResult.INCLUDE if rng.random() < 0.2 else WarningResult.EXCLUDE,
                result_reason="经核实",
                closed_on=closed,
            )
        elif state < 0.85:
            fields = dict(status=WarningStatus.ASSIGNED, assigned_on=raised)
        rows.append(
            Warning(
                number=f"BJW{k:08d}",
                rule=f"{department}_bench",
                rule_version=1,
                policy_version=version,
                household_id=household,
                area_id=area,
                period=f"{raised:%Y-%m}-{k}",
                risk_type=risks[department],
                department=department,
                values={"基准": "1"},
                first_run=run,
                raised_on=raised,
                due=due,
                **fields,
            )
        )
    Warning.objects.bulk_create(rows, batch_size=BULK)
    print(f"  {len(rows):,} warnings", flush=True)


def history_seeded() -> bool:
    from zhenxing.registry.models import HouseholdEvent

    return HouseholdEvent.objects.filter(reason="基准历史").exists()


def seed_history() -> None:
    """The household history the 就业 figures read (`registry.queries.lifted_labour_on`): every active
    household's registration on 2021-01-01 with its snapshot (`registry.history.build_snapshot`'s shape,
    built in SQL from the loaded rows), and for one 脱贫户 in four a member change half a year ago with its
    members' 外出务工 turned into 乡镇内务工 — so this year's migrant workers are fewer than last year's."""
    from django.db import connection

    from zhenxing.registry.history import HOUSEHOLD_FIELDS, LABOUR_CAPACITIES, MIGRANT_WORK, PERSON_FIELDS

    household = ", ".join(f"'{f}', h.{f}" for f in HOUSEHOLD_FIELDS)
    person = ", ".join(
        f"'{f}', {{employment}}" if f == "employment" else f"'{f}', p.{f}" for f in PERSON_FIELDS
    )

    labour = "(" + ", ".join(f"'{c}'" for c in LABOUR_CAPACITIES) + ")"
    migrant = "(" + ", ".join(f"'{w}'" for w in MIGRANT_WORK) + ")"

    def insert(kind: str, day: str, where: str, employment: str) -> str:
        members = person.format(employment=employment)
        # The counts `history.derived` reads from the snapshot, computed from the same rows.
        counted = (
            "(SELECT {what} FROM registry_membership m JOIN registry_person p ON p.id = m.person_id "
            f"WHERE m.household_id = h.id AND m.end_date IS NULL AND p.labour_capacity IN {labour})"
        )
        lifted = "CASE WHEN h.kind = 'lifted' AND h.is_active THEN {count} END"
        return f"""
        INSERT INTO registry_householdevent
            (household_id, kind, effective_date, recorded_at, actor_id, source, reason, data, snapshot,
             area_code, lifted_labour, lifted_migrants)
        SELECT h.id, '{kind}', DATE '{day}', now(), NULL, 'import', '基准历史', '{{}}'::jsonb,
               jsonb_build_object(
                   'household', jsonb_build_object({household}, 'area_code', a.code),
                   'members', (SELECT jsonb_agg(jsonb_build_object(
                                   'person', p.id, 'relation', m.relation, 'start_date', m.start_date::text,
                                   {members}) ORDER BY m.relation <> '户主', m.start_date, p.id)
                               FROM registry_membership m JOIN registry_person p ON p.id = m.person_id
                               WHERE m.household_id = h.id AND m.end_date IS NULL)),
               a.code,
               {lifted.format(count=counted.format(what="COUNT(*)"))},
               {lifted.format(count=counted.format(what=f"COUNT(*) FILTER (WHERE ({employment}) IN {migrant})"))}
        FROM registry_household h JOIN areas_area a ON a.id = h.area_id
        WHERE h.is_active {where}"""

    half_a_year_ago = (TODAY - datetime.timedelta(days=182)).isoformat()
    with connection.cursor() as cursor:
        cursor.execute(insert("registered", "2021-01-01", "", "p.employment"))
        cursor.execute(
            insert(
                "member_edited",
                half_a_year_ago,
                "AND h.kind = 'lifted' AND h.id % 4 = 0",
                f"CASE WHEN p.employment IN {migrant} THEN '乡镇内务工' ELSE p.employment END",
            )
        )
        cursor.execute("ANALYZE registry_householdevent")


def seed_funds(admin, rng) -> None:
    import bench_funds

    from zhenxing.areas.models import Area, Level
    from zhenxing.funds.models import Asset, AssetKind, OwnerLevel, Project

    villages = list(Area.objects.filter(level=Level.VILLAGE).select_related("parent").order_by("code"))
    bench_funds.load_library({"admin": admin, "villages": villages}, 5_000, 50_000, rng)
    projects = list(Project.objects.filter(year=bench_funds.YEAR).order_by("code"))
    accepted = projects[::2]  # bench data: an asset for every other project, whatever its stage
    Asset.objects.bulk_create(
        [
            Asset(
                code=f"ZC-{p.code}",
                project=p,
                name=f"{p.name}资产",
                kind=rng.choice(list(AssetKind)),
                owner_level=OwnerLevel.VILLAGE,
                area_id=p.area_id,
                value=p.planned_central,
                custodian="村委会",
                duties="日常管护",
                handed_over_on=datetime.date(2024, 10, 1),
            )
            for p in accepted
        ],
        batch_size=BULK,
    )


# --- measurements ---------------------------------------------------------------------------------------
def measure_pages(args, admin) -> None:
    from django.test import Client

    client = Client()
    client.force_login(admin)
    pages = [(f"dashboard {s}", "/reports/dashboard/", {"section": s})
             for s in ("monitoring", "households", "warnings", "work", "employment", "funds")]  # fmt: skip
    pages += [
        ("dashboard monitoring as of 2023-12-31", "/reports/dashboard/", {"as_of": "2023-12-31"}),
        # an earlier income year than the latest: the distribution joins that year's incomes
        (
            "dashboard households as of 2023-12-31",
            "/reports/dashboard/",
            {"section": "households", "as_of": "2023-12-31"},
        ),
        ("大屏", "/reports/dashboard/screen/", {}),
        ("map, monitored households", "/reports/map/", {}),
        ("map data", "/reports/map/data/", {}),
    ]
    print(f"\nPages as a district admin, {args.repeat} requests each (after one warm-up):")
    for title, url, params in pages:
        response = client.get(url, params)
        if response.status_code != 200:
            print(f"  {title:42} HTTP {response.status_code}")
            continue
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            client.get(url, params)
            times.append(time.perf_counter() - t)
        print(f"  {title:42} {summary(times)}", flush=True)


def measure_exports() -> None:
    from zhenxing.areas.models import Area, Level
    from zhenxing.reports.statutory.table import all_reports
    from zhenxing.reports.statutory.workbook import build_workbook

    county = Area.objects.get(level=Level.COUNTY)
    print(
        "\nStatutory exports, whole district, as of today (funds: as of 2024-12-31, the bench's year; masked IDs):"
    )
    for report in all_reports():
        as_of = datetime.date(2024, 12, 31) if report.name in ("disbursements", "assets") else TODAY
        t = time.perf_counter()
        built = build_workbook(report, county, as_of, False)
        seconds = time.perf_counter() - t
        print(
            f"  {report.name:13} {report.title:10} {built.rows:8,} rows  {seconds:6.1f} s"
            f"  {len(built.data) / 1e6:6.1f} MB  peak RSS {rss_mb():,.0f} MB",
            flush=True,
        )


def main() -> None:
    args = parse_args()
    web.ensure_database(args.database_url)
    web.setup_django(args.database_url)
    count = web.household_count(args.database_url)
    if count < args.households:
        sys.exit(
            f"{args.database_url} holds {count:,} households, fewer than {args.households:,}: "
            "run bench/bench_registry_web.py first"
        )
    admin = web.bench_admin()
    print(f"{count:,} households in {args.database_url}")
    if not seeded():
        print("Adding bench cases, warnings and funds (once):", flush=True)
        seed(args, admin)
    if not history_seeded():
        started = time.perf_counter()
        seed_history()
        print(
            f"  household history for the 就业 figures in {time.perf_counter() - started:.1f} s", flush=True
        )
    if not args.skip_pages:
        measure_pages(args, admin)
    if not args.skip_exports:
        measure_exports()


if __name__ == "__main__":
    main()
