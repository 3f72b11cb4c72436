"""Run the screening rules over a snapshot: `run(...)` → `RunResult`, and `explain(hit)`.

One run: compile the enabled rules for the backend's dialect, set up the snapshot views and matched
rows once, then evaluate each rule with one query in the same connection (DuckDB) or session (Spark).
Only hits come back to Python; nothing is materialised per person.
"""

from __future__ import annotations

import contextlib
import gc
import operator
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from zhenxing.screening.engine import schema
from zhenxing.screening.engine.compile import DUCKDB, FIXED, SPARK, Dialect, Plan, Query, compile_plan
from zhenxing.screening.engine.expr import Col, EngineError, Param, compile_value, text
from zhenxing.screening.engine.rules import BY_KEY, NONE, WINDOW, YEAR_OF_LATEST, Rule, select

BACKENDS = {"duckdb": "DuckDB", "spark": "Spark"}


@dataclass(frozen=True)
class Hit:
    """One warning or discrepancy: identified by (rule, household_id, period)."""

    rule: str
    rule_version: int
    kind: str  # "warning" | "discrepancy"
    risk_type: str  # 因病 … 收入, or the discrepancy kind (财政供养, 车辆, 不动产, 市场主体, 死亡)
    household_id: int
    person_id: int | None  # the member ranked first (None for household rules such as income)
    person_ids: tuple[int, ...]  # every contributing member, sorted
    period: str
    values: dict[str, str]  # Chinese label → text (Decimals keep their places, dates ISO)
    feed_row_ids: tuple[tuple[str, int], ...]  # (feed kind, row_id) of every contributing row, sorted

    @property
    def identity(self) -> tuple[str, int, str]:
        return (self.rule, self.household_id, self.period)


@dataclass
class RunResult:
    hits: list[Hit]  # sorted by (rule, household_id, period)
    counts: dict[str, int]  # rule key → hits, every enabled rule
    seconds_per_rule: dict[str, float]  # query and conversion; a query overlaps the conversion before it
    log: list[str]  # Chinese lines for the job log
    seconds_setup: float = 0.0  # views and matched rows, shared by the rules
    seconds_total: float = 0.0
    backend: str = "duckdb"
    as_of: date | None = None
    rule_versions: dict[str, int] = field(default_factory=dict)


class Session(Protocol):
    dialect: Dialect
    prefix: str
    parallel_queries: int  # rule queries run side by side (DuckDB: 1, it parallelises each query itself)

    def execute(self, sql: str) -> None: ...

    def fetch(self, sql: str) -> list[tuple]: ...

    def fetch_arrow(self, sql: str) -> pa.Table: ...

    def register_households(self, name: str, household_ids: list[int]) -> None: ...

    def close(self) -> None: ...


