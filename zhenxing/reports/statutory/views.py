"""The statutory exports page: pick an as-of date and an area, then 生成 starts a job for one report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require
from zhenxing.areas.models import Area
from zhenxing.jobs.actions import enqueue_job
from zhenxing.jobs.models import Job
from zhenxing.reports.statutory.forms import ExportForm
from zhenxing.reports.statutory.table import all_reports, chinese_date, get_report
from zhenxing.reports.statutory.tasks import JOB_KIND

RECENT_JOBS = 10


def _page(request, form: ExportForm, status: int = 200):
    reports = all_reports()
    titles = {r.name: r.title for r in reports}
    jobs = list(
        Job.objects.visible_to(request.user).filter(kind=JOB_KIND).select_related("area")[:RECENT_JOBS]
    )
    for job in jobs:
        job.report_title = titles.get(job.params.get("report"), "")
    context = {
        "form": form,
        "reports": reports,
        "can_full": request.user.can(Capability.VIEW_FULL_PERSONAL_DATA),
        "jobs": jobs,
    }
    return render(request, "reports/statutory/index.html", context, status=status)


@login_required
def export_index(request):
    require(request.user, Capability.VIEW_REPORTS)
    return _page(request, ExportForm(request.user))


@login_required
@require_POST
def export_start(request, name: str):
    require(request.user, Capability.VIEW_REPORTS)
    report = get_report(name)
    if report is None:
        raise Http404("没有这个报表")
    code = request.POST.get("area") or request.user.area.code
    area = get_in_scope(Area.objects.all(), request.user, area_field="", code=code)
    form = ExportForm(request.user, request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    full = form.cleaned_data["full_ids"] and report.has_id_numbers
    if full:
        require(request.user, Capability.VIEW_FULL_PERSONAL_DATA)
    as_of = form.cleaned_data["as_of"]
    params = {"report": report.name, "area": area.code, "as_of": as_of.isoformat(), "full_ids": full}
    job = enqueue_job(request.user, JOB_KIND, params, area=area)
    messages.success(
        request, f"已开始生成{area.name}{report.title}（截至{chinese_date(as_of)}），完成后在本页下载"
    )
    return redirect("jobs:detail", public_id=job.public_id)
