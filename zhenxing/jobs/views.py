from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.jobs import actions
from zhenxing.jobs.models import Job, Status

# `Area.full_name` walks up to the county: county ← township ← village ← group.
AREA_PATH = "area__parent__parent__parent"
# How many unfinished jobs the home page and its polled fragment show.
RUNNING_LIMIT = 10


def get_job_for_user(user, public_id: UUID, write: bool = False) -> Job:
    """A job the user may see (404 otherwise); `write` also requires the right to retry it (403)."""
    job = (
        Job.objects.visible_to(user)
        .select_related("created_by", AREA_PATH)
        .filter(public_id=public_id)
        .first()
    )
    if job is None:
        raise Http404("任务不存在或您无权查看")
    if write and not actions.may_retry(user, job):
        raise PermissionDenied("只有任务发起人或区级管理员可以重试此任务")
    return job


@login_required
def job_list(request):
    jobs = Job.objects.visible_to(request.user).select_related("created_by", AREA_PATH).defer("log", "params")
    status = request.GET.get("status", "")
    if status in Status.values:
        jobs = jobs.filter(status=status)
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": Status.choices,
        "sees_all": request.user.can(Capability.VIEW_ALL_JOBS),
    }
    return render(request, "jobs/list.html", context)


@login_required
def running(request):
    jobs = Job.objects.visible_to(request.user).unfinished().defer("log", "params")[:RUNNING_LIMIT]
    return render(request, "jobs/_running.html", {"jobs": jobs})


@login_required
def job_detail(request, public_id):
    job = get_job_for_user(request.user, public_id)
    return render(
        request, "jobs/detail.html", {"job": job, "may_retry": actions.may_retry(request.user, job)}
    )


@login_required
def progress(request, public_id):
    """The polled progress fragment. With `?reload=1` (the detail page) a job that has just finished
    reloads the page, so its log, result and buttons appear."""
    job = get_job_for_user(request.user, public_id)
    reload = request.GET.get("reload") == "1"
    response = render(request, "jobs/_progress.html", {"job": job, "reload": reload})
    if reload and job.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def retry(request, public_id):
    job = get_job_for_user(request.user, public_id, write=True)
    try:
        actions.retry_job(request.user, job)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"已重新排队：{job.label}，稍后将自动执行")
    return redirect("jobs:detail", public_id=job.public_id)


@login_required
def download(request, public_id):
    job = get_job_for_user(request.user, public_id)
    path = actions.result_path(job)
    if path is None:
        raise Http404("该任务没有可下载的结果文件")
    if job.result_has_personal_data:
        require(request.user, Capability.VIEW_FULL_PERSONAL_DATA)
        actions.record_result_download(request.user, job)
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name)
