"""Downloading and uploading through the views: scope, capability, headers, audit rows."""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhenxing.attachments import actions
from zhenxing.attachments.models import Attachment, Kind
from zhenxing.attachments.tests.conftest import EXE, PDF, PNG, stored_files
from zhenxing.audit.models import AuditEntry
from zhenxing.audit.models import Kind as AuditKind


def download_url(attachment: Attachment) -> str:
    return reverse("attachments:download", kwargs={"public_id": attachment.public_id})


@pytest.mark.parametrize(
    "role", ["village_cadre", "township_officer", "district_officer", "district_admin", "inspector"]
)
def test_it_serves_the_file_inside_scope_and_audits_it(client, cast, village_scan, role):
    client.force_login(cast[role])
    response = client.get(download_url(village_scan))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "inline; filename*=utf-8''" + quote("户口本 扫描.pdf")
    assert response["Content-Length"] == str(len(PDF))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.kind, entry.actor, entry.object_id, entry.area_code) == (
        "view_attachment",
        AuditKind.READ_PERSONAL,
        cast[role],
        str(village_scan.public_id),
        "420704100201",
    )
    assert AuditEntry.objects.count() == 2  # store + view


def test_it_names_an_ascii_file_plainly(client, cast, village):
    photo = actions.store_attachment(cast["village_cadre"], ("house.png", PNG), village, Kind.PHOTO)
    client.force_login(cast["village_cadre"])
    response = client.get(download_url(photo))
    assert response["Content-Disposition"] == 'inline; filename="house.png"'
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize("role", ["outside_village_cadre", "outside_township_officer"])
def test_it_answers_404_outside_scope_without_an_audit_row(client, cast, village_scan, role):
    client.force_login(cast[role])
    response = client.get(download_url(village_scan))
    assert response.status_code == 404
    assert AuditEntry.objects.count() == 1  # only the store


def test_it_refuses_a_role_that_may_not_see_personal_data(client, cast, village_scan):
    client.force_login(cast["department_clerk"])
    assert client.get(download_url(village_scan)).status_code == 403
    assert AuditEntry.objects.count() == 1


def test_it_sends_anonymous_users_to_login(client, village_scan):
    url = download_url(village_scan)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={quote(url)}"


def test_it_answers_404_for_an_unknown_id(client, cast):
    client.force_login(cast["district_admin"])
    url = reverse("attachments:download", kwargs={"public_id": "00000000-0000-0000-0000-000000000000"})
    assert client.get(url).status_code == 404


def test_it_answers_404_when_the_file_is_gone(client, cast, village_scan, media_root):
    (media_root / village_scan.stored_path).unlink()
    client.force_login(cast["village_cadre"])
    assert client.get(download_url(village_scan)).status_code == 404
    assert AuditEntry.objects.count() == 1


# —— Upload ————————————————————————————————————————————————————————————————————————————————————————


def upload(client, name: str, data: bytes, area: str = "420704100201", **extra):
    return client.post(
        reverse("attachments:upload"), {"file": SimpleUploadedFile(name, data), "area": area, **extra}
    )


def test_it_uploads_for_a_village_cadre_in_scope(client, cast, village, media_root):
    client.force_login(cast["village_cadre"])
    response = upload(client, "门前.png", PNG, note="走访照片")
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.area, attachment.uploaded_by, attachment.note) == (
        Kind.PHOTO,
        village,
        cast["village_cadre"],
        "走访照片",
    )
    body = response.content.decode()
    assert f'<input type="hidden" name="attachments" value="{attachment.public_id}">' in body
    assert f'href="{download_url(attachment)}"' in body
    assert "门前.png" in body
    assert stored_files(media_root) == [media_root / attachment.stored_path]
    assert AuditEntry.objects.get().action == "store_attachment"


def test_it_takes_the_kind_from_the_form_or_the_file(client, cast, village):
    client.force_login(cast["township_officer"])
    upload(client, "申请.pdf", PDF)
    upload(client, "证明.png", PNG, kind="scan")
    assert list(Attachment.objects.order_by("id").values_list("kind", flat=True)) == ["document", "scan"]


def test_it_refuses_upload_for_the_inspector(client, cast, village, media_root):
    client.force_login(cast["inspector"])
    assert upload(client, "门前.png", PNG).status_code == 403
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []


def test_it_answers_404_for_an_area_outside_scope(client, cast, other_village, media_root):
    client.force_login(cast["village_cadre"])
    assert upload(client, "门前.png", PNG, area="420704101201").status_code == 404
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []
    assert AuditEntry.objects.count() == 0


def test_it_shows_the_error_for_a_refused_file(client, cast, village, media_root):
    client.force_login(cast["village_cadre"])
    response = upload(client, "扫描件.pdf", EXE)
    assert response.status_code == 422
    assert (
        "只能上传 JPG、PNG 或 PDF 文件，“扫描件.pdf”不是其中之一，请转换格式后重新上传"
        in response.content.decode()
    )
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []
    assert AuditEntry.objects.count() == 0


def test_it_asks_for_a_file(client, cast, village):
    client.force_login(cast["village_cadre"])
    response = client.post(reverse("attachments:upload"), {"area": "420704100201"})
    assert response.status_code == 422
    assert "请选择要上传的文件" in response.content.decode()


def test_it_refuses_upload_by_get_and_anonymous(client, cast):
    response = client.post(reverse("attachments:upload"))
    assert response.status_code == 302
    client.force_login(cast["village_cadre"])
    assert client.get(reverse("attachments:upload")).status_code == 405
