"""Exporting the filtered audit log to .xlsx through a job: the file holds exactly the listed rows."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from zhenxing.audit import tasks
from zhenxing.audit.filters import AuditFilter
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.worker import Worker


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def read_xlsx(path: Path) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)["审计日志"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def export(client, query: dict) -> Job:
    response = client.post(reverse("audit:export"), query)
    job = Job.objects.get(kind="audit.export")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", kwargs={"public_id": job.public_id})
    assert Worker(name="test").run_once() is True
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error
    return job


def test_it_queues_an_export_with_the_current_filters(client, cast, entries):
    client.force_login(cast["inspector"])
    client.post(
        reverse("audit:export"), {"action": "update_thing", "date_from": "2024-03-01", "object_id": ""}
    )
    job = Job.objects.get()
    assert job.kind == "audit.export"
    assert job.params == {"action": "update_thing", "date_from": "2024-03-01"}
    assert job.created_by == cast["inspector"]
    assert job.status == Status.QUEUED
    assert job.label == "导出审计日志"


def test_it_exports_exactly_the_filtered_rows(client, cast, entries, media_root):
    client.force_login(cast["inspector"])
    query = {"area_code": "420704100", "date_to": "2024-03-01"}
    job = export(client, {**query, "action": "update_thing"})
    rows = read_xlsx(media_root / job.result_file)
    assert rows == [
        tasks.HEADERS,
        [
            2,
            datetime.datetime(2024, 3, 1, 23, 30),
            "zelin",
            "420704100",
            "命令行",
            "修改",
            "update_thing",
            "tests.thing",
            "1",
            "一号",
            "amount: 10.00 → 12.50",
            entries[2].hash,
        ],
    ]
    assert job.result == {"rows": 1}
    assert (job.progress_done, job.progress_total) == (1, 1)
    assert job.result_name.startswith("审计日志-") and job.result_name.endswith(".xlsx")


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"area_code": "420704100"},
        {"object_type": "tests.thing"},
        {"kind": "read_personal"},
        {"username": "nobody"},
    ],
)
def test_it_exports_the_same_rows_as_the_list(client, cast, entries, media_root, query):
    client.force_login(cast["district_admin"])
    job = export(client, query)
    listed = [e.id for e in client.get(reverse("audit:list"), query).context["page"]]
    exported = [row[0] for row in read_xlsx(media_root / job.result_file)[1:]]
    assert exported == listed
    assert job.result == {"rows": len(listed)}


def test_it_exports_in_batches_newest_first(cast, entries, monkeypatch):
    """The handler itself, with a recording context: batch boundaries do not lose or repeat rows."""
    monkeypatch.setattr(tasks, "EXPORT_BATCH_SIZE", 2)

    class Context:
        params = {"object_type": "tests.thing"}
        actor = cast["inspector"]

        def __init__(self):
            self.progress_calls, self.lines, self.files = [], [], {}

        def progress(self, done, total=None, message=""):
            self.progress_calls.append((done, total, message))

        def log(self, line):
            self.lines.append(line)

        def save_result(self, filename, data):
            self.files[filename] = data

    ctx = Context()
    assert tasks.export_audit_log(None, ctx) == {"rows": 3}
    assert ctx.progress_calls == [
        (0, 3, "共 3 条记录待导出"),
        (2, 3, "已导出 2 / 3 条"),
        (3, 3, "已导出 3 / 3 条"),
    ]
    assert ctx.lines == ["导出审计日志 3 条，筛选条件：{'object_type': 'tests.thing'}"]
    ((name, data),) = ctx.files.items()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["审计日志"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [4, 3, 2]


def test_it_refuses_to_export_for_an_actor_without_the_capability(cast, entries):
    job = Job.objects.create(
        kind="audit.export",
        params={},
        area=cast["district_officer"].area,
        created_by=cast["district_officer"],
    )
    assert Worker(name="test").run_once() is True
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == "您的角色无权进行此操作"
    assert job.result_file == ""


def test_it_refuses_a_bad_filter_without_queueing(client, cast, entries):
    client.force_login(cast["inspector"])
    response = client.post(reverse("audit:export"), {"date_from": "2024-02-30"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "筛选条件有误，未能导出：开始日期格式应为 YYYY-MM-DD"
    ]
    assert Job.objects.count() == 0
    assert AuditEntry.objects.count() == 5


def test_it_round_trips_filters_through_job_params():
    filters = AuditFilter(
        username="zelin", date_from=datetime.date(2024, 3, 1), date_to=datetime.date(2024, 3, 2)
    )
    params = filters.as_params()
    assert params == {"username": "zelin", "date_from": "2024-03-01", "date_to": "2024-03-02"}
    assert AuditFilter.from_params(params) == filters
    assert AuditFilter.from_params({}).is_empty
