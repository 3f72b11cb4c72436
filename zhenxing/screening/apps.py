from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "zhenxing.screening"
    verbose_name = "部门筛查预警"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from zhenxing.cases.models import Case, Lead
        from zhenxing.registry.signals import risk_changed
        from zhenxing.screening import tasks, todos  # noqa: F401  registers job handlers and to-do providers
        from zhenxing.screening.models import Warning
        from zhenxing.screening.receivers import refresh_named, refresh_saved

        for model in (Case, Lead, Warning):
            for signal in (post_save, post_delete):
                signal.connect(refresh_saved, sender=model, dispatch_uid=f"screening.colour.{model.__name__}")
        risk_changed.connect(refresh_named, dispatch_uid="screening.colour.risk_changed")
