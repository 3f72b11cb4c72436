"""Registry web benchmark: ID-number lookup and the filtered household list at scale, on PostgreSQL.

Run by hand; it prints figures and query plans and asserts nothing:

    .venv/bin/python bench/bench_registry_web.py --households 100000
    .venv/bin/python bench/bench_registry_web.py                      # 1,000,000 households

Goals (issue 3): lookup by full ID number p95 ≤ 50 ms and the filtered list page p95 ≤ 300 ms with
1,000,000 households on PostgreSQL.

What it does:
1. creates the database if missing (`--database-url`, default postgres://postgres@127.0.0.1:5432/zx_bench)
   and migrates it;
2. adds bench villages (flagged 演示) to the 14 shipped townships: 6–14 per township, like a real
   district, so 1,000,000 households means about 5,100 per village (`--villages-per-township`);
3. loads N households from the demo generator (`registry.demo.iter_households`) with COPY straight into
   the registry tables — bench data only, not through the actions: ID numbers and phones are really
   encrypted and hashed (`lib.personal`), incomes computed like `IncomeYear.compute()`, but no
   HouseholdEvent history is written and foreign-key triggers are off during the load (the rows are
   consistent by construction; secondary indexes are dropped and rebuilt after the COPY, which runs in
   a thread while the next batch is generated). A database already holding exactly N households is reused
   (`--reload` forces a fresh load);
4. measures, with Django's test `Client` logged in as a district admin (the whole request: session,
   middleware, queries, template):
   (a) `/registry/?q=<full ID number>` for random persons;
   (b) `/registry/?village=…&kind=…&band=…&year=2024` for random villages, kinds and income bands;
   plus, for information, the district-wide first page and a township filtered by band;
5. prints p50/p95/p99 and the EXPLAIN ANALYZE of the list queries behind (a) and (b).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import queue
import random
import statistics
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zx_bench"
HOUSEHOLDS_PER_VILLAGE = 5000  # large 行政村, so 1,000,000 households sit on 14 × 14 villages
BATCH_HOUSEHOLDS = 20_000  # households per COPY and commit: ~60,000 persons, ~40 MB of COPY text
MEMBERS_SINCE = datetime.date(2021, 1, 1)  # so every income year counts the current members
INCOME_YEAR = 2024
CENT = Decimal("0.01")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=420704)
    parser.add_argument("--lookups", type=int, default=200, help="ID-number lookups to time")
    parser.add_argument("--pages", type=int, default=100, help="filtered list pages to time")
    parser.add_argument(
        "--villages-per-township", type=int, help="default: 6–14, about 5,000 households per village at 1M"
    )
    parser.add_argument("--reload", action="store_true", help="load again even if N households are there")
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN ANALYZE output")
    parser.add_argument("--no-deep", action="store_true", help="skip (e), deep pages (slow at 1M)")
    return parser.parse_args()


# —— Database and Django ——————————————————————————————————————————————————————————————————————————


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    name = params["dbname"]
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def setup_django(url: str) -> None:
    # Fixed throw-away keys and no DEBUG (so no query log): the production request path on a bench DB.
    os.environ["ZX_ENV"] = "test"
    os.environ["ZX_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")


def ensure_villages(households: int, per_township: int | None = None) -> list:
    from django.db import connection

    from zhenxing.areas.models import Area, Level

    townships = list(Area.objects.filter(level=Level.TOWNSHIP, is_active=True).order_by("code"))
    # A district has a few hundred villages whatever the household count (鄂城区: 14 townships, ~200
    # villages); the village drop-down of the list page grows with them, so keep that realistic.
    per_township = per_township or min(
        14, max(6, math.ceil(households / HOUSEHOLDS_PER_VILLAGE / len(townships)))
    )
    wanted = [
        Area(
            code=f"{t.code}2{i:02d}",
            name=f"{t.name}基准{i:02d}村",
            level=Level.VILLAGE,
            parent=t,
            is_demo=True,
        )
        for t in townships
        for i in range(1, per_township + 1)
    ]
    Area.objects.bulk_create(wanted, ignore_conflicts=True)  # bench data: areas outside the import flow
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE areas_area")  # as autovacuum would in time; plans depend on it
    return list(Area.objects.filter(code__in=[a.code for a in wanted]).order_by("code"))


def bench_admin():
    from zhenxing.accounts import actions as account_actions
    from zhenxing.accounts.models import User
    from zhenxing.accounts.roles import Role
    from zhenxing.areas.models import Area, Level

    user = User.objects.filter(username="bench_admin").first()
    if user is None:
        county = Area.objects.get(level=Level.COUNTY)
        data = account_actions.UserData("bench_admin", "基准测试管理员", Role.DISTRICT_ADMIN, county)
        user, _ = account_actions.create_user(None, data, "Bench-2024-zhenxing")
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.refresh_from_db()
    return user


# —— Loading ——————————————————————————————————————————————————————————————————————————————————————

PERSON_COLUMNS = (
    "id, public_id, id_number_encrypted, id_hash, id_masked, external_id, name, sex, birth_date, ethnicity, "
    "political_status, education, schooling, health, labour_capacity, employment, months_worked, "
    "phone_encrypted, phone_masked, status, status_date, created_at"
)
HOUSEHOLD_COLUMNS = (
    "id, public_id, number, area_id, kind, lifted_year, lifted_attribute, is_active, monitoring_status, head_id, "
    "member_count, created_at, updated_at, income_year, income_per_capita, risk_open, risk_monitored, risk_step_due"
)
MEMBERSHIP_COLUMNS = "id, household_id, person_id, relation, start_date, end_date, start_reason, end_reason"
INCOME_COLUMNS = (
    "id, household_id, year, wage_income, business_income, property_income, transfer_income, production_costs, "
    "claims_income, compliant_out_of_pocket, transfer_items, household_size, net_income, net_income_per_capita, "
    "recorded_at, recorded_by_id, household_kind, household_area_id, household_active"
)
TABLES = ("registry_incomeyear", "registry_householdevent", "registry_membership", "registry_household")


TABLE_COLUMNS = {
    "registry_person": PERSON_COLUMNS,
    "registry_household": HOUSEHOLD_COLUMNS,
    "registry_membership": MEMBERSHIP_COLUMNS,
    "registry_incomeyear": INCOME_COLUMNS,
}
NULL = "\\N"  # COPY text format; no generated value contains a tab, newline or backslash


class Loader:
    """Turns demo households into COPY text lines, one list per table."""

    def __init__(self, villages: list, seed: int):
        from zhenxing.lib import idnumbers, personal
        from zhenxing.registry import demo

        self.demo = demo
        self.area_ids = {v.code: v.pk for v in villages}
        self.encrypt, self.lookup_hash, self.mask = personal.encrypt, personal.lookup_hash, idnumbers.mask
        self.rng = random.Random(seed + 1)  # uuids and monitoring status, apart from the generator's stream
        self.now = datetime.datetime.now(datetime.UTC).isoformat()
        self.ids = {"household": 0, "person": 0, "income": 0}
        self.lines: dict[str, list[str]] = {table: [] for table in TABLE_COLUMNS}

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, household) -> None:
        d, ids, lines, now = self.demo, self.ids, self.lines, self.now
        ids["household"] += 1
        household_id = ids["household"]
        head_id = ids["person"] + 1
        size = len(household.person_rows)
        for r in household.person_rows:
            ids["person"] += 1
            person_id = ids["person"]
            number, phone = r[d.P_ID], r[d.P_PHONE]
            values = (
                person_id, self.uuid(), self.encrypt(number), self.lookup_hash(number), self.mask(number),
                r[d.P_PERSON], r[d.P_NAME], "男" if int(number[16]) % 2 else "女",
                f"{number[6:10]}-{number[10:12]}-{number[12:14]}", r[d.P_ETHNICITY], r[d.P_POLITICAL],
                r[d.P_EDUCATION], r[d.P_SCHOOLING], r[d.P_HEALTH], r[d.P_LABOUR], r[d.P_EMPLOYMENT],
                r[d.P_MONTHS] if r[d.P_MONTHS] != "" else NULL, self.encrypt(phone) if phone else "",
                self.mask(phone), "active", NULL, now,
            )  # fmt: skip
            lines["registry_person"].append("\t".join(map(str, values)))
            lines["registry_membership"].append(
                f"{person_id}\t{household_id}\t{person_id}\t{r[d.P_RELATION]}\t{MEMBERS_SINCE}\t{NULL}\tregistered\t"
            )
        head = household.person_rows[0]
        area_id, kind = self.area_ids[head[d.P_AREA]], "lifted" if head[d.P_KIND] == "脱贫户" else "ordinary"
        latest = latest_year = None
        for r in sorted(household.income_rows, key=lambda r: r[d.I_YEAR]):
            ids["income"] += 1
            net = r[d.I_WAGE] + r[d.I_BUSINESS] + r[d.I_PROPERTY] + r[d.I_TRANSFER] - r[d.I_COSTS]
            latest = (net / size).quantize(CENT)  # as IncomeYear.compute()
            latest_year = r[d.I_YEAR]
            values = (
                ids["income"], household_id, r[d.I_YEAR], r[d.I_WAGE], r[d.I_BUSINESS], r[d.I_PROPERTY],
                r[d.I_TRANSFER], r[d.I_COSTS], r[d.I_CLAIMS], r[d.I_OUT_OF_POCKET], "{}", size, net, latest,
                now, NULL, kind, area_id, "t",  # the household as it is now (registry.incomes)
            )  # fmt: skip
            lines["registry_incomeyear"].append("\t".join(map(str, values)))
        # Some households below the line are under monitoring, a few near it had their risk eliminated.
        status = "none"
        if latest is not None and latest < 8300 and self.rng.random() < 0.6:
            status = "monitored"
        elif latest is not None and latest < 12450 and self.rng.random() < 0.03:
            status = "eliminated"
        values = (
            household_id, self.uuid(), household.number, area_id, kind, head[d.P_LIFTED_YEAR] or NULL,
            head[d.P_ATTRIBUTE], "t", status, head_id, size, now, now,
            # the latest income and the colour columns (registry.incomes, screening.colour): no case yet
            latest_year if latest_year else NULL, latest if latest is not None else NULL, "f",
            "t" if status == "monitored" else "f", NULL,
        )  # fmt: skip
        lines["registry_household"].append("\t".join(map(str, values)))

    def take(self) -> dict[str, bytes]:
        """The COPY payload of everything added since the last call."""
        payload = {table: ("\n".join(rows) + "\n").encode() for table, rows in self.lines.items() if rows}
        self.lines = {table: [] for table in TABLE_COLUMNS}
        return payload


def secondary_indexes(conn) -> list[tuple[str, str, str]]:
    """(drop, create, name) for every unique constraint and non-primary index of the loaded tables."""
    tables = list(TABLE_COLUMNS)
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype = 'u'",
        [tables],
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
        "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conindid <> 0)",
        [tables],
    ).fetchall()
    return [
        *(
            (
                f'ALTER TABLE {t} DROP CONSTRAINT "{name}"',
                f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {definition}',
                name,
            )
            for t, name, definition in constraints
        ),
        *((f"DROP INDEX {name}", definition, name) for name, definition in indexes),
    ]


def copy_writer(url: str, batches: queue.Queue, errors: list) -> None:
    """Runs in a thread: COPYs each batch and commits it while the main thread generates the next."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            conn.execute("SET synchronous_commit = off")
            # Bench rows are consistent by construction; FK triggers would only slow the COPY down.
            conn.execute("SET session_replication_role = replica")
            while (payload := batches.get()) is not None:
                with conn.cursor() as cursor:
                    for table, data in payload.items():
                        with cursor.copy(f"COPY {table} ({TABLE_COLUMNS[table]}) FROM STDIN") as copy:
                            copy.write(data)
                conn.commit()
    except Exception as exc:  # reported by the main thread
        errors.append(exc)
        while batches.get() is not None:  # let the producer finish
            pass


