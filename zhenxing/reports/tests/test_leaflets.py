"""明白纸 of one household: what the PDFs say (text extracted from the rendered PDF), what they never say
(ID numbers, household phones, bank accounts, health status, other members), and who may print them."""

import io
import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions as case_actions
from zhenxing.cases.models import Case, MeasureCategory, MeasureStatus, RiskType
from zhenxing.cases.tests.helpers import D, monitored
from zhenxing.policy.actions import save_policy
from zhenxing.registry.models import HEAD, Household
from zhenxing.registry.tests.change_helpers import person, register, second_village
from zhenxing.reports.leaflets import content, render
from zhenxing.reports.models import LeafletKind

pytestmark = pytest.mark.django_db

HOUSEHOLD_PHONES = ("13912345678", "15807140001", "18627001234")
CADRE_PHONE = "0711-3201234"  # 帮扶责任人 xingang's work phone
SECOND_CADRE_PHONE = "13807110000"  # the village's other cadre account: a mobile work phone
STAFF_MOBILES = {SECOND_CADRE_PHONE}
SENSITIVE = {
    "ID number": re.compile(r"\d{17}[\dXx]"),
    "mobile phone": re.compile(r"1[3-9]\d{9}"),
    "bank account": re.compile(r"\d{16,19}"),
    "health status": re.compile("长期慢性病|患有大病|残疾"),
}
PORTAL = "https://fpjc.echeng.gov.cn/portal/"


def flat(text: str) -> str:
    """PDF text may break a line anywhere: compare without whitespace."""
    return re.sub(r"\s+", "", text)


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def assert_nothing_sensitive(text: str, id_numbers: list[str]) -> None:
    for candidate in (text, flat(text)):
        for what, pattern in SENSITIVE.items():
            found = [m for m in pattern.findall(candidate) if m not in STAFF_MOBILES]
            assert found == [], f"the leaflet shows a {what}: {found}"
    for number in (*HOUSEHOLD_PHONES, *id_numbers):
        assert number not in flat(text)
    for member in ("李四", "张小明"):
        assert member not in text, "the leaflet names a member other than the head"


def leaflet(kind: str, household: Household, **edition) -> tuple[str, list[str]]:
    """The leaflet as HTML and as the text of each page of its PDF."""
    edition = content.Edition.of(kind, timezone.localdate())
    household = Household.objects.select_related(*content.HOUSEHOLD_RELATED).get(pk=household.pk)
    pages = content.pages_for(edition, [household])
    return render.render_html(edition, pages), pdf_pages(render.to_pdf(edition, pages))


@pytest.fixture
def household(cast, village):
    return make_household(cast, village)


def make_household(cast, village) -> Household:
    """张三's household of 新港村: every member has an ID number and a phone; the head has a serious
    illness (患有大病). 新港村 has two village-cadre accounts with work phones."""
    cast["village_cadre"].phone = CADRE_PHONE
    cast["village_cadre"].full_name = "胡村干"
    cast["village_cadre"].save(update_fields=["phone", "full_name"])
    second = User(username="xingang2", full_name="吴委员", role=Role.VILLAGE_CADRE, area=village)
    second.phone = SECOND_CADRE_PHONE
    second.save()
    members = [
        person(
            1,
            "张三",
            HEAD,
            health="患有大病",
            labour_capacity="弱劳动力或半劳动力",
            phone=HOUSEHOLD_PHONES[0],
        ),
        person(2, "李四", "配偶", female=True, health="长期慢性病", phone=HOUSEHOLD_PHONES[1]),
        person(3, "张小明", "之子", born=D(2005, 5, 5), health="残疾", phone=HOUSEHOLD_PHONES[2]),
    ]
    return register(cast["village_cadre"], village, members=members)


def id_numbers() -> list[str]:
    from zhenxing.lib.personal import decrypt
    from zhenxing.registry.models import Person

    return [decrypt(p.id_number_encrypted) for p in Person.objects.all()]


def monitored_with_measures(cast, household, measures=None) -> Case:
    """Monitored since 2025-03-13 (边缘易致贫户, 因病), risks 因病 and 因学, xingang as 帮扶责任人."""
    case = monitored(cast, household)
    Case.objects.filter(pk=case.pk).update(risk_types=[RiskType.EDUCATION, RiskType.ILLNESS])
    cadre = cast["village_cadre"]
    case_actions.assign_cadre(cadre, case, cadre, assigned_on=D(2025, 3, 14))
    for category, text, responsible, status in measures or [
        (MeasureCategory.HEALTH, "落实医保参保资助和医疗救助", "区医保局", MeasureStatus.DONE),
        (MeasureCategory.EDUCATION, "落实高中学生资助", "区教育局", MeasureStatus.IN_PROGRESS),
        (MeasureCategory.SOCIAL, "爱心企业结对帮扶", "某公司", MeasureStatus.STOPPED),
    ]:
        data = case_actions.MeasureData(
            category=category, content=text, responsible=responsible, start_date=D(2025, 3, 20), status=status
        )
        case_actions.add_measure(cadre, case, data)
    return Case.objects.get(pk=case.pk)


