"""The demo district's monitoring cases, loaded once for this module: a 700-household demo registry over
the cast's 新港村 and 杜山村 and a 新庙村 without any account, on a fixed day (2026-06-15, a Monday)."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from conftest import make_user
from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions
from zhenxing.cases.demo import describe, load_demo_cases
from zhenxing.cases.models import (
    CARRIED_OUT,
    IDENTIFICATION_STEPS,
    VILLAGE_STEPS,
    Case,
    CaseStatus,
    Channel,
    Discrepancy,
    Lead,
    LeadStatus,
    Measure,
    MeasureCategory,
    MonitoringType,
    Objection,
    Procedure,
    Step,
    StepRecord,
    Visit,
)
from zhenxing.cases.rules import NO_LABOUR_REASON, has_labour, months_between
from zhenxing.lib.workdays import add_working_days
from zhenxing.registry.demo import load_demo_registry
from zhenxing.registry.models import Household, HouseholdKind, IncomeYear, MonitoringStatus

# One worker loads this module's demo once (a module fixture would load on every worker that runs a test).
pytestmark = pytest.mark.xdist_group("demo")


TODAY = datetime.date(2026, 6, 15)
PASSWORD = "Zhenxing@2024"
LINE = Decimal("8300.00")
CONSENT, HOME_CHECK, COMPARISON, REVIEW, NOTICE, TOWNSHIP, COUNTY, ANNOUNCEMENT, DONE = (
    *IDENTIFICATION_STEPS,
    Step.DONE,
)
ID, EL = Procedure.IDENTIFICATION, Procedure.ELIMINATION


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
        make_user("zelin", Role.TOWNSHIP_OFFICER, Area.objects.get(code="420704100"))
        make_user("xingang", Role.VILLAGE_CADRE, Area.objects.get(code="420704100201"))
        make_user("dushan", Role.TOWNSHIP_OFFICER, Area.objects.get(code="420704101"))
        make_user("dushancun", Role.VILLAGE_CADRE, Area.objects.get(code="420704101201"))
        load_demo_registry(admin, 700)
        result = load_demo_cases(admin, PASSWORD)
        yield {"admin": admin, "result": result}
        transaction.set_rollback(True)


def latest_income(household, year: int = 9999) -> IncomeYear:
    return IncomeYear.objects.filter(household=household, year__lte=year).order_by("-year").first()


def write_counts() -> dict:
    models = (Case, Lead, StepRecord, Measure, Visit, Discrepancy, Objection, IncomeYear, User, AuditEntry)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_it_refuses_without_demo_households(loaded):
    Area.objects.filter(is_demo=True).update(is_demo=False)
    before = write_counts()

    with pytest.raises(ValidationError, match="没有演示农户"):
        load_demo_cases(loaded["admin"], PASSWORD)

    assert write_counts() == before


@pytest.mark.django_db
def test_it_loads_exact_counts_for_the_fixed_seed(loaded):
    assert loaded["result"] == {
        "skipped": False,
        "leads": 50,
        "open_leads": 6,
        "cases": 41,
        "identifying": 20,
        "monitored": 9,
        "eliminating": 6,
        "eliminated": 4,
        "rejected": 2,
        "measures": 48,
        "visits": 154,
        "villages": 3,
        "accounts": ["cun102201", "xinmiao"],
    }
    assert describe(loaded["result"]) == (
        "演示监测案件：风险线索50条（待处理6条），案件41件：识别认定中20件，监测帮扶中9户，风险消除程序中6户，"
        "风险已消除4户，未纳入监测2件；帮扶措施48项，走访154次；新建演示干部账号2个（cun102201、xinmiao，密码同上）。"
    )


@pytest.mark.django_db
def test_it_puts_cases_at_every_stage_of_both_procedures(loaded):
    stages = Counter(Case.objects.values_list("status", "procedure", "stage"))

    assert stages == {
        (CaseStatus.IDENTIFYING, ID, CONSENT): 2,
        (CaseStatus.IDENTIFYING, ID, HOME_CHECK): 2,
        (CaseStatus.IDENTIFYING, ID, COMPARISON): 2,
        (CaseStatus.IDENTIFYING, ID, REVIEW): 3,  # with the green channel
        (CaseStatus.IDENTIFYING, ID, NOTICE): 3,  # with the one returned by the township
        (CaseStatus.IDENTIFYING, ID, TOWNSHIP): 3,  # with the unanswered objection
        (CaseStatus.IDENTIFYING, ID, COUNTY): 3,  # with the unresolved 疑点
        (CaseStatus.IDENTIFYING, ID, ANNOUNCEMENT): 2,
        (CaseStatus.REJECTED, ID, DONE): 2,
        (CaseStatus.MONITORED, ID, DONE): 8,
        (CaseStatus.MONITORED, EL, DONE): 1,  # rolled back
        (CaseStatus.ELIMINATING, EL, HOME_CHECK): 1,
        (CaseStatus.ELIMINATING, EL, REVIEW): 1,
        (CaseStatus.ELIMINATING, EL, NOTICE): 1,
        (CaseStatus.ELIMINATING, EL, TOWNSHIP): 1,
        (CaseStatus.ELIMINATING, EL, COUNTY): 1,
        (CaseStatus.ELIMINATING, EL, ANNOUNCEMENT): 1,
        (CaseStatus.ELIMINATED, EL, DONE): 4,
    }
    assert Counter(Case.objects.values_list("monitoring_type", flat=True)) == {
        "": 4,  # not yet at the home check
        MonitoringType.UNSTABLE_LIFTED: 2,
        MonitoringType.MARGINAL: 24,
        MonitoringType.SUDDEN_HARDSHIP: 11,
    }
    assert Counter(Case.objects.values_list("area__code", flat=True)) == {
        "420704100201": 16,
        "420704101201": 9,
        "420704102201": 16,
    }


@pytest.mark.django_db
def test_it_records_leads_from_every_channel(loaded):
    leads = Counter(Lead.objects.values_list("channel", "status"))

    assert leads == {
        (Channel.SELF_DECLARED, LeadStatus.OPEN): 2,
        (Channel.SELF_DECLARED, LeadStatus.CASE_OPENED): 16,
        (Channel.CADRE_VISIT, LeadStatus.OPEN): 2,
        (Channel.CADRE_VISIT, LeadStatus.NOT_RISK): 2,
        (Channel.CADRE_VISIT, LeadStatus.CASE_OPENED): 17,
        (Channel.DEPARTMENT_WARNING, LeadStatus.OPEN): 2,
        (Channel.DEPARTMENT_WARNING, LeadStatus.CASE_OPENED): 8,
        (Channel.DEPARTMENT_WARNING, LeadStatus.ATTACHED): 1,
    }
    assert all(lead.closed_reason for lead in Lead.objects.filter(status=LeadStatus.NOT_RISK))


@pytest.mark.django_db
def test_it_makes_one_step_of_each_kind_overdue_and_keeps_the_rest_on_time(loaded):
    late_steps = Case.objects.filter(is_open=True, stage_due__lt=TODAY).values_list("procedure", "stage")
    open_leads = Lead.objects.filter(status=LeadStatus.OPEN)
    late_leads = [lead.channel for lead in open_leads if add_working_days(lead.found_on, 3) < TODAY]

    assert Counter(late_steps) == {(ID, stage): 1 for stage in IDENTIFICATION_STEPS}
    assert Counter(late_leads) == {channel: 1 for channel in Channel.values}


@pytest.mark.django_db
def test_it_leaves_some_visits_overdue(loaded):
    overdue = []
    for case in Case.objects.filter(status__in=(CaseStatus.MONITORED, CaseStatus.ELIMINATING)):
        last = case.visits.order_by("-visited_on").values_list("visited_on", flat=True).first()
        if (TODAY - max(last or case.announced_on, case.announced_on)).days > 30:
            overdue.append(case.pk)

    assert len(overdue) == 1
    assert Visit.objects.filter(is_verification=True).count() == 39


@pytest.mark.django_db
def test_it_types_every_case_by_household_kind_and_registry_income(loaded):
    for case in Case.objects.exclude(monitoring_type="").select_related("household"):
        assert case.main_risk in case.risk_types
        assert case.assessment_line == LINE
        if case.monitoring_type == MonitoringType.SUDDEN_HARDSHIP:
            assert case.sudden_event and case.sudden_amount > 0
            continue
        assert (case.household.kind == HouseholdKind.LIFTED) == (
            case.monitoring_type == MonitoringType.UNSTABLE_LIFTED
        )
        assert case.assessed_per_capita < LINE
        assert IncomeYear.objects.filter(
            household=case.household, net_income_per_capita=case.assessed_per_capita
        ).exists()


@pytest.mark.django_db
def test_it_eliminates_only_households_that_meet_the_criteria(loaded):
    eliminated = Case.objects.filter(status=CaseStatus.ELIMINATED).select_related("household")

    for case in eliminated:
        started = case.elimination_started_on
        assert months_between(case.identified_on, TODAY) >= 7
        assert months_between(case.identified_on, started) >= 6
        assert latest_income(case.household, started.year).net_income_per_capita > LINE
        assert case.measures.filter(status__in=CARRIED_OUT, start_date__lte=started).exists()
        assert has_labour(case.household)
        assert case.eliminated_on <= TODAY
    statuses = Counter(case.household.monitoring_status for case in eliminated)
    assert statuses == {MonitoringStatus.ELIMINATED: 3, MonitoringStatus.MONITORED: 1}  # one relapsed


@pytest.mark.django_db
def test_it_rolls_back_one_elimination_and_links_one_relapse(loaded):
    rolled_back = Case.objects.get(rollbacks=1)
    relapse = Case.objects.select_related("previous_case").get(is_relapse=True)

    assert (rolled_back.status, rolled_back.eliminated_on) == (CaseStatus.MONITORED, None)
    assert rolled_back.measures.filter(category=MeasureCategory.SAFETY_NET, status="in_progress").exists()
    assert relapse.previous_case.status == CaseStatus.ELIMINATED
    assert relapse.previous_case.household_id == relapse.household_id
    assert relapse.status == CaseStatus.MONITORED
    assert relapse.household.monitoring_status == MonitoringStatus.MONITORED


@pytest.mark.django_db
def test_it_shows_a_return_an_objection_a_discrepancy_and_the_green_channel(loaded):
    returned = Case.objects.get(last_return_step=Step.TOWNSHIP)
    objection = Objection.objects.select_related("notice__case").get()
    held = Discrepancy.objects.select_related("case").get(resolved_on__isnull=True)
    green = Case.objects.get(green_channel=True)

    assert (returned.stage, returned.last_return_reason) == (
        NOTICE,
        "评议会议记录缺少参会人员签名，请补齐签名后重新报送",
    )
    assert (objection.notice.case.stage, objection.answered_on) == (TOWNSHIP, None)
    assert (held.case.stage, held.kind) == (COUNTY, "public_payroll")
    assert (green.status, green.stage) == (CaseStatus.IDENTIFYING, REVIEW)
    assert list(green.measures.values_list("before_approval", "category")) == [(True, "safety_net")]
    rejected = Case.objects.filter(status=CaseStatus.REJECTED).order_by("closed_reason")
    assert [case.closed_reason[:6] for case in rejected] == ["民主评议未通", "经比对核实，"]


@pytest.mark.django_db
def test_it_keeps_a_household_without_labour_monitored_on_the_safety_net(loaded):
    cases = [c for c in Case.objects.filter(status=CaseStatus.MONITORED) if not has_labour(c.household)]
    before = write_counts()

    assert len(cases) == 1
    assert set(cases[0].measures.values_list("category", flat=True)) == {
        MeasureCategory.SAFETY_NET,
        MeasureCategory.HEALTH,
    }
    cadre = User.objects.get(role=Role.VILLAGE_CADRE, area=cases[0].area)
    with pytest.raises(ValidationError) as refused:
        actions.start_elimination(cadre, cases[0], started_on=TODAY)
    assert refused.value.messages == [NO_LABOUR_REASON]
    assert write_counts() == before


@pytest.mark.django_db
def test_it_has_every_step_taken_by_someone_allowed_who_approves_nothing_they_took(loaded):
    for record in StepRecord.objects.select_related("actor__area", "case__area"):
        actor, area = record.actor, record.case.area
        if record.step in VILLAGE_STEPS:
            assert (actor.role, actor.area) == (Role.VILLAGE_CADRE, area)
        elif record.step in (Step.TOWNSHIP, Step.ANNOUNCEMENT):
            assert (actor.role, actor.area) == (Role.TOWNSHIP_OFFICER, area.parent)
        else:
            assert (actor.role, actor.area.level) == (Role.DISTRICT_OFFICER, Level.COUNTY)
        if record.step in (Step.TOWNSHIP, Step.COUNTY):
            village = StepRecord.objects.filter(
                case=record.case, procedure=record.procedure, round=record.round, step__in=VILLAGE_STEPS
            )
            assert not village.filter(actor=actor).exists()
    for case in Case.objects.filter(status__in=(CaseStatus.MONITORED, CaseStatus.ELIMINATED)):
        assert (case.cadre.role, case.cadre.area) == (Role.VILLAGE_CADRE, case.area)


@pytest.mark.django_db
def test_it_dates_everything_in_the_past(loaded):
    assert not Lead.objects.filter(found_on__gt=TODAY).exists()
    assert not Case.objects.filter(opened_on__gt=TODAY).exists()
    assert not StepRecord.objects.filter(acted_on__gt=TODAY).exists()
    assert not Measure.objects.filter(start_date__gt=TODAY).exists()
    assert not Visit.objects.filter(visited_on__gt=TODAY).exists()
    # Only a running notice ends in the future: its case waits for the township.
    running = Case.objects.filter(notices__end__gt=TODAY)
    assert list(running.values_list("stage", flat=True)) == [TOWNSHIP]


@pytest.mark.django_db
def test_it_creates_the_missing_staff_accounts_through_the_accounts_actions(loaded):
    for username, role, code in (
        ("cun102201", Role.VILLAGE_CADRE, "420704102201"),
        ("xinmiao", Role.TOWNSHIP_OFFICER, "420704102"),
    ):
        user = User.objects.get(username=username)
        assert (user.role, user.area.code, user.must_change_password) == (role, code, False)
        assert user.check_password(PASSWORD)
        assert AuditEntry.objects.filter(action="create_user", object_id=str(user.pk)).count() == 1


@pytest.mark.django_db
def test_it_adds_nothing_when_loaded_again(loaded):
    before = write_counts()

    result = load_demo_cases(loaded["admin"], PASSWORD)

    assert write_counts() == before
    assert result["skipped"] is True
    assert (result["cases"], result["leads"]) == (41, 50)
    assert describe(result).startswith("演示监测案件已存在，直接使用：风险线索50条")
    # 9 monitored, 6 in the elimination procedure (still monitored until it is announced)
    assert Household.objects.filter(monitoring_status=MonitoringStatus.MONITORED).count() == 15
