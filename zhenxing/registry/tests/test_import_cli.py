"""`zhenxing import households|income FILE`: exit codes, output, the error report, --commit-valid."""

import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from zhenxing.audit.models import AuditEntry
from zhenxing.registry.models import Household, IncomeYear
from zhenxing.registry.tests.import_helpers import (
    OTHER_HEAD,
    csv_file,
    family,
    income,
    member,
    wrong_check_digit,
)

pytestmark = pytest.mark.django_db


def write(tmp_path, name, rows, **kwargs):
    path = tmp_path / name
    path.write_bytes(csv_file(rows, **kwargs))
    return path


def test_it_imports_a_clean_file_and_says_what_it_did(cast, village, tmp_path, capsys):
    path = write(tmp_path, "户籍.csv", [*family("H001"), member("H002", OTHER_HEAD)])
    call_command("import", "households", str(path))
    assert capsys.readouterr().out == "导入完成：新增2户，更新0户，无变化0户，写入4人\n"
    assert Household.objects.count() == 2
    entry = AuditEntry.objects.filter(action="household_registered").first()
    assert (entry.source, entry.actor_username) == ("cli", "admin")
    assert not (tmp_path / "户籍_错误报告.xlsx").exists()


def test_it_writes_the_report_and_nothing_else_when_the_file_has_errors(cast, village, tmp_path, capsys):
    rows = [*family("H001"), *(member(f"H1{i:02d}", wrong_check_digit(OTHER_HEAD)) for i in range(22))]
    path = write(tmp_path, "户籍.csv", rows)
    with pytest.raises(CommandError) as failed:
        call_command("import", "households", str(path))
    assert failed.value.returncode == 1
    assert str(failed.value) == (
        "未导入任何数据：请按错误报告改正后重新导入，或加 --commit-valid 只导入没有错误的户"
    )
    report = tmp_path / "户籍_错误报告.xlsx"
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"户籍成员文件有22处错误（涉及22户），错误报告：{report}"
    assert err[1].startswith("户籍成员 第5行 公民身份号码：公民身份号码校验码错误")
    assert len(err) == 1 + 20 + 1
    assert err[-1] == "……其余2处见错误报告"
    sheet = load_workbook(report).active
    assert [c.value for c in sheet[1]] == ["工作表", "行号", "列", "问题及改正方法"]
    assert sheet.max_row == 23
    assert Household.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_commit_valid_imports_the_clean_households_and_still_fails(cast, village, tmp_path, capsys):
    path = write(tmp_path, "户籍.csv", [*family("H001"), member("H002", wrong_check_digit(OTHER_HEAD))])
    report = tmp_path / "报告" / "错误.xlsx"
    report.parent.mkdir()
    with pytest.raises(CommandError) as failed:
        call_command("import", "households", str(path), "--commit-valid", "--report", str(report))
    assert (failed.value.returncode, str(failed.value)) == (1, "有1户因错误未导入，见错误报告")
    assert capsys.readouterr().out == "导入完成：新增1户，更新0户，无变化0户，写入3人\n"
    assert report.exists()
    assert list(Household.objects.values_list("number", flat=True)) == ["H001"]


def test_it_imports_income_from_the_command_line(cast, village, tmp_path, capsys):
    call_command("import", "households", str(write(tmp_path, "户籍.csv", family("H001"))))
    capsys.readouterr()
    call_command("import", "income", str(write(tmp_path, "收入.csv", [income("H001", 2024)])))
    assert capsys.readouterr().out == "导入完成：新增1条年度收入，更新0条，无变化0条\n"
    assert IncomeYear.objects.get().net_income_per_capita == Decimal("8166.67")
    with pytest.raises(CommandError):
        call_command("import", "income", str(write(tmp_path, "错.csv", [income("H404", 2024)])))
    assert (tmp_path / "错_错误报告.xlsx").exists()


def test_the_areas_import_still_works(cast, county, tmp_path, capsys):
    path = tmp_path / "村.csv"
    path.write_text("代码,名称,上级代码\n420704100209,月山村,420704100\n", encoding="utf-8")
    call_command("import", "areas", str(path))
    assert "导入完成：新增1个，更名0个，无变化0个" in capsys.readouterr().out


def test_the_help_explains_commit_valid():
    out = subprocess.run(
        [sys.executable, "-m", "zhenxing", "import", "households", "--help"],
        capture_output=True,
        text=True,
        env={"ZX_ENV": "test", "PATH": ""},
        check=True,
    ).stdout
    assert "只导入没有错误的户" in out and "仍以退出码1结束" in out
