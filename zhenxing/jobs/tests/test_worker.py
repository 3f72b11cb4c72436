import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhenxing.jobs.actions import STALE_ERROR, claim_next_job, enqueue_job
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.tests import conftest
from zhenxing.jobs.worker import Worker


@pytest.mark.django_db
def test_it_reports_an_empty_queue(cast):
    assert Worker("w1").run_once() is False


@pytest.mark.django_db
def test_it_runs_jobs_until_stopped(cast):
    jobs = [enqueue_job(cast["village_cadre"], "tests.count", {"n": n}) for n in (1, 2)]
    stop = threading.Event()
    lines: list[str] = []

    def report(line: str) -> None:
        lines.append(line)
        if line.startswith("执行完成") and str(jobs[1].public_id) in line:
            stop.set()

    Worker("w1", poll_interval=0.01, report=report).run_forever(stop)

    assert [Job.objects.get(pk=j.pk).status for j in jobs] == [Status.SUCCEEDED, Status.SUCCEEDED]
    assert lines[0] == "后台任务执行进程 w1 已启动，新任务排队即执行，并每 0.01 秒检查一次任务队列"
    assert lines[-1] == "后台任务执行进程 w1 已停止"


@pytest.mark.django_db(transaction=True)
def test_a_queued_job_wakes_an_idle_worker_at_once(cast):
    """The worker polls every 30 s here; the job queued (and committed) while it waits still runs within
    a few seconds: PostgreSQL delivers the NOTIFY of the queuing transaction, SQLite the in-process event."""
    import time

    stop = threading.Event()
    started = threading.Event()
    done: list[float] = []

    def report(line: str) -> None:
        if "已启动" in line:
            started.set()
        if line.startswith("执行完成"):
            done.append(time.monotonic())
            stop.set()

    worker = Worker("w-wake", poll_interval=30, report=report)
    worker._last_schedule = time.monotonic()  # no schedule hook queues its own work during the test
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    try:
        assert started.wait(10)
        time.sleep(0.5)  # the worker has found the queue empty and waits
        queued = time.monotonic()
        job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
        thread.join(timeout=10)
    finally:
        stop.set()
        thread.join(timeout=35)
    assert Job.objects.get(pk=job.pk).status == Status.SUCCEEDED
    assert done and done[0] - queued < 5  # far below the 30 s poll


@pytest.mark.django_db
def test_it_reaps_stale_jobs_when_it_starts(cast):
    job = enqueue_job(cast["village_cadre"], "tests.count", {"n": 1})
    claim_next_job("dead")
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=20))
    lines: list[str] = []

    assert Worker("w1", report=lines.append).run_once() is False

    job.refresh_from_db()
    assert (job.status, job.error) == (Status.FAILED, STALE_ERROR)
    assert lines == ["发现 1 个中断的任务，已标记为失败（可在任务页面重试）"]


@pytest.mark.django_db
def test_it_runs_one_job_from_the_command_line(cast):
    job = enqueue_job(cast["village_cadre"], "tests.flaky", {})
    out = StringIO()

    call_command("worker", "--once", "--name", "cli-1", stdout=out)

    assert out.getvalue() == (
        f"开始执行：测试失败重试（{job.public_id}，第1次执行）\n执行失败：测试失败重试（{job.public_id}）：故意失败\n"
    )
    job.refresh_from_db()
    assert (job.status, job.worker) == (Status.FAILED, "cli-1")


@pytest.mark.django_db
def test_it_says_so_when_nothing_is_queued(cast):
    out = StringIO()

    call_command("worker", "--once", stdout=out)

    assert out.getvalue() == "没有排队中的任务\n"


@pytest.mark.django_db
def test_it_serves_without_a_worker(monkeypatch):
    import waitress

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append(kw))
    out = StringIO()

    call_command("serve", "--no-worker", "--port", "8123", "--threads", "4", stdout=out)

    assert calls == [{"host": "127.0.0.1", "port": 8123, "threads": 4, "ident": "zhenxing"}]
    assert out.getvalue() == "网页服务已启动：http://127.0.0.1:8123/ （按 Ctrl+C 停止）\n网页服务已停止\n"


@pytest.mark.django_db(transaction=True)
def test_it_runs_queued_jobs_in_a_thread_while_serving(cast, monkeypatch):
    """`make demo`: the web server and a worker thread in one process, no other service needed."""
    import waitress

    job = enqueue_job(cast["village_cadre"], "tests.signal", {})
    conftest.handler_ran.clear()
    # The fake server "serves" until the worker thread has run the job, then returns as on Ctrl+C.
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: conftest.handler_ran.wait(10))
    out = StringIO()

    call_command("serve", stdout=out)

    job.refresh_from_db()
    assert (job.status, job.result) == (Status.SUCCEEDED, {"ran": True})
    assert job.worker.startswith("serve@")
    assert out.getvalue().splitlines()[-1] == "网页服务已停止"
