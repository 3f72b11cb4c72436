import importlib
from datetime import date
from decimal import Decimal

import pytest

from zhenxing.policy.actions import save_policy
from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.parameters import DEFAULTS, PARAMETERS, MonthDay, defaults_for_year, parse_values
from zhenxing.policy.resolve import policy_for, policy_for_date
from zhenxing.screening.engine.rules import RULES

pytestmark = pytest.mark.django_db

SEED_REASON = "平台预置默认值（2024年工作要点及省级文件）"


@pytest.mark.parametrize(
    "year,line", [(2021, "6000.00"), (2022, "6900.00"), (2023, "7600.00"), (2024, "8300.00")]
)
def test_it_seeds_version_1_of_2021_to_2024_with_their_monitoring_line(year, line):
    policy = policy_for(year)
    assert policy["monitoring_line"] == Decimal(line)
    assert (policy.year, policy.source_year, policy.is_inherited) == (year, year, False)
    assert (policy.version.version, policy.version.created_by, policy.version.reason) == (
        1,
        None,
        SEED_REASON,
    )
    assert policy.label == f"{year}年第1版"
    assert policy.describe() == f"{year}年第1版"


def test_it_seeds_the_2024_work_plan_values():
    policy = policy_for(2024)
    expected = {
        "monitoring_line": Decimal("8300.00"),
        "elimination_min_months": 6,
        "medical_lifted_threshold": Decimal("5000.00"),
        "medical_other_threshold": Decimal("20000.00"),
        "medical_window_months": 12,
        "education_cost_threshold": Decimal("10000.00"),
        "education_cost_stages": ("高中", "中职", "高职", "本科及以上"),
        "education_dropout_stages": ("小学", "初中"),
        "disability_grades": ("一级", "二级"),
        "disability_window_months": 12,
        "housing_unsafe_grades": ("C", "D"),
        "disaster_loss_threshold": Decimal("10000.00"),
        "disaster_damage_levels": ("严重损坏", "倒塌"),
        "disaster_window_months": 12,
        "employment_loss_window_months": 3,
        "employment_loss_capacities": ("普通劳动力", "技能劳动力"),
        "employment_loss_statuses": ("失业", "返乡"),
        "assistance_types": ("低保", "特困"),
        "assistance_window_months": 12,
        "income_drop_percent": Decimal("30"),
        "income_drop_line_multiple": Decimal("1.5"),
        "discrepancy_vehicle_types": ("小型轿车", "中型客车"),
        "discrepancy_property_uses": ("住宅", "商业"),
        "discrepancy_business_types": ("有限责任公司", "股份有限公司"),
        "discrepancy_business_capital": Decimal("50.00"),
        "identification_total_days": 15,
        "notice_min_days": 5,
        "home_verification_workdays": 3,
        "comparison_workdays": 5,
        "village_review_workdays": 5,
        "township_review_workdays": 2,
        "county_approval_workdays": 2,
        "announcement_workdays": 2,
        "visit_interval_days": 30,
        "warning_verification_workdays": 5,
        "industry_share_min": Decimal("60"),
        "leading_industry_share_min": Decimal("60"),
        "project_reserve_ratio": Decimal("120"),
        "project_notice_min_days": 10,
        "disbursement_checkpoint_1_percent": Decimal("35"),
        "disbursement_checkpoint_1_date": MonthDay(4, 30),
        "disbursement_checkpoint_2_percent": Decimal("55"),
        "disbursement_checkpoint_2_date": MonthDay(6, 30),
        "disbursement_checkpoint_3_percent": Decimal("80"),
        "disbursement_checkpoint_3_date": MonthDay(9, 30),
        "disbursement_reminder_days": 15,
        "hotline_number": "12317",
        "hotline_name": "防止返贫监测和乡村振兴咨询服务电话",
        "monitoring_line_name": "防止返贫监测范围",
        "monitoring_type_unstable_lifted_name": "脱贫不稳定户",
        "monitoring_type_marginal_name": "边缘易致贫户",
        "monitoring_type_sudden_hardship_name": "突发严重困难户",
        "screening_rules_enabled": tuple(rule.label for rule in RULES),
    }
    assert dict(policy.values) == expected
    assert set(expected) == {p.key for p in PARAMETERS}


