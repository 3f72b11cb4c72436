"""Each default rule and discrepancy check at its boundaries, on small hand-written snapshots (DuckDB)."""

from datetime import date

import pytest

from zhenxing.screening.engine.defaults import default_params
from zhenxing.screening.engine.run import Hit, run
from zhenxing.screening.engine.testing import SnapshotBuilder

AS_OF = date(2024, 11, 30)
WINDOW_12 = "2023-12-01至2024-11-30"


def screen(
    snap: SnapshotBuilder, tmp_path, *rules: str, as_of: date = AS_OF, params=None, **kwargs
) -> list[Hit]:
    directory = snap.write(tmp_path / "snapshot")
    return run(directory, params or default_params(), as_of, rules=list(rules), **kwargs).hits


def keys(hits: list[Hit]) -> list[tuple[str, int, str]]:
    return [h.identity for h in hits]


def lifted(snap: SnapshotBuilder, household_id: int, *person_ids: int, **kwargs) -> None:
    snap.household(household_id, kind="lifted", **kwargs)
    for person_id in person_ids:
        snap.person(person_id, household_id)


# --- medical ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("second, warns", [("2000.00", True), ("1999.99", False)])
def test_medical_lifted_warns_at_5000_and_not_one_cent_below(tmp_path, second, warns):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11)
    snap.row("medical", 11, settlement_date="2024-03-01", self_pay="3000.00")
    snap.row("medical", 11, settlement_date="2024-10-15", self_pay=second)

    hits = screen(snap, tmp_path, "medical_lifted")

    expected = Hit(
        rule="medical_lifted",
        rule_version=1,
        kind="warning",
        risk_type="因病",
        household_id=1,
        person_id=11,
        person_ids=(11,),
        period="2024",
        values={"个人自付合计": "5000.00", "预警线": "5000.00", "统计期": WINDOW_12},
        feed_row_ids=(("medical", 1), ("medical", 2)),
    )
    assert hits == ([expected] if warns else [])


@pytest.mark.parametrize("amount, warns", [("20000.00", True), ("19999.99", False)])
def test_medical_other_warns_at_20000(tmp_path, amount, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row("medical", 11, settlement_date="2024-06-01", self_pay=amount)

    hits = screen(snap, tmp_path, "medical_other", "medical_lifted")

    assert [(h.rule, h.values["个人自付合计"]) for h in hits] == (
        [("medical_other", "20000.00")] if warns else []
    )


@pytest.mark.parametrize(
    "kind, status, rule",
    [
        ("lifted", "none", "medical_lifted"),
        ("lifted", "eliminated", "medical_lifted"),
        ("ordinary", "monitored", "medical_lifted"),
        ("ordinary", "none", "medical_other"),
        ("ordinary", "eliminated", "medical_other"),
    ],
)
def test_medical_threshold_depends_on_the_household(tmp_path, kind, status, rule):
    snap = SnapshotBuilder()
    snap.household(1, kind=kind, status=status)
    snap.person(11, 1)
    snap.row("medical", 11, settlement_date="2024-06-01", self_pay="25000.00")

    assert keys(screen(snap, tmp_path, "medical_lifted", "medical_other")) == [(rule, 1, "2024")]


@pytest.mark.parametrize(
    "day, warns", [("2023-11-30", False), ("2023-12-01", True), ("2024-11-30", True), ("2024-12-01", False)]
)
def test_medical_window_is_the_12_months_up_to_the_as_of_date(tmp_path, day, warns):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11)
    snap.row("medical", 11, settlement_date="2024-06-01", self_pay="4000.00")
    snap.row("medical", 11, settlement_date=day, self_pay="1000.00")

    assert len(screen(snap, tmp_path, "medical_lifted")) == (1 if warns else 0)


@pytest.mark.parametrize("day, warns", [("2023-02-28", False), ("2023-03-01", True)])
def test_window_edge_clamps_to_the_end_of_a_shorter_month(tmp_path, day, warns):
    # 2024-02-29 − 12 months = 2023-02-28: that day is outside, the next inside.
    snap = SnapshotBuilder()
    lifted(snap, 1, 11)
    snap.row("medical", 11, settlement_date=day, self_pay="5000.00")

    hits = screen(snap, tmp_path, "medical_lifted", as_of=date(2024, 2, 29))

    assert [h.values["统计期"] for h in hits] == (["2023-03-01至2024-02-29"] if warns else [])


