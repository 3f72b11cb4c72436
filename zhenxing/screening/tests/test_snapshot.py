"""The Django side's snapshot writer: the engine's schema, and the join key derived from each ID hash."""

import pyarrow.parquet as pq
import pytest

from zhenxing.lib import personal
from zhenxing.registry.models import Person
from zhenxing.registry.tests.change_helpers import id_number
from zhenxing.screening.engine import schema
from zhenxing.screening.snapshot import write_snapshot
from zhenxing.screening.tests.run_helpers import lifted, medical, push

pytestmark = pytest.mark.django_db


def test_it_writes_the_engine_schema_with_the_join_key_of_every_hash(cast, village, tmp_path):
    lifted(cast, village)
    unknown = medical(9, "100.00")  # nobody in the registry has this number
    push(cast, "medical", [medical(1, "3000.00"), unknown])

    info = write_snapshot(tmp_path)

    assert (info.households, info.persons, info.feeds) == (1, 3, {"medical": 2})
    for table in ("households", "persons", "incomes", "feed_medical"):
        assert pq.read_schema(tmp_path / schema.file_name(table)) == schema.TABLES[table], table
    persons = pq.read_table(tmp_path / "persons.parquet").to_pylist()
    assert sorted(p["id_hash"] for p in persons) == sorted(Person.objects.values_list("id_hash", flat=True))
    feed = pq.read_table(tmp_path / "feed_medical.parquet").to_pylist()
    assert [r["id_hash"] for r in feed] == [personal.lookup_hash(id_number(n)) for n in (1, 9)]
    for row in persons + feed:
        # the first and second 16 hex characters of the keyed hash, as signed 64-bit integers
        hi, lo = int(row["id_hash"][:16], 16), int(row["id_hash"][16:32], 16)
        assert row["key_hi"] == (hi - 2**64 if hi >= 2**63 else hi)
        assert row["key_lo"] == (lo - 2**64 if lo >= 2**63 else lo)
        assert (row["key_hi"], row["key_lo"]) == schema.hash_key(row["id_hash"])


def test_postgresql_copy_writes_exactly_the_files_of_the_row_by_row_path(
    cast, village, tmp_path, monkeypatch
):
    """On PostgreSQL the registry tables are read with COPY; they must be the very files the portable
    row-by-row path writes (schema, values, order), hashes with no key and empty labour capacities included."""
    from django.db import connection

    from zhenxing.screening import snapshot

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's (on SQLite the row-by-row path is the only one)")
    from zhenxing.registry.actions import record_income
    from zhenxing.screening.tests.run_helpers import ordinary

    household = lifted(cast, village)
    ordinary(cast, village)
    for year, wage in ((2024, "20000.00"), (2025, "18000.55")):
        amounts = {"wage_income": wage, "business_income": "0", "property_income": "0"}
        record_income(None, household, year, {**amounts, "transfer_income": "0", "production_costs": "0"})
    Person.objects.filter(pk=Person.objects.order_by("pk").values("pk")[:1]).update(labour_capacity="")
    Person.objects.filter(pk=Person.objects.order_by("-pk").values("pk")[:1]).update(id_hash="not-a-hash")

    write_snapshot(tmp_path / "copy")
    monkeypatch.setattr(snapshot, "_copies", lambda: False)
    write_snapshot(tmp_path / "rows")

    for table in ("households", "persons", "incomes"):
        name = schema.file_name(table)
        copied, streamed = pq.read_table(tmp_path / "copy" / name), pq.read_table(tmp_path / "rows" / name)
        assert copied.num_rows > 0, table
        assert copied.equals(streamed, check_metadata=True), table
    persons = pq.read_table(tmp_path / "copy" / "persons.parquet").to_pylist()
    assert [p["labour_capacity"] for p in persons].count(None) == 1
    assert [(p["key_hi"], p["key_lo"]) for p in persons if p["id_hash"] == "not-a-hash"] == [(None, None)]


