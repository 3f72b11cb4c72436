from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "zhenxing.policy"
    verbose_name = "年度政策参数"