def test_medical_members_of_one_household_make_one_hit(tmp_path):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11, 12, 13)
    a = snap.row("medical", 11, settlement_date="2024-01-10", self_pay="3000.00")
    b = snap.row("medical", 11, settlement_date="2024-02-01", self_pay="2500.00")
    c = snap.row("medical", 12, settlement_date="2023-12-20", self_pay="6000.00")
    snap.row("medical", 13, settlement_date="2024-11-01", self_pay="100.00")  # below: not contributing

    [hit] = screen(snap, tmp_path, "medical_lifted")

    assert (hit.person_id, hit.person_ids, hit.period) == (12, (11, 12), "2024")
    assert hit.values["个人自付合计"] == "6000.00"
    assert hit.feed_row_ids == tuple(("medical", r) for r in sorted((a, b, c)))


def test_medical_period_is_the_year_of_the_latest_contributing_row(tmp_path):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11, 12)
    snap.row("medical", 11, settlement_date="2023-12-20", self_pay="6000.00")
    snap.row("medical", 12, settlement_date="2024-11-01", self_pay="100.00")

    assert keys(screen(snap, tmp_path, "medical_lifted")) == [("medical_lifted", 1, "2023")]


def test_equal_totals_report_the_smaller_person_id(tmp_path):
    snap = SnapshotBuilder()
    lifted(snap, 1, 12, 11)
    snap.row("medical", 12, settlement_date="2024-01-01", self_pay="5000.00")
    snap.row("medical", 11, settlement_date="2024-01-01", self_pay="5000.00")

    assert [h.person_id for h in screen(snap, tmp_path, "medical_lifted")] == [11]


def test_inactive_persons_and_unmatched_rows_are_ignored(tmp_path):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11)
    snap.person(12, 1, is_active=False)
    snap.row("medical", 11, settlement_date="2024-06-01", self_pay="4000.00")
    snap.row("medical", 12, settlement_date="2024-06-01", self_pay="9000.00")
    snap.row("medical", "f" * 64, settlement_date="2024-06-01", self_pay="9000.00")

    assert screen(snap, tmp_path, "medical_lifted") == []


def test_household_filter_limits_the_run(tmp_path):
    snap = SnapshotBuilder()
    for household in (1, 2, 3):
        lifted(snap, household, household * 10)
        snap.row("medical", household * 10, settlement_date="2024-06-01", self_pay="6000.00")

    assert [h.household_id for h in screen(snap, tmp_path, "medical_lifted", household_ids=[3, 2])] == [2, 3]
    assert screen(snap, tmp_path, "medical_lifted", household_ids=[]) == []


