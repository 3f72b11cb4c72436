from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zhenxing.cases"
    verbose_name = "防返贫动态监测"

    def ready(self):
        from zhenxing.cases import todos  # noqa: F401  registers the to-do providers
        from zhenxing.cases.receivers import keep_household_members
        from zhenxing.registry.signals import household_changed

        household_changed.connect(keep_household_members, dispatch_uid="cases.keep_household_members")
