"""The feed pages: upload → preview → commit (a job), the list, an upload's rows, unmatched rows,
templates, the error report and the feedback view; who may see what."""

import datetime
import hashlib
import io

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_user
from zhenxing.accounts.roles import Department, Role
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.worker import Worker
from zhenxing.lib.tabular import VALIDATION_LAST_ROW
from zhenxing.policy.models import PolicyVersion
from zhenxing.registry.tests.change_helpers import register
from zhenxing.registry.tests.import_helpers import csv_file
from zhenxing.screening import feeds
from zhenxing.screening.actions.feeds import commit_feed
from zhenxing.screening.models import FeedRow, FeedUpload, ScreeningRun, Warning, WarningResult, WarningStatus
from zhenxing.screening.tasks import COMMIT_FEED
from zhenxing.screening.tests.feed_helpers import (
    HEAD,
    SON,
    UNKNOWN,
    medical,
    medical_csv,
    medical_xlsx,
    screening_jobs,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def household(cast, village):
    return register(cast["district_admin"], village)


def upload_file(client, data: bytes, name="医保.csv", kind="medical", period="2025-03"):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse("screening:feed_upload"), {"kind": kind, "period": period, "file": file})


def commit(client, response, mode="all"):
    return client.post(reverse("screening:feed_commit"), {"token": response.context["token"], "mode": mode})


def stored(user, kind="medical", rows=None) -> FeedUpload:
    """An upload made through the action (for the pages that show one)."""
    data = medical_csv(rows or [medical(), medical(SON), medical(UNKNOWN, name="王五")])
    if kind != "medical":
        data = csv_file([{"户主公民身份号码": HEAD, "鉴定日期": "2025-01-02", "房屋安全等级": "D"}])
    plan = feeds.validate_feed(kind, data, "f.csv")
    return commit_feed(user, kind, plan, source=FeedUpload.Source.FILE, file_name="f.csv")


# —— Upload, preview, commit ——————————————————————————————————————————————————————————————————————


def test_it_previews_a_clean_file_with_its_matches_and_commits_it_through_a_job(client, cast, household):
    clerk = cast["department_clerk"]
    client.force_login(clerk)
    data = medical_xlsx([medical(), medical(SON), medical(UNKNOWN, name="王五")])
    preview = upload_file(client, data, name="医保2025年3月.xlsx")
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "3（其中能匹配到台账农户的 2 行，未匹配 1 行）" in text
    assert "没有错误" in text and "确认写入" in text and "只写入没有错误的行" not in text
    assert HEAD not in text and HEAD[:6] + "********" + HEAD[-4:] in text
    assert FeedUpload.objects.count() == 0 and Job.objects.count() == 0

    response = commit(client, preview)
    job = Job.objects.get(kind=COMMIT_FEED)
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.public_id])
    assert job.params["only_valid"] is False and job.params["period"] == "2025-03"
    assert Worker("t").run_once()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error
    upload = FeedUpload.objects.get()
    assert job.result == {
        "kind": "医保",
        "upload": str(upload.public_id),
        "rows": 3,
        "matched": 2,
        "unmatched": 1,
        "skipped": 0,
    }
    assert (upload.file_name, upload.period, upload.sha256, upload.uploaded_by) == (
        "医保2025年3月.xlsx",
        "2025-03",
        hashlib.sha256(data).hexdigest(),
        clerk,
    )
    assert AuditEntry.objects.get(action="commit_feed").source == "import"
    (run,) = screening_jobs()
    assert run.params["upload"] == str(upload.public_id)

    listing = client.get(reverse("screening:feed_list")).content.decode()
    assert reverse("screening:feed_detail", args=[upload.public_id]) in listing


