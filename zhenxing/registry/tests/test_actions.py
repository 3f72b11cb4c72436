"""The registry's change actions: each writes one event per household it changes and one audit row;
each refusal names the rule and leaves everything as it was."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from zhenxing.areas.models import Area
from zhenxing.audit.models import AuditEntry
from zhenxing.lib import personal
from zhenxing.registry import actions
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    HouseholdKind,
    Membership,
    Person,
    PersonStatus,
)
from zhenxing.registry.tests.change_helpers import D, person, register, second_village

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "memberships": Membership.objects.count(),
        "open_memberships": Membership.objects.filter(end_date__isnull=True).count(),
        "events": HouseholdEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def refused(call, message: str) -> None:
    """The call raises `message` and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as e:
        call()
    assert e.value.messages == [message]
    assert counts() == before


def members(household) -> dict[str, str]:
    return dict(
        Membership.objects.filter(household=household, end_date__isnull=True).values_list(
            "person__name", "relation"
        )
    )


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


@pytest.fixture
def cadre(cast):
    return cast["village_cadre"]


@pytest.fixture
def household(cadre, village):
    return register(cadre, village)


def p(household, name) -> Person:
    return Person.objects.get(name=name, memberships__household=household)


# —— add_member ————————————————————————————————————————————————————————————————————————————————————


def test_it_adds_a_member_by_birth(cadre, household):
    audit_before = AuditEntry.objects.count()
    baby = actions.add_member(
        cadre, household, person(4, "张小宝", "之孙子", born=D(2024, 3, 1)), "birth", D(2024, 3, 1)
    )
    assert members(household) == {"张三": HEAD, "李四": "配偶", "张小明": "之子", "张小宝": "之孙子"}
    membership = Membership.objects.get(person=baby, household=household)
    assert (membership.start_date, membership.start_reason, membership.end_date) == (
        D(2024, 3, 1),
        "birth",
        None,
    )
    assert (baby.sex, baby.birth_date, baby.status) == ("男", D(2024, 3, 1), PersonStatus.ACTIVE)
    household.refresh_from_db()
    assert household.member_count == 4
    event = household.events.order_by("-id").first()
    assert (event.kind, event.effective_date, event.reason) == ("member_added", D(2024, 3, 1), "出生")
    assert event.data == {"person": baby.pk, "relation": "之孙子", "start_reason": "birth"}
    assert [m["relation"] for m in event.snapshot["members"]] == [HEAD, "配偶", "之子", "之孙子"]
    assert AuditEntry.objects.count() == audit_before + 1
    entry = last_audit()
    assert (entry.action, entry.object_id, entry.actor_username, entry.area_code) == (
        "household_member_added",
        str(household.public_id),
        "xingang",
        "420704100201",
    )


def test_it_readmits_a_person_who_left_another_household(cadre, household, village):
    other = register(
        cadre, village, "H002", [person(10, "王五", HEAD), person(11, "王小妹", "之女", female=True)]
    )
    sister = p(other, "王小妹")
    actions.remove_member(cadre, other, sister, "marriage_out", D(2024, 5, 1), "嫁到新港村")
    sister.refresh_from_db()
    assert (sister.status, sister.status_date) == (PersonStatus.LEFT, D(2024, 5, 1))
    actions.add_member(
        cadre, household, person(11, "王小妹", "之儿媳", female=True), "marriage_in", D(2024, 5, 1)
    )
    sister.refresh_from_db()
    assert (sister.status, sister.status_date) == (PersonStatus.ACTIVE, None)
    assert members(household)["王小妹"] == "之儿媳"
    assert list(
        sister.memberships.order_by("id").values_list("household__number", "end_date", "end_reason")
    ) == [
        ("H002", D(2024, 5, 1), "marriage_out"),
        ("H001", None, ""),
    ]


def test_it_refuses_a_person_who_is_in_another_active_household(cadre, household, village):
    register(cadre, village, "H002", [person(10, "王五", HEAD)])
    masked = Person.objects.get(name="王五").id_masked
    refused(
        lambda: actions.add_member(cadre, household, person(10, "王五", "其他"), "moved_in", D(2024, 2, 1)),
        f"王五（{masked}）已是户 H002 的在册成员，请先在该户办理减少成员",
    )


