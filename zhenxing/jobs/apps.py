from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "zhenxing.jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        # Every app's `tasks.py` registers its job handlers.
        autodiscover_modules("tasks")
