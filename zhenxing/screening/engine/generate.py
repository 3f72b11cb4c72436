"""A synthetic snapshot at any scale: registry, incomes and all twelve feeds, written by DuckDB SQL.

`generate(out_dir, persons, feed_rows, seed, as_of)` is deterministic for the same arguments (and
DuckDB version) — the rows of each file, not their order, which DuckDB's threads may vary (insertion order
is not kept, for speed; nothing reads the files in order): every random choice is `hash(seed, row, salt)`,
and every numbering is ordered by a key, so nothing is held in Python; 20
million persons and 10 million feed rows take about 40 CPU seconds and 0.7 GB of memory (3.1 GB of
files). What it looks like (the generator's numbers, not statistics):

- households of 1–6 persons, mean ≈ 3.2; 10% 脱贫户; 2% monitored, 1% eliminated, 0.5% with an open
  identification; 140 villages of 鄂城区 (420704…); ~2% of persons inactive (moved out); ID hashes are
  64 hex characters (md5 and its reverse: cheaper than a real keyed hash, as long), with the join key
  `key_hi`/`key_lo` parsed from them in SQL exactly as `schema.hash_key` does (a test checks);
- incomes for the two years before the as-of year: ~0.6% of households below the line, ~2% with a
  drop of 30–60%;
- feed rows spread over the feeds in `WEIGHTS`; 1.5% do not match any person; dates spread around the
  as-of date (some after it, some outside each window), with rows exactly on the money thresholds
  (5,000.00, 4,999.99, 20,000.00, 10,000.00, 10,000.01, 50.00 万元 …);
- in registries of up to 20,000 persons, medical and employment rows go to members of
  脱贫户/monitored households 20% of the time and the 疑点 feeds to monitored/open households 25% of
  the time, so that every rule fires at small scales too (the share shrinks in proportion above that).
"""

from __future__ import annotations

import math
import os
import time
from datetime import date
from pathlib import Path

from zhenxing.screening.engine import schema
from zhenxing.screening.engine.compile import latest_school_year_start, sql_type
from zhenxing.screening.engine.expr import quote_standard

WEIGHTS = {
    "medical": 0.30,
    "education": 0.10,
    "civil_affairs": 0.06,
    "disability": 0.03,
    "housing": 0.05,
    "emergency": 0.03,
    "employment": 0.20,
    "police": 0.04,
    "public_payroll": 0.03,
    "vehicle": 0.06,
    "real_estate": 0.06,
    "business": 0.04,
}
MEAN_HOUSEHOLD = 3.2
TOWNSHIPS = ("001", "002", "003", "004", "100", "101", "102", "103", "104", "105", "106", "107", "108", "200")
TARGETED = {"medical": ("lm", 0.20), "employment": ("lm", 0.20), "education": ("lm", 0.10)}
TARGETED |= {k: ("chk", 0.25) for k in ("police", "public_payroll", "vehicle", "real_estate", "business")}
TARGETED_UP_TO = 20_000  # persons: above this, targeting fades so that hit rates stay plausible
UNMATCHED = 0.015


def pick(r: str, choices: list[tuple[str, float]]) -> str:
    """A CASE over cumulative probabilities: the text value chosen by the uniform number `r`."""
    whens, total = [], 0.0
    for value, p in choices[:-1]:
        total += p
        whens.append(f"WHEN {r} < {total:.6f} THEN {quote_standard(value)}")
    return f"CASE {' '.join(whens)} ELSE {quote_standard(choices[-1][0])} END"


def money(expr: str) -> str:
    return f"CAST(round({expr}, 2) AS DECIMAL(14,2))"


