"""The warning workflow (new → assigned → verifying → closed), its refusals, the pages and the to-dos."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.cases.models import Channel, Lead, LeadStatus
from zhenxing.cases.tests.helpers import open_case
from zhenxing.screening import todos
from zhenxing.screening.actions import assign_warning, close_warning, start_verification
from zhenxing.screening.actions.warnings import explanation
from zhenxing.screening.models import Warning
from zhenxing.screening.tests.run_helpers import DUE, RUN_DAY, D, lifted, medical, push, refused, run

pytestmark = pytest.mark.django_db
EXPLANATION = "脱贫户和监测户医疗个人自付（因病）：2024-04-01至2025-03-31个人自付医疗费用合计6000.00元，达到预警线5000.00元。"


@pytest.fixture
def household(cast, village):
    return lifted(cast, village)


@pytest.fixture
def warning(cast, household):
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    return Warning.objects.get()


def assigned(cast, warning):
    return assign_warning(cast["township_officer"], warning, D(2025, 4, 2))


def verifying(cast, warning):
    return start_verification(cast["village_cadre"], assigned(cast, warning), D(2025, 4, 3))


def last_audit():
    return AuditEntry.objects.order_by("-id").values_list("action", "actor__username", "changes").first()


# --- actions ------------------------------------------------------------------------------------------


def test_it_explains_the_warning(warning):
    assert explanation(warning) == EXPLANATION


def test_it_assigns_a_warning_as_the_township(cast, warning):
    warning = assigned(cast, warning)

    assert (warning.status, warning.assigned_on, warning.assigned_by) == (
        "assigned",
        D(2025, 4, 2),
        cast["township_officer"],
    )
    assert last_audit() == (
        "screening.assign_warning",
        "zelin",
        {"status": ["new", "assigned"], "assigned_on": "2025-04-02"},
    )


def test_it_lets_the_district_assign_too(cast, warning):
    assert assign_warning(cast["district_officer"], warning, D(2025, 4, 2)).status == "assigned"


def test_it_refuses_to_assign_outside_the_township(cast, warning):
    with refused("“鄂城区泽林镇新港村”不在您的管辖范围内，不能办理该预警", warning):
        assign_warning(cast["outside_township_officer"], warning, D(2025, 4, 2))


@pytest.mark.parametrize("role", ["village_cadre", "inspector", "department_clerk"])
def test_it_refuses_to_assign_to_other_roles(cast, warning, role):
    message = "预警由农户所在乡镇（街道）干部或区级业务人员分派，您的角色不能分派"
    with refused(message, warning, PermissionDenied):
        assign_warning(cast[role], warning, D(2025, 4, 2))


def test_it_refuses_to_assign_twice(cast, warning):
    warning = assigned(cast, warning)
    message = f"预警{warning.number}当前为“已分派待核实”，只有“待分派”的预警可以分派，请刷新页面"
    with refused(message, warning):
        assign_warning(cast["township_officer"], warning, D(2025, 4, 2))


def test_it_refuses_an_assignment_before_the_warning_was_raised(cast, warning):
    with refused("分派日期不能早于预警下发日期（2025-04-01）", warning):
        assign_warning(cast["township_officer"], warning, D(2025, 3, 31))


def test_it_starts_verification_in_the_village(cast, warning):
    warning = verifying(cast, warning)

    assert (warning.status, warning.verification_started_on) == ("verifying", D(2025, 4, 3))
    assert last_audit() == (
        "screening.start_verification",
        "xingang",
        {"status": ["assigned", "verifying"], "started_on": "2025-04-03"},
    )


def test_it_refuses_verification_before_assignment(cast, warning):
    message = f"预警{warning.number}当前为“待分派”，只有“已分派待核实”的预警可以开始核实，请刷新页面"
    with refused(message, warning):
        start_verification(cast["village_cadre"], warning, D(2025, 4, 3))


def test_it_refuses_verification_outside_the_village(cast, warning):
    warning = assigned(cast, warning)
    with refused("“鄂城区泽林镇新港村”不在您的管辖范围内，不能办理该预警", warning):
        start_verification(cast["outside_village_cadre"], warning, D(2025, 4, 3))


def test_it_refuses_verification_to_the_district(cast, warning):
    warning = assigned(cast, warning)
    with refused("预警由村干部或乡镇（街道）干部入户核实，您的角色不能办理", warning, PermissionDenied):
        start_verification(cast["district_officer"], warning, D(2025, 4, 3))


def test_it_refuses_to_exclude_without_a_reason(cast, warning):
    warning = verifying(cast, warning)
    with refused("不纳入监测须填写理由，请写明核实的情况", warning):
        close_warning(cast["village_cadre"], warning, result="exclude", reason="  ", closed_on=D(2025, 4, 7))


def test_it_excludes_with_a_reason(cast, warning):
    warning = verifying(cast, warning)

    warning = close_warning(
        cast["village_cadre"],
        warning,
        result="exclude",
        reason="已获大病保险二次报销，收入稳定",
        closed_on=D(2025, 4, 7),
    )

    assert (warning.status, warning.result, warning.closed_on, warning.closed_by, warning.lead) == (
        "closed",
        "exclude",
        D(2025, 4, 7),
        cast["village_cadre"],
        None,
    )
    assert Lead.objects.count() == 0
    assert last_audit() == (
        "screening.close_warning",
        "xingang",
        {
            "status": ["verifying", "closed"],
            "result": "exclude",
            "closed_on": "2025-04-07",
            "reason": "已获大病保险二次报销，收入稳定",
        },
    )


def test_it_includes_a_warning_as_a_lead_on_the_household(cast, household, warning):
    warning = verifying(cast, warning)

    warning = close_warning(
        cast["village_cadre"], warning, result="include", reason="", closed_on=D(2025, 4, 7)
    )

    lead = Lead.objects.get()
    assert warning.lead == lead
    assert (lead.household, lead.channel, lead.source_ref, lead.status) == (
        household,
        Channel.DEPARTMENT_WARNING,
        warning.number,
        LeadStatus.OPEN,
    )
    assert (lead.description, lead.risk_types, lead.found_on) == (EXPLANATION, ["illness"], D(2025, 4, 7))
    assert last_audit()[0] == "screening.close_warning"
    assert last_audit()[2]["lead"] == lead.number


def test_it_attaches_the_lead_to_the_household_s_open_case(cast, household):
    case = open_case(cast, household)
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    warning = verifying(cast, Warning.objects.get())

    close_warning(cast["village_cadre"], warning, result="include", reason="", closed_on=D(2025, 4, 7))

    lead = Lead.objects.get(channel=Channel.DEPARTMENT_WARNING)
    assert (lead.status, lead.case) == (LeadStatus.ATTACHED, case)


def test_it_refuses_to_close_before_verification(cast, warning):
    warning = assigned(cast, warning)
    message = f"预警{warning.number}当前为“已分派待核实”，只有“核实中”的预警可以办结，请刷新页面"
    with refused(message, warning):
        close_warning(cast["village_cadre"], warning, result="include", reason="", closed_on=D(2025, 4, 7))


def test_it_refuses_a_closing_date_in_the_future(cast, warning):
    warning = verifying(cast, warning)
    with refused("办结日期不能晚于今天", warning):
        close_warning(cast["village_cadre"], warning, result="include", reason="", closed_on=D(2999, 1, 1))


# --- pages --------------------------------------------------------------------------------------------


def test_it_lists_the_warnings_in_scope(client, cast, warning):
    client.force_login(cast["township_officer"])
    response = client.get(reverse("screening:warning_list"))
    assert [w.number for w, _ in response.context["rows"]] == [warning.number]

    client.force_login(cast["outside_township_officer"])
    assert list(client.get(reverse("screening:warning_list")).context["rows"]) == []


def test_it_filters_warnings(client, cast, warning):
    client.force_login(cast["district_officer"])
    url = reverse("screening:warning_list")
    assert len(client.get(url, {"status": "new", "rule": "medical_lifted"}).context["rows"]) == 1
    assert len(client.get(url, {"status": "closed"}).context["rows"]) == 0
    assert len(client.get(url, {"department": "education"}).context["rows"]) == 0
    assert len(client.get(url, {"overdue": "on"}).context["rows"]) == 1  # due 2025-04-09, long past
    assert len(client.get(url, {"q": "H001"}).context["rows"]) == 1
    assert len(client.get(url, {"village": "420704101201"}).context["rows"]) == 0


def test_it_refuses_the_list_to_a_clerk(client, cast, warning):
    client.force_login(cast["department_clerk"])
    assert client.get(reverse("screening:warning_list")).status_code == 403


def test_it_exports_the_list_as_xlsx(client, cast, warning):
    client.force_login(cast["township_officer"])

    response = client.get(reverse("screening:warning_list"), {"export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == [
        ["预警编号", "规则", "户编号", "姓名", "公民身份号码", "风险类型", "状态", "期间", "核实结果"],
        [
            warning.number,
            "脱贫户和监测户医疗个人自付",
            "H001",
            "张三",
            warning.person.id_masked,
            "因病",
            "待分派",
            "2025",
            None,
        ],
    ]


def test_it_shows_why_with_masked_feed_rows(client, cast, warning):
    client.force_login(cast["village_cadre"])

    response = client.get(reverse("screening:warning_detail", args=[warning.number]))

    page = response.content.decode()
    assert EXPLANATION in page
    assert warning.person.id_masked in page
    assert "个人自付" in page and "6000.00" in page
    assert response.context["may_assign"] is False
    assert response.context["colour"] == "red"


def test_it_shows_the_last_run_that_saw_the_warning(client, cast, warning):
    client.force_login(cast["village_cadre"])
    url = reverse("screening:warning_detail", args=[warning.number])
    first = f"<dt>最近命中</dt><dd>{RUN_DAY:%Y-%m-%d}的筛查（基准日 2025-03-31）</dd>"
    assert first in client.get(url).content.decode()

    run(cast, as_of=D(2025, 4, 30), day=D(2025, 5, 6))

    page = client.get(url).content.decode()
    assert "<dt>最近命中</dt><dd>2025-05-06的筛查（基准日 2025-04-30）</dd>" in page
    assert first not in page


def test_it_hides_a_warning_outside_the_scope(client, cast, warning):
    client.force_login(cast["outside_village_cadre"])
    assert client.get(reverse("screening:warning_detail", args=[warning.number])).status_code == 404


def test_it_assigns_through_the_page(client, cast, warning):
    client.force_login(cast["township_officer"])

    response = client.post(
        reverse("screening:warning_assign", args=[warning.number]), {"assigned_on": "2025-04-02"}
    )

    assert response.status_code == 302
    assert Warning.objects.get().status == "assigned"


def test_it_shows_a_refusal_on_the_page(client, cast, warning):
    client.force_login(cast["village_cadre"])
    before = AuditEntry.objects.count()

    response = client.post(
        reverse("screening:warning_verify", args=[warning.number]), {"started_on": "2025-04-03"}
    )

    assert response.status_code == 422
    assert f"预警{warning.number}当前为“待分派”" in response.content.decode()
    assert (Warning.objects.get().status, AuditEntry.objects.count()) == ("new", before)


def test_it_answers_403_to_a_role_that_may_not_assign(client, cast, warning):
    client.force_login(cast["village_cadre"])
    response = client.post(
        reverse("screening:warning_assign", args=[warning.number]), {"assigned_on": "2025-04-02"}
    )
    assert response.status_code == 403
    assert Warning.objects.get().status == "new"


def test_it_closes_through_the_page(client, cast, warning):
    verifying(cast, warning)
    client.force_login(cast["village_cadre"])

    response = client.post(
        reverse("screening:warning_close", args=[warning.number]),
        {"result": "include", "reason": "", "closed_on": "2025-04-07"},
    )

    assert response.status_code == 302
    assert Lead.objects.get().source_ref == warning.number


# --- to-dos -------------------------------------------------------------------------------------------


def test_it_lists_new_warnings_for_the_township(cast, warning):
    items = todos.warnings_to_assign(cast["township_officer"], today=D(2025, 4, 10))

    assert [(i.title, i.due, i.days_overdue) for i in items] == [
        (f"预警{warning.number} 张三户：脱贫户和监测户医疗个人自付，请分派到村核实", DUE, 1)
    ]
    assert todos.warnings_to_assign(cast["outside_township_officer"], today=D(2025, 4, 10)) == []
    assert todos.warnings_to_verify(cast["village_cadre"], today=D(2025, 4, 10)) == []


def test_it_lists_assigned_warnings_for_the_village(cast, warning):
    assigned(cast, warning)

    items = todos.warnings_to_verify(cast["village_cadre"], today=RUN_DAY + datetime.timedelta(days=1))

    assert [(i.title, i.days_overdue, i.category) for i in items] == [
        (f"预警{warning.number} 张三户：脱贫户和监测户医疗个人自付，请入户核实", 0, "部门筛查预警")
    ]
    assert todos.warnings_to_assign(cast["township_officer"], today=D(2025, 4, 10)) == []


def test_it_raises_a_household_warning_from_the_income_ledger(client, cast, village):
    from zhenxing.cases.tests.helpers import LOW_INCOME
    from zhenxing.registry.actions import record_income
    from zhenxing.screening.tests.run_helpers import ordinary

    household = ordinary(cast, village)
    record_income(cast["village_cadre"], household, 2024, LOW_INCOME)  # 15,900 / 2 = 7,950 < 8,300
    run(cast)

    warning = Warning.objects.get()
    assert (warning.rule, warning.period, warning.person, warning.department) == (
        "income_below_line",
        "2024",
        None,
        "",
    )
    assert warning.values == {"年度": "2024", "人均纯收入": "7950.00", "监测范围": "8300.00"}
    assert warning.feed_rows.count() == 0
    client.force_login(cast["township_officer"])
    response = client.get(reverse("screening:warning_detail", args=[warning.number]))
    assert response.context["values"] == [
        ("年度", "2024"),
        ("人均纯收入", "7950.00"),
        ("监测范围", "8300.00"),
    ]
    assert "本预警按户的收入台账判断" in response.content.decode()
    assert response.context["who"] == household.head


def test_it_shows_the_households_warnings_on_the_case_timeline(cast, village):
    from zhenxing.cases.tests.helpers import open_case
    from zhenxing.cases.timeline import timeline

    household = lifted(cast, village)
    case = open_case(cast, household)
    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    warning = Warning.objects.get()

    entries = [e for e in timeline(case) if e.label == "部门筛查预警"]
    assert [(e.day, e.text, e.url, e.tone) for e in entries] == [
        (
            RUN_DAY,
            f"{warning.number} 脱贫户和监测户医疗个人自付（因病）：待分派，核实期限2025-04-09",
            f"/screening/warnings/{warning.number}/",
            "red",
        )
    ]
