"""`zhenxing import feed KIND FILE`: exit codes, output, the error report, --commit-valid, --user."""

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from conftest import make_user
from zhenxing.accounts.roles import Department, Role
from zhenxing.audit.models import AuditEntry
from zhenxing.registry.tests.change_helpers import register
from zhenxing.screening.models import FeedRow, FeedUpload
from zhenxing.screening.tests.feed_helpers import SON, UNKNOWN, medical, medical_csv, screening_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(cast, village):
    return register(cast["district_admin"], village)


def write(tmp_path, rows, name="医保.csv"):
    path = tmp_path / name
    path.write_bytes(medical_csv(rows))
    return path


def test_it_stores_a_clean_file_and_says_what_it_did(cast, household, tmp_path, capsys):
    path = write(tmp_path, [medical(), medical(SON), medical(UNKNOWN)])
    call_command("import", "feed", "medical", str(path), "--period", "2025-03")
    upload = FeedUpload.objects.get()
    assert capsys.readouterr().out == (
        f"导入完成：医保数据写入3行，匹配到农户2行，未匹配1行（上传编号 {upload.public_id}）\n"
    )
    assert (upload.period, upload.file_name, upload.uploaded_by.username) == ("2025-03", "医保.csv", "admin")
    entry = AuditEntry.objects.get(action="commit_feed")
    assert (entry.source, entry.actor_username) == ("cli", "admin")
    assert len(screening_jobs()) == 1
    assert not (tmp_path / "医保_错误报告.xlsx").exists()


def test_it_writes_the_report_and_nothing_else_when_the_file_has_errors(cast, household, tmp_path, capsys):
    path = write(tmp_path, [medical(), medical(SON, 个人自付="-1"), medical(UNKNOWN, 就诊类型="急诊")])
    audit_before = AuditEntry.objects.count()
    with pytest.raises(CommandError) as failed:
        call_command("import", "feed", "medical", str(path))
    assert failed.value.returncode == 1
    assert (
        str(failed.value)
        == "未写入任何数据：请按错误报告改正后重新导入，或加 --commit-valid 只写入没有错误的行"
    )
    report = tmp_path / "医保_错误报告.xlsx"
    assert capsys.readouterr().err.splitlines() == [
        f"医保数据文件有2处错误（涉及2行），错误报告：{report}",
        "医保数据 第3行 个人自付：不能为负数：请填写0或正数",
        "医保数据 第4行 就诊类型：“急诊”不是可选的就诊类型，请填写以下之一：住院、门诊",
    ]
    assert load_workbook(report).active.max_row == 3
    assert (FeedUpload.objects.count(), FeedRow.objects.count(), AuditEntry.objects.count()) == (
        0,
        0,
        audit_before,
    )


def test_it_stores_the_clean_rows_with_commit_valid_and_still_fails(cast, household, tmp_path, capsys):
    path = write(tmp_path, [medical(), medical(SON, 个人自付="-1")])
    with pytest.raises(CommandError) as failed:
        call_command("import", "feed", "medical", str(path), "--commit-valid")
    assert (failed.value.returncode, str(failed.value)) == (1, "有1行因错误未写入，见错误报告")
    assert list(FeedUpload.objects.get().rows.values_list("row_number", flat=True)) == [2]


def test_it_refuses_a_missing_column_even_with_commit_valid(cast, tmp_path, capsys):
    path = tmp_path / "医保.csv"
    path.write_bytes(medical_csv([{k: v for k, v in medical().items() if k != "结算日期"}]))
    with pytest.raises(CommandError) as failed:
        call_command("import", "feed", "medical", str(path), "--commit-valid")
    assert (failed.value.returncode, str(failed.value)) == (1, "未写入任何数据：请按错误报告改正后重新导入")
    assert "缺少必需列：结算日期" in capsys.readouterr().err
    assert FeedUpload.objects.count() == 0


def test_it_uploads_as_a_clerk_of_the_department_only(cast, household, tmp_path):
    path = write(tmp_path, [medical()])
    call_command("import", "feed", "medical", str(path), "--user", "clerk")
    assert FeedUpload.objects.get().uploaded_by == cast["department_clerk"]

    make_user("builder", Role.DEPARTMENT_CLERK, cast["district_admin"].area, Department.HOUSING)
    for user in ("builder", "zelin"):
        with pytest.raises(CommandError) as failed:
            call_command("import", "feed", "medical", str(path), "--user", user)
        assert failed.value.returncode == 1
        assert str(failed.value) == (
            f"账号 {user} 不能上传这类部门数据：部门填报员只能上传本部门的数据，其他角色须为区级业务人员或区级管理员"
        )
    with pytest.raises(CommandError) as failed:
        call_command("import", "feed", "medical", str(path), "--user", "nobody")
    assert str(failed.value) == "找不到启用的账号 nobody，请检查 --user"
    assert FeedUpload.objects.count() == 1


def test_it_says_when_the_file_is_missing(cast, tmp_path):
    with pytest.raises(CommandError) as failed:
        call_command("import", "feed", "medical", str(tmp_path / "无.csv"))
    assert str(failed.value) == f"找不到文件：{tmp_path / '无.csv'}"