def test_it_lists_every_error_and_writes_nothing(client, cast, household):
    client.force_login(cast["district_officer"])
    rows = [medical(), medical(SON, 结算日期="2025-02-30"), medical(UNKNOWN, 个人自付="-3")]
    preview = upload_file(client, medical_csv(rows))
    text = preview.content.decode()
    assert "2 处" in text and "涉及 2 行" in text
    assert "日期不存在：2025-02-30，请检查月份和日期" in text and "不能为负数：请填写0或正数" in text
    assert [(e.row, e.column) for e in preview.context["errors"]] == [(3, "结算日期"), (4, "个人自付")]
    assert "确认写入" not in text and "只写入没有错误的行（1 行）" in text

    refused = commit(client, preview, mode="all")
    assert refused.status_code == 302 and refused.url == reverse("screening:feed_upload")
    assert (Job.objects.count(), FeedUpload.objects.count(), FeedRow.objects.count()) == (0, 0, 0)

    report = client.get(reverse("screening:feed_errors"), {"token": preview.context["token"]})
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["工作表", "行号", "列", "问题及改正方法"],
        ["医保数据", 3, "结算日期", "日期不存在：2025-02-30，请检查月份和日期"],
        ["医保数据", 4, "个人自付", "不能为负数：请填写0或正数"],
    ]


def test_it_commits_only_the_clean_rows_when_chosen(client, cast, household):
    client.force_login(cast["district_officer"])
    preview = upload_file(client, medical_csv([medical(), medical(SON, 个人自付="-3")]))
    commit(client, preview, mode="valid")
    assert Worker("t").run_once()
    upload = FeedUpload.objects.get()
    assert list(upload.rows.values_list("row_number", flat=True)) == [2]
    assert Job.objects.get(kind=COMMIT_FEED).result["skipped"] == 1


def test_it_refuses_a_missing_column_with_its_name(client, cast):
    client.force_login(cast["district_officer"])
    row = {k: v for k, v in medical().items() if k != "个人自付"}
    text = upload_file(client, medical_csv([row])).content.decode()
    assert "缺少必需列：个人自付" in text and "确认写入" not in text and "只写入没有错误的行" not in text


def test_it_refuses_a_token_that_was_changed_or_is_someone_elses(client, cast, household):
    client.force_login(cast["district_officer"])
    preview = upload_file(client, medical_csv([medical()]))
    token = preview.context["token"]
    forged = signing.dumps({**preview.context["staged"], "path": "imports/../../etc/passwd"}, salt="other")
    response = client.post(reverse("screening:feed_commit"), {"token": forged, "mode": "all"})
    assert response.status_code == 302 and response.url == reverse("screening:feed_upload")

    client.force_login(cast["district_admin"])
    response = client.post(reverse("screening:feed_commit"), {"token": token, "mode": "all"})
    assert response.status_code == 302 and response.url == reverse("screening:feed_upload")
    assert client.get(reverse("screening:feed_errors"), {"token": token}).status_code == 404
    assert Job.objects.count() == 0


def test_a_clerk_uploads_only_their_own_department(client, cast, household):
    client.force_login(cast["department_clerk"])
    form = client.get(reverse("screening:feed_upload"))
    assert [value for value, _ in form.context["form"].fields["kind"].choices] == ["medical"]
    housing = csv_file([{"户主公民身份号码": HEAD, "鉴定日期": "2025-01-02", "房屋安全等级": "D"}])
    response = upload_file(client, housing, name="住建.csv", kind="housing")
    assert response.status_code == 200 and "preview" not in response.context
    assert response.context["form"].errors["kind"] == ["选择一个有效的选项。 housing 不在可用的选项中。"]
    assert FeedUpload.objects.count() == 0


@pytest.mark.parametrize("role", ["township_officer", "village_cadre"])
def test_roles_without_feeds_are_refused(client, cast, role):
    client.force_login(cast[role])
    upload = stored(cast["district_officer"])
    for url in (
        reverse("screening:feed_list"),
        reverse("screening:feed_upload"),
        reverse("screening:feed_template", args=["medical"]),
        reverse("screening:feed_detail", args=[upload.public_id]),
        reverse("screening:feed_unmatched", args=[upload.public_id]),
        reverse("screening:feed_feedback", args=[upload.public_id]),
    ):
        assert client.get(url).status_code == 403, url
    assert upload_file(client, medical_csv([medical()])).status_code == 403


