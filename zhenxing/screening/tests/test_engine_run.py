"""The engine's API and plumbing: run results, parameters bound safely, the compiler, the generator."""

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from zhenxing.screening.engine import schema
from zhenxing.screening.engine.compile import DUCKDB, SPARK, compile_plan, months_before, window_months
from zhenxing.screening.engine.defaults import LINES, default_params
from zhenxing.screening.engine.expr import EngineError, F, P, literal, quote_backslash, quote_standard
from zhenxing.screening.engine.generate import generate
from zhenxing.screening.engine.rules import RULES, Rule, Window, latest
from zhenxing.screening.engine.run import explain, run
from zhenxing.screening.engine.testing import SnapshotBuilder, layer

AS_OF = date(2024, 11, 30)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("generated")
    generate(directory, persons=3000, feed_rows=3000, seed=7, as_of=AS_OF)
    return directory


def medical_snapshot(tmp_path) -> Path:
    snap = SnapshotBuilder()
    snap.household(1, kind="lifted")
    snap.person(11, 1)
    snap.row("medical", 11, settlement_date="2024-06-01", self_pay="5234.00")
    snap.household(2, status="monitored")
    snap.person(21, 2)
    snap.row("vehicle", 21, plate_number="鄂G1", vehicle_type="小型轿车", registration_date="2020-01-01")
    return snap.write(tmp_path / "snapshot")


def test_importing_the_engine_does_not_import_django():
    code = (
        "import sys\n"
        "import zhenxing.screening.engine.run, zhenxing.screening.engine.generate, zhenxing.screening.engine.testing\n"
        "import zhenxing.screening.engine.duckdb_backend, zhenxing.screening.engine.spark_backend\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))\n"
        "assert 'pyspark' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[3]
    )
    assert done.returncode == 0, done.stderr


def test_it_reports_hits_sorted_with_counts_log_and_progress(tmp_path):
    calls = []

    result = run(medical_snapshot(tmp_path), default_params(), AS_OF, progress=lambda *a: calls.append(a))

    assert [h.identity for h in result.hits] == [("medical_lifted", 1, "2024"), ("vehicle", 2, "")]
    assert result.counts == {r.key: (1 if r.key in ("medical_lifted", "vehicle") else 0) for r in RULES}
    assert list(result.seconds_per_rule) == [r.key for r in RULES]
    assert calls == [(n, len(RULES) + 1) for n in range(1, len(RULES) + 2)]
    assert result.log[0] == "筛查基准日 2024-11-30，计算引擎 DuckDB，规则 16 条"
    assert "快照中没有教育数据（feed_education.parquet），按无数据处理" in result.log
    assert "医保数据：1 条对应到在册在户人员" in result.log
    assert "规则“脱贫户和监测户医疗个人自付”（medical_lifted）：1 户" in "\n".join(result.log)


def test_explain_names_the_rule_threshold_and_values(tmp_path):
    hits = run(medical_snapshot(tmp_path), default_params(), AS_OF).hits

    assert [explain(h) for h in hits] == [
        "脱贫户和监测户医疗个人自付（因病）：2023-12-01至2024-11-30个人自付医疗费用合计5234.00元，达到预警线5000.00元。",
        "家庭成员登记有车辆（车辆）：家庭成员登记有小型轿车（鄂G1，登记日期2020-01-01），须核实说明。",
    ]


def test_every_rule_explains_itself_from_its_own_values(generated):
    result = run(generated, default_params(), AS_OF)
    first = {}
    for hit in result.hits:
        first.setdefault(hit.rule, hit)

    for hit in first.values():
        sentence = explain(hit)
        assert "{" not in sentence and "—" not in sentence, sentence


def test_it_runs_only_the_rules_asked_for_and_refuses_unknown_ones(tmp_path):
    directory = medical_snapshot(tmp_path)

    assert run(directory, default_params(), AS_OF, rules=["vehicle"]).counts == {"vehicle": 1}
    with pytest.raises(EngineError, match="没有这些筛查规则：medical"):
        run(directory, default_params(), AS_OF, rules=["medical"])


