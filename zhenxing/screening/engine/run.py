"""Run the screening rules over a snapshot: `run(...)` → `RunResult`, and `explain(hit)`.

One run: compile the enabled rules for the backend's dialect, set up the snapshot views and matched
rows once, then evaluate each rule with one query in the same connection (DuckDB) or session (Spark).
Only hits come back to Python; nothing is materialised per person.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

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
    seconds_per_rule: dict[str, float]  # query and conversion; with Spark two queries overlap
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
        for done, (query, (rows, fetched)) in enumerate(_fetch_all(session, plan.queries), start=2):
            t = time.perf_counter()
            make = _hit_maker(query, params)
            found = [make(row) for row in rows]
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
    hits.sort(key=lambda h: h.identity)
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


def _fetch_all(
    session: Session, queries: Sequence[Query]
) -> Iterator[tuple[Query, tuple[list[tuple], float]]]:
    """Each query with its rows and seconds, in order. A session that runs queries side by side (Spark:
    the driver plans one query while the executors run another) gets them `parallel_queries` at a time."""

    def fetch(query: Query) -> tuple[list[tuple], float]:
        started = time.perf_counter()
        return session.fetch(query.sql), time.perf_counter() - started

    workers = getattr(session, "parallel_queries", 1)
    if workers <= 1:
        for query in queries:
            yield query, fetch(query)
        return
    with ThreadPoolExecutor(workers) as pool:
        for query, future in zip(queries, [pool.submit(fetch, q) for q in queries], strict=True):
            yield query, future.result()


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


def _hit_maker(query: Query, params: Mapping[str, Any]) -> Callable[[tuple], Hit]:
    """A function from a result row to a `Hit`, with everything constant per rule worked out once.

    Runs once per hit (hundreds of thousands at full scale), hence the plain loops and the direct
    construction (`_new_hit`).
    """
    rule: Rule = query.rule
    index = {c: len(FIXED) + i for i, c in enumerate(query.value_columns)}
    columns = schema.columns_of(rule.source)
    # per reported value: (label, None, constant text) | (label, column index, formatter) | (label, -1, function)
    plan: list[tuple[str, int | None, Any]] = []
    for label, value in rule.values:
        if value is WINDOW:
            plan.append((label, None, query.window_text))
        elif isinstance(value, Param):
            plan.append((label, None, text(params[value.key])))
        elif isinstance(value, Col):
            plan.append((label, index[value.name], _formatter(columns.get(value.name))))
        else:
            plan.append((label, -1, compile_value(value, index, params)))
    source, how = rule.source, rule.period.how
    fixed = dict(rule=rule.key, rule_version=rule.version, kind=rule.kind, risk_type=rule.raises)

    def make(row: tuple) -> Hit:
        values = {}
        for label, i, what in plan:
            if i is None:
                values[label] = what
            elif i < 0:
                values[label] = text(what(row))
            else:
                v = row[i]
                values[label] = "" if v is None else what(v)
        return _new_hit(
            household_id=row[0],
            person_id=row[2],
            person_ids=tuple(row[3]),
            period=_period_text(how, row[1]),
            values=values,
            feed_row_ids=tuple([(source, r) for r in row[4]]),
            **fixed,
        )

    return make


def _formatter(kind: Any) -> Callable[[Any], str]:
    """`text` for a column of a known type, without its type tests."""
    if kind is not None and pa.types.is_string(kind):
        return str
    if kind is not None and pa.types.is_date(kind):
        return date.isoformat
    return text


def _new_hit(**fields: Any) -> Hit:
    """`Hit(**fields)` without the frozen dataclass's per-field `object.__setattr__` (a third of the cost)."""
    hit = object.__new__(Hit)
    hit.__dict__.update(fields)
    return hit


def _period_text(how: str, value: Any) -> str:
    if how == NONE or value is None:
        return ""
    if how == YEAR_OF_LATEST:
        return f"{value.year:04d}"
    return text(value)
