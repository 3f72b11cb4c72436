from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhenxing.audit.models import AuditEntry
from zhenxing.policy import actions
from zhenxing.policy.actions import save_policy
from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.parameters import DEFAULTS, MonthDay
from zhenxing.policy.resolve import policy_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(cast):
    return cast["district_admin"]


def assert_nothing_written(versions=4, audit_rows=0):
    assert PolicyVersion.objects.count() == versions
    assert AuditEntry.objects.count() == audit_rows


def test_it_saves_a_new_version_with_every_value(admin):
    version = save_policy(
        admin, 2024, {"monitoring_line": "8500", "notice_min_days": "7"}, "  省厅2024年通知  "
    )
    version.refresh_from_db()
    assert (version.year, version.version, version.created_by, version.reason) == (
        2024,
        2,
        admin,
        "省厅2024年通知",
    )
    assert version.values == {**DEFAULTS, "monitoring_line": "8500.00", "notice_min_days": 7}


def test_it_writes_an_audit_row_with_the_changes(admin):
    version = save_policy(admin, 2024, {"monitoring_line": "8500", "notice_min_days": "7"}, "省厅2024年通知")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.object_label) == (
        "save_policy",
        "policy.policyversion",
        str(version.pk),
        "2024年第2版",
    )
    assert (entry.actor, entry.area_code) == (admin, "420704")
    assert entry.changes == {"monitoring_line": ["8300.00", "8500.00"], "notice_min_days": [5, 7]}


def test_the_next_lookup_returns_the_new_version(admin):
    version = save_policy(admin, 2024, {"monitoring_line": "8500"}, "省厅通知")
    policy = policy_for(2024)
    assert (policy.version, policy.label, policy.is_inherited) == (version, "2024年第2版", False)
    assert policy["monitoring_line"] == Decimal("8500.00")
    assert policy_for(2025).describe() == "2025年未单独设置，沿用2024年第2版"


def test_it_leaves_the_old_version_unchanged(admin):
    save_policy(admin, 2024, {"monitoring_line": "8500"}, "省厅通知")
    old = PolicyVersion.objects.get(year=2024, version=1)
    assert old.values["monitoring_line"] == "8300.00"
    assert old.created_by is None


def test_it_numbers_versions_within_a_year(admin):
    save_policy(admin, 2024, {"monitoring_line": "8500"}, "第一次")
    third = save_policy(admin, 2024, {"monitoring_line": "8600"}, "第二次")
    assert third.version == 3
    assert AuditEntry.objects.last().changes == {"monitoring_line": ["8500.00", "8600.00"]}


def test_it_starts_an_inherited_year_at_version_1_with_changes_against_the_inherited_values(admin):
    version = save_policy(admin, 2025, {"monitoring_line": "9000"}, "2025年标准")
    assert (version.year, version.version) == (2025, 1)
    assert AuditEntry.objects.get().changes == {"monitoring_line": ["8300.00", "9000.00"]}
    policy = policy_for(2025)
    assert (policy.is_inherited, policy.describe()) == (False, "2025年第1版")


def test_it_lets_an_inherited_year_keep_the_inherited_values_as_its_own(admin):
    version = save_policy(admin, 2025, {}, "2025年标准与2024年相同")
    # The seed predates some parameters: saving stores every parameter, those at their defaults.
    inherited = {**DEFAULTS, **PolicyVersion.objects.get(year=2024).values}
    assert (version.version, version.values) == (1, inherited)
    assert AuditEntry.objects.get().changes == {}


def test_it_stores_one_spelling_of_each_value(admin):
    save_policy(
        admin,
        2024,
        {
            "education_dropout_stages": ["初中", "高中", "小学"],
            "industry_share_min": "65.0",
            "income_drop_line_multiple": Decimal("1.50"),
            "disbursement_checkpoint_3_date": "10-31",
            "medical_lifted_threshold": "6,000",
        },
        "调整",
    )
    values = PolicyVersion.objects.get(year=2024, version=2).values
    assert values["education_dropout_stages"] == ["小学", "初中", "高中"]
    assert values["industry_share_min"] == "65"
    assert values["income_drop_line_multiple"] == "1.5"
    assert values["disbursement_checkpoint_3_date"] == "10-31"
    assert values["medical_lifted_threshold"] == "6000.00"
    assert policy_for(2024)["disbursement_checkpoint_3_date"] == MonthDay(10, 31)
    assert AuditEntry.objects.get().changes == {
        "medical_lifted_threshold": ["5000.00", "6000.00"],
        "education_dropout_stages": [["小学", "初中"], ["小学", "初中", "高中"]],
        "industry_share_min": ["60", "65"],
        "disbursement_checkpoint_3_date": ["09-30", "10-31"],
    }


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_it_refuses_a_save_without_a_reason(admin, reason):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"monitoring_line": "8500"}, reason)
    assert e.value.message_dict == {"reason": ["请填写修改原因"]}
    assert_nothing_written()


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("monitoring_line", "-1", "监测范围（元/人·年）须为不小于0的金额"),
        ("monitoring_line", "八千", "监测范围（元/人·年）须为不小于0的金额"),
        ("monitoring_line", "", "请填写监测范围（元/人·年）"),
        ("monitoring_line", "8300.005", "监测范围（元/人·年）最多保留两位小数（单位：元/人·年）"),
        ("monitoring_line", 8300.0, "监测范围（元/人·年）须以文字形式填写，如“8300.00”"),
        ("industry_share_min", "101", "产业发展资金占中央衔接资金比例下限（%）须为0到100之间的百分比"),
        ("project_reserve_ratio", "90", "项目库储备比例（%）须为100到500之间的百分比"),
        ("notice_min_days", "4.5", "村内公示最少天数（天）须为1到30之间的整数"),
        ("income_drop_line_multiple", "0", "收入骤减预警收入上限（倍监测范围）须为0.1到10之间的倍数"),
        ("education_dropout_stages", [], "辍学预警学段至少选择一项"),
        ("housing_unsafe_grades", ["C", "E"], "住房安全预警等级只能从“A、B、C、D”中选择，“E”不在其中"),
        ("disbursement_checkpoint_1_date", "02-30", "第一个时序进度日期须为有效的“月-日”，如 04-30"),
        ("hotline_number", "1" * 101, "咨询服务电话号码不能超过100个字"),
        ("hotline_name", "  ", "请填写咨询服务电话名称"),
    ],
)
def test_it_refuses_a_bad_value_naming_the_parameter(admin, key, value, message):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {key: value}, "调整")
    assert e.value.message_dict == {key: [message]}
    assert_nothing_written()


