"""The reconciliation and the project-library import are committed by jobs: the pages enqueue and send
the user to the job page; the worker checks the staged file again and writes it in one transaction."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions, importing, tasks
from zhenxing.funds.models import Difference, DifferenceKind, FundSource, Project, ReconciliationBatch
from zhenxing.funds.reconcile import HEADERS
from zhenxing.jobs.actions import enqueue_job, retry_job
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.worker import Worker
from zhenxing.lib.staging import stage_upload
from zhenxing.lib.tabular import SheetSpec, write_xlsx

pytestmark = pytest.mark.django_db
C = FundSource.CENTRAL


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_worker() -> int:
    runs = 0
    while Worker("t").run_once():
        runs += 1
    return runs


def paid(cast, project):
    officer = cast["district_officer"]
    actions.add_allocation(officer, 2024, C, Decimal("100000"), "鄂财1号", datetime.date(2024, 1, 5))
    actions.set_plan_item(officer, 2024, project, C, "100000.00")
    actions.record_disbursement(officer, project, 2024, C, datetime.date(2024, 3, 1), "10000.00", "A")
    actions.record_disbursement(officer, project, 2024, C, datetime.date(2024, 4, 1), "20000.00", "B")


def reconcile_file(code: str) -> bytes:
    rows = [
        [code, "茶园", "中央衔接资金", "2024-03-01", "10000.00"],  # matches
        [code, "茶园", "中央衔接资金", "2024-04-01", "20001.00"],  # amount differs
        ["2024-X-999", "外地项目", "中央衔接资金", "2024-05-01", "500.00"],  # missing here
    ]
    return write_xlsx([SheetSpec("支付明细", HEADERS, rows)])


def preview(client, data: bytes, name="直达.xlsx"):
    file = SimpleUploadedFile(name, data)
    response = client.post(reverse("funds:reconcile"), {"file": file, "year": "2024"})
    assert response.status_code == 200
    return response.context["stored_path"]


def funds_audit() -> int:
    return AuditEntry.objects.filter(action__startswith="funds.").count()


# --- reconciliation ------------------------------------------------------------------------------


def test_it_stores_a_reconciliation_through_a_job(client, cast, county, in_library):
    paid(cast, in_library)
    officer = cast["district_officer"]
    client.force_login(officer)
    stored = preview(client, reconcile_file(in_library.code))

    response = client.post(
        reverse("funds:reconcile_commit"), {"stored_path": stored, "filename": "直达.xlsx", "year": "2024"}
    )

    job = Job.objects.get()
    assert (job.kind, job.status, job.created_by, job.area, job.params) == (
        "funds.reconcile",
        Status.QUEUED,
        officer,
        county,
        {"stored_path": stored, "filename": "直达.xlsx", "year": 2024},
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "jobs:detail", args=[job.public_id]
    )
    assert ReconciliationBatch.objects.count() == 0  # nothing is written in the request

    assert run_worker() == 1

    job.refresh_from_db()
    batch = ReconciliationBatch.objects.get()
    assert job.status == Status.SUCCEEDED
    assert job.result == {
        "year": 2024,
        "rows": 3,
        "matched": 1,
        "differences": 2,
        "url": reverse("funds:reconcile_detail", args=[batch.public_id]),
    }
    assert (batch.area, batch.year, batch.filename, batch.row_count, batch.imported_by) == (
        county,
        2024,
        "直达.xlsx",
        3,
        officer,
    )
    assert sorted(batch.differences.values_list("project_code", "kind")) == [
        (in_library.code, DifferenceKind.AMOUNT),
        ("2024-X-999", DifferenceKind.MISSING_HERE),
    ]
    entry = AuditEntry.objects.get(action="funds.reconcile")
    assert (entry.actor, entry.source, entry.object_id) == (officer, "import", str(batch.public_id))
    assert job.result_url == job.result["url"]
    assert "对账差异清单" not in dict(job.result_items)
    job_page = client.get(reverse("jobs:detail", args=[job.public_id])).content.decode()
    assert f'href="{job.result_url}">查看结果</a>' in job_page
    page = client.get(job.result_url).content.decode()
    assert "2024-X-999" in page and "直达系统有、本系统无" in page


def test_the_reconciliation_job_checks_the_file_again_and_writes_nothing_when_it_is_wrong(cast, in_library):
    bad = write_xlsx([SheetSpec("s", HEADERS, [["P1", "x", "火星资金", "2023-01-01", "abc"]])])
    stored = stage_upload("直达.xlsx", bad)
    job = enqueue_job(
        cast["district_officer"],
        tasks.RECONCILE,
        {"stored_path": stored, "filename": "直达.xlsx", "year": 2024},
    )
    before = funds_audit()

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.error) == (Status.FAILED, "文件有3处错误，未保存对账结果：请改正后重新上传")
    assert "第2行 资金来源：无法识别的资金来源“火星资金”" in job.log
    assert (ReconciliationBatch.objects.count(), Difference.objects.count(), funds_audit()) == (0, 0, before)


def test_a_failed_reconciliation_job_can_be_retried_once_the_file_is_back(cast, in_library):
    paid(cast, in_library)
    officer = cast["district_officer"]
    stored = stage_upload("直达.xlsx", reconcile_file(in_library.code))
    path = Path(settings.MEDIA_ROOT) / stored
    data = path.read_bytes()
    path.unlink()
    job = enqueue_job(
        officer, tasks.RECONCILE, {"stored_path": stored, "filename": "直达.xlsx", "year": 2024}
    )

    run_worker()
    job.refresh_from_db()
    assert job.status == Status.FAILED and ReconciliationBatch.objects.count() == 0

    path.write_bytes(data)
    retry_job(officer, job)
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert (ReconciliationBatch.objects.count(), Difference.objects.count()) == (1, 2)


def test_the_commit_page_refuses_a_missing_file_and_queues_nothing(client, cast):
    client.force_login(cast["district_officer"])
    for data in ({}, {"stored_path": "imports/2024/01/none.xlsx", "year": "2024"}, {"stored_path": "../x"}):
        response = client.post(reverse("funds:reconcile_commit"), data, follow=True)
        assert response.redirect_chain == [(reverse("funds:reconcile"), 302)]
        assert "导入文件已失效，请重新上传" in response.content.decode()
    assert Job.objects.count() == 0


def test_only_district_roles_may_commit_a_reconciliation(client, cast, in_library):
    client.force_login(cast["district_officer"])
    stored = preview(client, reconcile_file(in_library.code))
    for who in ("township_officer", "village_cadre", "inspector", "department_clerk"):
        client.force_login(cast[who])
        response = client.post(reverse("funds:reconcile_commit"), {"stored_path": stored, "year": "2024"})
        assert response.status_code == 403
    assert Job.objects.count() == 0


# --- project-library import ------------------------------------------------------------------------


def library_file(*rows) -> bytes:
    return write_xlsx([SheetSpec("项目库", importing.HEADERS, list(rows) or [importing.EXAMPLE])])


def test_it_imports_a_project_library_through_a_job(client, cast, county, village):
    officer = cast["district_officer"]
    client.force_login(officer)
    response = client.post(
        reverse("funds:import"), {"file": SimpleUploadedFile("项目库.xlsx", library_file())}
    )
    assert response.status_code == 200 and response.context["plan"].is_valid
    stored = response.context["stored_path"]

    response = client.post(reverse("funds:import_commit"), {"stored_path": stored, "filename": "项目库.xlsx"})

    job = Job.objects.get()
    assert (job.kind, job.status, job.area, job.params) == (
        "funds.import_projects",
        Status.QUEUED,
        county,
        {"stored_path": stored, "filename": "项目库.xlsx", "scope": "420704"},
    )
    assert response["Location"] == reverse("jobs:detail", args=[job.public_id])
    assert Project.objects.count() == 0

    run_worker()

    job.refresh_from_db()
    project = Project.objects.get()
    assert (job.status, job.result) == (Status.SUCCEEDED, {"created": 1, "url": "/funds/?status=proposed"})
    assert (project.name, project.area, project.status, project.proposed_by) == (
        "新港村高山茶园提质扩面",
        village,
        "proposed",
        officer,
    )
    assert "导入完成：新增1个项目（状态：村申报，待乡镇审核）" in job.log
    entry = AuditEntry.objects.get(action="funds.propose")
    assert (entry.actor, entry.source) == (officer, "import")
    page = client.get(job.result["url"]).content.decode()
    assert project.code in page


def test_the_import_job_refuses_the_whole_file_when_the_library_changed(cast, village):
    row = list(importing.EXAMPLE)
    row[0] = "2024-XG-001"
    other = list(importing.EXAMPLE)
    other[0] = "2024-XG-002"
    stored = stage_upload("项目库.xlsx", library_file(other, row))
    job = enqueue_job(
        cast["district_officer"],
        tasks.IMPORT_PROJECTS,
        {"stored_path": stored, "filename": "项目库.xlsx", "scope": "420704"},
    )
    # Between the preview and the job, someone enters the second row's code by hand.
    importing.commit_projects(
        cast["district_officer"],
        importing.validate_projects(library_file(row), "l.xlsx", cast["district_officer"].area),
    )
    before = (Project.objects.count(), funds_audit())

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.error) == (Status.FAILED, "文件有1处错误，未导入任何项目：请改正后重新上传")
    assert "第3行 项目编码：项目编码 2024-XG-001 已存在或在文件中重复" in job.log
    assert (Project.objects.count(), funds_audit()) == before


def test_the_import_page_refuses_a_missing_file_and_queues_nothing(client, cast):
    client.force_login(cast["district_officer"])
    response = client.post(reverse("funds:import_commit"), {"stored_path": ""}, follow=True)
    assert response.redirect_chain == [(reverse("funds:import"), 302)]
    assert "导入文件已失效，请重新上传" in response.content.decode()
    assert Job.objects.count() == 0
