"""Write the registry and the stored feed rows to a screening snapshot: the engine's Parquet files.

    info = write_snapshot(directory)            # every active household, every stored feed row
    info = write_snapshot(directory, household_ids=[12, 40])   # a small run: only these households

The files and their columns are `screening/engine/schema.py`; this module is the only Django code that
knows them. Rows are streamed: each query is read with `QuerySet.iterator(chunk_size=BATCH_ROWS)`
(a server-side cursor on PostgreSQL, `fetchmany` on SQLite) and written batch by batch with a
`pyarrow.parquet.ParquetWriter`, so memory holds one batch, never a whole table. On PostgreSQL the three
registry tables and the feed tables of a whole snapshot (its bulk) skip Python altogether: `COPY … TO
STDOUT` into a CSV file that DuckDB reads back in Arrow batches (`_write_by_copy`, `_copy_feed`; tested to
give the very same files). A run for a few households (a feed push) stays row by row: COPY's fixed cost is
larger there.

What goes in:
- `households`: active households; `monitoring_status` as the registry keeps it; `open_identification`
  = the household has an open case in identification (`CaseStatus.IDENTIFYING`).
- `persons`: the current members of active households (open memberships); `is_active` = the person's
  status is 在册. Former members are left out: no rule reads them.
- every table with `id_hash` (persons, feeds) also gets the engine's join key `key_hi`/`key_lo`,
  computed here from the hash (`schema.hash_keys`: its first 128 bits as two signed 64-bit integers).
- `incomes`: every recorded income year of active households — or, for a run as of a day, only those the
  rules read then (each household's latest year not after the as-of year and the year before it), except
  from the kept registry files (below), which serve any as-of date and hold every year.
- Registry files kept between runs (PostgreSQL, whole snapshots): the three registry tables are kept in
  `settings.SCREENING_CACHE_DIR` and only the households changed since (marked by database triggers) are
  read again; the snapshot then holds each table as a base file plus a delta (`_kept_registry`, below).
- `feed_<kind>`: the stored rows of every upload (matched or not: a person registered later still
  matches by `id_hash`). `FeedRow.data` holds the engine's column names with text values; they are cast
  to the schema's types, an empty text is a null, and a value that cannot be read (a malformed date or
  amount, which validation should have stopped) is a null and counted in `SnapshotInfo.unreadable`.
- Uploads: a whole snapshot reads each upload's rows once into a Parquet part of its own, kept in
  `settings.SCREENING_CACHE_DIR` (an upload's rows are never changed), and puts the feed's table together
  from the parts: later runs read only the uploads that came since (`_upload_part`).
- Re-uploads: a record sent again in a later upload (the same person and the same value in every
  column) is the same record, so it is written once, as the row of the latest upload; identical rows
  within one upload stay separate (the k-th copy in one upload matches the k-th copy in another). This
  keeps a re-uploaded 医保 file from doubling a member's 个人自付 total.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT

from zhenxing.cases.models import Case, CaseStatus
from zhenxing.registry.models import Household, IncomeYear, Membership, PersonStatus
from zhenxing.screening.engine import schema
from zhenxing.screening.models import FeedRow, FeedUpload, RegistryFiles

# Rows per batch: one batch of feed rows (JSON data decoded into Python dicts) costs about 50 MB;
# larger batches save little time, smaller ones add per-batch overhead in the Parquet writer.
BATCH_ROWS = 50_000
# A run limited to more households than this snapshots everything and lets the engine restrict it:
# the literal id lists of a restricted snapshot grow with the households (SQLite caps bound variables).
RESTRICT_LIMIT = 5_000
FIXED_FEED_COLUMNS = ("row_id", "id_hash", *schema.KEY_COLUMNS)


@dataclass
class SnapshotInfo:
    directory: Path
    households: int = 0
    persons: int = 0
    incomes: int = 0
    feeds: dict[str, int] = field(default_factory=dict)  # kind → rows written (after re-upload merging)
    unreadable: dict[str, int] = field(default_factory=dict)  # kind → values that could not be read
    restricted: bool = False
    income_year: int | None = None  # incomes limited to those the rules read in this year
    seconds: dict[str, float] = field(default_factory=dict)  # table ("households", …, "feeds") → seconds
    registry: str = ""  # how the registry tables were read (kept files, or in full, and why): a log line

    def lines(self) -> list[str]:
        """Chinese lines for the run's log."""
        scope = "（仅指定的农户）" if self.restricted else ""
        which = f"（各户 {self.income_year} 年及以前最近一年和上一年）" if self.income_year else ""
        lines = [
            f"快照{scope}：{self.households} 户，{self.persons} 名在户人员，{self.incomes} 条年度收入{which}"
        ]
        if self.registry:
            lines.append(self.registry)
        for kind, rows in self.feeds.items():
            lines.append(f"快照：{schema.FEED_LABELS[kind]}数据 {rows} 条")
        for kind, count in self.unreadable.items():
            lines.append(f"注意：{schema.FEED_LABELS[kind]}数据有 {count} 个取值无法识别，已按空值处理")
        if self.seconds:
            parts = "，".join(f"{_TABLE_LABELS[t]} {s:.1f} 秒" for t, s in self.seconds.items())
            lines.append(f"快照用时：{parts}")
        return lines