def test_it_refuses_to_add_a_second_head(cadre, household):
    refused(
        lambda: actions.add_member(cadre, household, person(4, "赵六", HEAD), "moved_in", D(2024, 2, 1)),
        "赵六不能登记为户主：户主只有一名，如需更换请办理“变更户主”",
    )


def test_it_refuses_a_relation_outside_the_national_list(cadre, household):
    refused(
        lambda: actions.add_member(cadre, household, person(4, "赵六", "表哥"), "moved_in", D(2024, 2, 1)),
        "与户主关系“表哥”不在国家代码表中，请从下拉列表中选择（如 配偶、之子、之女）",
    )


def test_it_takes_relations_from_the_code_table(cadre, household):
    from zhenxing.registry.models import Code

    Code.objects.filter(item="relation", canonical="之女").update(is_current=False)
    refused(
        lambda: actions.add_member(
            cadre, household, person(4, "赵六", "之女", female=True), "birth", D(2024, 2, 1)
        ),
        "与户主关系“之女”不在国家代码表中，请从下拉列表中选择（如 配偶、之子、之女）",
    )


def test_it_refuses_a_date_before_the_last_change(cadre, household):
    refused(
        lambda: actions.add_member(cadre, household, person(4, "赵六", "其他"), "moved_in", D(2023, 12, 31)),
        "生效日期 2023-12-31 早于户 H001 最近一次变动的日期 2024-01-01，变动须按发生的先后顺序登记，请核对日期",
    )


def test_it_refuses_a_date_in_the_future(cadre, household):
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    refused(
        lambda: actions.add_member(cadre, household, person(4, "赵六", "其他"), "moved_in", tomorrow),
        f"生效日期 {tomorrow} 晚于今天，请填写变动实际发生的日期",
    )


def test_it_refuses_a_birth_before_the_date_of_birth(cadre, household):
    refused(
        lambda: actions.add_member(
            cadre, household, person(4, "张小宝", "之孙子", born=D(2024, 3, 1)), "birth", D(2024, 2, 1)
        ),
        "生效日期 2024-02-01 早于张小宝的出生日期 2024-03-01，请核对日期或身份证号码",
    )


def test_it_refuses_a_bad_health_value_and_an_invalid_id_number(cadre, household):
    refused(
        lambda: actions.add_member(
            cadre, household, person(4, "赵六", "其他", health="感冒"), "moved_in", D(2024, 2, 1)
        ),
        "健康状况“感冒”无效，请从健康、长期慢性病、患有大病、残疾中选择",
    )
    bad = person(4, "赵六", "其他")
    bad.id_number = bad.id_number[:17] + ("0" if bad.id_number[17] != "0" else "1")
    with pytest.raises(ValidationError, match="公民身份号码校验码错误"):
        actions.add_member(cadre, household, bad, "moved_in", D(2024, 2, 1))


def test_it_refuses_a_deceased_person(cadre, household, village):
    other = register(cadre, village, "H002", [person(10, "王五", HEAD), person(11, "王老汉", "之父")])
    old = p(other, "王老汉")
    actions.remove_member(cadre, other, old, "death", D(2024, 3, 1))
    refused(
        lambda: actions.add_member(cadre, household, person(11, "王老汉", "其他"), "moved_in", D(2024, 3, 2)),
        f"公民身份号码 {old.id_masked} 的人员已于 2024-03-01 登记死亡，不能增加为成员，请核对号码",
    )


def test_it_refuses_an_unknown_reason_to_add(cadre, household):
    refused(
        lambda: actions.add_member(cadre, household, person(4, "赵六", "其他"), "split", D(2024, 2, 1)),
        "增加成员的原因须为出生、婚入或迁入，请重新选择",
    )


# —— remove_member —————————————————————————————————————————————————————————————————————————————————


def test_it_records_a_death(cadre, household):
    son = p(household, "张小明")
    actions.remove_member(cadre, household, son, "death", D(2024, 6, 1), "意外")
    son.refresh_from_db()
    assert (son.status, son.status_date) == (PersonStatus.DECEASED, D(2024, 6, 1))
    assert members(household) == {"张三": HEAD, "李四": "配偶"}
    membership = Membership.objects.get(person=son)
    assert (membership.end_date, membership.end_reason) == (D(2024, 6, 1), "death")
    event = household.events.order_by("-id").first()
    assert (event.kind, event.reason) == ("member_removed", "死亡：意外")
    assert event.data == {
        "person": son.pk,
        "relation": "之子",
        "end_reason": "death",
        "household_closed": False,
    }
    household.refresh_from_db()
    assert (household.member_count, household.is_active) == (2, True)
    assert last_audit().action == "household_member_removed"


