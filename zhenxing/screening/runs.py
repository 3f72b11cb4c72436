"""Screening runs: snapshot → engine → store, on demand, monthly, and after each feed commit.

    run = run_screening(officer, as_of=date(2025, 3, 31))          # synchronous (CLI, tests, the job)
    job = enqueue_run(officer, trigger="manual", as_of=...)          # from a page: runs in a worker

A run reads the settings in effect for the as-of year (`policy_for(as_of.year)`): the thresholds, the
enabled rules (`screening_rules_enabled`, by label) and every year's monitoring line; it records that
settings version on the run and on each new warning. The snapshot lives in a temporary directory
removed when the run ends. A run limited to households (`household_ids`: a feed-triggered run covers
the households matched by that upload) only ever touches those households' warnings and 疑点.

A failure marks the run FAILED with its log and re-raises (the job fails with the message and can be
retried: storing is idempotent by warning identity).

Monthly schedule: the job worker calls `schedule_due()` (registered in `screening.tasks`) while idle;
it enqueues one scheduled run per calendar month, the first time it is called in that month.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from zhenxing.jobs.actions import enqueue_job, error_message
from zhenxing.jobs.models import Job
from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.resolve import YearPolicy, policy_for
from zhenxing.screening import permissions
from zhenxing.screening.actions import warnings as actions
from zhenxing.screening.engine import run as engine
from zhenxing.screening.engine.rules import RULES
from zhenxing.screening.models import FeedRow, FeedUpload, ScreeningRun
from zhenxing.screening.snapshot import write_snapshot

RUN_JOB = "screening.run"
BACKENDS = engine.BACKENDS
# Names the PostgreSQL advisory lock that keeps two workers from scheduling the same month twice.
SCHEDULE_LOCK_ID = 7_200_705

Progress = Callable[..., None]  # (done, total, message): `jobs.actions.JobContext.progress`


# --- settings → engine parameters ------------------------------------------------------------------------


def engine_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's parameters: the year's typed values plus `lines`, every configured year's line."""
    years = set(PolicyVersion.objects.values_list("year", flat=True).distinct())
    lines = {year: policy_for(year)["monitoring_line"] for year in sorted(years)}
    return {**values, "lines": lines}


def enabled_rules(values: Mapping[str, Any]) -> list[str]:
    """The keys of the enabled rules, in definition order (the setting names them by label)."""
    labels = set(values["screening_rules_enabled"])
    return [r.key for r in RULES if r.label in labels]


# --- one run ---------------------------------------------------------------------------------------------


def _check_trigger(actor, trigger: str, upload: FeedUpload | None) -> None:
    if trigger == ScreeningRun.Trigger.MANUAL:
        if actor is not None:  # None: the platform itself (the command line)
            actions.check_may_run(actor)
    elif trigger == ScreeningRun.Trigger.FEED:
        if upload is None:
            raise ValidationError("数据上传后的筛查须指明是哪一次上传")
        if actor is not None and not permissions.may_upload(actor, upload.kind):
            actions.check_may_run(actor)
    elif trigger != ScreeningRun.Trigger.SCHEDULE:
        raise ValidationError("筛查的触发方式无效")
    if trigger != ScreeningRun.Trigger.MANUAL and actor is not None and not actor.is_active:
        raise ValidationError("发起账号已停用，不能发起筛查")


def run_screening(
    actor,
    *,
    as_of: date,
    backend: str = "duckdb",
    trigger: str = ScreeningRun.Trigger.MANUAL,
    upload: FeedUpload | None = None,
    household_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
    job: Job | None = None,
) -> ScreeningRun:
    """Run the enabled rules as of a date and store the results; returns the finished run.

    `actor` None: the platform itself (schedule, command line). Refused with `PermissionDenied` when a
    manual run is started by anyone but a district officer or admin, and with `ValidationError` for an
    unknown backend or an as-of date after today.
    """
    _check_trigger(actor, trigger, upload)
    if backend not in BACKENDS:
        raise ValidationError(f"计算引擎只能选择：{'、'.join(BACKENDS)}")
    if as_of > timezone.localdate():
        raise ValidationError("筛查基准日不能晚于今天")
    policy = policy_for(as_of.year)
    run = actions.start_run(
        actor, as_of=as_of, backend=backend, trigger=trigger, policy=policy, upload=upload, job=job
    )
    started = time.perf_counter()
    log = [f"适用政策参数：{policy.describe()}"]
    try:
        result, stored = _evaluate(actor, run, policy, as_of, backend, household_ids, progress, log)
    except Exception as exc:
        actions.fail_run(
            run, message=error_message(exc), log="\n".join(log), seconds=time.perf_counter() - started
        )
        raise
    log.append(
        f"新增预警 {stored.new_warnings} 条，已有预警再次命中 {stored.seen_warnings} 条；"
        f"新增疑点 {stored.new_discrepancies} 条，未核实的疑点再次命中 {stored.open_discrepancies} 条"
    )
    actions.finish_run(
        run,
        counts=result.counts,
        new_warnings=stored.new_warnings,
        new_discrepancies=stored.new_discrepancies,
        seconds=round(time.perf_counter() - started, 3),
        log="\n".join(log),
    )
    return run


