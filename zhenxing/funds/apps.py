from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "zhenxing.funds"
    verbose_name = "衔接资金与项目"

    def ready(self):
        from zhenxing.funds import tasks, todos  # noqa: F401  registers the job kinds and the to-do provider
