"""The Spark backend gives exactly the DuckDB backend's hits (same rules, same Parquet files).

All Spark tests live in this one file with one SparkSession for the whole test session, so a single
JVM starts; they share the xdist group "spark" (with `--dist loadgroup` they run on one worker).
A Spark query costs about a second whatever its size, so the backends are compared on ONE snapshot
and ONE run each: a generated registry (every default rule fires) plus hand-written households with
rows on every rule's boundary, limited to some households, with a hostile parameter value; Spark reads
it in layers (a base and deltas), DuckDB as plain files.
"""

import logging
from datetime import date

import pytest

from zhenxing.screening.engine.defaults import default_params
from zhenxing.screening.engine.generate import generate
from zhenxing.screening.engine.rules import RULES
from zhenxing.screening.engine.run import run
from zhenxing.screening.engine.testing import SnapshotBuilder, layer

pyspark = pytest.importorskip("pyspark")
pytestmark = pytest.mark.xdist_group("spark")

AS_OF = date(2024, 11, 30)
HOSTILE = "C') OR (1=1) OR ('x\\' = 'x"
B = 1_000_000  # ids of the hand-written households and persons start here, above the generated ones


@pytest.fixture(scope="session")
def spark():
    from zhenxing.screening.engine.spark_backend import local_session

    # Tiny inputs: the cost is per query, not per row, so no code generation, no adaptive re-planning, and
    # the JVM's quick-start settings (client JIT, serial GC): about 30% less time here.
    fast = {
        "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    }
    session = local_session(cores=2, shuffle_partitions=1, **fast)
    session.sparkContext.setLogLevel("ERROR")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs "closing" after pytest closed its streams
    yield session
    session.stop()


def boundary_rows() -> SnapshotBuilder:
    """Rows on every boundary of every rule, in three households B+1 … B+3."""
    snap = SnapshotBuilder()
    snap.household(B + 1, kind="lifted")
    snap.person(B + 11, B + 1)
    snap.person(B + 12, B + 1, labour_capacity="技能劳动力")
    snap.person(B + 13, B + 1, is_active=False)
    snap.row("medical", B + 11, settlement_date="2023-11-30", self_pay="9000.00")  # outside the window
    snap.row("medical", B + 11, settlement_date="2023-12-01", self_pay="2500.00")
    snap.row("medical", B + 11, settlement_date="2024-11-30", self_pay="2500.00")
    snap.row("medical", B + 12, settlement_date="2024-12-01", self_pay="9000.00")  # after the as-of date
    snap.row("medical", B + 12, settlement_date="2024-02-01", self_pay="4999.99")
    snap.row("medical", B + 13, settlement_date="2024-02-01", self_pay="9000.00")  # inactive
    snap.row("employment", B + 11, stat_month="2024-08", employment_status="失业")
    snap.row("employment", B + 12, stat_month="2024-09", employment_status="返乡")
    snap.row("housing", B + 11, appraisal_date="2024-05-01", safety_grade="B")
    snap.row("housing", B + 11, appraisal_date="2024-05-01", safety_grade="D")
    snap.income(B + 1, 2022, "10000.00")
    snap.income(B + 1, 2023, "7000.00")

    snap.household(B + 2)
    snap.person(B + 21, B + 2)
    snap.person(B + 22, B + 2)
    snap.row("medical", B + 21, settlement_date="2024-06-01", self_pay="20000.00")
    snap.row("medical", B + 22, settlement_date="2024-06-01", self_pay="19999.99")
    snap.row("education", B + 21, school_year="2023-2024", stage="高中", personal_cost="10000.00")
    snap.row("education", B + 22, school_year="2023-2024", stage="高职", personal_cost="6000.00")
    snap.row("education", B + 22, school_year="2023-2024", stage="高职", personal_cost="4000.01")
    snap.row("education", B + 22, school_year="2025-2026", stage="高职", personal_cost="40000.00")
    snap.row(
        "education", B + 21, school_year="2024-2025", stage="初中", enrolment_status="辍学", school="某中学"
    )
    snap.row(
        "disability", B + 21, disability_category="肢体", disability_grade="一级", issue_date="2023-12-01"
    )
    snap.row(
        "disability", B + 22, disability_category="视力", disability_grade="二级", issue_date="2023-11-30"
    )
    snap.row("emergency", B + 21, disaster_type="洪涝", occurrence_date="2024-07-01", direct_loss="10000.00",
             house_damage="无")  # fmt: skip
    snap.row("emergency", B + 21, disaster_type="风雹", occurrence_date="2024-07-01", direct_loss="9999.99",
             house_damage="倒塌")  # fmt: skip
    snap.row(
        "civil_affairs", B + 22, assistance_type="特困", start_date="2024-11-30", monthly_amount="800.00"
    )
    snap.row("housing", B + 21, appraisal_date="2023-01-01", safety_grade=HOSTILE)
    snap.income(B + 2, 2023, "7599.99")

    snap.household(B + 3, status="monitored")
    snap.person(B + 31, B + 3)
    snap.row("business", B + 31, entity_name="甲", entity_type="个体工商户", registered_capital="50.00",
             founded_date=None, registration_status="存续")  # fmt: skip
    snap.row("business", B + 31, entity_name="乙", entity_type="个体工商户", registered_capital="49.99",
             founded_date="2020-01-01", registration_status="存续")  # fmt: skip
    snap.row("vehicle", B + 31, plate_number="鄂G1", vehicle_type="中型客车", registration_date="2024-11-30")
    snap.row("real_estate", B + 31, location="某处", property_use="商业", registration_date="2019-01-01",
             floor_area="88.88")  # fmt: skip
    snap.row("police", B + 31, registration_status="死亡", change_date="2024-01-01")
    snap.row("public_payroll", B + 31, employer="某局", hire_date="2010-01-01")
    snap.income(B + 3, 2021, "20000.00")
    snap.income(B + 3, 2022, "11399.99")
    return snap


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    generated = tmp_path_factory.mktemp("generated")
    generate(generated, persons=3000, feed_rows=3000, seed=11, as_of=AS_OF)
    directory = boundary_rows().write(tmp_path_factory.mktemp("combined"), onto=generated)
    params = default_params() | {"housing_unsafe_grades": ("D", HOSTILE)}
    everyone = run(directory, params, AS_OF)
    chosen = sorted({h.household_id for h in everyone.hits if h.household_id % 5})  # drops a fifth
    duck = run(directory, params, AS_OF, household_ids=chosen)
    # Spark reads the same snapshot given in layers (schema.py): a quarter of the households from the deltas.
    layered = layer(directory, tmp_path_factory.mktemp("layered"), set(chosen[::4]))
    spark_result = run(layered, params, AS_OF, household_ids=chosen, backend="spark", spark=spark)
    return everyone, chosen, duck, spark_result


def test_spark_gives_exactly_the_duckdb_hits(runs):
    _, _, duck, spark_result = runs

    for rule in RULES:
        assert [h for h in spark_result.hits if h.rule == rule.key] == [
            h for h in duck.hits if h.rule == rule.key
        ]
    assert spark_result.hits == duck.hits
    assert spark_result.counts == duck.counts


def test_every_default_rule_is_compared(runs):
    _, _, duck, _ = runs

    assert [k for k, n in duck.counts.items() if n == 0] == []


def test_boundary_households_get_exactly_the_expected_hits(runs):
    _, _, duck, _ = runs

    assert [h.identity for h in duck.hits if h.household_id > B] == [
        ("assistance_new", B + 2, "2024-11-30"),
        ("business", B + 3, ""),
        ("deceased", B + 3, ""),
        ("disability_new", B + 2, "2023-12-01"),
        ("disaster", B + 2, "2024-07-01"),
        ("education_cost", B + 2, "2023-2024"),
        ("education_dropout", B + 2, "2024-2025"),
        ("employment_loss", B + 1, "2024-09"),
        ("housing_unsafe", B + 1, "2024-05-01"),
        ("housing_unsafe", B + 2, "2023-01-01"),
        ("income_below_line", B + 1, "2023"),
        ("income_below_line", B + 2, "2023"),
        ("income_drop", B + 1, "2023"),
        ("medical_lifted", B + 1, "2024"),
        ("medical_other", B + 2, "2024"),
        ("public_payroll", B + 3, ""),
        ("real_estate", B + 3, ""),
        ("vehicle", B + 3, ""),
    ]
    housing = [
        h.values["房屋安全等级"] for h in duck.hits if h.rule == "housing_unsafe" and h.household_id > B
    ]
    assert housing == ["D", HOSTILE]


def test_a_household_filter_only_restricts_the_run(runs):
    everyone, chosen, duck, _ = runs

    assert duck.hits == [h for h in everyone.hits if h.household_id in set(chosen)]
    assert len(duck.hits) < len(everyone.hits)
