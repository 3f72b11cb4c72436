"""Read-side queries of monitoring cases: who must act next, what is overdue, and the boards' counts.

Everything here reads through the user's scope (`scoped`) and counts in the database: the boards run a
handful of aggregate queries whatever the number of cases (no per-case Python loop over the district).

Deadlines (policy §1.7, rule 13):
- a step is overdue when today is after its `stage_due` (working days, `cases.deadlines`);
- an identification is overdue as a whole when it has not reached county approval by `total_due`
  (the lead's discovery + `identification_total_days` calendar days);
- a visit is overdue when a monitored household (监测帮扶中 or 风险消除程序中) has not been visited for
  more than `visit_interval_days` days since its latest visit, or since it became monitored.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Capability, Role
from zhenxing.accounts.scope import scoped, under
from zhenxing.areas.models import CODE_LENGTH, Area, Level
from zhenxing.cases.deadlines import days_overdue
from zhenxing.cases.models import (
    CARRIED_OUT,
    IDENTIFICATION_STEPS,
    Case,
    CaseEvent,
    CaseStatus,
    Measure,
    MeasureStatus,
    Procedure,
    Step,
    StepRecord,
)
from zhenxing.policy.resolve import policy_for

# Households under monitoring: visits are due for them (an eliminating case is still monitored).
MONITORING = (CaseStatus.MONITORED, CaseStatus.ELIMINATING)
# Village work: village cadres and township officers (in the village); the notice is the village's only.
VILLAGE_WORK = (Step.CONSENT, Step.HOME_CHECK, Step.COMPARISON, Step.REVIEW)
# Approvals: nobody approves a procedure round they took a step in (policy rule 40, `actions._actors`).
APPROVALS = (Step.TOWNSHIP, Step.COUNTY)


def overdue_days(case: Case, today: datetime.date) -> int:
    """Days the case's current step is past its deadline (0 when on time or not in a procedure)."""
    if not case.is_open or case.stage == Step.DONE:
        return 0
    return days_overdue(case.stage_due, today)


def actionable_stages(user) -> set[str]:
    """The steps the user's role may take, at the level the user works at (see `cases.actions`)."""
    if not (user.is_authenticated and user.is_active):
        return set()
    level = user.area.level
    stages: set[str] = set()
    if user.can(Capability.RECORD_CASES) and level in (Level.VILLAGE, Level.TOWNSHIP):
        stages.update(VILLAGE_WORK)
        if level == Level.VILLAGE:
            stages.add(Step.NOTICE)
    township = user.can(Capability.REVIEW_CASES_TOWNSHIP) and level == Level.TOWNSHIP
    county = user.can(Capability.APPROVE_CASES_COUNTY) and level == Level.COUNTY
    if township:
        stages.add(Step.TOWNSHIP)
    if county:
        stages.add(Step.COUNTY)
    if township or county:
        stages.add(Step.ANNOUNCEMENT)
    return stages


def open_steps(user) -> QuerySet[Case]:
    """Open cases in the user's scope whose current step the user can take, oldest deadline first."""
    stages = actionable_stages(user)
    if not stages:
        return Case.objects.none()
    # Earlier decisions at the approval step itself (a return) are not a submission (`actions._actors`).
    took_part = StepRecord.objects.filter(
        case=OuterRef("pk"), procedure=OuterRef("procedure"), round=OuterRef("round"), actor=user
    ).exclude(step=OuterRef("stage"))
    cases = Case.objects.filter(is_open=True, stage__in=stages).exclude(
        Q(stage__in=APPROVALS) & Exists(took_part)
    )
    return scoped(cases, user).order_by("stage_due", "number")


def visit_overdue_cases(today: datetime.date) -> QuerySet[Case]:
    """Monitored cases not visited within `visit_interval_days` of `today`.

    Annotates `visit_reference`: the later of the latest visit and the day monitoring began (the
    announcement, else the identification, else the opening); the next visit is due
    `visit_interval_days` after it.
    """
    interval = policy_for(today.year)["visit_interval_days"]
    cutoff = today - datetime.timedelta(days=interval)
    began = Coalesce("announced_on", "identified_on", "opened_on", output_field=DateField())
    # `last_visited_on` is the latest visit's date (kept when a visit is recorded), so this is one pass over
    # the monitored cases, not a look-up of each one's visits.
    reference = Greatest(Coalesce("last_visited_on", began, output_field=DateField()), began)
    return (
        Case.objects.filter(status__in=MONITORING)
        .annotate(visit_reference=reference)
        .filter(visit_reference__lt=cutoff)
    )


def visit_due(case: Case, today: datetime.date) -> datetime.date:
    """The day the next visit of a case from `visit_overdue_cases` was due."""
    return case.visit_reference + datetime.timedelta(days=policy_for(today.year)["visit_interval_days"])


