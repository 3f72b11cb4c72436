"""Import benchmark: 100,000 persons (~33,000 households) from one `.xlsx`, through the real importer.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_import.py                              # SQLite (a scratch file)
    .venv/bin/python bench/bench_import.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_import.py --persons 20000 --iex-persons 5000

Goal (issue 3): the whole import — parse, full validation, commit — in ≤ 20 s with ≤ 1 GB peak memory,
on SQLite and on PostgreSQL, and ≥ 5× faster than django-import-export on the same file and models.

What it does:
1. writes the `户籍成员` workbook once (cached under var/bench/): households from the demo generator
   (`registry.demo.iter_households`) on 140 bench villages, until the file holds `--persons` rows;
2. for each database, in a fresh child process on a fresh database (SQLite: a temporary file;
   PostgreSQL: a scratch database created on the server of `--database-url` and dropped afterwards):
   migrates, adds the villages and a district admin, then times `read_households` (parse),
   `plan_households` (validation against the registry) and `commit_households` (write: persons,
   households, memberships, history events, audit chain) separately, and reads the peak RSS
   (`getrusage`); it also times a second, identical import (all unchanged: nothing written);
3. imports the same file (or its first `--iex-persons` rows) into the same models with
   django-import-export 4 and a minimal Resource (Person + Household + Membership per row, identity
   fields computed per row like ours; no history events and no audit rows, so it does less work) and
   prints the time ratio, scaled to rows when a subset was used.
Child processes keep each measurement's peak memory its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "var" / "bench"
TOWNSHIPS = [
    "420704001", "420704002", "420704003", "420704004", "420704100", "420704101", "420704102",
    "420704103", "420704104", "420704105", "420704106", "420704107", "420704108", "420704200",
]  # fmt: skip
VILLAGES_PER_TOWNSHIP = 10
VILLAGES = [f"{t}{200 + i:03d}" for t in TOWNSHIPS for i in range(1, VILLAGES_PER_TOWNSHIP + 1)]
MEAN_HOUSEHOLD = 3.03  # persons per household in the demo generator
GOAL_SECONDS, GOAL_MB, GOAL_RATIO = 20, 1024, 5


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server to measure on as well (scratch DB)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--iex-persons", type=int, help="rows for django-import-export (default: all)")
    parser.add_argument("--skip-iex", action="store_true")
    parser.add_argument("--child", choices=["ours", "iex"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# —— The file ———————————————————————————————————————————————————————————————————————————————————————


def person_rows(persons: int) -> tuple[list[str], list[list]]:
    """Template rows for about `persons` persons (whole households)."""
    try:
        from zhenxing.registry import demo
    except ImportError:
        demo = None
    if demo is not None:
        rows: list[list] = []
        for household in demo.iter_households(VILLAGES, round(persons / MEAN_HOUSEHOLD) + 200):
            rows.extend(household.person_rows)
            if len(rows) >= persons:
                break
        return list(demo.PERSON_HEADERS), rows
    return _own_rows(persons)


def _own_rows(persons: int) -> tuple[list[str], list[list]]:
    """Fallback generator: valid ID numbers (lib.idnumbers.make), head + spouse + children."""
    import datetime
    import random

    from zhenxing.lib import idnumbers

    rng = random.Random(420704)
    headers = [
        "户编号",
        "行政区划代码",
        "户类型",
        "姓名",
        "公民身份号码",
        "与户主关系",
        "健康状况",
        "劳动能力",
    ]
    rows, used, number = [], set(), 0

    def new_id(year: int, male: bool) -> str:
        while True:
            seq = rng.randrange(0, 1000)
            seq = seq | 1 if male else seq & ~1
            n = idnumbers.make("420704", datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), seq)
            if n not in used:
                used.add(n)
                return n

    while len(rows) < persons:
        number += 1
        village = VILLAGES[number % len(VILLAGES)]
        hh = f"{village}{number:06d}"
        year = rng.randint(1945, 1995)
        members = [("户主", new_id(year, True)), ("配偶", new_id(year + rng.randint(-3, 3), False))]
        members += [("之子", new_id(year + 25 + i, True)) for i in range(rng.randint(0, 2))]
        for relation, id_number in members:
            rows.append([hh, village, "一般农户", "张三", id_number, relation, "健康", "普通劳动力"])
    return headers, rows


def bench_file(persons: int) -> Path:
    path = CACHE / f"import_{persons}.xlsx"
    if path.exists():
        return path
    from zhenxing.lib.tabular import SheetSpec, write_xlsx

    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    headers, rows = person_rows(persons)
    data = write_xlsx([SheetSpec("户籍成员", headers, rows)])
    path.write_bytes(data)
    print(
        f"生成测试文件 {path}：{len(rows)} 人，{len(data) / 1e6:.1f} MB，用时 {time.perf_counter() - started:.0f} 秒"
    )
    return path


# —— Databases ——————————————————————————————————————————————————————————————————————————————————————


def scratch_postgres(url: str) -> tuple[str, callable]:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(url)
    admin = make_conninfo(**{**parts, "dbname": "postgres"})
    name = f"zx_bench_import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    user = parts.get("user", "postgres")
    host, port = parts.get("host", "127.0.0.1"), parts.get("port", "5432")
    password = f":{parts['password']}" if parts.get("password") else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}", drop


def run_child(kind: str, db_url: str, file: Path, extra: list[str]) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--db", db_url, "--file", str(file), *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"子进程失败：{kind} {db_url}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# —— Child: set-up and measurements ————————————————————————————————————————————————————————————————


def setup_django(db_url: str):
    os.environ["ZX_ENV"] = "test"
    os.environ["ZX_DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhenxing.accounts.models import User
    from zhenxing.accounts.roles import Role
    from zhenxing.areas.models import Area, Level

    parents = {a.code: a for a in Area.objects.filter(code__in=TOWNSHIPS)}
    Area.objects.bulk_create(
        [
            Area(
                code=code,
                name=f"测试{code[-3:]}村",
                level=Level.VILLAGE,
                parent=parents[code[:9]],
                is_demo=True,
            )
            for code in VILLAGES
        ]
    )
    county = Area.objects.get(level=Level.COUNTY)
    admin = User.objects.create(
        username="admin", full_name="区级管理员", role=Role.DISTRICT_ADMIN, area=county
    )
    return county, admin


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ours(db_url: str, file: Path) -> dict:
    county, admin = setup_django(db_url)
    import gc

    from django.db import connection

    from zhenxing.registry import importing
    from zhenxing.registry.models import Household, Person

    data = file.read_bytes()
    baseline = rss_mb()
    figures = {"database": connection.vendor, "baseline_mb": round(baseline)}
    started, cpu = time.perf_counter(), time.process_time()
    table = importing.read_households(data, file.name)
    figures["parse_s"], figures["parse_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    figures["rows"] = len(table.rows)

    started, cpu = time.perf_counter(), time.process_time()
    plan = importing.plan_households(table, county, filename=file.name)
    figures["validate_s"], figures["validate_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    figures["errors"] = len(plan.errors)
    del table
    gc.collect()

    started, cpu = time.perf_counter(), time.process_time()
    result = importing.commit_households(admin, plan)
    figures["write_s"], figures["write_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    figures["peak_mb"] = round(rss_mb())
    figures["households"] = Household.objects.count()
    figures["persons"] = Person.objects.count()
    figures["result"] = result
    del plan
    gc.collect()

    started = time.perf_counter()
    again = importing.validate_households(data, file.name, county)
    figures["reimport_check_s"] = time.perf_counter() - started
    figures["reimport_unchanged"] = again.summary()["unchanged"]
    figures.update(identity_costs())
    return figures


def identity_costs(sample: int = 5000) -> dict:
    """µs per call: the registry's identity(), the importer's, and encryption alone."""
    import datetime

    from django.conf import settings

    from zhenxing.lib import idnumbers, personal
    from zhenxing.registry.actions import identity

    numbers = [
        idnumbers.make("420704", datetime.date(1980, 1, 1) + datetime.timedelta(days=i), 11)
        for i in range(sample)
    ]

    def per_call(fn) -> float:
        started = time.perf_counter()
        for n in numbers:
            fn(n)
        return round((time.perf_counter() - started) / sample * 1e6, 1)

    key = settings.ZX_DATA_KEY
    return {
        "identity_us": per_call(identity),
        "encrypt_us": per_call(lambda n: personal.encrypt(n, key=key)),
        "validate_us": per_call(idnumbers.validate),
        "hash_us": per_call(lambda n: personal.lookup_hash(n, key=key)),
    }


def child_iex(db_url: str, file: Path, limit: int | None) -> dict:
    county, admin = setup_django(db_url)
    import tablib
    from django.db import connection
    from import_export import fields, resources

    from zhenxing.registry.actions import identity
    from zhenxing.registry.models import Household, Membership, Person

    villages = {a.code: a.pk for a in county.__class__.objects.filter(code__in=VILLAGES)}
    kinds = {"脱贫户": "lifted", "一般农户": "ordinary"}

    class PersonResource(resources.ModelResource):
        """The usual minimal Resource: map the Chinese headers, derive the identity, link the household."""

        name = fields.Field(attribute="name", column_name="姓名")
        health = fields.Field(attribute="health", column_name="健康状况")
        labour_capacity = fields.Field(attribute="labour_capacity", column_name="劳动能力")
        id_hash = fields.Field(attribute="id_hash", column_name="id_hash")

        class Meta:
            model = Person
            import_id_fields = ("id_hash",)
            fields = ("name", "health", "labour_capacity", "id_hash")

        def before_import(self, dataset, **kwargs):
            dataset.append_col([""] * len(dataset), header="id_hash")

        def before_import_row(self, row, **kwargs):
            ident = identity(str(row["公民身份号码"]))
            row["id_hash"] = ident["id_hash"]
            row["_identity"] = ident

        def before_save_instance(self, instance, row, **kwargs):
            for key, value in row["_identity"].items():
                setattr(instance, key, value)

        def after_save_instance(self, instance, row, **kwargs):
            if kwargs.get("dry_run"):
                return
            household, _ = Household.objects.get_or_create(
                number=str(row["户编号"]),
                defaults={
                    "area_id": villages[str(row["行政区划代码"])],
                    "kind": kinds.get(row["户类型"], "ordinary"),
                },
            )
            Membership.objects.create(
                household=household,
                person=instance,
                relation=row["与户主关系"],
                start_date=household.created_at.date(),
                start_reason="registered",
            )
            if row["与户主关系"] == "户主":
                Household.objects.filter(pk=household.pk).update(head=instance)

    started = time.perf_counter()
    dataset = tablib.Dataset().load(file.read_bytes(), format="xlsx")
    if limit:
        dataset = tablib.Dataset(*dataset[:limit], headers=dataset.headers)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    result = PersonResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    import_s = time.perf_counter() - started
    return {
        "database": connection.vendor,
        "rows": len(dataset),
        "parse_s": parse_s,
        "import_s": import_s,
        "total_s": parse_s + import_s,
        "errors": len(result.row_errors()),
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "peak_mb": round(rss_mb()),
    }


# —— Parent: orchestrate and report ————————————————————————————————————————————————————————————————


def measure(db_label: str, make_db, file: Path, args) -> None:
    url, cleanup = make_db()
    try:
        ours = run_child("ours", url, file, [])
    finally:
        cleanup()
    total = ours["parse_s"] + ours["validate_s"] + ours["write_s"]
    mark = lambda ok: "✓" if ok else "✗"  # noqa: E731
    print(f"\n== {db_label}：{ours['rows']} 人，{ours['households']} 户 ==")
    cpu = ours["parse_cpu"] + ours["validate_cpu"] + ours["write_cpu"]
    print("                         用时      本进程CPU")
    print(f"  解析（read_table）     {ours['parse_s']:6.1f} 秒  {ours['parse_cpu']:6.1f} 秒")
    print(f"  校验（含台账比对）     {ours['validate_s']:6.1f} 秒  {ours['validate_cpu']:6.1f} 秒")
    print(f"  写入（单事务提交）     {ours['write_s']:6.1f} 秒  {ours['write_cpu']:6.1f} 秒")
    print(
        f"  合计                   {total:6.1f} 秒  {cpu:6.1f} 秒   目标 ≤ {GOAL_SECONDS} 秒 {mark(total <= GOAL_SECONDS)}"
    )
    print(f"  内存峰值（RSS）        {ours['peak_mb']:6d} MB   目标 ≤ {GOAL_MB} MB {mark(ours['peak_mb'] <= GOAL_MB)}"
          f"（其中启动与迁移 {ours['baseline_mb']} MB）")  # fmt: skip
    print(
        f"  相同文件再次检查       {ours['reimport_check_s']:6.1f} 秒（{ours['reimport_unchanged']} 户无变化）"
    )
    print(
        f"  每人耗时：registry.actions.identity() {ours['identity_us']} µs，其中校验号码 {ours['validate_us']} µs/次"
        f"（identity 内部校验3次），加密 {ours['encrypt_us']} µs，查找哈希 {ours['hash_us']} µs"
    )
    print(f"  提交结果：{ours['result']}")
    if args.skip_iex:
        return
    url, cleanup = make_db()
    try:
        extra = ["--iex-persons", str(args.iex_persons)] if args.iex_persons else []
        iex = run_child("iex", url, file, extra)
    finally:
        cleanup()
    # The whole workbook is parsed either way; only the row-by-row import scales with the rows used.
    scaled = iex["parse_s"] + iex["import_s"] * ours["rows"] / iex["rows"]
    ratio = scaled / total
    subset = "" if iex["rows"] == ours["rows"] else f"（前 {iex['rows']} 行，按行数折算为 {scaled:.0f} 秒）"
    print(
        f"  django-import-export：{iex['total_s']:.1f} 秒{subset}，解析 {iex['parse_s']:.1f} 秒，"
        f"内存峰值 {iex['peak_mb']} MB，错误行 {iex['errors']}"
    )
    print(f"  倍数：本平台快 {ratio:.1f} 倍   目标 ≥ {GOAL_RATIO} 倍 {mark(ratio >= GOAL_RATIO)}")


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        file = Path(args.file)
        figures = (
            child_ours(args.db, file) if args.child == "ours" else child_iex(args.db, file, args.iex_persons)
        )
        print(json.dumps(figures, ensure_ascii=False, default=str))
        return
    os.environ.setdefault("ZX_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    import django

    django.setup()  # the demo generator that writes the file imports the registry's models
    file = bench_file(args.persons)
    print(
        f"测试文件：{file}（{file.stat().st_size / 1e6:.1f} MB）；机器负载 {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核）"
    )
    if not args.no_sqlite:

        def sqlite_db():
            folder = tempfile.mkdtemp(prefix="zx_bench_import_")
            path = Path(folder) / "bench.sqlite3"

            def cleanup():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                Path(folder).rmdir()

            return f"sqlite:///{path}", cleanup

        measure("SQLite", sqlite_db, file, args)
    if args.database_url:
        measure("PostgreSQL", lambda: scratch_postgres(args.database_url), file, args)


if __name__ == "__main__":
    main()
