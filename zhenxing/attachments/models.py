"""Attachments: photos, scans and PDFs kept under MEDIA_ROOT and served only through permission checks.

Every attachment belongs to a place (`area`), which decides who may open it. Files are written by
`attachments.actions.store_attachment` and read by the download view; no static file server ever
serves MEDIA_ROOT.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from zhenxing.areas.models import Area


class Kind(models.TextChoices):
    PHOTO = "photo", "照片"  # a picture taken on site (home visit, project, asset)
    SCAN = "scan", "扫描件"  # a scanned paper: application, certificate, signed notice
    DOCUMENT = "document", "文件"  # any other document, usually a PDF


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    # Relative to MEDIA_ROOT: attachments/YYYY/MM/<uuid><ext>; the name never comes from the user.
    stored_path = models.CharField("存储路径", max_length=200, unique=True)
    area = models.ForeignKey(Area, verbose_name="所属区划", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "附件"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.stored_path

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