_TABLE_LABELS = {
    "households": "农户",
    "persons": "人员",
    "incomes": "年度收入",
    "registry": "农户数据文件",
    "feeds": "部门数据",
}


def write_snapshot(
    directory: Path, *, as_of: date | None = None, household_ids: Sequence[int] | None = None
) -> SnapshotInfo:
    """Write every snapshot table into `directory` (created if needed); returns what was written.

    With `as_of`, `incomes` holds only the years the rules can read as of that day (`_readable_incomes`).
    With `household_ids` (at most `RESTRICT_LIMIT`), only those households, their members and incomes,
    and the feed rows of their members are written; the engine must then be run for the same ids.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ids = sorted(set(household_ids)) if household_ids is not None else None
    restricted = ids is not None and len(ids) <= RESTRICT_LIMIT
    info = SnapshotInfo(directory, restricted=restricted, income_year=as_of.year if as_of else None)
    households = Household.objects.filter(is_active=True)
    members = Membership.objects.filter(end_date__isnull=True, household__is_active=True)
    incomes = IncomeYear.objects.filter(household__is_active=True)
    every_income = incomes
    if as_of is not None:
        incomes = _readable_incomes(incomes, as_of.year)
    if restricted:
        households = households.filter(pk__in=ids)
        members = members.filter(household_id__in=ids)
        incomes = incomes.filter(household_id__in=ids)
    copy = _copies() and not restricted  # COPY pays on whole tables; a few households are quicker row by row
    started = time.perf_counter()

    def timed(table: str) -> None:
        nonlocal started
        info.seconds[table] = time.perf_counter() - started
        started = time.perf_counter()

    with _one_view(copy):
        if not (copy and _kept_registry(directory, info, (households, members, every_income), timed)):
            info.households = _write_households(directory / schema.file_name("households"), households, copy)
            timed("households")
            info.persons = _write_persons(directory / schema.file_name("persons"), members, copy)
            timed("persons")
            info.incomes = _write_incomes(directory / schema.file_name("incomes"), incomes, copy)
            timed("incomes")
        hashes = members.values("person__id_hash") if restricted else None
        for kind in schema.FEEDS:
            rows, unreadable = _write_feed(directory, kind, hashes)
            if rows:
                info.feeds[kind] = rows
            if unreadable:
                info.unreadable[kind] = unreadable
        timed("feeds")
    if hashes is None:
        prune_cache()
    return info


def _readable_incomes(incomes, year: int):
    """The incomes the rules can read in `year` (`engine/rules.py`, INCOME): each household's latest year not
    after it, and the year just before that. The registry keeps each household's latest year
    (`Household.income_year`); where that is not after `year`, those are that year and the one before it —
    a registry with many years of incomes writes two per household instead of all. (A household with a
    later year keeps every year up to `year`.)"""
    return incomes.filter(year__lte=year).filter(
        Q(household__income_year__gt=year) | Q(year__gte=F("household__income_year") - 1)
    )


# --- registry ---------------------------------------------------------------------------------------------


def _write_households(path: Path, households, copy: bool) -> int:
    identifying = Case.objects.filter(household=OuterRef("pk"), is_open=True, status=CaseStatus.IDENTIFYING)
    rows = (
        households.annotate(open_identification=Exists(identifying))
        .order_by("pk")
        .values_list("pk", "area__code", "kind", "monitoring_status", "open_identification")
    )

    def build(batch: list[tuple]) -> dict[str, pa.Array]:
        ids, codes, kinds, statuses, open_ids = zip(*batch, strict=True)
        return {
            "household_id": pa.array(ids, pa.int64()),
            "area_code": pa.array(codes, pa.string()),
            "kind": pa.array(kinds, pa.string()),
            "monitoring_status": pa.array(statuses, pa.string()),
            "open_identification": pa.array([bool(v) for v in open_ids], pa.bool_()),
        }

    if copy:
        return _write_by_copy(
            path,
            schema.HOUSEHOLDS,
            rows,
            ["BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN"],
            {
                "household_id": "c0",
                "area_code": "c1",
                "kind": "c2",
                "monitoring_status": "c3",
                "open_identification": "c4",
            },
        )
    return _write(path, schema.HOUSEHOLDS, rows, build, always=True)


def _write_persons(path: Path, members, copy: bool) -> int:
    rows = members.order_by("person_id").values_list(
        "person_id", "household_id", "person__id_hash", "person__labour_capacity", "person__status"
    )

    def build(batch: list[tuple]) -> dict[str, pa.Array]:
        ids, households, hashes, capacities, statuses = zip(*batch, strict=True)
        key_hi, key_lo = schema.hash_keys(hashes)
        return {
            "person_id": pa.array(ids, pa.int64()),
            "household_id": pa.array(households, pa.int64()),
            "id_hash": pa.array(hashes, pa.string()),
            "key_hi": key_hi,
            "key_lo": key_lo,
            "labour_capacity": pa.array([c or None for c in capacities], pa.string()),
            "is_active": pc.equal(pa.array(statuses, pa.string()), PersonStatus.ACTIVE.value),
        }

    if copy:
        return _write_by_copy(
            path,
            schema.PERSONS,
            rows,
            ["BIGINT", "BIGINT", "VARCHAR", "VARCHAR", "VARCHAR"],
            {
                "person_id": "c0",
                "household_id": "c1",
                "id_hash": "c2",
                "key_hi": _SQL_KEY.format(start=1),
                "key_lo": _SQL_KEY.format(start=17),
                "labour_capacity": "NULLIF(c3, '')",
                "is_active": f"c4 = '{PersonStatus.ACTIVE.value}'",
            },
        )
    return _write(path, schema.PERSONS, rows, build, always=True)


def _write_incomes(path: Path, incomes, copy: bool) -> int:
    rows = incomes.order_by("household_id", "year").values_list(
        "household_id", "year", "net_income_per_capita"
    )

    def build(batch: list[tuple]) -> dict[str, pa.Array]:
        households, years, amounts = zip(*batch, strict=True)
        return {
            "household_id": pa.array(households, pa.int64()),
            "year": pa.array(years, pa.int32()),
            "net_income_per_capita": pa.array(amounts, schema.MONEY),
        }

    if copy:
        return _write_by_copy(
            path,
            schema.INCOMES,
            rows,
            ["BIGINT", "INTEGER", "DECIMAL(14,2)"],
            {"household_id": "c0", "year": "c1", "net_income_per_capita": "c2"},
        )
    return _write(path, schema.INCOMES, rows, build, always=True)


# --- the registry, kept between runs (PostgreSQL) --------------------------------------------------------
#
# A whole snapshot on PostgreSQL keeps its registry tables (households, persons, every income year) as
# files in the cache folder, and the next one reads from the database only the households changed since:
# `screening_registrychange`, filled by triggers on every table those tables are read from (migration
# screening 0005), names them. The engine reads a kept table as its base file plus a delta of the changed
# households' current rows (schema.py, "Layers"); when the delta grows past `MERGE_SHARE` of the base it is
# merged into a new base, and when more than `FULL_SHARE` of the households changed (a year's incomes
# imported) the registry is read in full. The folder of the files true for this database is named in
# `RegistryFiles`, written in the same transaction that removes the changes the files took in: a run that
# fails leaves the previous files and the changes as they were.

# Raise when what the kept registry files hold changes: older files are never read again.
REGISTRY_VERSION = 1
MERGE_SHARE = 0.05
FULL_SHARE = 0.25
# The advisory lock one run holds while it brings the kept files up to date (another run meanwhile reads
# the registry in full, without the files).
_REGISTRY_LOCK = 0x7A78_7265_6769_7374
_ABOUT = "about.json"


def _kept_registry(directory: Path, info: SnapshotInfo, querysets: tuple, timed) -> bool:
    """Write the registry tables into `directory` from the kept files, brought up to date (above); False when
    this run cannot use them (another run is updating them, or no cache folder is set): the caller then
    reads the registry in full as before. Called inside the snapshot's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_REGISTRY_LOCK])
        if not cursor.fetchone()[0]:
            info.registry = "另一次筛查正在更新保存的农户数据文件，本次完整读取农户数据"
            return False
        # The changes this run takes in: exactly those visible now (a change committed later stays for the
        # next run).
        cursor.execute("DROP TABLE IF EXISTS zx_changes")
        cursor.execute(
            "CREATE TEMPORARY TABLE zx_changes AS SELECT id, household_id FROM screening_registrychange"
        )
        cursor.execute("ANALYZE zx_changes")
        cursor.execute(
            "SELECT count(*) FILTER (WHERE household_id IS NULL), count(*), count(DISTINCT household_id)"
            " FROM zx_changes"
        )
        everything, logged, changed = cursor.fetchone()
    cache = cache_dir()
    state = RegistryFiles.objects.order_by("pk").last()
    old = _registry_folder(cache, state.token) if cache is not None and state is not None else None
    about = _about(old) if old is not None else None
    if cache is None:  # files not kept: forget the changes, so that they do not pile up
        RegistryFiles.objects.all().delete()
        _forget_changes()
        return False
    if about is not None and not logged:  # nothing changed: the files as they are
        folder = old
        info.registry = "快照：农户数据自上次筛查以来没有变动，沿用保存的文件"
        timed("registry")
    else:
        folder = _registry_folder(cache, uuid.uuid4())
        folder.mkdir(parents=True)
        try:
            if about is None or everything or changed > FULL_SHARE * about["base_households"]:
                about = _keep_in_full(folder, querysets, timed)
                info.registry = "快照：完整读取农户数据，并保存供以后的筛查使用"
            else:
                about = _keep_changes(old, folder, about, _changed_households(), querysets)
                timed("registry")
                info.registry = f"快照：沿用保存的农户数据文件，从数据库重新读取有变动的 {changed} 户"
            (folder / _ABOUT).write_text(json.dumps(about))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        RegistryFiles.objects.all().delete()
        RegistryFiles.objects.create(token=uuid.UUID(folder.name[-36:]))
        if old is not None:
            transaction.on_commit(lambda: shutil.rmtree(old, ignore_errors=True))
        _forget_changes()
    for table in schema.LAYERED:
        for name in (schema.file_name(table), schema.delta_name(table), schema.replaced_name(table)):
            if (folder / name).exists():
                _place(folder / name, directory / name)
    info.households, info.persons, info.incomes = about["households"], about["persons"], about["incomes"]
    info.income_year = None  # the kept files hold every income year
    return True


