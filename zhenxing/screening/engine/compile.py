"""Rule definitions → SQL, for DuckDB and for Spark SQL from the same definitions.

A run is a `Plan`: set-up statements (views over the snapshot's Parquet files, the household filter,
the feed rows matched with the registry, a view or table per source) and one query per rule returning
one row per hit:

    household_id, period value, person_id, person_ids[], row_ids[], <columns of reported values>

The dialects differ in a few spots only, all in `Dialect`: string literals (Spark reads backslash
escapes), sorted distinct lists (`list_sort(list_distinct(list(x)))` / `array_sort(array_distinct(
collect_list(x)))`, both without NULLs), composite keys for `max_by` (`row(…)` / `struct(…)`),
views over Parquet and materialised tables. Date arithmetic never reaches SQL: window edges are
computed here in Python (calendar months) and bound as `DATE '…'` literals. Decimals are bound as
`CAST('5000.00' AS DECIMAL(6,2))` and compared, added and multiplied only (never divided), which both
engines do exactly; values derived by division are computed in Python (`expr.compile_value`).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from zhenxing.screening.engine import schema
from zhenxing.screening.engine.expr import (
    Arith,
    Col,
    Compare,
    Const,
    EngineError,
    Expr,
    In,
    Logic,
    Not,
    Param,
    columns_of,
    in_list,
    literal,
    params_of,
    quote_backslash,
    quote_standard,
)
from zhenxing.screening.engine.rules import EACH, LATEST, NONE, YEAR_OF_LATEST, Rule

# Columns every rule query returns before the reported values.
FIXED = ("household_id", "period", "person_id", "person_ids", "row_ids")


@dataclass(frozen=True)
class Dialect:
    name: str
    quote: Callable[[str], str]
    temporary: str  # the keyword of session-local views

    def sorted_ids(self, column: str) -> str:
        """The aggregate of a column's distinct non-NULL values as a sorted list."""
        if self.name == "duckdb":
            return f"list_sort(list_distinct(list({column})))"
        return f"array_sort(array_distinct(collect_list({column})))"

    def key(self, parts: list[str]) -> str:
        """A composite ordering key (compared field by field) for `max_by`."""
        return f"{'row' if self.name == 'duckdb' else 'struct'}({', '.join(parts)})"

    def literal(self, value: Any) -> str:
        return literal(value, self.quote)

    def parquet_view(self, name: str, path: Path) -> str:
        if self.name == "duckdb":
            return (
                f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet({self.quote(str(path))})"
            )
        return f"CREATE OR REPLACE TEMPORARY VIEW {name} USING parquet OPTIONS (path {self.quote(str(path))})"

    def empty_view(self, name: str, table: pa.Schema) -> str:
        columns = ", ".join(f"CAST(NULL AS {sql_type(f.type)}) AS {f.name}" for f in table)
        return f"CREATE OR REPLACE {self.temporary} VIEW {name} AS SELECT {columns} WHERE 1 = 0"

    def view(self, name: str, query: str) -> str:
        return f"CREATE OR REPLACE {self.temporary} VIEW {name} AS {query}"

    def materialise(self, name: str, query: str) -> str:
        if self.name == "duckdb":
            return f"CREATE OR REPLACE TEMP TABLE {name} AS {query}"
        return f"CACHE TABLE {name} AS {query}"  # eager: the rows are computed once, here

    def drop(self, name: str, materialised: bool) -> list[str]:
        if self.name == "duckdb":
            return [f"DROP {'TABLE' if materialised else 'VIEW'} IF EXISTS {name}"]
        return ([f"UNCACHE TABLE IF EXISTS {name}"] if materialised else []) + [f"DROP VIEW IF EXISTS {name}"]


DUCKDB = Dialect("duckdb", quote_standard, "TEMP")
SPARK = Dialect("spark", quote_backslash, "TEMPORARY")


def sql_type(t: pa.DataType) -> str:
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    names = {
        pa.int64(): "BIGINT",
        pa.int32(): "INT",
        pa.string(): "STRING",
        pa.date32(): "DATE",
        pa.bool_(): "BOOLEAN",
    }
    return names[t]


