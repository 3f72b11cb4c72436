"""The DuckDB backend: one in-process connection per run, all rules in it."""

from __future__ import annotations

import os
import re

import duckdb
import pyarrow as pa

from zhenxing.screening.engine.compile import DUCKDB
from zhenxing.screening.engine.expr import EngineError

MEMORY = re.compile(r"[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)")


class DuckDBSession:
    dialect = DUCKDB
    prefix = ""
    parallel_queries = 1

    def __init__(self, memory_limit: str | None = None, threads: int | None = None) -> None:
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        self.connection.execute("SET enable_progress_bar = false")
        self.connection.execute("SET preserve_insertion_order = false")  # results are sorted in Python
        if memory_limit:
            if not MEMORY.fullmatch(str(memory_limit)):
                raise EngineError(f"内存上限“{memory_limit}”无效，应写作如 4GB、512MB")
            self.connection.execute(f"SET memory_limit = '{memory_limit}'")

    def execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def fetch(self, sql: str) -> list[tuple]:
        return self.connection.execute(sql).fetchall()

    def fetch_arrow(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def register_households(self, name: str, household_ids: list[int]) -> None:
        ids = pa.table({"household_id": pa.array(household_ids, pa.int64())})
        self.connection.register(f"{name}_arrow", ids)
        self.connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT household_id FROM {name}_arrow"
        )
        self.connection.unregister(f"{name}_arrow")

    def close(self) -> None:
        self.connection.close()
