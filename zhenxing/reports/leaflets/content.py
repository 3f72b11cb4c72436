"""What a leaflet says about its household, gathered in a handful of queries for a whole batch.

Only the fields of `Page` reach the printed page: the head of household's name, the place, and for a
monitored household its type, risks, measures and cadre. Never an ID number, a household phone, a bank
account, health status or any other member (design.md, "Personal data"). The phones that do appear are
staff work phones (`User.phone`, 工作电话) of the household's cadre and of the village's cadres, and the
hotline. Free text typed by cadres (measure content and responsible) is printed with any run of digits
that looks like a mobile phone, ID number or bank account replaced.

The village contact: the platform stores no phone for a village or township (`Area` has none); the
village's contact is therefore its active village-cadre accounts (name and work phone, when recorded),
and where a village has none the leaflet names the village committee and the township office.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.areas.models import Area, Level
from zhenxing.cases.catalogue import CATALOGUE, RISK_CATEGORIES
from zhenxing.cases.documents import township_office, village_committee
from zhenxing.cases.models import Case, MeasureStatus, RiskType
from zhenxing.cases.queries import MONITORING
from zhenxing.policy.resolve import YearPolicy, policy_for
from zhenxing.registry.models import Household
from zhenxing.reports.leaflets.placeholders import Block, blocks, fill
from zhenxing.reports.models import LeafletKind, LeafletTemplate

# What the leaflet views and the batch select with each household: the head, and the area up to the
# county (a household may be registered at group level: group → village → township → county).
HOUSEHOLD_RELATED = ("head", "area__parent__parent__parent")
MEASURES_MAX = 6  # the newest measures carried out or planned; more would not fit on one page
MEASURE_TEXT_MAX = 50  # with the responsible and the months: two lines of the compact style
RESPONSIBLE_MAX = 20
POLICIES_MAX = 6
CONTACTS_MAX = 2  # village cadres named per village

NOT_MONITORED = (
    "该户不是监测对象（没有监测帮扶中的案件），没有帮扶政策明白纸。"
    "帮扶政策明白纸只发给监测对象；可打印该户的申报政策明白纸。"
)
NOT_ACTIVE = "该户已注销（已并入其他户或已无在册成员），不再打印明白纸。"
NO_MEASURES = "帮扶措施正在制定中，帮扶责任人将与您商定后落实。"
NO_PORTAL = "暂未开通"
CADRE_PENDING = "尚未确定"

# A mobile phone, an ID number (15 or 18 characters) or a bank account (16–19 digits) inside free text.
_PERSONAL_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{15,19}[0-9Xx]?|1[3-9][0-9]{9})(?![0-9])")


class LeafletRefused(ValidationError):
    """The household gets no leaflet of this kind; the message says why and what to print instead."""


def scrub(text: str) -> str:
    return _PERSONAL_NUMBER.sub("（号码已隐去）", text)


def portal_url() -> str:
    """The public portal's address (`ZX_PORTAL_URL`), or "" when not configured or not a web address."""
    url = (settings.ZX_PORTAL_URL or "").strip()
    return url if re.match(r"^https?://[^\s]+$", url) else ""


def current_template(kind: str) -> LeafletTemplate:
    template = (
        LeafletTemplate.objects.filter(kind=kind).select_related("created_by").order_by("-version").first()
    )
    if template is None:
        raise LeafletTemplate.DoesNotExist("尚未设置明白纸模板，请先执行数据库迁移（zhenxing migrate）")
    return template