def load(url: str, villages: list, households: int, seed: int) -> None:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)}, registry_person RESTART IDENTITY CASCADE")
        # Building the indexes once after the load is several times faster than maintaining them per row.
        indexes = secondary_indexes(conn)
        for drop, _, _ in indexes:
            conn.execute(drop)
    print(f"  dropped {len(indexes)} secondary indexes and unique constraints for the load")
    try:
        loader = copy_households(url, villages, households, seed, started)
    finally:  # even after a failure, so the database never stays without its indexes
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '1GB'")
            for _, create, name in indexes:
                step = time.perf_counter()
                conn.execute(create)
                print(f"  built {name} in {time.perf_counter() - step:.1f} s", flush=True)
            for table in (*TABLES, "registry_person"):
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table}), 1))"
                )
            indexed = time.perf_counter()
            for table in (*TABLES, "registry_person"):
                conn.execute(f"VACUUM ANALYZE {table}")
            print(f"vacuum analyze: {time.perf_counter() - indexed:.1f} s")
    print(
        f"load total: {loader.ids['household']:,} households, {loader.ids['person']:,} persons, "
        f"{loader.ids['income']:,} income rows in {time.perf_counter() - started:.1f} s"
    )


def copy_households(url: str, villages: list, households: int, seed: int, started: float) -> Loader:
    from zhenxing.registry.demo import iter_households

    batches: queue.Queue = queue.Queue(maxsize=2)
    errors: list = []
    writer = threading.Thread(target=copy_writer, args=(url, batches, errors))
    writer.start()
    loader = Loader(villages, seed)
    try:
        for household in iter_households([v.code for v in villages], households, seed):
            loader.add(household)
            if len(loader.lines["registry_household"]) >= BATCH_HOUSEHOLDS:
                batches.put(loader.take())
                done, elapsed = loader.ids["household"], time.perf_counter() - started
                print(
                    f"  generated {done:>9,} households {elapsed:7.1f} s ({done / elapsed:,.0f}/s)",
                    flush=True,
                )
                if errors:
                    break
        batches.put(loader.take())
    finally:
        batches.put(None)
        writer.join()
    if errors:
        raise errors[0]
    print(f"copy: done at {time.perf_counter() - started:.1f} s")
    return loader