def test_an_inspector_reads_but_does_not_upload(client, cast):
    upload = stored(cast["district_officer"])
    client.force_login(cast["inspector"])
    assert client.get(reverse("screening:feed_list")).status_code == 200
    assert client.get(reverse("screening:feed_detail", args=[upload.public_id])).status_code == 200
    assert client.get(reverse("screening:feed_upload")).status_code == 403


def test_a_clerk_sees_only_their_own_departments_uploads(client, cast, household):
    builder = make_user("builder", Role.DEPARTMENT_CLERK, cast["district_admin"].area, Department.HOUSING)
    medical_upload = stored(cast["district_officer"])
    housing_upload = stored(builder, kind="housing")
    client.force_login(cast["department_clerk"])
    listing = client.get(reverse("screening:feed_list"))
    assert [u.pk for u in listing.context["page"]] == [medical_upload.pk]
    for name in ("feed_detail", "feed_unmatched", "feed_feedback"):
        assert client.get(reverse(f"screening:{name}", args=[housing_upload.public_id])).status_code == 404
        assert client.get(reverse(f"screening:{name}", args=[medical_upload.public_id])).status_code == 200

    client.force_login(cast["district_officer"])
    listing = client.get(reverse("screening:feed_list"))
    assert [u.pk for u in listing.context["page"]] == [housing_upload.pk, medical_upload.pk]
    listing = client.get(reverse("screening:feed_list"), {"kind": "housing"})
    assert [u.pk for u in listing.context["page"]] == [housing_upload.pk]


# —— One upload ——————————————————————————————————————————————————————————————————————————————————


def test_the_detail_shows_masked_rows_and_their_village(client, cast, household):
    upload = stored(cast["department_clerk"])
    client.force_login(cast["department_clerk"])
    text = client.get(reverse("screening:feed_detail", args=[upload.public_id])).content.decode()
    assert HEAD not in text and UNKNOWN not in text
    assert "新港村" in text and "未匹配" in text and "6999.50" in text
    unmatched = client.get(reverse("screening:feed_detail", args=[upload.public_id]), {"show": "unmatched"})
    assert [row.row_number for row, _ in unmatched.context["rows"]] == [4]