def test_a_missing_parameter_is_named(tmp_path):
    params = default_params()
    del params["medical_lifted_threshold"]

    with pytest.raises(
        EngineError, match="缺少筛查参数“medical_lifted_threshold”（规则“脱贫户和监测户医疗个人自付”需要）"
    ):
        run(medical_snapshot(tmp_path), params, AS_OF)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("medical_window_months", 0, "应为不小于 1 的整数月数"),
        ("medical_window_months", "12", "应为不小于 1 的整数月数"),
        ("medical_lifted_threshold", 5000.0, "类型（float）不能用于筛查规则"),
        ("education_cost_stages", "高中", "应为选项列表"),
    ],
)
def test_badly_typed_parameters_are_refused(tmp_path, key, value, message):
    with pytest.raises(EngineError, match=message):
        run(medical_snapshot(tmp_path), default_params() | {key: value}, AS_OF)


def test_a_missing_registry_file_is_an_error(tmp_path):
    directory = medical_snapshot(tmp_path)
    (directory / "persons.parquet").unlink()

    with pytest.raises(EngineError, match="筛查快照缺少 persons.parquet"):
        run(directory, default_params(), AS_OF, rules=["vehicle"])


def test_a_layered_registry_is_its_base_with_the_deltas_in_place_of_the_replaced_households(
    generated, tmp_path
):
    params = default_params()
    plain = run(generated, params, AS_OF)
    replaced = set(sorted({h.household_id for h in plain.hits})[::3])
    layered = layer(generated, tmp_path / "layered", replaced)

    assert run(layered, params, AS_OF).hits == plain.hits
    assert run(layered, params, AS_OF, household_ids=sorted(replaced)).hits == [
        h for h in plain.hits if h.household_id in replaced
    ]
    # The base files alone hold out-of-date rows for those households: read without the deltas, they differ.
    for table in schema.LAYERED:
        (layered / schema.delta_name(table)).unlink()
        (layered / schema.replaced_name(table)).unlink()
    stale = run(layered, params, AS_OF)
    assert [h for h in stale.hits if h.household_id in replaced] != [
        h for h in plain.hits if h.household_id in replaced
    ]
    assert [h for h in stale.hits if h.household_id not in replaced] == [
        h for h in plain.hits if h.household_id not in replaced
    ]


def test_a_delta_without_its_replaced_households_is_an_error(generated, tmp_path):
    layered = layer(generated, tmp_path / "layered", {1})
    (layered / schema.replaced_name("persons")).unlink()

    with pytest.raises(EngineError, match=r"筛查快照缺少 persons\.replaced\.parquet"):
        run(layered, default_params(), AS_OF)


def test_a_memory_limit_is_applied_and_checked(tmp_path):
    directory = medical_snapshot(tmp_path)

    assert run(directory, default_params(), AS_OF, memory_limit="512MB").counts["vehicle"] == 1
    with pytest.raises(EngineError, match="内存上限"):
        run(directory, default_params(), AS_OF, memory_limit="1GB'; DROP")


def test_household_ids_must_be_integers(tmp_path):
    with pytest.raises(EngineError, match="户的编号应为整数"):
        run(medical_snapshot(tmp_path), default_params(), AS_OF, household_ids=["1"])


def test_spark_backend_without_pyspark_says_so(monkeypatch):
    from zhenxing.screening.engine import spark_backend

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)

    with pytest.raises(EngineError, match="未安装 PySpark"):
        spark_backend.local_session()


# --- parameters are literals, never SQL -----------------------------------------------------------------
def test_literals_are_typed_and_quoted_per_dialect():
    assert literal(Decimal("5000.00"), quote_standard) == "CAST('5000.00' AS DECIMAL(6,2))"
    assert literal(Decimal("1.5"), quote_standard) == "CAST('1.5' AS DECIMAL(2,1))"
    assert literal(Decimal("0.05"), quote_standard) == "CAST('0.05' AS DECIMAL(2,2))"
    assert literal(Decimal("-30"), quote_standard) == "CAST('-30' AS DECIMAL(2,0))"
    assert literal(12, quote_standard) == "12"
    assert literal(date(2024, 2, 29), quote_standard) == "DATE '2024-02-29'"
    assert quote_standard("a'b\\c") == "'a''b\\c'"
    assert quote_backslash("a'b\\c") == "'a\\'b\\\\c'"
    for bad in (1.5, Decimal("NaN"), None, object()):
        with pytest.raises(EngineError):
            literal(bad, quote_standard)


