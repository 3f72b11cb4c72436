from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zhenxing.cases"
    verbose_name = "防返贫动态监测"

    def ready(self):
        from zhenxing.cases import todos  # noqa: F401  registers the to-do providers