def generate(
    out_dir: Path, persons: int, feed_rows: int, seed: int, as_of: date, *, threads: int | None = None
) -> dict[str, int]:
    """Write the snapshot files into `out_dir` (created if needed); returns the rows written per table."""
    import duckdb  # the engine's own dependency; imported here so `schema` users do not need it

    persons, feed_rows, seed = int(persons), int(feed_rows), int(seed)  # they are written into the SQL
    if persons < 1 or feed_rows < 0:
        raise ValueError("persons must be at least 1 and feed_rows at least 0")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE MACRO u(k, salt) AS (hash({seed}, k, salt) % 1000003) / 1000003.0")
    con.execute(f"CREATE MACRO md5h(k) AS md5(CAST({seed} AS VARCHAR) || ':' || CAST(k AS VARCHAR))")
    con.execute("CREATE MACRO idh(k) AS md5h(k) || reverse(md5h(k))")
    # schema.hash_key in SQL: 16 hex characters as a signed 64-bit integer (two's complement).
    con.execute("CREATE MACRO hexkey(h, start) AS CAST(CAST(CAST('0x' || substr(h, start, 16) AS UBIGINT)"
                " AS HUGEINT) - CASE WHEN substr(h, start, 1) >= '8' THEN CAST(18446744073709551616 AS HUGEINT)"
                " ELSE CAST(0 AS HUGEINT) END AS BIGINT)")  # fmt: skip
    con.execute(f"CREATE MACRO ago(k, salt, days, ahead) AS DATE '{as_of.isoformat()}' - "
                "CAST(floor(u(k, salt) * days) AS INTEGER) + ahead")  # fmt: skip
    written: dict[str, int] = {}

    def write(table: str, query: str, options: str = "") -> None:
        started = time.perf_counter()
        path = out / schema.file_name(table)
        derived = {"key_hi": "hexkey(id_hash, 1)", "key_lo": "hexkey(id_hash, 17)"}  # the join key
        columns = ", ".join(
            f"CAST({derived.get(f.name, f.name)} AS {sql_type(f.type)}) AS {f.name}"
            for f in schema.TABLES[table]
        )
        con.execute(
            f"COPY (SELECT {columns} FROM ({query})) TO {quote_standard(str(path))} (FORMAT parquet{options})"
        )
        written[table] = con.execute(
            f"SELECT COUNT(*) FROM read_parquet({quote_standard(str(path))})"
        ).fetchone()[0]
        if os.environ.get("ZX_GENERATE_TRACE"):
            print(f"{table}: {written[table]} rows, {time.perf_counter() - started:.2f} s")

    _registry(con, persons)
    write("households", _households_sql())
    # Random ID hashes do not compress: writing the file uncompressed saves a third of the time. DuckDB
    # still dictionary-encodes the columns that repay it (labour_capacity), as pyarrow's writer does for
    # the Django side's snapshots; the ID hashes, which do not, stay plain.
    write("persons", "SELECT * FROM person", ", COMPRESSION uncompressed")
    write("incomes", _incomes_sql(as_of))
    households = con.execute("SELECT COUNT(*) FROM hh").fetchone()[0]
    targets = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("lm", "chk")}
    for salt, (kind, weight) in enumerate(WEIGHTS.items(), start=100):
        rows = int(round(feed_rows * weight))
        write(f"feed_{kind}", _feed_sql(kind, rows, salt * 100, persons, households, targets, as_of))
    con.close()
    return written


def _registry(con, persons: int) -> None:
    candidates = math.ceil(persons / MEAN_HOUSEHOLD * 1.1) + 10
    size = pick("u(i, 1)", [("1", 0.12), ("2", 0.20), ("3", 0.26), ("4", 0.24), ("5", 0.13), ("6", 0.05)])
    con.execute(
        "CREATE TEMP TABLE hh AS WITH c AS ("
        f" SELECT i + 1 AS household_id, CAST({size} AS INTEGER) AS size FROM range({candidates}) t(i)),"
        " s AS (SELECT household_id, size, SUM(size) OVER (ORDER BY household_id ROWS UNBOUNDED PRECEDING) - size"
        " AS first FROM c)"
        f" SELECT household_id, CAST(first + 1 AS BIGINT) AS first_person, CAST(LEAST(size, {persons} - first) AS BIGINT) AS size,"
        " CASE WHEN u(household_id, 3) < 0.10 THEN 'lifted' ELSE 'ordinary' END AS kind,"
        " CASE WHEN u(household_id, 4) < 0.02 THEN 'monitored' WHEN u(household_id, 4) < 0.03 THEN 'eliminated'"
        " ELSE 'none' END AS status,"
        " u(household_id, 5) < 0.005 AND u(household_id, 4) >= 0.02 AS open_identification"
        f" FROM s WHERE first < {persons}"
    )
    capacity = pick(
        "u(person_id, 6)",
        [
            ("普通劳动力", 0.45),
            ("技能劳动力", 0.10),
            ("弱劳动力或半劳动力", 0.15),
            ("丧失劳动力", 0.10),
            ("无劳动力", 0.20),
        ],
    )
    con.execute(
        "CREATE TEMP VIEW person AS SELECT CAST(person_id AS BIGINT) AS person_id,"
        " CAST(household_id AS BIGINT) AS household_id, idh(person_id) AS id_hash,"
        f" {capacity} AS labour_capacity, u(person_id, 7) >= 0.02 OR person_id = first_person AS is_active"
        " FROM (SELECT household_id, first_person, first_person + unnest(range(size)) AS person_id FROM hh)"
    )
    member = "(SELECT household_id, first_person + unnest(range(size)) AS person_id FROM hh)"
    con.execute(
        f"CREATE TEMP TABLE lm AS SELECT row_number() OVER (ORDER BY person_id) - 1 AS idx, person_id FROM {member}"
        " WHERE household_id IN (SELECT household_id FROM hh WHERE kind = 'lifted' OR status = 'monitored')"
    )
    con.execute(
        f"CREATE TEMP TABLE chk AS SELECT row_number() OVER (ORDER BY person_id) - 1 AS idx, person_id FROM {member}"
        " WHERE household_id IN (SELECT household_id FROM hh WHERE status = 'monitored' OR open_identification)"
    )


