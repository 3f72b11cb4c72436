from urllib.parse import quote

import pytest
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.actions import claim_next_job, enqueue_job, run_job
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.tests.conftest import RESULT_CSV

pytestmark = pytest.mark.django_db

EVERY_ROLE = [
    "district_admin",
    "district_officer",
    "department_clerk",
    "township_officer",
    "village_cadre",
    "inspector",
    "outside_township_officer",
    "outside_village_cadre",
]


def run_next() -> Job:
    return run_job(claim_next_job("w1"), "w1")


@pytest.fixture
def cadre_job(cast) -> Job:
    """A queued job of the 新港村 village cadre."""
    return enqueue_job(cast["village_cadre"], "tests.count", {"n": 2})


@pytest.fixture
def failed_job(cast) -> Job:
    enqueue_job(cast["village_cadre"], "tests.flaky", {})
    return run_next()


@pytest.fixture
def export_job(cast) -> Job:
    enqueue_job(cast["village_cadre"], "tests.file", {})
    return run_next()


# —— Detail: who may see a job ——————————————————————————————————————————————————————————————————


@pytest.mark.parametrize(
    "role, status",
    [
        ("village_cadre", 200),  # the owner
        ("district_admin", 200),  # VIEW_ALL_JOBS, in scope
        ("district_officer", 200),
        ("inspector", 200),
        ("township_officer", 404),  # neither owner nor overseer
        ("department_clerk", 404),
        ("outside_township_officer", 404),
        ("outside_village_cadre", 404),
    ],
)
def test_it_shows_a_job_only_to_its_owner_and_overseers(client, cast, cadre_job, role, status):
    client.force_login(cast[role])

    response = client.get(reverse("jobs:detail", args=[cadre_job.public_id]))

    assert response.status_code == status
    if status == 200:
        assert "测试计数" in response.content.decode()


def test_it_redirects_anonymous_visitors_to_login(client, cadre_job):
    response = client.get(reverse("jobs:detail", args=[cadre_job.public_id]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_shows_the_log_error_and_retry_button_of_a_failed_job(client, cast, failed_job):
    client.force_login(cast["village_cadre"])

    page = client.get(reverse("jobs:detail", args=[failed_job.public_id])).content.decode()

    assert "任务失败：故意失败" in page
    assert "ValueError: 故意失败" in page
    assert reverse("jobs:retry", args=[failed_job.public_id]) in page
    assert "hx-trigger" not in page


def test_it_hides_the_retry_button_from_an_overseer_who_may_not_retry(client, cast, failed_job):
    client.force_login(cast["district_officer"])

    page = client.get(reverse("jobs:detail", args=[failed_job.public_id])).content.decode()

    assert "任务失败：故意失败" in page
    assert reverse("jobs:retry", args=[failed_job.public_id]) not in page


def test_it_shows_the_result_summary_and_download_link(client, cast, export_job):
    client.force_login(cast["village_cadre"])

    page = client.get(reverse("jobs:detail", args=[export_job.public_id])).content.decode()

    assert "下载结果：测试结果.csv" in page
    assert reverse("jobs:download", args=[export_job.public_id]) in page
    assert "<dt>条数</dt><dd>1</dd>" in page


# —— List ————————————————————————————————————————————————————————————————————————————————————————


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_it_lists_jobs_for_every_role(client, cast, role):
    enqueue_job(cast[role], "tests.count", {"n": 1})
    client.force_login(cast[role])

    response = client.get(reverse("jobs:list"))

    assert response.status_code == 200
    assert [job.created_by for job in response.context["page"]] == [cast[role]]


def test_it_lists_every_job_in_scope_for_overseers(client, cast):
    own = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
    other = enqueue_job(cast["outside_village_cadre"], "tests.count", {"n": 1})
    client.force_login(cast["district_officer"])

    response = client.get(reverse("jobs:list"))

    assert {job.pk for job in response.context["page"]} == {own.pk, other.pk}


def test_it_filters_the_list_by_status(client, cast, failed_job, cadre_job):
    client.force_login(cast["village_cadre"])

    response = client.get(reverse("jobs:list"), {"status": "failed"})

    assert [job.pk for job in response.context["page"]] == [failed_job.pk]
    assert "故意失败" in response.content.decode()


def test_it_lists_jobs_with_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    for user in cast.values():
        enqueue_job(user, "tests.count", {"n": 1})
    client.force_login(cast["district_admin"])

    # session, user, user's area, count, page of jobs (with creator and area path), session save
    # (3 with its savepoint): the same for 8 jobs as for 1.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("jobs:list"))

    assert len(response.context["page"]) == 8


# —— Live progress fragments —————————————————————————————————————————————————————————————————————


def test_it_renders_the_running_fragment_with_the_users_unfinished_jobs(client, cast, export_job):
    cadre_job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 2})
    client.force_login(cast["village_cadre"])

    response = client.get(reverse("jobs:running"), headers={"X-ZX-Poll": "1"})

    assert response.status_code == 200
    assert [job.pk for job in response.context["jobs"]] == [cadre_job.pk]
    assert "测试计数" in response.content.decode()
    assert "测试导出" not in response.content.decode()


