"""Every URL × every role × a record inside / outside the user's scope.

`ACCESS` must name every URL of the platform: adding a view without an entry fails
`test_every_url_has_an_entry`. Expectations follow one rule — no capability → 403; a record outside a
township or village user's area → 404; otherwise the page's normal answer — with per-entry exceptions
written out where a page has its own visibility rule (jobs are seen by their owner and by roles with
VIEW_ALL_JOBS).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from zhenxing.accounts.roles import ROLE_CAPABILITIES, Capability
from zhenxing.attachments.actions import store_attachment
from zhenxing.audit import actions as audit
from zhenxing.jobs.models import Job, Status
from zhenxing.lib import idnumbers
from zhenxing.registry.actions import HouseholdData, PersonData, register_household

ROLES = [
    "district_admin",
    "district_officer",
    "department_clerk",
    "township_officer",
    "village_cadre",
    "inspector",
]
LOCAL_ROLES = {"township_officer", "village_cadre"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Access:
    method: str = "GET"
    capability: Capability | None = None  # None: any logged-in user
    ok: int = 200  # the status when allowed
    kwargs: Callable[[dict, str], dict] | None = None  # (world, "inside"/"outside") -> URL kwargs
    data: Callable[[dict, str], dict] = field(default=lambda world, where: {})
    expect: Callable[[str, str], int] | None = None  # own rule: (role, where) -> status
    public: bool = False
    anonymous: int = 302  # an anonymous request: sent to login, or 401 for key-authenticated API endpoints
    area_scoped: bool = True  # False: the record has no place (policy versions, audit rows)
    roles: frozenset[str] | None = None  # a page allowed to these roles (instead of a capability)
    record_first: bool = False  # the page looks the record up before checking the role


def area_kwargs(world, where):
    return {"code": world["village" if where == "inside" else "other_village"].code}


def user_kwargs(world, where):
    return {"username": "xingang" if where == "inside" else "dushancun"}


def job_kwargs(status):
    return lambda world, where: {"public_id": world["jobs"][(where, status)].public_id}


def attachment_kwargs(world, where):
    return {"public_id": world["attachments"][where].public_id}


def import_check_visibility(ok: int):
    """Import checks: importers only; each sees their own, roles with VIEW_ALL_JOBS every one."""

    def expect(role, where):
        if role not in ("district_admin", "district_officer", "township_officer"):
            return 403
        if role == "township_officer" and where == "outside":
            return 404
        return ok

    return expect


def check_kwargs(world, where):
    return {"job_id": world["import_checks"][where].public_id}


def job_visibility(ok: int, retry: bool = False):
    """Owner (the village cadre inside / outsider) and VIEW_ALL_JOBS roles see a job; retry is owner or admin."""

    def expect(role, where):
        sees_all = role in ("district_admin", "district_officer", "inspector")
        is_owner = role == "village_cadre" and where == "inside"
        if not (sees_all or is_owner):
            return 404
        if retry and not (is_owner or role == "district_admin"):
            return 403
        return ok

    return expect


def household_kwargs(world, where):
    return {"public_id": world["households"][where].public_id}


def head_kwargs(world, where):
    return {"public_id": world["households"][where].head.public_id}


FUNDS_READERS = frozenset(ROLES) - {"department_clerk"}
FUNDS_MANAGERS = frozenset({"district_admin", "district_officer"})


def funds_kwargs(kind):
    return lambda world, where: {"code": world["funds"][kind][where].code}


def funds_post(kind, roles, data=None):
    return Access(
        method="POST",
        roles=roles,
        ok=302,
        kwargs=funds_kwargs(kind),
        data=lambda w, x: data or {},
        record_first=True,
    )


REGISTRY_FORMS = [
    "member_add",
    "member_remove",
    "head_change",
    "household_split",
    "household_merge",
    "household_move",
    "household_edit",
    "person_edit",
    "income_record",
]

CASES_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# What each cases:* URL needs: a builder key of `cases_world`, or a Step value (a case waiting at that step).
CASES_NEEDS = {
    "lead_detail": "lead",
    "lead_close": "lead",
    "lead_open": "lead",
    "lead_attach": "attach",
    "case_detail": "consent",
    "case_consent": "consent",
    "case_home_check": "home_check",
    "case_comparison": "comparison",
    "case_review": "review",
    "case_notice": "notice",
    "case_resubmit": "resubmit",
    "case_township": "township",
    "case_county": "county",
    "case_announcement": "announcement",
    "case_elimination_check": "eliminating",
    "objection_add": "township",  # the notice ran 2025-03-07 … 03-12
    "objection_answer": "objection",
    "discrepancy_add": "consent",
    "discrepancy_resolve": "discrepancy",
    "case_extend": "consent",
    "case_cadre": "monitored",
    "measure_add": "monitored",
    "measure_update": "measure",
    "visit_add": "monitored",
    "elimination_start": "monitored",
    "case_rollback": "eliminated",
    "notice_pdf": "announcement",
    "announcement_pdf": "announcement",
}


def cases_world(cast, village, other_village, name: str) -> dict:
    """The one record the cases:* URL `name` needs, inside (新港村, xingang/zelin) and outside (杜山村,
    dushancun/dushan), driven through the actions with the fixed 2025 dates of cases/tests/helpers.py."""
    from zhenxing.cases import actions
    from zhenxing.cases.models import Discrepancy, Step
    from zhenxing.cases.tests import helpers
    from zhenxing.registry.models import HEAD
    from zhenxing.registry.tests.change_helpers import person, register

    need = CASES_NEEDS.get(name.removeprefix("cases:"))
    if need is None:
        return {}
    D = datetime.date
    world = {}
    for where, area, n in (("inside", village, 100), ("outside", other_village, 250)):
        side = dict(cast)
        if where == "outside":
            side |= {
                "village_cadre": cast["outside_village_cadre"],
                "township_officer": cast["outside_township_officer"],
            }
        cadre, township, county = side["village_cadre"], side["township_officer"], side["district_officer"]
        members = [
            person(n, "户主甲", HEAD),
            person(n + 1, "配偶乙", "配偶", female=True),
            person(n + 2, "之子丙", "之子"),
        ]
        household = register(cadre, area, number=f"HC-{where}", members=members)
        if need == "lead":
            record = helpers.lead(side, household)
        elif need == "attach":  # an open lead on a household that has an open case
            helpers.open_case(side, household)
            record = helpers.lead(side, household, description="又有新困难")
        elif need in ("monitored", "measure", "eliminating", "eliminated"):
            record = helpers.ready_for_elimination(
                side, household
            )  # monitored, one measure, 2025 income, visit
            if need == "measure":
                record = record.measures.get()
            if need in ("eliminating", "eliminated"):
                record = actions.start_elimination(cadre, record, started_on=D(2025, 10, 13))
            if need == "eliminated":
                record = actions.record_elimination_check(
                    cadre, record, helpers.secure_visit(D(2025, 10, 14))
                )
                minutes = [helpers.scan(cadre, area)]
                record = actions.record_review(
                    cadre,
                    record,
                    held_on=D(2025, 10, 15),
                    attendance=9,
                    votes_for=9,
                    votes_against=0,
                    minutes=minutes,
                )
                actions.publish_notice(cadre, record, start=D(2025, 10, 15), end=D(2025, 10, 20))
                record = actions.township_review(
                    township, record, approve=True, reason="", reviewed_on=D(2025, 10, 20)
                )
                record = actions.county_decision(
                    county, record, decision="approve", reason="", decided_on=D(2025, 10, 21)
                )
                record = actions.announce(county, record, announced_on=D(2025, 10, 22))
        elif need in ("resubmit", "objection"):
            record = helpers.to_stage(side, helpers.open_case(side, household), Step.TOWNSHIP)
            if need == "resubmit":  # returned to the village: the notice stage again, with its notice
                record = actions.township_review(
                    township, record, approve=False, reason="补充材料", reviewed_on=D(2025, 3, 12)
                )
            else:
                record = actions.record_objection(cadre, record, received_on=D(2025, 3, 9), content="有异议")
        elif need == "discrepancy":
            helpers.open_case(side, household)
            actions.record_discrepancy(
                cadre, household, kind="vehicle", detail="名下有车", found_on=D(2025, 3, 3)
            )
            record = Discrepancy.objects.get(household=household)
        else:
            record = helpers.to_stage(side, helpers.open_case(side, household), Step(need))
        world[where] = record
    return world


def cases_kwargs(world, where):
    return {"public_id": world["cases"][where].public_id}


def cases_pk(world, where):
    return {"pk": world["cases"][where].pk}


def cases_pdf(name="扫描件.pdf"):
    return SimpleUploadedFile(name, CASES_PDF, content_type="application/pdf")


def holders(*capabilities) -> frozenset[str]:
    return frozenset(r for r in ROLES if any(c in ROLE_CAPABILITIES[r] for c in capabilities))


VILLAGE_STEP = frozenset({"township_officer", "village_cadre"})  # RECORD_CASES at village or township level
COUNTY_STAFF = frozenset({"district_admin", "district_officer"})


def cases_post(data, capabilities=(Capability.RECORD_CASES,), takers=None, kwargs=cases_kwargs):
    """A write of the case screens (the capability is checked before the record is looked up): 403
    without one of `capabilities`, 404 outside a township or village user's area, 302 when the action
    accepts. `takers`: the roles the action accepts at their level; the others holding the capability get
    the form again with the action's Chinese refusal (200), e.g. a district officer taking a village step."""
    allowed = holders(*capabilities)

    def expect(role, where):
        if role not in allowed:
            return 403
        if where == "outside" and role in LOCAL_ROLES:
            return 404
        return 302 if takers is None or role in takers else 200

    return Access(method="POST", kwargs=kwargs, data=data, expect=expect)


