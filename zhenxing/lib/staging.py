"""Uploaded import files kept between preview and commit (the commit runs as a job, later)."""

import uuid
from pathlib import Path, PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")


def stage_upload(filename: str, data: bytes) -> str:
    """Store the file under MEDIA_ROOT/imports/ and return its path relative to MEDIA_ROOT."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationError(f"不支持的文件类型“{suffix or filename}”，请上传 .xlsx、.xls 或 .csv 文件")
    limit = settings.ZX_MAX_UPLOAD_MB * 1024 * 1024
    if len(data) > limit:
        raise ValidationError(f"文件过大：最大 {settings.ZX_MAX_UPLOAD_MB} MB")
    relative = Path("imports") / timezone.localdate().strftime("%Y/%m") / f"{uuid.uuid4().hex}{suffix}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(relative)


def read_staged(relative: str) -> bytes:
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if not path.is_relative_to((Path(settings.MEDIA_ROOT) / "imports").resolve()):
        raise ValidationError("导入文件路径无效")
    return path.read_bytes()
