"""The demo district's department screening, loaded once for this module: a 700-household demo registry
over the cast's 新港村 and 杜山村 and a 新庙村 without any account, with the demo cases, on a fixed day
(2026-06-15, a Monday)."""

import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from conftest import make_user
from zhenxing.accounts.roles import Department, Role
from zhenxing.areas.models import Area, Level
from zhenxing.audit.models import AuditEntry
from zhenxing.cases.demo import load_demo_cases
from zhenxing.cases.models import Case, Channel, Discrepancy, Lead, LeadStatus
from zhenxing.jobs.models import Job
from zhenxing.management.commands.demo import Command
from zhenxing.registry.demo import load_demo_registry
from zhenxing.screening.demo import EXCLUDE_REASONS, describe, load_demo_screening
from zhenxing.screening.models import FeedRow, FeedUpload, ScreeningRun, Warning, WarningResult, WarningStatus

# One worker loads this module's demo once (a module fixture would load on every worker that runs a test).
pytestmark = pytest.mark.xdist_group("demo")


TODAY = datetime.date(2026, 6, 15)
PASSWORD = "Zhenxing@2024"
FEED_RULES = (
    "medical_lifted",
    "medical_other",
    "education_cost",
    "education_dropout",
    "disability_new",
    "housing_unsafe",
    "disaster",
    "employment_loss",
    "assistance_new",
    "public_payroll",
    "vehicle",
    "real_estate",
    "business",
    "deceased",
)


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Loaded in a transaction rolled back after the module; each test runs in a savepoint inside it, on
    the same frozen day."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        time_machine.travel(datetime.datetime(2026, 6, 15, 2, 0, tzinfo=datetime.UTC), tick=False),
        transaction.atomic(),
    ):
        county = Area.objects.get(code="420704")
        for code, name in (
            ("420704100201", "新港村"),
            ("420704101201", "杜山村"),
            ("420704102201", "新庙村"),
        ):
            township = Area.objects.get(code=code[:9])
            Area.objects.create(code=code, name=name, level=Level.VILLAGE, parent=township, is_demo=True)
        admin = make_user("admin", Role.DISTRICT_ADMIN, county)
        make_user("officer", Role.DISTRICT_OFFICER, county)
        make_user("clerk", Role.DEPARTMENT_CLERK, county, Department.MEDICAL)
        make_user("zelin", Role.TOWNSHIP_OFFICER, Area.objects.get(code="420704100"))
        make_user("xingang", Role.VILLAGE_CADRE, Area.objects.get(code="420704100201"))
        make_user("dushan", Role.TOWNSHIP_OFFICER, Area.objects.get(code="420704101"))
        make_user("dushancun", Role.VILLAGE_CADRE, Area.objects.get(code="420704101201"))
        load_demo_registry(admin, 700)
        load_demo_cases(admin, PASSWORD)
        result = load_demo_screening()
        yield {"admin": admin, "result": result}
        transaction.set_rollback(True)


def write_counts() -> dict:
    models = (FeedUpload, FeedRow, ScreeningRun, Warning, Discrepancy, Lead, Job, AuditEntry)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_it_loads_exact_counts_for_the_fixed_seed(loaded):
    hits = {
        "medical_lifted": 2,
        "medical_other": 1,
        "education_cost": 2,
        "education_dropout": 1,
        "disability_new": 2,
        "housing_unsafe": 2,
        "disaster": 2,
        "employment_loss": 2,
        "assistance_new": 2,
        "public_payroll": 1,
        "vehicle": 2,
        "real_estate": 2,
        "business": 1,
        "deceased": 1,
    }
    assert loaded["result"] == {
        "skipped": False,
        "uploads": 12,
        "rows": 290,
        "unmatched": 12,
        "runs": 1,
        "warnings": 44,
        "rules": {
            "assistance_new": 2,
            "disability_new": 2,
            "disaster": 2,
            "education_cost": 2,
            "education_dropout": 1,
            "employment_loss": 2,
            "housing_unsafe": 2,
            "income_below_line": 18,
            "income_drop": 10,
            "medical_lifted": 2,
            "medical_other": 1,
        },
        "new": 25,
        "assigned": 6,
        "verifying": 5,
        "closed": 8,
        "include": 3,
        "exclude": 5,
        "overdue": 0,
        "discrepancies": 7,
        "run_counts": {**hits, "income_below_line": 18, "income_drop": 10},
        "planned": hits,
        "workflow_villages": 3,
    }


