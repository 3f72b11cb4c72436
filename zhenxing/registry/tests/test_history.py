"""As-of reconstruction after a sequence of changes made through the actions."""

import pytest

from zhenxing.lib import idnumbers
from zhenxing.registry import actions
from zhenxing.registry.history import derived, state_on
from zhenxing.registry.models import HEAD, HouseholdEvent, Person
from zhenxing.registry.tests.change_helpers import D, person, register, second_village

pytestmark = pytest.mark.django_db


def view(household, day):
    """(area code, [(name, relation, health)]) of the household on `day`, or None."""
    state = state_on(household, day)
    if state is None:
        return None
    return (
        state.household["area_code"],
        [(m.person.name, m.relation, m.values["health"]) for m in state.members],
    )


@pytest.fixture
def history(cast, village, township):
    """Registered 2024-01-01; birth 03-01; death 06-01; head change 07-01; move 08-01."""
    cadre = cast["village_cadre"]
    household = register(
        cadre,
        village,
        "H001",
        [
            person(1, "张三", HEAD),
            person(2, "李四", "配偶", female=True),
            person(3, "张老汉", "之父", health="长期慢性病", born=D(1940, 2, 2)),
        ],
    )
    actions.add_member(
        cadre, household, person(4, "张小宝", "之子", born=D(2024, 3, 1)), "birth", D(2024, 3, 1)
    )
    actions.remove_member(cadre, household, Person.objects.get(name="张老汉"), "death", D(2024, 6, 1))
    actions.change_head(cadre, household, Person.objects.get(name="李四"), D(2024, 7, 1), "配偶")
    actions.move_household(cadre, household, second_village(township), D(2024, 8, 1))
    return household


def test_it_shows_nothing_before_registration(history):
    assert view(history, D(2023, 12, 31)) is None


def test_it_shows_the_registered_household(history):
    registered = (
        "420704100201",
        [("张三", HEAD, "健康"), ("李四", "配偶", "健康"), ("张老汉", "之父", "长期慢性病")],
    )
    assert view(history, D(2024, 1, 1)) == registered
    assert view(history, D(2024, 2, 29)) == registered


def test_it_shows_the_birth_from_its_date(history):
    assert view(history, D(2024, 3, 1)) == (
        "420704100201",
        [
            ("张三", HEAD, "健康"),
            ("李四", "配偶", "健康"),
            ("张老汉", "之父", "长期慢性病"),
            ("张小宝", "之子", "健康"),
        ],
    )
    assert view(history, D(2024, 5, 31))[1][-1] == ("张小宝", "之子", "健康")


def test_it_drops_the_deceased_from_the_date_of_death(history):
    assert view(history, D(2024, 6, 1)) == (
        "420704100201",
        [("张三", HEAD, "健康"), ("李四", "配偶", "健康"), ("张小宝", "之子", "健康")],
    )
    assert view(history, D(2024, 6, 30)) == view(history, D(2024, 6, 1))


def test_it_shows_the_new_head_from_the_change(history):
    assert view(history, D(2024, 7, 1)) == (
        "420704100201",
        [("李四", HEAD, "健康"), ("张三", "配偶", "健康"), ("张小宝", "之子", "健康")],
    )
    assert view(history, D(2024, 7, 31))[0] == "420704100201"


def test_it_shows_the_new_village_from_the_move(history):
    assert view(history, D(2024, 8, 1)) == (
        "420704100202",
        [("李四", HEAD, "健康"), ("张三", "配偶", "健康"), ("张小宝", "之子", "健康")],
    )
    assert view(history, D(2030, 1, 1))[0] == "420704100202"


