"""The case page's timeline: one chronological list, newest first, merging the case's history rows
(`CaseEvent`), the household's leads, the case's measures and visits, the household's discrepancies and
screening warnings, and its yearly income against that year's monitoring line.

Event data holds ids and values only; the names it refers to (users, measures) are looked up here in
bulk. Events that only announce a record shown in its own right (a lead recorded, a measure added, a
visit, a discrepancy found or resolved) are left out so nothing appears twice.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse

from zhenxing.accounts.models import User
from zhenxing.cases.models import (
    GUARANTEES,
    Case,
    CaseEvent,
    Channel,
    Discrepancy,
    Lead,
    LeadStatus,
    Measure,
    MeasureStatus,
    MonitoringType,
    RiskType,
    Step,
    Visit,
)
from zhenxing.registry.models import IncomeYear
from zhenxing.registry.queries import Lines

Kind = CaseEvent.Kind
SHOWN_ELSEWHERE = {
    Kind.LEAD_RECORDED,
    Kind.LEAD_CLOSED,
    Kind.MEASURE_ADDED,
    Kind.VISIT,
    Kind.DISCREPANCY,
    Kind.DISCREPANCY_RESOLVED,
}


@dataclass
class Entry:
    day: datetime.date
    label: str  # what happened, e.g. "办理环节·入户核实"
    text: str = ""
    actor: str = ""
    reason: str = ""
    url: str = ""  # a page to open (a lead)
    tone: str = ""  # badge colour: red / yellow / green / grey
    when: str = ""  # shown instead of the date when only the year is known (yearly income)
    order: int = 0  # ties on the same day: later-recorded first


def _risks(values) -> str:
    labels = dict(RiskType.choices)
    return "、".join(labels.get(v, v) for v in values or [])


def _label(value, choices) -> str:
    return dict(choices).get(value, value or "")


def _event_text(event: CaseEvent, users: dict, measures: dict) -> str:
    d, kind, step = event.data, event.kind, event.step
    if kind == Kind.OPENED:
        parts = [f"由线索{d.get('lead', '')}启动"]
        if d.get("green_channel"):
            parts.append("开通绿色通道，先帮扶后补办程序")
        if d.get("relapse"):
            parts.append(f"风险消除后再识别（返贫），前一案件{d.get('previous_case', '')}")
        return "；".join(parts)
    if kind == Kind.STEP_DONE:
        return _step_text(step, d)
    if kind == Kind.MONITORED:
        return (
            f"纳入监测：{_label(d.get('type'), MonitoringType.choices)}，风险：{_risks(d.get('risk_types'))}"
        )
    if kind == Kind.REJECTED:
        return "风险消除未通过，继续监测帮扶" if d.get("elimination") else "不予认定，案件办结"
    if kind == Kind.EXTENDED:
        return f"办理期限由 {d.get('from')} 延至 {d.get('to')}"
    if kind == Kind.CADRE_ASSIGNED:
        return f"帮扶责任人：{users.get(d.get('to'), '')}"
    if kind == Kind.MEASURE_UPDATED:
        statuses = MeasureStatus.choices
        what = measures.get(d.get("measure"), "")
        return f"{what}：{_label(d.get('from'), statuses)} → {_label(d.get('to'), statuses)}"
    if kind == Kind.ELIMINATION_STARTED:
        return f"第{d.get('round', 1)}轮风险消除"
    if kind == Kind.LEAD_ATTACHED:
        return f"线索{d.get('lead', '')}并入本案件"
    return ""


def _step_text(step: str, d: dict) -> str:
    if step == Step.CONSENT:
        return f"承诺授权书已签署（附件{d.get('files', 0)}份）"
    if step == Step.HOME_CHECK and "per_capita" in d:
        return (
            f"测算人均纯收入{d['per_capita']}元（监测范围{d.get('line')}元），家庭人口{d.get('size')}人；"
            f"拟认定为{_label(d.get('monitoring_type'), MonitoringType.choices)}；风险：{_risks(d.get('risk_types'))}"
        )
    if step == Step.HOME_CHECK:
        secure = (
            "两不愁三保障及饮水安全均有保障" if d.get("all_secure") else "两不愁三保障及饮水安全未全部保障"
        )
        return f"风险消除核实：{secure}，收入{'持续稳定' if d.get('income_stable') else '尚不稳定'}"
    if step == Step.COMPARISON:
        return f"信息比对，登记疑点{d.get('found', 0)}条"
    if step == Step.REVIEW:
        return f"参会{d.get('attendance')}人，同意{d.get('for')}票，反对{d.get('against')}票"
    if step == Step.NOTICE and d.get("resubmitted"):
        return "补正后重新报送乡镇审核"
    if step == Step.NOTICE:
        return f"公示 {d.get('start')} 至 {d.get('end')}，共{d.get('days')}天"
    if step == Step.COUNTY and d.get("days_over_total"):
        return f"同意；超过识别认定总期限{d['days_over_total']}天"
    return "同意" if step in (Step.TOWNSHIP, Step.COUNTY) else ""


def _events(case: Case) -> list[Entry]:
    events = [
        e
        for e in CaseEvent.objects.filter(case=case).select_related("actor").order_by("id")
        if e.kind not in SHOWN_ELSEWHERE
    ]
    user_ids = {e.data.get("to") for e in events if e.kind == Kind.CADRE_ASSIGNED}
    users = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "full_name"))
    measure_ids = {e.data.get("measure") for e in events if e.kind == Kind.MEASURE_UPDATED}
    measures = {m.pk: str(m) for m in Measure.objects.filter(pk__in=measure_ids)}
    tones = {Kind.RETURNED: "yellow", Kind.REJECTED: "grey", Kind.MONITORED: "red", Kind.ELIMINATED: "green"}
    entries = []
    for e in events:
        label = e.get_kind_display()
        if e.step:
            label = f"{label}·{Step(e.step).label}"
        entries.append(
            Entry(
                day=e.effective_date,
                label=label,
                text=_event_text(e, users, measures),
                actor=e.actor.full_name if e.actor else "（系统）",
                reason=e.reason,
                tone=tones.get(e.kind, ""),
                order=e.pk,
            )
        )
    return entries


def _leads(case: Case) -> list[Entry]:
    entries = []
    for lead in Lead.objects.filter(household_id=case.household_id).select_related("case"):
        status = lead.get_status_display()
        if lead.status == LeadStatus.NOT_RISK:
            status += f"（{lead.closed_on:%Y-%m-%d}：{lead.closed_reason}）"
        elif lead.case_id and lead.case_id != case.pk:
            status += f"（案件{lead.case.number}）"
        risks = f"；风险：{_risks(lead.risk_types)}" if lead.risk_types else ""
        entries.append(
            Entry(
                day=lead.found_on,
                label="风险线索",
                text=f"{lead.number}（{_label(lead.channel, Channel.choices)}）：{lead.description[:80]}{risks}；{status}",
                actor=lead.found_by,
                url=reverse("cases:lead_detail", args=[lead.public_id]),
                tone="yellow" if lead.status == LeadStatus.OPEN else "",
            )
        )
    return entries


def _measures(case: Case) -> list[Entry]:
    entries = []
    for m in Measure.objects.filter(case=case).select_related("created_by"):
        amount = f"；金额{m.amount}元" if m.amount is not None else ""
        first = "；绿色通道先行落实" if m.before_approval else ""
        entries.append(
            Entry(
                day=m.start_date,
                label="帮扶措施",
                text=f"{m.get_category_display()}：{m.content}（{m.responsible}）；{m.get_status_display()}{amount}{first}",
                actor=m.created_by.full_name,
                order=m.pk,
            )
        )
    return entries


def _visits(case: Case) -> list[Entry]:
    entries = []
    for v in Visit.objects.filter(case=case).select_related("cadre"):
        text = v.findings[:120]
        if v.is_verification:
            insecure = [label for key, label in GUARANTEES if v.guarantees.get(key) is not True]
            text += "；" + (
                "两不愁三保障及饮水安全均有保障" if not insecure else "未保障：" + "、".join(insecure)
            )
            text += f"；收入{'持续稳定' if v.income_stable else '尚不稳定'}"
            if v.new_risks:
                text += f"；新增风险：{v.new_risks}"
        entries.append(
            Entry(
                day=v.visited_on,
                label="核实走访" if v.is_verification else "走访",
                text=text,
                actor=v.cadre.full_name,
                order=v.pk,
            )
        )
    return entries


def _discrepancies(case: Case) -> list[Entry]:
    entries = []
    for item in Discrepancy.objects.filter(household_id=case.household_id).select_related("resolved_by"):
        entries.append(
            Entry(
                day=item.found_on,
                label="疑点",
                text=f"{item.get_kind_display()}：{item.detail}"
                + ("" if item.is_resolved else "（尚未核实说明）"),
                tone="" if item.is_resolved else "red",
                order=item.pk,
            )
        )
        if item.is_resolved:
            entries.append(
                Entry(
                    day=item.resolved_on,
                    label="疑点核实",
                    text=f"{item.get_kind_display()}：{item.resolution}",
                    actor=item.resolved_by.full_name if item.resolved_by else "",
                    order=item.pk,
                )
            )
    return entries


def _warnings(case: Case) -> list[Entry]:
    """The household's department screening warnings (部门筛查预警), with their state or result."""
    from zhenxing.screening.engine.rules import BY_KEY
    from zhenxing.screening.models import Warning, WarningStatus

    entries = []
    for warning in Warning.objects.filter(household_id=case.household_id):
        rule = BY_KEY.get(warning.rule)
        state = (
            f"已办结：{warning.get_result_display()}"
            if warning.status == WarningStatus.CLOSED
            else f"{warning.get_status_display()}，核实期限{warning.due:%Y-%m-%d}"
        )
        entries.append(
            Entry(
                day=warning.raised_on,
                label="部门筛查预警",
                text=f"{warning.number} {rule.label if rule else warning.rule}（{warning.risk_type}）：{state}",
                url=reverse("screening:warning_detail", kwargs={"number": warning.number}),
                tone="" if warning.status == WarningStatus.CLOSED else "red",
                order=warning.pk,
            )
        )
    return entries


def _incomes(case: Case) -> list[Entry]:
    lines, entries = Lines(), []
    for income in IncomeYear.objects.filter(household_id=case.household_id):
        line = lines.line(income.year)
        below = income.net_income_per_capita < line
        entries.append(
            Entry(
                day=datetime.date(income.year, 12, 31),
                when=f"{income.year}年度",
                label="年度收入",
                text=(
                    f"人均纯收入{income.net_income_per_capita}元（家庭人口{income.household_size}人），"
                    f"当年监测范围{line}元，{'低于' if below else '高于'}监测范围"
                ),
                tone="red" if below else "green",
            )
        )
    return entries


def timeline(case: Case) -> list[Entry]:
    """Every entry of the case and its household, newest first."""
    entries = [
        *_events(case),
        *_leads(case),
        *_measures(case),
        *_visits(case),
        *_discrepancies(case),
        *_warnings(case),
        *_incomes(case),
    ]
    return sorted(entries, key=lambda e: (e.day, e.order), reverse=True)
