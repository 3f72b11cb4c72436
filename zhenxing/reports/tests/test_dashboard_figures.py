"""Every dashboard figure against the answers known from a small fixture, at two as-of dates, and every
figure's link against the count its list shows.

The fixture (built once for the module, rolled back after it): 泽林镇 with 新港村 (V1) and 新港二村 (V2),
杜山镇 with 杜山村 (V3) and 杜山二村 (V4); seven households registered on 2024-01-01; six monitoring cases with
dated announcements, eliminations, a rollback and a relapse; five warnings; four 2025 projects. Today is
frozen at 2026-03-02. The two as-of dates are A = 2025-06-30 and B = 2025-12-31.

    household  village  kind      members (labour, 务工状况)                         case
    h1         V1       脱贫户    普通·省外, 普通·未务工, 无劳动力                        c1 脱贫不稳定户 因病, announced 2025-02-10
    h2         V1       一般农户  2                                                  c2 边缘易致贫户 因学, 2025-05-20, eliminated 2025-09-15
    h3         V1       脱贫户    技能·省内县外 → 未务工 on 2024-09-01, 普通·未务工      —
    h4         V2       一般农户  1                                                  c3 突发严重困难户 因灾, 2025-08-05
    h5         V3       脱贫户    普通·乡镇内 → 省外 on 2025-01-10, 弱·省外             c4 脱贫不稳定户 因病, 2024-11-10, eliminated
                                                                                  2025-04-01, rolled back 2025-10-01
    h6         V3       一般农户  3                                                  c5a 2024-05-01, eliminated 2024-12-01;
                                                                                  c5b relapse 因意外事故 2025-07-10
    h7         V4       脱贫户    丧失劳动力                                          c6 in identification since 2025-11-20
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from conftest import make_user
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Measure,
    MeasureCategory,
    MeasureStatus,
    MonitoringType,
    Procedure,
    RiskType,
    Step,
)
from zhenxing.funds import actions as funds
from zhenxing.funds.models import Category, FundSource
from zhenxing.funds.tests.conftest import library_project, project_data
from zhenxing.lib import idnumbers
from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.resolve import policy_for
from zhenxing.registry import queries as registry
from zhenxing.registry.actions import (
    HouseholdData,
    PersonData,
    edit_person,
    record_income,
    register_household,
)
from zhenxing.registry.models import Household, HouseholdKind, Person
from zhenxing.reports.dashboards import figures
from zhenxing.screening.colour import risk_colours
from zhenxing.screening.models import ScreeningRun, Warning, WarningResult, WarningStatus

D = datetime.date
TODAY = D(2026, 3, 2)
A, B = D(2025, 6, 30), D(2025, 12, 31)
ZELIN, DUSHAN = "420704100", "420704101"
V1, V2, V3, V4 = "420704100201", "420704100202", "420704101201", "420704101202"
FROZEN = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
LIFTED, ORDINARY = HouseholdKind.LIFTED, HouseholdKind.ORDINARY


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(FROZEN, tick=False):
        yield


_sequence = iter(range(1, 999, 2))


def person(name, relation, labour="普通劳动力", employment="未务工") -> PersonData:
    months = 10 if employment != "未务工" else None
    return PersonData(
        id_number=idnumbers.make("420704", D(1980, 1, 1), next(_sequence)),
        name=name,
        relation=relation,
        health="健康",
        labour_capacity=labour,
        employment=employment,
        months_worked=months,
    )


def household(number, code, kind, *members) -> Household:
    area = Area.objects.get(code=code)
    return register_household(None, HouseholdData(number, area.pk, kind, list(members)), D(2024, 1, 1))


def income(h, per_capita: str, year: int = 2024) -> None:
    wage = str(Decimal(per_capita) * h.member_count)
    amounts = {"wage_income": wage, "business_income": "0", "property_income": "0", "transfer_income": "0"}
    record_income(None, h, year, {**amounts, "production_costs": "0"})


def case(h, number, status, opened, *, kind="", risk="", announced=None, stage=Step.DONE, due=None, **kw):
    return Case.objects.create(
        number=number,
        household=h,
        area=h.area,
        status=status,
        is_open=status in (CaseStatus.IDENTIFYING, CaseStatus.MONITORED, CaseStatus.ELIMINATING),
        procedure=Procedure.IDENTIFICATION,
        stage=stage,
        stage_since=opened,
        stage_due=due,
        monitoring_type=kind,
        main_risk=risk,
        risk_types=[risk] if risk else [],
        identified_on=announced - datetime.timedelta(days=1) if announced else None,
        announced_on=announced,
        opened_on=opened,
        **kw,
    )


def event(c, kind, day) -> None:
    CaseEvent.objects.create(case=c, household=c.household, area=c.area, kind=kind, effective_date=day)


def measure(c, category, start, status, user) -> None:
    Measure.objects.create(
        case=c,
        household=c.household,
        area=c.area,
        category=category,
        content="措施",
        responsible="区直单位",
        start_date=start,
        status=status,
        created_by=user,
    )


def warning(number, h, department, raised, due, run, closed=None) -> Warning:
    return Warning.objects.create(
        number=number,
        rule="medical_self_pay",
        rule_version=1,
        policy_version=PolicyVersion.objects.first(),
        household=h,
        area=h.area,
        period="2025",
        risk_type="因病",
        department=department,
        first_run=run,
        status=WarningStatus.CLOSED if closed else WarningStatus.NEW,
        raised_on=raised,
        due=due,
        closed_on=closed,
        result=WarningResult.EXCLUDE if closed else "",
    )


def build() -> dict:
    county = Area.objects.get(code="420704")
    villages = {}
    for code, name in ((V1, "新港村"), (V2, "新港二村"), (V3, "杜山村"), (V4, "杜山二村")):
        villages[code] = Area.objects.create(
            code=code, name=name, level=Level.VILLAGE, parent=Area.objects.get(code=code[:9]), is_demo=True
        )
    cast = {
        "district_officer": make_user("officer", Role.DISTRICT_OFFICER, county),
        "department_clerk": make_user("clerk", Role.DEPARTMENT_CLERK, county, "medical"),
        "township_officer": make_user("zelin", Role.TOWNSHIP_OFFICER, Area.objects.get(code=ZELIN)),
        "village_cadre": make_user("xingang", Role.VILLAGE_CADRE, villages[V1]),
        "outside_township_officer": make_user("dushan", Role.TOWNSHIP_OFFICER, Area.objects.get(code=DUSHAN)),
        "outside_village_cadre": make_user("dushancun", Role.VILLAGE_CADRE, villages[V3]),
    }
    h1 = household(
        "H1",
        V1,
        LIFTED,
        person("甲一", "户主", employment="省外务工"),
        person("甲二", "配偶"),
        person("甲三", "之子", labour="无劳动力"),
    )
    h2 = household("H2", V1, ORDINARY, person("乙一", "户主"), person("乙二", "配偶"))
    h3 = household(
        "H3",
        V1,
        LIFTED,
        person("丙一", "户主", labour="技能劳动力", employment="省内县外务工"),
        person("丙二", "配偶"),
    )
    h4 = household("H4", V2, ORDINARY, person("丁一", "户主"))
    h5 = household(
        "H5",
        V3,
        LIFTED,
        person("戊一", "户主", employment="乡镇内务工"),
        person("戊二", "配偶", labour="弱劳动力或半劳动力", employment="省外务工"),
    )
    h6 = household("H6", V3, ORDINARY, person("己一", "户主"), person("己二", "配偶"), person("己三", "之女"))
    h7 = household("H7", V4, LIFTED, person("庚一", "户主", labour="丧失劳动力"))
    edit_person(
        None,
        h3,
        Person.objects.get(name="丙一"),
        {"employment": "未务工", "months_worked": None},
        D(2024, 9, 1),
    )
    edit_person(
        None,
        h5,
        Person.objects.get(name="戊一"),
        {"employment": "省外务工", "months_worked": 10},
        D(2025, 1, 10),
    )
    for h, per_capita in (
        (h1, "5000"),
        (h2, "10000"),
        (h3, "20000"),
        (h4, "8300"),
        (h5, "12450"),
        (h6, "7000"),
    ):
        income(h, per_capita)

    cadre = cast["village_cadre"]
    M, E, IDENT = CaseStatus.MONITORED, CaseStatus.ELIMINATED, CaseStatus.IDENTIFYING
    ul, mg, sh = MonitoringType.UNSTABLE_LIFTED, MonitoringType.MARGINAL, MonitoringType.SUDDEN_HARDSHIP
    c1 = case(h1, "C1", M, D(2025, 1, 20), kind=ul, risk=RiskType.ILLNESS, announced=D(2025, 2, 10))
    c2 = case(
        h2,
        "C2",
        E,
        D(2025, 5, 1),
        kind=mg,
        risk=RiskType.EDUCATION,
        announced=D(2025, 5, 20),
        eliminated_on=D(2025, 9, 15),
    )
    c3 = case(h4, "C3", M, D(2025, 7, 20), kind=sh, risk=RiskType.DISASTER, announced=D(2025, 8, 5))
    c4 = case(
        h5, "C4", M, D(2024, 10, 20), kind=ul, risk=RiskType.ILLNESS, announced=D(2024, 11, 10), rollbacks=1
    )
    c5a = case(
        h6,
        "C5A",
        E,
        D(2024, 4, 10),
        kind=mg,
        risk=RiskType.ILLNESS,
        announced=D(2024, 5, 1),
        eliminated_on=D(2024, 12, 1),
    )
    c5b = case(
        h6,
        "C5B",
        M,
        D(2025, 6, 20),
        kind=mg,
        risk=RiskType.ACCIDENT,
        announced=D(2025, 7, 10),
        is_relapse=True,
        previous_case=c5a,
    )
    case(
        h7, "C6", IDENT, D(2025, 11, 20), stage=Step.HOME_CHECK, due=D(2025, 11, 25), total_due=D(2025, 12, 5)
    )
    for c in (c1, c2, c3, c4, c5a, c5b):
        event(c, CaseEvent.Kind.MONITORED, c.announced_on)
    event(c2, CaseEvent.Kind.ELIMINATED, D(2025, 9, 15))
    event(c4, CaseEvent.Kind.ELIMINATED, D(2025, 4, 1))
    event(c4, CaseEvent.Kind.ROLLED_BACK, D(2025, 10, 1))
    event(c5a, CaseEvent.Kind.ELIMINATED, D(2024, 12, 1))
    measure(c1, MeasureCategory.HEALTH, D(2025, 2, 15), MeasureStatus.IN_PROGRESS, cadre)
    measure(c2, MeasureCategory.EDUCATION, D(2025, 5, 25), MeasureStatus.DONE, cadre)
    measure(c4, MeasureCategory.INDUSTRY, D(2024, 12, 1), MeasureStatus.IN_PROGRESS, cadre)
    measure(c5b, MeasureCategory.SOCIAL, D(2025, 7, 15), MeasureStatus.PLANNED, cadre)
    measure(c5b, MeasureCategory.EMPLOYMENT, D(2026, 1, 5), MeasureStatus.IN_PROGRESS, cadre)
    for h, status in (
        (h1, "monitored"),
        (h4, "monitored"),
        (h5, "monitored"),
        (h6, "monitored"),
        (h2, "eliminated"),
    ):
        Household.objects.filter(pk=h.pk).update(monitoring_status=status)

    run = ScreeningRun.objects.create(as_of=D(2025, 3, 1), status=ScreeningRun.Status.DONE)
    warning("YJ1", h2, "medical", D(2025, 3, 10), D(2025, 3, 24), run, closed=D(2025, 3, 20))
    warning("YJ2", h3, "education", D(2025, 5, 5), D(2025, 5, 19), run)
    warning("YJ3", h5, "", D(2025, 6, 20), D(2025, 7, 4), run, closed=D(2025, 8, 1))
    warning("YJ4", h6, "medical", D(2025, 9, 1), D(2025, 9, 15), run)
    warning("YJ5", h4, "medical", D(2024, 12, 20), D(2025, 1, 3), run, closed=D(2025, 1, 10))

    officer = cast["district_officer"]

    def project(area, name, category, amounts, leading):
        return library_project(
            cast,
            villages[area],
            year=2025,
            name=name,
            category=category,
            amounts=amounts,
            is_leading_industry=leading,
            period_start=D(2025, 3, 1),
            period_end=D(2025, 11, 30),
        )

    p1 = project(
        V1,
        "茶园",
        Category.INDUSTRY,
        {FundSource.CENTRAL: Decimal("100000"), FundSource.PROVINCIAL: Decimal("20000")},
        True,
    )
    p2 = project(V3, "道路", Category.INFRASTRUCTURE, {FundSource.CENTRAL: Decimal("50000")}, False)
    p3 = project(V3, "养殖", Category.INDUSTRY, {FundSource.CENTRAL: Decimal("40000")}, False)
    funds.propose_project(cadre, project_data(villages[V1], year=2025, name="待审项目"))
    funds.add_allocation(officer, 2025, FundSource.CENTRAL, "200000", "鄂财1号", D(2025, 1, 5))
    funds.add_allocation(officer, 2025, FundSource.PROVINCIAL, "20000", "鄂财2号", D(2025, 1, 5))
    for p, source, amount in (
        (p1, FundSource.CENTRAL, "100000"),
        (p1, FundSource.PROVINCIAL, "20000"),
        (p2, FundSource.CENTRAL, "50000"),
        (p3, FundSource.CENTRAL, "40000"),
    ):
        funds.set_plan_item(officer, 2025, p, source, amount)
    for p, source, day, amount in (
        (p1, FundSource.CENTRAL, D(2025, 4, 10), "30000"),
        (p1, FundSource.CENTRAL, D(2025, 8, 20), "30000"),
        (p1, FundSource.PROVINCIAL, D(2025, 10, 5), "10000"),
        (p2, FundSource.CENTRAL, D(2025, 5, 15), "20000"),
    ):
        funds.record_disbursement(officer, p, 2025, source, day, amount, f"V{day:%m%d}")
    funds.start_project(officer, p3, D(2025, 5, 1))
    return {"cast": cast, "households": {f"h{i}": h for i, h in enumerate((h1, h2, h3, h4, h5, h6, h7), 1)}}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), time_machine.travel(FROZEN, tick=False), transaction.atomic():
        yield build()
        transaction.set_rollback(True)


def frame(user, day, code=None) -> figures.Frame:
    area = Area.objects.get(code=code) if code else user.area
    return figures.Frame(user=user, area=area, as_of=day, today=TODAY)


def values(items) -> list:
    return [f["value"] for f in items]


def by_area(rows, key) -> dict:
    return {r["area"].code: r[key]["value"] for r in rows if r[key]["value"]}


# —— The figures at A and B ——————————————————————————————————————————————————————————————————————————


@pytest.mark.django_db
def test_it_counts_monitored_households_flows_and_relapses_at_two_dates(world):
    officer = world["cast"]["district_officer"]
    a, b = figures.monitoring(frame(officer, A)), figures.monitoring(frame(officer, B))

    assert (
        a["households"]["value"],
        a["members"]["value"],
        b["households"]["value"],
        b["members"]["value"],
    ) == (2, 5, 4, 9)
    assert [(t["value"], t["members"]) for t in a["types"]] == [(1, 3), (1, 2), (0, 0)]
    assert [(t["value"], t["members"]) for t in b["types"]] == [(2, 5), (1, 3), (1, 1)]
    assert [(r["label"], r["value"]) for r in a["risks"]] == [("因病", 1), ("因学", 1)]
    assert [(r["label"], r["value"]) for r in b["risks"]] == [("因病", 2), ("因灾", 1), ("因意外事故", 1)]
    assert (a["eliminated"]["value"], a["share"], b["eliminated"]["value"], b["share"]) == (
        2,
        Decimal("50.0"),
        1,
        Decimal("20.0"),
    )
    assert [a["relapses"]["total"]["value"], a["relapses"]["year"]["value"]] == [0, 0]
    assert [b["relapses"]["total"]["value"], b["relapses"]["year"]["value"]] == [1, 1]
    assert by_area(a["rows"], "households") == {ZELIN: 2}
    assert by_area(b["rows"], "households") == {ZELIN: 2, DUSHAN: 2}
    assert by_area(a["rows"], "eliminated") == {DUSHAN: 2}
    assert by_area(b["rows"], "eliminated") == {ZELIN: 1}
    months_a = {m["month"]: (m["new"]["value"], m["eliminated"]["value"]) for m in a["months"]}
    assert (list(months_a)[0], list(months_a)[-1]) == ("2024-07", "2025-06")
    assert {k: v for k, v in months_a.items() if v != (0, 0)} == {
        "2024-11": (1, 0),
        "2024-12": (0, 1),
        "2025-02": (1, 0),
        "2025-04": (0, 1),
        "2025-05": (1, 0),
    }
    months_b = {m["month"]: (m["new"]["value"], m["eliminated"]["value"]) for m in b["months"]}
    assert {k: v for k, v in months_b.items() if v != (0, 0)} == {
        "2025-02": (1, 0),
        "2025-04": (0, 1),
        "2025-05": (1, 0),
        "2025-07": (1, 0),
        "2025-08": (1, 0),
        "2025-09": (0, 1),
    }


@pytest.mark.django_db
def test_it_counts_colours_today_and_incomes_of_the_year_before(world):
    officer = world["cast"]["district_officer"]
    a = figures.households(frame(officer, A))

    assert values(a["colours"]["totals"]) == [3, 3, 1]
    assert {
        r["area"].code: values(r["colours"])
        for r in a["colours"]["rows"]
        if r["area"].code in (ZELIN, DUSHAN)
    } == {
        ZELIN: [1, 2, 1],
        DUSHAN: [2, 1, 0],
    }
    assert a["income"]["year"] == 2024 and a["income"]["line"] == Decimal("8300.00")
    assert [(b["total"]["value"], values(b["kinds"])) for b in a["income"]["bands"]] == [
        (2, [1, 1]),
        (2, [0, 2]),
        (2, [2, 0]),
    ]


@pytest.mark.django_db
def test_an_earlier_year_is_read_from_its_incomes_and_the_latest_from_the_households(world):
    """The latest year's distribution counts the incomes copied onto the households; once a later year has
    incomes, an as-of date in an earlier year counts that year's own incomes (the same figures as before)."""
    officer, h = world["cast"]["district_officer"], world["households"]
    line = policy_for(2025)["monitoring_line"]
    income(h["h3"], str(line - 1), 2025)  # 脱贫户, below the 2025 line
    income(h["h6"], str(line * 2), 2025)  # 一般农户, above 1.5 × the line

    earlier = figures.households(frame(officer, A))["income"]
    assert earlier["year"] == 2024
    assert [(b["total"]["value"], values(b["kinds"])) for b in earlier["bands"]] == [
        (2, [1, 1]),
        (2, [0, 2]),
        (2, [2, 0]),
    ]
    latest = figures.households(frame(officer, TODAY))["income"]
    assert (latest["year"], latest["line"]) == (2025, line)
    assert [(b["total"]["value"], values(b["kinds"])) for b in latest["bands"]] == [
        (1, [1, 0]),
        (0, [0, 0]),
        (1, [0, 1]),
    ]