def run(
    snapshot_dir: Path,
    params: Mapping[str, Any],
    as_of: date,
    *,
    rules: Sequence[str] | None = None,
    household_ids: Sequence[int] | None = None,
    backend: str = "duckdb",
    progress: Callable[[int, int], None] | None = None,
    memory_limit: str | None = None,
    spark: Any = None,
) -> RunResult:
    """Evaluate the rules (default: all, in definition order) over the snapshot as of a date.

    `params`: the year's typed parameters plus `lines` ({income year: monitoring line}).
    `household_ids`: only these households (an empty list: none). `backend`: "duckdb" or "spark".
    `progress(done, total)` is called after the set-up and after each rule. `memory_limit` (DuckDB,
    e.g. "4GB") caps the engine's memory; `spark` is an existing SparkSession to use.
    """
    started = time.perf_counter()
    if backend not in BACKENDS:
        raise EngineError(f"未知的计算引擎“{backend}”，可选：{'、'.join(BACKENDS)}")
    if not isinstance(as_of, date):
        raise EngineError("筛查基准日应为日期")
    chosen = select(rules)
    ids = _household_ids(household_ids)
    dialect, prefix = (DUCKDB, "") if backend == "duckdb" else (SPARK, f"zx{uuid.uuid4().hex[:10]}_")
    plan = compile_plan(
        chosen, params, as_of, dialect, Path(snapshot_dir), restricted=ids is not None, prefix=prefix
    )
    session = _open(backend, memory_limit, spark, prefix)
    log = [f"筛查基准日 {as_of.isoformat()}，计算引擎 {BACKENDS[backend]}，规则 {len(chosen)} 条"]
    total_steps = len(chosen) + 1
    try:
        if ids is not None:
            session.register_households(f"{session.prefix}selected", ids)
            log.append(f"只筛查指定的 {len(ids)} 户")
        log += [
            f"快照中没有{schema.FEED_LABELS[k]}数据（feed_{k}.parquet），按无数据处理"
            for k in plan.missing_feeds
        ]
        for statement in plan.setup:
            session.execute(statement)
        log += _matched_lines(session, plan)
        seconds_setup = time.perf_counter() - started
        log.append(f"准备数据用时 {seconds_setup:.2f} 秒")
        if progress:
            progress(1, total_steps)
        hits: list[Hit] = []
        counts: dict[str, int] = {}
        seconds: dict[str, float] = {}
        with contextlib.closing(_fetch_all(session, plan.queries)) as results:  # its workers end here
            for done, (query, (table, fetched)) in enumerate(results, start=2):
                t = time.perf_counter()
                with _no_cycle_collection():
                    found = _hits(query, table, params)
                seconds[query.rule.key] = fetched + time.perf_counter() - t
                counts[query.rule.key] = len(found)
                hits += found
                log.append(
                    f"规则“{query.rule.label}”（{query.rule.key}）：{len(found)} 户，用时 {seconds[query.rule.key]:.2f} 秒"
                )
                if progress:
                    progress(done, total_steps)
    finally:
        try:
            for statement in plan.cleanup:  # best effort: never hide the error that stopped the run
                with contextlib.suppress(Exception):
                    session.execute(statement)
        finally:
            session.close()
    with _no_cycle_collection():
        hits.sort(key=operator.attrgetter("rule", "household_id", "period"))  # Hit.identity
    total = time.perf_counter() - started
    log.append(f"共 {len(hits)} 条结果，用时 {total:.2f} 秒")
    versions = {r.key: r.version for r in chosen}
    return RunResult(hits, counts, seconds, log, seconds_setup, total, backend, as_of, versions)


def explain(hit: Hit) -> str:
    """A Chinese sentence naming the rule, its threshold and the values that crossed it."""
    rule = BY_KEY.get(hit.rule)
    if rule is None:
        details = "，".join(f"{k}{v}" for k, v in hit.values.items())
        return f"规则 {hit.rule}（第 {hit.rule_version} 版）：{details}。"
    sentence = rule.explanation.format_map(_Blank(hit.values))
    return f"{rule.label}（{rule.raises}）：{sentence}。"


class _Blank(dict):
    def __missing__(self, key: str) -> str:  # a hit stored under an older rule version may lack a value
        return "—"


def _fetch_all(session: Session, queries: Sequence[Query]) -> Iterator[tuple[Query, tuple[pa.Table, float]]]:
    """Each query with its result (an Arrow table) and seconds, in order.

    The queries run in worker threads, ahead of the caller, which meanwhile turns the previous results
    into hits in Python (DuckDB and Spark release the GIL while they work): with DuckDB one worker (it
    parallelises each query itself, and a connection runs one statement at a time), so the next rule's
    query overlaps the last one's conversion; a session that runs queries side by side (Spark: the
    driver plans one query while the executors run another) gets `parallel_queries` workers. Nothing
    else uses the session until the generator is done; queries not yet started when it stops are
    cancelled.
    """

    def fetch(query: Query) -> tuple[pa.Table, float]:
        started = time.perf_counter()
        return session.fetch_arrow(query.sql), time.perf_counter() - started

    pool = ThreadPoolExecutor(max(1, getattr(session, "parallel_queries", 1)))
    try:
        for query, future in zip(queries, [pool.submit(fetch, q) for q in queries], strict=True):
            yield query, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _household_ids(household_ids: Sequence[int] | None) -> list[int] | None:
    if household_ids is None:
        return None
    ids = set()
    for value in household_ids:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EngineError(f"户的编号应为整数，“{value!r}”无效")
        ids.add(value)
    return sorted(ids)


def _open(backend: str, memory_limit: str | None, spark: Any, prefix: str) -> Session:
    if backend == "spark":
        from zhenxing.screening.engine.spark_backend import SparkSqlSession  # pyspark is optional

        return SparkSqlSession(spark, prefix=prefix)
    from zhenxing.screening.engine.duckdb_backend import DuckDBSession

    return DuckDBSession(memory_limit=memory_limit)


