"""明白纸 screens: the index (templates and the batch form), one household's leaflets (PDF or HTML
preview), the batch job, and the template editor with its preview (district admin)."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require
from zhenxing.areas.models import Area
from zhenxing.jobs.actions import enqueue_job
from zhenxing.jobs.models import Job
from zhenxing.middleware import SecurityHeadersMiddleware
from zhenxing.registry.queries import get_household_for_user
from zhenxing.reports.actions import save_leaflet_template
from zhenxing.reports.leaflets import content, tasks
from zhenxing.reports.leaflets import render as leaflet_render
from zhenxing.reports.leaflets.forms import BatchForm, TemplateForm
from zhenxing.reports.leaflets.placeholders import check, for_kind
from zhenxing.reports.leaflets.tasks import BATCH_LEVELS, JOB_KIND, nothing_to_print, place_name
from zhenxing.reports.models import LeafletKind, LeafletTemplate

RECENT_JOBS = 10


def _kind_or_404(kind: str) -> str:
    if kind not in LeafletKind.values:
        raise Http404("没有这种明白纸")
    return kind


def _html_response(html: str, nonce: str) -> HttpResponse:
    """The browser preview: the page's own <style> is allowed by its nonce, nothing else changes."""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = SecurityHeadersMiddleware.CSP.replace(
        "style-src 'self'", f"style-src 'self' 'nonce-{nonce}'"
    )
    return response


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def _index_context(request, form: BatchForm) -> dict:
    jobs = Job.objects.visible_to(request.user).filter(kind=JOB_KIND).select_related("area__parent")
    return {
        "form": form,
        "templates": [content.current_template(kind) for kind in LeafletKind.values],
        "can_edit": request.user.can(Capability.EDIT_LEAFLET_TEMPLATES),
        "portal_url": content.portal_url(),
        "jobs": jobs.defer("log", "params")[:RECENT_JOBS],
    }


@login_required
def index(request):
    require(request.user, Capability.VIEW_REPORTS)
    return render(request, "reports/leaflets/index.html", _index_context(request, BatchForm(request.user)))


def _batch_refusal(user, kind: str, area: Area) -> str:
    """Why the batch cannot run ("" when it can): not a township or village, nothing or too much to print."""
    if area.level not in BATCH_LEVELS:
        return "请选择一个乡镇（街道）或村（社区）"
    count = content.batch_households(user, kind, area).count()
    if not count:
        return nothing_to_print(kind, area) + "，请选择其他范围"
    return tasks.too_many(area, count) if count > tasks.BATCH_MAX_HOUSEHOLDS else ""


@login_required
@require_POST
def batch(request):
    """Queue the batch for a township or village of the user's scope (404 outside it)."""
    require(request.user, Capability.VIEW_REPORTS)
    form = BatchForm(request.user, request.POST)
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        area = get_in_scope(
            Area.objects.select_related("parent"), request.user, "", code=form.cleaned_data["area"]
        )
        error = _batch_refusal(request.user, kind, area)
        if error:
            form.add_error("area", error)
        else:
            params = {"kind": kind, "area": area.code, "printed_on": timezone.localdate().isoformat()}
            job = enqueue_job(request.user, JOB_KIND, params, area=area)
            messages.info(
                request, f"已开始生成{place_name(area)}的{LeafletKind(kind).label}，完成后在本页下载PDF"
            )
            return redirect("jobs:detail", public_id=job.public_id)
    return render(request, "reports/leaflets/index.html", _index_context(request, form))


@login_required
def household(request, public_id):
    """The household's leaflets: which it gets, each as a PDF or an HTML preview."""
    require(request.user, Capability.VIEW_REPORTS)
    household = get_household_for_user(request.user, public_id)
    monitored = bool(content.monitored_cases([household.pk]))
    context = {"household": household, "monitored": monitored, "not_monitored": content.NOT_MONITORED}
    return render(request, "reports/leaflets/household.html", context)


@login_required
def household_pdf(request, public_id, kind):
    """One household's leaflet as an A4 PDF, or `?format=html` to preview it in the browser."""
    require(request.user, Capability.VIEW_REPORTS)
    household = get_household_for_user(request.user, public_id)
    kind = _kind_or_404(kind)
    edition = content.Edition.of(kind, timezone.localdate())
    try:
        pages = content.pages_for(edition, [household])
    except content.LeafletRefused as refusal:
        context = {"household": household, "message": refusal.messages[0], "kind": kind}
        return render(request, "reports/leaflets/refused.html", context, status=404)
    if request.GET.get("format") == "html":
        nonce = secrets.token_urlsafe(16)
        return _html_response(leaflet_render.render_html(edition, pages, nonce=nonce), nonce)
    name = f"{LeafletKind(kind).label}_{household.number}.pdf"
    return _pdf_response(leaflet_render.to_pdf(edition, pages), name)


@login_required
def template_edit(request, kind):
    """Edit a leaflet's wording: 预览 shows it filled for a made-up household (as text, or as the PDF in
    a new window); 保存 stores a new version (audited). Nothing is saved by a preview."""
    require(request.user, Capability.EDIT_LEAFLET_TEMPLATES)
    kind = _kind_or_404(kind)
    current = content.current_template(kind)
    initial = {"title": current.title, "body": current.body, "based_on": current.pk}
    form = TemplateForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "save":
            try:
                saved = save_leaflet_template(
                    request.user,
                    kind,
                    title=data["title"],
                    body=data["body"],
                    reason=data["reason"],
                    expected_version=data["based_on"],
                )
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(request, f"已保存{saved.label}，之后打印的明白纸使用新模板")
                return redirect("reports:leaflet_index")
        elif errors := check(kind, data["title"], data["body"]):
            form.add_error(None, ValidationError(errors))
        else:
            edition = content.Edition.of(kind, timezone.localdate())
            preview = content.sample_page(edition, data["title"], data["body"])
            if request.POST.get("action") == "pdf":
                pdf = leaflet_render.to_pdf(edition, [preview])
                return _pdf_response(pdf, f"{LeafletKind(kind).label}_预览.pdf")
    context = {
        "form": form,
        "kind": kind,
        "kind_label": LeafletKind(kind).label,
        "current": current,
        "preview": preview,
        "placeholders": for_kind(kind),
        "versions": LeafletTemplate.objects.filter(kind=kind)
        .select_related("created_by")
        .order_by("-version"),
    }
    return render(request, "reports/leaflets/template_edit.html", context)