@pytest.mark.django_db
def test_it_raises_every_planned_hit_and_nothing_else_from_the_feeds(loaded):
    result = loaded["result"]
    assert sorted(result["planned"]) == sorted(FEED_RULES)
    assert {rule: result["run_counts"].get(rule, 0) for rule in FEED_RULES} == result["planned"]


@pytest.mark.django_db
def test_it_uploads_one_file_per_department_with_unmatched_rows_kept(loaded):
    uploads = FeedUpload.objects.select_related("uploaded_by").order_by("pk")

    assert [(u.kind, u.uploaded_by.username) for u in uploads] == [
        (kind, "clerk" if kind == Department.MEDICAL else "officer") for kind in Department.values
    ]
    assert [(u.file_name, u.period, u.rows_total, u.rows_unmatched) for u in uploads] == [
        ("医保结算数据（20260615）.csv", "2025年7月至2026年6月", 62, 1),
        ("在校生资助信息（20260615）.csv", "2025-2026学年", 31, 1),
        ("低保特困及临时救助名单（20260615）.csv", "2025年7月至2026年6月", 18, 1),
        ("残疾人证发证信息（20260615）.csv", "截至2026年6月15日", 39, 1),
        ("农村房屋安全鉴定结果（20260615）.csv", "截至2026年6月15日", 20, 1),
        ("自然灾害受灾农户名单（20260615）.csv", "2025年7月至2026年6月", 14, 1),
        ("农村劳动力务工监测（20260615）.csv", "2026年4月至2026年6月", 37, 1),
        ("户籍变动信息（20260615）.csv", "2025年7月至2026年6月", 8, 1),
        ("财政供养人员名单（20260615）.csv", "截至2026年6月15日", 6, 1),
        ("机动车登记信息（20260615）.csv", "截至2026年6月15日", 25, 1),
        ("不动产登记信息（20260615）.csv", "截至2026年6月15日", 19, 1),
        ("市场主体登记信息（20260615）.csv", "截至2026年6月15日", 11, 1),
    ]
    for upload in uploads:
        assert upload.source == FeedUpload.Source.FILE
        assert len(upload.sha256) == 64
        rows = FeedRow.objects.filter(upload=upload)
        assert rows.count() == upload.rows_total
        assert rows.filter(household__isnull=True).count() == upload.rows_unmatched
        assert rows.filter(household__isnull=True, person__isnull=False).count() == 0
    assert not FeedRow.objects.filter(data__has_key="id_number").exists()


@pytest.mark.django_db
def test_it_runs_the_screening_once_and_leaves_the_upload_runs_queued(loaded):
    run = ScreeningRun.objects.get()
    jobs = Job.objects.filter(kind="screening.run").order_by("pk")

    assert (run.as_of, run.backend, run.trigger, run.status, run.started_by.username) == (
        TODAY,
        "duckdb",
        ScreeningRun.Trigger.MANUAL,
        ScreeningRun.Status.DONE,
        "officer",
    )
    assert run.new_warnings == Warning.objects.count()
    assert run.new_discrepancies == Discrepancy.objects.filter(source="screening").count()
    assert [(j.params["trigger"], j.status) for j in jobs] == [("feed", "queued")] * 12


@pytest.mark.django_db
def test_it_puts_the_new_discrepancies_on_the_open_cases(loaded):
    found = Discrepancy.objects.filter(source="screening")

    assert sorted(found.values_list("kind", flat=True)) == [
        "business",
        "deceased",
        "public_payroll",
        "real_estate",
        "real_estate",
        "vehicle",
        "vehicle",
    ]
    assert all(d.case is not None and d.case.is_open and d.resolved_on is None for d in found)


