"""The public documents of a case, print-ready on A4: the village notice (村内公示) and the township's
announcement (公告) after county approval, as HTML rendered to PDF by WeasyPrint with CJK fonts.

They are public (policy §1.7, rule 12): they list the head of household's name, the village, the
monitoring type and the risk types, and never an ID number, phone, bank account, health status or any
other member detail. Only the fields below reach the templates; nothing else of the household does.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require
from zhenxing.areas.models import Area, Level
from zhenxing.cases.models import Case, Procedure, PublicNotice, RiskType, Step, StepRecord
from zhenxing.policy.resolve import policy_for

NOTICE_TITLES = {
    Procedure.IDENTIFICATION: "关于拟纳入防止返贫监测对象的公示",
    Procedure.ELIMINATION: "关于拟标注风险消除的公示",
}
ANNOUNCEMENT_TITLES = {
    Procedure.IDENTIFICATION: "关于防止返贫监测对象识别认定结果的公告",
    Procedure.ELIMINATION: "关于防止返贫监测对象风险消除结果的公告",
}
NO_NOTICE = "本案件尚未开展村内公示，村干部发布公示后才能打印公示。"
NO_APPROVAL = "本案件尚未经县级审定同意，审定同意后才能打印公告。"


@dataclass(frozen=True)
class Row:
    """One household as the public documents show it: nothing else."""

    head_name: str
    village: str
    monitoring_type: str
    risk_types: str


def public_row(case: Case) -> Row:
    household = case.household
    risks = list(dict.fromkeys([case.main_risk, *case.risk_types] if case.main_risk else case.risk_types))
    return Row(
        head_name=household.head.name if household.head_id else "",
        village=_village_label(case.area),
        monitoring_type=case.get_monitoring_type_display(),
        risk_types="、".join(RiskType(r).label for r in risks if r in RiskType.values),
    )


def _village_label(area: Area) -> str:
    """所在村（组）: the village, and the group when the household is registered at group level."""
    if area.level == Level.GROUP and area.parent_id:
        return f"{area.parent.name}{area.name}"
    return area.name


def _village(area: Area) -> Area:
    return area.parent if area.level == Level.GROUP and area.parent_id else area


def _township(area: Area) -> Area | None:
    area = _village(area)
    return area.parent if area.parent_id else None


def village_committee(village: Area) -> str:
    """新港村 → 新港村村民委员会; ××社区 → ××社区居民委员会."""
    return f"{village.name}{'居民委员会' if village.name.endswith('社区') else '村民委员会'}"


def township_office(township: Area | None) -> str:
    """泽林镇 → 泽林镇人民政府; ××街道 → ××街道办事处."""
    if township is None:
        return ""
    return f"{township.name}{'办事处' if township.name.endswith('街道') else '人民政府'}"


def _hotline(year: int) -> dict:
    policy = policy_for(year)
    return {"hotline_name": policy["hotline_name"], "hotline": policy["hotline_number"]}


def notice_context(notice: PublicNotice) -> dict:
    case = notice.case
    village, township = _village(case.area), _township(case.area)
    return {
        "title": NOTICE_TITLES[notice.procedure],
        "procedure": notice.procedure,
        "rows": [public_row(case)],
        "village": village.name,
        "committee": village_committee(village),
        "township_office": township_office(township),
        "start": notice.start,
        "end": notice.end,
        "days": notice.days,
        "issued_on": notice.start,
        **_hotline(notice.start.year),
    }


def county_approval(case: Case, procedure: str | None = None) -> StepRecord | None:
    """The latest county approval of the case (of `procedure`, if given)."""
    records = StepRecord.objects.filter(case=case, step=Step.COUNTY, outcome=StepRecord.Outcome.APPROVED)
    if procedure:
        records = records.filter(procedure=procedure)
    return records.order_by("-acted_on", "-id").first()


def announcement_context(case: Case, approval: StepRecord, today: datetime.date | None = None) -> dict:
    announced = StepRecord.objects.filter(
        case=case, procedure=approval.procedure, round=approval.round, step=Step.ANNOUNCEMENT
    ).first()
    issued_on = announced.acted_on if announced else (today or timezone.localdate())
    village, township = _village(case.area), _township(case.area)
    return {
        "title": ANNOUNCEMENT_TITLES[approval.procedure],
        "procedure": approval.procedure,
        "rows": [public_row(case)],
        "village": village.name,
        "township": township.name if township else "",
        "township_office": township_office(township),
        "approved_on": approval.acted_on,
        "issued_on": issued_on,
        **_hotline(issued_on.year),
    }


def render_notice_html(notice: PublicNotice) -> str:
    return render_to_string("cases/notice.html", notice_context(notice))


def render_announcement_html(case: Case, approval: StepRecord) -> str:
    return render_to_string("cases/announcement.html", announcement_context(case, approval))


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def render_notice_pdf(notice: PublicNotice) -> bytes:
    return to_pdf(render_notice_html(notice))


def render_announcement_pdf(case: Case, approval: StepRecord) -> bytes:
    return to_pdf(render_announcement_html(case, approval))


# --- views -----------------------------------------------------------------------------------------


def _case(request, public_id) -> Case:
    require(request.user, Capability.VIEW_CASES)
    return get_in_scope(
        Case.objects.select_related("household__head", "area__parent__parent"),
        request.user,
        public_id=public_id,
    )


def _procedure(request) -> str | None:
    value = request.GET.get("procedure", "")
    return value if value in Procedure.values else None


def _respond(request, html: str, filename: str) -> HttpResponse:
    if request.GET.get("format") == "html":
        return HttpResponse(html, content_type="text/html; charset=utf-8")
    response = HttpResponse(to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@login_required
def notice_pdf(request, public_id):
    """The village notice of the case's latest procedure (or `?procedure=`); `?format=html` for HTML."""
    case = _case(request, public_id)
    notices = PublicNotice.objects.filter(case=case)
    procedure = _procedure(request)
    if procedure:
        notices = notices.filter(procedure=procedure)
    notice = notices.order_by("-start", "-id").first()
    if notice is None:
        raise Http404(NO_NOTICE)
    notice.case = case
    return _respond(request, render_notice_html(notice), f"村内公示_{case.number}.pdf")


@login_required
def announcement_pdf(request, public_id):
    """The announcement after the latest county approval (or `?procedure=`); `?format=html` for HTML."""
    case = _case(request, public_id)
    approval = county_approval(case, _procedure(request))
    if approval is None:
        raise Http404(NO_APPROVAL)
    return _respond(request, render_announcement_html(case, approval), f"公告_{case.number}.pdf")