# --- education -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("second, warns", [("4000.00", False), ("4000.01", True)])
def test_education_cost_must_exceed_10000_within_one_school_year(tmp_path, second, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    a = snap.row("education", 11, school_year="2023-2024", stage="高中", personal_cost="6000.00")
    b = snap.row("education", 11, school_year="2023-2024", stage="高中", personal_cost=second)
    snap.row("education", 11, school_year="2024-2025", stage="高中", personal_cost="9000.00")

    hits = screen(snap, tmp_path, "education_cost")

    expected = Hit(
        rule="education_cost",
        rule_version=1,
        kind="warning",
        risk_type="因学",
        household_id=1,
        person_id=11,
        person_ids=(11,),
        period="2023-2024",
        values={"学年": "2023-2024", "个人负担费用": "10000.01", "预警线": "10000.00"},
        feed_row_ids=(("education", a), ("education", b)),
    )
    assert hits == ([expected] if warns else [])


def test_education_cost_checks_only_the_configured_stages_and_warns_per_school_year(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.person(12, 1)
    snap.row("education", 11, school_year="2023-2024", stage="初中", personal_cost="20000.00")
    snap.row("education", 12, school_year="2023-2024", stage="本科及以上", personal_cost="12000.00")
    snap.row("education", 12, school_year="2024-2025", stage="本科及以上", personal_cost="15000.00")

    hits = screen(snap, tmp_path, "education_cost")

    assert [(h.period, h.person_ids) for h in hits] == [("2023-2024", (12,)), ("2024-2025", (12,))]


@pytest.mark.parametrize("as_of, counted", [(date(2024, 8, 31), False), (date(2024, 9, 1), True)])
def test_a_school_year_counts_from_its_first_september(tmp_path, as_of, counted):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row("education", 11, school_year="2024-2025", stage="高中", personal_cost="12000.00")
    snap.row("education", 11, school_year="2024-2025", stage="小学", enrolment_status="辍学")

    hits = screen(snap, tmp_path, "education_cost", "education_dropout", as_of=as_of)

    assert keys(hits) == (
        [("education_cost", 1, "2024-2025"), ("education_dropout", 1, "2024-2025")] if counted else []
    )


def test_dropout_warns_for_compulsory_stages_only(tmp_path):
    snap = SnapshotBuilder()
    for household, stage, status in [
        (1, "小学", "辍学"),
        (2, "初中", "辍学"),
        (3, "高中", "辍学"),
        (4, "初中", "在读"),
    ]:
        snap.household(household)
        snap.person(household * 10, household)
        snap.row(
            "education", household * 10, school_year="2024-2025", stage=stage, school="泽林镇中心小学",
            enrolment_status=status,
        )  # fmt: skip

    hits = screen(snap, tmp_path, "education_dropout")

    assert keys(hits) == [("education_dropout", 1, "2024-2025"), ("education_dropout", 2, "2024-2025")]
    assert hits[0].values == {
        "学年": "2024-2025",
        "学段": "小学",
        "学校": "泽林镇中心小学",
        "在读状态": "辍学",
    }
    assert hits[0].feed_row_ids == (("education", 1),)


# --- disability ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "issued, warns",
    [("2023-11-30", False), ("2023-12-01", True), ("2024-11-30", True), ("2024-12-01", False)],
)
def test_disability_new_counts_certificates_of_the_last_12_months(tmp_path, issued, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row("disability", 11, disability_category="肢体", disability_grade="一级", issue_date=issued)

    assert keys(screen(snap, tmp_path, "disability_new")) == (
        [("disability_new", 1, issued)] if warns else []
    )


def test_disability_new_reports_the_latest_qualifying_certificate(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.person(12, 1)
    a = snap.row(
        "disability", 11, disability_category="视力", disability_grade="一级", issue_date="2024-01-05"
    )
    b = snap.row(
        "disability", 12, disability_category="肢体", disability_grade="二级", issue_date="2024-06-30"
    )
    snap.row("disability", 12, disability_category="听力", disability_grade="三级", issue_date="2024-10-01")

    [hit] = screen(snap, tmp_path, "disability_new")

    assert (hit.period, hit.person_id, hit.person_ids) == ("2024-06-30", 12, (11, 12))
    assert hit.values == {
        "残疾等级": "二级",
        "残疾类别": "肢体",
        "发证日期": "2024-06-30",
        "统计期": WINDOW_12,
    }
    assert hit.feed_row_ids == (("disability", a), ("disability", b))


# --- housing ---------------------------------------------------------------------------------------------
def test_housing_unsafe_looks_at_the_latest_appraisal_only(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row("housing", 11, appraisal_date="2022-01-01", safety_grade="D")
    snap.row("housing", 11, appraisal_date="2024-01-01", safety_grade="B")
    snap.household(2)
    snap.person(21, 2)
    snap.person(22, 2)
    snap.row("housing", 21, appraisal_date="2022-01-01", safety_grade="B")
    latest = snap.row("housing", 21, appraisal_date="2024-03-01", safety_grade="C")

    [hit] = screen(snap, tmp_path, "housing_unsafe")

    assert (hit.household_id, hit.period, hit.person_id, hit.person_ids) == (2, "2024-03-01", 21, (21,))
    assert hit.values == {"鉴定日期": "2024-03-01", "房屋安全等级": "C", "预警等级": "C、D"}
    assert hit.feed_row_ids == (("housing", latest),)


def test_housing_appraisal_after_the_as_of_date_is_ignored(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row("housing", 11, appraisal_date="2024-05-01", safety_grade="C")
    snap.row("housing", 11, appraisal_date="2024-12-15", safety_grade="A")

    assert keys(screen(snap, tmp_path, "housing_unsafe")) == [("housing_unsafe", 1, "2024-05-01")]


@pytest.mark.parametrize("grades, warns", [(("A", "D"), True), (("D", "A"), False)])
def test_housing_appraisals_on_one_day_take_the_row_stored_last(tmp_path, grades, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    for grade in grades:
        snap.row("housing", 11, appraisal_date="2024-05-01", safety_grade=grade)

    assert len(screen(snap, tmp_path, "housing_unsafe")) == (1 if warns else 0)


# --- disaster --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "loss, damage, warns",
    [
        ("10000.00", "无", True),
        ("9999.99", "一般损坏", False),
        ("9999.99", "严重损坏", True),
        ("0.00", "倒塌", True),
        (None, "无", False),
    ],
)
def test_disaster_warns_on_loss_at_10000_or_severe_damage(tmp_path, loss, damage, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row(
        "emergency",
        11,
        disaster_type="洪涝",
        occurrence_date="2024-07-01",
        direct_loss=loss,
        house_damage=damage,
    )

    assert len(screen(snap, tmp_path, "disaster")) == (1 if warns else 0)


@pytest.mark.parametrize("day, warns", [("2023-11-30", False), ("2023-12-01", True), ("2024-12-01", False)])
def test_disaster_window(tmp_path, day, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row(
        "emergency",
        11,
        disaster_type="洪涝",
        occurrence_date=day,
        direct_loss="50000.00",
        house_damage="倒塌",
    )

    assert len(screen(snap, tmp_path, "disaster")) == (1 if warns else 0)


def test_disaster_reports_the_latest_qualifying_disaster(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    a = snap.row("emergency", 11, disaster_type="洪涝", occurrence_date="2024-07-01", direct_loss="12000.00",
                 house_damage="一般损坏")  # fmt: skip
    b = snap.row("emergency", 11, disaster_type="风雹", occurrence_date="2024-08-15", direct_loss="800.00",
                 house_damage="倒塌")  # fmt: skip
    snap.row(
        "emergency",
        11,
        disaster_type="干旱",
        occurrence_date="2024-09-01",
        direct_loss="100.00",
        house_damage="无",
    )

    [hit] = screen(snap, tmp_path, "disaster")

    assert hit.period == "2024-08-15"
    assert hit.values == {
        "灾害类型": "风雹",
        "发生日期": "2024-08-15",
        "直接经济损失": "800.00",
        "损失预警线": "10000.00",
        "房屋倒损情况": "倒塌",
        "预警倒损情形": "严重损坏、倒塌",
        "统计期": WINDOW_12,
    }
    assert hit.feed_row_ids == (("emergency", a), ("emergency", b))


# --- employment ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "month, warns", [("2024-08", False), ("2024-09", True), ("2024-11", True), ("2024-12", False)]
)
def test_employment_loss_counts_the_three_months_ending_with_the_as_of_month(tmp_path, month, warns):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11)
    snap.row("employment", 11, stat_month=month, employment_status="失业")

    hits = screen(snap, tmp_path, "employment_loss", as_of=date(2024, 11, 1))

    assert [(h.period, h.values["统计期"]) for h in hits] == ([(month, "2024-09至2024-11")] if warns else [])


@pytest.mark.parametrize(
    "kind, status, capacity, employment, warns",
    [
        ("lifted", "none", "普通劳动力", "失业", True),
        ("ordinary", "monitored", "技能劳动力", "返乡", True),
        ("ordinary", "none", "普通劳动力", "失业", False),
        ("ordinary", "eliminated", "普通劳动力", "失业", False),
        ("lifted", "none", "弱劳动力或半劳动力", "失业", False),
        ("lifted", "none", "普通劳动力", "务工", False),
    ],
)
def test_employment_loss_scope(tmp_path, kind, status, capacity, employment, warns):
    snap = SnapshotBuilder()
    snap.household(1, kind=kind, status=status)
    snap.person(11, 1, labour_capacity=capacity)
    snap.row("employment", 11, stat_month="2024-10", employment_status=employment)

    assert len(screen(snap, tmp_path, "employment_loss")) == (1 if warns else 0)


def test_employment_loss_period_is_the_latest_qualifying_month(tmp_path):
    snap = SnapshotBuilder()
    lifted(snap, 1, 11, 12)
    a = snap.row("employment", 11, stat_month="2024-09", employment_status="失业")
    b = snap.row("employment", 12, stat_month="2024-11", employment_status="返乡")
    snap.row("employment", 11, stat_month="2024-11", employment_status="务工")

    [hit] = screen(snap, tmp_path, "employment_loss")

    assert (hit.period, hit.person_id, hit.person_ids) == ("2024-11", 12, (11, 12))
    assert hit.values == {
        "统计月份": "2024-11",
        "就业状态": "返乡",
        "劳动能力": "普通劳动力",
        "统计期": "2024-09至2024-11",
    }
    assert hit.feed_row_ids == (("employment", a), ("employment", b))


# --- social assistance -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status, assistance, start, warns",
    [
        ("none", "低保", "2023-12-01", True),
        ("none", "特困", "2024-11-30", True),
        ("none", "临时救助", "2024-06-01", False),
        ("monitored", "低保", "2024-06-01", False),
        ("eliminated", "低保", "2024-06-01", False),
        ("none", "低保", "2023-11-30", False),
        ("none", "低保", "2024-12-01", False),
    ],
)
def test_assistance_new(tmp_path, status, assistance, start, warns):
    snap = SnapshotBuilder()
    snap.household(1, status=status)
    snap.person(11, 1)
    snap.row("civil_affairs", 11, assistance_type=assistance, start_date=start, monthly_amount="600.00")

    hits = screen(snap, tmp_path, "assistance_new")

    expected = {"救助类型": assistance, "开始日期": start, "统计期": WINDOW_12}
    assert [(h.period, h.values) for h in hits] == ([(start, expected)] if warns else [])


# --- income ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount, warns", [("7599.99", True), ("7600.00", False)])
def test_income_below_the_line_of_the_income_year(tmp_path, amount, warns):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.income(1, 2022, "9000.00")
    snap.income(1, 2023, amount)

    hits = screen(snap, tmp_path, "income_below_line")

    expected = Hit(
        rule="income_below_line",
        rule_version=1,
        kind="warning",
        risk_type="收入",
        household_id=1,
        person_id=None,
        person_ids=(),
        period="2023",
        values={"年度": "2023", "人均纯收入": "7599.99", "监测范围": "7600.00"},
        feed_row_ids=(),
    )
    assert hits == ([expected] if warns else [])


def test_income_below_line_uses_the_latest_year_not_after_the_as_of_year(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)  # recovered: latest year above the line
    snap.income(1, 2022, "5000.00")
    snap.income(1, 2023, "9000.00")
    snap.household(2)  # a 2025 figure does not exist yet on 2024-11-30
    snap.income(2, 2023, "7000.00")
    snap.income(2, 2025, "20000.00")
    snap.household(3, status="monitored")  # already monitored
    snap.income(3, 2023, "5000.00")
    snap.household(4)  # 2024 counts on 2024-11-30, with the 2024 line
    snap.income(4, 2024, "8299.99")

    assert keys(screen(snap, tmp_path, "income_below_line")) == [
        ("income_below_line", 2, "2023"),
        ("income_below_line", 4, "2024"),
    ]


@pytest.mark.parametrize("amount, line", [("5999.99", "6000.00"), ("6000.00", None)])
def test_income_line_falls_back_to_the_latest_earlier_year(tmp_path, amount, line):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.income(1, 2022, amount)
    params = default_params() | {
        "lines": {2021: default_params()["lines"][2021], 2023: default_params()["lines"][2023]}
    }

    hits = screen(snap, tmp_path, "income_below_line", params=params)

    assert [h.values["监测范围"] for h in hits] == ([line] if line else [])


def test_income_before_the_first_known_line_is_not_judged(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.income(1, 2020, "100.00")

    assert screen(snap, tmp_path, "income_below_line") == []


@pytest.mark.parametrize(
    "previous, latest, warns",
    [
        ("10000.00", "7000.00", True),  # exactly 30% lower
        ("10000.00", "7000.01", False),
        ("20000.00", "11399.99", True),  # below 1.5 × 7600
        ("20000.00", "11400.00", False),
    ],
)
def test_income_drop_boundaries(tmp_path, previous, latest, warns):
    snap = SnapshotBuilder()
    snap.household(1, status="monitored")  # income_drop applies to every household
    snap.income(1, 2022, previous)
    snap.income(1, 2023, latest)

    hits = screen(snap, tmp_path, "income_drop")

    assert keys(hits) == ([("income_drop", 1, "2023")] if warns else [])


def test_income_drop_reports_the_drop(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.income(1, 2022, "10000.00")
    snap.income(1, 2023, "6543.21")

    [hit] = screen(snap, tmp_path, "income_drop")

    assert hit.values == {
        "年度": "2023",
        "人均纯收入": "6543.21",
        "上年人均纯收入": "10000.00",
        "降幅": "34.57",
        "预警降幅": "30",
        "监测范围": "7600.00",
        "倍数": "1.5",
        "收入上限": "11400.00",
    }


@pytest.mark.parametrize("years", [(2021, 2023), (2023,)])
def test_income_drop_needs_the_year_just_before(tmp_path, years):
    snap = SnapshotBuilder()
    snap.household(1)
    for year, amount in zip(years, ("10000.00", "5000.00")[-len(years) :], strict=True):
        snap.income(1, year, amount)

    assert screen(snap, tmp_path, "income_drop") == []


def test_income_drop_ignores_a_previous_income_of_zero_or_less(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1)
    snap.income(1, 2022, "0.00")
    snap.income(1, 2023, "-100.00")

    assert screen(snap, tmp_path, "income_drop") == []


# --- discrepancies ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status, open_identification, found",
    [("monitored", False, True), ("none", True, True), ("none", False, False), ("eliminated", False, False)],
)
def test_discrepancies_are_checked_for_monitored_households_and_open_identifications(
    tmp_path, status, open_identification, found
):
    snap = SnapshotBuilder()
    snap.household(1, status=status, open_identification=open_identification)
    snap.person(11, 1)
    snap.row("public_payroll", 11, employer="鄂城区教育局", hire_date="2015-09-01")

    hits = screen(snap, tmp_path, "public_payroll")

    expected = Hit(
        rule="public_payroll",
        rule_version=1,
        kind="discrepancy",
        risk_type="财政供养",
        household_id=1,
        person_id=11,
        person_ids=(11,),
        period="",
        values={"单位名称": "鄂城区教育局", "入职日期": "2015-09-01"},
        feed_row_ids=(("public_payroll", 1),),
    )
    assert hits == ([expected] if found else [])


def test_vehicle_check_and_one_discrepancy_per_household(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1, status="monitored")
    snap.person(11, 1)
    snap.person(12, 1)
    a = snap.row(
        "vehicle", 12, plate_number="鄂G12345", vehicle_type="小型轿车", registration_date="2020-01-01"
    )
    b = snap.row(
        "vehicle", 11, plate_number="鄂G54321", vehicle_type="中型客车", registration_date="2021-01-01"
    )
    snap.row("vehicle", 11, plate_number="鄂G00001", vehicle_type="货车", registration_date="2022-01-01")
    snap.row("vehicle", 11, plate_number="鄂G00002", vehicle_type="小型轿车", registration_date="2024-12-01")

    [hit] = screen(snap, tmp_path, "vehicle")

    assert (hit.period, hit.person_id, hit.person_ids) == ("", 11, (11, 12))
    assert hit.feed_row_ids == (("vehicle", a), ("vehicle", b))
    assert hit.values == {"车辆类型": "中型客车", "号牌号码": "鄂G54321", "登记日期": "2021-01-01"}


def test_an_undated_row_is_not_after_the_as_of_date(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1, status="monitored")
    snap.person(11, 1)
    snap.row("vehicle", 11, plate_number="鄂G12345", vehicle_type="小型轿车", registration_date=None)

    assert [h.values["登记日期"] for h in screen(snap, tmp_path, "vehicle")] == [""]


@pytest.mark.parametrize("use, found", [("住宅", True), ("商业", True), ("其他", False)])
def test_real_estate_check(tmp_path, use, found):
    snap = SnapshotBuilder()
    snap.household(1, status="monitored")
    snap.person(11, 1)
    snap.row("real_estate", 11, location="鄂城区1号", property_use=use, registration_date="2020-01-01",
             floor_area="120.50")  # fmt: skip

    assert len(screen(snap, tmp_path, "real_estate")) == (1 if found else 0)


@pytest.mark.parametrize(
    "entity_type, capital, status, found",
    [
        ("有限责任公司", "1.00", "存续", True),
        ("股份有限公司", None, "存续", True),
        ("个体工商户", "50.00", "存续", True),
        ("个体工商户", "49.99", "存续", False),
        ("有限责任公司", "100.00", "注销", False),
        ("农民专业合作社", "100.00", "吊销", False),
    ],
)
def test_business_check(tmp_path, entity_type, capital, status, found):
    snap = SnapshotBuilder()
    snap.household(1, open_identification=True)
    snap.person(11, 1)
    snap.row("business", 11, entity_name="鄂州市某公司", entity_type=entity_type, registered_capital=capital,
             founded_date="2019-03-01", registration_status=status)  # fmt: skip

    assert len(screen(snap, tmp_path, "business")) == (1 if found else 0)


def test_deceased_check_needs_death_and_an_active_member(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1, status="monitored")
    snap.person(11, 1)
    snap.person(12, 1, is_active=False)
    snap.person(13, 1)
    snap.row("police", 11, registration_status="死亡", change_date="2024-02-03")
    snap.row("police", 12, registration_status="死亡", change_date="2024-02-03")
    snap.row("police", 13, registration_status="迁出", change_date="2024-02-03")

    [hit] = screen(snap, tmp_path, "deceased")

    assert (hit.person_ids, hit.values) == ((11,), {"户籍状态": "死亡", "变动日期": "2024-02-03"})