def household_count(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM registry_household").fetchone()[0]


# —— Measuring ————————————————————————————————————————————————————————————————————————————————————


def percentiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return (
        f"n={len(times)} p50={cuts[49]:.1f} ms p95={cuts[94]:.1f} ms p99={cuts[98]:.1f} ms "
        f"max={max(times):.1f} ms mean={statistics.fmean(times):.1f} ms"
    )


def time_requests(client, url: str, queries: list[dict], check=None) -> list[float]:
    times = []
    for params in queries:
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} {params} answered {response.status_code}")
        if check is not None:
            check(params, response)
    return times


def sample_persons(count: int, seed: int) -> list[tuple[str, str]]:
    """(full ID number, household number) of random current members."""
    from django.db import connection

    from zhenxing.lib import personal

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM registry_person")
        top = cursor.fetchone()[0]
        ids = random.Random(seed).sample(range(1, top + 1), count)
        cursor.execute(
            "SELECT p.id_number_encrypted, h.number FROM registry_person p "
            "JOIN registry_membership m ON m.person_id = p.id AND m.end_date IS NULL "
            "JOIN registry_household h ON h.id = m.household_id WHERE p.id = ANY(%s)",
            [ids],
        )
        rows = cursor.fetchall()
    return [(personal.decrypt(token), number) for token, number in rows]


