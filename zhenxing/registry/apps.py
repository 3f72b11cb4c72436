from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhenxing.registry"
    verbose_name = "农户台账"