# --- state on a date (the dashboards and the case list's dated filters) -----------------------------
# A household is a 监测对象 from the announcement (公告) of its identification; its risk is eliminated from the
# announcement of the elimination, until a rollback (风险消除回退) makes it monitored again. Both come from
# dated facts (`announced_on` and the case's ELIMINATED / ROLLED_BACK events), so any past day is exact.
EXITS = (CaseEvent.Kind.ELIMINATED, CaseEvent.Kind.ROLLED_BACK)


def eliminated_cases_on(day: datetime.date) -> QuerySet:
    """The ids of the cases whose latest elimination or rollback on or before `day` (by date, then by
    record) is an elimination: those with an elimination not followed by a rollback by `day` — one pass over
    the elimination events with an anti-join on the few rollbacks, used as an `IN` subquery (a correlated
    subquery per case costs seconds at district scale). The planner estimates this form from the (kind,
    effective_date) index's statistics; a window function picking each case's latest event was estimated at
    a handful of rows and joined by looking each case up."""
    rolled_back_later = CaseEvent.objects.filter(
        case=OuterRef("case"), kind=CaseEvent.Kind.ROLLED_BACK, effective_date__lte=day
    ).filter(
        Q(effective_date__gt=OuterRef("effective_date"))
        | Q(effective_date=OuterRef("effective_date"), pk__gt=OuterRef("pk"))
    )
    return (
        CaseEvent.objects.filter(kind=CaseEvent.Kind.ELIMINATED, effective_date__lte=day, case__isnull=False)
        .exclude(Exists(rolled_back_later))
        .values("case_id")
    )


def is_today(day: datetime.date) -> bool:
    """Whether the state on `day` is today's (no fact is dated later than today): then the cases' status
    and the registry's current values tell it, without rebuilding it from dated facts."""
    return day >= timezone.localdate()


def monitored_on(cases: QuerySet, day: datetime.date) -> QuerySet:
    """The cases whose household was a 监测对象 on `day`: announced on or before it, not eliminated then.

    For today (no fact is dated later than today) this is the cases' own status — monitored, or in the
    elimination procedure — read through the (area, status) index; `reports/tests/test_dashboard_figures.py` checks that both agree."""
    if is_today(day):
        return cases.filter(status__in=MONITORING, announced_on__lte=day)
    return cases.filter(announced_on__lte=day).exclude(pk__in=eliminated_cases_on(day))


def eliminated_on(cases: QuerySet, day: datetime.date) -> QuerySet:
    """The cases whose household's risk stood eliminated on `day`: the latest elimination or rollback on or
    before `day` is an elimination, and no later case of the household (a relapse) was announced by then."""
    relapsed = Case.objects.filter(
        household=OuterRef("household"), pk__gt=OuterRef("pk"), announced_on__lte=day
    )
    if is_today(day):  # today: the status, as in `monitored_on`
        return cases.filter(status=CaseStatus.ELIMINATED).exclude(Exists(relapsed))
    return cases.filter(pk__in=eliminated_cases_on(day)).exclude(Exists(relapsed))


def eliminated_between(start: datetime.date, end: datetime.date) -> Exists:
    """The case had an elimination announced between `start` and `end` (inclusive)."""
    return Exists(
        CaseEvent.objects.filter(
            case=OuterRef("pk"), kind=CaseEvent.Kind.ELIMINATED, effective_date__range=(start, end)
        )
    )


def measure_carried_out(day: datetime.date, category: str = "") -> Exists:
    """The case has a measure in progress or done (今日状态) that started on or before `day`."""
    measures = Measure.objects.filter(case=OuterRef("pk"), status__in=CARRIED_OUT, start_date__lte=day)
    return Exists(measures.filter(category=category) if category else measures)


