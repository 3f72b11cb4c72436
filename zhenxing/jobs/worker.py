"""The job worker: claims queued jobs one at a time and runs them.

`zhenxing worker` runs one in its own process (production: as many processes as cores allow);
`zhenxing serve` runs one in a daemon thread next to the web server (`make demo`, small installs).
"""

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError, close_old_connections, connection

from zhenxing.jobs.actions import abandon_job, claim_next_job, reap_stale_jobs, run_job
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.registry import schedule_hooks
from zhenxing.jobs.wakeup import Waiter

logger = logging.getLogger(__name__)

# Stale jobs are looked for at start and then this often (the stale limit itself is minutes).
REAP_INTERVAL_SECONDS = 60
# While idle, the schedule hooks (`jobs.registry.scheduled`) are called at most this often.
SCHEDULE_INTERVAL_SECONDS = 60
# After a database error (server restarting, SQLite busy) the worker waits this long before polling.
ERROR_BACKOFF_SECONDS = 5


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Runs queued jobs one after another.

    `run_forever(stop_event)` polls every `poll_interval` seconds until `stop_event` is set; the job in
    hand is finished first. `interrupt()` additionally asks that job to stop at its next progress call
    (it is then marked FAILED and can be retried).
    """

    def __init__(
        self, name: str | None = None, poll_interval: float = 1.0, report: Callable[[str], None] | None = None
    ):
        self.name = name or default_name()
        self.poll_interval = poll_interval
        self.report = report or logger.info
        self.current_job: Job | None = None
        self.interrupt_event = threading.Event()
        self._last_reap = 0.0
        self._last_schedule = 0.0

    def run_once(self) -> bool:
        """Claim and run one job; False when the queue was empty."""
        self._reap_if_due()
        self._close_old_connections()
        job = claim_next_job(self.name)
        if job is None:
            return False
        self.current_job = job
        self.report(f"开始执行：{job.label}（{job.public_id}，第{job.attempts}次执行）")
        try:
            job = run_job(job, self.name, stop=self.interrupt_event)
        finally:
            self.current_job = None
            self._close_old_connections()
        if job.status == Status.SUCCEEDED:
            self.report(f"执行完成：{job.label}（{job.public_id}）")
        else:
            self.report(f"执行失败：{job.label}（{job.public_id}）：{job.error}")
        return True

    def run_forever(self, stop_event: threading.Event) -> None:
        self.report(
            f"后台任务执行进程 {self.name} 已启动，新任务排队即执行，并每 {self.poll_interval:g} 秒检查一次任务队列"
        )
        waiter = Waiter()
        try:
            while not stop_event.is_set():
                try:
                    worked = self.run_once()
                except DatabaseError:
                    logger.exception("后台任务执行进程访问数据库出错，%s 秒后重试", ERROR_BACKOFF_SECONDS)
                    self._close_old_connections(force=True)
                    stop_event.wait(ERROR_BACKOFF_SECONDS)
                    continue
                if not worked:
                    self._schedule_if_due()
                    waiter.wait(self.poll_interval, stop_event)  # a queued job's notification ends it early
        finally:
            waiter.close()
        self._close_old_connections(force=True)
        self.report(f"后台任务执行进程 {self.name} 已停止")

    def interrupt(self) -> None:
        self.interrupt_event.set()

    def abandon_current_job(self) -> bool:
        """Called on the way out when the job in hand would not stop in time: FAILED, retryable."""
        job = self.current_job
        return job is not None and abandon_job(job)

    def _reap_if_due(self) -> None:
        now = time.monotonic()
        if self._last_reap and now - self._last_reap < REAP_INTERVAL_SECONDS:
            return
        self._last_reap = now
        reaped = reap_stale_jobs()
        if reaped:
            self.report(f"发现 {reaped} 个中断的任务，已标记为失败（可在任务页面重试）")

    def _schedule_if_due(self) -> None:
        """Let each schedule hook enqueue its due work; a failing hook is logged and the others still run."""
        now = time.monotonic()
        if self._last_schedule and now - self._last_schedule < SCHEDULE_INTERVAL_SECONDS:
            return
        self._last_schedule = now
        for hook in schedule_hooks():
            try:
                job = hook()
            except Exception:
                logger.exception("定期任务安排失败：%s", getattr(hook, "__name__", hook))
                continue
            if job is not None:
                self.report(f"已安排定期任务：{job.label}（{job.public_id}）")

    @staticmethod
    def _close_old_connections(force: bool = False) -> None:
        # Inside an atomic block (only in tests, which wrap each test in one) closing would break it.
        if connection.in_atomic_block:
            return
        if force:
            connection.close()
        else:
            close_old_connections()


def install_signal_handlers(worker: Worker, stop_event: threading.Event) -> None:
    """SIGTERM/SIGINT: stop claiming and finish the job in hand; a second signal interrupts that job."""

    def handle(signum, frame):
        if stop_event.is_set():
            worker.report("再次收到停止信号：正在中断当前任务（它将被标记为失败，可重试）")
            worker.interrupt()
        else:
            worker.report("收到停止信号：完成当前任务后退出（再按一次 Ctrl+C 立即中断当前任务）")
            stop_event.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