def test_a_small_runs_feed_rows_are_found_by_their_id_hash_without_planner_statistics(db):
    """Regression: without statistics (no ANALYZE after a feed commit) SQLite read a feed push's rows through
    the (kind, id) index — every stored row of the kind for each run. The (id_hash, kind) index serves both
    conditions of the restricted snapshot's feed query (`snapshot._feed_rows`, unordered: an ORDER BY pk made
    SQLite prefer the (kind, id) index again)."""
    from django.db import connection

    from zhenxing.registry.models import Membership
    from zhenxing.screening.snapshot import _feed_rows

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans from the statistics autovacuum keeps")

    members = Membership.objects.filter(end_date__isnull=True, household_id__in=[1, 2])  # as write_snapshot
    hashes = members.values("person__id_hash")
    rows = _feed_rows("medical", hashes)
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING INDEX feed_row_hash_kind_idx (id_hash=? AND kind=?)" in plan, plan


def test_postgresql_copy_writes_exactly_the_feed_files_of_the_row_by_row_path(
    cast, village, tmp_path, monkeypatch, settings
):
    """On PostgreSQL whole feed tables are read with COPY (values taken out of the JSON by the database, cast
    by DuckDB); the files must be the very ones the row-by-row path writes — one upload (vehicle), several
    uploads with a re-sent record (medical), empty values — and a value not in its canonical form sends its
    upload back to the row-by-row path, which reads and counts it as before."""
    from django.db import connection

    from zhenxing.screening import snapshot
    from zhenxing.screening.models import FeedRow
    from zhenxing.screening.tests.run_helpers import vehicle

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's (on SQLite the row-by-row path is the only one)")
    settings.SCREENING_CACHE_DIR = ""  # each snapshot reads every row (the rows are edited below)
    lifted(cast, village)
    first = [medical(1, "3000.00"), medical(2, "1,234.5", day="2024-12-31"), medical(9, "0")]
    push(cast, "medical", first)
    push(cast, "medical", [first[0], medical(3, "20000.00")])  # 张三's record sent again
    push(cast, "vehicle", [vehicle(1), vehicle(2, kind="中型客车")])
    FeedRow.objects.filter(kind="vehicle").update(data={"plate_number": "", "vehicle_type": "小型轿车"})

    read_by_copy = {}
    real_copy_feed = snapshot._copy_feed

    def copy_feed(path, target, kind, columns, upload_id):
        rows = real_copy_feed(path, target, kind, columns, upload_id)
        read_by_copy.setdefault(kind, []).append(rows)
        return rows

    monkeypatch.setattr(snapshot, "_copy_feed", copy_feed)

    def both(name):
        read_by_copy.clear()
        monkeypatch.setattr(snapshot, "_copies", lambda: True)
        copied = write_snapshot(tmp_path / f"{name}-copy")
        monkeypatch.setattr(snapshot, "_copies", lambda: False)
        streamed = write_snapshot(tmp_path / f"{name}-rows")
        assert (copied.feeds, copied.unreadable) == (streamed.feeds, streamed.unreadable)
        for kind in ("medical", "vehicle"):
            file = schema.file_name(f"feed_{kind}")
            a, b = (
                pq.read_table(tmp_path / f"{name}-copy" / file),
                pq.read_table(tmp_path / f"{name}-rows" / file),
            )
            assert a.equals(b, check_metadata=True), kind
        return copied

    copied = both("canonical")
    assert copied.feeds == {"medical": 4, "vehicle": 2} and copied.unreadable == {}
    assert read_by_copy == {
        "medical": [3, 2],
        "vehicle": [2],
    }  # each upload by COPY, before merging the re-sent
    rows = pq.read_table(tmp_path / "canonical-copy" / schema.file_name("feed_medical")).to_pylist()
    assert [str(r["self_pay"]) for r in rows] == ["1234.50", "0.00", "3000.00", "20000.00"]

    bad = FeedRow.objects.filter(kind="medical").order_by("pk").first()
    bad.data = {**bad.data, "self_pay": "3000.001", "settlement_date": "2025-2-10 "}
    bad.save()
    copied = both("malformed")
    assert copied.unreadable == {"medical": 2}
    # the first medical upload went back to the row-by-row path, the second did not
    assert read_by_copy == {"medical": [None, 2], "vehicle": [2]}