def _forget_changes() -> None:
    """Remove the changes this run took in (`zx_changes`): they are in its files now."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM screening_registrychange c USING zx_changes t WHERE c.id = t.id")
        cursor.execute("DROP TABLE zx_changes")


def _registry_folder(cache: Path, token) -> Path:
    return cache / f"registry-v{REGISTRY_VERSION}-{token}"


def _about(folder: Path) -> dict | None:
    """What a kept folder holds (rows of each table as the engine reads it, households in the base file, …),
    or None when it is missing or incomplete."""
    try:
        about = json.loads((folder / _ABOUT).read_text())
    except (OSError, ValueError):
        return None
    if all((folder / schema.file_name(t)).is_file() for t in schema.LAYERED):
        return about
    return None


def _changed_households() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT household_id FROM zx_changes ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def _keep_in_full(new: Path, querysets: tuple, timed) -> dict:
    households, members, incomes = querysets
    about = {"households": _write_households(new / schema.file_name("households"), households, True)}
    timed("households")
    about["persons"] = _write_persons(new / schema.file_name("persons"), members, True)
    timed("persons")
    about["incomes"] = _write_incomes(new / schema.file_name("incomes"), incomes, True)
    timed("incomes")
    return about | {"base_households": about["households"], "replaced": 0}


def _keep_changes(old: Path, new: Path, about: dict, changed: list[int], querysets: tuple) -> dict:
    """The new folder from the old one: the changed households' rows read now replace theirs (in the delta,
    or merged into a new base once the delta is large); returns its description."""
    changes = RawSQL("SELECT household_id FROM zx_changes", ())
    households, members, incomes = querysets
    _write_households(new / "households.fresh.parquet", households.filter(pk__in=changes), True)
    _write_persons(new / "persons.fresh.parquet", members.filter(household_id__in=changes), True)
    _write_incomes(new / "incomes.fresh.parquet", incomes.filter(household_id__in=changes), True)
    replaced = sorted(set(_replaced(old)) | set(changed))
    merge = len(replaced) > MERGE_SHARE * about["base_households"]
    described = {"base_households": about["base_households"], "replaced": len(replaced)}
    con = duckdb.connect(":memory:")
    try:
        con.register("changed", pa.table({"household_id": pa.array(changed, pa.int64())}))
        con.register("replaced", pa.table({"household_id": pa.array(replaced, pa.int64())}))
        for table in schema.LAYERED:
            target = schema.TABLES[table]
            base, delta = _sql_path(old / schema.file_name(table)), old / schema.delta_name(table)
            current = f"SELECT * FROM read_parquet({_sql_path(new / f'{table}.fresh.parquet')})"
            if delta.is_file():  # the households kept from the old delta: those not changed again
                current = (
                    f"SELECT * FROM read_parquet({_sql_path(delta)}) WHERE household_id NOT IN"
                    f" (SELECT household_id FROM changed) UNION ALL {current}"
                )
            kept = f"SELECT * FROM read_parquet({base}) WHERE household_id NOT IN (SELECT household_id FROM replaced)"
            if merge:
                described[table] = _duck_write(
                    con, f"{kept} UNION ALL {current}", new / schema.file_name(table), target
                )
                if table == "households":
                    described["base_households"] = described[table]
                continue
            os.link(old / schema.file_name(table), new / schema.file_name(table))
            rows = _duck_write(con, current, new / schema.delta_name(table), target)
            pq.write_table(
                pa.table({"household_id": pa.array(replaced, pa.int64())}, schema=schema.REPLACED),
                new / schema.replaced_name(table),
            )
            described[table] = con.execute(f"SELECT count(*) FROM ({kept})").fetchall()[0][0] + rows
    finally:
        con.close()
        for table in schema.LAYERED:
            (new / f"{table}.fresh.parquet").unlink(missing_ok=True)
    if merge:
        described["replaced"] = 0
    return described


def _replaced(folder: Path) -> list[int]:
    path = folder / schema.replaced_name("households")
    return pq.read_table(path).column("household_id").to_pylist() if path.is_file() else []


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _duck_write(con, sql: str, path: Path, target: pa.Schema) -> int:
    """Write a DuckDB query's rows to `path` in the table's schema (written even when empty); returns them."""
    written = 0
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    with pq.ParquetWriter(path, target) as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(target))
            written += batch.num_rows
        if not written:
            writer.write_table(target.empty_table())
    return written


# --- feeds ------------------------------------------------------------------------------------------------


def _write_feed(directory: Path, kind: str, hashes) -> tuple[int, int]:
    """(rows written, unreadable values) of one feed kind; no file when it has no rows.

    A whole snapshot is put together from each upload's rows, read once (`_upload_part`, cached); a small
    run's (`hashes`: its members) are read row by row from the database, one part per upload. Either way
    records sent again in a later upload are written once (`_merge_reuploads`)."""
    target = schema.FEEDS[kind]
    path = directory / schema.file_name(f"feed_{kind}")
    if hashes is None:
        return _put_together(path, target, [_upload_part(directory, kind, *u) for u in _uploads(kind)])
    parts = _member_parts(directory, kind, hashes)
    try:
        return _put_together(path, target, parts)
    finally:
        for part in parts:
            part.path.unlink(missing_ok=True)


def _put_together(path: Path, target: pa.Schema, parts: list[Part]) -> tuple[int, int]:
    """The feed's table at `path` from its uploads' parts; (rows written, unreadable values)."""
    filled = [p for p in parts if p.rows]
    unreadable = sum(p.unreadable for p in parts)
    if not filled:
        return 0, unreadable
    if len(filled) == 1:  # one upload's rows are already the table: no record can have been sent again
        _place(filled[0].path, path)
        return filled[0].rows, unreadable
    return _merge_reuploads([(p.path, p.upload_id) for p in filled], path, target), unreadable


def _member_parts(directory: Path, kind: str, hashes) -> list[Part]:
    """A small run's rows of `kind` (its members' `hashes`), one part per upload in the snapshot's folder."""
    by_upload: dict[int, list[tuple]] = {}
    for row in _feed_rows(kind, hashes):
        by_upload.setdefault(row[1], []).append(row)
    parts = []
    for upload_id, rows in sorted(by_upload.items()):
        unreadable = [0]
        part = directory / f"feed-{kind}-{upload_id}.part.parquet"
        written = _write(part, schema.FEEDS[kind], sorted(rows), _feed_builder(kind, unreadable))
        parts.append(Part(part, upload_id, written, unreadable[0]))
    return parts


