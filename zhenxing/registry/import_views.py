"""The import pages: upload → check (a job) → preview with every error → commit (a job).

All of them need IMPORT_REGISTRY; the importing user's area is the scope (rows outside it are errors).
A check job is seen by whoever may see the job (its owner, and roles that oversee jobs in scope).
"""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.jobs.actions import enqueue_job, result_path
from zhenxing.jobs.models import Job, Status
from zhenxing.lib.downloads import xlsx_response
from zhenxing.lib.staging import read_staged, stage_upload
from zhenxing.registry import importing
from zhenxing.registry.tasks import COMMIT_IMPORT, VALIDATE_IMPORT

# The preview lists this many errors; the downloadable report has all of them.
PREVIEW_ERRORS = 200
RECENT_CHECKS = 10


class UploadForm(forms.Form):
    file = forms.FileField(label="选择文件（.xlsx / .xls / .csv）")


def _form(kind: str, *args) -> UploadForm:
    # Two forms on one page: the field stays "file", the element ids differ per kind.
    return UploadForm(*args, auto_id=f"id_{kind}_%s")


def _kind_or_404(kind: str) -> str:
    if kind not in importing.KINDS:
        raise Http404("没有这种导入类型")
    return kind


def get_check_for_user(user, job_id: UUID) -> Job:
    """A check job of this import the user may see (404 otherwise)."""
    job = (
        Job.objects.visible_to(user)
        .select_related("area", "created_by")
        .filter(public_id=job_id, kind=VALIDATE_IMPORT)
        .first()
    )
    if job is None:
        raise Http404("检查任务不存在或您无权查看")
    return job


def _index(request, forms_by_kind: dict, status: int = 200):
    checks = (
        Job.objects.filter(created_by=request.user, kind=VALIDATE_IMPORT)
        .defer("log")
        .order_by("-created_at")[:RECENT_CHECKS]
    )
    context = {
        "forms": [(kind, importing.KINDS[kind], form) for kind, form in forms_by_kind.items()],
        "checks": checks,
        "scope": request.user.area,
    }
    return render(request, "registry/import.html", context, status=status)


@login_required
def index(request):
    require(request.user, Capability.IMPORT_REGISTRY)
    return _index(request, {kind: _form(kind) for kind in importing.KINDS})


@login_required
def template(request, kind):
    require(request.user, Capability.IMPORT_REGISTRY)
    kind = _kind_or_404(kind)
    return xlsx_response(importing.template_workbook(kind), f"{importing.KINDS[kind]}导入模板.xlsx")


@login_required
@require_POST
def upload(request, kind):
    require(request.user, Capability.IMPORT_REGISTRY)
    kind = _kind_or_404(kind)
    form = _form(kind, request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored_path = stage_upload(upload.name, upload.read())
        except ValidationError as e:
            form.add_error("file", e)
        else:
            params = {
                "kind": kind,
                "stored_path": stored_path,
                "filename": upload.name,
                "scope": request.user.area.code,
            }
            job = enqueue_job(request.user, VALIDATE_IMPORT, params)
            return redirect("imports:preview", job_id=job.public_id)
    forms_by_kind = {k: (form if k == kind else _form(k)) for k in importing.KINDS}
    return _index(request, forms_by_kind)


@login_required
def preview(request, job_id):
    require(request.user, Capability.IMPORT_REGISTRY)
    job = get_check_for_user(request.user, job_id)
    summary = job.result if job.status == Status.SUCCEEDED else {}
    errors = []
    if summary.get("errors") and (path := result_path(job)) is not None:
        try:
            errors = importing.read_error_report(path.read_bytes(), limit=PREVIEW_ERRORS)
        except Exception:  # a damaged report still leaves the download link and the counts
            errors = []
    kind = job.params.get("kind", "households")
    context = {
        "job": job,
        "kind": kind,
        "label": importing.KINDS.get(kind, ""),
        "summary": summary,
        "errors": errors,
        "shown": PREVIEW_ERRORS,
        "can_commit_all": bool(summary) and not summary.get("errors") and summary.get("clean_changes", 0) > 0,
        "can_commit_valid": bool(summary.get("errors"))
        and not summary.get("file_error")
        and summary.get("clean_changes", 0) > 0,
    }
    return render(request, "registry/import_preview.html", context)


@login_required
def errors(request, job_id):
    require(request.user, Capability.IMPORT_REGISTRY)
    job = get_check_for_user(request.user, job_id)
    path = result_path(job)
    if path is None:
        raise Http404("这次检查没有发现错误，没有错误报告")
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name or "导入错误报告.xlsx")


@login_required
@require_POST
def commit(request, job_id):
    require(request.user, Capability.IMPORT_REGISTRY)
    job = get_check_for_user(request.user, job_id)
    only_valid = request.POST.get("mode") == "valid"
    summary = job.result or {}
    if job.status != Status.SUCCEEDED:
        messages.error(request, "文件还没有检查完，请等检查完成后再导入")
        return redirect("imports:preview", job_id=job.public_id)
    if summary.get("errors") and not only_valid:
        messages.error(request, "文件中还有错误：请改正后重新上传，或选择“只导入无错误的户”")
        return redirect("imports:preview", job_id=job.public_id)
    try:
        read_staged(job.params["stored_path"])
    except (ValidationError, OSError, KeyError):
        messages.error(request, "上传的文件已失效，请重新上传")
        return redirect("imports:index")
    params = {
        **{k: job.params[k] for k in ("kind", "stored_path", "filename", "scope")},
        "only_valid": only_valid,
    }
    params["check"] = str(job.public_id)
    commit_job = enqueue_job(request.user, COMMIT_IMPORT, params, area=job.area)
    return redirect("jobs:detail", public_id=commit_job.public_id)