# --- calendar -------------------------------------------------------------------------------------------
def months_before(day: date, months: int) -> date:
    """`day` minus calendar months, clamped to the month's end (2024-03-31 − 1 month = 2024-02-29)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window_months(as_of: date, months: int) -> list[str]:
    """The N 'YYYY-MM' months ending with the as-of month, oldest first."""
    return [months_before(as_of.replace(day=1), n).strftime("%Y-%m") for n in range(months - 1, -1, -1)]


def latest_school_year_start(as_of: date) -> int:
    """The first year of the latest school year begun by the as-of date (a school year starts 1 September)."""
    return as_of.year if as_of >= date(as_of.year, 9, 1) else as_of.year - 1


# --- binding --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Binder:
    params: Mapping[str, Any]
    as_of: date
    dialect: Dialect

    def param(self, key: str, rule: Rule) -> Any:
        if key not in self.params:
            raise EngineError(f"缺少筛查参数“{key}”（规则“{rule.label}”需要），请在年度参数中设置")
        return self.params[key]

    def months(self, rule: Rule) -> int:
        value = self.param(rule.window.months, rule)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise EngineError(f"筛查参数“{rule.window.months}”应为不小于 1 的整数月数，现为“{value}”")
        return value

    def sql(self, node: Expr, rule: Rule, columns: set[str]) -> str:
        """SQL for a condition; columns must be in `columns`, parameters become literals."""
        if isinstance(node, Col):
            if node.name not in columns:
                raise EngineError(f"规则“{rule.label}”在此处不能使用列：{node.name}")
            return node.name
        if isinstance(node, Param):
            return self.dialect.literal(self.param(node.key, rule))
        if isinstance(node, Const):
            return self.dialect.literal(node.value)
        if isinstance(node, Compare):
            return f"({self.sql(node.left, rule, columns)} {node.op} {self.sql(node.right, rule, columns)})"
        if isinstance(node, In):
            values = (
                self.param(node.choices.key, rule) if isinstance(node.choices, Param) else node.choices.value
            )
            choices = in_list(values, self.dialect.quote)
            return "FALSE" if choices is None else f"({self.sql(node.left, rule, columns)} IN {choices})"
        if isinstance(node, Logic):
            return "(" + f" {node.op} ".join(self.sql(item, rule, columns) for item in node.items) + ")"
        if isinstance(node, Not):
            return f"(NOT {self.sql(node.item, rule, columns)})"
        if isinstance(node, Arith) and node.op != "/":
            return f"({self.sql(node.left, rule, columns)} {node.op} {self.sql(node.right, rule, columns)})"
        raise EngineError(
            f"规则“{rule.label}”的条件中不能使用 {type(node).__name__} {getattr(node, 'op', '')}"
        )


# --- the plan -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    rule: Rule
    sql: str
    value_columns: tuple[str, ...]
    window_text: str  # the reported `统计期`, '' without a window


@dataclass(frozen=True)
class Plan:
    setup: tuple[str, ...]
    feeds: tuple[str, ...]  # feed kinds read, in the order of `matched.feed`
    matched: str  # the table of (feed, row_id) → member, '' without feeds
    queries: tuple[Query, ...]
    cleanup: tuple[str, ...]
    missing_feeds: tuple[str, ...]


def compile_plan(
    rules: Sequence[Rule],
    params: Mapping[str, Any],
    as_of: date,
    dialect: Dialect,
    snapshot_dir: Path,
    *,
    restricted: bool = False,
    prefix: str = "",
) -> Plan:
    """Everything one run executes. `restricted`: a table `{prefix}selected(household_id)` limits it."""
    binder = Binder(params, as_of, dialect)
    for rule in rules:
        unknown = sorted(set(rule.source_columns) - set(schema.columns_of(rule.source)))
        if unknown:
            raise EngineError(f"规则“{rule.label}”引用了{rule.source}中不存在的列：{'、'.join(unknown)}")
    name = {t: f"{prefix}{t}" for t in ("households", "persons", "incomes", "hh", "selected")}
    setup: list[str] = []
    created: list[tuple[str, bool]] = []  # (name, materialised), in order of creation
    sources = list(dict.fromkeys(r.source for r in rules))
    needed = ["households"] + (["persons"] if set(sources) - {schema.INCOME} else [])
    needed += ["incomes"] if schema.INCOME in sources else []
    for table in needed:
        path = snapshot_dir / schema.file_name(table)
        if not path.is_file():
            raise EngineError(f"筛查快照缺少 {path.name}（{snapshot_dir}），请重新生成快照")
        delta, replaced = snapshot_dir / schema.delta_name(table), snapshot_dir / schema.replaced_name(table)
        if delta.is_file() != replaced.is_file():
            missing_file = replaced.name if delta.is_file() else delta.name
            raise EngineError(f"筛查快照缺少 {missing_file}（{snapshot_dir}），请重新生成快照")
        if not delta.is_file():
            setup.append(dialect.parquet_view(name[table], path))
            created.append((name[table], False))
            continue
        # Layers (schema.py): the base's rows of the households not replaced, then the delta's rows.
        layers = {part: f"{name[table]}_{part}" for part in ("base", "delta", "replaced")}
        for part, file in (("base", path), ("delta", delta), ("replaced", replaced)):
            setup.append(dialect.parquet_view(layers[part], file))
            created.append((layers[part], False))
        setup.append(
            dialect.view(
                name[table],
                f"SELECT * FROM {layers['base']} WHERE household_id NOT IN"
                f" (SELECT household_id FROM {layers['replaced']}) UNION ALL SELECT * FROM {layers['delta']}",
            )
        )
        created.append((name[table], False))
    only = f" WHERE household_id IN (SELECT household_id FROM {name['selected']})" if restricted else ""
    setup.append(dialect.view(name["hh"], f"SELECT * FROM {name['households']}{only}"))
    created.append((name["hh"], False))

    missing: list[str] = []
    feeds = [s for s in sources if s != schema.INCOME]
    for kind in feeds:
        feed = f"{prefix}feed_{kind}"
        path = snapshot_dir / schema.file_name(f"feed_{kind}")
        if path.is_file():
            setup.append(dialect.parquet_view(feed, path))
        else:
            setup.append(dialect.empty_view(feed, schema.FEEDS[kind]))
            missing.append(kind)
        created.append((feed, False))
    if feeds:
        # One join of all feeds' keys with the registry (the costly part), then each feed picks its rows
        # back by row_id.
        name["matched"] = f"{prefix}matched"
        keys = _matched_keys(binder, feeds, [r for r in rules if r.source != schema.INCOME], prefix, name)
        setup.append(dialect.materialise(name["matched"], keys))
        created.append((name["matched"], True))
    for source in sources:
        table = f"{prefix}m_{source}"
        using = [r for r in rules if r.source == source]
        known = schema.columns_of(source)
        needed = list(dict.fromkeys(c for r in using for c in r.source_columns if c in known))
        if source == schema.INCOME:
            query = f"SELECT {', '.join(needed)} FROM ({_income_rows(binder, name, using)}) i"
        else:
            picked = [f"m.{c}" if c in schema.MEMBER_COLUMNS else f"f.{c}" for c in needed]
            query = (
                f"SELECT {', '.join(picked)} FROM {prefix}feed_{source} f"
                f" JOIN {name['matched']} m ON m.row_id = f.row_id WHERE m.feed = {feeds.index(source)}"
            )
        shared = len(using) > 1  # read by several rules: computed once
        setup.append(dialect.materialise(table, query) if shared else dialect.view(table, query))
        created.append((table, shared))

    queries = tuple(_rule_query(rule, binder, f"{prefix}m_{rule.source}") for rule in rules)
    cleanup = [statement for n, shared in reversed(created) for statement in dialect.drop(n, shared)]
    return Plan(tuple(setup), tuple(feeds), name.get("matched", ""), queries, tuple(cleanup), tuple(missing))


def _matched_keys(
    binder: Binder, feeds: list[str], rules: list[Rule], prefix: str, name: dict[str, str]
) -> str:
    """(feed, row_id) of every feed row that meets an active person, not dated after the as-of date and
    possibly qualifying for one of the rules on its feed, with the member's columns; `feed` is the
    feed's index in `feeds`. Rows meet persons on the integer join key (`key_hi`, `key_lo`: the ID
    hash's first 128 bits, see schema.py), never on the 64-character `id_hash` itself."""
    keys = " UNION ALL ".join(
        f"SELECT {i} AS feed, row_id, key_hi, key_lo FROM {prefix}feed_{kind}"
        f" WHERE {_dated(binder, kind)} AND {_prefilter(binder, [r for r in rules if r.source == kind])}"
        for i, kind in enumerate(feeds)
    )
    return (
        "SELECT k.feed, k.row_id, p.person_id, p.household_id, p.labour_capacity, h.kind AS household_kind,"
        f" h.monitoring_status, h.open_identification FROM ({keys}) k"
        f" JOIN {name['persons']} p ON p.key_hi = k.key_hi AND p.key_lo = k.key_lo"
        f" JOIN {name['hh']} h ON h.household_id = p.household_id"
        " WHERE p.is_active"
    )


