"""村内公示 and 公告 as print-ready documents: what they show, what they never show (policy rule 12), and
who may print them."""

import io
import re

import pypdf
import pytest
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions, documents
from zhenxing.cases.models import (
    Case,
    MeasureCategory,
    MeasureStatus,
    Procedure,
    PublicNotice,
    RiskType,
    Step,
    StepRecord,
)
from zhenxing.cases.tests.helpers import (
    LOW_INCOME,
    ORDER,
    D,
    open_case,
    scan,
    secure_visit,
    take,
)
from zhenxing.registry.actions import record_income
from zhenxing.registry.models import HEAD
from zhenxing.registry.tests.change_helpers import person, register

pytestmark = pytest.mark.django_db

PHONES = ("13912345678", "15807140001", "18627001234")
SENSITIVE = {
    "ID number": re.compile(r"\d{17}[\dXx]"),
    "mobile phone": re.compile(r"1[3-9]\d{9}"),
    "bank account": re.compile(r"\d{16,19}"),
    "health status": re.compile("长期慢性病|患有大病|残疾"),
}


@pytest.fixture
def household(cast, village):
    """Every member has an ID number and a phone; the head has a serious illness (患有大病)."""
    members = [
        person(1, "张三", HEAD, health="患有大病", labour_capacity="弱劳动力或半劳动力", phone=PHONES[0]),
        person(2, "李四", "配偶", female=True, health="长期慢性病", phone=PHONES[1]),
        person(3, "张小明", "之子", born=D(2005, 5, 5), health="残疾", phone=PHONES[2]),
    ]
    return register(cast["village_cadre"], village, members=members)


RISKS = dict(risk_types=[RiskType.EDUCATION, RiskType.ILLNESS], main_risk=RiskType.ILLNESS)


def identified(cast, household, stage=Step.DONE) -> Case:
    case = open_case(cast, household)
    for step in ORDER[: ORDER.index(stage)]:
        case = take(cast, case, step, **(RISKS if step == Step.HOME_CHECK else {}))
    return case


def eliminated(cast, household) -> Case:
    """Identified in March 2025 (helpers' dates), eliminated in October as `helpers.ready_for_elimination`."""
    case = identified(cast, household)
    cadre, township, county = cast["village_cadre"], cast["township_officer"], cast["district_officer"]
    actions.add_measure(
        cadre,
        case,
        actions.MeasureData(
            category=MeasureCategory.HEALTH,
            content="落实医疗救助和大病保险",
            responsible="区医保局",
            start_date=D(2025, 3, 20),
            status=MeasureStatus.DONE,
        ),
    )
    record_income(cadre, household, 2025, {**LOW_INCOME, "wage_income": "36000"})
    actions.record_visit(cadre, case, secure_visit(D(2025, 10, 10)))
    case = actions.start_elimination(cadre, case, started_on=D(2025, 10, 13))
    case = actions.record_elimination_check(cadre, case, secure_visit(D(2025, 10, 14)))
    case = actions.record_review(
        cadre,
        case,
        held_on=D(2025, 10, 15),
        attendance=12,
        votes_for=12,
        votes_against=0,
        minutes=[scan(cadre, case.area)],
    )
    actions.publish_notice(cadre, case, start=D(2025, 10, 15), end=D(2025, 10, 20))
    case = actions.township_review(township, case, approve=True, reason="", reviewed_on=D(2025, 10, 20))
    case = actions.county_decision(
        county, case, decision=actions.APPROVE, reason="", decided_on=D(2025, 10, 21)
    )
    return actions.announce(township, case, announced_on=D(2025, 10, 22))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def all_documents(case: Case) -> dict[str, str]:
    """Every document of the case as HTML and as the text of its PDF, keyed by a readable name."""
    texts = {}
    for notice in PublicNotice.objects.filter(case=case):
        html = documents.render_notice_html(notice)
        texts[f"notice {notice.procedure} html"] = html
        texts[f"notice {notice.procedure} pdf"] = pdf_text(documents.to_pdf(html))
    approvals = StepRecord.objects.filter(case=case, step=Step.COUNTY, outcome=StepRecord.Outcome.APPROVED)
    for approval in approvals:
        html = documents.render_announcement_html(case, approval)
        texts[f"announcement {approval.procedure} html"] = html
        texts[f"announcement {approval.procedure} pdf"] = pdf_text(documents.to_pdf(html))
    return texts


def flat(text: str) -> str:
    """PDF text may break a line anywhere: compare without whitespace."""
    return re.sub(r"\s+", "", text)


def test_it_never_shows_id_numbers_phones_bank_accounts_or_health(cast, household):
    case = eliminated(cast, household)
    texts = all_documents(case)
    assert sorted(texts) == [
        "announcement elimination html",
        "announcement elimination pdf",
        "announcement identification html",
        "announcement identification pdf",
        "notice elimination html",
        "notice elimination pdf",
        "notice identification html",
        "notice identification pdf",
    ]
    for name, text in texts.items():
        for what, pattern in SENSITIVE.items():
            for candidate in (text, flat(text)):
                assert pattern.search(candidate) is None, (
                    f"{name} shows a {what}: {pattern.search(candidate)}"
                )
        for phone in PHONES:
            assert phone not in flat(text)
        for member in ("李四", "张小明"):
            assert member not in text, f"{name} names a member other than the head"


