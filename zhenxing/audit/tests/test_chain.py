"""The hash chain: intact, edited, deleted; the `audit verify` command; append-only model guards."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from zhenxing.audit import actions as audit
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import GENESIS_HASH, AuditEntry, Kind, Source
from zhenxing.audit.tests.conftest import local, record_at

TABLE = AuditEntry._meta.db_table


def record_rows(actor, count: int = 3) -> list[AuditEntry]:
    with transaction.atomic():
        return [
            audit.record(
                actor, f"action_{n}", object_type="tests.thing", object_id=str(n), changes={"n": [n - 1, n]}
            )
            for n in range(1, count + 1)
        ]


def execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("TABLE", connection.ops.quote_name(TABLE)), params)


def run_verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def broken_text(entry_id: int, reason: str, checked: int) -> str:
    return (
        f"审计链在第 #{entry_id} 条记录处断开：{reason}\n"
        f"（此前 {checked} 条记录完整。请保全数据库现状，并报告区级管理员和纪检督查人员）\n"
    )


EDITED = "本条记录内容与哈希不符：记录被修改"
GAP = "前一条记录的哈希不符：其前面的记录被删除或修改"


def test_it_links_each_row_to_the_previous_hash(cast):
    first, second, third = record_rows(cast["district_admin"])
    assert [first.id, second.id, third.id] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert first.actor_username == "admin"
    assert first.area_code == "420704"
    assert first.source == Source.CLI
    assert first.kind == Kind.WRITE


def test_it_verifies_an_intact_chain(cast):
    record_rows(cast["district_admin"])
    assert audit.verify() == (3, None)
    assert run_verify() == (0, "审计链完整：共校验 3 条记录\n", "")


def test_it_verifies_an_empty_log(db):
    assert run_verify() == (0, "审计链完整：共校验 0 条记录\n", "")


def test_it_verifies_across_batches(cast):
    record_rows(cast["district_admin"], count=5)
    assert audit.verify(batch_size=2) == (5, None)
    execute("UPDATE TABLE SET object_id = %s WHERE id = %s", ["x", 4])
    assert audit.verify(batch_size=2) == (3, audit.Break(4, EDITED))


def test_it_reports_an_edited_row(cast):
    record_rows(cast["district_admin"])
    execute("UPDATE TABLE SET action = %s WHERE id = %s", ["forged", 2])
    assert audit.verify() == (1, audit.Break(2, EDITED))
    assert run_verify() == (1, "", broken_text(2, EDITED, 1))


def test_it_reports_an_edited_change_even_with_a_recomputed_row_hash(cast):
    """Recomputing the edited row's own hash still breaks the link to the next row."""
    record_rows(cast["district_admin"])
    entry = AuditEntry.objects.get(id=2)
    entry.changes = {"n": [1, 99]}
    execute(
        "UPDATE TABLE SET changes = %s, hash = %s WHERE id = %s", ['{"n": [1, 99]}', entry.compute_hash(), 2]
    )
    assert run_verify() == (1, "", broken_text(3, GAP, 2))


def test_it_reports_the_row_after_a_deleted_row(cast):
    record_rows(cast["district_admin"])
    execute("DELETE FROM TABLE WHERE id = %s", [2])
    assert audit.verify() == (1, audit.Break(3, GAP))
    assert run_verify() == (1, "", broken_text(3, GAP, 1))


def test_it_reports_the_second_row_after_the_first_is_deleted(cast):
    record_rows(cast["district_admin"])
    execute("DELETE FROM TABLE WHERE id = %s", [1])
    assert audit.verify() == (0, audit.Break(2, GAP))
    assert run_verify() == (1, "", broken_text(2, GAP, 0))


def test_it_does_not_notice_a_deleted_last_row(cast):
    """A chain cannot prove its own tail; verify checks what is there (known limit, documented here)."""
    record_rows(cast["district_admin"])
    execute("DELETE FROM TABLE WHERE id = %s", [3])
    assert audit.verify() == (2, None)


def test_it_verifies_decimal_date_and_datetime_changes_after_a_round_trip(cast):
    at = datetime.datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    changes = {
        "amount": [Decimal("10.00"), Decimal("12.50")],
        "due": [datetime.date(2024, 1, 31), datetime.date(2024, 3, 31)],
        "decided_at": [None, at],
        "ratio": [0.1, 1.5],
        "count": [2, 3],
        "is_active": [True, False],
        "name": ["张三", "李四"],
        "nested": {"b": [1, 2], "a": {"z": "末", "y": None}},
    }
    with transaction.atomic():
        audit.record(
            cast["district_admin"], "update_thing", object_type="tests.thing", object_id="7", changes=changes
        )
        audit.record(cast["district_admin"], "update_thing", object_type="tests.thing", object_id="8")
    stored = AuditEntry.objects.get(id=1)
    assert stored.changes == {
        "amount": ["10.00", "12.50"],
        "due": ["2024-01-31", "2024-03-31"],
        "decided_at": [None, "2024-03-01T09:30:15.123Z"],
        "ratio": [0.1, 1.5],
        "count": [2, 3],
        "is_active": [True, False],
        "name": ["张三", "李四"],
        "nested": {"a": {"y": None, "z": "末"}, "b": [1, 2]},
    }
    assert stored.compute_hash() == stored.hash
    assert run_verify() == (0, "审计链完整：共校验 2 条记录\n", "")


def test_it_refuses_to_save_an_existing_entry(cast):
    (entry,) = record_rows(cast["district_admin"], count=1)
    entry.action = "forged"
    with pytest.raises(PermissionError, match="审计记录只能追加，不能修改"):
        entry.save()
    assert AuditEntry.objects.get(id=entry.id).action == "action_1"


def test_it_refuses_to_delete_an_entry(cast):
    (entry,) = record_rows(cast["district_admin"], count=1)
    with pytest.raises(PermissionError, match="审计记录只能追加，不能删除"):
        entry.delete()
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction():
    with pytest.raises(RuntimeError, match="audit.record must run inside the action's transaction"):
        audit.record(None, "orphan", object_type="tests.thing")
    assert AuditEntry.objects.count() == 0


def test_it_records_the_source_and_time(cast):
    before = timezone.now()
    with acting_via(Source.JOB), transaction.atomic():
        entry = audit.record(
            cast["inspector"], "run_thing", object_type="tests.thing", kind=Kind.READ_PERSONAL
        )
    assert entry.source == Source.JOB
    assert entry.kind == Kind.READ_PERSONAL
    assert before <= entry.at <= timezone.now()


def test_it_verifies_a_row_written_with_a_local_clock(cast, monkeypatch):
    """Regression: the hash covered `at` in the zone it was written in, but the database returns UTC."""
    record_at(
        monkeypatch,
        local(2024, 3, 1, 10, 0),
        cast["district_admin"],
        "update_thing",
        object_type="tests.thing",
    )
    stored = AuditEntry.objects.get(id=1)
    assert stored.at == datetime.datetime(2024, 3, 1, 2, 0, tzinfo=datetime.UTC)
    assert run_verify() == (0, "审计链完整：共校验 1 条记录\n", "")
