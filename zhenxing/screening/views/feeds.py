"""Department feed pages: upload → check and preview → commit (a job); uploads, rows, unmatched rows,
templates, and the feedback a department sees on what became of its rows.

Who may do what: `screening.permissions` (clerks their own department's kind, district officers and
admins every kind; inspectors read). The preview carries the staged file in a signed token bound to the
user, so the commit cannot be pointed at another file or made by someone else.
"""

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from zhenxing.jobs.actions import enqueue_job
from zhenxing.jobs.models import Job
from zhenxing.lib.downloads import xlsx_response
from zhenxing.lib.staging import read_staged, stage_upload
from zhenxing.lib.tabular import SheetSpec, write_xlsx
from zhenxing.registry.importing.common import error_report
from zhenxing.screening import feeds, permissions
from zhenxing.screening.models import FeedKind, FeedRow, Warning
from zhenxing.screening.tasks import COMMIT_FEED

PREVIEW_ERRORS = 200  # the page lists this many; the downloadable report has all of them
PREVIEW_ROWS = 20
PAGE_SIZE = 50
RECENT_COMMITS = 5
TOKEN_SALT = "screening.feed_upload"
TOKEN_MAX_AGE = 24 * 3600  # a preview can be committed for a day; the staged file stays longer


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="数据类别")
    period = forms.CharField(
        label="数据期间",
        max_length=40,
        required=False,
        help_text="这批数据所属的期间，如 2024-11 或 2024年1-11月（选填）",
    )
    file = forms.FileField(label="选择文件（.xlsx / .xls / .csv）")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, FeedKind(k).label) for k in permissions.upload_kinds(user)]


def _kind_or_404(kind: str) -> str:
    if kind not in feeds.FEED_COLUMNS:
        raise Http404("没有这种部门数据")
    return kind


def _data_columns(kind: str) -> list[feeds.FeedColumn]:
    return [c for c in feeds.FEED_COLUMNS[kind] if c.key not in (feeds.ID_KEY, feeds.NAME_KEY)]


def _has_name(kind: str) -> bool:
    return any(c.key == feeds.NAME_KEY for c in feeds.FEED_COLUMNS[kind])


# —— Uploading ——————————————————————————————————————————————————————————————————————————————————


@login_required
def feed_list(request):
    uploads = permissions.visible_uploads(request.user).select_related("uploaded_by")
    kind = request.GET.get("kind", "")
    if kind in feeds.FEED_COLUMNS:
        uploads = uploads.filter(kind=kind)
    page = Paginator(uploads, PAGE_SIZE).get_page(request.GET.get("page"))
    commits = Job.objects.filter(created_by=request.user, kind=COMMIT_FEED).defer("log")[:RECENT_COMMITS]
    context = {
        "page": page,
        "kind": kind,
        "kinds": [(k, FeedKind(k).label) for k in feeds.KINDS],
        "upload_kinds": permissions.upload_kinds(request.user),
        "commits": commits,
    }
    return render(request, "screening/feed_list.html", context)