def test_it_shows_the_head_village_type_and_risk_types(cast, household):
    case = eliminated(cast, household)
    for name, text in all_documents(case).items():
        text = flat(text)
        for expected in ("张三", "新港村", "边缘易致贫户", "因病、因学"):
            assert expected in text, f"{name} lacks {expected}"


def test_it_words_each_document_for_its_procedure(cast, household):
    case = eliminated(cast, household)
    texts = {name: flat(text) for name, text in all_documents(case).items() if name.endswith("pdf")}
    assert "关于拟纳入防止返贫监测对象的公示" in texts["notice identification pdf"]
    assert "公示期：2025年3月7日至2025年3月12日（共5天）" in texts["notice identification pdf"]
    assert "向新港村村民委员会或泽林镇人民政府反映" in texts["notice identification pdf"]
    assert "防止返贫监测和乡村振兴咨询服务电话12317" in texts["notice identification pdf"]
    assert texts["notice identification pdf"].endswith("新港村村民委员会2025年3月7日")
    assert "关于拟标注风险消除的公示" in texts["notice elimination pdf"]
    assert "公示期：2025年10月15日至2025年10月20日（共5天）" in texts["notice elimination pdf"]
    assert "关于防止返贫监测对象识别认定结果的公告" in texts["announcement identification pdf"]
    assert "经区级于2025年3月13日审定" in texts["announcement identification pdf"]
    assert texts["announcement identification pdf"].endswith("泽林镇人民政府2025年3月14日")
    assert "关于防止返贫监测对象风险消除结果的公告" in texts["announcement elimination pdf"]
    assert texts["announcement elimination pdf"].endswith("泽林镇人民政府2025年10月22日")


# --- the views ------------------------------------------------------------------------------------


def url(name: str, case: Case, query: str = "") -> str:
    return reverse(f"cases:{name}", kwargs={"public_id": case.public_id}) + query


def test_it_refuses_the_notice_before_it_is_published(client, cast, household):
    case = identified(cast, household, Step.NOTICE)
    client.force_login(cast["village_cadre"])
    response = client.get(url("notice_pdf", case))
    assert response.status_code == 404
    assert documents.NO_NOTICE == "本案件尚未开展村内公示，村干部发布公示后才能打印公示。"


def test_it_prints_the_notice_as_pdf_and_html(client, cast, household):
    case = identified(cast, household, Step.TOWNSHIP)
    client.force_login(cast["village_cadre"])
    audit_rows = AuditEntry.objects.count()
    response = client.get(url("notice_pdf", case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "关于拟纳入防止返贫监测对象的公示" in flat(pdf_text(response.content))
    html = client.get(url("notice_pdf", case, "?format=html"))
    assert html["Content-Type"] == "text/html; charset=utf-8"
    assert "<td>张三</td><td>新港村</td><td>边缘易致贫户</td><td>因病、因学</td>" in html.content.decode()
    assert AuditEntry.objects.count() == audit_rows  # public documents: no audit row


def test_it_refuses_the_announcement_before_county_approval(client, cast, household):
    case = identified(cast, household, Step.COUNTY)
    client.force_login(cast["township_officer"])
    assert client.get(url("announcement_pdf", case)).status_code == 404
    assert client.get(url("announcement_pdf", case, "?format=html")).status_code == 404


def test_it_prints_the_announcement_once_the_county_approved(client, cast, household):
    case = identified(cast, household, Step.ANNOUNCEMENT)
    client.force_login(cast["township_officer"])
    response = client.get(url("announcement_pdf", case))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    html = client.get(url("announcement_pdf", case, "?format=html")).content.decode()
    assert "关于防止返贫监测对象识别认定结果的公告" in html
    assert "泽林镇人民政府" in html


def test_it_prints_the_documents_of_the_procedure_asked_for(client, cast, household):
    case = eliminated(cast, household)
    client.force_login(cast["district_officer"])
    latest = client.get(url("notice_pdf", case, "?format=html")).content.decode()
    first = client.get(url("notice_pdf", case, "?format=html&procedure=identification")).content.decode()
    assert "关于拟标注风险消除的公示" in latest
    assert "关于拟纳入防止返贫监测对象的公示" in first
    announced = client.get(url("announcement_pdf", case, "?format=html&procedure=identification"))
    assert "识别认定结果的公告" in announced.content.decode()
    assert case.procedure == Procedure.ELIMINATION


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("district_admin", 200),
        ("district_officer", 200),
        ("inspector", 200),
        ("township_officer", 200),
        ("village_cadre", 200),
        ("department_clerk", 403),
        ("outside_township_officer", 404),
        ("outside_village_cadre", 404),
    ],
)
def test_it_lets_only_viewers_in_scope_print(client, cast, household, who, status):
    case = identified(cast, household, Step.ANNOUNCEMENT)
    client.force_login(cast[who])
    assert client.get(url("notice_pdf", case, "?format=html")).status_code == status
    assert client.get(url("announcement_pdf", case, "?format=html")).status_code == status