CASES_HOME_CHECK = {
    "checked_on": "2025-03-05",
    "findings": "入户核实",
    "wage_income": "12000",
    "business_income": "3000",
    "property_income": "0",
    "transfer_income": "2400",
    "production_costs": "1500",
    "household_size": "3",
    "monitoring_type": "marginal",
    "risk_types": ["illness"],
    "main_risk": "illness",
}
CASES_SECURE = {f"g_{k}": "yes" for k in ("food", "clothing", "education", "medical", "housing", "water")}
TOWNSHIP_OR_COUNTY = (Capability.REVIEW_CASES_TOWNSHIP, Capability.APPROVE_CASES_COUNTY)

CASES_ACCESS = {
    "cases:case_list": Access(capability=Capability.VIEW_CASES),
    "cases:lead_list": Access(capability=Capability.VIEW_CASES),
    "cases:lead_new": Access(capability=Capability.RECORD_CASES),
    "cases:lead_detail": Access(capability=Capability.VIEW_CASES, kwargs=cases_kwargs),
    "cases:case_detail": Access(capability=Capability.VIEW_CASES, kwargs=cases_kwargs),
    "cases:lead_close": cases_post(lambda w, x: {"reason": "核实无风险", "closed_on": "2025-03-04"}),
    "cases:lead_open": cases_post(lambda w, x: {"opened_on": "2025-03-03"}, takers=VILLAGE_STEP),
    "cases:lead_attach": cases_post(lambda w, x: {"attached_on": "2025-03-04"}),
    "cases:case_consent": cases_post(
        lambda w, x: {"signed_on": "2025-03-04", "signer": "户主甲", "files": [cases_pdf()]},
        takers=VILLAGE_STEP,
    ),
    "cases:case_home_check": cases_post(lambda w, x: dict(CASES_HOME_CHECK), takers=VILLAGE_STEP),
    "cases:case_comparison": cases_post(
        lambda w, x: {"compared_on": "2025-03-06", "note": "已比对"}, takers=VILLAGE_STEP
    ),
    "cases:case_review": cases_post(
        lambda w, x: {
            "held_on": "2025-03-07",
            "attendance": "9",
            "votes_for": "9",
            "votes_against": "0",
            "minutes": [cases_pdf()],
        },
        takers=VILLAGE_STEP,
    ),
    "cases:case_notice": cases_post(
        lambda w, x: {"start": "2025-03-07", "end": "2025-03-12"}, takers=frozenset({"village_cadre"})
    ),
    "cases:case_resubmit": cases_post(
        lambda w, x: {"note": "已补正", "resubmitted_on": "2025-03-13"}, takers=VILLAGE_STEP
    ),
    "cases:case_township": cases_post(
        lambda w, x: {"decision": "approve", "reason": "", "reviewed_on": "2025-03-12"},
        capabilities=(Capability.REVIEW_CASES_TOWNSHIP,),
        takers=frozenset({"township_officer"}),
    ),
    "cases:case_county": cases_post(
        lambda w, x: {"decision": "approve", "reason": "", "decided_on": "2025-03-13"},
        capabilities=(Capability.APPROVE_CASES_COUNTY,),
    ),
    "cases:case_announcement": cases_post(
        lambda w, x: {"announced_on": "2025-03-14"},
        capabilities=TOWNSHIP_OR_COUNTY,
        takers=COUNTY_STAFF | {"township_officer"},
    ),
    "cases:case_elimination_check": cases_post(
        lambda w, x: {
            "visited_on": "2025-10-14",
            "findings": "核实",
            "income_stable": "yes",
            "risks_resolved": "yes",
            **CASES_SECURE,
        },
        takers=VILLAGE_STEP,
    ),
    "cases:objection_add": cases_post(lambda w, x: {"received_on": "2025-03-09", "content": "有异议"}),
    "cases:objection_answer": cases_post(
        lambda w, x: {"answer": "已核实", "answered_on": "2025-03-10"}, kwargs=cases_pk
    ),
    "cases:discrepancy_add": cases_post(
        lambda w, x: {"kind": "vehicle", "detail": "名下有车", "found_on": "2025-03-04"}
    ),
    "cases:discrepancy_resolve": cases_post(
        lambda w, x: {"resolution": "车辆已转让", "resolved_on": "2025-03-05"}
    ),
    "cases:case_extend": cases_post(
        lambda w, x: {"new_due": "2025-12-31", "reason": "户主外出就医"}, capabilities=TOWNSHIP_OR_COUNTY
    ),
    "cases:case_cadre": cases_post(
        lambda w, where: {
            "cadre": "xingang" if where == "inside" else "dushancun",
            "assigned_on": "2025-03-20",
        }
    ),
    "cases:measure_add": cases_post(
        lambda w, x: {
            "category": "health",
            "content": "医疗救助",
            "responsible": "区医保局",
            "start_date": "2025-03-20",
            "status": "planned",
        }
    ),
    "cases:measure_update": cases_post(
        lambda w, x: {"status": "done", "end_date": "2025-06-30"}, kwargs=cases_pk
    ),
    "cases:visit_add": cases_post(lambda w, x: {"visited_on": "2025-04-01", "findings": "走访"}),
    "cases:elimination_start": cases_post(lambda w, x: {"started_on": "2025-10-13"}, takers=VILLAGE_STEP),
    "cases:board": Access(capability=Capability.VIEW_CASES),
    "cases:workload": Access(capability=Capability.VIEW_CASES),
    # The public documents as HTML (the PDF is the same page through WeasyPrint; documents tests cover it).
    "cases:notice_pdf": Access(
        capability=Capability.VIEW_CASES, kwargs=cases_kwargs, data=lambda w, x: {"format": "html"}
    ),
    "cases:announcement_pdf": Access(
        capability=Capability.VIEW_CASES, kwargs=cases_kwargs, data=lambda w, x: {"format": "html"}
    ),
    "cases:case_rollback": cases_post(
        lambda w, x: {"reason": "仍需兜底", "rolled_back_on": "2025-11-03"},
        capabilities=(Capability.APPROVE_CASES_COUNTY,),
    ),
}


