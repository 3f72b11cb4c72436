"""The Spark backend: the same compiled rules run with `spark.sql` over the same Parquet files.

PySpark is optional and imported only here, when a run asks for `backend="spark"`. Without a session
of its own the backend starts a local one (`local[<cpu count>]`); a cluster deployment passes its
session in (`run(..., spark=session)`). The session is left running: starting a JVM costs seconds,
and the next run reuses it. Every view and cached table of a run carries the run's own prefix and is
dropped at its end, so runs can share a session.
"""

from __future__ import annotations

import os
from typing import Any

from zhenxing.screening.engine.compile import SPARK
from zhenxing.screening.engine.expr import EngineError

MISSING = "未安装 PySpark，无法使用 Spark 计算引擎：请安装 pyspark 和 Java 17，或改用 DuckDB 引擎（backend='duckdb'）"


def local_session(cores: int | None = None, shuffle_partitions: int | None = None) -> Any:
    """A local SparkSession suited to the engine (no UI, few shuffle partitions, UTC)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise EngineError(MISSING) from error
    cores = cores or os.cpu_count() or 1
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("zhenxing-screening")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 2 * cores))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )


class SparkSqlSession:
    dialect = SPARK

    def __init__(self, spark: Any = None, prefix: str = "") -> None:
        self.spark = spark if spark is not None else local_session()
        self.prefix = prefix

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def fetch(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def register_households(self, name: str, household_ids: list[int]) -> None:
        frame = self.spark.createDataFrame([(i,) for i in household_ids], "household_id BIGINT")
        frame.createOrReplaceTempView(name)

    def close(self) -> None:
        self.spark.catalog.dropTempView(f"{self.prefix}selected")
