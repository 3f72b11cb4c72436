"""The registry files kept between runs (PostgreSQL): a whole snapshot reads from the database only the
households changed since the last one (`screening_registrychange`, filled by triggers), and the tables it
gives the engine — base file, delta and replaced households, read as schema.py's "Layers" — are exactly
those read in full."""

import datetime
import os
import time

import duckdb
import psycopg
import pytest
from django.db import connection, transaction

from zhenxing.areas.models import Area
from zhenxing.cases.tests.helpers import open_case
from zhenxing.lib import personal
from zhenxing.registry import actions as registry
from zhenxing.registry.models import HouseholdKind, Membership, Person
from zhenxing.registry.tests.change_helpers import id_number, person
from zhenxing.screening import snapshot
from zhenxing.screening.engine import schema
from zhenxing.screening.models import RegistryChange, RegistryFiles
from zhenxing.screening.snapshot import write_snapshot
from zhenxing.screening.tests.run_helpers import committed_elsewhere_first, lifted, ordinary

pytestmark = pytest.mark.django_db

D = datetime.date
ZERO = {"business_income": "0", "property_income": "0", "transfer_income": "0", "production_costs": "0"}
FULL = "快照：完整读取农户数据，并保存供以后的筛查使用"
SAME = "快照：农户数据自上次筛查以来没有变动，沿用保存的文件"


def reread(n: int) -> str:
    return f"快照：沿用保存的农户数据文件，从数据库重新读取有变动的 {n} 户"


@pytest.fixture(autouse=True)
def kept(settings, tmp_path, monkeypatch):
    """PostgreSQL only; a cache folder of the test's own; a delta is never merged and never too large (the
    tests' registries are tiny: one changed household is a large share of them) unless a test says so."""
    if connection.vendor != "postgresql":
        pytest.skip("the registry files are kept on PostgreSQL (SQLite reads the whole registry every run)")
    settings.SCREENING_CACHE_DIR = str(tmp_path / "cache")
    monkeypatch.setattr(snapshot, "MERGE_SHARE", 1.0)
    monkeypatch.setattr(snapshot, "FULL_SHARE", 1.0)


def tables(directory) -> dict[str, list[tuple]]:
    """Each registry table of a snapshot as the engine reads it (layers applied), rows sorted."""
    con = duckdb.connect()
    read = {}
    for table in schema.LAYERED:
        base = f"read_parquet('{directory / schema.file_name(table)}')"
        sql = f"SELECT * FROM {base}"
        if (directory / schema.delta_name(table)).exists():
            replaced = f"read_parquet('{directory / schema.replaced_name(table)}')"
            sql += f" WHERE household_id NOT IN (SELECT household_id FROM {replaced})"
            sql += f" UNION ALL SELECT * FROM read_parquet('{directory / schema.delta_name(table)}')"
        read[table] = sorted(con.sql(sql).fetchall(), key=repr)
    con.close()
    return read


def in_full(tmp_path, monkeypatch, name="reference") -> dict[str, list[tuple]]:
    """The registry tables read row by row from the database, without the kept files."""
    with monkeypatch.context() as m:
        m.setattr(snapshot, "_copies", lambda: False)
        write_snapshot(tmp_path / name)
    return tables(tmp_path / name)


def snap(tmp_path, name):
    info = write_snapshot(tmp_path / name)
    return info, tables(tmp_path / name)


def member(n: int) -> Person:
    """The default members (change_helpers.register): 张三 (1), 李四 (2, female), 张小明 (3, born 2005);
    ordinary()'s 王五 (4)."""
    number = id_number(n, n == 2, D(2005, 5, 5) if n == 3 else None)
    return Person.objects.get(id_hash=personal.lookup_hash(number))