def explain(client, url: str, params: dict, title: str) -> None:
    """EXPLAIN ANALYZE every household query one request runs (the count and the page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    print(f"\n=== {title}: {url}?{'&'.join(f'{k}={v}' for k, v in params.items())}")
    print(f"{len(captured.captured_queries)} queries; household queries and their plans:")
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if "registry_household" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n-- {float(query['time']) * 1000:.1f} ms: {sql}")
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            print("\n".join(row[0] for row in cursor.fetchall()))


def measure(args, villages: list) -> None:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    user = bench_admin()
    client = Client()
    client.force_login(user)
    try:
        url = reverse("registry:household_list")
    except NoReverseMatch:
        raise SystemExit("registry:household_list is not routed yet: nothing to measure") from None

    rng = random.Random(args.seed)
    persons = sample_persons(args.lookups, args.seed)
    misses = []

    def found(params, response):
        number = dict(persons)[params["q"]]
        if number not in response.content.decode():
            misses.append(params["q"])

    time_requests(client, url, [{"q": persons[i][0]} for i in range(min(5, len(persons)))])  # warm up
    lookups = time_requests(client, url, [{"q": number} for number, _ in persons], check=found)
    print(f"\n(a) ID-number lookup {url}?q=<18-digit ID>: {percentiles(lookups)}")
    if misses:
        print(f"    WARNING: {len(misses)} lookups did not show the person's household")

    with_households = [v for v in villages if v.households.exists()]
    filtered = [
        {
            "village": rng.choice(with_households).code,
            "kind": rng.choice(["lifted", "ordinary"]),
            "band": rng.choice(["below", "near", "above"]),
            "year": INCOME_YEAR,
        }
        for _ in range(args.pages)
    ]
    pages = time_requests(client, url, filtered)
    print(f"(b) filtered list (village + kind + band, year {INCOME_YEAR}): {percentiles(pages)}")
    for band in ("below", "near", "above"):
        of_band = [t for t, params in zip(pages, filtered, strict=True) if params["band"] == band]
        if len(of_band) >= 2:
            print(f"    band {band}: {percentiles(of_band)}")

    whole = time_requests(client, url, [{} for _ in range(20)])
    print(f"(c) district-wide list, first page (info): {percentiles(whole)}")
    townships = sorted({v.code[:9] for v in with_households})
    by_township = [
        {"township": rng.choice(townships), "band": "below", "year": INCOME_YEAR} for _ in range(20)
    ]
    print(f"(d) township + band below (info): {percentiles(time_requests(client, url, by_township))}")
    if not args.no_deep:
        deep = [{"band": "near", "year": INCOME_YEAR, "page": rng.randint(50, 200)} for _ in range(20)]
        deep_times = time_requests(client, url, deep)
        print(f"(e) district-wide band near, pages 50–200 (info): {percentiles(deep_times)}")

    if not args.no_plans:
        explain(client, url, {"q": persons[0][0]}, "(a) ID-number lookup")
        slowest = max(range(len(pages)), key=pages.__getitem__)
        explain(client, url, filtered[slowest], "(b) filtered list, the slowest of the run")
        explain(client, url, {}, "(c) district-wide list")
        explain(client, url, by_township[0], "(d) township + band below")


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    setup_django(args.database_url)
    villages = ensure_villages(args.households, args.villages_per_township)
    print(f"{len(villages)} bench villages")
    present = household_count(args.database_url)
    if args.reload or present != args.households:
        print(f"loading {args.households:,} households (found {present:,})")
        load(args.database_url, villages, args.households, args.seed)
    else:
        print(f"reusing the {present:,} households already loaded (--reload to load again)")
    measure(args, villages)


if __name__ == "__main__":
    main()
