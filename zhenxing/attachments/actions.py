"""Storing attachments and recording who opened them. Views, the API and other apps' actions call these."""

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from zhenxing.accounts.scope import in_scope
from zhenxing.areas.models import Area
from zhenxing.attachments.models import Attachment, Kind
from zhenxing.audit import actions as audit
from zhenxing.audit.models import Kind as AuditKind

TYPE_ERROR = "只能上传 JPG、PNG 或 PDF 文件"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str  # the extension the stored file gets
    magic: bytes  # how the file's first bytes must start
    label: str


JPEG = FileType("image/jpeg", ".jpg", b"\xff\xd8\xff", "JPG")
PNG = FileType("image/png", ".png", b"\x89PNG\r\n\x1a\n", "PNG")
PDF = FileType("application/pdf", ".pdf", b"%PDF-", "PDF")
TYPE_BY_EXTENSION = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".pdf": PDF}
MAGIC_LENGTH = max(len(t.magic) for t in TYPE_BY_EXTENSION.values())


def _sniff(head: bytes) -> FileType | None:
    return next((t for t in (JPEG, PNG, PDF) if head.startswith(t.magic)), None)


def check_file_type(name: str, head: bytes) -> FileType:
    """The file's type when its extension and its first bytes agree on JPEG, PNG or PDF."""
    by_name = TYPE_BY_EXTENSION.get(Path(name).suffix.lower())
    by_content = _sniff(head)
    if by_name is None or by_content is None:
        raise ValidationError(f"{TYPE_ERROR}，“{name}”不是其中之一，请转换格式后重新上传")
    if by_name is not by_content:
        raise ValidationError(
            f"{TYPE_ERROR}：“{name}”的内容是 {by_content.label} 文件，与扩展名不符，请改正扩展名后重新上传"
        )
    return by_content


def check_file_size(size: int) -> None:
    limit_mb = settings.ZX_MAX_UPLOAD_MB
    if size > limit_mb * 1024 * 1024:
        raise ValidationError(f"文件过大：最大 {limit_mb} MB，请压缩或分页扫描后重新上传")
    if size == 0:
        raise ValidationError("文件是空的，请重新选择文件")


def _chunks_and_size(upload: UploadedFile | tuple[str, bytes]) -> tuple[str, int, bytes, object]:
    """(name, size, first bytes, iterable of chunks) for either kind of upload."""
    if isinstance(upload, tuple):
        name, data = upload
        return name, len(data), data[:MAGIC_LENGTH], (data,)
    upload.seek(0)
    head = upload.read(MAGIC_LENGTH)
    upload.seek(0)
    return upload.name or "", upload.size, head, upload.chunks()


def _write_file(chunks, target: Path) -> tuple[str, int]:
    """Write through a temporary file in the target folder and rename it into place (atomic).

    Returns (sha256, bytes written). A half-written file never appears under the final name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, written = hashlib.sha256(), 0
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                written += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), written


def store_attachment(
    actor,
    upload: UploadedFile | tuple[str, bytes],
    area: Area,
    kind: str,
    note: str = "",
) -> Attachment:
    """Check, write and register one file (JPEG, PNG or PDF up to ZX_MAX_UPLOAD_MB).

    `area` is the place the record belongs to and must lie in the actor's scope (else PermissionDenied).
    Wrong type or size raises ValidationError with a Chinese message; nothing is then written. The file
    is on disk before the row is created; if the row or its audit entry fails, the file is removed.
    (If a caller's outer transaction rolls back later, the file stays behind unreferenced.)
    """
    if not in_scope(actor, area):
        raise PermissionDenied("所选区划不在您的管辖范围内，不能为其上传附件")
    if kind not in Kind.values:
        raise ValidationError("请选择附件类别：照片、扫描件或文件")
    name, size, head, chunks = _chunks_and_size(upload)
    name = Path(name.replace("\\", "/")).name  # browsers on Windows may send a full path
    check_file_size(size)
    file_type = check_file_type(name, head)

    public_id = uuid.uuid4()
    now = timezone.now()
    stored_path = f"attachments/{now:%Y}/{now:%m}/{public_id}{file_type.extension}"
    target = Path(settings.MEDIA_ROOT) / stored_path
    sha256, written = _write_file(chunks, target)
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                public_id=public_id,
                kind=kind,
                original_name=name[:200],
                content_type=file_type.content_type,
                size=written,
                sha256=sha256,
                stored_path=stored_path,
                area=area,
                uploaded_by=actor,
                uploaded_at=now,
                note=note,
            )
            audit.record(
                actor,
                "store_attachment",
                attachment,
                changes={
                    "kind": [None, kind],
                    "original_name": [None, attachment.original_name],
                    "content_type": [None, file_type.content_type],
                    "size": [None, written],
                    "sha256": [None, sha256],
                },
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return attachment


def record_attachment_view(user, attachment: Attachment) -> None:
    """Opening an attachment is audited as a read of personal data: scans often show ID cards."""
    with transaction.atomic():
        audit.record(user, "view_attachment", attachment, kind=AuditKind.READ_PERSONAL)