def _matched_lines(session: Session, plan: Plan) -> list[str]:
    if not plan.matched:
        return []
    counts = dict(session.fetch(f"SELECT feed, COUNT(*) FROM {plan.matched} GROUP BY feed"))
    return [
        f"{schema.FEED_LABELS[k]}数据：{counts.get(i, 0)} 条对应到在册在户人员"
        for i, k in enumerate(plan.feeds)
    ]


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while hits are made: hundreds of thousands of new objects
    (none in a cycle) would start a collection every few hundred, each scanning every live hit — half
    of the conversion's time at full scale. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _hits(query: Query, table: pa.Table, params: Mapping[str, Any]) -> list[Hit]:
    """The `Hit`s of one rule's result table, built column by column.

    Hundreds of thousands of hits at full scale: a value's text is made for the whole column by Arrow
    (`_texts`: the same strings as `expr.text`, checked by a test), the rest is zipping lists. Only
    values computed in Python (`compile_value`: divisions) and types Arrow does not format like `text`
    are made value by value.
    """
    n = table.num_rows
    if n == 0:
        return []
    rule: Rule = query.rule
    fetched = {c: table.column(len(FIXED) + i) for i, c in enumerate(query.value_columns)}
    labels: list[str] = []
    texts: list[Any] = []  # per reported value: a list of n texts
    rows: list[tuple] | None = None  # the value columns as Python rows, only for computed values
    for label, value in rule.values:
        labels.append(label)
        if value is WINDOW:
            texts.append(repeat(query.window_text, n))
        elif isinstance(value, Param):
            texts.append(repeat(text(params[value.key]), n))
        elif isinstance(value, Col):
            texts.append(_texts(fetched[value.name]))
        else:
            if rows is None:
                rows = list(zip(*(fetched[c].to_pylist() for c in query.value_columns), strict=True))
            compute = compile_value(value, {c: i for i, c in enumerate(query.value_columns)}, params)
            texts.append([text(compute(row)) for row in rows])
    values = [dict(zip(labels, row, strict=True)) for row in zip(*texts, strict=True)]
    source = rule.source
    row_ids = [tuple([(source, r) for r in ids]) for ids in table.column(4).to_pylist()]
    person_ids = [tuple(ids) for ids in table.column(3).to_pylist()]
    fixed = dict(rule=rule.key, rule_version=rule.version, kind=rule.kind, risk_type=rule.raises)
    new = object.__new__
    hits = []
    for household, period, person, persons, hit_values, rows_of in zip(
        table.column(0).to_pylist(),
        _period_texts(rule.period.how, table.column(1)),
        table.column(2).to_pylist(),
        person_ids,
        values,
        row_ids,
        strict=True,
    ):
        hit = new(Hit)  # `Hit(...)` without the frozen dataclass's per-field `object.__setattr__`
        hit.__dict__.update(
            fixed,
            household_id=household,
            person_id=person,
            person_ids=persons,
            period=period,
            values=hit_values,
            feed_row_ids=rows_of,
        )
        hits.append(hit)
    return hits


def _texts(column: pa.ChunkedArray) -> list[str]:
    """`expr.text` of every value of a column, an empty value as "". Arrow formats strings, dates (ISO),
    integers and decimals of up to 6 places (plain, every place kept) exactly as `text` does; other types
    (and more places, which Arrow may print as 1E-7) go through it."""
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return column.fill_null("").to_pylist()
    if pa.types.is_date32(t) or pa.types.is_integer(t) or (pa.types.is_decimal(t) and 0 <= t.scale <= 6):
        return pc.cast(column, pa.string()).fill_null("").to_pylist()
    return [text(v) for v in column.to_pylist()]


def _period_texts(how: str, column: pa.ChunkedArray) -> Any:
    """The hits' periods: '' without one, 'YYYY' for the year of a date, else `text` of the value."""
    if how == NONE:
        return repeat("", len(column))
    if how == YEAR_OF_LATEST:
        years = pc.cast(pc.year(column), pa.string())
        return pc.utf8_lpad(years, 4, "0").fill_null("").to_pylist()
    return _texts(column)
