import pytest
from django.core.management import CommandError, call_command

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import importing
from zhenxing.funds.models import Project
from zhenxing.lib.tabular import SheetSpec, write_xlsx

pytestmark = pytest.mark.django_db


def test_it_imports_a_project_library_from_the_command_line(cast, village, tmp_path, capsys):
    path = tmp_path / "项目库.xlsx"
    path.write_bytes(write_xlsx([SheetSpec("项目库", importing.HEADERS, [importing.EXAMPLE])]))
    call_command("import", "projects", str(path))
    assert "导入完成：新增1个项目（状态：村申报，待乡镇审核）" in capsys.readouterr().out
    project = Project.objects.get()
    assert (project.name, project.area.code) == ("新港村高山茶园提质扩面", "420704100201")


def test_it_refuses_the_whole_file_from_the_command_line(cast, village, tmp_path, capsys):
    bad = list(importing.EXAMPLE)
    bad[7] = "420704999201"
    path = tmp_path / "项目库.xlsx"
    path.write_bytes(write_xlsx([SheetSpec("项目库", importing.HEADERS, [importing.EXAMPLE, bad])]))
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError) as e:
        call_command("import", "projects", str(path))
    assert str(e.value) == "文件有1处错误，未导入任何数据"
    assert "第3行 实施地点代码：" in capsys.readouterr().err
    assert Project.objects.count() == 0
    assert AuditEntry.objects.count() == before
