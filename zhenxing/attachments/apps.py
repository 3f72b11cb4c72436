from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "zhenxing.attachments"
    verbose_name = "附件"