def _evaluate(actor, run, policy: YearPolicy, as_of, backend, household_ids, progress, log):
    def step(done: int, total: int, message: str) -> None:
        if progress is not None:
            progress(done, total, message)

    rules = enabled_rules(policy.values)
    total = len(rules) + 3  # snapshot, engine set-up, each rule, storing
    step(0, total, "正在生成数据快照")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zhenxing-screening-") as directory:
        info = write_snapshot(Path(directory), as_of=as_of, household_ids=household_ids)
        log += info.lines()
        snapshot_seconds = time.perf_counter() - started
        step(1, total, "正在运行筛查规则")
        result = engine.run(
            Path(directory),
            engine_params(policy.values),
            as_of,
            rules=rules,
            household_ids=household_ids,
            backend=backend,
            progress=lambda done, _: step(1 + done, total, "正在运行筛查规则"),
        )
    log += result.log
    engine_seconds = time.perf_counter() - started - snapshot_seconds
    step(total - 1, total, "正在保存预警和疑点")
    stored = actions.store_hits(actor, run, result.hits, raised_on=timezone.localdate(), policy=policy)
    log.append(
        f"用时：数据快照 {snapshot_seconds:.1f} 秒，规则计算 {engine_seconds:.1f} 秒，"
        f"保存 {time.perf_counter() - started - snapshot_seconds - engine_seconds:.1f} 秒"
    )
    step(total, total, "筛查完成")
    return result, stored


def feed_households(upload: FeedUpload) -> list[int]:
    """The households an upload's rows were matched to (a feed-triggered run covers these)."""
    rows = FeedRow.objects.filter(upload=upload, household__isnull=False)
    return sorted(set(rows.values_list("household_id", flat=True)))


# --- jobs ------------------------------------------------------------------------------------------------


def enqueue_run(
    actor,
    *,
    trigger: str,
    upload: FeedUpload | None = None,
    as_of: date | None = None,
    backend: str = "duckdb",
) -> Job:
    """Queue a run for the worker (`screening.tasks`); the as-of date defaults to the day it runs."""
    _check_trigger(actor, trigger, upload)
    if backend not in BACKENDS:
        raise ValidationError(f"计算引擎只能选择：{'、'.join(BACKENDS)}")
    if as_of is not None and as_of > timezone.localdate():
        raise ValidationError("筛查基准日不能晚于今天")
    params = {
        "trigger": trigger,
        "as_of": as_of.isoformat() if as_of else None,
        "backend": backend,
        "upload": str(upload.public_id) if upload else None,
    }
    return enqueue_job(actor, RUN_JOB, params, area=None if actor else _county())


def _county():
    from zhenxing.areas.models import Area

    return Area.objects.filter(parent__isnull=True).order_by("code").first()


def schedule_due(today: date | None = None) -> Job | None:
    """Enqueue this month's scheduled run unless one was already enqueued; returns the new job or None."""
    today = today or timezone.localdate()
    month = today.strftime("%Y-%m")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULE_LOCK_ID])
        if Job.objects.filter(
            kind=RUN_JOB, params__trigger=ScreeningRun.Trigger.SCHEDULE, params__month=month
        ).exists():
            return None
        params = {
            "trigger": ScreeningRun.Trigger.SCHEDULE,
            "as_of": None,
            "backend": "duckdb",
            "month": month,
        }
        return enqueue_job(None, RUN_JOB, params, area=_county())


# --- the rules settings preview --------------------------------------------------------------------------


@dataclass
class RuleChange:
    key: str
    label: str
    kind: str  # "warning" | "discrepancy"
    current: int  # hits with the settings in effect (0 when disabled)
    proposed: int  # hits with the proposed settings
    added: int
    removed: int


@dataclass
class Preview:
    as_of: date
    rows: list[RuleChange] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, kind: str, attribute: str) -> int:
        return sum(getattr(r, attribute) for r in self.rows if r.kind == kind)

    @property
    def warnings_added(self) -> int:
        return self.total("warning", "added")

    @property
    def warnings_removed(self) -> int:
        return self.total("warning", "removed")

    @property
    def discrepancies_added(self) -> int:
        return self.total("discrepancy", "added")

    @property
    def discrepancies_removed(self) -> int:
        return self.total("discrepancy", "removed")


def preview_settings(proposed: Mapping[str, Any], *, as_of: date | None = None) -> Preview:
    """How the proposed typed settings change the hits on current data, versus the settings in effect.

    Both are evaluated over one snapshot as of `as_of` (default today); a hit is added when only the
    proposed settings raise it and removed when only the current ones do (by warning identity).
    Nothing is stored.
    """
    as_of = as_of or timezone.localdate()
    started = time.perf_counter()
    current = dict(policy_for(as_of.year).values)
    proposed = {**current, **proposed}
    with tempfile.TemporaryDirectory(prefix="zhenxing-preview-") as directory:
        write_snapshot(Path(directory), as_of=as_of)
        before = _hits(Path(directory), current, as_of)
        after = _hits(Path(directory), proposed, as_of)
    preview = Preview(as_of)
    for rule in RULES:
        old, new = before.get(rule.key, set()), after.get(rule.key, set())
        preview.rows.append(
            RuleChange(rule.key, rule.label, rule.kind, len(old), len(new), len(new - old), len(old - new))
        )
    preview.seconds = time.perf_counter() - started
    return preview


def _hits(directory: Path, values: Mapping[str, Any], as_of: date) -> dict[str, set]:
    result = engine.run(directory, engine_params(values), as_of, rules=enabled_rules(values))
    hits: dict[str, set] = {}
    for hit in result.hits:
        hits.setdefault(hit.rule, set()).add(hit.identity)
    return hits