FEED_UPLOADERS = frozenset({"district_admin", "district_officer", "department_clerk"})
FEED_READERS = FEED_UPLOADERS | {"inspector"}


def feeds_world(cast) -> dict:
    """A medical upload by the medical clerk (inside) and a housing upload by the district officer (outside:
    the medical clerk may not see it), and an API key of the clerk."""
    from zhenxing.registry.tests.import_helpers import csv_file
    from zhenxing.screening import feeds
    from zhenxing.screening.actions.feeds import commit_feed
    from zhenxing.screening.actions.tokens import create_api_token

    rows = {
        "medical": [
            {
                "公民身份号码": idnumbers.make("420704", date(1970, 1, 1), 1),
                "姓名": "户主",
                "结算日期": "2025-03-01",
                "就诊类型": "住院",
                "医疗总费用": "12000",
                "基本医保支付": "5000",
                "大病保险支付": "0",
                "医疗救助支付": "0",
                "个人自付": "7000",
            }
        ],
        "housing": [
            {
                "户主公民身份号码": idnumbers.make("420704", date(1970, 1, 1), 3),
                "鉴定日期": "2025-03-01",
                "房屋安全等级": "C",
            }
        ],
    }
    uploads = {}
    for where, kind, actor in (
        ("inside", "medical", cast["department_clerk"]),
        ("outside", "housing", cast["district_officer"]),
    ):
        plan = feeds.validate_feed(kind, csv_file(rows[kind]), f"{kind}.csv")
        uploads[where] = commit_feed(actor, kind, plan, source="file", file_name=f"{kind}.csv")
    token, _key = create_api_token(cast["district_admin"], cast["department_clerk"], "医保系统")
    return {"uploads": uploads, "token": token}


