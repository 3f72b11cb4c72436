"""Committing imports: re-import with history, identical re-import, only the clean households, all or
nothing on failure, stale plans and concurrent imports (the one-active-household rule)."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from zhenxing.audit.actions import verify
from zhenxing.audit.models import AuditEntry
from zhenxing.lib import idnumbers, personal
from zhenxing.registry import importing
from zhenxing.registry.actions import identity
from zhenxing.registry.history import state_on
from zhenxing.registry.importing import commit as commit_module
from zhenxing.registry.models import Household, HouseholdEvent, Membership, Person
from zhenxing.registry.tests.import_helpers import (
    DAUGHTER,
    HEAD,
    OTHER_HEAD,
    SON,
    WIFE,
    csv_file,
    family,
    member,
    wrong_check_digit,
)


def check(rows, scope):
    return importing.validate_households(csv_file(rows), "户籍.csv", scope)


def counts() -> dict:
    return {
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "memberships": Membership.objects.count(),
        "events": HouseholdEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def pid(number: str) -> int:
    return Person.objects.get(id_hash=personal.lookup_hash(number)).pk


@pytest.mark.django_db
def test_it_updates_a_reimported_household_with_history(cast, county, village):
    admin = cast["district_admin"]
    importing.commit_households(admin, check(family("H001"), county))
    rows = [
        member("H001", HEAD, "户主", "张大山", **{"户类型": "脱贫户", "脱贫年度": "2018"}),
        member(
            "H001", WIFE, "配偶", "李小花", **{"户类型": "脱贫户", "脱贫年度": "2018", "健康状况": "患有大病"}
        ),
        member("H001", DAUGHTER, "之女", "张小花", **{"户类型": "脱贫户", "脱贫年度": "2018"}),
    ]
    plan = check(rows, county)
    household = plan.households["H001"]
    son, wife = pid(SON), pid(WIFE)
    assert household.action == "update"
    assert household.changes == {
        "household": {"kind": ["ordinary", "lifted"], "lifted_year": [None, 2018]},
        "removed": [son],
        "added": 1,
        "members": {str(wife): {"health": ["健康", "患有大病"]}},
    }
    before = counts()
    result = importing.commit_households(admin, plan)
    assert result == {"created": 0, "updated": 1, "unchanged": 0, "persons": 2, "skipped": 0}

    h = Household.objects.get(number="H001")
    assert (h.kind, h.lifted_year, h.member_count, h.head_id) == ("lifted", 2018, 3, pid(HEAD))
    ended = Membership.objects.get(person_id=son)
    assert (ended.end_date, ended.end_reason) == (datetime.date.today(), "correction")
    assert Person.objects.get(pk=son).status == "left"
    assert Person.objects.get(pk=wife).health == "患有大病"
    daughter = pid(DAUGHTER)
    event = HouseholdEvent.objects.filter(household=h).latest("id")
    assert (event.kind, event.reason) == ("imported", "文件导入：户籍.csv")
    assert event.data == {
        "changes": {
            "household": {"kind": ["ordinary", "lifted"], "lifted_year": [None, 2018]},
            "removed": [son],
            "added": [daughter],
            "members": {str(wife): {"health": ["健康", "患有大病"]}},
        }
    }
    assert sorted(m["person"] for m in event.snapshot["members"]) == sorted([pid(HEAD), wife, daughter])
    first = HouseholdEvent.objects.filter(household=h).earliest("id")
    assert sorted(m["person"] for m in first.snapshot["members"]) == sorted([pid(HEAD), wife, son])
    assert state_on(h, datetime.date.today()).size == 3
    # the counts kept beside each snapshot (registered as 一般农户, imported as 脱贫户 with 3 labour)
    assert [(e.kind, e.area_code, e.lifted_labour, e.lifted_migrants) for e in h.events.order_by("id")] == [
        ("registered", village.code, None, None),
        ("imported", village.code, 3, 0),
    ]
    audit_row = AuditEntry.objects.get(action="household_imported")
    assert audit_row.changes["changes"]["removed"] == [son]
    after = counts()
    assert (after["events"], after["audit"], after["persons"]) == (
        before["events"] + 1,
        before["audit"] + 1,
        before["persons"] + 1,
    )
    assert verify() == (after["audit"], None)


@pytest.mark.django_db
def test_it_changes_the_head_in_place(cast, county, village):
    importing.commit_households(cast["district_admin"], check(family("H001"), county))
    rows = family("H001")
    rows[0]["与户主关系"], rows[1]["与户主关系"] = "配偶", "户主"
    importing.commit_households(cast["district_admin"], check(rows, county))
    household = Household.objects.get(number="H001")
    assert household.head_id == pid(WIFE)
    assert Membership.objects.get(person_id=pid(HEAD), end_date__isnull=True).relation == "配偶"


@pytest.mark.django_db
def test_an_identical_reimport_writes_nothing(cast, county, village):
    rows = [*family("H001"), member("H002", OTHER_HEAD, **{"联系电话": "13800001234", "务工时间(月)": "3"})]
    importing.commit_households(cast["district_admin"], check(rows, county))
    before = counts()
    plan = check(rows, county)
    assert {h.action for h in plan.households.values()} == {"unchanged"}
    assert plan.summary()["clean_changes"] == 0
    result = importing.commit_households(cast["district_admin"], plan)
    assert result == {"created": 0, "updated": 0, "unchanged": 2, "persons": 0, "skipped": 0}
    assert counts() == before


@pytest.mark.django_db
def test_it_commits_only_the_clean_households_when_asked(cast, county, village):
    rows = [*family("H001"), member("H002", wrong_check_digit(OTHER_HEAD))]
    plan = check(rows, county)
    with pytest.raises(ValidationError) as refused:
        importing.commit_households(cast["district_admin"], plan)
    assert refused.value.messages == [
        "文件中还有1处错误，未导入任何数据：请改正后重新上传，或选择只导入无错误的户"
    ]
    assert counts()["households"] == 0 and counts()["audit"] == 0
    result = importing.commit_households(cast["district_admin"], plan, only_valid=True)
    assert result == {"created": 1, "updated": 0, "unchanged": 0, "persons": 3, "skipped": 1}
    assert list(Household.objects.values_list("number", flat=True)) == ["H001"]


@pytest.mark.django_db
def test_a_file_error_commits_nothing_even_with_only_valid(cast, county):
    plan = importing.validate_households(b"\xff\xfe", "x.pdf", county)
    with pytest.raises(ValidationError) as refused:
        importing.commit_households(cast["district_admin"], plan, only_valid=True)
    assert refused.value.messages == ["文件本身有错误（见错误报告），没有可导入的数据：请改正后重新上传"]


@pytest.mark.django_db
def test_a_failure_mid_commit_leaves_nothing(cast, county, village, monkeypatch):
    rows = [*family("H001"), member("H002", OTHER_HEAD), member("H003", DAUGHTER, "户主")]
    plan = check(rows, county)
    monkeypatch.setattr(commit_module, "BATCH_SIZE", 1)  # one household per batch
    real = commit_module.audit.record_many
    calls = []

    def failing(actor, audit_rows):
        calls.append(1)
        if len(calls) == 2:  # the second batch: the first is written, the second half written
            raise RuntimeError("磁盘已满")
        return real(actor, audit_rows)

    monkeypatch.setattr(commit_module.audit, "record_many", failing)
    with pytest.raises(RuntimeError):
        importing.commit_households(cast["district_admin"], plan)
    assert counts() == {"households": 0, "persons": 0, "memberships": 0, "events": 0, "audit": 0}


@pytest.mark.django_db
def test_a_stale_plan_fails_cleanly_when_another_import_took_the_person(cast, county, village):
    admin = cast["district_admin"]
    mine = check([member("H001", HEAD), member("H001", WIFE, "配偶")], county)
    theirs = check([member("H002", OTHER_HEAD), member("H002", WIFE, "配偶")], county)
    importing.commit_households(admin, theirs)
    before = counts()
    with pytest.raises(importing.ImportConflict) as conflict:
        importing.commit_households(admin, mine)
    assert conflict.value.messages == [
        f"公民身份号码 {idnumbers.mask(WIFE)} 的人在检查之后已登记为户 H002 的在册成员，不能再登记到户 H001",
        "本次没有写入任何数据：请重新上传文件检查后再导入",
    ]
    assert counts() == before
    assert not Household.objects.filter(number="H001").exists()


@pytest.mark.django_db
def test_a_stale_update_fails_cleanly(cast, county, village):
    admin = cast["district_admin"]
    importing.commit_households(admin, check(family("H001"), county))
    plan = check(family("H001", **{"健康状况": "残疾"}), county)
    Membership.objects.filter(person_id=pid(SON)).update(end_date=datetime.date.today(), end_reason="death")
    before = counts()
    with pytest.raises(importing.ImportConflict) as conflict:
        importing.commit_households(admin, plan)
    assert conflict.value.messages == [
        "户 H001 在检查之后已被修改（可能有人同时在办理变更）",
        "本次没有写入任何数据：请重新上传文件检查后再导入",
    ]
    assert counts() == before


@pytest.mark.django_db
def test_a_stale_plan_fails_cleanly_when_the_number_was_taken(cast, county, village):
    admin = cast["district_admin"]
    mine = check([member("H001", HEAD)], county)
    importing.commit_households(admin, check([member("H001", OTHER_HEAD)], county))
    before = counts()
    with pytest.raises(importing.ImportConflict) as conflict:
        importing.commit_households(admin, mine)
    assert conflict.value.messages == [
        "户编号 H001 在检查之后已由其他导入或操作登记",
        "本次没有写入任何数据：请重新上传文件检查后再导入",
    ]
    assert counts() == before


@pytest.mark.django_db
def test_the_fast_identity_matches_the_registry_action(county, village):
    plan = check([member("H001", HEAD), member("H001", WIFE, "配偶")], county)
    for person in plan.households["H001"].members:
        fast, reference = commit_module.identity_of_valid(person), identity(person.id_number)
        assert personal.decrypt(fast.pop("id_number_encrypted")) == personal.decrypt(
            reference.pop("id_number_encrypted")
        )
        assert fast == reference


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: no race to lose")
def test_two_concurrent_imports_of_one_person_let_exactly_one_win(cast, county, village):
    admin = cast["district_admin"]
    plans = {
        "H001": check([member("H001", HEAD), member("H001", WIFE, "配偶")], county),
        "H002": check([member("H002", OTHER_HEAD), member("H002", WIFE, "配偶")], county),
    }
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def run(number):
        try:
            start.wait()
            outcomes[number] = importing.commit_households(admin, plans[number])
        except importing.ImportConflict as e:
            outcomes[number] = e.messages
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [n for n, o in outcomes.items() if isinstance(o, dict)]
    assert len(winners) == 1
    loser = "H002" if winners == ["H001"] else "H001"
    assert outcomes[loser] == [
        f"公民身份号码 {idnumbers.mask(WIFE)} 的人在检查之后已登记为户 {winners[0]} 的在册成员，"
        f"不能再登记到户 {loser}",
        "本次没有写入任何数据：请重新上传文件检查后再导入",
    ]
    assert list(Household.objects.values_list("number", flat=True)) == winners
    assert (
        Membership.objects.filter(person__id_hash=personal.lookup_hash(WIFE), end_date__isnull=True).count()
        == 1
    )
    assert verify() == (AuditEntry.objects.count(), None)