def _households_sql() -> str:
    villages = ", ".join(f"'420704{t}{200 + v:03d}'" for t in TOWNSHIPS for v in range(1, 11))
    return (
        f"SELECT CAST(household_id AS BIGINT) AS household_id, [{villages}][1 + CAST(floor(u(household_id, 2) * 140)"
        " AS INTEGER)] AS area_code, kind, status AS monitoring_status, open_identification FROM hh"
    )


def _incomes_sql(as_of: date) -> str:
    # The earlier year's per-capita income around a nominal 8,000 line: 0.6% below it, 4.4% within 1.5×.
    before = (
        "CASE WHEN u(household_id, 10) < 0.006 THEN 4800 + 3000 * u(household_id, 11)"
        " WHEN u(household_id, 10) < 0.05 THEN 8000 + 4000 * u(household_id, 11)"
        " ELSE 12000 + 50000 * pow(u(household_id, 11), 2) END"
    )
    change = (
        "CASE WHEN u(household_id, 12) < 0.02 THEN 0.40 + 0.30 * u(household_id, 13)"  # a drop of 30–60%
        " ELSE 0.90 + 0.25 * u(household_id, 13) END"
    )
    return (
        f"SELECT household_id, CAST({as_of.year - 2} AS INTEGER) AS year, {money(before)} AS net_income_per_capita"
        f" FROM hh UNION ALL SELECT household_id, CAST({as_of.year - 1} AS INTEGER), {money(f'({before}) * {change}')}"
        " FROM hh"
    )


def _feed_sql(
    kind: str, rows: int, salt: int, persons: int, households: int, targets: dict[str, int], as_of: date
) -> str:
    def r(n: int) -> str:  # the n-th uniform number of this row
        return f"u(row_id, {salt + n})"

    if kind in ("housing", "emergency"):  # the household head's ID
        who = (
            f"SELECT g.*, h.first_person AS person_id FROM g JOIN hh h"
            f" ON h.household_id = 1 + CAST(floor({r(1)} * {households}) AS BIGINT)"
        )
    elif kind in TARGETED:
        target, share = TARGETED[kind]
        share *= min(1.0, TARGETED_UP_TO / persons)  # large registries cross every boundary anyway
        size = max(targets[target], 1)
        who = (
            f"SELECT g.*, CASE WHEN {r(0)} < {share} AND t.person_id IS NOT NULL THEN t.person_id"
            f" ELSE 1 + CAST(floor({r(1)} * {persons}) AS BIGINT) END AS person_id"
            f" FROM g LEFT JOIN {target} t ON t.idx = CAST(floor({r(2)} * {size}) AS BIGINT)"
        )
    else:
        who = f"SELECT g.*, 1 + CAST(floor({r(1)} * {persons}) AS BIGINT) AS person_id FROM g"
    id_hash = (
        f"CASE WHEN {r(3)} < {UNMATCHED} THEN idh(-{salt} * 1000000000000 - row_id) ELSE idh(person_id) END"
    )
    extra, fields = FIELDS[kind](lambda n: f"row_id, {salt + n}", as_of)
    return (
        f"WITH g AS (SELECT CAST(i + 1 AS BIGINT) AS row_id FROM range({rows}) t(i)), w AS ({who}),"
        f" x AS (SELECT w.*{extra} FROM w)"
        f" SELECT row_id, {id_hash} AS id_hash, {fields} FROM x"
    )