def feed_visibility(ok: int):
    def expect(role, where):
        if role not in FEED_READERS:
            return 403
        if role == "department_clerk" and where == "outside":
            return 404
        return ok

    return expect


def feed_kwargs(world, where):
    return {"public_id": world["feeds"]["uploads"][where].public_id}


FEEDS_ACCESS = {
    "screening:feed_list": Access(roles=FEED_READERS),
    "screening:feed_template": Access(
        roles=FEED_READERS, kwargs=lambda w, x: {"kind": "medical"}, area_scoped=False
    ),
    "screening:feed_upload": Access(roles=FEED_UPLOADERS),
    "screening:feed_commit": Access(
        method="POST", roles=FEED_UPLOADERS, ok=302
    ),  # no staged file: back to upload
    "screening:feed_errors": Access(roles=FEED_UPLOADERS, ok=404),  # no checked file in the session
    "screening:feed_detail": Access(kwargs=feed_kwargs, expect=feed_visibility(200)),
    "screening:feed_unmatched": Access(kwargs=feed_kwargs, expect=feed_visibility(200)),
    "screening:feed_feedback": Access(kwargs=feed_kwargs, expect=feed_visibility(200)),
    "api:openapi": Access(public=True, area_scoped=False),
    # Pushes authenticate by API key only: a signed-in session without a key is refused.
    "api:feed_push": Access(
        method="POST",
        kwargs=lambda w, x: {"kind": "medical"},
        expect=lambda role, where: 401,
        area_scoped=False,
        anonymous=401,
    ),
    "api:api_tokens": Access(capability=Capability.MANAGE_USERS),
    "api:api_token_revoke": Access(
        method="POST",
        capability=Capability.MANAGE_USERS,
        ok=302,
        kwargs=lambda w, x: {"public_id": w["feeds"]["token"].public_id},
        area_scoped=False,
    ),
}


SCREENING_RUNNERS = frozenset({"district_admin", "district_officer", "inspector"})


def warnings_world(cast, village, other_village) -> dict:
    """A medical warning on a 脱贫户 of each village, raised by one run."""
    from zhenxing.registry.models import HEAD, HouseholdKind
    from zhenxing.registry.tests.change_helpers import person, register
    from zhenxing.screening.models import Warning
    from zhenxing.screening.tests.run_helpers import medical, push, run

    households = {}
    for where, area, n in (("inside", village, 1), ("outside", other_village, 20)):
        members = [person(n, "户主甲", HEAD)]
        households[where] = register(
            cast["district_officer"],
            area,
            f"HW-{where}",
            members=members,
            kind=HouseholdKind.LIFTED,
            lifted_year=2016,
        )
    push(cast, "medical", [medical(1, "6000.00"), medical(20, "6000.00")])
    screening = run(cast)
    return {
        "run": screening,
        **{where: Warning.objects.get(household=h) for where, h in households.items()},
    }


def warning_kwargs(world, where):
    return {"number": world["warnings"][where].number}


def warning_step(local_status: int, district: bool):
    """Assign: the household's township or the district; verify/close: the village or its township (422
    when the warning is not in the state the step needs)."""

    def expect(role, where):
        takers = {"township_officer"} | (
            {"district_admin", "district_officer"} if district else {"village_cadre"}
        )
        if role == "department_clerk":  # no VIEW_CASES: refused before the warning is looked up
            return 403
        if where == "outside" and role in LOCAL_ROLES:
            return 404
        if role not in takers:
            return 403
        return local_status if role in LOCAL_ROLES else 302

    return expect