def test_it_keeps_history_on_both_sides_of_a_split_and_a_merge(cast, village):
    cadre = cast["village_cadre"]
    old = register(
        cadre,
        village,
        "H100",
        [person(30, "刘大", HEAD), person(32, "刘二", "之子"), person(33, "刘二媳", "之儿媳", female=True)],
    )
    son, wife = Person.objects.get(name="刘二"), Person.objects.get(name="刘二媳")
    new = actions.split_household(cadre, old, [son, wife], "H101", son, {wife.pk: "配偶"}, D(2024, 4, 1))
    assert [n for n, _, _ in view(old, D(2024, 3, 31))[1]] == ["刘大", "刘二", "刘二媳"]
    assert [n for n, _, _ in view(old, D(2024, 4, 1))[1]] == ["刘大"]
    assert view(new, D(2024, 3, 31)) is None
    assert [(n, r) for n, r, _ in view(new, D(2024, 4, 1))[1]] == [("刘二", HEAD), ("刘二媳", "配偶")]

    actions.merge_households(cadre, old, new, {son: "之子", wife: "之儿媳"}, D(2024, 10, 1))
    assert [(n, r) for n, r, _ in view(old, D(2024, 10, 1))[1]] == [
        ("刘大", HEAD),
        ("刘二", "之子"),
        ("刘二媳", "之儿媳"),
    ]
    assert [(n, r) for n, r, _ in view(new, D(2024, 9, 30))[1]] == [("刘二", HEAD), ("刘二媳", "配偶")]
    merged = state_on(new, D(2024, 10, 1))
    assert (merged.household["is_active"], merged.members) == (False, [])
    assert list(new.events.values_list("kind", flat=True)) == ["split", "merged"]
    assert list(old.events.values_list("kind", flat=True)) == ["registered", "split", "merged"]


@pytest.mark.django_db
def test_it_accepts_a_backdated_death_after_an_income_record_and_shows_it_as_of_today(cast, village):
    """Regression: income events (dated when recorded) must not block or hide earlier-dated changes."""
    import datetime as dt

    from zhenxing.registry import actions as registry_actions
    from zhenxing.registry.history import state_on
    from zhenxing.registry.models import Membership

    admin = cast["district_admin"]
    household = registry_actions.register_household(
        admin,
        registry_actions.HouseholdData(
            number="H-BACKDATE",
            area_id=village.pk,
            kind="ordinary",
            members=[
                registry_actions.PersonData(
                    id_number=idnumbers.make("420704", dt.date(1960, 1, 1), 1),
                    name="户主甲",
                    relation="户主",
                    health="健康",
                    labour_capacity="普通劳动力",
                ),
                registry_actions.PersonData(
                    id_number=idnumbers.make("420704", dt.date(1935, 1, 1), 3),
                    name="老人乙",
                    relation="之父",
                    health="长期慢性病",
                    labour_capacity="无劳动力",
                ),
            ],
        ),
        dt.date(2024, 1, 1),
    )
    amounts = {
        "wage_income": "20000", "business_income": "0", "property_income": "0",
        "transfer_income": "1000", "production_costs": "0",
    }  # fmt: skip
    registry_actions.record_income(admin, household, 2024, amounts)
    elder = Membership.objects.get(household=household, relation="之父").person
    death_day = dt.date.today() - dt.timedelta(days=3)
    registry_actions.remove_member(admin, household, elder, Membership.EndReason.DEATH, death_day)
    today_state = state_on(household, dt.date.today())
    assert [m.relation for m in today_state.members] == ["户主"]
    before = state_on(household, death_day - dt.timedelta(days=1))
    assert sorted(m.relation for m in before.members) == ["之父", "户主"]


# —— the counts each event keeps beside its snapshot (`history.derived`) ——————————————————————————————————


def lifted_household(cadre, village, number="H100"):
    return register(
        cadre,
        village,
        number,
        [
            person(11, "王大", HEAD, employment="省外务工"),
            person(12, "刘二", "配偶", female=True, employment="乡镇内务工"),
            person(13, "王老", "之父", born=D(1940, 1, 1), labour_capacity="丧失劳动力"),
        ],
        kind="lifted",
        lifted_year=2016,
    )


