from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.audit.models import AuditEntry
from zhenxing.policy.actions import save_policy
from zhenxing.policy.forms import PolicyForm
from zhenxing.policy.models import YEAR_MAX, YEAR_MIN, PolicyVersion
from zhenxing.policy.parameters import PARAMETERS, display_stored, grouped
from zhenxing.policy.resolve import policy_for, typed_values


def _year_or_404(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Http404(f"年度须在{YEAR_MIN}年至{YEAR_MAX}年之间")
    return year


def _change_rows(versions: Iterable[PolicyVersion]) -> dict[int, list[tuple[str, str, str]]]:
    """{version pk: [(parameter title, old, new)]}, read from the audit rows written by save_policy."""
    by_id = {str(v.pk): v.pk for v in versions}
    entries = AuditEntry.objects.filter(
        action="save_policy", object_type="policy.policyversion", object_id__in=list(by_id)
    ).values_list("object_id", "changes")
    order = {p.key: (i, p.title) for i, p in enumerate(PARAMETERS)}
    rows: dict[int, list[tuple[str, str, str]]] = {}
    for object_id, changes in entries:
        keys = sorted(changes, key=lambda k: order.get(k, (len(order), k)))
        rows[by_id[object_id]] = [
            (
                order[k][1] if k in order else k,
                display_stored(k, changes[k][0]),
                display_stored(k, changes[k][1]),
            )
            for k in keys
        ]
    return rows


@login_required
def year_list(request):
    require(request.user, Capability.VIEW_POLICY)
    if "year" in request.GET:
        text = request.GET["year"].strip()
        if text.isdigit() and YEAR_MIN <= int(text) <= YEAR_MAX:
            return redirect("policy:year_detail", year=int(text))
        messages.error(request, f"请输入{YEAR_MIN}至{YEAR_MAX}之间的年度，如 2025")
    years: dict[int, dict] = {}
    for v in PolicyVersion.objects.select_related("created_by").order_by("-year", "-version"):
        years.setdefault(v.year, {"current": v, "count": 0})["count"] += 1
    this_year = policy_for(timezone.localdate().year)
    return render(request, "policy/year_list.html", {"years": years.values(), "this_year": this_year})


@login_required
def year_detail(request, year: int):
    require(request.user, Capability.VIEW_POLICY)
    policy = policy_for(_year_or_404(year))
    versions = list(PolicyVersion.objects.filter(year=year).select_related("created_by").order_by("-version"))
    changes = _change_rows(versions)
    history = [(v, changes.get(v.pk)) for v in versions]
    context = {
        "policy": policy,
        "groups": grouped(policy.values),
        "history": history,
        "can_edit": request.user.can(Capability.EDIT_POLICY),
    }
    return render(request, "policy/year_detail.html", context)


@login_required
def year_edit(request, year: int):
    require(request.user, Capability.EDIT_POLICY)
    policy = policy_for(_year_or_404(year))
    form = PolicyForm(request.POST or None, current=policy.values, initial={"based_on": policy.version.pk})
    if request.method == "POST" and form.is_valid():
        try:
            version = save_policy(
                request.user,
                year,
                form.parameter_values(),
                form.cleaned_data["reason"],
                expected_version=form.cleaned_data["based_on"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"已保存{version.label}，之后的决定将使用新参数")
            return redirect("policy:year_detail", year=year)
    return render(request, "policy/year_edit.html", {"form": form, "policy": policy})


@login_required
def version_detail(request, year: int, version: int):
    require(request.user, Capability.VIEW_POLICY)
    row = get_object_or_404(PolicyVersion.objects.select_related("created_by"), year=year, version=version)
    latest = (
        PolicyVersion.objects.filter(year=year).order_by("-version").values_list("version", flat=True).first()
    )
    context = {
        "row": row,
        "groups": grouped(typed_values(row)),
        "changes": _change_rows([row]).get(row.pk),
        "is_current": latest == row.version,
    }
    return render(request, "policy/version_detail.html", context)