def test_it_records_moving_away_as_left(cadre, household):
    son = p(household, "张小明")
    actions.remove_member(cadre, household, son, "moved_away", D(2024, 6, 1))
    son.refresh_from_db()
    assert (son.status, son.status_date) == (PersonStatus.LEFT, D(2024, 6, 1))


def test_it_refuses_to_remove_the_head_while_others_remain(cadre, household):
    refused(
        lambda: actions.remove_member(cadre, household, p(household, "张三"), "death", D(2024, 6, 1)),
        "张三是户主，请先办理“变更户主”，再减少该成员",
    )


def test_it_closes_the_household_when_its_last_member_leaves(cadre, village):
    alone = register(cadre, village, "H009", [person(20, "孤老人", HEAD)])
    actions.remove_member(cadre, alone, p(alone, "孤老人"), "death", D(2024, 6, 1))
    alone.refresh_from_db()
    assert (alone.is_active, alone.member_count, alone.head_id) == (False, 0, None)
    assert alone.events.order_by("-id").first().data["household_closed"] is True
    refused(
        lambda: actions.add_member(cadre, alone, person(21, "新人", "其他"), "moved_in", D(2024, 7, 1)),
        "户 H009 已注销（已并入其他户或已无在册成员），不能再办理变动",
    )


def test_it_refuses_to_remove_someone_who_is_not_a_member(cadre, household, village):
    other = register(cadre, village, "H002", [person(10, "王五", HEAD)])
    refused(
        lambda: actions.remove_member(cadre, household, p(other, "王五"), "death", D(2024, 6, 1)),
        "王五 不是户 H001 的在册成员，请刷新页面后重新选择",
    )


# —— change_head ———————————————————————————————————————————————————————————————————————————————————


def test_it_changes_the_head(cadre, household):
    wife = p(household, "李四")
    actions.change_head(cadre, household, wife, D(2024, 7, 1), "配偶")
    assert members(household) == {"张三": "配偶", "李四": HEAD, "张小明": "之子"}
    household.refresh_from_db()
    assert household.head_id == wife.pk
    event = household.events.order_by("-id").first()
    assert event.kind == "head_changed"
    assert event.data == {
        "old_head": p(household, "张三").pk,
        "new_head": wife.pk,
        "old_head_relation": "配偶",
        "new_head_previous_relation": "配偶",
    }
    assert last_audit().action == "household_head_changed"


def test_it_refuses_a_head_change_to_the_head_or_with_the_head_relation(cadre, household):
    refused(
        lambda: actions.change_head(cadre, household, p(household, "张三"), D(2024, 7, 1), "配偶"),
        "张三已经是户主，请选择另一名成员",
    )
    refused(
        lambda: actions.change_head(cadre, household, p(household, "李四"), D(2024, 7, 1), HEAD),
        "原户主张三不能登记为户主：户主只有一名，如需更换请办理“变更户主”",
    )


# —— split / merge —————————————————————————————————————————————————————————————————————————————————


@pytest.fixture
def big(cadre, village):
    return register(
        cadre,
        village,
        "H100",
        [
            person(30, "刘大", HEAD),
            person(31, "刘妻", "配偶", female=True),
            person(32, "刘二", "之子"),
            person(33, "刘二媳", "之儿媳", female=True),
        ],
        kind=HouseholdKind.LIFTED,
        lifted_year=2016,
    )