def _feed_files(directory):
    return {
        kind: pq.read_table(directory / schema.file_name(f"feed_{kind}"))
        for kind in schema.FEEDS
        if (directory / schema.file_name(f"feed_{kind}")).exists()
    }


def test_a_whole_snapshot_reads_each_upload_once_and_later_only_the_new_ones(
    cast, village, tmp_path, monkeypatch, settings
):
    """Each upload's rows are read from the database once, into a cached part; the next snapshot puts the
    feeds together from the parts (the same files as reading every row) and reads only a new upload."""
    from zhenxing.screening import snapshot
    from zhenxing.screening.tests.run_helpers import vehicle

    settings.SCREENING_CACHE_DIR = str(tmp_path / "cache")
    lifted(cast, village)
    first = push(cast, "medical", [medical(1, "3000.00"), medical(2, "100.00"), medical(9, "0")])
    cars = push(cast, "vehicle", [vehicle(1)])
    read = []
    real_read = snapshot._read_upload

    def read_upload(path, kind, upload_id):
        read.append(upload_id)
        return real_read(path, kind, upload_id)

    monkeypatch.setattr(snapshot, "_read_upload", read_upload)

    info = write_snapshot(tmp_path / "one")
    assert sorted(read) == sorted([first.pk, cars.pk])
    assert info.feeds == {"medical": 3, "vehicle": 1}
    # an upload alone is its feed's table: its part is linked into the snapshot, not copied
    part = next((tmp_path / "cache").glob(f"*/feed-vehicle-{cars.public_id}-v*.parquet"))
    assert (tmp_path / "one" / schema.file_name("feed_vehicle")).samefile(part)

    read.clear()
    again = write_snapshot(tmp_path / "two")
    assert read == [] and (again.feeds, again.unreadable) == (info.feeds, info.unreadable)

    second = push(
        cast, "medical", [medical(1, "3000.00"), medical(3, "20000.00")]
    )  # 张三's record sent again
    read.clear()
    cached = write_snapshot(tmp_path / "three")
    assert read == [second.pk]
    assert cached.feeds == {"medical": 4, "vehicle": 1}

    settings.SCREENING_CACHE_DIR = ""  # no cache: every row read again
    fresh = write_snapshot(tmp_path / "fresh")
    assert sorted(read[1:]) == sorted([first.pk, cars.pk, second.pk])
    assert (fresh.feeds, fresh.unreadable) == (cached.feeds, cached.unreadable)
    expected, got = _feed_files(tmp_path / "fresh"), _feed_files(tmp_path / "three")
    assert list(got) == list(expected) == ["medical", "vehicle"]
    for kind, table in expected.items():
        assert got[kind].equals(table, check_metadata=True), kind
    assert [str(r["self_pay"]) for r in got["medical"].to_pylist()] == [
        "100.00",
        "0.00",
        "3000.00",
        "20000.00",
    ]


def test_a_cached_part_keeps_the_count_of_values_it_could_not_read(cast, village, tmp_path, settings):
    from zhenxing.screening.models import FeedRow

    settings.SCREENING_CACHE_DIR = str(tmp_path / "cache")
    lifted(cast, village)
    push(cast, "medical", [medical(1, "3000.00")])
    FeedRow.objects.update(
        data={**FeedRow.objects.get().data, "self_pay": "3000.001"}
    )  # validation stops this

    first, second = write_snapshot(tmp_path / "one"), write_snapshot(tmp_path / "two")
    assert first.unreadable == second.unreadable == {"medical": 1}
    assert first.feeds == second.feeds == {"medical": 1}