# Parameters added after the seed migration: stored versions lack them and read their defaults.
ADDED_LATER = {"monitoring_line", "announcement_workdays", "visit_interval_days", "screening_rules_enabled"}


def test_it_seeds_years_that_differ_only_in_the_monitoring_line():
    stored = {v.year: v.values for v in PolicyVersion.objects.all()}
    assert sorted(stored) == [2021, 2022, 2023, 2024]
    for values in stored.values():
        assert {k: v for k, v in values.items() if k not in ADDED_LATER} == {
            k: v for k, v in DEFAULTS.items() if k not in ADDED_LATER
        }


def test_the_seed_migration_copy_still_matches_the_schema_defaults():
    migration = importlib.import_module("zhenxing.policy.migrations.0002_seed_2021_2024_defaults")
    for year in (2021, 2022, 2023, 2024):
        frozen = migration.values_for(year)
        assert frozen == {k: v for k, v in defaults_for_year(year).items() if k in frozen}


def test_it_falls_back_to_the_latest_earlier_year():
    policy = policy_for(2025)
    assert (policy.year, policy.source_year, policy.is_inherited) == (2025, 2024, True)
    assert policy.version == PolicyVersion.objects.get(year=2024, version=1)
    assert policy.values == policy_for(2024).values
    assert policy["monitoring_line"] == Decimal("8300.00")
    assert policy.label == "2024年第1版"
    assert policy.describe() == "2025年未单独设置，沿用2024年第1版"


def test_it_falls_back_to_the_latest_version_of_the_latest_earlier_year(cast):
    save_policy(cast["district_admin"], 2024, {"monitoring_line": "8500"}, "省厅通知")
    save_policy(cast["district_admin"], 2027, {"monitoring_line": "9900"}, "预设")
    policy = policy_for(2026)
    assert (policy.source_year, policy.version.version, policy["monitoring_line"]) == (
        2024,
        2,
        Decimal("8500.00"),
    )
    assert policy.describe() == "2026年未单独设置，沿用2024年第2版"
    assert policy_for(2030).describe() == "2030年未单独设置，沿用2027年第1版"


def test_it_uses_the_earliest_year_for_a_year_before_all_settings():
    policy = policy_for(2019)
    assert (policy.year, policy.source_year, policy.is_inherited) == (2019, 2021, True)
    assert policy["monitoring_line"] == Decimal("6000.00")
    assert policy.describe() == "2019年未单独设置，沿用2021年第1版"


def test_it_reads_keys_missing_from_an_older_version_from_the_defaults():
    stored = {
        k: v for k, v in defaults_for_year(2024).items() if k not in ("hotline_name", "notice_min_days")
    }
    stored["monitoring_line"] = "9100.00"
    stored["retired_parameter"] = "42"
    PolicyVersion.objects.create(year=2028, version=1, values=stored, reason="旧版本")
    policy = policy_for(2028)
    assert policy["hotline_name"] == "防止返贫监测和乡村振兴咨询服务电话"
    assert policy["notice_min_days"] == 5
    assert policy["monitoring_line"] == Decimal("9100.00")
    assert "retired_parameter" not in policy.values
    assert dict(policy.values) == parse_values(stored, defaults_for_year(2028))


def test_it_resolves_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        policy_for(2025)
    with django_assert_num_queries(1):
        policy_for(2019)
    with django_assert_num_queries(1):
        assert policy_for(2023).version.created_by is None


def test_it_resolves_a_date_by_its_year():
    assert policy_for_date(date(2022, 12, 31)).source_year == 2022
    assert policy_for_date(date(2022, 12, 31))["monitoring_line"] == Decimal("6900.00")


def test_its_values_are_read_only():
    policy = policy_for(2024)
    with pytest.raises(TypeError):
        policy.values["monitoring_line"] = Decimal(1)  # type: ignore[index]


def test_it_refuses_to_change_or_delete_a_saved_version():
    version = PolicyVersion.objects.get(year=2024, version=1)
    version.reason = "改写"
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(PermissionError):
        version.delete()
    version.refresh_from_db()
    assert version.reason == SEED_REASON


def test_month_day_reads_as_a_date_in_a_year():
    assert policy_for(2024)["disbursement_checkpoint_2_date"].in_year(2024) == date(2024, 6, 30)