def test_the_unmatched_download_lists_the_unmatched_rows_masked(client, cast, household):
    upload = stored(cast["department_clerk"])
    client.force_login(cast["department_clerk"])
    response = client.get(reverse("screening:feed_unmatched", args=[upload.public_id]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == [
        [
            "行号",
            "公民身份号码（脱敏）",
            "姓名",
            "未匹配原因",
            "结算日期",
            "就诊类型",
            "医疗总费用",
            "基本医保支付",
        ]
        + ["大病保险支付", "医疗救助支付", "个人自付"],
        [
            4,
            UNKNOWN[:6] + "********" + UNKNOWN[-4:],
            "王五",
            "台账中没有这个公民身份号码",
            "2025-03-01",
            "住院",
        ]
        + ["12000.00", "5000.50", "0.00", "0.00", "6999.50"],
    ]


@pytest.mark.parametrize("kind", feeds.KINDS)
def test_the_template_opens_with_the_headers_and_drop_downs(client, cast, kind):
    client.force_login(cast["district_officer"])
    response = client.get(reverse("screening:feed_template", args=[kind]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[feeds.sheet_name(kind)]
    assert [c.value for c in sheet[1]] == [c.header for c in feeds.FEED_COLUMNS[kind]]
    choices = {c.header: c.choices for c in feeds.FEED_COLUMNS[kind] if c.choices}
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        lists[sheet[f"{column}1"].value] = validation.formula1
        assert str(validation.sqref).endswith(str(VALIDATION_LAST_ROW))
    assert lists == {header: '"' + ",".join(values) + '"' for header, values in choices.items()}
    assert book["填写说明"]["A1"].value == "列"


def test_the_medical_template_reads_back_as_a_file_with_only_missing_values():
    data = feeds.template_workbook("medical")
    plan = feeds.validate_feed("medical", data, "医保数据模板.xlsx")
    assert [e.reason for e in plan.errors] == ["文件中没有数据行：请在表头下面逐行填写数据后重新上传"]


# —— Feedback ———————————————————————————————————————————————————————————————————————————————————


def warning_for(row: FeedRow, number: str, **fields) -> Warning:
    run = ScreeningRun.objects.create(as_of=datetime.date(2025, 6, 30), status=ScreeningRun.Status.DONE)
    warning = Warning.objects.create(
        number=number,
        rule="medical_lifted",
        rule_version=1,
        policy_version=PolicyVersion.objects.order_by("-year", "-version").first(),
        household=row.household,
        area=row.area,
        person=row.person,
        period="2025",
        risk_type="因病",
        department="medical",
        first_run=run,
        raised_on=datetime.date(2025, 6, 30),
        due=datetime.date(2025, 7, 7),
        **fields,
    )
    warning.feed_rows.add(row)
    return warning


def test_the_feedback_lists_each_matched_row_and_what_became_of_it(client, cast, household):
    upload = stored(cast["department_clerk"])
    head_row, son_row = upload.rows.filter(household__isnull=False).order_by("row_number")
    warning_for(
        head_row,
        "YJ2025000001",
        status=WarningStatus.CLOSED,
        result=WarningResult.INCLUDE,
        result_reason="经核实，自付费用较高",
    )
    client.force_login(cast["department_clerk"])
    response = client.get(reverse("screening:feed_feedback", args=[upload.public_id]))
    assert response.status_code == 200
    shown = [(row.row_number, [w.number for w, _ in warnings]) for row, warnings in response.context["rows"]]
    assert shown == [(2, ["YJ2025000001"]), (3, [])]
    text = response.content.decode()
    assert "YJ2025000001" in text and "已办结" in text and "纳入监测：经核实，自付费用较高" in text
    assert "未触发预警" in text
    assert response.context["by_status"] == [("已办结", 1)]
    warned = client.get(reverse("screening:feed_feedback", args=[upload.public_id]), {"show": "warned"})
    assert [row.row_number for row, _ in warned.context["rows"]] == [2]


def test_the_commit_job_refuses_a_file_changed_after_the_preview(client, cast, household, settings):
    client.force_login(cast["district_officer"])
    preview = upload_file(client, medical_csv([medical()]))
    commit(client, preview)
    job = Job.objects.get(kind=COMMIT_FEED)
    (settings.MEDIA_ROOT / job.params["stored_path"]).write_bytes(medical_csv([medical(), medical(SON)]))
    Worker("t").run_once()
    job.refresh_from_db()
    assert (job.status, job.error) == (
        Status.FAILED,
        "上传的文件在检查之后发生了变化，未写入任何数据：请重新上传",
    )
    assert (FeedUpload.objects.count(), FeedRow.objects.count()) == (0, 0)


def test_a_retried_commit_job_does_not_store_the_upload_twice(client, cast, household):
    client.force_login(cast["district_officer"])
    commit(client, upload_file(client, medical_csv([medical()])))
    assert Worker("t").run_once()
    job = Job.objects.get(kind=COMMIT_FEED)
    first = job.result
    Job.objects.filter(pk=job.pk).update(status=Status.QUEUED)  # as if it failed after storing, then retried
    Job.objects.filter(kind="screening.run").delete()
    assert Worker("t").run_once()
    job.refresh_from_db()
    assert (job.status, job.result) == (Status.SUCCEEDED, first)
    assert FeedUpload.objects.count() == 1