def test_parts_of_uploads_the_database_no_longer_has_are_removed_after_a_day(
    cast, village, tmp_path, settings
):
    import os
    import time

    from zhenxing.screening import snapshot

    settings.SCREENING_CACHE_DIR = str(tmp_path / "cache")
    lifted(cast, village)
    upload = push(cast, "medical", [medical(1, "3000.00")])
    write_snapshot(tmp_path / "one")
    folder = snapshot.cache_dir()
    kept = sorted(p.name for p in folder.iterdir() if p.name.startswith("feed-"))
    assert kept == [
        f"feed-medical-{upload.public_id}-v{snapshot.PART_VERSION}.{e}" for e in ("json", "parquet")
    ]
    gone = "feed-medical-00000000-0000-4000-8000-000000000000-v1"
    recent = "feed-vehicle-00000000-0000-4000-8000-000000000001-v1"
    for name in (f"{gone}.json", f"{gone}.parquet", f"{recent}.json"):
        (folder / name).write_text("{}")
    two_days_ago = time.time() - 2 * 86_400
    for name in (f"{gone}.json", f"{gone}.parquet", *kept):
        os.utime(folder / name, (two_days_ago, two_days_ago))

    assert snapshot.prune_cache() == 2
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("feed-")) == sorted(
        [*kept, f"{recent}.json"]
    )


def test_a_run_as_of_a_day_writes_only_the_income_years_the_rules_read(cast, village, tmp_path, settings):
    """The rules read each household's latest income year not after the as-of year and the year before it
    (`engine/rules.py`); the snapshot for a day writes those — all years up to it when the household has a
    later one. (On PostgreSQL the registry files kept between runs hold every year: `test_registry_files`.)"""
    import datetime

    settings.SCREENING_CACHE_DIR = ""  # no kept registry files

    from zhenxing.registry.actions import record_income
    from zhenxing.screening.tests.run_helpers import ordinary

    household, other = lifted(cast, village), ordinary(cast, village)
    zero = {"business_income": "0", "property_income": "0", "transfer_income": "0", "production_costs": "0"}
    for year in (2024, 2025, 2026):
        record_income(None, household, year, {"wage_income": f"{year}0.00", **zero})
    record_income(None, other, 2024, {"wage_income": "9000.00", **zero})

    def years(as_of):
        info = write_snapshot(tmp_path / str(as_of), as_of=as_of)
        rows = pq.read_table(tmp_path / str(as_of) / "incomes.parquet").to_pylist()
        assert info.incomes == len(rows)
        return [(r["household_id"] == household.pk, r["year"]) for r in rows]

    assert years(datetime.date(2027, 3, 31)) == [(True, 2025), (True, 2026), (False, 2024)]
    assert years(datetime.date(2026, 1, 1)) == [(True, 2025), (True, 2026), (False, 2024)]
    assert years(datetime.date(2025, 12, 31)) == [(True, 2024), (True, 2025), (False, 2024)]
    assert years(datetime.date(2024, 6, 30)) == [(True, 2024), (False, 2024)]
    assert years(datetime.date(2023, 6, 30)) == []
    everything = write_snapshot(tmp_path / "all")
    assert everything.incomes == 4


@pytest.mark.django_db(transaction=True)
def test_postgresql_reads_every_table_of_a_whole_snapshot_as_of_one_moment(
    cast, village, tmp_path, monkeypatch
):
    """Outside a transaction, on PostgreSQL, a whole snapshot is read in one REPEATABLE READ transaction: a
    change another connection commits after the households' copy is not in the persons' copy."""
    from django.db import connection

    from zhenxing.screening import snapshot
    from zhenxing.screening.tests.run_helpers import committed_elsewhere_first, ordinary

    if connection.vendor != "postgresql":
        pytest.skip("COPY and its one view are PostgreSQL's")
    for n in range(3):
        ordinary(cast, village, number=f"H00{n}", first=10 + 2 * n)
    last = Person.objects.order_by("-pk").first()
    write_persons = committed_elsewhere_first(
        snapshot._write_persons,
        lambda: Person.objects.filter(pk=last.pk).update(labour_capacity="丧失劳动力"),
    )

    monkeypatch.setattr(snapshot, "_write_persons", write_persons)
    info = write_snapshot(tmp_path)

    assert (info.households, info.persons) == (3, 6)
    persons = pq.read_table(tmp_path / "persons.parquet").to_pylist()
    assert [p["labour_capacity"] for p in persons if p["person_id"] == last.pk] == [last.labour_capacity]
    assert last.labour_capacity != "丧失劳动力"
    assert Person.objects.get(pk=last.pk).labour_capacity == "丧失劳动力"