def _uploads(kind: str) -> list[tuple[int, Any]]:
    return list(FeedUpload.objects.filter(kind=kind).order_by("pk").values_list("pk", "public_id"))


def _feed_builder(kind: str, unreadable: list[int]):
    """The row-by-row path's batch builder for `kind`: (pk, upload, id_hash, data) rows → arrays; counts the
    values that cannot be read into `unreadable[0]`."""
    columns = [f for f in schema.FEEDS[kind] if f.name not in FIXED_FEED_COLUMNS]

    def build(batch: list[tuple]) -> dict[str, pa.Array]:
        ids, _, id_hashes, data = zip(*batch, strict=True)
        key_hi, key_lo = schema.hash_keys(id_hashes)
        arrays = {"row_id": pa.array(ids, pa.int64()), "id_hash": pa.array(id_hashes, pa.string())}
        arrays |= {"key_hi": key_hi, "key_lo": key_lo}
        for f in columns:
            array, bad = _cast([_text(d.get(f.name)) for d in data], f.type)
            arrays[f.name] = array
            unreadable[0] += bad
        return arrays

    return build


# --- one upload's rows, read once -------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One upload's rows in the feed's schema, in pk order (`path`), and what reading them found."""

    path: Path
    upload_id: int
    rows: int
    unreadable: int