def test_every_event_keeps_the_village_and_the_labour_counts_of_its_snapshot(cast, village, township):
    cadre, admin = cast["village_cadre"], cast["district_admin"]
    household = lifted_household(cadre, village)
    ordinary = register(cadre, village, "H101", [person(21, "赵甲", HEAD, employment="省外务工")])
    wife = Person.objects.get(name="刘二")
    actions.edit_person(cadre, household, wife, {"employment": "县内务工"}, D(2024, 3, 1))
    actions.add_member(
        cadre,
        household,
        person(14, "王小", "之子", born=D(2024, 4, 1), labour_capacity="无劳动力"),
        "birth",
        D(2024, 4, 1),
    )
    actions.move_household(cadre, household, second_village(township), D(2024, 5, 1))
    actions.edit_household(
        admin, household, kind="ordinary", lifted_year=None, lifted_attribute="", effective_date=D(2024, 6, 1)
    )
    amounts = {
        "wage_income": "20000", "business_income": "0", "property_income": "0",
        "transfer_income": "0", "production_costs": "0",
    }  # fmt: skip
    actions.record_income(admin, ordinary, 2024, amounts)

    rows = list(
        HouseholdEvent.objects.filter(household=household)
        .order_by("effective_date", "id")
        .values_list("kind", "area_code", "lifted_labour", "lifted_migrants")
    )
    assert rows == [
        ("registered", "420704100201", 2, 1),  # 王大 省外务工, 刘二 乡镇内务工; 王老 丧失劳动力
        ("member_edited", "420704100201", 2, 2),  # 刘二 now 县内务工
        ("member_added", "420704100201", 2, 2),  # a baby is no labour
        ("moved", "420704100202", 2, 2),
        ("edited", "420704100202", None, None),  # no longer a 脱贫户
    ]
    assert list(
        HouseholdEvent.objects.filter(household=ordinary).values_list("kind", "area_code", "lifted_labour")
    ) == [("registered", "420704100201", None), ("income_recorded", "420704100201", None)]
    for event in HouseholdEvent.objects.all():
        kept = {f: getattr(event, f) for f in ("area_code", "lifted_labour", "lifted_migrants")}
        assert kept == derived(event.snapshot)


def test_the_migration_reads_the_counts_of_existing_events_from_their_snapshots(cast, village):
    from importlib import import_module

    from django.db import connection

    fill_derived = import_module("zhenxing.registry.migrations.0003_event_derived_columns").fill_derived
    lifted_household(cast["village_cadre"], village)
    register(cast["village_cadre"], village, "H101", [person(21, "赵甲", HEAD)])
    expected = sorted(
        HouseholdEvent.objects.values_list("id", "area_code", "lifted_labour", "lifted_migrants")
    )
    HouseholdEvent.objects.update(area_code="", lifted_labour=None, lifted_migrants=None)

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    fill_derived(None, editor)
    assert (
        sorted(HouseholdEvent.objects.values_list("id", "area_code", "lifted_labour", "lifted_migrants"))
        == expected
    )
    assert [row[2] for row in expected] == [2, None]


def test_migrant_work_on_a_day_counts_the_household_as_it_was_then(cast, village):
    """Regression: a 脱贫户 later edited to 一般农户 still counts on the days it was one (the count used to
    read the household's kind of today)."""
    from django.db import connection

    from zhenxing.registry.queries import lifted_labour_on

    household = lifted_household(cast["village_cadre"], village)
    actions.edit_household(
        cast["district_admin"],
        household,
        kind="ordinary",
        lifted_year=None,
        lifted_attribute="",
        effective_date=D(2024, 6, 1),
    )

    def rows(day):
        sql, params = lifted_labour_on(day)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT household_id, area_code, labour, migrants FROM ({sql}) l", params)
            return cursor.fetchall()

    assert rows(D(2023, 12, 31)) == []
    assert rows(D(2024, 5, 31)) == [(household.pk, "420704100201", 2, 1)]
    assert rows(D(2024, 6, 1)) == []
