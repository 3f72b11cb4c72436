"""Every write to the job table: enqueue, claim, run, reap, retry.

A job moves QUEUED → RUNNING → SUCCEEDED | FAILED, and FAILED → QUEUED on retry. Every transition is a
conditional update checked for a row count of 1; a run is identified by (pk, RUNNING, attempts), so a
worker whose job was reaped and handed to another worker can no longer write to it.
"""

import contextlib
import json
import logging
import os
import re
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from zhenxing.accounts.roles import Role
from zhenxing.accounts.scope import in_scope
from zhenxing.areas.models import Area
from zhenxing.audit import actions as audit
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Kind, Source
from zhenxing.jobs import wakeup
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.registry import get_handler

logger = logging.getLogger(__name__)

# A claim retries with the next queued job when another worker won the race; more than a handful of
# lost races in a row means heavy contention, and the worker simply polls again.
CLAIM_ATTEMPTS = 10
# Progress and log writes go to the database at most this often (the UI polls every 2 s).
PROGRESS_WRITE_SECONDS = 0.5
# The log keeps its tail: ~200 KB is thousands of lines, and the whole text is rewritten on each flush.
MAX_LOG_CHARS = 200_000
# While a handler runs, a side thread refreshes the heartbeat this often, so a long step that reports
# no progress (a big query, a PDF) is not mistaken for a dead worker. Must stay well under
# ZX_JOB_STALE_MINUTES.
HEARTBEAT_SECONDS = 30

STALE_ERROR = "执行进程中断（进程退出或服务器重启），可重试"
STOPPED_ERROR = "执行进程被停止（服务停止或重启），任务未完成，可重试"


class JobInterrupted(Exception):
    """Raised inside a handler (at its next progress or log call) when the run must stop."""


def _stamp() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")


def _trim_log(text: str) -> str:
    if len(text) <= MAX_LOG_CHARS:
        return text
    tail = text[-MAX_LOG_CHARS:]
    cut = tail.find("\n")
    return "……（更早的日志已省略）\n" + (tail[cut + 1 :] if cut != -1 else tail)


def _running(job: Job):
    """This run of the job, and only while it is still running."""
    return Job.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts)


def _plain_json(value):
    """What the JSON column will hold; raises TypeError for values it cannot store."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


# —— Enqueue ————————————————————————————————————————————————————————————————————————————————————


def enqueue_job(actor, kind: str, params: dict, area: Area | None = None) -> Job:
    """Queue a job of a registered `kind` for a worker; audited as `enqueue_job`.

    `params` must be JSON values (ids, codes, paths, filters), never names or ID numbers: they are
    stored in clear and shown to whoever may see the job. `area` defaults to the actor's area and must
    lie inside the actor's scope.
    """
    try:
        get_handler(kind)
    except LookupError as e:
        raise ValidationError(f"{e}，请联系系统管理员") from None
    area = area or getattr(actor, "area", None)
    if area is None:
        raise ValidationError("请指定任务所属区划")
    if getattr(actor, "pk", None) and not in_scope(actor, area):
        raise ValidationError(f"“{area.name}”不在您的管辖范围内，不能为它发起任务")
    try:
        params = _plain_json(params or {})
    except TypeError:
        raise ValidationError("任务参数只能包含文字、数字、列表和字典") from None
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, params=params, area=area, created_by=actor if getattr(actor, "pk", None) else None
        )
        audit.record(actor, "enqueue_job", job, changes={"kind": [None, kind], "params": [None, params]})
        wakeup.notify()  # idle workers claim it at once (delivered when this transaction commits)
    return job


# —— Claim ——————————————————————————————————————————————————————————————————————————————————————


def claim_job(job_id: int, worker_name: str) -> Job | None:
    """Move one QUEUED job to RUNNING for `worker_name`; None when it is no longer queued."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        worker=worker_name[:100],
        attempts=F("attempts") + 1,
        progress_done=0,
        progress_total=0,
        message="",
        error="",
    )
    if claimed != 1:
        return None
    return Job.objects.select_related("created_by__area", "area").get(pk=job_id)


def _oldest_queued_id(skip_locked: bool) -> int | None:
    queued = Job.objects.filter(status=Status.QUEUED).order_by("created_at", "id")
    if skip_locked:
        # PostgreSQL: concurrent workers skip each other's candidate instead of racing for it.
        queued = queued.select_for_update(skip_locked=True)
    return queued.values_list("pk", flat=True).first()


