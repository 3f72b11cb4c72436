"""Seed version 1 of 2021–2024 with the platform's default policy settings. Re-runnable.

The values are frozen here on purpose (migrations never import app code): they are the defaults of
`zhenxing/policy/parameters.py` as of this migration, in their stored form; the years differ only in
the monitoring line. A test checks that every value here still equals the schema's default;
parameters added after this migration are read from their defaults (see `resolve.policy_for`).
"""

from django.db import migrations

REASON = "平台预置默认值（2024年工作要点及省级文件）"
MONITORING_LINE_BY_YEAR = {2021: "6000.00", 2022: "6900.00", 2023: "7600.00", 2024: "8300.00"}
COMMON_VALUES = {
    "elimination_min_months": 6,
    "medical_lifted_threshold": "5000.00",
    "medical_other_threshold": "20000.00",
    "medical_window_months": 12,
    "education_cost_threshold": "10000.00",
    "education_cost_stages": ["高中", "中职", "高职", "本科及以上"],
    "education_dropout_stages": ["小学", "初中"],
    "disability_grades": ["一级", "二级"],
    "disability_window_months": 12,
    "housing_unsafe_grades": ["C", "D"],
    "disaster_loss_threshold": "10000.00",
    "disaster_damage_levels": ["严重损坏", "倒塌"],
    "disaster_window_months": 12,
    "employment_loss_window_months": 3,
    "employment_loss_capacities": ["普通劳动力", "技能劳动力"],
    "employment_loss_statuses": ["失业", "返乡"],
    "assistance_types": ["低保", "特困"],
    "assistance_window_months": 12,
    "income_drop_percent": "30",
    "income_drop_line_multiple": "1.5",
    "discrepancy_vehicle_types": ["小型轿车", "中型客车"],
    "discrepancy_property_uses": ["住宅", "商业"],
    "discrepancy_business_types": ["有限责任公司", "股份有限公司"],
    "discrepancy_business_capital": "50.00",
    "identification_total_days": 15,
    "notice_min_days": 5,
    "home_verification_workdays": 3,
    "comparison_workdays": 5,
    "village_review_workdays": 5,
    "township_review_workdays": 2,
    "county_approval_workdays": 2,
    "warning_verification_workdays": 5,
    "industry_share_min": "60",
    "leading_industry_share_min": "60",
    "project_reserve_ratio": "120",
    "project_notice_min_days": 10,
    "disbursement_checkpoint_1_percent": "35",
    "disbursement_checkpoint_1_date": "04-30",
    "disbursement_checkpoint_2_percent": "55",
    "disbursement_checkpoint_2_date": "06-30",
    "disbursement_checkpoint_3_percent": "80",
    "disbursement_checkpoint_3_date": "09-30",
    "disbursement_reminder_days": 15,
    "hotline_number": "12317",
    "hotline_name": "防止返贫监测和乡村振兴咨询服务电话",
    "monitoring_line_name": "防止返贫监测范围",
    "monitoring_type_unstable_lifted_name": "脱贫不稳定户",
    "monitoring_type_marginal_name": "边缘易致贫户",
    "monitoring_type_sudden_hardship_name": "突发严重困难户",
}


def values_for(year):
    return {"monitoring_line": MONITORING_LINE_BY_YEAR[year], **COMMON_VALUES}


def seed(apps, schema_editor):
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    for year in MONITORING_LINE_BY_YEAR:
        PolicyVersion.objects.get_or_create(
            year=year, version=1, defaults={"values": values_for(year), "reason": REASON, "created_by": None}
        )


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