# Each feed: (extra intermediate columns, the feed's columns), given `k(n)` = "row_id, <salt n>" for
# u(k(n)) (the n-th uniform number of the row; 0–3 are taken by the choice of person) and the as-of date.
def _medical(k, as_of: date) -> tuple[str, str]:
    self_pay = (
        f"CASE WHEN u({k(4)}) < 0.002 THEN 5000.00 WHEN u({k(4)}) < 0.004 THEN 4999.99"
        f" WHEN u({k(4)}) < 0.005 THEN 20000.00 WHEN u({k(4)}) < 0.006 THEN 19999.99"
        f" WHEN u({k(5)}) < 0.70 THEN 20 + 800 * u({k(6)}) WHEN u({k(5)}) < 0.93 THEN 800 + 2500 * u({k(6)})"
        f" WHEN u({k(5)}) < 0.985 THEN 3000 + 6000 * u({k(6)}) ELSE 12000 + 25000 * u({k(6)}) END"
    )
    extra = f", {money(self_pay)} AS sp, {money(f'({self_pay}) * (1.0 / (0.15 + 0.35 * u({k(7)})) - 1)')} AS other"
    fields = (
        f"ago({k(8)}, 480, 30) AS settlement_date, {pick(f'u({k(9)})', [('住院', 0.3), ('门诊', 0.7)])} AS visit_type,"
        f" sp + other AS total_cost, {money('other * 0.6')} AS basic_insurance,"
        f" {money('other * 0.25')} AS critical_illness_insurance,"
        f" other - {money('other * 0.6')} - {money('other * 0.25')} AS medical_assistance, sp AS self_pay"
    )
    return extra, fields


def _education(k, as_of: date) -> tuple[str, str]:
    y = latest_school_year_start(as_of)
    year = pick(f"u({k(4)})", [(f"{y - 1}-{y}", 0.45), (f"{y}-{y + 1}", 0.50), (f"{y + 1}-{y + 2}", 0.05)])
    stages = [
        ("小学", 0.30),
        ("初中", 0.20),
        ("高中", 0.18),
        ("中职", 0.10),
        ("高职", 0.10),
        ("本科及以上", 0.12),
    ]
    status = pick(f"u({k(6)})", [("在读", 0.88), ("辍学", 0.03), ("休学", 0.02), ("毕业", 0.07)])
    cost = (
        f"CASE WHEN u({k(7)}) < 0.01 THEN 10000.00 WHEN u({k(7)}) < 0.02 THEN 10000.01"
        f" WHEN stage IN ('小学', '初中') THEN 1500 * u({k(8)})"
        f" WHEN u({k(9)}) < 0.95 THEN 2000 + 7000 * u({k(8)}) ELSE 9000 + 7000 * u({k(8)}) END"
    )
    extra = f", {pick(f'u({k(5)})', stages)} AS stage"
    fields = (
        f"{year} AS school_year, stage, stage || '学校' || CAST(row_id % 50 AS VARCHAR) AS school,"
        f" {status} AS enrolment_status, {money(cost)} AS personal_cost"
    )
    return extra, fields


def _civil_affairs(k, as_of: date) -> tuple[str, str]:
    kind = pick(f"u({k(4)})", [("低保", 0.50), ("特困", 0.12), ("临时救助", 0.38)])
    return f", ago({k(5)}, 2200, 20) AS start", (
        f"{kind} AS assistance_type, start AS start_date,"
        f" CASE WHEN u({k(6)}) < 0.7 THEN NULL ELSE start + 30 + CAST(floor(u({k(7)}) * 700) AS INTEGER) END"
        f" AS end_date, {money(f'200 + 600 * u({k(8)})')} AS monthly_amount"
    )