WARNINGS_ACCESS = {
    "screening:run_list": Access(roles=SCREENING_RUNNERS),
    "screening:run_detail": Access(
        roles=SCREENING_RUNNERS,
        kwargs=lambda w, x: {"public_id": w["warnings"]["run"].public_id},
        area_scoped=False,
    ),
    "screening:warning_list": Access(capability=Capability.VIEW_CASES),
    "screening:warning_detail": Access(capability=Capability.VIEW_CASES, kwargs=warning_kwargs),
    "screening:warning_assign": Access(
        method="POST",
        kwargs=warning_kwargs,
        data=lambda w, x: {"assigned_on": "2025-04-01"},
        expect=warning_step(302, district=True),
    ),
    "screening:warning_verify": Access(
        method="POST", kwargs=warning_kwargs, expect=warning_step(422, district=False)
    ),
    "screening:warning_close": Access(
        method="POST", kwargs=warning_kwargs, expect=warning_step(422, district=False)
    ),
    "screening:rule_list": Access(capability=Capability.VIEW_POLICY, area_scoped=False),
    "screening:rule_edit": Access(capability=Capability.EDIT_POLICY, area_scoped=False),
}


def leaflet_batch_expect(role, where):
    """明白纸 batch (POST kind + area): VIEW_REPORTS; an area outside a local user's scope is 404."""
    if role == "department_clerk":
        return 403
    return 404 if where == "outside" and role in LOCAL_ROLES else 302


REPORTS_LEAFLET_ACCESS = {
    "reports:leaflet_index": Access(capability=Capability.VIEW_REPORTS),
    "reports:leaflet_household": Access(capability=Capability.VIEW_REPORTS, kwargs=household_kwargs),
    "reports:leaflet_pdf": Access(
        capability=Capability.VIEW_REPORTS,
        kwargs=lambda w, x: {**household_kwargs(w, x), "kind": "declaration"},
        data=lambda w, x: {"format": "html"},
    ),
    "reports:leaflet_batch": Access(
        method="POST",
        data=lambda w, x: {
            "kind": "declaration",
            "area": w["village" if x == "inside" else "other_village"].code,
        },
        expect=leaflet_batch_expect,
    ),
    "reports:leaflet_template": Access(
        capability=Capability.EDIT_LEAFLET_TEMPLATES,
        kwargs=lambda w, x: {"kind": "declaration"},
        area_scoped=False,
    ),
}


def reports_map_expect(role, where):
    """The district map at a village (`?area=`): VIEW_REPORTS; a village outside a local user's scope is 404."""
    if Capability.VIEW_REPORTS not in ROLE_CAPABILITIES[role]:
        return 403
    return 404 if where == "outside" and role in LOCAL_ROLES else 200


REPORTS_MAP_ACCESS = {
    name: Access(
        data=lambda w, x: {"area": w["village" if x == "inside" else "other_village"].code},
        expect=reports_map_expect,
    )
    for name in ("reports:map", "reports:map_data")
}


# Statutory exports: the page, and 生成 (POST: report in the URL, area in the form) which queues a job; an
# area outside a township or village user's scope is 404.
REPORTS_EXPORT_ACCESS = {
    "reports:export_index": Access(capability=Capability.VIEW_REPORTS),
    "reports:export_start": Access(
        method="POST",
        capability=Capability.VIEW_REPORTS,
        ok=302,
        kwargs=lambda w, x: {"name": "monitored"},
        data=lambda w, x: {"area": area_kwargs(w, x)["code"], "as_of": "2025-06-30"},
    ),
}


def reports_dashboard_expect(role, where):
    """A dashboard at a village (`?area=`): VIEW_REPORTS; a village outside a local user's scope is 404."""
    if Capability.VIEW_REPORTS not in ROLE_CAPABILITIES[role]:
        return 403
    return 404 if where == "outside" and role in LOCAL_ROLES else 200


# The dashboards (every section) and the wall display, at the inside or the outside village.
REPORTS_DASHBOARD_ACCESS = {
    name: Access(
        data=lambda w, x: {
            "area": w["village" if x == "inside" else "other_village"].code,
            "section": "funds",
        },
        expect=reports_dashboard_expect,
    )
    for name in ("reports:dashboard", "reports:dashboard_screen")
}