def _day(params, name: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(params.get(name, "").strip())
    except ValueError:
        return None


def dated_filters(cases: QuerySet, params, today: datetime.date) -> QuerySet:
    """The case list's filters behind the dashboards' figures (`reports/dashboards`); a bad date is ignored.

    `monitored_on` / `eliminated_on` = D: the state on D; `announced_from` / `announced_to`: announced
    (纳入监测) in the range; `eliminated_from` / `eliminated_to`: an elimination announced in the range;
    `relapse=1`; `main_risk`; `measure` = a category, `any` or `none` (a measure in progress or done that
    started by `monitored_on`, else today).
    """
    day = _day(params, "monitored_on")
    if day:
        cases = monitored_on(cases, day)
    if _day(params, "eliminated_on"):
        cases = eliminated_on(cases, _day(params, "eliminated_on"))
    start, end = _day(params, "announced_from"), _day(params, "announced_to")
    if start:
        cases = cases.filter(announced_on__gte=start)
    if end:
        cases = cases.filter(announced_on__lte=end)
    start, end = _day(params, "eliminated_from"), _day(params, "eliminated_to")
    if start or end:
        cases = cases.filter(eliminated_between(start or datetime.date.min, end or datetime.date.max))
    if params.get("relapse") == "1":
        cases = cases.filter(is_relapse=True)
    if params.get("main_risk"):
        cases = cases.filter(main_risk=params["main_risk"])
    measure = params.get("measure", "")
    if measure == "none":
        cases = cases.exclude(measure_carried_out(day or today))
    elif measure:
        cases = cases.filter(measure_carried_out(day or today, "" if measure == "any" else measure))
    return cases


DATED_FILTERS = (
    "monitored_on",
    "eliminated_on",
    "announced_from",
    "announced_to",
    "eliminated_from",
    "eliminated_to",
    "relapse",
    "main_risk",
    "measure",
)


def dated_filter_labels(params) -> list[tuple[str, str, str]]:
    """(name, value, Chinese label) of each dashboard filter in force (those `dated_filters` applies), so the
    list can say what it shows and keep them when another filter changes."""
    from zhenxing.cases.models import MeasureCategory, RiskType

    labels = {
        "monitored_on": "{}的监测对象",
        "eliminated_on": "{}风险已消除",
        "announced_from": "纳入监测公告自{}",
        "announced_to": "纳入监测公告至{}",
        "eliminated_from": "风险消除公告自{}",
        "eliminated_to": "风险消除公告至{}",
    }
    found = []
    for name in DATED_FILTERS:
        value = (params.get(name) or "").strip()
        if not value:
            continue
        if name in labels:
            if _day(params, name):
                found.append((name, value, labels[name].format(value)))
        elif name == "relapse" and value == "1":
            found.append((name, value, "返贫（风险消除后再识别）"))
        elif name == "main_risk" and value in RiskType.values:
            found.append((name, value, f"主要风险：{RiskType(value).label}"))
        elif name == "measure":
            measures = {"any": "已落实帮扶措施", "none": "尚无已落实的帮扶措施"}
            if value in measures:
                found.append((name, value, measures[value]))
            elif value in MeasureCategory.values:
                found.append((name, value, f"已落实{MeasureCategory(value).label}措施"))
    return found


# --- the boards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    value: int
    url: str  # the case list filtered to exactly these cases (as far as its filters go)


@dataclass(frozen=True)
class StageCount:
    step: str
    open: Tally
    overdue: Tally


@dataclass(frozen=True)
class BoardRow:
    area: Area | None  # None for the totals row
    label: str
    stages: list[StageCount]
    open: Tally
    overdue: Tally
    total_overdue: Tally  # identifications past `total_due` before county approval (rule 13)
    visits_overdue: Tally


@dataclass(frozen=True)
class Board:
    level_label: str  # what a row is: 乡镇（街道） or 村（社区）
    steps: list[tuple[str, str]]
    rows: list[BoardRow]
    totals: BoardRow
    today: datetime.date


def _row_key_length(area: Area) -> int:
    """Rows are townships for the district, villages for a township or a village."""
    return CODE_LENGTH[Level.TOWNSHIP] if area.level == Level.COUNTY else CODE_LENGTH[Level.VILLAGE]


def _list_url(params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v != ""})
    return reverse("cases:case_list") + (f"?{query}" if query else "")


def _row_areas(area: Area, keys: set[str]) -> list[Area]:
    if area.level == Level.VILLAGE:
        return [area]
    areas = Area.objects.filter(Q(parent=area, is_active=True) | Q(code__in=keys))
    return list(areas.filter(code__startswith=area.code).order_by("code"))


def _area_param(area: Area) -> str:
    """The list filter naming an area: `township` or `village`."""
    return "township" if area.level == Level.TOWNSHIP else "village"


