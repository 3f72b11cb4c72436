"""督办 boards of monitoring cases: open and overdue steps per township (district users) or per village
(township users, village cadres), and the cadres' workload.

Plain counts only (design.md 基层减负): no rankings, scores or per-cadre activity measures.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.cases import queries
from zhenxing.policy.resolve import policy_for


@login_required
def board(request):
    require(request.user, Capability.VIEW_CASES)
    today = timezone.localdate()
    policy = policy_for(today.year)
    board = queries.board_counts(request.user, today)
    context = {
        "board": board,
        "lines": [*board.rows, board.totals],
        "total_days": policy["identification_total_days"],
        "visit_days": policy["visit_interval_days"],
    }
    return render(request, "cases/board.html", context)


@login_required
def workload(request):
    require(request.user, Capability.VIEW_CASES)
    today = timezone.localdate()
    rows, unassigned = queries.workload(request.user, today)
    context = {
        "rows": rows,
        "unassigned": unassigned,
        "today": today,
        "visit_days": policy_for(today.year)["visit_interval_days"],
    }
    return render(request, "cases/workload.html", context)