# Raise when the way an upload's rows are read into the schema changes: older cached parts are then read again.
PART_VERSION = 1


def cache_dir() -> Path | None:
    """Where uploads' parts are kept for this database (`settings.SCREENING_CACHE_DIR`, one folder per
    database, so that two databases never share a part); None: not kept, every snapshot reads every row."""
    root = settings.SCREENING_CACHE_DIR
    if not root:
        return None
    db = connection.settings_dict
    name = f"{connection.vendor}:{db.get('HOST') or ''}:{db.get('PORT') or ''}:{db['NAME']}"
    return Path(root) / hashlib.sha256(name.encode()).hexdigest()[:16]


def _upload_part(directory: Path, kind: str, upload_id: int, public_id) -> Part:
    """The upload's part: from the cache when it was read before, else read now (and cached).

    An upload's rows never change once stored (they are written with their upload in one transaction and
    never edited or deleted), so a part read once stays true; it is named by the upload's public id
    (unique across databases) and `PART_VERSION`. A part is written under a temporary name and renamed, its
    description (rows, unreadable values) last: a part without one is not used."""
    cache = cache_dir()
    folder = cache if cache is not None else directory
    stem = f"feed-{kind}-{public_id}-v{PART_VERSION}"
    path, about = folder / f"{stem}.parquet", folder / f"{stem}.json"
    if cache is not None and about.exists():
        described = json.loads(about.read_text())
        if not described["rows"] or path.exists():
            return Part(path, upload_id, described["rows"], described["unreadable"])
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{stem}.{uuid.uuid4().hex}.partial"
    try:
        rows, unreadable = _read_upload(partial, kind, upload_id)
        if rows:
            os.replace(partial, path)
        if cache is not None:
            described = json.dumps({"rows": rows, "unreadable": unreadable})
            temporary = about.with_suffix(f".{uuid.uuid4().hex}.partial")
            temporary.write_text(described)
            os.replace(temporary, about)
    finally:
        partial.unlink(missing_ok=True)
    return Part(path, upload_id, rows, unreadable)