def test_it_polls_progress_while_the_job_is_unfinished(client, cast, cadre_job):
    client.force_login(cast["village_cadre"])

    page = client.get(reverse("jobs:progress", args=[cadre_job.public_id])).content.decode()

    assert 'hx-trigger="every 2s"' in page
    assert """hx-headers='{"X-ZX-Poll": "1"}'""" in page
    assert "排队中" in page


def test_it_stops_polling_and_reloads_the_detail_page_once_finished(client, cast, export_job):
    client.force_login(cast["village_cadre"])
    url = reverse("jobs:progress", args=[export_job.public_id])

    response = client.get(url, {"reload": "1"}, headers={"HX-Request": "true", "X-ZX-Poll": "1"})

    assert "hx-trigger" not in response.content.decode()
    assert "已完成" in response.content.decode()
    assert response["HX-Refresh"] == "true"
    assert "HX-Refresh" not in client.get(url, headers={"HX-Request": "true"})


def test_it_hides_progress_from_others(client, cast, cadre_job):
    client.force_login(cast["outside_village_cadre"])

    assert client.get(reverse("jobs:progress", args=[cadre_job.public_id])).status_code == 404


# —— Download ————————————————————————————————————————————————————————————————————————————————————


def test_it_downloads_the_result_file_with_its_chinese_name(client, cast, export_job):
    client.force_login(cast["village_cadre"])

    response = client.get(reverse("jobs:download", args=[export_job.public_id]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('测试结果.csv')}"
    assert b"".join(response.streaming_content) == RESULT_CSV
    assert not AuditEntry.objects.filter(action="download_job_result").exists()


def test_it_audits_the_download_of_a_result_holding_personal_data(client, cast):
    enqueue_job(cast["village_cadre"], "tests.file", {"personal": True})
    job = run_next()
    client.force_login(cast["district_officer"])

    response = client.get(reverse("jobs:download", args=[job.public_id]))

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="download_job_result")
    assert (entry.actor, entry.kind, entry.object_id, entry.changes) == (
        cast["district_officer"],
        "export_personal",
        str(job.public_id),
        {"result_name": "测试结果.csv"},
    )


def test_it_answers_404_for_a_job_without_result_file(client, cast, failed_job):
    client.force_login(cast["village_cadre"])

    assert client.get(reverse("jobs:download", args=[failed_job.public_id])).status_code == 404


def test_it_answers_404_when_the_result_file_is_gone(client, cast, export_job, media_root):
    (media_root / export_job.result_file).unlink()
    client.force_login(cast["village_cadre"])

    assert client.get(reverse("jobs:download", args=[export_job.public_id])).status_code == 404


def test_it_refuses_the_download_to_others(client, cast, export_job):
    client.force_login(cast["outside_village_cadre"])

    assert client.get(reverse("jobs:download", args=[export_job.public_id])).status_code == 404


# —— Retry ———————————————————————————————————————————————————————————————————————————————————————


def test_it_retries_a_failed_job_for_its_owner(client, cast, failed_job):
    client.force_login(cast["village_cadre"])

    response = client.post(reverse("jobs:retry", args=[failed_job.public_id]))

    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[failed_job.public_id])
    failed_job.refresh_from_db()
    assert (failed_job.status, failed_job.error) == (Status.QUEUED, "")
    assert AuditEntry.objects.get(action="retry_job").actor == cast["village_cadre"]


@pytest.mark.parametrize(
    "role, status", [("township_officer", 404), ("district_officer", 403), ("inspector", 403)]
)
def test_it_refuses_a_retry_by_a_non_owner(client, cast, failed_job, role, status):
    before = Job.objects.filter(pk=failed_job.pk).values().get()
    client.force_login(cast[role])

    response = client.post(reverse("jobs:retry", args=[failed_job.public_id]))

    assert response.status_code == status
    assert Job.objects.filter(pk=failed_job.pk).values().get() == before
    assert not AuditEntry.objects.filter(action="retry_job").exists()


def test_it_explains_why_a_succeeded_job_cannot_be_retried(client, cast, export_job):
    client.force_login(cast["village_cadre"])

    response = client.post(reverse("jobs:retry", args=[export_job.public_id]), follow=True)

    assert "只有失败的任务可以重试，此任务当前状态为“已完成”" in response.content.decode()
    export_job.refresh_from_db()
    assert export_job.status == Status.SUCCEEDED
    assert not AuditEntry.objects.filter(action="retry_job").exists()


def test_it_refuses_retry_by_get(client, cast, failed_job):
    client.force_login(cast["village_cadre"])

    assert client.get(reverse("jobs:retry", args=[failed_job.public_id])).status_code == 405