def claim_next_job(worker_name: str) -> Job | None:
    """The oldest queued job, now RUNNING and owned by `worker_name`; None when the queue is empty.

    The conditional update in `claim_job` is the guarantee that one job goes to one worker; losing the
    race just moves on to the next candidate.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    for _ in range(CLAIM_ATTEMPTS):
        # The row lock needs a transaction; SQLite has no row locks, and a transaction there would take
        # the database's write lock on every poll of an empty queue.
        with transaction.atomic() if skip_locked else contextlib.nullcontext():
            job_id = _oldest_queued_id(skip_locked)
            if job_id is None:
                return None
            job = claim_job(job_id, worker_name)
        if job is not None:
            return job
    return None


# —— Run ————————————————————————————————————————————————————————————————————————————————————————


class JobContext:
    """What a handler gets besides its job: params, actor, progress, log and result file."""

    def __init__(self, job: Job, stop: threading.Event | None = None):
        self.job = job
        self.params: dict = job.params
        self.actor = job.created_by
        self._stop = stop
        self._done = 0
        self._total = 0
        self._message = ""
        self._log = job.log
        self._dirty = False
        self._last_write = 0.0

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report `done` of `total` (total and message are kept when not given).

        Written at most every 0.5 s, and always when done reaches total.
        """
        self._check_stop()
        self._done = max(0, int(done))
        if total is not None:
            self._total = max(0, int(total))
        if message:
            self._message = message[:300]
        self._dirty = True
        self._flush(force=self._done == self._total)

    def log(self, line: str) -> None:
        """Append one timestamped line to the job's log (the newest ~200 KB are kept)."""
        self._check_stop()
        self._log = _trim_log(f"{self._log}[{_stamp()}] {line}\n")
        self._dirty = True
        self._flush()

    def save_result(self, filename: str, data: bytes, *, has_personal_data: bool = False) -> None:
        """Store the job's result file, offered for download as `filename`.

        Set `has_personal_data` when the file holds unmasked personal data: every download is then
        audited as an export of personal data.
        """
        name = os.path.basename(filename.replace("\\", "/")).strip() or "结果"
        suffix = re.sub(r"[^A-Za-z0-9.]", "", Path(name).suffix)[:10]
        relative = f"jobs/{self.job.public_id}/result{suffix}"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a file
        updated = _running(self.job).update(
            result_file=relative, result_name=name[:200], result_has_personal_data=has_personal_data
        )
        if updated != 1:
            raise JobInterrupted(STALE_ERROR)
        self.job.result_file, self.job.result_name = relative, name[:200]
        self.job.result_has_personal_data = has_personal_data

    def _check_stop(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise JobInterrupted(STOPPED_ERROR)

    def _flush(self, force: bool = False) -> None:
        if not self._dirty or (not force and time.monotonic() - self._last_write < PROGRESS_WRITE_SECONDS):
            return
        updated = _running(self.job).update(**self.fields(), heartbeat_at=timezone.now())
        if updated != 1:
            # Reaped as stale (or changed by hand): another run may already own it, so stop here.
            raise JobInterrupted(STALE_ERROR)
        self._dirty = False
        self._last_write = time.monotonic()

    def fields(self) -> dict:
        return {
            "progress_done": self._done,
            "progress_total": self._total,
            "message": self._message,
            "log": self._log,
        }

    def append_log(self, text: str) -> None:
        """Bookkeeping lines (the traceback, the outcome), written with the final transition."""
        self._log = _trim_log(self._log + text)


def error_message(exc: BaseException) -> str:
    """What the user reads: our own (Chinese) messages as they are; anything else named and explained."""
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    text = str(exc)
    if re.search(r"[\u4e00-\u9fff]", text):
        return text
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"程序出错（{detail}），请重试；仍然失败请把本任务的日志发给系统管理员"


class _Heartbeat:
    """A side thread that keeps a running job's heartbeat fresh while its handler works."""

    def __init__(self, job: Job):
        self.job = job
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{job.pk}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        from django.db import connection as thread_connection

        try:
            while not self.done.wait(HEARTBEAT_SECONDS):
                try:
                    _running(self.job).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    # SQLite: the handler may hold the write lock for a while; the next beat will do.
                    logger.warning("任务 %s 心跳更新失败", self.job.public_id, exc_info=True)
        finally:
            thread_connection.close()


def _finish(job: Job, **fields) -> bool:
    """The final transition of this run; retried once on a fresh connection if the old one broke."""
    for attempt in (1, 2):
        try:
            return (
                _running(job).update(finished_at=timezone.now(), heartbeat_at=timezone.now(), **fields) == 1
            )
        except DatabaseError:
            if attempt == 2 or connection.in_atomic_block:
                raise
            connection.close()
    return False


def run_job(job: Job, worker_name: str, stop: threading.Event | None = None) -> Job:
    """Run a claimed job's handler and record the outcome; the job never stays RUNNING.

    The handler's writes are audited with source 后台任务. On return the job is SUCCEEDED with the
    handler's summary dict; on any exception it is FAILED with the message (`error_message`) and the
    traceback in its log. `stop`, once set, interrupts the handler at its next progress or log call.
    """
    ctx = JobContext(job, stop)
    logger.debug("任务开始：%s（%s），执行进程 %s", job.label, job.public_id, worker_name)
    try:
        with _Heartbeat(job), acting_via(Source.JOB):
            summary = get_handler(job.kind).run(job, ctx)
        if summary is not None and not isinstance(summary, dict):
            raise TypeError(f"handler {job.kind} returned {type(summary).__name__}, not dict or None")
        result = _plain_json(summary or {})
    except BaseException as exc:  # noqa: B036 — even Ctrl+C must not leave the job RUNNING
        message = error_message(exc) if isinstance(exc, Exception) else STOPPED_ERROR
        if isinstance(exc, JobInterrupted):
            ctx.append_log(f"[{_stamp()}] {message}\n")
        else:
            ctx.append_log(f"[{_stamp()}] 失败：{message}\n{traceback.format_exc()}")
        if not _finish(job, status=Status.FAILED, error=message, **ctx.fields()):
            logger.warning("任务 %s 已不由本进程执行，失败结果未写入", job.public_id)
        logger.debug("任务失败：%s（%s）：%s", job.label, job.public_id, message)
        if not isinstance(exc, Exception):
            raise
    else:
        ctx.append_log(f"[{_stamp()}] 完成\n")
        if not _finish(job, status=Status.SUCCEEDED, result=result, **ctx.fields()):
            logger.warning("任务 %s 已不由本进程执行，完成结果未写入", job.public_id)
        logger.debug("任务完成：%s（%s）", job.label, job.public_id)
    job.refresh_from_db()
    return job


# —— Reap and abandon ———————————————————————————————————————————————————————————————————————————


def _fail_running(job: Job, error: str) -> bool:
    line = f"[{_stamp()}] {error}\n"
    return (
        _running(job).update(
            status=Status.FAILED, error=error, finished_at=timezone.now(), log=_trim_log(job.log + line)
        )
        == 1
    )


def reap_stale_jobs() -> int:
    """Mark RUNNING jobs whose heartbeat is older than ZX_JOB_STALE_MINUTES as FAILED; returns how many."""
    cutoff = timezone.now() - timedelta(minutes=settings.ZX_JOB_STALE_MINUTES)
    stale = Job.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), status=Status.RUNNING
    )
    reaped = 0
    for job in stale.only("pk", "public_id", "attempts", "log", "kind"):
        # The heartbeat is checked again in the update: the job may have woken up since the select.
        line = f"[{_stamp()}] {STALE_ERROR}\n"
        updated = (
            Job.objects.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), pk=job.pk)
            .filter(status=Status.RUNNING, attempts=job.attempts)
            .update(
                status=Status.FAILED,
                error=STALE_ERROR,
                finished_at=timezone.now(),
                log=_trim_log(job.log + line),
            )
        )
        if updated == 1:
            reaped += 1
            logger.warning("任务 %s（%s）心跳超时，已标记为失败", job.label, job.public_id)
    return reaped


