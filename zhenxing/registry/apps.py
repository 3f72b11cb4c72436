from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhenxing.registry"
    verbose_name = "农户台账"

    def ready(self) -> None:
        # Registers the `registry.export` job handler (tasks.py holds the importer's handlers).
        from zhenxing.registry import export  # noqa: F401
