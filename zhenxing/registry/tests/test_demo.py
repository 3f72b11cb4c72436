"""The demo district generator: deterministic, realistic, valid for the importer."""

import datetime
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import make_user
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.lib import idnumbers, tabular
from zhenxing.registry import demo
from zhenxing.registry.actions import HouseholdData, PersonData, register_household
from zhenxing.registry.demo import (
    I_CLAIMS,
    I_COSTS,
    I_NUMBER,
    I_OUT_OF_POCKET,
    I_WAGE,
    I_YEAR,
    P_AREA,
    P_ATTRIBUTE,
    P_EDUCATION,
    P_EMPLOYMENT,
    P_ID,
    P_KIND,
    P_LABOUR,
    P_LIFTED_YEAR,
    P_MONTHS,
    P_NUMBER,
    P_PERSON,
    P_PHONE,
    P_RELATION,
    P_SCHOOLING,
)
from zhenxing.registry.models import Household, HouseholdEvent, HouseholdKind, IncomeYear, Membership, Person
from zhenxing.reports.dashboards import figures

# One worker loads this module's demo once (a module fixture would load on every worker that runs a test).
pytestmark = pytest.mark.xdist_group("demo")


VILLAGES = ["420704100201", "420704100202", "420704101201"]
RELATIONS = {
    "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之外孙子", "之外孙女",
    "之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆", "之祖父", "之祖母", "之外祖父", "之外祖母",
    "之兄弟姐妹", "之曾孙子", "之曾孙女", "之侄儿", "之侄女", "之兄弟媳妇", "之叔伯", "其他",
}  # fmt: skip
LINES = {2021: Decimal(6000), 2022: Decimal(6900), 2023: Decimal(7600), 2024: Decimal(8300)}


@pytest.fixture(scope="module")
def small():
    return demo.generate(VILLAGES, 200)


@pytest.fixture(scope="module")
def district():
    return demo.generate(VILLAGES, 2000)


def by_household(rows, column=P_NUMBER):
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[column]].append(row)
    return grouped


def age(row) -> int:
    return idnumbers.age_on(row[P_ID], datetime.date(2024, 12, 31))


def test_it_gives_identical_rows_for_the_same_seed(small):
    again = demo.generate(VILLAGES, 200)

    assert again.person_rows == small.person_rows
    assert again.income_rows == small.income_rows


def test_it_gives_other_rows_for_another_seed(small):
    other = demo.generate(VILLAGES, 200, seed=1)

    assert other.person_rows != small.person_rows


def test_it_streams_the_same_households_it_collects(small):
    streamed = list(demo.iter_households(VILLAGES, 200))

    assert [r for h in streamed for r in h.person_rows] == small.person_rows
    assert [r for h in streamed for r in h.income_rows] == small.income_rows


def test_it_makes_exact_counts_for_200_households_over_3_villages(small):
    households = by_household(small.person_rows)
    heads = [r for r in small.person_rows if r[P_RELATION] == "户主"]

    assert small.households == 200
    assert len(households) == 200
    assert len(small.person_rows) == 583
    assert len(small.income_rows) == 800
    assert Counter(r[P_AREA] for r in heads) == {"420704100201": 62, "420704100202": 61, "420704101201": 77}
    # 7% 脱贫户, exactly round(200 × 0.07).
    assert Counter(r[P_KIND] for r in heads) == {"一般农户": 186, "脱贫户": 14}
    assert Counter(r[P_ATTRIBUTE] for r in heads) == {"": 186, "一般脱贫户": 12, "低保脱贫户": 2}


def test_it_numbers_households_by_village_and_serial(small):
    numbers = sorted(by_household(small.person_rows))

    assert numbers[:2] == ["4207041002010001", "4207041002010002"]
    assert numbers[-1] == "4207041012010077"
    for number, rows in by_household(small.person_rows).items():
        assert {r[P_AREA] for r in rows} == {number[:12]}
        assert [r[P_PERSON] for r in rows] == [f"{number}{i:02d}" for i in range(1, len(rows) + 1)]


