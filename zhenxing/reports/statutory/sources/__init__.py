"""The six statutory reports, registered in the order the index page lists them."""

from zhenxing.reports.statutory.sources import funds, monitoring, screening  # noqa: F401