def abandon_job(job: Job, error: str = STOPPED_ERROR) -> bool:
    """A worker shutting down mid-run gives its job up: FAILED with `error` (retryable)."""
    job.refresh_from_db(fields=["log"])
    return _fail_running(job, error)


# —— Retry ——————————————————————————————————————————————————————————————————————————————————————


def may_retry(user, job: Job) -> bool:
    """The job's creator, or a district admin (any job in their scope). Not a statement about status."""
    if not getattr(user, "is_authenticated", False):
        return False
    if job.created_by_id == user.pk:
        return True
    # Retrying someone else's job re-runs their work under their name: reserved to district admins.
    return user.role == Role.DISTRICT_ADMIN and in_scope(user, job.area)


def retry_job(actor, job: Job) -> Job:
    """Queue a FAILED job again from the start; attempts and the log are kept. Audited as `retry_job`."""
    if not may_retry(actor, job):
        raise PermissionDenied("只有任务发起人或区级管理员可以重试此任务")
    with transaction.atomic():
        current = Job.objects.filter(pk=job.pk).values("status", "log", "attempts").get()
        if current["status"] != Status.FAILED:
            label = Status(current["status"]).label
            raise ValidationError(f"只有失败的任务可以重试，此任务当前状态为“{label}”")
        line = f"—— 第{current['attempts']}次重试 ——\n"
        updated = Job.objects.filter(pk=job.pk, status=Status.FAILED).update(
            status=Status.QUEUED,
            error="",
            message="",
            progress_done=0,
            progress_total=0,
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
            worker="",
            result={},
            result_file="",
            result_name="",
            result_has_personal_data=False,
            log=_trim_log(current["log"] + line),
        )
        if updated != 1:
            raise ValidationError("此任务状态已变化（可能已被他人重试），请刷新页面后再操作")
        job.refresh_from_db()
        audit.record(actor, "retry_job", job, changes={"status": [Status.FAILED, Status.QUEUED]})
    return job


# —— Download ———————————————————————————————————————————————————————————————————————————————————


def result_path(job: Job) -> Path | None:
    """The result file on disk, or None when the job has none (or it is gone)."""
    if not job.has_result_file:
        return None
    root = (Path(settings.MEDIA_ROOT) / "jobs").resolve()
    path = (Path(settings.MEDIA_ROOT) / job.result_file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def record_result_download(actor, job: Job) -> None:
    """A download of a result file holding personal data is an audited export of personal data."""
    if not job.result_has_personal_data:
        return
    with transaction.atomic():
        audit.record(
            actor,
            "download_job_result",
            job,
            kind=Kind.EXPORT_PERSONAL,
            changes={"result_name": job.result_name},
        )