def test_it_gives_every_person_a_valid_unique_id_number_of_the_region(small):
    ids = [r[P_ID] for r in small.person_rows]

    assert all(idnumbers.validate(i) == i for i in ids)
    assert len(set(ids)) == len(ids)
    assert {i[:6] for i in ids} == {"420704", "420702", "420703"}
    assert sum(1 for i in ids if i[:6] == "420704") / len(ids) > 0.9


def test_it_issues_numbers_under_other_hubei_codes_once_a_birth_year_is_full(monkeypatch):
    """Regression: a registry of ~20 million persons stalled, drawing forever among the used numbers of
    the common birth years under 420704 (182,500 per code, birth year and sex)."""
    monkeypatch.setattr(demo, "FULL", 3)
    builder = demo._Builder(VILLAGES, 1, seed=1, years=(2024,))
    ids = [builder.id_number("420704", 1970, "男") for _ in range(8)]

    assert [i[:6] for i in ids] == ["420704"] * 3 + ["420700"] * 3 + ["420100"] * 2
    assert all(idnumbers.validate(i) == i and i[6:10] == "1970" and int(i[16]) % 2 == 1 for i in ids)
    assert len(set(ids)) == 8


def test_it_keeps_ids_unique_across_a_large_district(district):
    ids = [r[P_ID] for r in district.person_rows]

    assert len(set(ids)) == len(ids)


def test_it_gives_each_household_exactly_one_head_and_known_relations(small):
    for rows in by_household(small.person_rows).values():
        relations = [r[P_RELATION] for r in rows]
        assert relations[0] == "户主"
        assert relations.count("户主") == 1
        assert relations.count("配偶") <= 1
        assert set(relations) <= RELATIONS
        assert 1 <= len(rows) <= 7


def test_it_makes_spouses_of_the_opposite_sex_and_similar_age(district):
    couples = 0
    for rows in by_household(district.person_rows).values():
        head = rows[0]
        for spouse in (r for r in rows if r[P_RELATION] == "配偶"):
            couples += 1
            assert idnumbers.sex(spouse[P_ID]) != idnumbers.sex(head[P_ID])
            assert abs(age(spouse) - age(head)) <= 6
    assert couples > 1000


def test_it_makes_children_20_to_35_years_younger_than_the_head(district):
    for rows in by_household(district.person_rows).values():
        head = rows[0]
        for child in (r for r in rows if r[P_RELATION] in ("之子", "之女")):
            assert 20 <= age(head) - age(child) <= 35
            assert idnumbers.sex(child[P_ID]) == ("男" if child[P_RELATION] == "之子" else "女")


def test_it_fills_exactly_one_of_education_and_schooling(district):
    for row in district.person_rows:
        assert bool(row[P_EDUCATION]) != bool(row[P_SCHOOLING])
    students = [r for r in district.person_rows if r[P_SCHOOLING]]
    assert all(r[P_EDUCATION] == "" for r in students)
    assert {r[P_SCHOOLING] for r in district.person_rows if 6 <= age(r) <= 11} == {"小学"}
    assert {r[P_SCHOOLING] for r in district.person_rows if 12 <= age(r) <= 14} == {"初中"}
    assert {r[P_SCHOOLING] for r in district.person_rows if age(r) >= 22} == {""}


def test_it_sets_labour_capacity_and_work_by_age(district):
    rows = district.person_rows
    assert {r[P_LABOUR] for r in rows if age(r) < 16 or age(r) >= 70} == {"无劳动力"}
    working_age = [r for r in rows if 16 <= age(r) <= 64 and not r[P_SCHOOLING]]
    migrants = [r for r in working_age if r[P_EMPLOYMENT]]
    assert 0.33 <= len(migrants) / len(working_age) <= 0.47
    assert {r[P_EMPLOYMENT] for r in rows} == {"", "省外务工", "省内县外务工", "县内务工"}
    assert all(6 <= r[P_MONTHS] <= 12 for r in rows if r[P_EMPLOYMENT])
    assert all(r[P_MONTHS] == "" for r in rows if not r[P_EMPLOYMENT])