@pytest.mark.django_db
def test_the_sql_colour_agrees_with_the_colour_of_each_household(world):
    today = TODAY
    expected = {
        pk: colour
        for pk, (colour, _) in risk_colours(Household.objects.values_list("pk", flat=True), today).items()
    }
    got = {}
    for colour in registry.COLOURS:
        for pk in Household.objects.filter(registry.colour_q(colour, today)).values_list("pk", flat=True):
            got[pk] = colour
    assert got == expected


@pytest.mark.django_db
def test_today_the_cases_status_gives_exactly_the_dated_reconstruction(world):
    """`monitored_on` / `eliminated_on` read today's state from the status (fast); for any earlier day from
    the dated events. On the frozen today both must name the same cases (the world has a rollback, a relapse,
    an elimination in progress and cases still in identification)."""
    from django.db.models import Exists, OuterRef

    from zhenxing.cases import queries as case_queries

    with time_machine.travel(FROZEN, tick=False):
        fast_monitored = set(
            case_queries.monitored_on(Case.objects.all(), TODAY).values_list("pk", flat=True)
        )
        fast_eliminated = set(
            case_queries.eliminated_on(Case.objects.all(), TODAY).values_list("pk", flat=True)
        )
    dated = case_queries.eliminated_cases_on(TODAY)
    relapsed = Case.objects.filter(
        household=OuterRef("household"), pk__gt=OuterRef("pk"), announced_on__lte=TODAY
    )
    slow_monitored = set(
        Case.objects.filter(announced_on__lte=TODAY).exclude(pk__in=dated).values_list("pk", flat=True)
    )
    slow_eliminated = set(
        Case.objects.filter(pk__in=dated).exclude(Exists(relapsed)).values_list("pk", flat=True)
    )
    assert fast_monitored == slow_monitored
    assert fast_eliminated == slow_eliminated
    assert (len(fast_monitored), len(fast_eliminated)) == (4, 1)
    # …and the monitored persons today (the households' member count) equal the dated memberships'
    officer = world["cast"]["district_officer"]
    with time_machine.travel(FROZEN, tick=False):
        today = figures.monitoring(frame(officer, TODAY))
        day_before = figures.monitoring(frame(officer, TODAY - datetime.timedelta(days=1)))
    assert today["members"]["value"] == day_before["members"]["value"] == 9