def _prefilter(binder: Binder, rules: list[Rule], available: set[str] | None = None) -> str:
    """A condition on a feed's own columns that every row some rule could use meets, so that only those
    rows are matched with the registry: per rule, its window and the conditions of `where` (at the top
    level, joined by &) that read feed columns only (or only `available` columns); rows are kept if they
    meet any rule's."""
    alternatives = []
    for rule in rules:
        if rule.latest:  # the latest row is chosen among all rows
            return "TRUE"
        own = available if available is not None else set(schema.FEEDS[rule.source].names)
        parts = [c for c in _conjuncts(rule.where) if set(columns_of(c)) <= own]
        conditions = [binder.sql(c, rule, set(schema.columns_of(rule.source))) for c in parts]
        conditions += [window_condition(binder, rule)[0]] if rule.window else []
        if not conditions:
            return "TRUE"
        alternatives.append("(" + " AND ".join(conditions) + ")")
    return "(" + " OR ".join(alternatives) + ")" if alternatives else "TRUE"


def _conjuncts(node: Expr | None) -> list[Expr]:
    if node is None:
        return []
    if isinstance(node, Logic) and node.op == "AND":
        return [c for item in node.items for c in _conjuncts(item)]
    return [node]


def _dated(binder: Binder, kind: str) -> str:
    """Not dated after the as-of date (an empty date is not after it)."""
    column, how = schema.DATED_BY[kind]
    as_of, q = binder.as_of, binder.dialect.quote
    if how == schema.DATE:
        dated = f"{column} <= DATE '{as_of.isoformat()}'"
    elif how == schema.MONTH:
        dated = f"{column} <= {q(as_of.strftime('%Y-%m'))}"
    else:
        dated = f"substr({column}, 1, 4) <= {q(str(latest_school_year_start(as_of)))}"
    return f"({column} IS NULL OR {dated})"