def test_it_gives_heads_a_mobile_phone(small):
    for rows in by_household(small.person_rows).values():
        assert re.fullmatch(r"1[3-9]\d{9}", rows[0][P_PHONE])
        assert all(r[P_PHONE] == "" for r in rows[1:])


def test_it_gives_lifted_households_a_lifted_year(district):
    heads = [r for r in district.person_rows if r[P_RELATION] == "户主"]
    lifted = [r for r in heads if r[P_KIND] == "脱贫户"]

    assert len(lifted) == 140
    assert {r[P_KIND] for r in heads} == {"一般农户", "脱贫户"}
    assert Counter(r[P_ATTRIBUTE] for r in lifted) == {
        "一般脱贫户": 116,
        "低保脱贫户": 20,
        "特困供养脱贫户": 4,
    }
    assert all(2014 <= r[P_LIFTED_YEAR] <= 2020 for r in lifted)
    assert all(r[P_LIFTED_YEAR] == r[P_ATTRIBUTE] == "" for r in heads if r[P_KIND] == "一般农户")


def test_it_gives_every_household_four_income_years_without_negative_amounts(small):
    incomes = by_household(small.income_rows, I_NUMBER)

    assert set(incomes) == set(by_household(small.person_rows))
    for rows in incomes.values():
        assert [r[I_YEAR] for r in rows] == [2021, 2022, 2023, 2024]
        for row in rows:
            amounts = row[I_WAGE : I_OUT_OF_POCKET + 1]
            assert all(
                isinstance(a, Decimal) and a >= 0 and a == a.quantize(Decimal("0.01")) for a in amounts
            )
            assert row[-1] == ""  # 人均纯收入 is left to the importer
    assert any(row[I_CLAIMS] > 0 for row in small.income_rows)
    assert any(row[I_COSTS] > 0 for row in small.income_rows)


def test_it_puts_a_few_percent_below_and_near_each_years_line(district):
    sizes = Counter(r[P_NUMBER] for r in district.person_rows)
    for year, line in LINES.items():
        per_capita = [
            demo.per_capita(r, sizes[r[I_NUMBER]]) for r in district.income_rows if r[I_YEAR] == year
        ]
        below = sum(1 for p in per_capita if p < line) / len(per_capita)
        near = sum(1 for p in per_capita if line <= p < line * Decimal("1.5")) / len(per_capita)
        assert 0.01 <= below <= 0.08, (year, below)
        assert 0.03 <= near <= 0.25, (year, near)


def test_it_computes_per_capita_like_the_importer():
    row = ["4207041002010001", 2024, *map(Decimal, ("10000", "5000", "300", "700", "2000", "0", "0")), ""]

    assert demo.per_capita(row, 3) == Decimal("4666.67")


def test_it_spreads_households_over_villages_exactly():
    import random

    counts = demo.village_counts(["a"] * 7, 1000, random.Random(5))

    assert sum(counts) == 1000
    assert min(counts) > 0


def test_it_refuses_more_households_than_village_serials():
    with pytest.raises(ValueError, match="最多生成9999户"):
        demo.generate(["420704100201"], 10_000)


def test_it_refuses_a_bad_village_code():
    with pytest.raises(ValueError, match="12位数字"):
        demo.generate(["4207041002"], 10)


def test_it_writes_csv_that_reads_back_as_the_same_rows(small):
    columns = [tabular.Column(str(i), h) for i, h in enumerate(demo.PERSON_HEADERS)]

    table = tabular.read_table(small.person_csv(), "演示.csv", columns=columns)

    assert len(table.rows) == 583
    first = table.rows[0].values
    assert [first[str(i)] for i in range(len(demo.PERSON_HEADERS))] == [
        "" if v == "" else str(v) for v in small.person_rows[0]
    ]


def test_it_writes_one_workbook_with_both_sheets(small, tmp_path):
    path = small.write_xlsx(tmp_path / "演示.xlsx")
    columns = [tabular.Column(str(i), h) for i, h in enumerate(demo.INCOME_HEADERS)]

    table = tabular.read_table(path.read_bytes(), path.name, sheet="家庭收入", columns=columns)

    assert table.sheet_name == "家庭收入"
    assert len(table.rows) == 800
    assert Decimal(table.rows[0].values["2"]) == small.income_rows[0][I_WAGE]