@pytest.mark.django_db
def test_it_takes_warnings_through_the_workflow_by_the_right_accounts(loaded):
    worked = Warning.objects.exclude(status=WarningStatus.NEW).select_related(
        "area", "assigned_by__area", "closed_by__area", "lead"
    )

    assert Counter((w.rule, w.status, w.result) for w in worked) == {
        ("disaster", "closed", "include"): 1,
        ("education_cost", "closed", "exclude"): 1,
        ("education_cost", "verifying", ""): 1,
        ("employment_loss", "closed", "exclude"): 1,
        ("housing_unsafe", "assigned", ""): 1,
        ("housing_unsafe", "verifying", ""): 1,
        ("income_below_line", "assigned", ""): 3,
        ("income_below_line", "closed", "exclude"): 2,
        ("income_below_line", "verifying", ""): 2,
        ("income_drop", "assigned", ""): 1,
        ("income_drop", "closed", "exclude"): 1,
        ("income_drop", "closed", "include"): 2,
        ("income_drop", "verifying", ""): 1,
        ("medical_lifted", "assigned", ""): 1,
    }
    for w in worked:
        assert (w.raised_on, w.assigned_on) == (TODAY, TODAY)
        assert w.assigned_by.role == Role.TOWNSHIP_OFFICER
        assert w.assigned_by.area_id == w.area.parent_id
        if w.status != WarningStatus.ASSIGNED:
            assert w.verification_started_on == TODAY
        if w.status == WarningStatus.CLOSED:
            assert (w.closed_on, w.closed_by.role, w.closed_by.area_id) == (
                TODAY,
                Role.VILLAGE_CADRE,
                w.area_id,
            )
    for w in worked.filter(result=WarningResult.INCLUDE):
        assert (w.lead.channel, w.lead.source_ref, w.lead.household_id) == (
            Channel.DEPARTMENT_WARNING,
            w.number,
            w.household_id,
        )
        has_case = Case.objects.filter(household_id=w.household_id, is_open=True).exists()
        assert w.lead.status == (LeadStatus.ATTACHED if has_case else LeadStatus.OPEN)
    for w in worked.filter(result=WarningResult.EXCLUDE):
        assert w.result_reason == EXCLUDE_REASONS[w.risk_type]
    assert not Warning.objects.exclude(status=WarningStatus.CLOSED).filter(due__lt=TODAY).exists()


@pytest.mark.django_db
def test_it_adds_nothing_when_loaded_again(loaded):
    before = write_counts()

    again = load_demo_screening()

    assert write_counts() == before
    first = {
        k: v
        for k, v in loaded["result"].items()
        if k not in ("skipped", "run_counts", "planned", "workflow_villages")
    }
    assert again == {"skipped": True, **first}


@pytest.mark.django_db
def test_it_describes_the_load_in_one_chinese_line_and_says_when_it_exists(loaded):
    assert describe(loaded["result"]) == (
        "演示部门筛查：部门数据12批290行（未匹配12行），筛查1次，预警44条：待分派25条，已分派待核实6条，"
        "核实中5条，已办结8条（纳入监测3条，不纳入5条）；疑点7条。"
    )
    out = io.StringIO()

    Command(stdout=out).load_screening()

    assert out.getvalue().splitlines() == [
        "准备演示部门筛查（部门数据上传、筛查运行、预警分派与核实）……",
        "演示部门筛查已存在，直接使用：部门数据12批290行（未匹配12行），筛查1次，预警44条：待分派25条，"
        "已分派待核实6条，核实中5条，已办结8条（纳入监测3条，不纳入5条）；疑点7条。",
    ]


@pytest.mark.django_db
def test_it_refuses_without_demo_households(loaded):
    Area.objects.filter(is_demo=True).update(is_demo=False)
    before = write_counts()

    with pytest.raises(ValidationError, match="没有演示农户"):
        load_demo_screening()

    assert write_counts() == before
