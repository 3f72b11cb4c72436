"""store_attachment: accepted types and sizes, exact stored values, refusals that leave nothing behind."""

import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from zhenxing.attachments import actions
from zhenxing.attachments.models import Attachment, Kind
from zhenxing.attachments.tests.conftest import EXE, JPEG, PDF, PNG, stored_files
from zhenxing.audit.models import AuditEntry


def assert_nothing_stored(media_root):
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []
    assert AuditEntry.objects.count() == 0


def test_it_stores_a_png(cast, village, media_root):
    attachment = actions.store_attachment(
        cast["village_cadre"], ("门前.PNG", PNG), village, Kind.PHOTO, note="入户走访"
    )
    attachment.refresh_from_db()
    assert attachment.original_name == "门前.PNG"
    assert attachment.kind == Kind.PHOTO
    assert attachment.content_type == "image/png"
    assert attachment.size == len(PNG)
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert attachment.area == village
    assert attachment.uploaded_by == cast["village_cadre"]
    assert attachment.note == "入户走访"
    assert re.fullmatch(rf"attachments/\d{{4}}/\d{{2}}/{attachment.public_id}\.png", attachment.stored_path)
    assert stored_files(media_root) == [media_root / attachment.stored_path]
    assert (media_root / attachment.stored_path).read_bytes() == PNG


def test_it_audits_the_stored_file(cast, village):
    attachment = actions.store_attachment(cast["village_cadre"], ("门前.png", PNG), village, Kind.PHOTO)
    entry = AuditEntry.objects.get()
    assert entry.action == "store_attachment"
    assert entry.actor == cast["village_cadre"]
    assert entry.object_type == "attachments.attachment"
    assert entry.object_id == str(attachment.public_id)
    assert entry.object_label == "门前.png"
    assert entry.area_code == "420704100201"
    assert entry.changes == {
        "kind": [None, "photo"],
        "original_name": [None, "门前.png"],
        "content_type": [None, "image/png"],
        "size": [None, len(PNG)],
        "sha256": [None, hashlib.sha256(PNG).hexdigest()],
    }


def test_it_stores_a_pdf_upload(cast, township, media_root):
    upload = SimpleUploadedFile("申请书.pdf", PDF, content_type="application/octet-stream")
    attachment = actions.store_attachment(cast["township_officer"], upload, township, Kind.SCAN)
    assert (attachment.content_type, attachment.size, attachment.sha256) == (
        "application/pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )
    assert attachment.stored_path.endswith(f"{attachment.public_id}.pdf")
    assert (media_root / attachment.stored_path).read_bytes() == PDF


def test_it_stores_a_jpeg_under_jpg(cast, village):
    attachment = actions.store_attachment(cast["village_cadre"], ("IMG_0001.jpeg", JPEG), village, Kind.PHOTO)
    assert attachment.content_type == "image/jpeg"
    assert attachment.stored_path.endswith(".jpg")


def test_it_keeps_only_the_file_name_of_a_windows_path(cast, village):
    attachment = actions.store_attachment(
        cast["village_cadre"], (r"C:\扫描\证明.pdf", PDF), village, Kind.SCAN
    )
    assert attachment.original_name == "证明.pdf"


def test_it_refuses_an_exe_renamed_pdf(cast, village, media_root):
    with pytest.raises(ValidationError) as error:
        actions.store_attachment(cast["village_cadre"], ("扫描件.pdf", EXE), village, Kind.SCAN)
    assert error.value.messages == [
        "只能上传 JPG、PNG 或 PDF 文件，“扫描件.pdf”不是其中之一，请转换格式后重新上传"
    ]
    assert_nothing_stored(media_root)


@pytest.mark.parametrize("name", ["说明.docx", "照片.gif", "无扩展名", "report.pdf.exe"])
def test_it_refuses_other_extensions(cast, village, media_root, name):
    with pytest.raises(ValidationError) as error:
        actions.store_attachment(cast["village_cadre"], (name, PDF), village, Kind.DOCUMENT)
    assert error.value.messages == [
        f"只能上传 JPG、PNG 或 PDF 文件，“{name}”不是其中之一，请转换格式后重新上传"
    ]
    assert_nothing_stored(media_root)


def test_it_refuses_content_that_does_not_match_the_extension(cast, village, media_root):
    with pytest.raises(ValidationError) as error:
        actions.store_attachment(cast["village_cadre"], ("门前.png", JPEG), village, Kind.PHOTO)
    assert error.value.messages == [
        "只能上传 JPG、PNG 或 PDF 文件：“门前.png”的内容是 JPG 文件，与扩展名不符，请改正扩展名后重新上传"
    ]
    assert_nothing_stored(media_root)


def test_it_refuses_an_oversize_file(cast, village, media_root, settings):
    settings.ZX_MAX_UPLOAD_MB = 1
    data = PDF + b"\x00" * (1_100_000 - len(PDF))
    with pytest.raises(ValidationError) as error:
        actions.store_attachment(cast["village_cadre"], ("大文件.pdf", data), village, Kind.SCAN)
    assert error.value.messages == ["文件过大：最大 1 MB，请压缩或分页扫描后重新上传"]
    assert_nothing_stored(media_root)


def test_it_accepts_a_file_of_exactly_the_limit(cast, village, settings):
    settings.ZX_MAX_UPLOAD_MB = 1
    data = PDF + b"\x00" * (1024 * 1024 - len(PDF))
    assert (
        actions.store_attachment(cast["village_cadre"], ("刚好.pdf", data), village, Kind.SCAN).size
        == 1024 * 1024
    )


def test_it_refuses_an_empty_file(cast, village, media_root):
    with pytest.raises(ValidationError) as error:
        actions.store_attachment(cast["village_cadre"], ("空.pdf", b""), village, Kind.SCAN)
    assert error.value.messages == ["文件是空的，请重新选择文件"]
    assert_nothing_stored(media_root)


def test_it_refuses_an_unknown_kind(cast, village, media_root):
    with pytest.raises(ValidationError) as error:
        actions.store_attachment(cast["village_cadre"], ("门前.png", PNG), village, "video")
    assert error.value.messages == ["请选择附件类别：照片、扫描件或文件"]
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    "role, area",
    [
        ("village_cadre", "township"),  # above the cadre's village
        ("township_officer", "other_village"),  # a village of another township
        ("outside_village_cadre", "village"),
    ],
)
def test_it_refuses_an_area_outside_the_actors_scope(request, cast, media_root, role, area):
    with pytest.raises(PermissionDenied, match="所选区划不在您的管辖范围内，不能为其上传附件"):
        actions.store_attachment(cast[role], ("门前.png", PNG), request.getfixturevalue(area), Kind.PHOTO)
    assert_nothing_stored(media_root)


def test_it_removes_the_file_when_the_database_write_fails(cast, village, media_root, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(actions.audit, "record", fail)
    with pytest.raises(DatabaseError):
        actions.store_attachment(cast["village_cadre"], ("门前.png", PNG), village, Kind.PHOTO)
    assert Attachment.objects.count() == 0
    # The month folder may stay; no file (neither the temporary nor the final one) does.
    assert stored_files(media_root) == []
