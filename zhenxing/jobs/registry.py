"""Job kinds: each app registers its handlers with `@job_handler("app.verb", "中文名")`.

A handler is `fn(job: Job, ctx: JobContext) -> dict | None`; it reports progress through `ctx`, writes
through the app's actions (which audit with source 后台任务), and returns a small summary dict of JSON
values, shown on the job page under `result_labels` (or `COMMON_RESULT_LABELS`).

`ctx` (see `jobs.actions.JobContext`) offers `params`, `actor` (who enqueued the job),
`progress(done, total=None, message="")`, `log(line)` and
`save_result(filename, data, has_personal_data=False)`. A raised exception fails the job with its
message, so raise `ValidationError("……，请……")` with words the user can act on.
Handlers must be safe to retry: a failed job runs again from the start.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Handler:
    kind: str
    label: str
    run: Callable
    # Chinese names for the keys of the summary dict, shown on the job page (unnamed keys show as-is).
    result_labels: dict[str, str] = field(default_factory=dict)


_handlers: dict[str, Handler] = {}

# Summary keys many handlers share; a handler's own `result_labels` take precedence.
COMMON_RESULT_LABELS = {
    "rows": "条数",
    "total": "总数",
    "added": "新增",
    "created": "新建",
    "updated": "更新",
    "renamed": "更名",
    "unchanged": "未变",
    "skipped": "跳过",
    "deleted": "删除",
    "errors": "错误数",
}


def job_handler(kind: str, label: str, result_labels: dict[str, str] | None = None):
    def register(fn: Callable) -> Callable:
        if kind in _handlers and _handlers[kind].run is not fn:
            raise ValueError(f"job kind {kind!r} registered twice")
        _handlers[kind] = Handler(kind, label, fn, dict(result_labels or {}))
        return fn

    return register


# Hooks the worker calls while idle (at most once a minute) to enqueue periodic work, such as the
# monthly screening run. A hook takes no arguments, enqueues at most what is due (it must be safe to call
# from several workers at once) and returns the new Job, or None when nothing was due.
_scheduled: list[Callable] = []


def scheduled(fn: Callable) -> Callable:
    """Register `fn` as a schedule hook (see `_scheduled`)."""
    if fn not in _scheduled:
        _scheduled.append(fn)
    return fn


def schedule_hooks() -> list[Callable]:
    return list(_scheduled)


def get_handler(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"未知的任务类型：{kind}") from None


def label_for(kind: str) -> str:
    handler = _handlers.get(kind)
    return handler.label if handler else kind


def result_label(kind: str, key: str) -> str:
    handler = _handlers.get(kind)
    own = handler.result_labels if handler else {}
    return own.get(key) or COMMON_RESULT_LABELS.get(key, key)


def kinds() -> list[Handler]:
    return sorted(_handlers.values(), key=lambda h: h.kind)
