"""Funds benchmark: a district-scale project library, its plan checks, progress tables and reconciliation.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_funds.py                                  # SQLite (a scratch file)
    .venv/bin/python bench/bench_funds.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_funds.py --projects 1000 --disbursements 10000 --rows 10000

What it does:
1. migrates a fresh database (SQLite: a temporary file; PostgreSQL: a scratch database created on the
   server of `--database-url` and dropped afterwards) and adds 10 bench villages (演示) to each of the 14
   shipped townships;
2. loads a library of `--projects` 入库 projects for 2024 (60 % 产业发展, most of them 主导产业), the
   plan items of four in five of them (中央, and 省级 for a third), one allocation per source just above
   the plan,
   and `--disbursements` payments spread over the year within each plan item — bench data written with
   `bulk_create`, not through the actions (no ProjectEvent or audit rows for these);
3. times `--sample` more projects through the actions (propose → township → county → 入库 → plan item
   → 10 payments each), so the cost of a write with its event and audit row is known too;
4. measures, each several times (p50 and max):
   (a) the plan checks: `checks.plan_checks(2024)`, and the whole `/funds/plan/?year=2024` request
       (Django's test Client logged in as a district admin: session, middleware, queries, template);
   (b) the disbursement progress table per source, township and project: `checks.progress_rows` and
       the whole `/funds/progress/?group=…` request;
   (c) the reconciliation of a `--rows`-row 直达系统 export made from the payments (1 % amounts and 1 %
       dates changed, 0.5 % left out — and the payments beyond `--rows` — and unknown projects added to
       make up the rows): writing the .xlsx (not timed),
       parsing it (`read_table`), `validate_reconciliation` (parse + checks + comparison), storing the
       result (`actions.commit_reconciliation`) and the same through the `funds.reconcile` job.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOWNSHIPS = [
    "420704001", "420704002", "420704003", "420704004", "420704100", "420704101", "420704102",
    "420704103", "420704104", "420704105", "420704106", "420704107", "420704108", "420704200",
]  # fmt: skip
VILLAGES_PER_TOWNSHIP = 10
YEAR = 2024
AS_OF = datetime.date(YEAR, 12, 31)
CENT = Decimal("0.01")
BULK = 5000  # rows per bulk_create statement batch


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to measure on (scratch DB)")
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--disbursements", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the 直达系统 export")
    parser.add_argument("--sample", type=int, default=50, help="projects written through the actions")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=420704)
    return parser.parse_args()


# —— Database and Django ——————————————————————————————————————————————————————————————————————————


def scratch_postgres(url: str):
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(url)
    admin = make_conninfo(**{**parts, "dbname": "postgres"})
    name = f"zx_bench_funds_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    user = parts.get("user", "postgres")
    host, port = parts.get("host", "127.0.0.1"), parts.get("port", "5432")
    password = f":{parts['password']}" if parts.get("password") else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}", drop


def scratch_sqlite():
    folder = Path(tempfile.mkdtemp(prefix="zx_bench_funds_"))
    path = folder / "bench.sqlite3"

    def drop():
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return f"sqlite:///{path}", drop


def setup_django(db_url: str, media: Path) -> None:
    os.environ["ZX_ENV"] = "test"
    os.environ["ZX_DATABASE_URL"] = db_url
    os.environ["ZX_MEDIA_ROOT"] = str(media)
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")


def add_villages_and_users() -> dict:
    from zhenxing.accounts.models import User
    from zhenxing.accounts.roles import Role
    from zhenxing.areas.models import Area, Level

    townships = {a.code: a for a in Area.objects.filter(code__in=TOWNSHIPS)}
    Area.objects.bulk_create(
        [
            Area(
                code=f"{t}{200 + i:03d}",
                name=f"{townships[t].name}基准{i:02d}村",
                level=Level.VILLAGE,
                parent=townships[t],
                is_demo=True,
            )
            for t in TOWNSHIPS
            for i in range(1, VILLAGES_PER_TOWNSHIP + 1)
        ]
    )
    county = Area.objects.get(level=Level.COUNTY)
    villages = list(Area.objects.filter(level=Level.VILLAGE).select_related("parent").order_by("code"))

    def user(username, role, area):
        return User.objects.create(
            username=username, full_name=username, role=role, area=area, must_change_password=False
        )

    return {
        "county": county,
        "villages": villages,
        "admin": user("admin", Role.DISTRICT_ADMIN, county),
        "officer": user("officer", Role.DISTRICT_OFFICER, county),
        "cadre": user("cadre", Role.VILLAGE_CADRE, villages[0]),
        "township": user("township", Role.TOWNSHIP_OFFICER, villages[0].parent),
    }


# —— Bench data ————————————————————————————————————————————————————————————————————————————————————


def load_library(world: dict, projects: int, disbursements: int, rng: random.Random) -> None:
    """Projects, plan items, allocations and payments with bulk_create (bench data, see the docstring)."""
    from zhenxing.funds.models import (
        Allocation,
        Category,
        Disbursement,
        FundSource,
        PlanItem,
        Project,
        ProjectStatus,
    )

    admin, villages = world["admin"], world["villages"]
    others = [c for c in Category if c not in (Category.INDUSTRY, Category.MANAGEMENT)]
    rows = []
    for i in range(projects):
        village = villages[i % len(villages)]
        industry = rng.random() < 0.6
        rows.append(
            Project(
                code=f"{YEAR}-{village.code}-{i:05d}",
                year=YEAR,
                name=f"{village.name}基准项目{i:05d}",
                category=Category.INDUSTRY if industry else rng.choice(others),
                is_leading_industry=industry and rng.random() < 0.7,
                content="基准测试项目",
                area=village,
                township=village.parent,
                period_start=datetime.date(YEAR, 3, 1),
                period_end=datetime.date(YEAR, 11, 30),
                planned_central=Decimal(rng.randrange(10, 100) * 10000),
                planned_provincial=Decimal(rng.randrange(1, 20) * 10000) if i % 3 == 0 else Decimal(0),
                performance_targets="带动增收",
                linkage_mechanism="务工+分红",
                responsible_unit=f"{village.parent.name}人民政府",
                responsible_person="负责人",
                status=ProjectStatus.IN_LIBRARY,
                proposed_by=admin,
                township_reviewed_by=admin,
                county_approved_by=admin,
                notice_start=datetime.date(YEAR, 1, 1),
                notice_end=datetime.date(YEAR, 1, 10),
                entered_library_on=datetime.date(YEAR, 1, 11),
            )
        )
    Project.objects.bulk_create(rows, batch_size=BULK)
    library = list(Project.objects.filter(code__startswith=f"{YEAR}-").order_by("code"))
    # Four in five library projects are in this year's plan; the rest are the library's reserve.
    items = [
        PlanItem(year=YEAR, project=p, source=s, amount=p.planned(s), created_by=admin)
        for k, p in enumerate(library)
        if k % 5
        for s in (FundSource.CENTRAL, FundSource.PROVINCIAL)
        if p.planned(s)
    ]
    PlanItem.objects.bulk_create(items, batch_size=BULK)
    for source in (FundSource.CENTRAL, FundSource.PROVINCIAL):
        total = sum((i.amount for i in items if i.source == source), Decimal(0))
        Allocation.objects.create(
            year=YEAR,
            source=source,
            amount=(total * Decimal("1.02")).quantize(CENT),  # a little unassigned money, as in a real year
            document_number=f"基准〔{YEAR}〕{source}号",
            document_date=datetime.date(YEAR, 1, 20),
            created_by=admin,
        )
    # Payments: spread over the items, each item paid in equal parts up to 30–95 % of its amount.
    per_item = [disbursements // len(items)] * len(items)
    for k in rng.sample(range(len(items)), disbursements % len(items)):
        per_item[k] += 1
    pays, start = [], datetime.date(YEAR, 2, 1)
    for item, count in zip(items, per_item, strict=True):
        if not count:
            continue
        share = (item.amount * Decimal(rng.randrange(30, 96)) / 100 / count).quantize(CENT)
        days = sorted(rng.randrange(0, 320) for _ in range(count))
        for n, day in enumerate(days):
            pays.append(
                Disbursement(
                    project=item.project,
                    year=YEAR,
                    source=item.source,
                    paid_on=start + datetime.timedelta(days=day),
                    amount=share,
                    voucher_number=f"PZ-{item.project.code}-{item.source}-{n}",
                    created_by=admin,
                )
            )
    Disbursement.objects.bulk_create(pays, batch_size=BULK)


def through_actions(world: dict, count: int, rng: random.Random) -> dict[str, list[float]]:
    """`count` more projects through every step, timing each action call (ms)."""
    from zhenxing.funds import actions
    from zhenxing.funds.models import Category, FundSource

    times: dict[str, list[float]] = {}

    def timed(name, fn, *args, **kwargs):
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return result

    officer, admin = world["officer"], world["admin"]
    village = world["cadre"].area
    actions.add_allocation(
        admin,
        YEAR,
        FundSource.CENTRAL,
        Decimal(count * 1_000_000),
        "基准追加〔2024〕1号",
        datetime.date(2024, 2, 1),
    )
    for i in range(count):
        data = actions.ProjectData(
            year=YEAR,
            name=f"动作样本项目{i:03d}",
            category=Category.INDUSTRY,
            content="样本",
            area=village,
            period_start=datetime.date(YEAR, 3, 1),
            period_end=datetime.date(YEAR, 11, 30),
            responsible_unit="镇政府",
            responsible_person="负责人",
            amounts={FundSource.CENTRAL: Decimal(500_000)},
            is_leading_industry=True,
            performance_targets="增收",
            linkage_mechanism="务工",
        )
        project = timed("propose_project", actions.propose_project, world["cadre"], data)
        timed("review_at_township", actions.review_at_township, world["township"], project)
        timed(
            "approve_at_county",
            actions.approve_at_county,
            officer,
            project,
            datetime.date(YEAR, 1, 1),
            datetime.date(YEAR, 1, 10),
        )
        timed("enter_library", actions.enter_library, officer, project, today=datetime.date(YEAR, 1, 11))
        timed("set_plan_item", actions.set_plan_item, admin, YEAR, project, FundSource.CENTRAL, "500000.00")
        for n in range(10):
            timed(
                "record_disbursement",
                actions.record_disbursement,
                admin,
                project,
                YEAR,
                FundSource.CENTRAL,
                datetime.date(YEAR, 3, 1) + datetime.timedelta(days=rng.randrange(0, 280)),
                "20000.00",
                f"样本-{i}-{n}",
            )
    return times


def reconciliation_rows(rows: int, rng: random.Random) -> tuple[list[list[str]], dict]:
    """The 直达系统 export as it would come: our payments, with a few changed, missing or unknown."""
    from zhenxing.funds.models import Disbursement, FundSource

    label = {s.value: s.label for s in FundSource}
    pays = list(
        Disbursement.objects.filter(year=YEAR)
        .order_by("project__code", "source", "paid_on", "id")
        .values_list("project__code", "project__name", "source", "paid_on", "amount")
    )
    out, counts = [], {"amount": 0, "date": 0, "left_out": max(0, len(pays) - rows), "unknown": 0}
    for code, name, source, paid_on, amount in pays[:rows]:
        roll = rng.random()
        if roll < 0.005:
            counts["left_out"] += 1
            continue
        if roll < 0.015:
            amount += Decimal("1.00")
            counts["amount"] += 1
        elif roll < 0.025:
            paid_on = min(paid_on + datetime.timedelta(days=3), datetime.date(YEAR, 12, 31))
            counts["date"] += 1
        out.append([code, name, label[source], paid_on.isoformat(), f"{amount:.2f}"])
    while len(out) < rows:
        counts["unknown"] += 1
        day = datetime.date(YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365))
        out.append(
            [f"{YEAR}-外区-{counts['unknown']:05d}", "外区项目", "中央衔接资金", day.isoformat(), "5000.00"]
        )
    rng.shuffle(out)
    return out, counts


# —— Measuring ————————————————————————————————————————————————————————————————————————————————————


def summary(times: list[float]) -> str:
    return f"n={len(times)} p50={statistics.median(times):.0f} ms max={max(times):.0f} ms"


def repeat(fn, n: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(n):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def get(client, url: str) -> int:
    """The page's size in bytes; a page that does not answer 200 stops the benchmark."""
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return len(response.content)