ACCESS: dict[str, Access] = {
    "home": Access(),
    "healthz": Access(public=True),
    "accounts:login": Access(public=True),
    "accounts:logout": Access(method="POST", ok=302),
    "accounts:password_change": Access(),
    "accounts:user_list": Access(capability=Capability.VIEW_USERS),
    "accounts:user_create": Access(capability=Capability.MANAGE_USERS),
    "accounts:user_edit": Access(capability=Capability.MANAGE_USERS, kwargs=user_kwargs),
    "accounts:user_set_active": Access(
        method="POST",
        capability=Capability.MANAGE_USERS,
        ok=302,
        kwargs=user_kwargs,
        data=lambda w, x: {"active": "0"},
    ),
    "accounts:user_reset_password": Access(
        method="POST", capability=Capability.MANAGE_USERS, kwargs=user_kwargs
    ),
    "accounts:login_log": Access(capability=Capability.VIEW_AUDIT),
    "areas:tree": Access(capability=Capability.VIEW_AREAS),
    "areas:import": Access(capability=Capability.MANAGE_AREAS),
    "areas:import_commit": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302),
    "areas:import_template": Access(capability=Capability.VIEW_AREAS),
    "areas:export": Access(capability=Capability.VIEW_AREAS),
    "areas:detail": Access(capability=Capability.VIEW_AREAS, kwargs=area_kwargs),
    "areas:children": Access(capability=Capability.VIEW_AREAS, kwargs=area_kwargs),
    "areas:add_child": Access(
        method="POST",
        capability=Capability.MANAGE_AREAS,
        ok=302,
        kwargs=area_kwargs,
        data=lambda w, where: {"code": area_kwargs(w, where)["code"] + "009", "name": "九组"},
    ),
    "areas:rename": Access(
        method="POST",
        capability=Capability.MANAGE_AREAS,
        ok=302,
        kwargs=area_kwargs,
        data=lambda w, x: {"name": "新名"},
    ),
    "areas:retire": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302, kwargs=area_kwargs),
    "areas:restore": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302, kwargs=area_kwargs),
    "areas:delete": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302, kwargs=area_kwargs),
    "audit:list": Access(capability=Capability.VIEW_AUDIT),
    "audit:detail": Access(
        capability=Capability.VIEW_AUDIT,
        kwargs=lambda w, x: {"entry_id": w["audit_entry"].pk},
        area_scoped=False,
    ),
    "audit:verify": Access(method="POST", capability=Capability.VIEW_AUDIT, ok=302),
    "audit:export": Access(method="POST", capability=Capability.VIEW_AUDIT, ok=302),
    "policy:year_list": Access(capability=Capability.VIEW_POLICY),
    "policy:year_detail": Access(
        capability=Capability.VIEW_POLICY, kwargs=lambda w, x: {"year": 2024}, area_scoped=False
    ),
    "policy:year_edit": Access(
        capability=Capability.EDIT_POLICY, kwargs=lambda w, x: {"year": 2024}, area_scoped=False
    ),
    "policy:version_detail": Access(
        capability=Capability.VIEW_POLICY, kwargs=lambda w, x: {"year": 2024, "version": 1}, area_scoped=False
    ),
    "jobs:list": Access(),
    "jobs:running": Access(),
    "jobs:detail": Access(kwargs=job_kwargs(Status.SUCCEEDED), expect=job_visibility(200)),
    "jobs:progress": Access(kwargs=job_kwargs(Status.SUCCEEDED), expect=job_visibility(200)),
    "jobs:download": Access(kwargs=job_kwargs(Status.SUCCEEDED), expect=job_visibility(200)),
    "jobs:retry": Access(
        method="POST", kwargs=job_kwargs(Status.FAILED), expect=job_visibility(302, retry=True)
    ),
    "attachments:download": Access(capability=Capability.VIEW_FULL_PERSONAL_DATA, kwargs=attachment_kwargs),
    "attachments:upload": Access(
        method="POST",
        capability=Capability.UPLOAD_ATTACHMENTS,
        data=lambda w, where: {
            "file": SimpleUploadedFile("照片.png", PNG, content_type="image/png"),
            "area": area_kwargs(w, where)["code"],
            "kind": "photo",
        },
        # the area travels in the form, not the URL: outside areas answer 404 all the same
        kwargs=lambda w, where: {},
    ),
    "registry:household_list": Access(capability=Capability.VIEW_REGISTRY),
    "registry:household_export": Access(capability=Capability.VIEW_REGISTRY),
    "registry:household_detail": Access(capability=Capability.VIEW_REGISTRY, kwargs=household_kwargs),
    "registry:household_qr": Access(capability=Capability.VIEW_REGISTRY, kwargs=household_kwargs),
    "registry:person_reveal": Access(
        method="POST", capability=Capability.VIEW_FULL_PERSONAL_DATA, kwargs=head_kwargs
    ),
    **{
        f"registry:{name}": Access(capability=Capability.EDIT_REGISTRY, kwargs=household_kwargs)
        for name in REGISTRY_FORMS
    },
    "imports:index": Access(capability=Capability.IMPORT_REGISTRY),
    "imports:template": Access(
        capability=Capability.IMPORT_REGISTRY, kwargs=lambda w, x: {"kind": "households"}, area_scoped=False
    ),
    "imports:upload": Access(
        method="POST",
        capability=Capability.IMPORT_REGISTRY,
        kwargs=lambda w, x: {"kind": "households"},
        area_scoped=False,
    ),  # no file: the page again with the form's error
    "imports:preview": Access(kwargs=check_kwargs, expect=import_check_visibility(200)),
    "imports:errors": Access(kwargs=check_kwargs, expect=import_check_visibility(200)),
    "imports:commit": Access(method="POST", kwargs=check_kwargs, expect=import_check_visibility(302)),
    # Funds: readers are every staff role but the department clerk; managers the district admin and
    # district officer; project pages look the project up before the role check (outside → 404).
    "funds:project_list": Access(roles=FUNDS_READERS),
    "funds:project_new": Access(roles=FUNDS_READERS - {"inspector"}),
    "funds:allocations": Access(roles=FUNDS_READERS),
    "funds:plan": Access(roles=FUNDS_READERS),
    "funds:progress": Access(roles=FUNDS_READERS),
    "funds:asset_list": Access(roles=FUNDS_READERS),
    "funds:pv_list": Access(roles=FUNDS_READERS),
    "funds:pv_notice": Access(roles=FUNDS_READERS, kwargs=lambda w, x: {"year": 2024}, area_scoped=False),
    "funds:import_template": Access(roles=FUNDS_READERS),
    "funds:reconcile": Access(roles=FUNDS_MANAGERS),
    "funds:import": Access(roles=FUNDS_MANAGERS),
    "funds:reconcile_commit": Access(method="POST", roles=FUNDS_MANAGERS, ok=302),
    "funds:import_commit": Access(method="POST", roles=FUNDS_MANAGERS, ok=302),
    "funds:reconcile_detail": Access(
        roles=FUNDS_MANAGERS,
        kwargs=lambda w, x: {"public_id": w["funds"]["batch"].public_id},
        area_scoped=False,
    ),
    "funds:difference_resolve": Access(
        method="POST",
        roles=FUNDS_MANAGERS,
        ok=302,
        kwargs=lambda w, x: {"pk": w["funds"]["difference"].pk},
        data=lambda w, x: {"note": "已核对"},
        area_scoped=False,
    ),
    "funds:plan_item_remove": Access(
        method="POST",
        roles=FUNDS_MANAGERS,
        ok=302,
        kwargs=lambda w, x: {"pk": w["funds"]["plan_item"].pk},
        area_scoped=False,
    ),
    "funds:project_detail": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("projects"), record_first=True),
    "funds:project_notice": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("projects"), record_first=True),
    "funds:project_edit": Access(
        roles=FUNDS_READERS - {"inspector"}, kwargs=funds_kwargs("projects"), record_first=True
    ),
    "funds:project_resubmit": funds_post("projects", FUNDS_READERS - {"inspector"}),
    "funds:project_township": funds_post("projects", frozenset({"township_officer"})),
    "funds:project_return": funds_post(
        "projects", FUNDS_MANAGERS | {"township_officer"}, {"reason": "补充材料"}
    ),
    "funds:project_reject": funds_post(
        "projects", FUNDS_MANAGERS | {"township_officer"}, {"reason": "不符合"}
    ),
    **{
        f"funds:project_{step}": funds_post("projects", FUNDS_MANAGERS)
        for step in ("county", "library", "start", "complete", "terminate", "accept", "disburse")
    },
    "funds:asset_detail": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("assets"), record_first=True),
    **{
        f"funds:asset_{step}": funds_post("assets", FUNDS_MANAGERS)
        for step in ("revenue", "dispose", "approve", "reject")
    },
    "funds:pv_detail": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("stations"), record_first=True),
    **{f"funds:pv_{step}": funds_post("stations", FUNDS_MANAGERS) for step in ("month", "distribute")},
    **FEEDS_ACCESS,
    **WARNINGS_ACCESS,
    **CASES_ACCESS,
    **REPORTS_MAP_ACCESS,
    **REPORTS_LEAFLET_ACCESS,
    **REPORTS_EXPORT_ACCESS,
    **REPORTS_DASHBOARD_ACCESS,
}