def test_it_splits_a_household(cadre, big, village):
    son, wife = p(big, "刘二"), p(big, "刘二媳")
    new = actions.split_household(cadre, big, [son, wife], "H101", son, {wife: "配偶"}, D(2024, 4, 1))
    assert (new.area_id, new.kind, new.lifted_year, new.is_active) == (village.pk, "lifted", 2016, True)
    assert members(big) == {"刘大": HEAD, "刘妻": "配偶"}
    assert members(new) == {"刘二": HEAD, "刘二媳": "配偶"}
    old_membership = Membership.objects.get(household=big, person=son)
    assert (old_membership.end_date, old_membership.end_reason) == (D(2024, 4, 1), "split")
    new_membership = Membership.objects.get(household=new, person=son)
    assert (new_membership.start_date, new_membership.start_reason) == (D(2024, 4, 1), "split")
    assert big.events.order_by("-id").first().data == {"new_household": new.pk, "persons": [son.pk, wife.pk]}
    assert list(new.events.values_list("kind", "data")) == [
        (
            "split",
            {
                "from_household": big.pk,
                "persons": [son.pk, wife.pk],
                "relations": {str(son.pk): HEAD, str(wife.pk): "配偶"},
            },
        )
    ]
    new.refresh_from_db()
    assert (new.member_count, new.head_id) == (2, son.pk)
    assert list(AuditEntry.objects.order_by("-id").values_list("action", "object_id")[:2]) == [
        ("household_split", str(new.public_id)),
        ("household_split", str(big.public_id)),
    ]


def test_it_refuses_splits_that_break_a_household(cadre, big):
    head, son, wife, mother = (p(big, n) for n in ("刘大", "刘二", "刘二媳", "刘妻"))
    refused(
        lambda: actions.split_household(cadre, big, [head, son], "H101", son, {head: "之父"}, D(2024, 4, 1)),
        "刘大是原户户主，不能分出；如需分出，请先在原户办理“变更户主”",
    )
    refused(
        lambda: actions.split_household(
            cadre, big, [head, son, wife, mother], "H101", son, {}, D(2024, 4, 1)
        ),
        "分户后原户至少要保留一名成员；如需整户迁移，请办理“迁往他村”",
    )
    refused(
        lambda: actions.split_household(cadre, big, [son, wife], "H100", son, {wife: "配偶"}, D(2024, 4, 1)),
        "户编号 H100 已被使用，请换一个户编号",
    )
    refused(
        lambda: actions.split_household(cadre, big, [son, wife], "H101", son, {}, D(2024, 4, 1)),
        "请选择刘二媳（新户）与户主的关系",
    )


def test_it_merges_two_households(cadre, household, big):
    persons = [p(big, n) for n in ("刘大", "刘妻", "刘二", "刘二媳")]
    relations = dict(zip(persons, ["其他", "其他", "之侄儿", "之侄女"], strict=True))
    actions.merge_households(cadre, household, big, relations, D(2024, 9, 1))
    big.refresh_from_db()
    household.refresh_from_db()
    assert (big.is_active, big.member_count, big.head_id) == (False, 0, None)
    assert household.member_count == 7
    assert members(household)["刘二"] == "之侄儿"
    assert members(big) == {}
    assert household.events.order_by("-id").first().data == {
        "source": big.pk,
        "persons": [x.pk for x in persons],
    }
    assert big.events.order_by("-id").first().data == {
        "target": household.pk,
        "persons": [x.pk for x in persons],
    }
    assert big.events.count() == 2  # registered, merged: its history stays


def test_it_refuses_merges_without_every_relation_or_into_itself(cadre, household, big):
    refused(
        lambda: actions.merge_households(cadre, household, big, {p(big, "刘大"): "其他"}, D(2024, 9, 1)),
        "请选择刘妻（并入户 H001）与户主的关系",
    )
    refused(
        lambda: actions.merge_households(cadre, household, household, {}, D(2024, 9, 1)),
        "不能把一户合并到它自己，请选择另一户",
    )


# —— move / edit ———————————————————————————————————————————————————————————————————————————————————


def test_it_moves_a_household_to_another_village(cadre, household, township):
    target = second_village(township)
    actions.move_household(cadre, household, target, D(2024, 8, 1))
    household.refresh_from_db()
    assert household.area == target
    event = household.events.order_by("-id").first()
    assert (event.kind, event.data, event.reason) == (
        "moved",
        {"from_area": "420704100201", "to_area": "420704100202"},
        "由新港村迁往长港村",
    )
    assert event.snapshot["household"]["area_code"] == "420704100202"
    assert last_audit().area_code == "420704100202"


def test_it_refuses_to_move_to_the_same_village_or_to_a_township(cadre, household, village, township):
    refused(
        lambda: actions.move_household(cadre, household, village, D(2024, 8, 1)),
        "该户已在新港村，请选择另一个村",
    )
    refused(
        lambda: actions.move_household(cadre, household, township, D(2024, 8, 1)),
        "只能迁往在用的行政村（社区），请重新选择",
    )


