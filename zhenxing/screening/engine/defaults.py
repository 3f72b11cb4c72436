"""The 2024 default parameters, typed, for tests, benchmarks and the generator's users.

The platform reads the real values per year from `zhenxing.policy` (a test checks these equal its
defaults); this copy exists because the engine must not import Django-side code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

LINES = {
    2021: Decimal("6000.00"),
    2022: Decimal("6900.00"),
    2023: Decimal("7600.00"),
    2024: Decimal("8300.00"),
}


def default_params() -> dict[str, Any]:
    return {
        "monitoring_line": Decimal("8300.00"),
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
        "lines": dict(LINES),
    }