def test_a_hostile_choice_matches_only_itself(tmp_path):
    hostile = "C') OR (1=1) OR ('x\\' = 'x"
    snap = SnapshotBuilder()
    for household, grade in [(1, "A"), (2, "C"), (3, hostile)]:
        snap.household(household)
        snap.person(household * 10, household)
        snap.row("housing", household * 10, appraisal_date="2024-01-01", safety_grade=grade)
    params = default_params() | {"housing_unsafe_grades": (hostile,)}

    hits = run(snap.write(tmp_path / "s"), params, AS_OF, rules=["housing_unsafe"]).hits

    assert [(h.household_id, h.values["预警等级"]) for h in hits] == [(3, hostile)]


# --- the compiler -----------------------------------------------------------------------------------------
def test_months_before_uses_calendar_months_clamped_to_the_month_end():
    assert months_before(date(2024, 11, 30), 12) == date(2023, 11, 30)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2024, 1, 15), 1) == date(2023, 12, 15)
    assert window_months(date(2024, 1, 31), 3) == ["2023-11", "2023-12", "2024-01"]


def test_every_rule_compiles_for_both_dialects(tmp_path):
    directory = medical_snapshot(tmp_path)
    for dialect in (DUCKDB, SPARK):
        plan = compile_plan(RULES, default_params(), AS_OF, dialect, directory, prefix="zx_")
        assert [q.rule.key for q in plan.queries] == [r.key for r in RULES]


def test_a_rule_reads_the_parameters_and_inputs_it_declares():
    by_key = {r.key: r for r in RULES}

    assert by_key["medical_lifted"].params == ("medical_lifted_threshold", "medical_window_months")
    assert by_key["medical_lifted"].inputs == ("medical", "persons", "households")
    assert by_key["income_drop"].params == ("income_drop_percent", "income_drop_line_multiple")
    assert by_key["income_drop"].inputs == ("incomes", "households")
    used = {key for r in RULES for key in r.params}
    assert used == set(default_params()) - {"lines", "monitoring_line"}


def test_a_new_rule_is_one_definition(tmp_path):
    rule = Rule(
        "disability_any", "新发残疾人证", "因残", "disability",
        where=F.disability_grade.isin(("三级", "四级")), window=Window("issue_date", "disability_window_months"),
        period=latest("issue_date"), values=(("残疾等级", F.disability_grade),), explanation="新发{残疾等级}残疾人证",
    )  # fmt: skip
    snap = SnapshotBuilder()
    snap.household(1)
    snap.person(11, 1)
    snap.row("disability", 11, disability_category="肢体", disability_grade="三级", issue_date="2024-05-05")
    directory = snap.write(tmp_path / "s")

    plan = compile_plan([rule], default_params(), AS_OF, DUCKDB, directory)

    assert "disability_grade IN ('三级', '四级')" in plan.queries[0].sql


def test_a_rule_using_an_unknown_column_or_parameter_is_refused(tmp_path):
    directory = medical_snapshot(tmp_path)
    bad_column = Rule("x", "测试", "其他", "medical", latest("settlement_date"), (), "", where=F.nope.eq("1"))
    bad_param = Rule(
        "y", "测试", "其他", "medical", latest("settlement_date"), (), "", where=F.self_pay >= P.nope
    )

    with pytest.raises(EngineError, match="不存在的列：nope"):
        compile_plan([bad_column], default_params(), AS_OF, DUCKDB, directory)
    with pytest.raises(EngineError, match="缺少筛查参数“nope”"):
        compile_plan([bad_param], default_params(), AS_OF, DUCKDB, directory)


def test_engine_defaults_equal_the_policy_defaults():
    from zhenxing.policy.parameters import DEFAULTS, MONITORING_LINE_BY_YEAR, parse_values

    policy = parse_values(DEFAULTS, DEFAULTS)
    engine = default_params()
    assert {k: v for k, v in engine.items() if k != "lines"} == {k: policy[k] for k in engine if k != "lines"}
    assert LINES == {y: Decimal(v).quantize(Decimal("0.01")) for y, v in MONITORING_LINE_BY_YEAR.items()}


# --- the join key -----------------------------------------------------------------------------------------
def test_the_join_key_is_the_hash_s_first_128_bits_as_two_signed_integers():
    assert schema.hash_key("0" * 15 + "1" + "f" * 16 + "a" * 32) == (1, -1)
    assert schema.hash_key("8" + "0" * 15 + "7" + "f" * 15 + "0" * 32) == (-(2**63), 2**63 - 1)
    # anything but 64 lowercase hex characters has no key and matches no one
    for bad in ("", None, "F" * 64, "f" * 63, "g" * 64, "f" * 65):
        assert schema.hash_key(bad) == (None, None), bad