def test_a_second_run_reads_no_household_when_nothing_changed(cast, village, tmp_path, monkeypatch):
    lifted(cast, village)
    ordinary(cast, village)

    first, first_tables = snap(tmp_path, "one")
    second, second_tables = snap(tmp_path, "two")

    assert (first.registry, second.registry) == (FULL, SAME)
    assert first_tables == second_tables == in_full(tmp_path, monkeypatch)
    assert (second.households, second.persons, second.incomes) == (2, 5, 0)
    assert RegistryChange.objects.count() == 0
    (token,) = RegistryFiles.objects.values_list("token", flat=True)
    folder = snapshot.cache_dir() / f"registry-v{snapshot.REGISTRY_VERSION}-{token}"
    for table in schema.LAYERED:  # the kept files themselves, linked: not copied, not read again
        name = schema.file_name(table)
        assert os.stat(tmp_path / "two" / name).st_ino == os.stat(folder / name).st_ino
        assert not (tmp_path / "two" / schema.delta_name(table)).exists()


def _kind(cast, village, households):
    registry.edit_household(
        cast["district_officer"],
        households[0],
        kind=HouseholdKind.ORDINARY,
        lifted_year=None,
        lifted_attribute="",
        effective_date=D(2024, 6, 1),
    )


def _labour(cast, village, households):
    values = {"labour_capacity": "丧失劳动力"}
    registry.edit_person(cast["district_officer"], households[0], member(2), values, D(2024, 6, 1))


def _leaves(cast, village, households):
    reason = Membership.EndReason.MOVED_AWAY
    registry.remove_member(cast["district_officer"], households[0], member(2), reason, D(2024, 6, 1))


def _dies(cast, village, households):
    reason = Membership.EndReason.DEATH
    registry.remove_member(cast["district_officer"], households[0], member(3), reason, D(2024, 6, 1))


def _born(cast, village, households):
    baby = person(40, "张小红", "之孙女", female=True, born=D(2024, 5, 1))
    reason = Membership.StartReason.BIRTH
    registry.add_member(cast["district_officer"], households[1], baby, reason, D(2024, 6, 1))


def _moves_between_households(cast, village, households):
    reason = Membership.EndReason.MOVED_AWAY
    registry.remove_member(cast["district_officer"], households[0], member(2), reason, D(2024, 6, 1))
    moved = person(2, "李四", "其他", female=True)
    reason = Membership.StartReason.MOVED_IN
    registry.add_member(cast["district_officer"], households[1], moved, reason, D(2024, 6, 2))


def _income(cast, village, households):
    registry.record_income(None, households[1], 2025, {"wage_income": "30000.00", **ZERO})


def _case(cast, village, households):
    open_case(cast, households[0])


def _village(cast, village, households):
    from zhenxing.registry.tests.change_helpers import second_village

    registry.move_household(
        cast["district_officer"], households[0], second_village(village.parent), D(2024, 6, 1)
    )


def _registered(cast, village, households):
    ordinary(cast, village, number="H003", first=10)