def test_it_reports_every_problem_at_once(admin):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"monitoring_line": "-1", "notice_min_days": "0"}, "")
    assert e.value.message_dict == {
        "reason": ["请填写修改原因"],
        "monitoring_line": ["监测范围（元/人·年）须为不小于0的金额"],
        "notice_min_days": ["村内公示最少天数（天）须为1到30之间的整数"],
    }
    assert_nothing_written()


def test_it_refuses_falling_checkpoint_percents(admin):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"disbursement_checkpoint_2_percent": "30"}, "调整")
    assert e.value.message_dict == {
        "disbursement_checkpoint_2_percent": ["第二个时序进度拨付比例不能低于第一个（35%），请调整"]
    }
    assert_nothing_written()


def test_it_refuses_checkpoint_dates_out_of_order(admin):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"disbursement_checkpoint_3_date": "06-30"}, "调整")
    assert e.value.message_dict == {
        "disbursement_checkpoint_3_date": ["第三个时序进度日期须晚于第二个（6月30日），请调整"]
    }
    assert_nothing_written()


def test_it_accepts_equal_checkpoint_percents(admin):
    version = save_policy(admin, 2024, {"disbursement_checkpoint_2_percent": "35"}, "调整")
    assert version.values["disbursement_checkpoint_2_percent"] == "35"


def test_it_refuses_an_unknown_parameter(admin):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"poverty_line": "1"}, "调整")
    assert e.value.messages == ["没有这些参数：poverty_line，请检查参数名称"]
    assert_nothing_written()


@pytest.mark.parametrize("role", ["district_officer", "township_officer", "inspector", "department_clerk"])
def test_it_refuses_a_user_who_may_not_edit_policy(cast, role):
    with pytest.raises(PermissionDenied):
        save_policy(cast[role], 2024, {"monitoring_line": "8500"}, "调整")
    assert_nothing_written()


def test_it_refuses_a_deactivated_admin(admin):
    admin.is_active = False
    with pytest.raises(PermissionDenied):
        save_policy(admin, 2024, {"monitoring_line": "8500"}, "调整")
    assert_nothing_written()


@pytest.mark.parametrize("values", [{}, {"monitoring_line": "8300"}, {"income_drop_percent": "30.00"}])
def test_it_refuses_a_save_that_changes_nothing(admin, values):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, values, "调整")
    assert e.value.messages == ["参数没有变化，无需保存"]
    assert_nothing_written()


@pytest.mark.parametrize("year", [2015, 2101])
def test_it_refuses_a_year_outside_2016_to_2100(admin, year):
    with pytest.raises(ValidationError) as e:
        save_policy(admin, year, {"monitoring_line": "8500"}, "调整")
    assert e.value.messages == ["年度须在2016年至2100年之间，请重新选择年度"]
    assert_nothing_written()


def test_it_refuses_a_save_based_on_an_outdated_version(admin):
    started_from = policy_for(2024).version.pk
    save_policy(admin, 2024, {"monitoring_line": "8500"}, "先保存")
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"notice_min_days": "7"}, "后保存", expected_version=started_from)
    assert e.value.messages == ["2024年的参数已被他人更新为2024年第2版，请刷新页面，在最新版本上重新修改"]
    assert_nothing_written(versions=5, audit_rows=1)


def test_it_turns_a_concurrent_save_into_a_request_to_reload(admin, monkeypatch):
    stale = policy_for(2024)
    save_policy(admin, 2024, {"monitoring_line": "8500"}, "先保存")
    # The other save read version 1 just before this one committed version 2.
    monkeypatch.setattr(actions, "policy_for", lambda year: stale)
    with pytest.raises(ValidationError) as e:
        save_policy(admin, 2024, {"notice_min_days": "7"}, "后保存")
    assert e.value.messages == ["2024年的参数刚刚被他人保存了新版本，请刷新页面，在最新版本上重新修改"]
    assert_nothing_written(versions=5, audit_rows=1)