@pytest.mark.django_db
def test_it_counts_warnings_by_department_and_township_at_two_dates(world):
    officer = world["cast"]["district_officer"]
    a, b = figures.warnings(frame(officer, A)), figures.warnings(frame(officer, B))

    def table(lines):
        return {
            line["label"]: (
                line["received"]["value"],
                line["closed"]["value"],
                line["overdue"]["value"],
                line["average_days"],
            )
            for line in lines
            if line["received"]["value"] or line["closed"]["value"] or line["overdue"]["value"]
        }

    assert table([a["total"]]) == {"合计": (3, 2, 1, Decimal("15.5"))}
    assert table([b["total"]]) == {"合计": (4, 3, 2, Decimal("24.3"))}
    assert table(a["departments"]) == {
        "医保局": (1, 2, 0, Decimal("15.5")),
        "教育局": (1, 0, 1, None),
        "农户台账收入": (1, 0, 0, None),
    }
    assert table(b["departments"]) == {
        "医保局": (2, 2, 1, Decimal("15.5")),
        "教育局": (1, 0, 1, None),
        "农户台账收入": (1, 1, 0, Decimal("42.0")),
    }
    assert table(a["rows"]) == {"泽林镇": (2, 2, 1, Decimal("15.5")), "杜山镇": (1, 0, 0, None)}
    assert table(b["rows"]) == {"泽林镇": (2, 2, 1, Decimal("15.5")), "杜山镇": (2, 1, 1, Decimal("42.0"))}


