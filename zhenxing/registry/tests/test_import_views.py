"""The import pages: templates, upload → check job → preview → commit job; the error report."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.worker import Worker
from zhenxing.registry import importing
from zhenxing.registry.models import Household
from zhenxing.registry.tasks import COMMIT_IMPORT, VALIDATE_IMPORT
from zhenxing.registry.tests.import_helpers import (
    OTHER_HEAD,
    csv_file,
    family,
    member,
    wrong_check_digit,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, rows, kind="households", name="户籍.csv", data=None):
    file = SimpleUploadedFile(name, data if data is not None else csv_file(rows), content_type="text/csv")
    return client.post(reverse("imports:upload", kwargs={"kind": kind}), {"file": file})


def run_worker():
    while Worker("t").run_once():
        pass


def test_it_shows_both_upload_forms(client, cast):
    client.force_login(cast["township_officer"])
    response = client.get(reverse("imports:index"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "户籍成员" in text and "家庭收入" in text
    assert reverse("imports:template", kwargs={"kind": "households"}) in text
    assert 'id="id_households_file"' in text and 'id="id_income_file"' in text


def test_a_village_cadre_may_not_import(client, cast):
    client.force_login(cast["village_cadre"])
    assert client.get(reverse("imports:index")).status_code == 403
    assert upload(client, family()).status_code == 403
    assert Job.objects.count() == 0


def test_the_households_template_has_drop_downs_from_current_codes(client, cast):
    client.force_login(cast["district_admin"])
    response = client.get(reverse("imports:template", kwargs={"kind": "households"}))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["户籍成员", "填写说明"]
    sheet = book["户籍成员"]
    assert [c.value for c in sheet[1]] == importing.HOUSEHOLD_HEADERS
    formulas = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
        for dv in sheet.data_validations.dataValidation
    }
    assert formulas["D"] == '"脱贫户,一般农户"'  # 户类型
    assert formulas["P"] == '"省外务工,省内县外务工,县内务工,乡镇内务工,未务工"'  # 务工状况
    assert formulas["I"] == '"' + ",".join(importing.codes.current_labels("relation")) + '"'  # 与户主关系
    assert formulas["I"].startswith('"户主,配偶,之子,') and formulas["I"].count(",") == 27
    income = load_workbook(
        io.BytesIO(client.get(reverse("imports:template", kwargs={"kind": "income"})).content)
    )
    assert [c.value for c in income["家庭收入"][1]][:7] == [
        "户编号",
        "年度",
        "工资性收入",
        "生产经营性收入",
        "财产性收入",
        "转移性收入",
        "生产经营性支出",
    ]
    assert client.get(reverse("imports:template", kwargs={"kind": "cars"})).status_code == 404


def test_it_refuses_a_file_of_the_wrong_type(client, cast):
    client.force_login(cast["district_admin"])
    response = upload(client, [], name="户籍.pdf", data=b"%PDF")
    assert response.status_code == 200
    assert "不支持的文件类型“.pdf”，请上传 .xlsx、.xls 或 .csv 文件" in response.content.decode()
    assert Job.objects.count() == 0


def test_upload_check_preview_and_commit_the_clean_households(client, cast, village):
    client.force_login(cast["township_officer"])
    rows = [*family("H001"), member("H002", wrong_check_digit(OTHER_HEAD))]
    response = upload(client, rows)
    check = Job.objects.get(kind=VALIDATE_IMPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:preview", kwargs={"job_id": check.public_id})
    assert check.params == {
        "kind": "households",
        "stored_path": check.params["stored_path"],
        "filename": "户籍.csv",
        "scope": "420704100",
    }

    waiting = client.get(response["Location"]).content.decode()
    assert "正在检查户籍成员文件" in waiting and "hx-get" in waiting

    run_worker()
    check.refresh_from_db()
    assert check.status == Status.SUCCEEDED
    assert (check.result["errors"], check.result["new"], check.result["clean_households"]) == (1, 2, 1)
    page = client.get(response["Location"]).content.decode()
    assert "公民身份号码校验码错误" in page
    assert "只导入无错误的户" in page and "全部导入" not in page
    report = client.get(reverse("imports:errors", kwargs={"job_id": check.public_id}))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert [c.value for c in sheet[2]][:3] == ["户籍成员", 5, "公民身份号码"]

    refused = client.post(reverse("imports:commit", kwargs={"job_id": check.public_id}), {"mode": "all"})
    assert refused["Location"] == reverse("imports:preview", kwargs={"job_id": check.public_id})
    assert not Job.objects.filter(kind=COMMIT_IMPORT).exists()

    committed = client.post(reverse("imports:commit", kwargs={"job_id": check.public_id}), {"mode": "valid"})
    job = Job.objects.get(kind=COMMIT_IMPORT)
    assert committed["Location"] == reverse("jobs:detail", kwargs={"public_id": job.public_id})
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error
    assert job.result == {
        "kind": "户籍成员",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "persons": 3,
        "skipped": 1,
        "errors": 1,
    }
    assert list(Household.objects.values_list("number", flat=True)) == ["H001"]
    entry = AuditEntry.objects.get(action="household_registered")
    assert (entry.source, entry.actor_username) == ("import", "zelin")


def test_a_clean_file_offers_import_all(client, cast, village):
    client.force_login(cast["district_admin"])
    response = upload(client, family("H001"))
    run_worker()
    page = client.get(response["Location"]).content.decode()
    assert "全部导入" in page and "只导入无错误的户" not in page and "没有错误" in page
    check = Job.objects.get(kind=VALIDATE_IMPORT)
    assert client.get(reverse("imports:errors", kwargs={"job_id": check.public_id})).status_code == 404


def test_the_commit_job_checks_again_and_refuses_a_file_that_became_wrong(client, cast, village):
    client.force_login(cast["district_admin"])
    upload(client, family("H001"))
    run_worker()
    check = Job.objects.get(kind=VALIDATE_IMPORT)
    client.post(reverse("imports:commit", kwargs={"job_id": check.public_id}), {"mode": "all"})
    # Meanwhile another import registers the same head elsewhere.
    plan = importing.validate_households(
        csv_file([member("H777", family()[0]["公民身份号码"])]), "x.csv", village
    )
    importing.commit_households(cast["district_admin"], plan)
    run_worker()
    job = Job.objects.get(kind=COMMIT_IMPORT)
    assert job.status == Status.FAILED
    assert job.error == (
        "文件有1处错误（台账可能在检查之后有了变化），未导入任何数据：请下载错误报告改正后重新上传"
    )
    assert not Household.objects.filter(number="H001").exists()


def test_someone_elses_check_is_not_found(client, cast, village):
    client.force_login(cast["township_officer"])
    upload(client, family("H001"))
    check = Job.objects.get(kind=VALIDATE_IMPORT)
    client.force_login(cast["outside_township_officer"])
    assert client.get(reverse("imports:preview", kwargs={"job_id": check.public_id})).status_code == 404
    response = client.post(reverse("imports:commit", kwargs={"job_id": check.public_id}), {"mode": "all"})
    assert response.status_code == 404
    assert not Job.objects.filter(kind=COMMIT_IMPORT).exists()


def test_the_error_report_neutralises_formulas(county, village):
    """A sheet named "=1+2" (the only sheet, so it is read) comes back as text in the report."""
    plan = importing.validate_households(
        xlsx_file({"=1+2": [member("H001", wrong_check_digit(OTHER_HEAD), 姓名="@SUM(A1)")]}),
        "x.xlsx",
        county,
    )
    errors = [e for e in plan.errors]
    errors.append(importing.RowError('=HYPERLINK("x")', 3, "+列", "-1"))
    sheet = load_workbook(io.BytesIO(importing.error_report(errors))).active
    assert [c.value for c in sheet[2]][:1] == ["'=1+2"]
    assert [c.value for c in sheet[3]] == ['\'=HYPERLINK("x")', 3, "'+列", "'-1"]
    assert all(c.data_type == "s" for c in sheet[3] if c.column != 2)
    back = importing.read_error_report(importing.error_report(errors))
    assert [(e.sheet, e.row, e.column, e.reason) for e in back][-1] == ('=HYPERLINK("x")', 3, "+列", "-1")
