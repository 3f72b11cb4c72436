"""Where the current write comes from (网页/接口/导入/后台任务/命令行), set once per request or job."""

import contextlib
import contextvars

from zhenxing.audit.models import Source

_source: contextvars.ContextVar[str] = contextvars.ContextVar("audit_source", default=Source.CLI)


def current_source() -> str:
    return _source.get()


@contextlib.contextmanager
def acting_via(source: str):
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


class AuditSourceMiddleware:
    """Marks every web request's writes as coming from the UI (the API sets its own source)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith("/api/") else Source.UI
        with acting_via(source):
            return self.get_response(request)