@pytest.mark.django_db
def test_it_counts_measures_and_their_coverage_at_two_dates(world):
    officer = world["cast"]["district_officer"]
    a, b = figures.work(frame(officer, A)), figures.work(frame(officer, B))

    def measures(data):
        return {m["label"]: m["value"] for m in data["measures"] if m["value"]}

    assert measures(a) == {"健康帮扶": 1, "教育帮扶": 1}
    assert measures(b) == {"产业帮扶": 1, "健康帮扶": 1}
    coverage = [
        (
            d["coverage"]["households"]["value"],
            d["coverage"]["covered"]["value"],
            d["coverage"]["uncovered"]["value"],
            d["coverage"]["share"],
        )
        for d in (a, b)
    ]
    assert coverage == [(2, 2, 0, Decimal("100.0")), (4, 2, 2, Decimal("50.0"))]
    # 督办 is today's: the case in identification is past its step deadline and past the 15-day limit.
    totals = a["board"]["totals"]
    assert (totals["overdue"].value, totals["total_overdue"].value, totals["visits_overdue"].value) == (
        1,
        1,
        4,
    )


@pytest.mark.django_db
def test_it_compares_migrant_work_with_the_same_day_a_year_before(world):
    officer = world["cast"]["district_officer"]

    def table(data):
        return {
            r["area"].code: (
                r["last"]["labour"],
                r["last"]["migrants"]["value"],
                r["this"]["labour"],
                r["this"]["migrants"]["value"],
                r["lower"],
            )
            for r in data["rows"]
            if r["this"]["labour"] or r["last"]["labour"]
        }

    a, b = figures.employment(frame(officer, A)), figures.employment(frame(officer, B))
    assert (a["this_day"], a["last_day"]) == (A, D(2024, 6, 30))
    assert table(a) == {ZELIN: (4, 2, 4, 1, True), DUSHAN: (2, 1, 2, 2, False)}
    assert table(b) == {ZELIN: (4, 1, 4, 1, False), DUSHAN: (2, 1, 2, 2, False)}
    assert (a["total"]["this"]["migrants"]["households"], a["total"]["last"]["migrants"]["households"]) == (
        2,
        3,
    )
    assert a["lower"] == 1 and b["lower"] == 0
    before = figures.employment(frame(officer, D(2023, 12, 31)))  # before registration: nothing
    assert before["total"]["this"]["labour"] == 0