@login_required
def feed_upload(request):
    permissions.require_upload(request.user)
    form = UploadForm(request.user, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            stored_path = stage_upload(upload.name, data)
        except ValidationError as e:
            form.add_error("file", e)
        else:
            plan = feeds.validate_feed(kind, data, upload.name)
            staged = {
                "path": stored_path,
                "kind": kind,
                "filename": upload.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "period": form.cleaned_data["period"].strip(),
                "errors": len(plan.errors),
                "user": request.user.pk,
            }
            return _preview(request, plan, staged)
    kinds = [(k, FeedKind(k).label) for k in permissions.upload_kinds(request.user)]
    return render(request, "screening/feed_upload.html", {"form": form, "kinds": kinds})


def _preview(request, plan: feeds.FeedPlan, staged: dict):
    columns = _data_columns(plan.kind)
    sample = [(row, [row.data[c.key] for c in columns]) for row in plan.rows[:PREVIEW_ROWS]]
    context = {
        "plan": plan,
        "label": FeedKind(plan.kind).label,
        "staged": staged,
        "token": signing.dumps(staged, salt=TOKEN_SALT, compress=True),
        "summary": plan.summary(),
        "counts": feeds.match_counts(plan) if plan.rows else {"matched": 0, "unmatched": 0},
        "errors": plan.errors[:PREVIEW_ERRORS],
        "shown": PREVIEW_ERRORS,
        "columns": columns,
        "has_name": _has_name(plan.kind),
        "sample": sample,
        "can_commit_all": plan.is_valid and bool(plan.rows),
        "can_commit_valid": bool(plan.errors) and not plan.has_file_error and bool(plan.rows),
    }
    return render(request, "screening/feed_preview.html", context)


def _staged_for(request, token: str) -> dict | None:
    try:
        staged = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if staged.get("user") != request.user.pk:
        return None
    return staged


@login_required
@require_POST
def feed_commit(request):
    permissions.require_upload(request.user)
    staged = _staged_for(request, request.POST.get("token", ""))
    if staged is None:
        messages.error(request, "这次上传已过期或无效，请重新上传文件")
        return redirect("screening:feed_upload")
    permissions.require_upload(request.user, staged["kind"])
    only_valid = request.POST.get("mode") == "valid"
    if staged["errors"] and not only_valid:
        messages.error(request, "文件中还有错误：请改正后重新上传，或选择“只写入没有错误的行”")
        return redirect("screening:feed_upload")
    try:
        read_staged(staged["path"])
    except (ValidationError, OSError):
        messages.error(request, "上传的文件已失效，请重新上传")
        return redirect("screening:feed_upload")
    params = {
        "kind": staged["kind"],
        "stored_path": staged["path"],
        "filename": staged["filename"],
        "sha256": staged["sha256"],
        "period": staged["period"],
        "only_valid": only_valid,
    }
    job = enqueue_job(request.user, COMMIT_FEED, params)
    messages.success(request, "已开始写入，完成后可在“部门数据”列表中查看这次上传")
    return redirect("jobs:detail", public_id=job.public_id)


@login_required
def feed_errors(request):
    """Every error of a previewed file, as the `.xlsx` error report (the page shows the first 200)."""
    permissions.require_upload(request.user)
    staged = _staged_for(request, request.GET.get("token", ""))
    if staged is None:
        raise Http404("这次上传已过期或无效，请重新上传文件")
    try:
        data = read_staged(staged["path"])
    except (ValidationError, OSError):
        raise Http404("上传的文件已失效，请重新上传") from None
    plan = feeds.validate_feed(staged["kind"], data, staged["filename"])
    return xlsx_response(error_report(plan.errors), f"{feeds.LABELS[staged['kind']]}数据错误报告.xlsx")


@login_required
def feed_template(request, kind):
    permissions.require_read(request.user)
    kind = _kind_or_404(kind)
    return xlsx_response(feeds.template_workbook(kind), f"{feeds.LABELS[kind]}数据模板.xlsx")


# —— One upload ——————————————————————————————————————————————————————————————————————————————————


def _row_cells(row: FeedRow, columns) -> list:
    return [row.data.get(c.key) or "" for c in columns]


@login_required
def feed_detail(request, public_id):
    upload = permissions.get_upload_for_user(request.user, public_id)
    columns = _data_columns(upload.kind)
    rows = upload.rows.select_related("area").order_by("row_number")
    if request.GET.get("show") == "unmatched":
        rows = rows.filter(household__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "upload": upload,
        "columns": columns,
        "has_name": _has_name(upload.kind),
        "page": page,
        "rows": [(row, _row_cells(row, columns)) for row in page],
        "show": request.GET.get("show", ""),
    }
    return render(request, "screening/feed_detail.html", context)


UNMATCHED_UNKNOWN = "台账中没有这个公民身份号码"
UNMATCHED_LEFT = "此人已不是在册农户的成员（已迁出、死亡或注销）"


@login_required
def feed_unmatched(request, public_id):
    """The unmatched rows of an upload (masked ID numbers), to check with the department."""
    upload = permissions.get_upload_for_user(request.user, public_id)
    columns = _data_columns(upload.kind)
    rows = upload.rows.filter(household__isnull=True).order_by("row_number")
    headers = ["行号", "公民身份号码（脱敏）", "姓名", "未匹配原因", *(c.header for c in columns)]
    lines = (
        [
            row.row_number,
            row.id_masked,
            row.name,
            UNMATCHED_UNKNOWN if row.person_id is None else UNMATCHED_LEFT,
            *_row_cells(row, columns),
        ]
        for row in rows.iterator(chunk_size=2000)
    )
    sheet = SheetSpec(
        name="未匹配",
        headers=headers,
        rows=lines,
        column_widths={"公民身份号码（脱敏）": 22, "未匹配原因": 36},
    )
    label = feeds.LABELS[upload.kind]
    return xlsx_response(write_xlsx([sheet]), f"{label}数据未匹配行_{upload.uploaded_at:%Y%m%d%H%M}.xlsx")


def _rule_labels() -> dict[str, str]:
    from zhenxing.screening.engine import rules

    return {key: rule.label for key, rule in rules.BY_KEY.items()}


@login_required
def feed_feedback(request, public_id):
    """Each matched row of an upload and what became of it: its warnings with status and result."""
    upload = permissions.get_upload_for_user(request.user, public_id)
    warnings = Warning.objects.only("number", "rule", "risk_type", "status", "result", "result_reason")
    rows = (
        upload.rows.filter(household__isnull=False)
        .select_related("area")
        .prefetch_related(Prefetch("warnings", queryset=warnings.order_by("number")))
        .order_by("row_number")
    )
    if request.GET.get("show") == "warned":
        rows = rows.filter(warnings__isnull=False).distinct()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    by_status = (
        Warning.objects.filter(feed_rows__upload=upload)
        .values("status")
        .annotate(n=Count("id", distinct=True))
    )
    status_labels = dict(Warning._meta.get_field("status").choices)
    labels = _rule_labels()
    context = {
        "upload": upload,
        "has_name": _has_name(upload.kind),
        "page": page,
        "rows": [(row, [(w, labels.get(w.rule, w.rule)) for w in row.warnings.all()]) for row in page],
        "by_status": [(status_labels.get(s["status"], s["status"]), s["n"]) for s in by_status],
        "show": request.GET.get("show", ""),
    }
    return render(request, "screening/feed_feedback.html", context)


urlpatterns = [
    path("feeds/", feed_list, name="feed_list"),
    path("feeds/upload/", feed_upload, name="feed_upload"),
    path("feeds/commit/", feed_commit, name="feed_commit"),
    path("feeds/errors.xlsx", feed_errors, name="feed_errors"),
    path("feeds/template/<str:kind>.xlsx", feed_template, name="feed_template"),
    path("feeds/<uuid:public_id>/", feed_detail, name="feed_detail"),
    path("feeds/<uuid:public_id>/unmatched.xlsx", feed_unmatched, name="feed_unmatched"),
    path("feeds/<uuid:public_id>/feedback/", feed_feedback, name="feed_feedback"),
]