def test_it_prints_the_declaration_leaflet_with_the_households_content(cast, household):
    html, pages = leaflet(LeafletKind.DECLARATION, household)
    assert len(pages) == 1
    text = flat(pages[0])
    year = timezone.localdate().year
    for expected in (
        "防止返贫监测申报政策明白纸",
        "户主张三所在村泽林镇新港村",
        "张三户：",
        f"{year}年防止返贫监测范围为家庭年人均纯收入8300元",
        "农户自主申报",
        "基层干部排查",
        "部门筛查预警",
        "村内公示（不少于5天）",
        "一般不超过15天",
        "咨询申报电话：防止返贫监测和乡村振兴咨询服务电话12317",
        f"村联系人：胡村干（联系电话：{CADRE_PHONE}）、吴委员（联系电话：{SECOND_CADRE_PHONE}）",
        "乡镇（街道）：泽林镇人民政府",
        "网上申报：暂未开通，请向新港村村民委员会或泽林镇人民政府申报，也可拨打12317。",
        f"鄂城区乡村振兴局泽林镇人民政府{year}年{timezone.localdate().month}月印制",
    ):
        assert expected in text, expected
    assert "帮扶责任人：" not in text  # no open case, so no cadre of its own
    assert "data:image/svg+xml" not in html
    assert_nothing_sensitive(pages[0], id_numbers())
    assert_nothing_sensitive(html, id_numbers())


def test_it_prints_the_assistance_leaflet_of_a_monitored_household(cast, household):
    monitored_with_measures(cast, household)
    html, pages = leaflet(LeafletKind.ASSISTANCE, household)
    assert len(pages) == 1
    text = flat(pages[0])
    for expected in (
        "防止返贫监测帮扶政策明白纸",
        "户主张三所在村泽林镇新港村监测对象类型边缘易致贫户",
        "您家于2025年3月13日纳入防止返贫监测对象，监测对象类型为“边缘易致贫户”，主要风险为因病、因学。",
        f"帮扶责任人为胡村干（联系电话：{CADRE_PHONE}）",
        "（1）健康帮扶：落实医保参保资助和医疗救助（区医保局，2025年3月起，已落实）",
        "（2）教育帮扶：落实高中学生资助（区教育局，2025年3月起，实施中）",
        "（1）健康帮扶：落实医保参保资助、大病保险和医疗救助，减轻合规自付医疗费用。",
        "（2）教育帮扶：落实学生资助，防止因学返贫、因学辍学。",
        "纳入监测满6个月",
        "年人均纯收入稳定超过当年防止返贫监测范围",
        f"帮扶责任人：胡村干（联系电话：{CADRE_PHONE}）",
    ):
        assert expected in text, expected
    assert "爱心企业结对帮扶" not in text  # a stopped measure is not printed
    assert_nothing_sensitive(pages[0], id_numbers())
    assert_nothing_sensitive(html, id_numbers())
    # The declaration leaflet of a monitored household names its cadre too.
    _, [declaration] = leaflet(LeafletKind.DECLARATION, household)
    assert f"帮扶责任人：胡村干（联系电话：{CADRE_PHONE}）" in flat(declaration)


def test_it_fits_the_most_measures_on_one_page_and_hides_numbers_typed_into_them(cast, household):
    long_text = "按照一户一策落实产业奖补和技术指导，联系电话13912345678，" + "帮扶" * 40
    measures = [  # seven measures of seven categories: the oldest (就业帮扶) is left out
        *[
            (c, f"措施内容{c.label}" * 6, "区有关部门", MeasureStatus.PLANNED)
            for c in list(MeasureCategory)[1:7]
        ],
        (MeasureCategory.INDUSTRY, long_text, "区农业农村局 18627001234", MeasureStatus.IN_PROGRESS),
    ]
    monitored_with_measures(cast, household, measures)
    html, pages = leaflet(LeafletKind.ASSISTANCE, household)
    assert len(pages) == 1
    text = flat(pages[0])
    assert text.count("（号码已隐去）") == 2
    assert "（6）产业帮扶：按照一户一策落实产业奖补和技术指导，联系电话（号码已隐去）" in text
    assert "（7）" not in text and "措施内容就业帮扶" not in text  # the newest six measures, six policies
    assert_nothing_sensitive(pages[0], id_numbers())