def board_counts(user, today: datetime.date, area: Area | None = None) -> Board:
    """Open and overdue cases per row × step, identifications past their total time limit, and monitored
    households overdue for a visit; every count links to the case list filtered to those cases.
    `area` (inside the user's scope, checked by the caller; default the user's area) narrows the board
    to that subtree, with rows one level below it.

    Three queries: the open cases grouped by (village, step), the overdue visits grouped by village
    (one correlated subquery on the visit index), and the rows' areas.
    """
    area = area or user.area
    length = _row_key_length(area)
    area_param = "township" if length == CODE_LENGTH[Level.TOWNSHIP] else "village"
    late_total = Q(
        status=CaseStatus.IDENTIFYING, procedure=Procedure.IDENTIFICATION, total_due__lt=today
    ) & ~Q(stage=Step.ANNOUNCEMENT)  # the total time limit runs to county approval
    grouped = (
        under(scoped(Case.objects.filter(is_open=True).exclude(stage=Step.DONE), user), area)
        .values("area__code", "stage")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(stage_due__lt=today)),
            late_total=Count("pk", filter=late_total),
        )
        .order_by()
    )
    stage_counts: dict[tuple[str, str], list[int]] = {}
    for item in grouped:
        key = (item["area__code"][:length], item["stage"])
        counts = stage_counts.setdefault(key, [0, 0, 0])
        counts[0] += item["open"]
        counts[1] += item["overdue"]
        counts[2] += item["late_total"]
    visits: dict[str, int] = {}
    grouped_visits = (
        under(scoped(visit_overdue_cases(today), user), area)
        .values("area__code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for item in grouped_visits:
        code = item["area__code"][:length]
        visits[code] = visits.get(code, 0) + item["n"]

    keys = {code for code, _ in stage_counts} | set(visits)
    rows = [
        _board_row(row_area, {area_param: row_area.code}, stage_counts, visits, row_area.code)
        for row_area in _row_areas(area, keys)
    ]
    narrowed = {} if area == user.area else {_area_param(area): area.code}
    totals = _board_row(None, narrowed, stage_counts, visits, None)
    return Board(
        level_label="乡镇（街道）" if area_param == "township" else "村（社区）",
        steps=[(step.value, step.label) for step in IDENTIFICATION_STEPS],
        rows=rows,
        totals=totals,
        today=today,
    )


def _board_row(area, params: dict, stage_counts, visits, code: str | None) -> BoardRow:
    def counts(step):
        if code is not None:
            return stage_counts.get((code, step), [0, 0, 0])
        items = [v for (c, s), v in stage_counts.items() if s == step]
        return [sum(v[i] for v in items) for i in range(3)]

    stages, open_total, overdue_total, late_total = [], 0, 0, 0
    for step in IDENTIFICATION_STEPS:
        n_open, n_overdue, n_late = counts(step)
        open_total, overdue_total, late_total = (
            open_total + n_open,
            overdue_total + n_overdue,
            late_total + n_late,
        )
        stages.append(
            StageCount(
                step=step.value,
                open=Tally(n_open, _list_url({**params, "stage": step.value})),
                overdue=Tally(n_overdue, _list_url({**params, "stage": step.value, "overdue": "1"})),
            )
        )
    n_visits = visits.get(code, 0) if code is not None else sum(visits.values())
    return BoardRow(
        area=area,
        label=area.name if area is not None else "合计",
        stages=stages,
        open=Tally(open_total, _list_url(params)),
        overdue=Tally(overdue_total, _list_url({**params, "overdue": "1"})),
        # The case list has no filter for these two yet: the links narrow to the status and carry the
        # flag for when it does.
        total_overdue=Tally(
            late_total, _list_url({**params, "status": CaseStatus.IDENTIFYING.value, "total_overdue": "1"})
        ),
        visits_overdue=Tally(n_visits, _list_url({**params, "visit_overdue": "1"})),
    )


# --- cadres' workload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadRow:
    cadre: User
    monitored: int  # monitored households assigned (监测帮扶中 or 风险消除程序中)
    visits_overdue: int
    measures_in_progress: int  # 实施中 measures of the households assigned


def workload(user, today: datetime.date) -> tuple[list[WorkloadRow], int]:
    """Plain counts per 帮扶责任人 in the user's scope, sorted by name (design.md 基层减负: no rankings),
    and the number of monitored households without a cadre.

    Cadres listed: every active village cadre in scope and anyone assigned to a case in scope.
    """
    cases = scoped(Case.objects.filter(status__in=MONITORING), user)
    monitored = dict(
        cases.filter(cadre__isnull=False)
        .values("cadre_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("cadre_id", "n")
    )
    unassigned = cases.filter(cadre__isnull=True).count()
    late = dict(
        scoped(visit_overdue_cases(today), user)
        .filter(cadre__isnull=False)
        .values("cadre_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("cadre_id", "n")
    )
    measures = dict(
        scoped(Measure.objects.filter(status=MeasureStatus.IN_PROGRESS, case__cadre__isnull=False), user)
        .values("case__cadre_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("case__cadre_id", "n")
    )
    ids = set(monitored) | set(late) | set(measures)
    cadres = User.objects.filter(
        Q(pk__in=ids) | Q(role=Role.VILLAGE_CADRE, is_active=True, area__code__startswith=user.area.code)
    ).select_related("area")
    rows = [
        WorkloadRow(c, monitored.get(c.pk, 0), late.get(c.pk, 0), measures.get(c.pk, 0))
        for c in sorted(cadres, key=lambda c: (c.full_name or c.username, c.username))
    ]
    return rows, unassigned
