"""`zhenxing report NAME --as-of YYYY-MM-DD --area CODE FILE.xlsx [--full-ids]`: the same workbook as the
page, masked unless asked (then audited with source 命令行), and Chinese errors with exit 1 and no file."""

import io

import openpyxl
import pytest
import time_machine
from django.core.management import call_command

from zhenxing import cli
from zhenxing.audit.models import AuditEntry, Kind, Source
from zhenxing.registry.tests.change_helpers import id_number
from zhenxing.reports.statutory.table import get_report
from zhenxing.reports.statutory.workbook import build_workbook
from zhenxing.reports.tests.test_statutory_exports import NOW, D, built_world, masked

pytestmark = pytest.mark.django_db
NAMES = (
    "monitored（监测对象台账）、measures（帮扶措施台账）、eliminations（风险消除台账）、"
    "warnings（预警处置台账）、disbursements（资金拨付进度表）、assets（项目资产台账）"
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with built_world(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """A command run from the command line closes every database connection when it ends; on PostgreSQL
    that would close the test's own connection (SQLite's in-memory test database is never closed)."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def cells(path) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_it_writes_the_workbook_of_the_page_and_exits_0(world, tmp_path, capsys):
    path = tmp_path / "监测对象台账.xlsx"
    audit_before = AuditEntry.objects.count()

    cli.main(["zhenxing", "report", "monitored", "--as-of", "2025-12-31", "--area", "420704100", str(path)])

    out = capsys.readouterr().out
    assert out == f"已生成监测对象台账（鄂城区泽林镇，截至2025年12月31日）：3户，{path}\n"
    rows = cells(path)
    page = build_workbook(get_report("monitored"), world["areas"]["zelin"], D(2025, 12, 31)).data
    assert rows == [
        list(r) for r in openpyxl.load_workbook(io.BytesIO(page)).active.iter_rows(values_only=True)
    ]
    assert [r[5] for r in rows[3:-1]] == [masked(1), masked(4), masked(7)]
    assert AuditEntry.objects.count() == audit_before  # a masked export writes no audit row


def test_it_defaults_to_the_district_and_today(world, tmp_path, capsys):
    path = tmp_path / "帮扶措施台账.xlsx"

    call_command("report", "measures", str(path))

    assert capsys.readouterr().out == f"已生成帮扶措施台账（鄂城区，截至2026年3月2日）：4项，{path}\n"
    assert cells(path)[1][0] == "截至2026年3月2日　　金额单位：元"


def test_full_ids_are_written_and_audited_with_the_command_line_as_source(world, tmp_path, capsys):
    path = tmp_path / "风险消除台账.xlsx"

    call_command("report", "eliminations", str(path), "--as-of", "2025-12-31", "--full-ids")

    assert cells(path)[3][5] == id_number(1)
    assert "含完整身份证号码（已记入审计日志）" in capsys.readouterr().out
    entry = AuditEntry.objects.get(kind=Kind.EXPORT_PERSONAL)
    assert (entry.actor, entry.actor_username, entry.source, entry.action, entry.area_code) == (
        None,
        "",
        Source.CLI,
        "export_statutory_report",
        "420704",
    )
    assert entry.changes == {"report": "eliminations", "area": "420704", "as_of": "2025-12-31", "rows": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        (["people"], f"没有名为“people”的报表，可选：{NAMES}"),
        (
            ["monitored", "--as-of", "2025/13/01"],
            "日期“2025/13/01”格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31",
        ),
        (["monitored", "--as-of", "2026-03-03"], "截至日期不能晚于今天（2026-03-02），现为 2026-03-03"),
        (
            ["monitored", "--area", "4207041"],
            "找不到区划代码“4207041”，请填写乡镇（街道）9位或村（社区）12位统计用区划代码",
        ),
    ],
)
def test_it_exits_1_in_chinese_and_writes_no_file(world, tmp_path, capsys, args, message):
    path = tmp_path / "报表.xlsx"
    audit_before = AuditEntry.objects.count()

    with pytest.raises(SystemExit) as exit_:
        cli.main(["zhenxing", "report", *args, str(path)])

    assert exit_.value.code == 1
    assert capsys.readouterr().err == f"CommandError: {message}\n"
    assert list(tmp_path.iterdir()) == []
    assert AuditEntry.objects.count() == audit_before


def test_it_refuses_a_file_that_is_not_xlsx_or_a_missing_directory(world, tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["zhenxing", "report", "assets", str(tmp_path / "资产.csv")])
    assert (
        capsys.readouterr().err
        == "CommandError: 请输出为 .xlsx 文件，如 项目资产台账.xlsx（现为“资产.csv”）\n"
    )
    with pytest.raises(SystemExit):
        cli.main(["zhenxing", "report", "assets", str(tmp_path / "没有" / "资产.xlsx")])
    assert capsys.readouterr().err == f"CommandError: 找不到目录：{tmp_path / '没有'}，请先创建\n"
    assert list(tmp_path.iterdir()) == []