def all_url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif p.name:
                yield f"{namespace}:{p.name}" if namespace else p.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_an_entry():
    missing = all_url_names() - set(ACCESS)
    assert not missing, f"add these URL names to ACCESS in {__file__}: {sorted(missing)}"
    assert not set(ACCESS) - all_url_names(), "ACCESS names URLs that no longer exist"


@pytest.fixture
def world(request, cast, village, other_village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = getattr(getattr(request.node, "callspec", None), "params", {}).get("name", "")
    jobs = {}
    for where, owner, area in (
        ("inside", cast["village_cadre"], village),
        ("outside", cast["outside_village_cadre"], other_village),
    ):
        for status in (Status.SUCCEEDED, Status.FAILED):
            job = Job.objects.create(
                kind="areas.import", status=status, created_by=owner, area=area, attempts=1
            )
            if status == Status.SUCCEEDED:
                job.result_file = f"jobs/{job.public_id}/结果.xlsx"
                job.result_name = "结果.xlsx"
                job.save(update_fields=["result_file", "result_name"])
                path = Path(tmp_path) / job.result_file
                path.parent.mkdir(parents=True)
                path.write_bytes(b"result")
            jobs[(where, status)] = job
    import_checks = {}
    for where, owner, area in (
        ("inside", cast["township_officer"], village.parent),
        ("outside", cast["outside_township_officer"], other_village.parent),
    ):
        check = Job.objects.create(
            kind="registry.validate_import", status=Status.SUCCEEDED, created_by=owner, area=area, attempts=1
        )
        check.result_file, check.result_name = f"jobs/{check.public_id}/错误报告.xlsx", "错误报告.xlsx"
        check.save(update_fields=["result_file", "result_name"])
        (Path(tmp_path) / check.result_file).parent.mkdir(parents=True)
        (Path(tmp_path) / check.result_file).write_bytes(b"report")
        import_checks[where] = check
    attachments = {
        "inside": store_attachment(cast["village_cadre"], ("a.png", PNG), village, "photo"),
        "outside": store_attachment(cast["outside_village_cadre"], ("b.png", PNG), other_village, "photo"),
    }
    with transaction.atomic():
        entry = audit.record(cast["district_admin"], "test_action", village)
    households = {
        where: register_household(
            None,
            HouseholdData(
                number=f"H-{where}",
                area_id=area.pk,
                kind="ordinary",
                members=[
                    PersonData(
                        id_number=idnumbers.make("420704", date(1970, 1, 1), sequence),
                        name="户主",
                        relation="户主",
                        health="健康",
                        labour_capacity="普通劳动力",
                    )
                ],
            ),
            date(2024, 1, 1),
        )
        for where, area, sequence in (("inside", village, 1), ("outside", other_village, 3))
    }
    return {
        "village": village,
        "other_village": other_village,
        "jobs": jobs,
        "attachments": attachments,
        "audit_entry": entry,
        "households": households,
        "import_checks": import_checks,
        "funds": funds_world(cast, village, other_village) if name.startswith("funds:") else None,
        "cases": cases_world(cast, village, other_village, name) if name.startswith("cases:") else None,
        "feeds": feeds_world(cast) if name.startswith(("screening:feed", "api:")) else None,
        "warnings": warnings_world(cast, village, other_village)
        if name.startswith(("screening:run", "screening:warning"))
        else None,
    }


def funds_world(cast, village, other_village) -> dict:
    """A library project, an accepted project's asset and a PV station on each side, plus a plan item and
    a reconciliation difference (district-level records)."""
    from decimal import Decimal

    from zhenxing.funds import actions as funds
    from zhenxing.funds.models import FundSource
    from zhenxing.funds.reconcile import HEADERS as RECONCILE_HEADERS
    from zhenxing.funds.reconcile import validate_reconciliation
    from zhenxing.funds.tests.conftest import library_project
    from zhenxing.lib.tabular import SheetSpec, write_xlsx

    officer = cast["district_officer"]
    result = {"projects": {}, "assets": {}, "stations": {}}
    for where, area in (("inside", village), ("outside", other_village)):
        project = library_project(cast, area)
        accepted = library_project(cast, area, name="已验收项目")
        funds.start_project(officer, accepted, date(2024, 3, 1))
        funds.complete_project(officer, accepted, date(2024, 9, 1))
        asset_data = funds.AssetData("茶园", "operating", "village", Decimal("1000.00"), "村委会", "管护")
        [asset] = funds.accept_project(officer, accepted, date(2024, 9, 10), [asset_data])
        station = funds.add_pv_station(officer, f"PV-{where}", "光伏电站", area, "60", date(2017, 6, 1))
        result["projects"][where], result["assets"][where], result["stations"][where] = (
            project,
            asset,
            station,
        )
    funds.add_allocation(officer, 2024, FundSource.CENTRAL, Decimal("1000"), "鄂财1号", date(2024, 1, 5))
    result["plan_item"] = funds.set_plan_item(
        officer, 2024, result["projects"]["inside"], FundSource.CENTRAL, "100.00"
    )
    rows = [["2024-X-1", "外地项目", "中央衔接资金", "2024-05-01", "500.00"]]
    plan = validate_reconciliation(
        write_xlsx([SheetSpec("支付明细", RECONCILE_HEADERS, rows)]), "a.xlsx", 2024
    )
    result["batch"] = funds.commit_reconciliation(officer, plan)
    result["difference"] = result["batch"].differences.get()
    return result


def expected(access: Access, role: str, where: str, cast) -> int:
    if access.expect:
        return access.expect(role, where)
    outside = where == "outside" and role in LOCAL_ROLES
    if access.record_first and outside:
        return 404
    if access.capability and not cast[role].can(access.capability):
        return 403
    if access.roles is not None and role not in access.roles:
        return 403
    if outside:
        return 404
    return access.ok


def request(client, name, access, world, where):
    kwargs = access.kwargs(world, where) if access.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    if access.method == "POST":
        return client.post(url, access.data(world, where))
    return client.get(url, access.data(world, where))


def wheres(access: Access) -> tuple[str, ...]:
    scoped = access.area_scoped and (access.kwargs is not None or access.expect is not None)
    return ("inside", "outside") if scoped else ("inside",)


@pytest.mark.parametrize(
    "name, where",
    [(n, w) for n, a in ACCESS.items() if not a.public for w in wheres(a)],
)
@pytest.mark.django_db
def test_role_and_scope(client, cast, world, name, where):
    """Every role against one URL; each request runs in a savepoint rolled back afterwards, so a write
    allowed for one role does not change what the next role sees."""
    access = ACCESS[name]
    got, want = {}, {}
    for role in ROLES:
        client.force_login(cast[role])
        with transaction.atomic():
            got[role] = request(client, name, access, world, where).status_code
            transaction.set_rollback(True)
        want[role] = expected(access, role, where, cast)
    assert got == want


@pytest.mark.parametrize("name", [n for n, a in ACCESS.items() if not a.public])
@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, world, name):
    response = request(client, name, ACCESS[name], world, "inside")
    assert response.status_code == ACCESS[name].anonymous
    if ACCESS[name].anonymous == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", [n for n, a in ACCESS.items() if a.public])
@pytest.mark.django_db
def test_public_pages_answer_anonymous_users(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_an_out_of_scope_refusal_changes_nothing(client, cast, world):
    """A 新港村 cadre cannot retry a 杜山村 job: 404, the job stays failed, no audit row."""
    from zhenxing.audit.models import AuditEntry

    client.force_login(cast["village_cadre"])
    job = world["jobs"][("outside", Status.FAILED)]
    count = AuditEntry.objects.count()
    response = client.post(reverse("jobs:retry", kwargs={"public_id": job.public_id}))
    assert response.status_code == 404
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.FAILED, 1)
    assert AuditEntry.objects.count() == count
