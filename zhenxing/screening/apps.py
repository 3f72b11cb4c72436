from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "zhenxing.screening"
    verbose_name = "部门筛查预警"

    def ready(self):
        from zhenxing.screening import tasks, todos  # noqa: F401  registers job handlers and to-do providers