def _income_rows(binder: Binder, name: dict[str, str], rules: list[Rule]) -> str:
    """Each household's latest income year not after the as-of year, the year before it and its line;
    only the households some income rule could use (`_prefilter` on the income columns: a few percent
    of them), which alone are then joined with the households' columns.

    `max_by` (DuckDB and Spark) takes the latest year's income in the same pass as the year; empty
    incomes are left out first, since the two engines' `max_by` treat an empty value differently.
    The year before is looked up in a second scan of the file, written out rather than shared through
    a CTE: DuckDB would materialise a shared CTE (12.5 million rows at full scale), which took twice as
    long as reading the file again.
    """
    year = binder.as_of.year
    incomes = (
        f"SELECT household_id, year, net_income_per_capita FROM {name['incomes']}"
        " WHERE net_income_per_capita IS NOT NULL AND year <= "
    )
    # Filtered twice: before looking up the year before (on the latest year's columns), then after.
    before = _prefilter(binder, rules, {"year", "income", "line"})
    after = _prefilter(binder, rules, {"year", "income", "previous_income", "line"})
    line = _line_case(binder, "year")
    only = ""
    if before != "TRUE":
        # A household passes `before` only if its latest year does, so only if one of its years does: the
        # latest year is then sought among those households alone (a few percent of them), which is
        # cheaper than grouping every household's years.
        only = (
            f" WHERE household_id IN (SELECT household_id FROM (SELECT household_id, year,"
            f" net_income_per_capita AS income, {line} AS line FROM ({incomes}{year}) a) r WHERE {before})"
        )
    latest = (
        f"SELECT household_id, year, income, {line} AS line"
        " FROM (SELECT household_id, MAX(year) AS year, max_by(net_income_per_capita, year) AS income"
        f" FROM ({incomes}{year}) i{only} GROUP BY household_id) g"
    )
    return (
        "SELECT h.household_id, c.year, c.income, c.previous_income, c.line, h.kind AS household_kind,"
        " h.monitoring_status, h.open_identification, CAST(NULL AS BIGINT) AS person_id,"
        " CAST(NULL AS BIGINT) AS row_id FROM (SELECT * FROM ("
        "SELECT l.household_id, l.year, l.income, b.net_income_per_capita AS previous_income, l.line"
        f" FROM (SELECT * FROM ({latest}) y WHERE {before}) l"
        f" LEFT JOIN ({incomes}{year - 1}) b ON b.household_id = l.household_id AND b.year = l.year - 1"
        f") x WHERE {after}) c JOIN {name['hh']} h ON h.household_id = c.household_id"
    )


