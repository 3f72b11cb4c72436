"""Screening benchmark: the default rules over a generated 20-million-person snapshot, engine vs hand-written SQL.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_screening.py                                  # 20,000,000 persons
    .venv/bin/python bench/bench_screening.py --persons 2000000 --feed-rows 1000000
    .venv/bin/python bench/bench_screening.py --persons 2000000 --feed-rows 1000000 --spark-persons 1000000

Goal (design.md, Performance): 20 million persons and 10 million feed records through the default rules
in ≤ 60 s on 2 cores, ≤ 1.5× the time of the same joins written by hand in DuckDB; identical warnings
from the Spark backend. Issue 5 tightens it to the engine's own time ≤ 10 s and peak memory ≤ 8 GB.

What it does:
1. generates the snapshot with `screening.engine.generate` (seed 1, as of 2024-11-30) into
   var/bench/screening_<persons>_<feed rows>/, or reuses it when it is already there (`--regenerate`);
2. in a fresh child process, runs the engine (`engine.run.run`, DuckDB, all 16 default rules and
   checks, the 2024 defaults) and records wall time, the process's CPU time and peak RSS;
3. in another fresh child process, runs `BASELINE`: the same rules written by hand as one DuckDB SQL
   script (not through the compiler): one join of the candidate feed rows with the registry, then one
   query per rule, every result fetched into Python, like the engine;
4. compares the two: hits per rule, and every hit's (rule, household, period, person, members, rows);
5. with `--spark-persons N`: a second snapshot of N persons (feed rows scaled alike), run by the engine
   on DuckDB and on Spark (local[cpu count]) in one child; compares every hit field by field.
Child processes keep each measurement's peak memory its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "var" / "bench"
AS_OF = date(2024, 11, 30)
GOAL_SECONDS, GOAL_RATIO = 60, 1.5
ISSUE_SECONDS, ISSUE_PEAK_MB = 10, 8 * 1024  # issue 5


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000_000)
    parser.add_argument("--feed-rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dir", type=Path, help="snapshot directory (default: var/bench/screening_<persons>_<rows>)"
    )
    parser.add_argument("--regenerate", action="store_true", help="generate the snapshot even if it exists")
    parser.add_argument("--memory-limit", help="DuckDB memory limit for the engine, e.g. 8GB")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--spark-persons", type=int, help="also compare the Spark backend on this many persons"
    )
    parser.add_argument(
        "--layered",
        type=int,
        metavar="N",
        help="also run the engine on the snapshot as layers (a base plus a delta of N households, as the kept"
        " registry files give it after N households changed)",
    )
    parser.add_argument("--child", choices=["engine", "baseline", "spark"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the snapshot ---------------------------------------------------------------------------------------
def snapshot(directory: Path, persons: int, feed_rows: int, seed: int, regenerate: bool) -> dict:
    from zhenxing.screening.engine.generate import generate

    marker = directory / "generated.json"
    from zhenxing.screening.engine import schema

    columns = {t: s.names for t, s in schema.TABLES.items()}  # a snapshot of older columns is regenerated
    wanted = {"persons": persons, "feed_rows": feed_rows, "seed": seed, "as_of": AS_OF.isoformat()}
    wanted["schema"] = hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()[:12]
    if not regenerate and marker.is_file() and json.loads(marker.read_text())["args"] == wanted:
        info = json.loads(marker.read_text())
        info["reused"] = True
        return info
    shutil.rmtree(directory, ignore_errors=True)
    started = time.perf_counter()
    before = _cpu()
    rows = generate(directory, persons=persons, feed_rows=feed_rows, seed=seed, as_of=AS_OF)
    info = {"args": wanted, "rows": rows, "seconds": time.perf_counter() - started, "cpu": _cpu() - before}
    info["bytes"] = sum(p.stat().st_size for p in directory.glob("*.parquet"))
    marker.write_text(json.dumps(info))
    info["reused"] = False
    return info


def layered(directory: Path, households: int, seed: int) -> Path:
    """`directory`'s snapshot as layers (engine/schema.py, "Layers") in a sibling folder: every file linked,
    and for each registry table a delta holding the current rows of `households` random households and the
    list of them replaced — the same snapshot, read as the kept registry files are after that many changes."""
    import duckdb

    from zhenxing.screening.engine import schema

    out = directory.with_name(f"{directory.name}_layered_{households}")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 100) / 100})")
    con.execute(
        "CREATE TABLE replaced AS SELECT household_id FROM read_parquet(?) ORDER BY random() LIMIT ?",
        [str(directory / schema.file_name("households")), households],
    )
    for path in directory.glob("*.parquet"):
        os.link(path, out / path.name)
        table = path.stem
        if table in schema.LAYERED:
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{path}') WHERE household_id IN (SELECT household_id FROM"
                f" replaced)) TO '{out / schema.delta_name(table)}' (FORMAT parquet)"
            )
            con.execute(f"COPY replaced TO '{out / schema.replaced_name(table)}' (FORMAT parquet)")
    con.close()
    return out


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _digest(items) -> str:
    return hashlib.sha256("\n".join(repr(i) for i in sorted(items)).encode()).hexdigest()[:16]


# --- children -------------------------------------------------------------------------------------------
def child_engine(args) -> dict:
    from zhenxing.screening.engine.defaults import default_params
    from zhenxing.screening.engine.run import run

    started, before = time.perf_counter(), _cpu()
    result = run(args.dir, default_params(), AS_OF, memory_limit=args.memory_limit)
    seconds = time.perf_counter() - started
    keys = [(h.rule, h.household_id, h.period, h.person_id, h.person_ids, tuple(r for _, r in h.feed_row_ids))
            for h in result.hits]  # fmt: skip
    return {
        "seconds": seconds,
        "cpu": _cpu() - before,
        "peak_mb": _peak_mb(),
        "setup": result.seconds_setup,
        "per_rule": result.seconds_per_rule,
        "counts": result.counts,
        "digest": _digest(keys),
    }


def child_baseline(args) -> dict:
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {os.cpu_count()}")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    started, before = time.perf_counter(), _cpu()
    statements, queries = baseline_sql(Path(args.dir), AS_OF)
    for statement in statements:
        con.execute(statement)
    rows = []
    for query in queries:
        rows += con.execute(query).fetchall()
    seconds = time.perf_counter() - started
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    keys = [(r[0], r[1], r[2], r[3], tuple(r[4]), tuple(r[5])) for r in rows]
    return {
        "seconds": seconds,
        "cpu": _cpu() - before,
        "peak_mb": _peak_mb(),
        "counts": counts,
        "digest": _digest(keys),
    }


def child_spark(args) -> dict:
    from zhenxing.screening.engine.defaults import default_params
    from zhenxing.screening.engine.run import run
    from zhenxing.screening.engine.spark_backend import local_session

    duck = run(args.dir, default_params(), AS_OF)
    started = time.perf_counter()
    spark = local_session()
    spark.sparkContext.setLogLevel("ERROR")
    start_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = run(args.dir, default_params(), AS_OF, backend="spark", spark=spark)
    seconds = time.perf_counter() - started
    different = sum(1 for a, b in zip(duck.hits, result.hits, strict=False) if a != b)
    different += abs(len(duck.hits) - len(result.hits))
    spark.stop()
    return {
        "duckdb_seconds": duck.seconds_total,
        "spark_start": start_seconds,
        "spark_seconds": seconds,
        "hits": len(duck.hits),
        "identical": duck.hits == result.hits,
        "different": different,
        "counts": duck.counts,
    }


def in_child(kind: str, args, directory: Path) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--dir", str(directory)]
    command += ["--memory-limit", args.memory_limit] if args.memory_limit else []
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{kind} 子进程失败：\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the hand-written baseline ---------------------------------------------------------------------------
def baseline_sql(d: Path, as_of: date) -> tuple[list[str], list[str]]:
    """The default rules (2024 values) as one hand-written DuckDB script: set-up statements and queries.

    Each query returns (rule, household_id, period, person_id, person_ids, row_ids, a reported value).
    """
    day = as_of.isoformat()
    edge = date(as_of.year - 1, as_of.month, as_of.day).isoformat()  # 12 months back (no 29 Feb here)
    months = [
        f"{(as_of.year * 12 + as_of.month - 1 - n) // 12}-{(as_of.month - 1 - n) % 12 + 1:02d}"
        for n in (2, 1, 0)
    ]
    school = as_of.year if as_of >= date(as_of.year, 9, 1) else as_of.year - 1

    def pq(table: str) -> str:
        return f"read_parquet('{d / (table + '.parquet')}')"

    keys = f"""
        SELECT 'medical' AS feed, row_id, key_hi, key_lo FROM {pq("feed_medical")}
         WHERE settlement_date > DATE '{edge}' AND settlement_date <= DATE '{day}'
        UNION ALL SELECT 'education', row_id, key_hi, key_lo FROM {pq("feed_education")}
         WHERE substr(school_year, 1, 4) <= '{school}'
           AND (stage IN ('高中', '中职', '高职', '本科及以上') OR (stage IN ('小学', '初中') AND enrolment_status = '辍学'))
        UNION ALL SELECT 'disability', row_id, key_hi, key_lo FROM {pq("feed_disability")}
         WHERE disability_grade IN ('一级', '二级') AND issue_date > DATE '{edge}' AND issue_date <= DATE '{day}'
        UNION ALL SELECT 'housing', row_id, key_hi, key_lo FROM {pq("feed_housing")}
         WHERE appraisal_date IS NULL OR appraisal_date <= DATE '{day}'
        UNION ALL SELECT 'emergency', row_id, key_hi, key_lo FROM {pq("feed_emergency")}
         WHERE occurrence_date > DATE '{edge}' AND occurrence_date <= DATE '{day}'
           AND (direct_loss >= 10000 OR house_damage IN ('严重损坏', '倒塌'))
        UNION ALL SELECT 'employment', row_id, key_hi, key_lo FROM {pq("feed_employment")}
         WHERE stat_month IN ('{months[0]}', '{months[1]}', '{months[2]}') AND employment_status IN ('失业', '返乡')
        UNION ALL SELECT 'civil_affairs', row_id, key_hi, key_lo FROM {pq("feed_civil_affairs")}
         WHERE assistance_type IN ('低保', '特困') AND start_date > DATE '{edge}' AND start_date <= DATE '{day}'
        UNION ALL SELECT 'public_payroll', row_id, key_hi, key_lo FROM {pq("feed_public_payroll")}
         WHERE hire_date IS NULL OR hire_date <= DATE '{day}'
        UNION ALL SELECT 'vehicle', row_id, key_hi, key_lo FROM {pq("feed_vehicle")}
         WHERE vehicle_type IN ('小型轿车', '中型客车') AND (registration_date IS NULL OR registration_date <= DATE '{day}')
        UNION ALL SELECT 'real_estate', row_id, key_hi, key_lo FROM {pq("feed_real_estate")}
         WHERE property_use IN ('住宅', '商业') AND (registration_date IS NULL OR registration_date <= DATE '{day}')
        UNION ALL SELECT 'business', row_id, key_hi, key_lo FROM {pq("feed_business")}
         WHERE registration_status = '存续' AND (entity_type IN ('有限责任公司', '股份有限公司') OR registered_capital >= 50)
           AND (founded_date IS NULL OR founded_date <= DATE '{day}')
        UNION ALL SELECT 'police', row_id, key_hi, key_lo FROM {pq("feed_police")}
         WHERE registration_status = '死亡' AND (change_date IS NULL OR change_date <= DATE '{day}')"""
    setup = [
        f"""CREATE TEMP TABLE matched AS SELECT k.feed, k.row_id, p.person_id, p.household_id, p.labour_capacity,
                   h.kind, h.monitoring_status, h.open_identification
            FROM ({keys}) k JOIN {pq("persons")} p ON p.key_hi = k.key_hi AND p.key_lo = k.key_lo
            JOIN {pq("households")} h ON h.household_id = p.household_id WHERE p.is_active""",
        f"""CREATE TEMP TABLE income AS
            WITH inc AS (SELECT * FROM {pq("incomes")} WHERE year <= {as_of.year}),
                 last AS (SELECT household_id, max(year) AS year FROM inc GROUP BY household_id)
            SELECT l.household_id, l.year, c.net_income_per_capita AS income, b.net_income_per_capita AS previous,
                   CASE WHEN l.year >= 2024 THEN 8300.00 WHEN l.year >= 2023 THEN 7600.00 WHEN l.year >= 2022 THEN 6900.00
                        WHEN l.year >= 2021 THEN 6000.00 END AS line, h.monitoring_status
            FROM last l JOIN inc c ON c.household_id = l.household_id AND c.year = l.year
            LEFT JOIN inc b ON b.household_id = l.household_id AND b.year = l.year - 1
            JOIN {pq("households")} h ON h.household_id = l.household_id""",
    ]

    def rows(kind: str) -> str:
        return f"(SELECT f.*, m.* EXCLUDE (row_id, feed) FROM {pq('feed_' + kind)} f JOIN matched m ON m.feed = '{kind}' AND m.row_id = f.row_id)"

    lm = "(kind = 'lifted' OR monitoring_status = 'monitored')"
    check = "(monitoring_status = 'monitored' OR open_identification)"

    def by_latest(rule: str, kind: str, where: str, period: str, value: str) -> str:
        return f"""SELECT '{rule}', household_id, CAST(max({period}) AS VARCHAR),
                     first(person_id ORDER BY {period} DESC, person_id, row_id), list_sort(list(DISTINCT person_id)),
                     list_sort(list(row_id)), first({value} ORDER BY {period} DESC, person_id, row_id)
                   FROM {rows(kind)} WHERE {where} GROUP BY household_id"""

    def discrepancy(rule: str, kind: str, where: str, value: str) -> str:
        return f"""SELECT '{rule}', household_id, '', first(person_id ORDER BY person_id, row_id),
                     list_sort(list(DISTINCT person_id)), list_sort(list(row_id)), first({value} ORDER BY person_id, row_id)
                   FROM {rows(kind)} WHERE {check} AND {where} GROUP BY household_id"""

    queries = [
        f"""WITH per AS (SELECT household_id, person_id, {lm} AS lm, sum(self_pay) AS total, max(settlement_date) AS last,
                                list(row_id) AS ids FROM {rows("medical")} GROUP BY household_id, person_id, lm)
            SELECT CASE WHEN lm THEN 'medical_lifted' ELSE 'medical_other' END, household_id, CAST(year(max(last)) AS VARCHAR),
                   first(person_id ORDER BY total DESC, person_id), list_sort(list(person_id)), list_sort(flatten(list(ids))),
                   max(total)
            FROM per WHERE total >= CASE WHEN lm THEN 5000 ELSE 20000 END GROUP BY household_id, lm""",
        f"""WITH per AS (SELECT household_id, person_id, school_year, sum(personal_cost) AS total, list(row_id) AS ids
                         FROM {rows("education")} WHERE stage IN ('高中', '中职', '高职', '本科及以上') AND school_year IS NOT NULL
                         GROUP BY household_id, person_id, school_year)
            SELECT 'education_cost', household_id, school_year, first(person_id ORDER BY total DESC, person_id),
                   list_sort(list(person_id)), list_sort(flatten(list(ids))), max(total)
            FROM per WHERE total > 10000 GROUP BY household_id, school_year""",
        f"""SELECT 'education_dropout', household_id, school_year, first(person_id ORDER BY person_id, row_id),
                   list_sort(list(DISTINCT person_id)), list_sort(list(row_id)), first(stage ORDER BY person_id, row_id)
            FROM {rows("education")} WHERE stage IN ('小学', '初中') AND enrolment_status = '辍学' AND school_year IS NOT NULL
            GROUP BY household_id, school_year""",
        by_latest("disability_new", "disability", "TRUE", "issue_date", "disability_grade"),
        f"""SELECT 'housing_unsafe', household_id, CAST(appraisal_date AS VARCHAR), person_id, [person_id], [row_id], safety_grade
            FROM {rows("housing")}
            QUALIFY row_number() OVER (PARTITION BY household_id ORDER BY appraisal_date DESC NULLS LAST, row_id DESC) = 1
                AND safety_grade IN ('C', 'D')""",
        by_latest("disaster", "emergency", "TRUE", "occurrence_date", "direct_loss"),
        by_latest(
            "employment_loss",
            "employment",
            f"{lm} AND labour_capacity IN ('普通劳动力', '技能劳动力')",
            "stat_month",
            "employment_status",
        ),  # fmt: skip
        by_latest(
            "assistance_new", "civil_affairs", "monitoring_status = 'none'", "start_date", "assistance_type"
        ),
        """SELECT 'income_below_line', household_id, CAST(year AS VARCHAR), NULL, [], [], income FROM income
            WHERE monitoring_status = 'none' AND income < line
           UNION ALL
           SELECT 'income_drop', household_id, CAST(year AS VARCHAR), NULL, [], [], income FROM income
            WHERE previous > 0 AND (previous - income) * 100 >= 30 * previous AND income < 1.5 * line""",
        discrepancy("public_payroll", "public_payroll", "TRUE", "employer"),
        discrepancy("vehicle", "vehicle", "TRUE", "vehicle_type"),
        discrepancy("real_estate", "real_estate", "TRUE", "property_use"),
        discrepancy("business", "business", "TRUE", "entity_name"),
        discrepancy("deceased", "police", "TRUE", "change_date"),
    ]
    return setup, queries


# --- the report -----------------------------------------------------------------------------------------
def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        result = {"engine": child_engine, "baseline": child_baseline, "spark": child_spark}[args.child](args)
        print(json.dumps(result))
        return
    directory = args.dir or CACHE / f"screening_{args.persons}_{args.feed_rows}"
    print(f"机器：{os.cpu_count()} 核；负载 {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f}（1/5 分钟）")
    info = snapshot(directory, args.persons, args.feed_rows, args.seed, args.regenerate)
    rows = info["rows"]
    feed_rows = sum(n for t, n in rows.items() if t.startswith("feed_"))
    how = (
        "沿用已有快照" if info["reused"] else f"生成用时 {info['seconds']:.1f} 秒（CPU {info['cpu']:.1f} 秒）"
    )
    print(f"快照 {directory}：{rows['persons']:,} 人，{rows['households']:,} 户，部门数据 {feed_rows:,} 条，"
          f"{info['bytes'] / 1e9:.2f} GB；{how}")  # fmt: skip

    engine = in_child("engine", args, directory)
    print(f"\n引擎（DuckDB，16 条规则）：{engine['seconds']:.1f} 秒（CPU {engine['cpu']:.1f} 秒，准备 {engine['setup']:.1f} 秒），"
          f"峰值内存 {engine['peak_mb']:,.0f} MB，共 {sum(engine['counts'].values()):,} 条")  # fmt: skip
    slowest = sorted(engine["per_rule"].items(), key=lambda kv: -kv[1])[:5]
    print("  最慢的规则：" + "，".join(f"{k} {v:.1f} 秒" for k, v in slowest))
    if args.layered:
        layers = in_child("engine", args, layered(directory, args.layered, args.seed))
        print(f"同一快照分层（基础文件 + {args.layered:,} 户的增量）：{layers['seconds']:.1f} 秒（准备 {layers['setup']:.1f} 秒），"
              f"峰值内存 {layers['peak_mb']:,.0f} MB；逐条相同：{'是' if layers['digest'] == engine['digest'] else '否'}")  # fmt: skip
    if not args.skip_baseline:
        base = in_child("baseline", args, directory)
        ratio = engine["seconds"] / base["seconds"]
        print(f"手写 SQL 基线：{base['seconds']:.1f} 秒（CPU {base['cpu']:.1f} 秒），峰值内存 {base['peak_mb']:,.0f} MB，"
              f"共 {sum(base['counts'].values()):,} 条")  # fmt: skip
        same = engine["counts"] == {k: base["counts"].get(k, 0) for k in engine["counts"]}
        print(f"引擎 / 基线 = {ratio:.2f}（目标 ≤ {GOAL_RATIO}）；各规则条数相同：{'是' if same else '否'}；"
              f"逐条（规则、户、期间、成员、数据行）相同：{'是' if engine['digest'] == base['digest'] else '否'}")  # fmt: skip
        print("\n规则                 引擎   基线")
        for key, n in engine["counts"].items():
            print(f"  {key:20s} {n:8,d} {base['counts'].get(key, 0):8,d}")
    print(f"\n目标：≤ {GOAL_SECONDS} 秒（2 核）：{'达到' if engine['seconds'] <= GOAL_SECONDS else '未达到'}；"
          f"issue 5：≤ {ISSUE_SECONDS} 秒：{'达到' if engine['seconds'] <= ISSUE_SECONDS else '未达到'}，"
          f"峰值内存 ≤ {ISSUE_PEAK_MB // 1024} GB：{'达到' if engine['peak_mb'] <= ISSUE_PEAK_MB else '未达到'}")  # fmt: skip

    if args.spark_persons:
        scaled = max(1, round(args.feed_rows * args.spark_persons / args.persons))
        spark_dir = CACHE / f"screening_{args.spark_persons}_{scaled}"
        snapshot(spark_dir, args.spark_persons, scaled, args.seed, args.regenerate)
        spark = in_child("spark", args, spark_dir)
        print(f"\nSpark（{args.spark_persons:,} 人，部门数据 {scaled:,} 条）：DuckDB {spark['duckdb_seconds']:.1f} 秒，"
              f"Spark {spark['spark_seconds']:.1f} 秒（另启动 {spark['spark_start']:.1f} 秒）；{spark['hits']:,} 条结果，"
              f"逐字段相同：{'是' if spark['identical'] else '否（' + str(spark['different']) + ' 条不同）'}")  # fmt: skip


if __name__ == "__main__":
    main()