def test_it_encodes_the_portal_address_in_a_qr_code_when_one_is_set(cast, household, settings):
    settings.ZX_PORTAL_URL = PORTAL
    html, [page] = leaflet(LeafletKind.DECLARATION, household)
    assert f'<img src="{render.qr_data_uri(PORTAL)}" alt="网上申报二维码">' in html
    assert "扫码网上申报" + PORTAL in flat(page)
    assert "暂未开通" not in flat(page)
    settings.ZX_PORTAL_URL = "fpjc.echeng.gov.cn"  # not a web address: treated as unset
    assert content.portal_url() == ""


def test_it_reads_the_monitoring_line_and_hotline_of_the_printing_year(cast, household):
    year = timezone.localdate().year
    save_policy(
        cast["district_admin"], year, {"monitoring_line": "8650", "hotline_number": "12317-1"}, "测试"
    )
    _, [page] = leaflet(LeafletKind.DECLARATION, household)
    text = flat(page)
    assert f"{year}年防止返贫监测范围为家庭年人均纯收入8650元" in text
    assert "也可拨打防止返贫监测和乡村振兴咨询服务电话12317-1" in text


def test_it_names_the_committee_when_the_village_has_no_cadre_account(cast, township):
    household = register(cast["township_officer"], second_village(township), number="H900")
    edition = content.Edition.of(LeafletKind.DECLARATION, timezone.localdate())
    household = Household.objects.select_related(*content.HOUSEHOLD_RELATED).get(pk=household.pk)
    [page] = content.pages_for(edition, [household])
    assert page.village_contacts == ()
    assert page.cadre is None
    paragraphs = [b.text for b in page.blocks]
    assert paragraphs[-1].endswith("请联系长港村村民委员会，或拨打12317。")
    assert (
        render.render_html(edition, [page]).count('<span class="label">村联系人：</span>长港村村民委员会')
        == 1
    )


# --- the views ------------------------------------------------------------------------------------


def url(name: str, household: Household, kind: str = "") -> str:
    kwargs = {"public_id": household.public_id, **({"kind": kind} if kind else {})}
    return reverse(f"reports:{name}", kwargs=kwargs)


def test_it_refuses_the_assistance_leaflet_of_a_household_not_monitored(client, cast, household):
    client.force_login(cast["village_cadre"])
    audit_rows = AuditEntry.objects.count()
    for query in ("", "?format=html"):
        response = client.get(url("leaflet_pdf", household, "assistance") + query)
        assert response.status_code == 404
        assert content.NOT_MONITORED in response.content.decode()
    page = client.get(url("leaflet_household", household)).content.decode()
    assert content.NOT_MONITORED in page
    assert url("leaflet_pdf", household, "assistance") not in page
    assert AuditEntry.objects.count() == audit_rows
    assert content.NOT_MONITORED == (
        "该户不是监测对象（没有监测帮扶中的案件），没有帮扶政策明白纸。帮扶政策明白纸只发给监测对象；可打印该户的申报政策明白纸。"
    )


def test_it_serves_the_pdf_and_an_html_preview_allowed_by_its_nonce(client, cast, household):
    monitored_with_measures(cast, household)
    client.force_login(cast["township_officer"])
    page = client.get(url("leaflet_household", household)).content.decode()
    assert url("leaflet_pdf", household, "assistance") in page
    response = client.get(url("leaflet_pdf", household, "assistance"))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert "attachment" not in response["Content-Disposition"]
    assert "防止返贫监测帮扶政策明白纸" in flat(pdf_pages(response.content)[0])
    preview = client.get(url("leaflet_pdf", household, "declaration") + "?format=html")
    nonce = re.search(r'<style nonce="([^"]+)">', preview.content.decode()).group(1)
    assert f"style-src 'self' 'nonce-{nonce}';" in preview["Content-Security-Policy"]
    assert "script-src 'self';" in preview["Content-Security-Policy"]
    assert client.get(url("leaflet_pdf", household, "other")).status_code == 404


def test_the_household_page_links_to_its_leaflets(client, cast, household):
    client.force_login(cast["village_cadre"])
    page = client.get(reverse("registry:household_detail", args=[household.public_id])).content.decode()
    assert f'<a href="{url("leaflet_household", household)}">打印明白纸</a>' in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("district_admin", 200), ("inspector", 200), ("department_clerk", 403), ("outside_village_cadre", 404)],
)
def test_it_lets_only_report_viewers_in_scope_print(client, cast, household, who, status):
    client.force_login(cast[who])
    assert client.get(url("leaflet_pdf", household, "declaration") + "?format=html").status_code == status
