"""Test-only job kinds (registered once, when pytest loads this file) and the media folder."""

import threading

import pytest
from django.db import transaction

from zhenxing.audit import actions as audit
from zhenxing.jobs.registry import job_handler

RESULT_CSV = "姓名,村\n张三,新港村\n".encode()

# Set by `tests.signal` when it runs (the serve test waits on it instead of polling the database).
handler_ran = threading.Event()


@job_handler("tests.count", "测试计数", result_labels={"counted": "计数"})
def count(job, ctx):
    n = ctx.params["n"]
    for i in range(1, n + 1):
        ctx.progress(i, n, f"第{i}项")
    ctx.log(f"共计数{n}项")
    return {"counted": n}


@job_handler("tests.flaky", "测试失败重试")
def flaky(job, ctx):
    """Fails on the first attempt, succeeds on the second."""
    ctx.progress(1, 2)
    if job.attempts < 2:
        raise ValueError("故意失败")
    ctx.progress(2, 2)
    return {"attempt": job.attempts}


@job_handler("tests.crash", "测试程序错误")
def crash(job, ctx):
    return {}["missing"]


@job_handler("tests.file", "测试导出")
def export(job, ctx):
    ctx.save_result("导出/测试结果.csv", RESULT_CSV, has_personal_data=ctx.params.get("personal", False))
    return {"rows": 1}


@job_handler("tests.audited", "测试写入")
def audited(job, ctx):
    with transaction.atomic():
        audit.record(ctx.actor, "tests_write", job)


@job_handler("tests.signal", "测试通知")
def signal(job, ctx):
    handler_ran.set()
    return {"ran": True}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
