from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhenxing.reports"
    verbose_name = "统计报表"

    def ready(self) -> None:
        from zhenxing.reports.leaflets import tasks  # noqa: F401  registers the 明白纸 batch job kind
        from zhenxing.reports.statutory import tasks as statutory_tasks  # noqa: F401  the export job kind
