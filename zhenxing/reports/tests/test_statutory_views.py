"""The 统计报表 page: the form, 生成 as a job whose result is the workbook, masked and full ID numbers with
their audit rows, and refusals that queue nothing."""

import datetime
import io
import re

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from zhenxing.audit.models import AuditEntry, Kind, Source
from zhenxing.jobs.actions import claim_job, run_job
from zhenxing.jobs.models import Job, Status
from zhenxing.registry.tests.change_helpers import id_number
from zhenxing.reports.statutory.tasks import JOB_KIND
from zhenxing.reports.tests.test_statutory_exports import NOW, built_world, masked

pytestmark = pytest.mark.django_db
D = datetime.date
TITLES = ["监测对象台账", "帮扶措施台账", "风险消除台账", "预警处置台账", "资金拨付进度表", "项目资产台账"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with built_world(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.fixture
def today():
    with time_machine.travel(NOW, tick=False):
        yield


def work() -> Job:
    """Run the report job (the world's own queued jobs, such as the screening run, stay queued)."""
    job = claim_job(Job.objects.get(kind=JOB_KIND).pk, "t")
    return run_job(job, "t")


def start(client, name="monitored", **data):
    values = {"area": "420704100201", "as_of": "2025-12-31", **data}
    return client.post(reverse("reports:export_start", kwargs={"name": name}), values)


def counts() -> dict:
    return {"jobs": Job.objects.count(), "audit": AuditEntry.objects.count()}


def downloaded(client, job) -> list[list]:
    response = client.get(reverse("jobs:download", kwargs={"public_id": job.public_id}))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def test_it_lists_the_six_reports_and_the_areas_in_scope(client, world, today):
    client.force_login(world["cast"]["township_officer"])

    response = client.get(reverse("reports:export_index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert [t for t in re.findall(r"<strong>(.+?)</strong>", html) if t in TITLES] == TITLES
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    assert options == [
        ("420704100", "泽林镇（全部）"),
        ("420704100201", "　新港村"),
        ("420704100202", "　长港村"),
    ]
    assert 'value="2026-03-02"' in html  # today by default
    assert "统计报表" in html and reverse("reports:export_index") in html  # the menu item


def test_it_generates_a_masked_export_as_a_job_without_a_personal_data_audit_row(client, world, today):
    client.force_login(world["cast"]["village_cadre"])
    personal_before = AuditEntry.objects.filter(kind=Kind.EXPORT_PERSONAL).count()

    response = start(client)

    job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", kwargs={"public_id": job.public_id})
    assert job.params == {
        "report": "monitored",
        "area": "420704100201",
        "as_of": "2025-12-31",
        "full_ids": False,
    }
    assert job.area == world["areas"]["xingang"]
    job = work()
    assert job.status == Status.SUCCEEDED, job.error
    assert job.result_name == "监测对象台账_新港村_2025-12-31.xlsx"
    assert job.result_has_personal_data is False
    assert job.result == {
        "report": "监测对象台账",
        "area": "鄂城区泽林镇新港村",
        "as_of": "2025-12-31",
        "rows": 2,
        "full_ids": "否",
    }
    rows = downloaded(client, job)
    assert rows[0][0] == "鄂城区泽林镇新港村监测对象台账"
    assert [(r[3], r[5]) for r in rows[3:-1]] == [("H001", masked(1)), ("H002", masked(4))]
    assert rows[-1][:2] == ["合计", "共2户"]
    assert AuditEntry.objects.filter(kind=Kind.EXPORT_PERSONAL).count() == personal_before
    page = client.get(reverse("reports:export_index")).content.decode()
    assert (
        "监测对象台账</a>" in page and reverse("jobs:download", kwargs={"public_id": job.public_id}) in page
    )


def test_it_writes_full_id_numbers_with_an_audit_row(client, world, today):
    zelin = world["cast"]["township_officer"]
    client.force_login(zelin)

    start(client, "measures", area="420704100", full_ids="on")
    job = work()

    assert job.status == Status.SUCCEEDED, job.error
    assert job.result_name == "帮扶措施台账_泽林镇_2025-12-31_含完整身份证号码.xlsx"
    assert job.result_has_personal_data is True
    entry = AuditEntry.objects.get(kind=Kind.EXPORT_PERSONAL, action="export_statutory_report")
    assert (entry.actor, entry.source, entry.area_code, entry.object_id) == (
        zelin,
        Source.JOB,
        "420704100",
        "measures",
    )
    assert entry.object_label == "帮扶措施台账导出（含完整身份证号码）"
    assert entry.changes == {"report": "measures", "area": "420704100", "as_of": "2025-12-31", "rows": 3}
    rows = downloaded(client, job)
    assert [r[5] for r in rows[3:-1]] == [id_number(1), id_number(4), id_number(4)]
    # The download of a file with personal data is audited as well (jobs app).
    assert AuditEntry.objects.filter(action="download_job_result", actor=zelin).count() == 1


def test_it_ignores_full_ids_for_reports_without_id_numbers(client, world, today):
    client.force_login(world["cast"]["district_officer"])

    start(client, "assets", area="420704", full_ids="on")
    job = work()

    assert job.params["full_ids"] is False
    assert (job.status, job.result_name, job.result_has_personal_data) == (
        Status.SUCCEEDED,
        "项目资产台账_鄂城区_2025-12-31.xlsx",
        False,
    )
    assert not AuditEntry.objects.filter(kind=Kind.EXPORT_PERSONAL).exists()


def test_it_refuses_an_area_outside_the_users_scope_and_queues_nothing(client, world, today):
    client.force_login(world["cast"]["township_officer"])
    before = counts()

    assert start(client, area="420704101201").status_code == 404  # 杜山村
    assert start(client, area="420704101").status_code == 404  # 杜山镇
    assert start(client, area="999").status_code == 404
    assert counts() == before


def test_it_refuses_an_unknown_report_or_a_role_without_reports(client, world, today):
    before = counts()
    client.force_login(world["cast"]["department_clerk"])
    assert start(client).status_code == 403
    assert client.get(reverse("reports:export_index")).status_code == 403
    client.force_login(world["cast"]["district_officer"])
    assert start(client, name="people").status_code == 404
    assert counts() == before


@pytest.mark.parametrize(
    "as_of, message",
    [
        ("2025-13-01", "请按 YYYY-MM-DD 填写截至日期，如 2024-06-30"),
        ("", "请填写截至日期"),
        ("2026-03-03", "截至日期不能晚于今天（2026-03-02），请重新选择"),
    ],
)
def test_it_shows_a_bad_date_and_queues_nothing(client, world, today, as_of, message):
    client.force_login(world["cast"]["village_cadre"])
    before = counts()

    response = start(client, as_of=as_of)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert counts() == before


def test_the_job_refuses_an_area_the_requester_no_longer_covers(client, world, today):
    """The cadre moved to 杜山村 while the job waited: it fails with the reason and hands out nothing."""
    cadre = world["cast"]["village_cadre"]
    client.force_login(cadre)
    start(client)
    cadre.area = world["cast"]["outside_village_cadre"].area
    cadre.save(update_fields=["area"])

    job = work()

    assert job.status == Status.FAILED
    assert job.error == "“新港村”已不在发起人的管辖范围内，请重新选择区划后发起"
    assert job.result_file == ""