# —— Loading the demo ————————————————————————————————————————————————————————————————————————————————


def household_data(household: demo.DemoHousehold, area) -> HouseholdData:
    head = household.person_rows[0]
    return HouseholdData(
        number=household.number,
        area_id=area.pk,
        kind=HouseholdKind.LIFTED if head[P_KIND] == "脱贫户" else HouseholdKind.ORDINARY,
        lifted_year=head[P_LIFTED_YEAR] or None,
        lifted_attribute=head[P_ATTRIBUTE],
        members=[
            PersonData(
                id_number=r[P_ID],
                name=r[demo.P_NAME],
                relation=r[P_RELATION],
                health=r[demo.P_HEALTH],
                labour_capacity=r[P_LABOUR],
                external_id=r[P_PERSON],
                ethnicity=r[demo.P_ETHNICITY],
                political_status=r[demo.P_POLITICAL],
                education=r[P_EDUCATION],
                schooling=r[P_SCHOOLING],
                employment=r[P_EMPLOYMENT],
                months_worked=r[P_MONTHS] or None,
                phone=r[P_PHONE],
            )
            for r in household.person_rows
        ],
    )


@pytest.mark.django_db
def test_it_generates_households_the_registry_accepts(cast, village):
    for household in demo.iter_households([village.code], 20):
        register_household(
            cast["district_admin"], household_data(household, village), datetime.date(2024, 12, 31)
        )

    assert Household.objects.count() == 20
    assert Person.objects.count() == 61
    head = Person.objects.get(external_id="420704100201000101")
    assert (head.name, head.id_masked, head.sex, head.birth_date) == (
        "赵菊兰",
        "420704********4629",
        "女",
        datetime.date(1955, 12, 16),
    )


@pytest.mark.django_db
def test_it_refuses_to_load_without_demo_villages(county):
    admin = make_user("admin", Role.DISTRICT_ADMIN, county)

    with pytest.raises(ValidationError, match="没有演示村"):
        demo.load_demo_registry(admin, 10)

    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_it_reuses_demo_households_that_exist(cast, village):
    household = next(demo.iter_households([village.code], 1))
    register_household(
        cast["district_admin"], household_data(household, village), datetime.date(2024, 12, 31)
    )

    result = demo.load_demo_registry(cast["district_admin"], 10)

    assert result == {"skipped": True, "households": 1, "persons": 0, "income_rows": 0, "files": 0}
    assert Household.objects.count() == 1