def _line_case(binder: Binder, year: str) -> str:
    """The monitoring line of an income year: that year's, else the latest earlier year's (`params['lines']`).

    Without `lines`, `monitoring_line` applies to every year.
    """
    lines = binder.params.get("lines") or {}
    for y, v in lines.items():
        if isinstance(y, bool) or not isinstance(y, int) or not isinstance(v, Decimal):
            raise EngineError(f"监测范围（lines）应为“年度 → 金额”，“{y}: {v}”无效")
    money = "DECIMAL(14,2)"
    if not lines:
        line = binder.params.get("monitoring_line")
        if not isinstance(line, Decimal):
            raise EngineError("缺少监测范围：请提供各年度的 lines 或 monitoring_line")
        return f"CAST({binder.dialect.literal(line)} AS {money})"
    whens = " ".join(
        f"WHEN {year} >= {y} THEN CAST({binder.dialect.literal(lines[y])} AS {money})"
        for y in sorted(lines, reverse=True)
    )
    return f"CASE {whens} END"


def window_condition(binder: Binder, rule: Rule) -> tuple[str, str]:
    """(SQL condition, reported 统计期) of a rule's window; the column's type says dates or 'YYYY-MM'."""
    months, column, as_of = binder.months(rule), rule.window.column, binder.as_of
    kind = schema.columns_of(rule.source)[column]
    if pa.types.is_date(kind):
        edge = months_before(as_of, months)
        condition = f"({column} > DATE '{edge.isoformat()}' AND {column} <= DATE '{as_of.isoformat()}')"
        return condition, f"{(edge + timedelta(days=1)).isoformat()}至{as_of.isoformat()}"
    listed = window_months(as_of, months)
    return f"({column} IN {in_list(listed, binder.dialect.quote)})", f"{listed[0]}至{listed[-1]}"