def _disability(k, as_of: date) -> tuple[str, str]:
    categories = [(c, 1 / 7) for c in ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")]
    grades = [(g, 0.25) for g in ("一级", "二级", "三级", "四级")]
    return "", (
        f"{pick(f'u({k(4)})', categories)} AS disability_category,"
        f" {pick(f'u({k(5)})', grades)} AS disability_grade, ago({k(6)}, 1800, 10) AS issue_date"
    )


def _housing(k, as_of: date) -> tuple[str, str]:
    grade = pick(f"u({k(4)})", [("A", 0.55), ("B", 0.37), ("C", 0.06), ("D", 0.02)])
    return "", f"ago({k(5)}, 1500, 20) AS appraisal_date, {grade} AS safety_grade"


def _emergency(k, as_of: date) -> tuple[str, str]:
    kinds = [(t, 0.2) for t in ("洪涝", "干旱", "风雹", "地质灾害", "低温冷冻")]
    loss = (
        f"CASE WHEN u({k(4)}) < 0.02 THEN 10000.00 WHEN u({k(4)}) < 0.04 THEN 9999.99"
        f" WHEN u({k(5)}) < 0.75 THEN 5000 * u({k(6)}) WHEN u({k(5)}) < 0.95 THEN 5000 + 7000 * u({k(6)})"
        f" ELSE 12000 + 48000 * u({k(6)}) END"
    )
    damage = pick(f"u({k(7)})", [("无", 0.75), ("一般损坏", 0.20), ("严重损坏", 0.04), ("倒塌", 0.01)])
    return "", (
        f"{pick(f'u({k(8)})', kinds)} AS disaster_type, ago({k(9)}, 540, 15) AS occurrence_date,"
        f" {money(loss)} AS direct_loss, {damage} AS house_damage"
    )


def _employment(k, as_of: date) -> tuple[str, str]:
    first = as_of.replace(day=1).isoformat()  # from the month after the as-of month back six months
    month = f"strftime(DATE '{first}' - to_months(CAST(floor(u({k(4)}) * 8) AS INTEGER) - 1), '%Y-%m')"
    status = pick(f"u({k(5)})", [("务工", 0.78), ("失业", 0.08), ("返乡", 0.09), ("公益性岗位", 0.05)])
    place = pick(f"u({k(6)})", [("省外", 0.4), ("省内县外", 0.3), ("县内", 0.3)])
    return "", f"{month} AS stat_month, {status} AS employment_status, {place} AS work_place"


def _police(k, as_of: date) -> tuple[str, str]:
    status = pick(f"u({k(4)})", [("正常", 0.84), ("死亡", 0.09), ("迁出", 0.07)])
    return "", f"{status} AS registration_status, ago({k(5)}, 2000, 10) AS change_date"


def _public_payroll(k, as_of: date) -> tuple[str, str]:
    employer = pick(f"u({k(4)})", [("鄂城区人民政府", 0.3), ("鄂城区教育局", 0.4), ("鄂城区卫生健康局", 0.3)])
    return "", f"{employer} AS employer, ago({k(5)}, 7000, 10) AS hire_date"


def _vehicle(k, as_of: date) -> tuple[str, str]:
    kind = pick(
        f"u({k(4)})",
        [("小型轿车", 0.35), ("中型客车", 0.05), ("货车", 0.15), ("农用车", 0.20), ("摩托车", 0.25)],
    )
    return "", (
        f"'鄂G' || lpad(CAST(row_id % 100000 AS VARCHAR), 5, '0') AS plate_number, {kind} AS vehicle_type,"
        f" ago({k(5)}, 4000, 10) AS registration_date"
    )


def _real_estate(k, as_of: date) -> tuple[str, str]:
    use = pick(f"u({k(4)})", [("住宅", 0.60), ("商业", 0.10), ("其他", 0.30)])
    return "", (
        f"'鄂城区' || CAST(1 + row_id % 300 AS VARCHAR) || '号' AS location, {use} AS property_use,"
        f" ago({k(5)}, 5000, 10) AS registration_date, {money(f'40 + 260 * u({k(6)})')} AS floor_area"
    )


def _business(k, as_of: date) -> tuple[str, str]:
    kind = pick(
        f"u({k(4)})",
        [
            ("个体工商户", 0.55),
            ("有限责任公司", 0.15),
            ("股份有限公司", 0.02),
            ("农民专业合作社", 0.18),
            ("其他", 0.10),
        ],
    )
    capital = f"CASE WHEN u({k(5)}) < 0.03 THEN 50.00 WHEN u({k(5)}) < 0.06 THEN 49.99 ELSE 0.5 + 99.5 * pow(u({k(6)}), 3) END"
    status = pick(f"u({k(7)})", [("存续", 0.75), ("注销", 0.20), ("吊销", 0.05)])
    return "", (
        f"'鄂州市' || CAST(row_id AS VARCHAR) || '号经营主体' AS entity_name, {kind} AS entity_type,"
        f" {money(capital)} AS registered_capital, ago({k(8)}, 5000, 10) AS founded_date,"
        f" {status} AS registration_status"
    )


FIELDS = {
    "medical": _medical,
    "education": _education,
    "civil_affairs": _civil_affairs,
    "disability": _disability,
    "housing": _housing,
    "emergency": _emergency,
    "employment": _employment,
    "police": _police,
    "public_payroll": _public_payroll,
    "vehicle": _vehicle,
    "real_estate": _real_estate,
    "business": _business,
}