TODAY = datetime.date(2026, 6, 15)
FROZEN = datetime.datetime(2026, 6, 15, 2, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_it_loads_the_demo_registry_through_the_importer(cast, village, other_village, settings, tmp_path):
    importing = pytest.importorskip("zhenxing.registry.importing")
    if not hasattr(importing, "commit_income"):
        pytest.skip("the importer's public functions are not there yet")
    settings.MEDIA_ROOT = tmp_path
    steps = []

    with time_machine.travel(FROZEN, tick=False):
        result = demo.load_demo_registry(
            cast["district_admin"], 40, progress=lambda done, total: steps.append(done)
        )

    expected = demo.generate([village.code, other_village.code], 40)
    assert result == {
        "skipped": False,
        "households": 40,
        "persons": len(expected.person_rows),
        "income_rows": 160,
        "files": 2,
        "work_changes": 3,
    }
    assert Household.objects.count() == 40
    assert Person.objects.count() == len(expected.person_rows)
    assert IncomeYear.objects.count() == 160
    assert steps[-1] == len(expected.person_rows) + 160
    sizes = Counter(r[P_NUMBER] for r in expected.person_rows)
    for row in expected.income_rows[:8]:
        income = IncomeYear.objects.get(household__number=row[I_NUMBER], year=row[I_YEAR])
        assert income.household_size == sizes[row[I_NUMBER]]
        assert income.net_income_per_capita == demo.per_capita(row, sizes[row[I_NUMBER]])
    heads = [r for r in expected.person_rows if r[P_RELATION] == "户主"]
    lifted = Household.objects.filter(kind=HouseholdKind.LIFTED).order_by("number")
    assert [(h.number, h.lifted_year, h.lifted_attribute) for h in lifted] == [
        (r[P_NUMBER], r[P_LIFTED_YEAR], r[P_ATTRIBUTE]) for r in heads if r[P_KIND] == "脱贫户"
    ]
    # Registered long before today (the as-of history starts then), but nobody before their birth.
    youngest = defaultdict(lambda: demo.REGISTERED_ON)
    for row in expected.person_rows:
        youngest[row[P_NUMBER]] = max(youngest[row[P_NUMBER]], idnumbers.birth_date(row[P_ID]))
    registered = dict(
        HouseholdEvent.objects.filter(kind=HouseholdEvent.Kind.REGISTERED).values_list(
            "household__number", "effective_date"
        )
    )
    assert registered == {number: youngest[number] for number in by_household(expected.person_rows)}
    assert Counter(d == datetime.date(2021, 1, 1) for d in registered.values()) == {True: 39, False: 1}
    for membership in Membership.objects.select_related("household"):
        assert membership.start_date == registered[membership.household.number]
    # The 务工状况 changes: dated within the year before TODAY, each with the member's state after it.
    edits = HouseholdEvent.objects.filter(kind=HouseholdEvent.Kind.MEMBER_EDITED).order_by("id")
    assert [(e.data["fields"], e.source) for e in edits] == [(["employment", "months_worked"], "cli")] * 3
    assert all(datetime.date(2025, 6, 15) < e.effective_date < TODAY for e in edits)
    for event in edits:
        person = Person.objects.get(pk=event.data["person"])
        member = next(m for m in event.snapshot["members"] if m["person"] == person.pk)
        assert (member["employment"], member["months_worked"]) == (person.employment, person.months_worked)
        assert event.data["changes"]["employment"][1] == person.employment


@pytest.mark.django_db
def test_the_importer_refuses_a_registration_date_in_the_future(cast, village):
    from zhenxing.registry import importing

    rows = demo.generate([village.code], 3).person_rows
    plan = importing.validate_households(tabular.write_csv(demo.PERSON_HEADERS, rows), "演示.csv", village)

    with pytest.raises(ValidationError, match="晚于今天"):
        importing.commit_households(
            cast["district_admin"], plan, registered_on=timezone.localdate() + datetime.timedelta(days=1)
        )

    assert Household.objects.count() == 0
    assert HouseholdEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_demo_shows_last_years_migrant_work_and_flags_townships_with_fewer(county, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for code, name in (
        ("420704100201", "新港村"),
        ("420704101201", "杜山村"),
        ("420704102201", "新庙村"),
        ("420704103201", "碧石村"),
    ):
        parent = Area.objects.get(code=code[:9])
        Area.objects.create(code=code, name=name, level=Level.VILLAGE, parent=parent, is_demo=True)
    admin = make_user("admin", Role.DISTRICT_ADMIN, county)

    with time_machine.travel(FROZEN, tick=False):
        result = demo.load_demo_registry(admin, 600)
        data = figures.employment(figures.Frame(user=admin, area=county, as_of=TODAY, today=TODAY))

    assert result["work_changes"] == 9
    rows = {
        r["area"].name: (
            r["last"]["labour"],
            r["last"]["migrants"]["value"],
            r["this"]["migrants"]["value"],
            r["lower"],
        )
        for r in data["rows"]
        if r["last"]["labour"] or r["this"]["labour"]
    }
    # (脱贫劳动力 a year ago, 外出务工 a year ago, 外出务工 today, flagged lower)
    assert rows == {
        "泽林镇": (41, 14, 13, True),
        "杜山镇": (18, 8, 10, False),
        "新庙镇": (21, 10, 12, False),
        "碧石渡镇": (28, 12, 10, True),
    }
    assert (data["total"]["last"]["migrants"]["value"], data["total"]["this"]["migrants"]["value"]) == (
        44,
        45,
    )
    assert data["lower"] == 2
