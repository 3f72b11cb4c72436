"""`record_many`: many rows appended to the hash chain at once, exactly as `record` would write them."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from zhenxing.audit import actions as audit
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import GENESIS_HASH, AuditEntry, Kind, Source
from zhenxing.audit.tests.conftest import local

pytestmark = pytest.mark.django_db

AT = local(2024, 5, 6, 7, 8, 9)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: AT)


def rows(village, count: int) -> list[dict]:
    return [
        {
            "action": "household_registered",
            "object_type": "registry.household",
            "object_id": f"id-{n}",
            "object_label": f"H{n:03d}",
            "area_code": village.code,
            "changes": {"members": n, "effective_date": datetime.date(2024, 5, 6)},
        }
        for n in range(1, count + 1)
    ]


def test_it_appends_rows_in_sequence_and_the_chain_verifies(cast, village, frozen):
    with transaction.atomic():
        audit.record(cast["district_admin"], "before", object_type="tests.thing", object_id="0")
        written = audit.record_many(cast["district_admin"], rows(village, 5), batch_size=2)
        audit.record(cast["district_admin"], "after", object_type="tests.thing", object_id="9")
    assert written == 5
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.id for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    assert [e.action for e in entries] == ["before", *["household_registered"] * 5, "after"]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert entries[0].prev_hash == GENESIS_HASH
    second = entries[2]
    assert (second.object_label, second.area_code, second.actor_username, second.source, second.kind) == (
        "H002",
        village.code,
        "admin",
        Source.CLI,
        Kind.WRITE,
    )
    assert second.changes == {"members": 2, "effective_date": "2024-05-06"}
    assert second.at == AT
    assert audit.verify() == (7, None)


def test_it_hashes_exactly_as_record_does(cast, village, frozen):
    """The same row written by `record` and by `record_many` at the same moment gets the same hash."""
    row = {
        "action": "household_registered",
        "obj": village,
        "changes": {"kind": ["ordinary", "lifted"], "effective_date": datetime.date(2024, 5, 6)},
    }
    with acting_via(Source.IMPORT), transaction.atomic():
        single = audit.record(cast["township_officer"], **row)
        transaction.set_rollback(True)  # only its hash is kept
    with acting_via(Source.IMPORT), transaction.atomic():
        audit.record_many(cast["township_officer"], [row])
    many = AuditEntry.objects.get()
    assert (many.id, many.prev_hash, many.object_type, many.object_id, many.object_label, many.source) == (
        single.id,
        single.prev_hash,
        "areas.area",
        str(village.pk),
        "新港村",
        Source.IMPORT,
    )
    assert many.hash == single.hash
    assert many.compute_hash() == many.hash


def test_it_continues_the_chain_and_writes_nothing_for_no_rows(cast, village, frozen):
    with transaction.atomic():
        first = audit.record(cast["district_admin"], "before", object_type="tests.thing", object_id="0")
        assert audit.record_many(cast["district_admin"], []) == 0
        audit.record_many(None, rows(village, 1))
    last = AuditEntry.objects.latest("id")
    assert (last.id, last.prev_hash, last.actor_id, last.actor_username) == (2, first.hash, None, "")


def test_it_must_run_inside_the_actions_transaction(village, monkeypatch):
    # The test itself runs in a transaction: pretend the connection is outside one.
    monkeypatch.setattr(audit.transaction, "get_connection", lambda: SimpleNamespace(in_atomic_block=False))
    with pytest.raises(RuntimeError, match="audit.record_many must run inside the action's transaction"):
        audit.record_many(None, rows(village, 1))
    monkeypatch.undo()
    assert AuditEntry.objects.count() == 0


def test_plain_changes_are_stored_as_given_and_others_as_record_would(cast, village, frozen):
    with transaction.atomic():
        audit.record_many(
            None,
            [
                {"action": "a", "changes": {"n": 1, "d": "2024-05-06", "l": [1, None, True]}},
                {"action": "b", "changes": {"d": datetime.date(2024, 5, 6), 1: (1, 2)}},
                {"action": "c"},
            ],
        )
    assert [e.changes for e in AuditEntry.objects.order_by("id")] == [
        {"n": 1, "d": "2024-05-06", "l": [1, None, True]},
        {"d": "2024-05-06", "1": [1, 2]},
        {},
    ]
    assert audit.verify() == (3, None)
