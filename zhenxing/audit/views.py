"""Browsing, checking and exporting the audit log (district admins and inspectors).

Reading the log is not a write, so none of these pages adds an audit row.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from zhenxing.areas.models import Area, Level
from zhenxing.audit import actions
from zhenxing.audit.display import SUMMARY_LIMIT, change_rows, summarize_changes
from zhenxing.audit.filters import AuditFilterForm, filter_entries, visible_entries
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.actions import enqueue_job

PAGE_SIZE = 50


def get_entry_for_user(user, entry_id: int) -> AuditEntry:
    return get_object_or_404(visible_entries(user).select_related("actor"), id=entry_id)


@login_required
def entry_list(request):
    entries = visible_entries(request.user)
    form = AuditFilterForm(request.GET)
    if form.is_valid():
        filters = form.to_filter()
        entries = filter_entries(entries, filters)
    else:
        filters, entries = None, entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(Area.objects.filter(code__in={e.area_code for e in page}).values_list("code", "name"))
    for entry in page:
        entry.summary = summarize_changes(entry.changes, SUMMARY_LIMIT)
        entry.area_name = names.get(entry.area_code, "")
    areas = Area.objects.filter(level__in=[Level.COUNTY, Level.TOWNSHIP], is_active=True)
    context = {"form": form, "page": page, "filters": filters, "areas": areas}
    return render(request, "audit/entry_list.html", context)


@login_required
def entry_detail(request, entry_id: int):
    entry = get_entry_for_user(request.user, entry_id)
    context = {"entry": entry, "rows": change_rows(entry.changes)}
    return render(request, "audit/entry_detail.html", context)


@login_required
@require_POST
def verify_chain(request):
    visible_entries(request.user)  # the capability check
    checked, broken = actions.verify()
    if broken is None:
        messages.success(request, f"审计链完整：共校验 {checked} 条记录")
    else:
        messages.error(
            request,
            f"审计链在第 #{broken.entry_id} 条记录处断开：{broken.reason}。"
            "请保全数据库现状，并报告区级管理员和纪检督查人员",
        )
    return redirect("audit:list")


@login_required
@require_POST
def export_entries(request):
    visible_entries(request.user)  # the capability check, before a job is queued
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "筛选条件有误，未能导出：" + "；".join(e for errs in form.errors.values() for e in errs)
        )
        return redirect("audit:list")
    job = enqueue_job(request.user, "audit.export", form.to_filter().as_params())
    messages.success(request, "已开始导出审计日志，完成后可在本页下载")
    return redirect("jobs:detail", public_id=job.public_id)