def cn_date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def cn_month(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月"


def money_text(value: Decimal) -> str:
    """8300.00 → "8300"; 8300.50 → "8300.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""  # a staff work phone, never a resident's

    @property
    def text(self) -> str:
        return f"{self.name}（联系电话：{self.phone}）" if self.phone else self.name


def _contact(user: User | None) -> Contact | None:
    if user is None:
        return None
    return Contact(user.full_name or user.username, (user.phone or "").strip())


@dataclass(frozen=True)
class Place:
    village_label: str  # 新港村, or 新港村第一村民小组 for a household registered at group level
    village: str
    township: str
    county: str
    committee: str
    township_office: str
    village_id: int


def place_of(area: Area) -> Place:
    village = area.parent if area.level == Level.GROUP and area.parent_id else area
    township = village.parent if village.parent_id else None
    county = township.parent if township is not None and township.parent_id else None
    return Place(
        village_label=f"{village.name}{area.name}" if village is not area else village.name,
        village=village.name,
        township=township.name if township else "",
        county=county.name if county else "",
        committee=village_committee(village),
        township_office=township_office(township),
        village_id=village.pk,
    )


@dataclass(frozen=True)
class Page:
    """One household's leaflet, exactly as printed."""

    kind: str
    title: str
    blocks: list[Block]
    head_name: str
    place: Place
    monitoring_type: str  # assistance only
    cadre: Contact | None  # the 帮扶责任人 of the household's open case
    village_contacts: tuple[Contact, ...]
    hotline_name: str
    hotline: str


@dataclass(frozen=True)
class Edition:
    """What every page of one printing shares: the year's settings and the template in use."""

    kind: str
    year: int
    policy: YearPolicy
    template: LeafletTemplate
    portal_url: str
    printed_on: datetime.date

    @classmethod
    def of(cls, kind: str, printed_on: datetime.date) -> "Edition":
        return cls(
            kind=kind,
            year=printed_on.year,
            policy=policy_for(printed_on.year),
            template=current_template(kind),
            portal_url=portal_url(),
            printed_on=printed_on,
        )

    def common_values(self) -> dict[str, str]:
        policy = self.policy
        return {
            "年度": str(self.year),
            "监测范围": money_text(policy["monitoring_line"]),
            "监测范围名称": policy["monitoring_line_name"],
            "公示天数": str(policy["notice_min_days"]),
            "认定天数": str(policy["identification_total_days"]),
            "消除前监测月数": str(policy["elimination_min_months"]),
            "热线名称": policy["hotline_name"],
            "热线": policy["hotline_number"],
            "申报网址": self.portal_url or NO_PORTAL,
        }

    def monitoring_type_label(self, value: str) -> str:
        key = f"monitoring_type_{value}_name"
        return self.policy.values.get(key) or (Case(monitoring_type=value).get_monitoring_type_display())


# —— Loading for a list of households ———————————————————————————————————————————————————————————————


def monitored_cases(household_ids: list[int]) -> dict[int, Case]:
    """The open monitored case (监测帮扶中 or 风险消除程序中) of each household that has one."""
    cases = (
        Case.objects.filter(household_id__in=household_ids, is_open=True, status__in=MONITORING)
        .select_related("cadre")
        .prefetch_related("measures")
    )
    return {case.household_id: case for case in cases}


def open_case_cadres(household_ids: list[int]) -> dict[int, User]:
    """The 帮扶责任人 of each household's open case, where one is assigned."""
    cases = Case.objects.filter(household_id__in=household_ids, is_open=True, cadre__isnull=False)
    return {case.household_id: case.cadre for case in cases.select_related("cadre")}


def village_contacts(village_ids: set[int]) -> dict[int, tuple[Contact, ...]]:
    """The active village-cadre accounts of each village (at most CONTACTS_MAX, oldest account first)."""
    users = User.objects.filter(role=Role.VILLAGE_CADRE, area_id__in=village_ids, is_active=True).order_by(
        "pk"
    )
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for user in users.only("full_name", "username", "phone", "area_id"):
        if len(contacts[user.area_id]) < CONTACTS_MAX:
            contacts[user.area_id].append(_contact(user))
    return {village: tuple(found) for village, found in contacts.items()}


def _ordered_risks(case: Case) -> list[str]:
    risks = [r for r in case.risk_types if r in RiskType.values]
    if case.main_risk in risks:
        risks.remove(case.main_risk)
        risks.insert(0, case.main_risk)
    return list(dict.fromkeys(risks))


def _measures(case: Case) -> list:
    kept = [m for m in case.measures.all() if m.status != MeasureStatus.STOPPED]
    kept.sort(key=lambda m: (m.start_date, m.pk))
    return kept[-MEASURES_MAX:]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def measure_lines(measures: list) -> list[str]:
    lines = []
    for i, m in enumerate(measures, start=1):
        when = f"{cn_month(m.start_date)}起" + (f"至{cn_month(m.end_date)}" if m.end_date else "")
        detail = "，".join(
            x for x in (scrub(_shorten(m.responsible, RESPONSIBLE_MAX)), when, m.get_status_display()) if x
        )
        lines.append(
            f"（{i}）{m.get_category_display()}：{scrub(_shorten(m.content, MEASURE_TEXT_MAX))}（{detail}）"
        )
    return lines or [NO_MEASURES]


def policy_lines(case: Case, measures: list) -> list[str]:
    """The catalogue's policy behind each category of the measures; without measures, behind the
    categories that answer the case's risks."""
    categories = [m.category for m in measures]
    if not categories:
        categories = [c for risk in _ordered_risks(case) for c in RISK_CATEGORIES.get(risk, ())]
    entries = [CATALOGUE[c] for c in dict.fromkeys(categories) if c in CATALOGUE][:POLICIES_MAX]
    return [f"（{i}）{e.label}：{e.description}" for i, e in enumerate(entries, start=1)]


def assistance_values(edition: Edition, case: Case) -> dict[str, str | list[str]]:
    measures = _measures(case)
    return {
        "监测对象类型": edition.monitoring_type_label(case.monitoring_type) if case.monitoring_type else "",
        "风险类型": "、".join(RiskType(r).label for r in _ordered_risks(case)),
        "纳入监测日期": cn_date(case.identified_on),
        "帮扶措施": measure_lines(measures),
        "帮扶政策": policy_lines(case, measures),
    }


def pages_for(edition: Edition, households: list[Household]) -> list[Page]:
    """The leaflet of each household, in the given order. Households need `HOUSEHOLD_RELATED` selected.

    Raises `LeafletRefused` for an inactive household, or (assistance) one without a monitored case;
    batches select only households that have one.
    """
    ids = [h.pk for h in households]
    assistance = edition.kind == LeafletKind.ASSISTANCE
    cases = monitored_cases(ids) if assistance else {}
    cadres = {hid: case.cadre for hid, case in cases.items()} if assistance else open_case_cadres(ids)
    places = {h.pk: place_of(h.area) for h in households}
    contacts = village_contacts({p.village_id for p in places.values()})
    common = edition.common_values()
    template = edition.template
    pages = []
    for household in households:
        if not household.is_active:
            raise LeafletRefused(NOT_ACTIVE)
        case = cases.get(household.pk)
        if assistance and case is None:
            raise LeafletRefused(NOT_MONITORED)
        place = places[household.pk]
        cadre = _contact(cadres.get(household.pk))
        village = contacts.get(place.village_id, ())
        values: dict[str, str | list[str]] = {
            **common,
            "户主姓名": household.head.name if household.head_id else "",
            "所在村": place.village_label,
            "村": place.village,
            "乡镇": place.township,
            "区": place.county,
            "村委会": place.committee,
            "乡镇政府": place.township_office,
            "村联系人": "、".join(c.text for c in village) or place.committee,
            "帮扶责任人": cadre.text if cadre else CADRE_PENDING,
        }
        if case is not None:
            values.update(assistance_values(edition, case))
        pages.append(
            Page(
                kind=edition.kind,
                title=fill(template.title, values),
                blocks=blocks(template.body, values),
                head_name=str(values["户主姓名"]),
                place=place,
                monitoring_type=str(values.get("监测对象类型", "")),
                cadre=cadre,
                village_contacts=village,
                hotline_name=common["热线名称"],
                hotline=common["热线"],
            )
        )
    return pages


# —— The editor's preview ————————————————————————————————————————————————————————————————————————————

SAMPLE_PLACE = Place(
    village_label="示例村第一村民小组",
    village="示例村",
    township="示例镇",
    county="鄂城区",
    committee="示例村村民委员会",
    township_office="示例镇人民政府",
    village_id=0,
)
SAMPLE_CADRE = Contact("李某某", "0711-0000000")
SAMPLE_VILLAGE = (Contact("赵某某", "0711-0000001"),)


def sample_page(edition: Edition, title: str, body: str) -> Page:
    """An edited title and body filled for a made-up household (示例), to preview before saving."""
    common = edition.common_values()
    values: dict[str, str | list[str]] = {
        **common,
        "户主姓名": "王某某",
        "所在村": SAMPLE_PLACE.village_label,
        "村": SAMPLE_PLACE.village,
        "乡镇": SAMPLE_PLACE.township,
        "区": SAMPLE_PLACE.county,
        "村委会": SAMPLE_PLACE.committee,
        "乡镇政府": SAMPLE_PLACE.township_office,
        "村联系人": SAMPLE_VILLAGE[0].text,
        "帮扶责任人": SAMPLE_CADRE.text,
        "监测对象类型": edition.monitoring_type_label("marginal"),
        "风险类型": "因病、因学",
        "纳入监测日期": cn_date(edition.printed_on),
        "帮扶措施": [
            "（1）健康帮扶：落实城乡居民医保参保资助和医疗救助（区医保局，已落实）",
            "（2）教育帮扶：落实学生资助（区教育局，实施中）",
        ],
        "帮扶政策": [
            f"（1）健康帮扶：{CATALOGUE['health'].description}",
            f"（2）教育帮扶：{CATALOGUE['education'].description}",
        ],
    }
    assistance = edition.kind == LeafletKind.ASSISTANCE
    return Page(
        kind=edition.kind,
        title=fill(title.strip(), values),
        blocks=blocks(body, values),
        head_name="王某某",
        place=SAMPLE_PLACE,
        monitoring_type=str(values["监测对象类型"]) if assistance else "",
        cadre=SAMPLE_CADRE,
        village_contacts=SAMPLE_VILLAGE,
        hotline_name=common["热线名称"],
        hotline=common["热线"],
    )


# —— Batches ———————————————————————————————————————————————————————————————————————————————————————


def batch_households(user, kind: str, area: Area):
    """The households of `area`'s subtree that get a leaflet of `kind`, inside the user's scope: every
    active household (申报), or those with a monitored case (帮扶); by village, group and number."""
    from django.db.models import Exists, OuterRef

    from zhenxing.accounts.scope import scoped

    area_ids = list(Area.objects.within(area).values_list("pk", flat=True))
    households = scoped(Household.objects.filter(is_active=True, area_id__in=area_ids), user)
    if kind == LeafletKind.ASSISTANCE:
        monitored = Case.objects.filter(household=OuterRef("pk"), is_open=True, status__in=MONITORING)
        households = households.filter(Exists(monitored))
    return households.select_related(*HOUSEHOLD_RELATED).order_by("area__code", "number")
