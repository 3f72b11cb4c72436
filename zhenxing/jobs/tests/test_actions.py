import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhenxing.audit.models import AuditEntry
from zhenxing.jobs import actions
from zhenxing.jobs.actions import (
    STALE_ERROR,
    STOPPED_ERROR,
    claim_job,
    claim_next_job,
    enqueue_job,
    reap_stale_jobs,
    retry_job,
    run_job,
)
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.tests.conftest import RESULT_CSV
from zhenxing.jobs.worker import Worker

pytestmark = pytest.mark.django_db


def job_fields(job: Job) -> dict:
    job.refresh_from_db()
    return {
        f: getattr(job, f)
        for f in ("status", "attempts", "error", "log", "progress_done", "progress_total", "result", "worker")
    }


def test_it_enqueues_a_job_in_the_actors_area_with_an_audit_row(cast, village):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 3})

    assert (job.kind, job.params, job.area, job.created_by, job.status) == (
        "tests.count",
        {"n": 3},
        village,
        cast["village_cadre"],
        Status.QUEUED,
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id, entry.area_code, entry.source) == (
        "enqueue_job",
        cast["village_cadre"],
        str(job.public_id),
        "420704100201",
        "cli",
    )
    assert entry.changes == {"kind": [None, "tests.count"], "params": [None, {"n": 3}]}


def test_it_refuses_an_unknown_kind(cast):
    with pytest.raises(ValidationError) as e:
        enqueue_job(cast["village_cadre"], "tests.nothing", {})

    assert e.value.messages == ["未知的任务类型：tests.nothing，请联系系统管理员"]
    assert not Job.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_area_outside_the_actors_scope(cast, other_village):
    with pytest.raises(ValidationError) as e:
        enqueue_job(cast["village_cadre"], "tests.count", {"n": 1}, area=other_village)

    assert e.value.messages == ["“杜山村”不在您的管辖范围内，不能为它发起任务"]
    assert not Job.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_runs_a_job_to_success_with_exact_progress_and_result(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 4})

    assert Worker("w1").run_once() is True

    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker, job.error) == (Status.SUCCEEDED, 1, "w1", "")
    assert (job.progress_done, job.progress_total, job.message, job.percent) == (4, 4, "第4项", 100)
    assert job.result == {"counted": 4}
    assert job.result_items == [("计数", 4)]
    assert job.started_at <= job.finished_at
    assert job.log.splitlines()[0].endswith("] 共计数4项")
    assert job.log.splitlines()[1].endswith("] 完成")


def test_it_saves_the_result_file_under_the_jobs_folder(cast, media_root):
    job = enqueue_job(cast["village_cadre"], "tests.file", {})

    run_job(claim_next_job("w1"), "w1")

    job.refresh_from_db()
    assert (job.status, job.result_file, job.result_name) == (
        Status.SUCCEEDED,
        f"jobs/{job.public_id}/result.csv",
        "测试结果.csv",
    )
    assert (media_root / "jobs" / str(job.public_id) / "result.csv").read_bytes() == RESULT_CSV
    assert actions.result_path(job) == (media_root / job.result_file).resolve()


def test_it_audits_the_handlers_writes_as_coming_from_a_job(cast):
    job = enqueue_job(cast["village_cadre"], "tests.audited", {})

    run_job(claim_next_job("w1"), "w1")

    entry = AuditEntry.objects.get(action="tests_write")
    assert (entry.source, entry.actor, entry.object_id) == ("job", cast["village_cadre"], str(job.public_id))


def test_it_marks_a_raising_job_failed_and_retries_it_to_success(cast):
    job = enqueue_job(cast["village_cadre"], "tests.flaky", {})

    run_job(claim_next_job("w1"), "w1")

    job.refresh_from_db()
    assert (job.status, job.error, job.attempts, job.progress_done, job.progress_total) == (
        Status.FAILED,
        "故意失败",
        1,
        1,
        2,
    )
    assert "] 失败：故意失败\nTraceback (most recent call last):\n" in job.log
    assert job.log.endswith("ValueError: 故意失败\n")
    failed_log = job.log

    retry_job(cast["village_cadre"], job)

    job.refresh_from_db()
    assert (job.status, job.error, job.attempts, job.progress_done, job.progress_total) == (
        Status.QUEUED,
        "",
        1,
        0,
        0,
    )
    assert (job.started_at, job.finished_at, job.heartbeat_at, job.worker, job.result) == (
        None,
        None,
        None,
        "",
        {},
    )
    assert job.log == failed_log + "—— 第1次重试 ——\n"

    assert Worker("w2").run_once() is True

    job.refresh_from_db()
    assert (job.status, job.error, job.attempts, job.result, job.worker) == (
        Status.SUCCEEDED,
        "",
        2,
        {"attempt": 2},
        "w2",
    )
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["enqueue_job", "retry_job"]
    retry = AuditEntry.objects.get(action="retry_job")
    assert (retry.actor, retry.object_id, retry.changes) == (
        cast["village_cadre"],
        str(job.public_id),
        {"status": ["failed", "queued"]},
    )


