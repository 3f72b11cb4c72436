"""Writing snapshot tables from Python rows (the Django side's snapshot writer and the tests use it).

`write_table(out_dir, "feed_medical", rows)` writes `feed_medical.parquet` with exactly the schema of
`schema.TABLES`; a row may leave out nullable columns. The join key (`key_hi`, `key_lo`) is derived
here from `id_hash` (`schema.hash_key`) and may not be given. Large snapshots should pass batches of rows
(`write_batches` streams an iterable of row lists into one file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from zhenxing.screening.engine import schema
from zhenxing.screening.engine.expr import EngineError


def to_arrow(table: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table of `rows` (dicts by column name) with the snapshot schema of `table`."""
    target = schema.TABLES[table]
    derived = set(schema.KEY_COLUMNS) & set(target.names)
    unknown = sorted({k for row in rows for k in row} - (set(target.names) - derived))
    if unknown:
        raise EngineError(f"{table} 没有这些列：{'、'.join(unknown)}")
    columns = {
        f.name: pa.array([row.get(f.name) for row in rows], f.type) for f in target if f.name not in derived
    }
    if derived:
        columns["key_hi"], columns["key_lo"] = schema.hash_keys(columns["id_hash"].to_pylist())
    return pa.Table.from_pydict({f.name: columns[f.name] for f in target}, schema=target)


def write_table(out_dir: Path, table: str, rows: Sequence[Mapping[str, Any]]) -> Path:
    return write_batches(out_dir, table, [rows])


def write_batches(out_dir: Path, table: str, batches: Iterable[Sequence[Mapping[str, Any]]]) -> Path:
    """One Parquet file from batches of rows, written as they come (memory: one batch)."""
    path = Path(out_dir) / schema.file_name(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema.TABLES[table]) as writer:
        for rows in batches:
            writer.write_table(to_arrow(table, rows))
    return path