def keep_part(upload: FeedUpload) -> None:
    """Read a committed upload's rows into its cached part now (after the run for its households), so that
    the next whole snapshot does not; nothing when parts are not kept."""
    cache = cache_dir()
    if cache is not None:
        _upload_part(cache, upload.kind, upload.pk, upload.public_id)


def _read_upload(path: Path, kind: str, upload_id: int) -> tuple[int, int]:
    """Write one upload's rows to `path` in the feed's schema (no file when none); (rows, unreadable values).
    On PostgreSQL through COPY (`_copy_feed`), unless some value is not in its canonical form."""
    target = schema.FEEDS[kind]
    columns = [f for f in target if f.name not in FIXED_FEED_COLUMNS]
    if _copies():
        written = _copy_feed(path, target, kind, columns, upload_id)
        if written is not None:
            return written, 0
    unreadable = [0]
    build = _feed_builder(kind, unreadable)
    rows = FeedRow.objects.filter(kind=kind, upload_id=upload_id).order_by("pk")
    rows = rows.values_list("pk", "upload_id", "id_hash", "data")
    written = _write(path, target, rows, build)
    return written, unreadable[0]


def _place(part: Path, path: Path) -> None:
    """Put an upload's part in the snapshot as the feed's table: a hard link (no copy) where it can be."""
    try:
        os.link(part, path)
    except OSError:  # another file system (or one without links)
        shutil.copyfile(part, path)


def prune_cache(keep_days: int = 1) -> int:
    """Remove this database's cached parts whose upload no longer exists (a database restored or rebuilt),
    and kept registry folders other than the one `RegistryFiles` names (a run that did not commit, an older
    version), once older than `keep_days`; returns the files and folders removed."""
    cache = cache_dir()
    if cache is None or not cache.exists():
        return 0
    known = {str(u) for u in FeedUpload.objects.values_list("public_id", flat=True)}
    current = {_registry_folder(cache, t).name for t in RegistryFiles.objects.values_list("token", flat=True)}
    cutoff = time.time() - keep_days * 86_400
    removed = 0
    for file in cache.iterdir():
        match = _PART_NAME.match(file.name)
        if match and match["public_id"] not in known and file.stat().st_mtime < cutoff:
            file.unlink(missing_ok=True)
            removed += 1
        elif (
            _REGISTRY_NAME.fullmatch(file.name) and file.name not in current and file.stat().st_mtime < cutoff
        ):
            shutil.rmtree(file, ignore_errors=True)
            removed += 1
    return removed


_PART_NAME = re.compile(r"feed-[a-z_]+-(?P<public_id>[0-9a-f-]{36})-v[0-9]+\.")
_REGISTRY_NAME = re.compile(r"registry-v[0-9]+-[0-9a-f-]{36}")


