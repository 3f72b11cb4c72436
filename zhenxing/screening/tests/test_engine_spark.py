"""The Spark backend gives exactly the DuckDB backend's hits (same rules, same Parquet files).

All Spark tests live in this one file with one SparkSession for the whole test session, so a single
JVM starts. They share the xdist group "spark": with `--dist loadgroup` they run on one worker.
"""

from datetime import date

import pytest

from zhenxing.screening.engine.defaults import default_params
from zhenxing.screening.engine.generate import generate
from zhenxing.screening.engine.rules import RULES
from zhenxing.screening.engine.run import run
from zhenxing.screening.engine.testing import SnapshotBuilder

pyspark = pytest.importorskip("pyspark")
pytestmark = pytest.mark.xdist_group("spark")

AS_OF = date(2024, 11, 30)
HOSTILE = "C') OR (1=1) OR ('x\\' = 'x"


@pytest.fixture(scope="session")
def spark():
    from zhenxing.screening.engine.spark_backend import local_session

    session = local_session(cores=2, shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def both(directory, params=None, **kwargs):
    params = params or default_params()
    duck = run(directory, params, AS_OF, **kwargs)
    spark = run(directory, params, AS_OF, backend="spark", **kwargs)
    return duck, spark


def boundary_snapshot(tmp_path):
    """Rows on every boundary of every rule, in a few households."""
    snap = SnapshotBuilder()
    snap.household(1, kind="lifted")
    snap.person(11, 1)
    snap.person(12, 1, labour_capacity="技能劳动力")
    snap.person(13, 1, is_active=False)
    snap.row("medical", 11, settlement_date="2023-11-30", self_pay="9000.00")  # outside the window
    snap.row("medical", 11, settlement_date="2023-12-01", self_pay="2500.00")
    snap.row("medical", 11, settlement_date="2024-11-30", self_pay="2500.00")
    snap.row("medical", 12, settlement_date="2024-12-01", self_pay="9000.00")  # after the as-of date
    snap.row("medical", 12, settlement_date="2024-02-01", self_pay="4999.99")
    snap.row("medical", 13, settlement_date="2024-02-01", self_pay="9000.00")  # inactive
    snap.row("employment", 11, stat_month="2024-08", employment_status="失业")
    snap.row("employment", 12, stat_month="2024-09", employment_status="返乡")
    snap.row("housing", 11, appraisal_date="2024-05-01", safety_grade="B")
    snap.row("housing", 11, appraisal_date="2024-05-01", safety_grade="D")
    snap.income(1, 2022, "10000.00")
    snap.income(1, 2023, "7000.00")

    snap.household(2)
    snap.person(21, 2)
    snap.person(22, 2)
    snap.row("medical", 21, settlement_date="2024-06-01", self_pay="20000.00")
    snap.row("medical", 22, settlement_date="2024-06-01", self_pay="19999.99")
    snap.row("education", 21, school_year="2023-2024", stage="高中", personal_cost="10000.00")
    snap.row("education", 22, school_year="2023-2024", stage="高职", personal_cost="6000.00")
    snap.row("education", 22, school_year="2023-2024", stage="高职", personal_cost="4000.01")
    snap.row("education", 22, school_year="2025-2026", stage="高职", personal_cost="40000.00")
    snap.row("education", 21, school_year="2024-2025", stage="初中", enrolment_status="辍学", school="某中学")
    snap.row("disability", 21, disability_category="肢体", disability_grade="一级", issue_date="2023-12-01")
    snap.row("disability", 22, disability_category="视力", disability_grade="二级", issue_date="2023-11-30")
    snap.row("emergency", 21, disaster_type="洪涝", occurrence_date="2024-07-01", direct_loss="10000.00",
             house_damage="无")  # fmt: skip
    snap.row("emergency", 21, disaster_type="风雹", occurrence_date="2024-07-01", direct_loss="9999.99",
             house_damage="倒塌")  # fmt: skip
    snap.row("civil_affairs", 22, assistance_type="特困", start_date="2024-11-30", monthly_amount="800.00")
    snap.row("housing", 21, appraisal_date="2023-01-01", safety_grade=HOSTILE)
    snap.income(2, 2023, "7599.99")

    snap.household(3, status="monitored")
    snap.person(31, 3)
    snap.row("business", 31, entity_name="甲", entity_type="个体工商户", registered_capital="50.00",
             founded_date=None, registration_status="存续")  # fmt: skip
    snap.row("business", 31, entity_name="乙", entity_type="个体工商户", registered_capital="49.99",
             founded_date="2020-01-01", registration_status="存续")  # fmt: skip
    snap.row("vehicle", 31, plate_number="鄂G1", vehicle_type="中型客车", registration_date="2024-11-30")
    snap.row("real_estate", 31, location="某处", property_use="商业", registration_date="2019-01-01",
             floor_area="88.88")  # fmt: skip
    snap.row("police", 31, registration_status="死亡", change_date="2024-01-01")
    snap.row("public_payroll", 31, employer="某局", hire_date="2010-01-01")
    snap.income(3, 2021, "20000.00")
    snap.income(3, 2022, "11399.99")
    return snap.write(tmp_path / "boundaries")


def test_spark_equals_duckdb_on_every_boundary(spark, tmp_path):
    duck, spark_result = both(boundary_snapshot(tmp_path), spark=spark)

    assert spark_result.hits == duck.hits
    assert spark_result.counts == duck.counts
    assert sum(duck.counts.values()) == 17


def test_spark_equals_duckdb_on_a_generated_snapshot(spark, tmp_path):
    directory = tmp_path / "generated"
    generate(directory, persons=3000, feed_rows=3000, seed=11, as_of=AS_OF)

    duck, spark_result = both(directory, spark=spark)

    assert [k for k, n in duck.counts.items() if n == 0] == []  # every default rule is compared
    for rule in RULES:
        assert [h for h in spark_result.hits if h.rule == rule.key] == [
            h for h in duck.hits if h.rule == rule.key
        ]
    assert spark_result.hits == duck.hits


def test_spark_equals_duckdb_with_a_household_filter_and_a_hostile_parameter(spark, tmp_path):
    params = default_params() | {"housing_unsafe_grades": ("D", HOSTILE)}

    duck, spark_result = both(boundary_snapshot(tmp_path), params, household_ids=[2, 3, 99], spark=spark)

    assert spark_result.hits == duck.hits
    assert {h.household_id for h in duck.hits} == {2, 3}
    assert [h.values["房屋安全等级"] for h in duck.hits if h.rule == "housing_unsafe"] == [HOSTILE]
