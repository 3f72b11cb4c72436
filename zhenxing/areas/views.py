from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_area_for_user, require, scoped
from zhenxing.areas import actions
from zhenxing.areas.forms import AreaChildForm, AreaImportForm, AreaRenameForm
from zhenxing.areas.importing import HEADERS, validate_areas
from zhenxing.areas.models import Area
from zhenxing.jobs.actions import enqueue_job
from zhenxing.lib.downloads import xlsx_response
from zhenxing.lib.staging import read_staged, stage_upload
from zhenxing.lib.tabular import SheetSpec, write_xlsx


def _children(area: Area):
    return area.children.order_by("-is_active", "code")


@login_required
def tree(request):
    require(request.user, Capability.VIEW_AREAS)
    root = request.user.area
    return render(request, "areas/tree.html", {"root": root, "children": _children(root)})


@login_required
def children(request, code):
    """htmx fragment: the children of one area, for expanding the tree."""
    area = get_area_for_user(request.user, code)
    return render(request, "areas/_children.html", {"children": _children(area)})


@login_required
def detail(request, code):
    area = get_area_for_user(request.user, code)
    context = {
        "area": area,
        "children": _children(area),
        "child_form": AreaChildForm(initial={"code": area.code}),
        "rename_form": AreaRenameForm(initial={"name": area.name}),
        "can_manage": request.user.can(Capability.MANAGE_AREAS),
    }
    return render(request, "areas/detail.html", context)


@login_required
@require_POST
def add_child(request, code):
    parent = get_area_for_user(request.user, code, write=True)
    form = AreaChildForm(request.POST)
    if form.is_valid():
        try:
            child = actions.add_area(
                request.user, parent, form.cleaned_data["code"], form.cleaned_data["name"]
            )
        except ValidationError as e:
            messages.error(request, e.messages[0])
        else:
            messages.success(request, f"已添加 {child.code} {child.name}")
    else:
        messages.error(request, "请填写区划代码和名称")
    return redirect("areas:detail", code=parent.code)


@login_required
@require_POST
def rename(request, code):
    area = get_area_for_user(request.user, code, write=True)
    form = AreaRenameForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("请填写名称")
        actions.rename_area(request.user, area, form.cleaned_data["name"])
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "已保存名称")
    return redirect("areas:detail", code=area.code)


def _change_state(request, code, action, done_message):
    area = get_area_for_user(request.user, code, write=True)
    try:
        action(request.user, area)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect("areas:detail", code=area.code)
    messages.success(request, done_message.format(name=area.name))
    if action is actions.delete_area:
        return redirect("areas:detail", code=area.parent.code)
    return redirect("areas:detail", code=area.code)


@login_required
@require_POST
def retire(request, code):
    return _change_state(request, code, actions.retire_area, "已撤销“{name}”及其下级区划")


@login_required
@require_POST
def restore(request, code):
    return _change_state(request, code, actions.restore_area, "已恢复“{name}”")


@login_required
@require_POST
def delete(request, code):
    return _change_state(request, code, actions.delete_area, "已删除“{name}”")


@login_required
def import_upload(request):
    """Upload → validate the whole file → preview; the commit runs as a job."""
    require(request.user, Capability.MANAGE_AREAS)
    form = AreaImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            stored_path = stage_upload(upload.name, data)
        except ValidationError as e:
            form.add_error("file", e)
        else:
            plan = validate_areas(data, upload.name, request.user.area)
            return render(
                request,
                "areas/import_preview.html",
                {
                    "plan": plan,
                    "stored_path": stored_path,
                    "filename": upload.name,
                    "counts": {a: plan.count(a) for a in ("add", "rename", "unchanged")},
                },
            )
    return render(request, "areas/import.html", {"form": form})


@login_required
@require_POST
def import_commit(request):
    require(request.user, Capability.MANAGE_AREAS)
    stored_path, filename = request.POST.get("stored_path", ""), request.POST.get("filename", "")
    try:
        read_staged(stored_path)
    except (ValidationError, OSError):
        messages.error(request, "导入文件已失效，请重新上传")
        return redirect("areas:import")
    job = enqueue_job(
        request.user,
        "areas.import",
        {"stored_path": stored_path, "filename": filename, "scope": request.user.area.code},
    )
    return redirect("jobs:detail", public_id=job.public_id)


@login_required
def import_template(request):
    require(request.user, Capability.VIEW_AREAS)
    example = [["420704100201", "示例村", "420704100"], ["420704100201001", "第一村民小组", "420704100201"]]
    data = write_xlsx([SheetSpec(name="行政区划", headers=HEADERS, rows=example, column_widths={"名称": 20})])
    return xlsx_response(data, "行政区划导入模板.xlsx")


@login_required
def export(request):
    """The areas in the user's scope, in the import template's columns (re-imports cleanly)."""
    require(request.user, Capability.VIEW_AREAS)
    areas = scoped(Area.objects.select_related("parent"), request.user, area_field="").exclude(level="county")
    rows = [[a.code, a.name, a.parent.code if a.parent else ""] for a in areas.order_by("code")]
    data = write_xlsx([SheetSpec(name="行政区划", headers=HEADERS, rows=rows)])
    return xlsx_response(data, f"行政区划_{request.user.area.name}.xlsx")
