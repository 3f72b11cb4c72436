"""The dashboards (统计看板) and the full-screen district view (大屏): thin views over `figures`.

`?section=` picks one section (监测, 农户, 预警, 督办, 就业, 资金), so a page computes only what it shows;
`?as_of=YYYY-MM-DD` (default today, never later) and `?area=CODE` (an area inside the user's scope, 404
outside) choose the day and the area; rows are the area's next level down.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require
from zhenxing.areas.models import Area, Level
from zhenxing.reports.dashboards import charts, figures

SECTIONS = {
    "monitoring": ("监测", figures.monitoring),
    "households": ("农户", figures.households),
    "warnings": ("预警", figures.warnings),
    "work": ("督办", figures.work),
    "employment": ("就业", figures.employment),
    "funds": ("资金", figures.funds),
}
# The wall display polls its panel this often (htmx, with X-ZX-Poll so it does not count as activity).
SCREEN_REFRESH_SECONDS = 300


def _as_of(request, today: datetime.date) -> datetime.date:
    text = request.GET.get("as_of", "").strip()
    if not text:
        return today
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        messages.error(request, f"日期“{text}”格式不对，请按 YYYY-MM-DD 填写，如 2024-06-30；已按今天统计")
        return today
    if day > today:
        messages.error(request, "统计日期不能晚于今天，已按今天统计")
        return today
    return day


def _frame(request) -> figures.Frame:
    """VIEW_REPORTS (403), the area (404 outside the user's scope or below a village), the day."""
    user = request.user
    require(user, Capability.VIEW_REPORTS)
    area = user.area
    code = request.GET.get("area", "").strip()
    if code and code != area.code:
        area = get_in_scope(Area.objects.select_related("parent"), user, area_field="", code=code)
        if area.level == Level.GROUP:
            raise Http404("统计看板按区、乡镇（街道）、村（社区）查看")
    today = timezone.localdate()
    return figures.Frame(user=user, area=area, as_of=_as_of(request, today), today=today)


def _trail(frame: figures.Frame) -> list[Area]:
    """The areas from the user's own down to the frame's (for going back up)."""
    chain = [*frame.area.ancestors(), frame.area]
    return [a for a in chain if a.code.startswith(frame.user.area.code)]


@login_required
def dashboard(request):
    frame = _frame(request)
    section = request.GET.get("section", "monitoring")
    if section not in SECTIONS:
        raise Http404("没有这个看板")
    data = SECTIONS[section][1](frame)
    context = {
        "frame": frame,
        "section": section,
        "sections": [(key, label) for key, (label, _) in SECTIONS.items()],
        "data": data,
        "charts": charts.for_section(section, data),
        "trail": _trail(frame),
    }
    return render(request, "reports/dashboards/dashboard.html", context)


@login_required
def screen(request):
    """The full-screen view for the bureau's wall (dark, big numbers, a few charts); its panel reloads
    itself every SCREEN_REFRESH_SECONDS through htmx."""
    frame = _frame(request)
    monitoring = figures.monitoring(frame)
    data = {
        "monitoring": monitoring,
        "households": figures.households(frame),
        "warnings": figures.warnings(frame),
        "work": figures.work(frame),
        "funds": figures.funds(frame),
    }
    context = {
        "frame": frame,
        "data": data,
        "charts": charts.for_screen(data),
        "refresh": SCREEN_REFRESH_SECONDS,
        "now": timezone.localtime(),
    }
    template = "_screen_panel.html" if request.headers.get("HX-Request") else "screen.html"
    return render(request, f"reports/dashboards/{template}", context)