def _rule_query(rule: Rule, binder: Binder, source: str) -> Query:
    """One query: the rule's qualifying items (rows, members' totals or households' latest rows), then one
    group per hit. The reported member and values are those of the item with the largest key
    (rank, −person_id, −row_id): the highest rank, then the smaller person id, then the smaller row id."""
    dialect = binder.dialect
    columns = set(rule.source_columns)
    period = rule.period
    conditions = [binder.sql(rule.where, rule, columns)] if rule.where is not None else []
    window_text = ""
    if rule.window:
        condition, window_text = window_condition(binder, rule)
        conditions.append(condition)
    if period.how == EACH:
        conditions.append(f"{period.column} IS NOT NULL")  # no period, no warning identity
    base = f"SELECT * FROM {source} WHERE {' AND '.join(conditions) or 'TRUE'}"
    group = ["household_id"] + ([period.column] if period.how == EACH else [])
    period_column = "CAST(NULL AS INT)" if period.how == NONE else period.column
    rank = rule.rank or (period.column if period.how in (LATEST, YEAR_OF_LATEST) else None)
    row_ids = dialect.sorted_ids("row_id")

    if rule.total:
        per_member = ["household_id", "person_id", *rule.total.per]
        item_columns = {*per_member, "total"}
        having = binder.sql(rule.having, rule, item_columns)
        latest = f"MAX({period_column})" if period.how in (LATEST, YEAR_OF_LATEST) else period_column
        items = (
            f"SELECT * FROM (SELECT {', '.join(per_member)}, SUM({rule.total.column}) AS total,"
            f" {latest} AS period_value, MIN(row_id) AS first_row_id"
            f" FROM base GROUP BY {', '.join(per_member)}) g WHERE {having}"
        )
        rank = rule.rank or "total"
    elif rule.latest:
        item_columns = columns
        having = binder.sql(rule.having, rule, columns) if rule.having is not None else "TRUE"
        items = (
            f"SELECT *, row_id AS first_row_id, {period_column} AS period_value FROM (SELECT *, row_number()"
            f" OVER (PARTITION BY household_id ORDER BY {rule.latest} DESC NULLS LAST, row_id DESC) AS latest_rn"
            f" FROM base) o WHERE latest_rn = 1 AND {having}"
        )
    else:
        item_columns = columns
        items = f"SELECT *, row_id AS first_row_id, {period_column} AS period_value FROM base"

    value_columns = tuple(dict.fromkeys(c for _, v in rule.values for c in columns_of(v) if c != "统计期"))
    unknown = [c for c in value_columns if c not in item_columns]
    if unknown:
        raise EngineError(f"规则“{rule.label}”报告的值引用了不可用的列：{'、'.join(unknown)}")
    for _, value in rule.values:  # parameters a value shows must exist too
        for shown in params_of(value):
            binder.param(shown, rule)

    key = dialect.key([*([rank] if rank else []), "-person_id", "-first_row_id"])
    top = "".join(f", max_by({c}, {key}) AS v{i}" for i, c in enumerate(value_columns))
    by = ", ".join(group)
    hits = (
        f"SELECT {by}, MAX(period_value) AS period, max_by(person_id, {key}) AS person_id,"
        f" {dialect.sorted_ids('person_id')} AS person_ids, {row_ids} AS row_ids{top} FROM items GROUP BY {by}"
    )
    values = "".join(f", h.v{i}" for i in range(len(value_columns)))
    if rule.total:
        # A member's rows: those of the qualifying members only, picked back from `base`.
        on = " AND ".join(f"b.{c} = i.{c}" for c in ["person_id", *group])
        rows = (
            f"SELECT {', '.join('b.' + c for c in group)}, {dialect.sorted_ids('b.row_id')} AS row_ids"
            f" FROM base b JOIN items i ON {on} GROUP BY {', '.join('b.' + c for c in group)}"
        )
        hits = hits.replace(f", {row_ids} AS row_ids", "")
        sql = (
            f"WITH base AS ({base}), items AS ({items}), hits AS ({hits}), member_rows AS ({rows})"
            f" SELECT h.household_id, h.period, h.person_id, h.person_ids, r.row_ids{values} FROM hits h"
            f" JOIN member_rows r ON {' AND '.join(f'r.{c} = h.{c}' for c in group)}"
        )
    else:
        sql = (
            f"WITH base AS ({base}), items AS ({items})"
            f" SELECT h.household_id, h.period, h.person_id, h.person_ids, h.row_ids{values} FROM ({hits}) h"
        )
    return Query(rule, sql, value_columns, window_text)
