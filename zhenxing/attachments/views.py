"""Uploading (an htmx fragment for other apps' forms) and downloading attachments, both scope-checked."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require
from zhenxing.areas.models import Area
from zhenxing.attachments import actions
from zhenxing.attachments.forms import UploadForm
from zhenxing.attachments.models import Attachment, Kind


def get_attachment_for_user(user, public_id) -> Attachment:
    """404 outside the user's scope. Attachments may show personal data, so the capability is required."""
    require(user, Capability.VIEW_FULL_PERSONAL_DATA)
    return get_in_scope(Attachment.objects.select_related("area"), user, public_id=public_id)


@login_required
def download(request, public_id):
    attachment = get_attachment_for_user(request.user, public_id)
    try:
        handle = attachment.path.open("rb")
    except FileNotFoundError:
        raise Http404("附件文件已丢失，请联系区级管理员从备份中恢复") from None
    try:
        actions.record_attachment_view(request.user, attachment)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, content_type=attachment.content_type, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _default_kind(upload) -> str:
    return Kind.DOCUMENT if (upload.name or "").lower().endswith(".pdf") else Kind.PHOTO


@login_required
@require_POST
def upload(request):
    """Store one file; answers a fragment naming it with a hidden input `attachments` = its public id.

    Errors answer 422 with the message in the same fragment, for htmx forms to show next to the field.
    """
    require(request.user, Capability.UPLOAD_ATTACHMENTS)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return render(request, "attachments/_upload_result.html", {"errors": errors}, status=422)
    area = get_in_scope(Area.objects, request.user, area_field="", code=form.cleaned_data["area"])
    data = form.cleaned_data
    try:
        attachment = actions.store_attachment(
            request.user, data["file"], area, data["kind"] or _default_kind(data["file"]), data["note"]
        )
    except ValidationError as e:
        return render(request, "attachments/_upload_result.html", {"errors": e.messages}, status=422)
    return render(request, "attachments/_upload_result.html", {"attachment": attachment})
