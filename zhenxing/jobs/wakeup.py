"""Waking an idle worker as soon as a job is queued, instead of at its next poll.

A queued job is found by polling (`Worker.poll_interval`, 1 s by default); a push from a department system
should turn into a warning faster than that. So `enqueue_job` also calls `notify()`:

- on PostgreSQL it sends `NOTIFY zhenxing_jobs` in the queuing transaction — PostgreSQL delivers it when
  that transaction commits, to every worker process listening (`Waiter` holds one extra connection with
  `LISTEN zhenxing_jobs`);
- in every database it also sets an in-process event once the transaction commits, for a worker running in
  the same process (`zhenxing serve`, the embedded default on SQLite).

A missed or failed notification costs nothing but the old latency: the worker still polls.
"""

from __future__ import annotations

import logging
import threading

from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHANNEL = "zhenxing_jobs"
_queued = threading.Event()  # set when a job queued in this process has been committed


def notify() -> None:
    """Tell idle workers a job was queued (call inside the queuing transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")
    transaction.on_commit(_queued.set)


class Waiter:
    """What an idle worker waits on: a notification, or `timeout` seconds, whichever comes first."""

    def __init__(self):
        self._listener = None
        if connection.vendor == "postgresql":
            try:
                import psycopg

                params = connection.get_connection_params()
                params.pop("cursor_factory", None)
                params.pop("context", None)
                self._listener = psycopg.connect(**params, autocommit=True)
                self._listener.execute(f"LISTEN {CHANNEL}")
            except Exception:  # the worker still polls; say why once
                logger.exception("无法监听任务通知，后台任务执行进程按轮询间隔检查任务队列")
                self._listener = None

    def wait(self, timeout: float, stop: threading.Event) -> None:
        if stop.is_set():
            return
        if self._listener is not None:
            try:
                for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                    pass
            except Exception:
                logger.exception("任务通知连接出错，改为按轮询间隔检查任务队列")
                self.close()
                stop.wait(timeout)
        else:
            slices = max(1, round(timeout / 0.1))  # short slices: a stop is noticed within 0.1 s
            for _ in range(slices):
                if _queued.wait(timeout / slices) or stop.is_set():
                    break
        _queued.clear()

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None
