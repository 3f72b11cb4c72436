"""Print-ready public notices (公告) as A4 PDF, rendered from HTML templates with WeasyPrint.

Notices are public: they carry project facts, amounts and counts of households, never names, ID
numbers, phones or bank accounts (design.md, "Personal data").
"""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.template.loader import render_to_string

from zhenxing.funds.models import ZERO, DistributionPurpose, FundSource, Project, PvStation
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.models import HouseholdKind, MonitoringStatus


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def beneficiary_counts(project: Project) -> dict:
    households = project.beneficiaries.all()
    return {
        "total": households.count(),
        "lifted": households.filter(kind=HouseholdKind.LIFTED).count(),
        "monitored": households.filter(monitoring_status=MonitoringStatus.MONITORED).count(),
    }


def project_notice_context(project: Project) -> dict:
    policy = policy_for(project.year)
    days = policy["project_notice_min_days"]
    start = project.notice_start or datetime.date.today()
    end = project.notice_end or start + datetime.timedelta(days=days - 1)
    return {
        "project": project,
        "amounts": [(s.label, project.planned(s)) for s in FundSource],
        "counts": beneficiary_counts(project),
        "notice_start": start,
        "notice_end": end,
        "days": (end - start).days + 1,
        "hotline_name": policy["hotline_name"],
        "hotline": policy["hotline_number"],
    }


def project_notice_pdf(project: Project) -> bytes:
    return render_pdf("funds/notice_project.html", project_notice_context(project))


def _sum(queryset, field: str) -> Decimal:
    # Two places always: SQLite's SUM drops the scale (9750 instead of 9750.00).
    return (queryset.aggregate(s=Sum(field))["s"] or ZERO).quantize(ZERO)


def pv_notice_context(stations, year: int) -> dict:
    policy = policy_for(year)
    rows = []
    for station in stations:
        months = station.months.filter(month__year=year)
        dist = station.distributions.filter(paid_on__year=year)
        by_purpose = {p.value: _sum(dist.filter(purpose=p), "amount") for p in DistributionPurpose}
        rows.append(
            {
                "station": station,
                "output": _sum(months, "output_kwh"),
                "revenue": _sum(months, "revenue"),
                "by_purpose": [by_purpose[p.value] for p in DistributionPurpose],
                "distributed": sum(by_purpose.values(), ZERO),
            }
        )
    return {
        "year": year,
        "rows": rows,
        "purposes": [p.label for p in DistributionPurpose],
        "hotline_name": policy["hotline_name"],
        "hotline": policy["hotline_number"],
        "today": datetime.date.today(),
        "days": policy["project_notice_min_days"],
    }


def pv_notice_pdf(stations: list[PvStation], year: int) -> bytes:
    return render_pdf("funds/notice_pv.html", pv_notice_context(stations, year))
