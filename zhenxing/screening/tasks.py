"""Job handlers of screening: committing an uploaded feed file (first), then screening runs (below)."""

import hashlib

from django.core.exceptions import ValidationError

from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Source
from zhenxing.jobs.registry import job_handler, scheduled
from zhenxing.lib.staging import read_staged

# —— Feeds: commit an uploaded file ——————————————————————————————————————————————————————————————

COMMIT_FEED = "screening.commit_feed"
COMMIT_FEED_LABELS = {
    "kind": "数据类别",
    "upload": "上传编号",
    "rows": "写入行数",
    "matched": "匹配到农户",
    "unmatched": "未匹配",
    "skipped": "因错误未写入的行",
}


@job_handler(COMMIT_FEED, "写入部门数据", result_labels=COMMIT_FEED_LABELS)
def commit_feed_file(job, ctx) -> dict:
    """Check the staged file again and store it (`actions.feeds.commit_feed`), all or nothing.

    params: kind, stored_path, filename, sha256 (of the file previewed), period, only_valid. A retry
    after a failure that came once the upload was stored finds that upload instead of storing it twice.
    """
    from zhenxing.screening import feeds
    from zhenxing.screening.actions.feeds import commit_feed
    from zhenxing.screening.models import FeedUpload

    params = ctx.params
    kind = params["kind"]
    data = read_staged(params["stored_path"])
    if hashlib.sha256(data).hexdigest() != params["sha256"]:
        raise ValidationError("上传的文件在检查之后发生了变化，未写入任何数据：请重新上传")
    done = FeedUpload.objects.filter(
        kind=kind, sha256=params["sha256"], uploaded_by=ctx.actor, uploaded_at__gte=job.created_at
    ).first()
    if done is None:
        ctx.progress(0, 0, "正在检查文件")
        plan = feeds.validate_feed(kind, data, params["filename"])
        ctx.progress(0, 0, "正在写入")
        with acting_via(Source.IMPORT):
            done = commit_feed(
                ctx.actor,
                kind,
                plan,
                source=FeedUpload.Source.FILE,
                file_name=params["filename"],
                sha256=params["sha256"],
                period=params.get("period", ""),
                only_valid=bool(params.get("only_valid")),
            )
        skipped = len(plan.error_rows())
    else:
        skipped = 0
    ctx.log(f"已写入{done.rows_total}行：匹配到农户{done.rows_matched}行，未匹配{done.rows_unmatched}行")
    return {
        "kind": feeds.LABELS[kind],
        "upload": str(done.public_id),
        "rows": done.rows_total,
        "matched": done.rows_matched,
        "unmatched": done.rows_unmatched,
        "skipped": skipped,
    }


# —— Screening runs ——————————————————————————————————————————————————————————————————————————————

RUN_SCREENING = "screening.run"  # runs.RUN_JOB
RUN_LABELS = {
    "hits": "命中",
    "new_warnings": "新增预警",
    "new_discrepancies": "新增疑点",
    "households": "筛查户数",
}


@job_handler(RUN_SCREENING, "部门数据筛查", result_labels=RUN_LABELS)
def run_screening_job(job, ctx) -> dict:
    """One screening run (`runs.run_screening`); safe to retry: warnings are stored by identity.

    params: trigger (manual | schedule | feed), as_of (ISO date, or None: the day it runs), backend,
    upload (public id, for a feed-triggered run: only the households that upload matched).
    """
    import datetime

    from django.utils import timezone

    from zhenxing.screening import runs
    from zhenxing.screening.models import FeedUpload, ScreeningRun

    params = ctx.params
    trigger = params.get("trigger") or ScreeningRun.Trigger.MANUAL
    as_of = datetime.date.fromisoformat(params["as_of"]) if params.get("as_of") else timezone.localdate()
    upload = FeedUpload.objects.get(public_id=params["upload"]) if params.get("upload") else None
    household_ids = runs.feed_households(upload) if trigger == ScreeningRun.Trigger.FEED else None
    run = runs.run_screening(
        ctx.actor,
        as_of=as_of,
        backend=params.get("backend") or "duckdb",
        trigger=trigger,
        upload=upload,
        household_ids=household_ids,
        progress=ctx.progress,
        job=job,
    )
    for line in run.log.splitlines():
        ctx.log(line)
    if trigger == ScreeningRun.Trigger.FEED and upload is not None:
        from zhenxing.screening.snapshot import keep_part

        try:
            keep_part(upload)  # the next whole run reads this upload from its part
        except OSError as exc:  # the run is done; the next whole run reads the upload itself
            ctx.log(f"未能缓存本次上传的数据（{exc.strerror or exc}），下次整体筛查时将直接读取")
    summary = {
        "hits": sum(run.counts.values()),
        "new_warnings": run.new_warnings,
        "new_discrepancies": run.new_discrepancies,
    }
    if household_ids is not None:
        summary["households"] = len(household_ids)
    return summary


@scheduled
def monthly_screening():
    """The worker's hook: this month's scheduled run, enqueued once (`runs.schedule_due`)."""
    from zhenxing.screening.runs import schedule_due

    return schedule_due()