def first_request(client, url: str) -> tuple[int, int]:
    """Size and query count of one request (counted at once: the next request clears the query log)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        size = get(client, url)
    return size, len(captured.captured_queries)


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(world: dict, args, rng: random.Random) -> None:
    from django.test import Client

    from zhenxing.funds import actions, checks, tasks
    from zhenxing.funds.models import Disbursement, PlanItem, Project
    from zhenxing.funds.reconcile import COLUMNS, HEADERS, validate_reconciliation
    from zhenxing.jobs.actions import enqueue_job
    from zhenxing.jobs.models import Job
    from zhenxing.jobs.worker import Worker
    from zhenxing.lib.staging import stage_upload
    from zhenxing.lib.tabular import SheetSpec, read_table, write_xlsx

    client = Client()
    client.force_login(world["admin"])
    n = args.repeat
    print(
        f"\nlibrary: {Project.objects.count()} projects, {PlanItem.objects.count()} plan items, "
        f"{Disbursement.objects.count()} disbursements"
    )

    print("\n(a) plan checks")
    times, (result, _) = repeat(lambda: checks.plan_checks(YEAR), n)
    print(f"    checks.plan_checks({YEAR}): {summary(times)}")
    for check in result:
        print(f"      {'通过' if check.passed else '未通过'} {check.title}：{check.figures}")
    size, queries = first_request(client, f"/funds/plan/?year={YEAR}")
    times, _ = repeat(lambda: get(client, f"/funds/plan/?year={YEAR}"), n)
    print(
        f"    GET /funds/plan/?year={YEAR}: {summary(times)}, {size / 1e6:.2f} MB of HTML, {queries} queries"
    )

    print("\n(b) disbursement progress")
    projects = Project.objects.all()
    for group in ("source", "township", "project"):
        times, rows = repeat(lambda group=group: checks.progress_rows(YEAR, projects, group, AS_OF), n)
        print(f"    checks.progress_rows(group={group}): {summary(times)}, {len(rows)} rows")
        url = f"/funds/progress/?year={YEAR}&group={group}"
        size, queries = first_request(client, url)
        times, _ = repeat(lambda url=url: get(client, url), n)
        print(f"    GET {url}: {summary(times)}, {size / 1e6:.2f} MB of HTML, {queries} queries")

    print(f"\n(c) reconciliation of a {args.rows}-row 直达系统 export")
    rows, counts = reconciliation_rows(args.rows, rng)
    started = time.perf_counter()
    data = write_xlsx([SheetSpec("支付明细", HEADERS, rows)])
    print(
        f"    file: {len(rows)} rows, {len(data) / 1e6:.1f} MB (written in {time.perf_counter() - started:.1f} s); "
        f"changed amounts {counts['amount']}, changed dates {counts['date']}, left out {counts['left_out']}, "
        f"unknown projects {counts['unknown']}"
    )
    times, _ = repeat(lambda: read_table(data, "直达.xlsx", columns=COLUMNS), max(1, n // 2))
    print(f"    parse (read_table): {summary(times)}")
    times, plan = repeat(lambda: validate_reconciliation(data, "直达.xlsx", YEAR), max(1, n // 2))
    print(
        f"    validate_reconciliation (parse + checks + comparison): {summary(times)}; "
        f"{plan.matched} matched, {len(plan.differences)} differences, {len(plan.errors)} errors"
    )
    started = time.perf_counter()
    actions.commit_reconciliation(world["officer"], plan)
    print(
        f"    commit_reconciliation (batch + differences + event + audit): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    stored = stage_upload("直达.xlsx", data)
    job = enqueue_job(
        world["officer"], tasks.RECONCILE, {"stored_path": stored, "filename": "直达.xlsx", "year": YEAR}
    )
    started = time.perf_counter()
    Worker("bench", report=lambda line: None).run_once()
    job = Job.objects.get(pk=job.pk)
    print(
        f"    the funds.reconcile job (read, check, compare, store): {(time.perf_counter() - started):.1f} s, "
        f"{job.get_status_display()} {job.result}"
    )
    print(f"\npeak RSS: {rss_mb():.0f} MB")


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    make_db = (lambda: scratch_postgres(args.database_url)) if args.database_url else scratch_sqlite
    url, drop = make_db()
    media = Path(tempfile.mkdtemp(prefix="zx_bench_funds_media_"))
    print(
        f"database: {'PostgreSQL (scratch)' if args.database_url else 'SQLite (scratch file)'}; "
        f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)"
    )
    try:
        setup_django(url, media)
        world = add_villages_and_users()
        started = time.perf_counter()
        load_library(world, args.projects, args.disbursements, rng)
        print(
            f"load: {args.projects} projects, {args.disbursements} disbursements (bulk_create) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if args.sample:
            started = time.perf_counter()
            times = through_actions(world, args.sample, rng)
            print(f"through the actions: {args.sample} projects in {time.perf_counter() - started:.1f} s")
            for name, values in times.items():
                print(
                    f"    {name}: n={len(values)} mean={statistics.fmean(values):.1f} ms max={max(values):.1f} ms"
                )
        measure(world, args, rng)
    finally:
        from django.db import connections

        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