def test_generated_keys_are_those_of_their_hashes(generated):
    for table in ("persons", "feed_medical", "feed_housing"):
        rows = pq.read_table(generated / schema.file_name(table), columns=["id_hash", "key_hi", "key_lo"])
        assert [(r["key_hi"], r["key_lo"]) for r in rows.to_pylist()] == [
            schema.hash_key(h) for h in rows.column("id_hash").to_pylist()
        ], table


def test_rows_meet_persons_on_the_key_and_a_hash_without_one_matches_no_one(tmp_path):
    snap = SnapshotBuilder()
    snap.household(1, kind="lifted")
    snap.person(11, 1)
    snap.persons.append(dict(person_id=12, household_id=1, id_hash="", is_active=True))  # a blank hash
    snap.row("medical", 11, settlement_date="2024-06-01", self_pay="6000.00")
    snap.row("medical", "", settlement_date="2024-06-01", self_pay="9000.00")
    persons = pq.read_table(snap.write(tmp_path / "s") / "persons.parquet").to_pylist()

    assert [(p["person_id"], p["key_hi"] is None) for p in persons] == [(11, False), (12, True)]
    [hit] = run(tmp_path / "s", default_params(), AS_OF).hits
    assert (hit.person_ids, hit.values["个人自付合计"]) == ((11,), "6000.00")


def test_value_texts_are_made_by_column_exactly_as_text_makes_them():
    import pyarrow as pa

    from zhenxing.screening.engine.expr import text
    from zhenxing.screening.engine.run import _period_texts, _texts

    columns = [
        pa.array(["鄂G1", "", None], pa.string()),
        pa.array([date(2024, 2, 29), date(999, 1, 2), None], pa.date32()),
        pa.array([Decimal("0.00"), Decimal("-0.50"), Decimal("123456789012.34"), None], pa.decimal128(38, 2)),
        pa.array([Decimal("30"), Decimal("-7"), None], pa.decimal128(10, 0)),
        pa.array([Decimal("0E-6"), Decimal("-0.000001")], pa.decimal128(20, 6)),
        pa.array([Decimal("0E-10"), Decimal("1E-10"), Decimal("1.0000000001")], pa.decimal128(20, 10)),
        pa.array([2024, -5, None], pa.int32()),
        pa.array([True, False, None], pa.bool_()),
    ]
    for column in columns:
        chunked = pa.chunked_array([column])
        assert _texts(chunked) == [text(v) for v in column.to_pylist()], column.type
    days = pa.chunked_array([pa.array([date(2024, 5, 1), date(987, 1, 1), None], pa.date32())])
    assert _period_texts("year_of_latest", days) == ["2024", "0987", ""]
    assert _period_texts("latest", days) == ["2024-05-01", "0987-01-01", ""]
    assert list(_period_texts("none", days)) == ["", "", ""]


# --- the generator ----------------------------------------------------------------------------------------
def test_generated_files_have_the_snapshot_schema(generated):
    for table, expected in schema.TABLES.items():
        got = pq.read_schema(generated / schema.file_name(table))
        assert [(f.name, f.type) for f in got] == [(f.name, f.type) for f in expected], table


def test_generated_snapshot_is_deterministic(generated, tmp_path):
    again = tmp_path / "again"
    counts = generate(again, persons=3000, feed_rows=3000, seed=7, as_of=AS_OF)

    assert counts["persons"] == 3000
    keys = {"persons": ["person_id"], "feed_medical": ["row_id"], "incomes": ["household_id", "year"]}
    for table, key in keys.items():  # the same rows; their order in the file may vary with DuckDB's threads

        def rows(directory, table=table, key=key):
            return pq.read_table(directory / f"{table}.parquet").sort_by([(k, "ascending") for k in key])

        assert rows(again).equals(rows(generated))


def test_every_rule_fires_on_a_small_generated_snapshot(generated):
    result = run(generated, default_params(), AS_OF)

    assert [k for k, n in result.counts.items() if n == 0] == []
    assert len({h.identity for h in result.hits}) == len(result.hits)