CHANGES = {
    "户类型": (_kind, 1),
    "劳动能力": (_labour, 1),
    "成员迁出": (_leaves, 1),
    "成员死亡": (_dies, 1),
    "新生儿": (_born, 1),
    "户间迁移": (_moves_between_households, 2),
    "年度收入": (_income, 1),
    "识别中案件": (_case, 1),
    "迁往他村": (_village, 1),
    "新登记农户": (_registered, 1),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_a_rule_can_see_is_read_again_for_its_households_only(
    change, cast, village, tmp_path, monkeypatch
):
    households = [lifted(cast, village), ordinary(cast, village)]
    registry.record_income(None, households[0], 2024, {"wage_income": "9000.00", **ZERO})
    snap(tmp_path, "before")
    make, households_changed = CHANGES[change]

    make(cast, village, households)
    after, after_tables = snap(tmp_path, "after")

    assert after.registry == reread(households_changed)
    assert after_tables == in_full(tmp_path, monkeypatch)
    assert after_tables != tables(tmp_path / "before")
    assert RegistryChange.objects.count() == 0


def test_a_change_no_rule_can_see_is_not_a_change(cast, village, tmp_path):
    household = lifted(cast, village)
    snap(tmp_path, "one")

    registry.edit_person(cast["district_officer"], household, member(2), {"health": "残疾"}, D(2024, 6, 1))
    second, _ = snap(tmp_path, "two")

    assert second.registry == SAME


def test_a_delta_carries_over_to_the_next_run_and_a_household_changed_again_is_read_again(
    cast, village, tmp_path, monkeypatch
):
    households = [lifted(cast, village), ordinary(cast, village), ordinary(cast, village, "H003", first=10)]
    snap(tmp_path, "one")

    _labour(cast, village, households)
    snap(tmp_path, "two")
    _income(cast, village, households)
    third, third_tables = snap(tmp_path, "three")
    assert third_tables == in_full(tmp_path, monkeypatch, "three-in-full")
    registry.edit_person(
        cast["district_officer"], households[0], member(2), {"labour_capacity": "普通劳动力"}, D(2024, 7, 1)
    )
    fourth, fourth_tables = snap(tmp_path, "four")

    assert (third.registry, fourth.registry) == (reread(1), reread(1))
    assert fourth_tables == in_full(tmp_path, monkeypatch, "four-in-full")
    replaced = duckdb.sql(f"SELECT household_id FROM '{tmp_path / 'four' / 'persons.replaced.parquet'}'")
    assert sorted(r[0] for r in replaced.fetchall()) == [households[0].pk, households[1].pk]
    assert (fourth.households, fourth.persons, fourth.incomes) == (3, 7, 1)


def test_a_delta_past_its_share_is_merged_into_a_new_base(cast, village, tmp_path, monkeypatch):
    households = [lifted(cast, village), ordinary(cast, village)]
    snap(tmp_path, "one")
    monkeypatch.setattr(snapshot, "MERGE_SHARE", 0.4)  # one household of two is past it

    _born(cast, village, households)
    merged, merged_tables = snap(tmp_path, "two")
    again, _ = snap(tmp_path, "three")

    assert (merged.registry, again.registry) == (reread(1), SAME)
    assert merged_tables == in_full(tmp_path, monkeypatch)
    assert sorted(p.name for p in (tmp_path / "two").iterdir() if "registry" not in p.name) == [
        "households.parquet",
        "incomes.parquet",
        "persons.parquet",
    ]


def test_many_changed_households_are_read_in_full(cast, village, tmp_path, monkeypatch):
    households = [lifted(cast, village), ordinary(cast, village)]
    snap(tmp_path, "one")
    monkeypatch.setattr(snapshot, "FULL_SHARE", 0.4)

    _income(cast, village, households)
    second, second_tables = snap(tmp_path, "two")

    assert second.registry == FULL
    assert second_tables == in_full(tmp_path, monkeypatch)


def test_an_area_code_changed_reads_everything_again(cast, village, tmp_path, monkeypatch):
    lifted(cast, village)
    snap(tmp_path, "one")

    Area.objects.filter(pk=village.pk).update(code="420704100299")
    second, second_tables = snap(tmp_path, "two")

    assert second.registry == FULL
    assert second_tables == in_full(tmp_path, monkeypatch)
    assert {row[1] for row in second_tables["households"]} == {"420704100299"}


def test_the_triggers_name_the_households_of_each_statement(cast, village):
    households = [lifted(cast, village), ordinary(cast, village)]
    RegistryChange.objects.all().delete()

    Person.objects.filter(pk=member(2).pk).update(name="李四四", phone_masked="138****0000")
    Person.objects.filter(pk__in=[member(1).pk, member(4).pk]).update(labour_capacity="无劳动力")
    logged = sorted(RegistryChange.objects.values_list("household_id", flat=True))

    assert logged == sorted(h.pk for h in households)


def test_without_a_cache_folder_the_changes_are_forgotten(cast, village, tmp_path, settings, monkeypatch):
    lifted(cast, village)
    snap(tmp_path, "one")
    settings.SCREENING_CACHE_DIR = ""

    ordinary(cast, village)
    info, read = snap(tmp_path, "two")

    assert info.registry == ""
    assert read == in_full(tmp_path, monkeypatch)
    assert (RegistryChange.objects.count(), RegistryFiles.objects.count()) == (0, 0)


def test_while_another_run_updates_the_files_this_one_reads_the_registry_in_full(
    cast, village, tmp_path, monkeypatch
):
    lifted(cast, village)
    changes = RegistryChange.objects.count()
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [snapshot._REGISTRY_LOCK])
        info, read = snap(tmp_path, "one")
    finally:
        other.close()

    assert info.registry == "另一次筛查正在更新保存的农户数据文件，本次完整读取农户数据"
    assert read == in_full(tmp_path, monkeypatch)
    assert RegistryChange.objects.count() == changes > 0
    assert RegistryFiles.objects.count() == 0
    assert not snapshot.cache_dir().exists() or not any(snapshot.cache_dir().glob("registry-*"))


