"""Every write of department screening, split by subject: feeds (uploads and rows) and warnings (runs,
warnings, discrepancies from runs). Views, the API, commands and jobs call these.
"""

from zhenxing.screening.actions.feeds import commit_feed
from zhenxing.screening.actions.warnings import (
    assign_warning,
    close_warning,
    fail_run,
    finish_run,
    start_run,
    start_verification,
    store_hits,
)

__all__ = [
    "assign_warning",
    "close_warning",
    "commit_feed",
    "fail_run",
    "finish_run",
    "start_run",
    "start_verification",
    "store_hits",
]
