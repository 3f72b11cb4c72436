from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "zhenxing.areas"
    verbose_name = "行政区划"