def test_a_run_that_fails_leaves_the_files_and_the_changes_as_they_were(cast, village, tmp_path, monkeypatch):
    households = [lifted(cast, village), ordinary(cast, village)]
    snap(tmp_path, "one")
    _income(cast, village, households)
    changes, files = RegistryChange.objects.count(), list(RegistryFiles.objects.values_list("token"))
    folders = sorted(p.name for p in snapshot.cache_dir().iterdir())

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(snapshot, "_duck_write", full_disk)
        with pytest.raises(OSError), transaction.atomic():
            write_snapshot(tmp_path / "two")

    assert RegistryChange.objects.count() == changes > 0
    assert list(RegistryFiles.objects.values_list("token")) == files
    assert sorted(p.name for p in snapshot.cache_dir().iterdir()) == folders
    third, third_tables = snap(tmp_path, "three")
    assert third.registry == reread(1)
    assert third_tables == in_full(tmp_path, monkeypatch)


def test_the_replaced_folder_goes_once_the_run_commits_and_strays_after_a_day(
    cast, village, tmp_path, django_capture_on_commit_callbacks
):
    households = [lifted(cast, village), ordinary(cast, village)]
    snap(tmp_path, "one")
    cache = snapshot.cache_dir()
    (first,) = [p.name for p in cache.iterdir() if p.name.startswith("registry-")]

    _income(cast, village, households)
    with django_capture_on_commit_callbacks(execute=True):
        snap(tmp_path, "two")
    (token,) = RegistryFiles.objects.values_list("token", flat=True)
    current = f"registry-v{snapshot.REGISTRY_VERSION}-{token}"
    assert [p.name for p in cache.iterdir() if p.name.startswith("registry-")] == [current] != [first]

    stray = cache / f"registry-v1-{'0' * 8}-0000-4000-8000-{'0' * 12}"
    recent = cache / f"registry-v1-{'1' * 8}-1111-4111-8111-{'1' * 12}"
    for folder in (stray, recent):
        folder.mkdir()
    two_days_ago = time.time() - 2 * 86_400
    for folder in (stray, cache / current):
        os.utime(folder, (two_days_ago, two_days_ago))

    assert snapshot.prune_cache() == 1
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith("registry-")) == sorted(
        [current, recent.name]
    )


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_the_files_are_brought_up_to_date_is_taken_in_by_the_next_run(
    cast, village, tmp_path, monkeypatch
):
    """Outside a transaction the snapshot reads one view (REPEATABLE READ): a change another connection
    commits meanwhile is neither in this run's files nor forgotten — its household is read by the next."""
    for n in range(3):
        ordinary(cast, village, number=f"H00{n}", first=10 + 2 * n)
    write_snapshot(tmp_path / "one")
    last = Person.objects.order_by("-pk").first()
    ordinary(cast, village, number="H009", first=30)  # a change, so that this run writes new files
    keep_changes = committed_elsewhere_first(
        snapshot._keep_changes,
        lambda: Person.objects.filter(pk=last.pk).update(labour_capacity="丧失劳动力"),
    )

    with monkeypatch.context() as m:
        m.setattr(snapshot, "_keep_changes", keep_changes)
        second = write_snapshot(tmp_path / "two")
    third = write_snapshot(tmp_path / "three")

    assert (second.registry, third.registry) == (reread(1), reread(1))
    capacities = {
        name: [row[5] for row in tables(tmp_path / name)["persons"] if row[0] == last.pk]
        for name in ("two", "three")
    }
    assert capacities == {"two": [last.labour_capacity], "three": ["丧失劳动力"]}
    assert last.labour_capacity != "丧失劳动力"
    assert RegistryChange.objects.count() == 0
