import datetime
import zoneinfo

import pytest
from django.db import transaction
from django.utils import timezone

from zhenxing.audit import actions as audit
from zhenxing.audit.models import AuditEntry, Kind

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def record_at(monkeypatch, at: datetime.datetime, actor, action: str, **kwargs) -> AuditEntry:
    """`audit.record` with the clock set to `at` (the hash covers the time, so it cannot be edited later)."""
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: at)
        with transaction.atomic():
            return audit.record(actor, action, **kwargs)


@pytest.fixture
def entries(cast, monkeypatch) -> dict[int, AuditEntry]:
    """Five rows across users, areas, object types, kinds and (local) days, ids 1–5."""
    rows = [
        record_at(
            monkeypatch,
            local(2024, 3, 1, 10, 0),
            cast["district_admin"],
            "update_user",
            object_type="accounts.user",
            object_id="zelin",
            object_label="zelin（zelin）",
            changes={"full_name": ["泽林", "泽林镇干部"], "phone": ["", "0711-1234567"]},
        ),
        record_at(
            monkeypatch,
            local(2024, 3, 1, 23, 30),
            cast["township_officer"],
            "update_thing",
            object_type="tests.thing",
            object_id="1",
            object_label="一号",
            changes={"amount": ["10.00", "12.50"]},
        ),
        record_at(
            monkeypatch,
            local(2024, 3, 2, 0, 10),
            cast["village_cadre"],
            "view_thing",
            object_type="tests.thing",
            object_id="2",
            object_label="二号",
            kind=Kind.READ_PERSONAL,
            changes={"fields": ["id_number"]},
        ),
        record_at(
            monkeypatch,
            local(2024, 3, 5, 8, 0),
            cast["outside_township_officer"],
            "update_thing",
            object_type="tests.thing",
            object_id="3",
            object_label="三号",
            changes={"status": ["draft", "approved"]},
        ),
        record_at(
            monkeypatch,
            local(2024, 3, 6, 2, 0),
            None,
            "nightly_cleanup",
            object_type="tests.other",
            object_id="x",
            area_code="",
        ),
    ]
    assert [e.id for e in rows] == [1, 2, 3, 4, 5]
    return {e.id: e for e in rows}
