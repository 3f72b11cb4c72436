"""`zhenxing export warnings FILE.csv [--as-of]`: columns, masked ID numbers, the state as of a date,
and exit codes."""

import pytest
from django.core.management import CommandError, call_command

from zhenxing import cli
from zhenxing.screening.actions import assign_warning, close_warning, start_verification
from zhenxing.screening.models import Warning
from zhenxing.screening.tests.run_helpers import D, lifted, medical, push, run

pytestmark = pytest.mark.django_db
HEADER = "预警编号,规则,户编号,姓名,公民身份号码,风险类型,状态,期间,核实结果"


@pytest.fixture
def warning(cast, village):
    lifted(cast, village)
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)  # raised 2025-04-01
    return Warning.objects.get()


@pytest.fixture
def closed(cast, warning):
    warning = assign_warning(cast["township_officer"], warning, D(2025, 4, 2))
    warning = start_verification(cast["village_cadre"], warning, D(2025, 4, 3))
    return close_warning(cast["village_cadre"], warning, result="include", reason="", closed_on=D(2025, 4, 7))


def lines(path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").splitlines()


def row(warning, status: str, result: str = "") -> str:
    return f"{warning.number},脱贫户和监测户医疗个人自付,H001,张三,{warning.person.id_masked},因病,{status},2025,{result}"


def test_it_exports_the_warnings(cast, warning, tmp_path, capsys):
    path = tmp_path / "预警.csv"

    call_command("export", "warnings", str(path))

    assert lines(path) == [HEADER, row(warning, "待分派")]
    assert warning.person.id_masked.count("*") == 8
    assert capsys.readouterr().out == f"已导出1条筛查预警：{path}\n"


def test_it_exports_the_state_on_a_date(cast, closed, tmp_path):
    path = tmp_path / "预警.csv"
    expected = {
        "2025-03-31": [HEADER],
        "2025-04-01": [HEADER, row(closed, "待分派")],
        "2025-04-02": [HEADER, row(closed, "已分派待核实")],
        "2025-04-06": [HEADER, row(closed, "核实中")],
        "2025-04-07": [HEADER, row(closed, "已办结", "纳入监测")],
    }
    for day, content in expected.items():
        call_command("export", "warnings", str(path), "--as-of", day)
        assert lines(path) == content, day


def test_it_exports_the_current_state_without_a_date(cast, closed, tmp_path):
    path = tmp_path / "预警.csv"
    call_command("export", "warnings", str(path))
    assert lines(path) == [HEADER, row(closed, "已办结", "纳入监测")]


def test_it_exits_1_on_a_bad_date(cast, tmp_path, capsys):
    path = tmp_path / "预警.csv"

    with pytest.raises(SystemExit) as exit_:
        cli.main(["zhenxing", "export", "warnings", str(path), "--as-of", "2025/13/01"])

    assert exit_.value.code == 1
    assert (
        capsys.readouterr().err
        == "CommandError: 日期“2025/13/01”格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31\n"
    )
    assert not path.exists()


def test_it_refuses_a_file_that_is_not_csv(cast, tmp_path):
    with pytest.raises(CommandError) as refusal:
        call_command("export", "warnings", str(tmp_path / "预警.xlsx"))
    assert str(refusal.value) == "请导出为 .csv 文件，如 预警.csv（现为“预警.xlsx”）"


def test_it_refuses_a_missing_directory(cast, tmp_path):
    with pytest.raises(CommandError) as refusal:
        call_command("export", "warnings", str(tmp_path / "没有" / "预警.csv"))
    assert str(refusal.value) == f"找不到目录：{tmp_path / '没有'}，请先创建"


def test_it_exits_0_when_it_writes(cast, warning, tmp_path):
    cli.main(["zhenxing", "export", "warnings", str(tmp_path / "预警.csv")])  # no SystemExit: exit code 0
    assert len(lines(tmp_path / "预警.csv")) == 2