@pytest.mark.django_db
def test_it_sums_funds_against_the_checkpoints_at_two_dates(world):
    officer = world["cast"]["district_officer"]
    a, b = figures.funds(frame(officer, A)), figures.funds(frame(officer, B))

    def sources(data):
        return [(s["row"].label, s["row"].planned, s["row"].paid, s["row"].percent) for s in data["sources"]]

    assert (a["year"], a["required"], b["required"]) == (2025, Decimal("55"), Decimal("80"))
    assert sources(a) == [
        ("中央衔接资金", Decimal("190000.00"), Decimal("50000.00"), Decimal("26.31")),
        ("省级衔接资金", Decimal("20000.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert sources(b) == [
        ("中央衔接资金", Decimal("190000.00"), Decimal("80000.00"), Decimal("42.10")),
        ("省级衔接资金", Decimal("20000.00"), Decimal("10000.00"), Decimal("50.00")),
    ]
    assert [(s["value"], s["projects"], s["met"]) for s in a["shares"]] == [
        (Decimal("73.68"), 2, True),
        (Decimal("75.00"), 1, True),
    ]
    assert {s["label"]: s["value"] for s in a["statuses"] if s["value"]} == {
        "村申报（待乡镇审核）": 1,
        "已入库": 3,
    }
    assert {p["label"]: p["value"] for p in a["progresses"] if p["value"]} == {"未开工": 2, "在建": 1}
    assert [(t["label"], t["planned"], t["paid"]) for t in a["townships"]] == [
        ("泽林镇", Decimal("120000.00"), Decimal("30000.00")),
        ("杜山镇", Decimal("90000.00"), Decimal("20000.00")),
    ]


# —— Scope: each user sees their area; drilling down equals the local user's own view ——————————————————


@pytest.mark.django_db
def test_a_township_officer_and_a_village_cadre_see_only_their_area(world, client):
    cast = world["cast"]
    zelin, cadre, officer = cast["township_officer"], cast["village_cadre"], cast["district_officer"]
    own = figures.monitoring(frame(zelin, B))
    assert (own["households"]["value"], own["eliminated"]["value"]) == (2, 1)
    assert by_area(own["rows"], "households") == {V1: 1, V2: 1}
    assert figures.monitoring(frame(officer, B, ZELIN))["rows"] == own["rows"]
    village = figures.monitoring(frame(cadre, B))
    assert (village["households"]["value"], [r["area"].code for r in village["rows"]]) == (1, [V1])
    assert figures.warnings(frame(cadre, A))["total"]["received"]["value"] == 2
    assert figures.employment(frame(cadre, A))["total"]["this"]["labour"] == 4
    assert [s["row"].planned for s in figures.funds(frame(cadre, B))["sources"]] == [
        Decimal("100000.00"),
        Decimal("20000.00"),
    ]

    client.force_login(zelin)
    url = reverse("reports:dashboard")
    assert client.get(url, {"area": DUSHAN}).status_code == 404
    assert client.get(url, {"area": V3, "section": "warnings"}).status_code == 404
    assert client.get(url, {"area": V1}).status_code == 200
    client.force_login(cadre)
    assert client.get(url, {"area": V2}).status_code == 404
    assert client.get(url, {"area": ZELIN}).status_code == 404


# —— Every number links to the list it counts ————————————————————————————————————————————————————————


def linked(data):
    """Every figure with a link in a section's data: dicts from `figures.fig` and the board's tallies."""
    if isinstance(data, dict):
        if {"value", "url"} <= set(data) and data["url"]:
            yield data
        for value in data.values():
            yield from linked(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from linked(value)
    elif hasattr(data, "url") and hasattr(data, "value"):
        yield {"value": data.value, "url": data.url}
    elif hasattr(data, "__dataclass_fields__"):
        for name in data.__dataclass_fields__:
            yield from linked(getattr(data, name))


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    if "totals" in response.context:
        return response.context["totals"]["count"]
    return response.context["page"].paginator.count


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["district_officer", "township_officer"])
def test_every_figure_links_to_a_list_showing_its_count(world, client, user):
    """Every non-zero count opens a list with exactly that many rows (households for the figures of persons,
    which show their households beside them; projects for the funds shares): the district at both dates,
    the township at B (zeros are skipped: an empty list proves little and costs a request each)."""
    person = world["cast"][user]
    client.force_login(person)
    sections = (figures.monitoring, figures.warnings, figures.work, figures.employment, figures.funds)
    checked = set()
    for day in (A, B) if user == "district_officer" else (B,):
        for section in sections:
            for figure in linked(section(frame(person, day))):
                expected = figure.get("households", figure.get("projects", figure["value"]))
                if not isinstance(expected, int) or expected == 0 or figure["url"] in checked:
                    continue
                assert listed(client, figure["url"]) == expected, figure
                checked.add(figure["url"])
    assert len(checked) > (60 if user == "district_officer" else 25)


@pytest.mark.django_db
def test_the_funds_progress_link_shows_the_same_sums(world, client):
    officer = world["cast"]["district_officer"]
    client.force_login(officer)
    data = figures.funds(frame(officer, A))
    response = client.get(data["progress_url"])
    assert [(r.label, r.planned, r.paid) for r in response.context["rows"]] == [
        (s["row"].label, s["row"].planned, s["row"].paid) for s in data["sources"]
    ]