def test_it_edits_household_attributes(cadre, household):
    actions.edit_household(
        cadre,
        household,
        kind="lifted",
        lifted_year=2017,
        lifted_attribute="低保脱贫户",
        effective_date=D(2024, 2, 1),
    )
    household.refresh_from_db()
    assert (household.kind, household.lifted_year, household.lifted_attribute) == (
        "lifted",
        2017,
        "低保脱贫户",
    )
    assert household.events.order_by("-id").first().data == {
        "changes": {
            "kind": ["ordinary", "lifted"],
            "lifted_year": [None, 2017],
            "lifted_attribute": ["", "低保脱贫户"],
        }
    }
    assert last_audit().action == "household_edited"


def test_it_refuses_household_edits_that_break_the_rules(cadre, household):
    def edit(**values):
        values = {"kind": "ordinary", "lifted_year": None, "lifted_attribute": "", **values}
        return lambda: actions.edit_household(cadre, household, effective_date=D(2024, 2, 1), **values)

    refused(edit(), "户信息没有变化，无需保存")
    refused(edit(lifted_year=2016), "一般农户不填写脱贫年度和脱贫属性，请清空这两项后再保存")
    refused(edit(kind="lifted", lifted_year=2021), "脱贫年度须在2014年至2020年之间，当前为2021年")
    refused(edit(kind="other"), "户类型须为脱贫户或一般农户，请重新选择")


def test_it_edits_a_member_without_logging_names_or_phones(cadre, household):
    son = p(household, "张小明")
    actions.edit_person(
        cadre,
        household,
        son,
        {"name": "张晓明", "health": "残疾，长期慢性病", "phone": "13812345678", "relation": "其他"},
        D(2024, 2, 1),
    )
    son.refresh_from_db()
    assert (son.name, son.health, son.phone_masked) == ("张晓明", "长期慢性病,残疾", "138****5678")
    assert personal.decrypt(son.phone_encrypted) == "13812345678"
    assert members(household)["张晓明"] == "其他"
    event = household.events.order_by("-id").first()
    assert event.data == {
        "person": son.pk,
        "fields": ["name", "health", "phone", "relation"],
        "changes": {"health": ["健康", "长期慢性病,残疾"], "relation": ["之子", "其他"]},
    }
    assert event.snapshot["members"][2]["health"] == "长期慢性病,残疾"
    assert "张晓明" not in str(last_audit().changes)


def test_it_refuses_a_member_edit_that_changes_nothing_or_the_heads_relation(cadre, household):
    refused(
        lambda: actions.edit_person(
            cadre, household, p(household, "张小明"), {"health": "健康"}, D(2024, 2, 1)
        ),
        "成员信息没有变化，无需保存",
    )
    refused(
        lambda: actions.edit_person(
            cadre, household, p(household, "张三"), {"relation": "其他"}, D(2024, 2, 1)
        ),
        "张三是户主，户主的关系不能在此修改，请办理“变更户主”",
    )
    refused(
        lambda: actions.edit_person(
            cadre, household, p(household, "张三"), {"phone": "12345"}, D(2024, 2, 1)
        ),
        "联系电话“12345”格式不对，请填写11位手机号或带区号的固定电话（如 0711-3201234）",
    )


def test_it_writes_one_event_and_one_audit_row_per_change(cadre, household, township):
    before = counts()
    actions.add_member(
        cadre, household, person(4, "张小宝", "之孙子", born=D(2024, 3, 1)), "birth", D(2024, 3, 1)
    )
    actions.change_head(cadre, household, p(household, "李四"), D(2024, 7, 1), "配偶")
    actions.move_household(cadre, household, second_village(township), D(2024, 8, 1))
    after = counts()
    assert (after["events"] - before["events"], after["audit"] - before["audit"]) == (3, 3)


def test_it_needs_no_area_in_scope_check_for_a_system_actor(village):
    """Imports and jobs may act without a user: the event and audit rows then name no actor."""
    household = register(None, village, "H500", [person(50, "系统户", HEAD)])
    event = household.events.get()
    assert (event.actor_id, event.source) == (None, "cli")
    assert Area.objects.get(code="420704100201") == household.area
