import pytest
from django.core.management import CommandError, call_command

from zhenxing.areas.importing import commit_areas, validate_areas
from zhenxing.areas.models import Area
from zhenxing.audit.models import AuditEntry
from zhenxing.lib.tabular import SheetSpec, write_csv, write_xlsx

HEADERS = ["代码", "名称", "上级代码"]


def csv(rows, encoding="utf-8-sig") -> bytes:
    text = "\n".join(",".join(r) for r in [HEADERS, *rows]) + "\n"
    return text.encode(encoding)


@pytest.mark.django_db
def test_it_plans_adds_renames_and_unchanged_rows(cast, county, village):
    data = csv(
        [
            ["420704100202", "月山村", "420704100"],
            ["420704100202001", "一组", "420704100202"],  # parent added in the same file
            ["420704100201", "新港社区", "420704100"],  # exists: rename
            ["420704101201", "杜山村", "420704101"],  # exists, unchanged
        ]
    )
    plan = validate_areas(data, "村.csv", county)
    assert plan.errors == []
    assert [(r.row, r.code, r.action) for r in plan.rows] == [
        (2, "420704100202", "add"),
        (3, "420704100202001", "add"),
        (4, "420704100201", "rename"),
        (5, "420704101201", "unchanged"),
    ]
    result = commit_areas(cast["district_admin"], plan)
    assert result == {"added": 2, "renamed": 1, "unchanged": 1}
    assert Area.objects.get(code="420704100202001").parent.code == "420704100202"
    assert Area.objects.get(code="420704100201").name == "新港社区"
    assert AuditEntry.objects.filter(action="add_area").count() == 2


@pytest.mark.django_db
def test_it_lists_every_bad_row_with_row_column_and_reason(county):
    data = csv(
        [
            ["42070410020", "短码村", "420704100"],
            ["420704100202", "", "420704100"],
            ["420704199201", "无上级村", "420704199"],
            ["420704101203", "错上级村", "420704100"],
            ["420704100204", "重复村", "420704100"],
            ["420704100204", "重复村", "420704100"],
        ],
        encoding="gb18030",
    )
    plan = validate_areas(data, "村.csv", county)
    assert [(e.row, e.column, e.reason) for e in plan.errors] == [
        (2, "代码", "代码应为12位（村/社区）或15位（村民小组）数字，当前为“42070410020”"),
        (3, "名称", "名称不能为空"),
        (4, "上级代码", "上级代码 420704199 不存在：请先添加上级区划，或在同一文件中一并导入"),
        (5, "代码", "代码 420704101203 应为上级代码 420704100 后加3位数字"),
        (7, "代码", "代码 420704100204 在文件中重复出现（第6行已有）"),
    ]


@pytest.mark.django_db
def test_it_refuses_a_file_without_the_required_columns(county):
    data = "代码,名字\n420704100202,月山村\n".encode()
    plan = validate_areas(data, "村.csv", county)
    assert [(e.row, e.reason) for e in plan.errors] == [(0, "缺少必需列：名称、上级代码")]


@pytest.mark.django_db
def test_it_imports_from_the_command_line(cast, tmp_path, capsys):
    path = tmp_path / "村.xlsx"
    path.write_bytes(write_xlsx([SheetSpec("行政区划", HEADERS, [["420704100202", "月山村", "420704100"]])]))
    call_command("import", "areas", str(path))
    assert "导入完成：新增1个，更名0个，无变化0个" in capsys.readouterr().out
    entry = AuditEntry.objects.get(action="add_area")
    assert (entry.source, entry.actor_username) == ("cli", "admin")


@pytest.mark.django_db
def test_it_exits_non_zero_from_the_command_line_and_writes_nothing(cast, tmp_path, capsys):
    path = tmp_path / "村.csv"
    path.write_bytes(
        write_csv(HEADERS, [["420704100202", "月山村", "420704100"], ["4207", "坏", "420704100"]])
    )
    count = Area.objects.count()
    with pytest.raises(CommandError) as e:
        call_command("import", "areas", str(path))
    assert str(e.value) == "文件有1处错误，未导入任何数据"
    assert (
        "第3行 代码：代码应为12位（村/社区）或15位（村民小组）数字，当前为“4207”" in capsys.readouterr().err
    )
    assert Area.objects.count() == count
    assert not AuditEntry.objects.exists()