# The values `_copy_feed` reads in DuckDB: exactly those the row-by-row path reads the same way.
_CANONICAL = {"date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "money": r"-?[0-9]{1,12}(\.[0-9]{1,2})?"}
_EDGE_SPACE = r"^[\s\p{Z}\x0b\x1c-\x1f\x85]|[\s\p{Z}\x0b\x1c-\x1f\x85]$"


def _copy_feed(path: Path, target: pa.Schema, kind: str, columns, upload_id: int) -> int | None:
    """One upload's rows through COPY (`_write_by_copy`): PostgreSQL takes each value out of the JSON
    (`data ->> key`), DuckDB casts it. Returns the rows written, or None (and no file) when some value is not
    in its canonical form (a date 'YYYY-MM-DD', an amount with at most two decimals and no exponent) — which
    validation does not let through — so that the row-by-row path reads and counts those as it always has.
    At 10 million feed rows the row-by-row path spends minutes decoding JSON in Python."""
    values = {f"v{i}": KT(f"data__{f.name}") for i, f in enumerate(columns)}
    rows = FeedRow.objects.filter(kind=kind, upload_id=upload_id).annotate(**values).order_by("pk")
    rows = rows.values_list("pk", "id_hash", *values)
    types = ["BIGINT", "VARCHAR", *(["VARCHAR"] * len(values))]
    first = 2
    expressions = {"row_id": "c0", "id_hash": "c1"}
    expressions |= {"key_hi": _SQL_KEY.format(start=1).replace("c2", "c1")}
    expressions |= {"key_lo": _SQL_KEY.format(start=17).replace("c2", "c1")}
    # A value with white space at either end (Python's `str.strip` knows more of it than DuckDB's `trim`) is
    # left to the row-by-row path too.
    unreadable = [f"regexp_matches(c{first + i}, '{_EDGE_SPACE}')" for i in range(len(columns))]
    for i, f in enumerate(columns):
        text = f"NULLIF(c{first + i}, '')"
        if pa.types.is_date(f.type):
            ok = f"regexp_full_match({text}, '{_CANONICAL['date']}')"
            expressions[f.name] = f"CASE WHEN {ok} THEN TRY_CAST({text} AS DATE) END"
        elif pa.types.is_decimal(f.type):
            amount = f"replace({text}, ',', '')"
            ok = f"regexp_full_match({amount}, '{_CANONICAL['money']}')"
            expressions[f.name] = f"CASE WHEN {ok} THEN CAST({amount} AS DECIMAL(14, 2)) END"
        else:
            expressions[f.name] = text
            continue
        unreadable.append(f"({text} IS NOT NULL AND {expressions[f.name]} IS NULL)")
    expressions = {name: expressions[name] for name in target.names}
    written, bad = _write_by_copy(path, target, rows, types, expressions, count=" OR ".join(unreadable))
    if bad:
        path.unlink(missing_ok=True)
        return None
    return written if written else _no_rows(path)


def _no_rows(path: Path) -> int:
    path.unlink(missing_ok=True)  # no rows, no file (as the row-by-row path)
    return 0


def _feed_rows(kind: str, hashes):
    """(pk, upload, id_hash, data) of the stored rows of `kind`, in pk order — or, with `hashes` (a small
    run's members), only theirs and unordered: with an ORDER BY pk, SQLite without statistics walked the
    (kind, id) index — every stored row of the kind, for each run — instead of looking the hashes up in
    (id_hash, kind)."""
    rows = FeedRow.objects.filter(kind=kind)
    if hashes is None:
        return rows.order_by("pk").values_list("pk", "upload_id", "id_hash", "data")
    return rows.filter(id_hash__in=hashes).order_by().values_list("pk", "upload_id", "id_hash", "data")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _cast(values: list[str | None], type_: pa.DataType) -> tuple[pa.Array, int]:
    """The column in its schema type, and how many values could not be read (they become nulls)."""
    text = pa.array(values, pa.string())
    if pa.types.is_string(type_):
        return text, 0
    try:
        return text.cast(type_), 0
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    parsed = [_parse(v, type_) for v in values]
    bad = sum(1 for v, p in zip(values, parsed, strict=True) if v is not None and p is None)
    return pa.array(parsed, type_), bad


def _parse(value: str | None, type_: pa.DataType) -> Any:
    if value is None:
        return None
    try:
        if pa.types.is_date(type_):
            return pa.scalar(value).cast(type_).as_py()
        amount = Decimal(value.replace(",", ""))
        quantized = amount.quantize(Decimal(1).scaleb(-type_.scale))
        return (
            quantized if quantized == amount and len(quantized.as_tuple().digits) <= type_.precision else None
        )
    except (pa.ArrowInvalid, InvalidOperation, ValueError):
        return None


def _merge_reuploads(parts: list[tuple[Path, int]], path: Path, target: pa.Schema) -> int:
    """Write the uploads' parts ((file, upload id), each in the feed's schema) to `path` as one table, records
    sent again in a later upload written once (module docstring); in row_id order."""
    same = ", ".join(f.name for f in target if f.name != "row_id")
    columns = ", ".join(f.name for f in target)
    source = " UNION ALL ".join(
        f"SELECT *, {int(upload)} AS upload_id FROM read_parquet({_sql_path(part)})" for part, upload in parts
    )
    sql = (
        f"WITH uploaded AS ({source}),"
        " numbered AS (SELECT *, row_number() OVER"
        f" (PARTITION BY upload_id, {same} ORDER BY row_id) AS occurrence FROM uploaded),"
        " ranked AS (SELECT *, row_number() OVER"
        f" (PARTITION BY {same}, occurrence ORDER BY upload_id DESC, row_id DESC) AS pick FROM numbered)"
        f" SELECT {columns} FROM ranked WHERE pick = 1 ORDER BY row_id"
    )
    connection = duckdb.connect(":memory:")
    try:
        return _duck_write(connection, sql, path, target)
    finally:
        connection.close()


# --- writing ----------------------------------------------------------------------------------------------


# `schema.hash_key` in DuckDB SQL over the hash column c2: 16 hex characters from `start` as a signed 64-bit
# integer (two's complement); NULL unless the hash is 64 lowercase hex characters.
_SQL_KEY = (
    "CASE WHEN regexp_full_match(c2, '[0-9a-f]{{64}}') THEN CAST(CAST(CAST('0x' || substr(c2, {start}, 16)"
    " AS UBIGINT) AS HUGEINT) - CASE WHEN substr(c2, {start}, 1) >= '8' THEN CAST(18446744073709551616 AS"
    " HUGEINT) ELSE CAST(0 AS HUGEINT) END AS BIGINT) END"
)


def _copies() -> bool:
    """Whole registry tables are read with PostgreSQL's COPY (see `_write_by_copy`) on PostgreSQL."""
    return connection.vendor == "postgresql"


def _write_by_copy(
    path: Path, target: pa.Schema, queryset, types: list[str], columns: dict[str, str], *, count: str = ""
):
    """Write `queryset`'s rows with PostgreSQL's `COPY … TO STDOUT (FORMAT csv)` into a CSV file beside the
    snapshot, read back by DuckDB, which computes `columns` (target field → SQL over c0, c1, … typed as
    `types`), in Arrow batches cast to `target`; returns the rows written (the file is always written).

    Against streaming the rows through the ORM into Python lists this is one pass in C from the database
    to the file: 31 s → a few seconds for a million households (bench/README.md, "Screening: … a whole run").
    The same values as `_write` with the table's `build` (`test_snapshot` runs on both databases).
    With `count` (an SQL condition over the same columns), returns (rows written, rows meeting it)."""
    sql, params = queryset.query.sql_with_params()
    csv_path = path.with_suffix(".csv")
    try:
        with connection.cursor() as cursor, open(csv_path, "wb") as out:
            statement = f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT (FORMAT csv)"
            with cursor.cursor.copy(statement) as copy:
                for block in copy:
                    out.write(block)
        names = {f"c{i}": kind for i, kind in enumerate(types)}
        select = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
        if count:
            select += f", COALESCE({count}, false) AS counted__"
        counted = 0
        con = duckdb.connect()
        try:
            source = str(csv_path).replace("'", "''")
            reader = con.sql(
                f"SELECT {select} FROM read_csv('{source}', header = false, columns = {names!r},"
                " allow_quoted_nulls = false, auto_detect = false)"
            ).to_arrow_reader(BATCH_ROWS)
            written = 0
            with pq.ParquetWriter(path, target) as writer:
                for batch in reader:
                    table = pa.Table.from_batches([batch])
                    if count:
                        counted += pc.sum(table.column("counted__")).as_py() or 0
                        table = table.drop_columns(["counted__"])
                    writer.write_table(table.cast(target))
                    written += batch.num_rows
                if not written:
                    writer.write_table(target.empty_table())
        finally:
            con.close()
    finally:
        csv_path.unlink(missing_ok=True)
    return (written, counted) if count else written


# --- one view of the database ----------------------------------------------------------------------------


@contextlib.contextmanager
def _one_view(copy: bool):
    """While writing a whole snapshot on PostgreSQL outside any transaction: one REPEATABLE READ transaction,
    so that every table is read as of the same moment: a change committed while the snapshot is written is in
    none of its files. Inside a transaction (a test's) that transaction's own isolation holds.

    (Copying each table in two halves at once over an exported snapshot was measured and gave nothing on two
    cores — PostgreSQL's own parallel scan and DuckDB's threads already keep both busy: bench/README.md.)"""
    if not copy or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _batches(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH_ROWS)):
        yield batch


def _write(path: Path, target: pa.Schema, queryset, build, *, always: bool = False) -> int:
    """Stream `queryset` (or a list of its rows) into a Parquet file batch by batch; returns the rows written.

    `always`: write the file (empty) even without rows; otherwise no rows means no file.
    """
    written = 0
    writer: pq.ParquetWriter | None = None
    try:
        rows = queryset.iterator(chunk_size=BATCH_ROWS) if isinstance(queryset, QuerySet) else queryset
        for batch in _batches(rows):
            if writer is None:
                writer = pq.ParquetWriter(path, target)
            writer.write_table(pa.Table.from_pydict(build(batch), schema=target))
            written += len(batch)
        if writer is None and always:
            writer = pq.ParquetWriter(path, target)
            writer.write_table(target.empty_table())
    finally:
        if writer is not None:
            writer.close()
    return written
