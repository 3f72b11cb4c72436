"""Hand-written snapshots for tests: a few households, persons and feed rows, written as Parquet.

    snap = SnapshotBuilder()
    snap.household(1, kind="lifted")
    snap.person(11, 1)
    snap.row("medical", 11, settlement_date="2024-05-01", self_pay="5000.00")
    directory = snap.write(tmp_path)

Money may be given as text ("5000.00") and dates as "YYYY-MM-DD"; `row` takes a person id (its
`id_hash` is `id_hash(person_id)`) or an ID hash string (an unmatched row); row ids count from 1 per feed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from zhenxing.screening.engine import schema
from zhenxing.screening.engine.snapshot import to_arrow, write_table


def id_hash(person_id: int) -> str:
    """The test ID hash of a person: 64 hex digits, as random as a real keyed hash (the engine joins on
    the first 128 bits, `schema.hash_key`)."""
    return hashlib.sha256(f"zhenxing-test:{person_id}".encode()).hexdigest()


def _typed(kind: pa.DataType, value: Any) -> Any:
    if isinstance(value, str) and pa.types.is_decimal(kind):
        return Decimal(value)
    if isinstance(value, str) and pa.types.is_date(kind):
        return date.fromisoformat(value)
    return value


class SnapshotBuilder:
    def __init__(self) -> None:
        self.households: list[dict] = []
        self.persons: list[dict] = []
        self.incomes: list[dict] = []
        self.feeds: dict[str, list[dict]] = defaultdict(list)

    def household(
        self,
        household_id: int,
        kind: str = "ordinary",
        status: str = "none",
        open_identification: bool = False,
    ) -> int:
        self.households.append(
            dict(
                household_id=household_id,
                area_code="420704100201",
                kind=kind,
                monitoring_status=status,
                open_identification=open_identification,
            )
        )
        return household_id

    def person(
        self,
        person_id: int,
        household_id: int,
        *,
        labour_capacity: str = "普通劳动力",
        is_active: bool = True,
    ) -> int:
        self.persons.append(
            dict(
                person_id=person_id,
                household_id=household_id,
                id_hash=id_hash(person_id),
                labour_capacity=labour_capacity,
                is_active=is_active,
            )
        )
        return person_id

    def income(self, household_id: int, year: int, amount: str) -> None:
        self.incomes.append(dict(household_id=household_id, year=year, net_income_per_capita=Decimal(amount)))

    def row(self, kind: str, who: int | str, **fields: Any) -> int:
        """A feed row for person `who` (or an ID hash); returns its row_id."""
        target = schema.FEEDS[kind]
        rows = self.feeds[kind]
        row_id = len(rows) + 1
        values = {name: _typed(target.field(name).type, value) for name, value in fields.items()}
        rows.append(dict(row_id=row_id, id_hash=who if isinstance(who, str) else id_hash(who), **values))
        return row_id

    def write(self, directory: Path, *, onto: Path | None = None) -> Path:
        """All tables into `directory`; a feed file only for kinds that have rows.

        `onto`: another snapshot (a generated one) whose rows come first; this builder's feed row ids
        then continue after that feed's largest.
        """
        directory = Path(directory)
        tables = {"households": self.households, "persons": self.persons, "incomes": self.incomes}
        tables |= {f"feed_{kind}": rows for kind, rows in self.feeds.items()}
        if onto is not None:
            for path in sorted(Path(onto).glob("*.parquet")):
                tables.setdefault(path.stem, [])
        for table, rows in tables.items():
            base = _rows(Path(onto) / schema.file_name(table)) if onto is not None else []
            shift = max((r["row_id"] for r in base), default=0) if table.startswith("feed_") else 0
            write_table(
                directory, table, base + [r | {"row_id": r["row_id"] + shift} if shift else r for r in rows]
            )
        return directory


def _rows(path: Path) -> list[dict]:
    """The rows of a snapshot file, without the join key (`write_table` derives it again)."""
    if not path.is_file():
        return []
    table = pq.read_table(path)
    return table.drop_columns([c for c in schema.KEY_COLUMNS if c in table.column_names]).to_pylist()


def layer(directory: Path, out: Path, household_ids: set[int]) -> Path:
    """`directory`'s snapshot as layers (schema.py, "Layers") in `out`: the registry tables' base files hold
    out-of-date rows for `household_ids` (another kind and status, members moved to household 0, incomes of
    0.00), the deltas their true rows; feed files are copied. Read as layers it is the same snapshot; read
    without the deltas it is not."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(directory).glob("*.parquet")):
        table = path.stem
        if table not in schema.LAYERED:
            write_table(out, table, _rows(path))
            continue
        rows = _rows(path)
        current = [r for r in rows if r["household_id"] in household_ids]
        stale = {
            "households": {"kind": "other", "monitoring_status": "eliminated", "open_identification": False},
            "persons": {"household_id": 0},
            "incomes": {"net_income_per_capita": Decimal("0.00")},
        }[table]
        write_table(out, table, [r | stale if r["household_id"] in household_ids else r for r in rows])
        pq.write_table(to_arrow(table, current), out / schema.delta_name(table))
        replaced = pa.table({"household_id": sorted(household_ids)}, schema=schema.REPLACED)
        pq.write_table(replaced, out / schema.replaced_name(table))
    return out
