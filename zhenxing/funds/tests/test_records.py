import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions, importing
from zhenxing.funds.models import DifferenceKind, DistributionPurpose, FundSource, Project, PvDistribution
from zhenxing.funds.reconcile import HEADERS, validate_reconciliation
from zhenxing.lib.tabular import SheetSpec, write_xlsx

pytestmark = pytest.mark.django_db
C = FundSource.CENTRAL


def paid(cast, project):
    actions.add_allocation(
        cast["district_officer"], 2024, C, Decimal("100000"), "鄂财1号", datetime.date(2024, 1, 5)
    )
    actions.set_plan_item(cast["district_officer"], 2024, project, C, "100000.00")
    for day, amount, voucher in (
        (3, "10000.00", "A"),
        (4, "20000.00", "B"),
        (5, "30000.00", "C"),
        (6, "5000.00", "D"),
    ):
        actions.record_disbursement(
            cast["district_officer"], project, 2024, C, datetime.date(2024, day, 1), amount, voucher
        )


def test_it_lists_every_kind_of_reconciliation_difference(cast, in_library):
    paid(cast, in_library)
    code = in_library.code
    rows = [
        [code, "茶园", "中央衔接资金", "2024-03-01", "10000.00"],  # matches
        [code, "茶园", "中央衔接资金", "2024-04-02", "20000.00"],  # date differs
        [code, "茶园", "中央衔接资金", "2024-05-01", "30001.00"],  # amount differs
        ["2024-X-999", "外地项目", "中央衔接资金", "2024-05-01", "500.00"],  # missing here
    ]  # 06-01 5000 is missing there
    data = write_xlsx([SheetSpec("支付明细", HEADERS, rows)])
    plan = validate_reconciliation(data, "直达.xlsx", 2024)
    assert plan.is_valid and plan.matched == 1
    got = sorted((d["project_code"], d["kind"], d["their_amount"], d["our_amount"]) for d in plan.differences)
    assert got == sorted(
        [
            (code, DifferenceKind.DATE, Decimal("20000.00"), Decimal("20000.00")),
            (code, DifferenceKind.AMOUNT, Decimal("30001.00"), Decimal("30000.00")),
            (code, DifferenceKind.MISSING_THERE, None, Decimal("5000.00")),
            ("2024-X-999", DifferenceKind.MISSING_HERE, Decimal("500.00"), None),
        ]
    )
    batch = actions.commit_reconciliation(cast["district_officer"], plan)
    diff = batch.differences.get(kind=DifferenceKind.MISSING_HERE)
    with pytest.raises(ValidationError, match="请填写处理说明"):
        actions.resolve_difference(cast["district_officer"], diff, "")
    actions.resolve_difference(cast["district_officer"], diff, "外区项目，直达系统已更正")
    assert batch.differences.filter(is_resolved=False).count() == 3


def test_it_refuses_a_reconciliation_file_with_bad_rows(cast):
    data = write_xlsx([SheetSpec("s", HEADERS, [["P1", "x", "火星资金", "2023-01-01", "abc"]])])
    plan = validate_reconciliation(data, "a.xlsx", 2024)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "资金来源"), (2, "支付日期"), (2, "支付金额")]


def test_it_refuses_an_equal_per_household_split(cast, village):
    station = actions.add_pv_station(
        cast["district_officer"], "PV-1", "新港村光伏电站", village, "60", datetime.date(2017, 6, 1)
    )
    actions.record_pv_month(cast["district_officer"], station, datetime.date(2024, 1, 15), "6000", "4500.00")
    before = (PvDistribution.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError, match="严禁简单平均分配"):
        actions.record_pv_distribution(
            cast["district_officer"],
            station,
            datetime.date(2024, 2, 1),
            DistributionPurpose.REWARDS,
            "1000.00",
            "每户100元",
            method=actions.EQUAL_CASH,
        )
    with pytest.raises(ValidationError, match="规则36"):
        actions.record_pv_distribution(
            cast["district_officer"], station, datetime.date(2024, 2, 1), "", "1000.00", "x"
        )
    assert (PvDistribution.objects.count(), AuditEntry.objects.count()) == before
    actions.record_pv_distribution(
        cast["district_officer"],
        station,
        datetime.date(2024, 2, 1),
        DistributionPurpose.PUBLIC_JOBS,
        "3000.00",
        "保洁公益岗位3人",
    )
    with pytest.raises(ValidationError, match="超出可分配收益"):
        actions.record_pv_distribution(
            cast["district_officer"],
            station,
            datetime.date(2024, 2, 1),
            DistributionPurpose.PUBLIC_WORKS,
            "1500.01",
            "修路",
        )


def test_acceptance_requires_assets_and_puts_them_in_the_village_ledger(cast, in_library):
    actions.start_project(cast["district_officer"], in_library, datetime.date(2024, 3, 1))
    actions.complete_project(cast["district_officer"], in_library, datetime.date(2024, 9, 1))
    with pytest.raises(ValidationError, match="规则35"):
        actions.accept_project(cast["district_officer"], in_library, datetime.date(2024, 9, 10), [])
    asset = actions.AssetData("茶园", "operating", "village", Decimal("120000.00"), "新港村委会", "日常管护")
    [created] = actions.accept_project(
        cast["district_officer"], in_library, datetime.date(2024, 9, 10), [asset]
    )
    assert (created.code, created.area.code, created.value) == (
        f"ZC-{in_library.code}-01",
        "420704100201",
        Decimal("120000.00"),
    )
    actions.request_asset_disposal(cast["district_officer"], created, "自然灾害损毁")
    with pytest.raises(ValidationError, match="不能审批自己提出的资产处置申请"):
        actions.approve_asset_disposal(cast["district_officer"], created, datetime.date(2024, 10, 1))
    actions.approve_asset_disposal(cast["district_admin"], created, datetime.date(2024, 10, 1))
    assert created.status == "disposed"


def test_import_refuses_the_whole_file_when_a_row_is_wrong(cast, township):
    good = list(importing.EXAMPLE)
    bad = list(importing.EXAMPLE)
    bad[7] = "420704101201"  # outside 泽林镇
    data = write_xlsx([SheetSpec("项目库", importing.HEADERS, [good, bad])])
    plan = importing.validate_projects(data, "lib.xlsx", township)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "实施地点代码")]
    with pytest.raises(ValidationError):
        importing.commit_projects(cast["district_officer"], plan)
    assert Project.objects.count() == 0
    plan = importing.validate_projects(
        write_xlsx([SheetSpec("项目库", importing.HEADERS, [good])]), "l.xlsx", township
    )
    [project] = importing.commit_projects(cast["district_officer"], plan)
    assert (project.name, project.planned_total) == ("新港村高山茶园提质扩面", Decimal("1000000.00"))