def test_it_names_an_unexpected_error_and_asks_to_send_the_log(cast):
    job = enqueue_job(cast["village_cadre"], "tests.crash", {})

    run_job(claim_next_job("w1"), "w1")

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == "程序出错（KeyError: 'missing'），请重试；仍然失败请把本任务的日志发给系统管理员"
    assert job.log.endswith("KeyError: 'missing'\n")


def test_it_gives_one_queued_job_to_one_claim_only(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})

    first = claim_next_job("w1")
    second = claim_next_job("w2")

    assert (first.pk, second) == (job.pk, None)
    assert job_fields(job)["worker"] == "w1"
    assert (job.status, job.attempts) == (Status.RUNNING, 1)


def test_it_does_not_claim_a_job_another_worker_already_runs(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
    Job.objects.filter(pk=job.pk).update(status=Status.RUNNING, worker="other", attempts=1)

    assert claim_job(job.pk, "w1") is None
    assert claim_next_job("w1") is None
    assert (job_fields(job)["worker"], job.status, job.attempts) == ("other", Status.RUNNING, 1)


def test_it_claims_the_oldest_queued_job_first(cast):
    older = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
    enqueue_job(cast["village_cadre"], "tests.count", {"n": 2})
    Job.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert claim_next_job("w1").pk == older.pk


def test_it_reaps_a_running_job_whose_heartbeat_stopped(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
    claim_next_job("w1")
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=20))
    fresh = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
    claim_next_job("w2")

    assert reap_stale_jobs() == 1

    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == (Status.FAILED, STALE_ERROR, 1)
    assert job.error == "执行进程中断（进程退出或服务器重启），可重试"
    assert job.log.endswith(f"] {STALE_ERROR}\n")
    assert job.finished_at is not None
    fresh.refresh_from_db()
    assert fresh.status == Status.RUNNING


def test_it_stops_a_handler_whose_job_was_reaped_meanwhile(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 3})
    claimed = claim_next_job("w1")
    Job.objects.filter(pk=job.pk).update(status=Status.FAILED, error=STALE_ERROR)

    run_job(claimed, "w1")

    job.refresh_from_db()
    assert (job.status, job.error, job.progress_done) == (Status.FAILED, STALE_ERROR, 0)


def test_it_interrupts_a_running_job_when_asked_to_stop(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 3})
    stop = threading.Event()
    stop.set()

    run_job(claim_next_job("w1"), "w1", stop=stop)

    job.refresh_from_db()
    assert (job.status, job.error) == (Status.FAILED, STOPPED_ERROR)
    assert job.log.endswith(f"] {STOPPED_ERROR}\n")


def test_it_refuses_to_retry_a_succeeded_job(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 2})
    run_job(claim_next_job("w1"), "w1")
    before = job_fields(job)

    with pytest.raises(ValidationError) as e:
        retry_job(cast["village_cadre"], job)

    assert e.value.messages == ["只有失败的任务可以重试，此任务当前状态为“已完成”"]
    assert job_fields(job) == before
    assert job.status == Status.SUCCEEDED
    assert not AuditEntry.objects.filter(action="retry_job").exists()


def test_it_refuses_a_retry_by_someone_else(cast):
    job = enqueue_job(cast["village_cadre"], "tests.flaky", {})
    run_job(claim_next_job("w1"), "w1")
    before = job_fields(job)

    with pytest.raises(PermissionDenied):
        retry_job(cast["district_officer"], job)

    assert job_fields(job) == before
    assert job.status == Status.FAILED
    assert not AuditEntry.objects.filter(action="retry_job").exists()


def test_it_lets_a_district_admin_retry_any_job_in_scope(cast):
    job = enqueue_job(cast["village_cadre"], "tests.flaky", {})
    run_job(claim_next_job("w1"), "w1")

    retry_job(cast["district_admin"], job)

    job.refresh_from_db()
    assert job.status == Status.QUEUED
    assert AuditEntry.objects.get(action="retry_job").actor == cast["district_admin"]


def test_it_keeps_only_the_tail_of_a_long_log(monkeypatch):
    monkeypatch.setattr(actions, "MAX_LOG_CHARS", 10)

    assert (
        actions._trim_log("第一行内容很长很长\n第二行\n第三行\n")
        == "……（更早的日志已省略）\n第二行\n第三行\n"
    )


@pytest.mark.django_db(transaction=True)
def test_it_gives_each_job_to_exactly_one_of_several_concurrent_workers(cast):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's in-memory test database locks whole tables across threads; SQLite serialises claims anyway"
        )
    jobs = {enqueue_job(cast["village_cadre"], "tests.count", {"n": 1}).pk for _ in range(40)}
    claimed: list[tuple[str, int]] = []
    start = threading.Barrier(4)

    def claim_all(name: str) -> None:
        from django.db import connection as thread_connection

        start.wait()
        try:
            while (job := claim_next_job(name)) is not None:
                claimed.append((name, job.pk))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(pk for _, pk in claimed) == sorted(jobs)
    assert {(job.worker, job.pk) for job in Job.objects.all()} == set(claimed)
    assert set(Job.objects.values_list("status", "attempts")) == {(Status.RUNNING, 1)}
