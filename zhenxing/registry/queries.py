"""Read side of the registry screens: permission-checked getters, list search and filters, income bands,
and the rows the household page shows (now or as of a date).

Every list starts from `scoped()`; every single record comes through a `get_*_for_user` getter.
"""

import datetime
import re
from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import get_in_scope, require, scoped
from zhenxing.areas.models import Area
from zhenxing.lib import idnumbers, personal
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.history import PERSON_FIELDS, HouseholdState
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    IncomeBand,
    IncomeYear,
    Membership,
    Person,
    income_band,
)

# "Within 1.5× the line" (监测范围1.5倍以内): the band between the line and this multiple of it.
NEAR_MULTIPLE = Decimal("1.5")
BAND_BADGE = {IncomeBand.BELOW: "red", IncomeBand.NEAR: "yellow", IncomeBand.ABOVE: "green"}
STATUS_CHOICES = [("active", "在册户"), ("inactive", "已注销户"), ("all", "全部")]
_CJK = re.compile(r"[\u3400-\u9fff]")


# —— Getters ———————————————————————————————————————————————————————————————————————————————————————


def get_household_for_user(user, public_id, write: bool = False) -> Household:
    """A household in the user's scope (404 otherwise); `write` requires EDIT_REGISTRY (403)."""
    require(user, Capability.EDIT_REGISTRY if write else Capability.VIEW_REGISTRY)
    return get_in_scope(Household.objects.select_related("area__parent", "head"), user, public_id=public_id)


def get_person_for_user(user, public_id) -> tuple[Person, Household]:
    """A person with a membership (current or past) in a household of the user's scope, and that
    household (the current one when there is one). 403 without VIEW_FULL_PERSONAL_DATA."""
    require(user, Capability.VIEW_FULL_PERSONAL_DATA)
    membership = (
        scoped(Membership.objects.select_related("person", "household__area"), user, "household__area")
        .filter(person__public_id=public_id)
        .order_by("-start_date", "-id")
        .first()
    )
    if membership is None:
        raise Http404("记录不存在或不在您的管辖范围内")
    current = (
        scoped(Membership.objects.select_related("household__area"), user, "household__area")
        .filter(person=membership.person, end_date__isnull=True)
        .first()
    )
    return membership.person, (current or membership).household


# —— List filters ——————————————————————————————————————————————————————————————————————————————————


@dataclass
class HouseholdFilter:
    """What the household list is filtered by; also what an export and its job carry."""

    q: str = ""
    township: str = ""  # area code
    village: str = ""  # area code
    kind: str = ""
    monitoring_status: str = ""
    band: str = ""  # IncomeBand, for `year`
    year: int | None = None  # income year of the band (default: the latest year with data)
    labour_capacity: str = ""
    health: str = ""
    status: str = "active"
    id_hash: str = ""  # a searched ID number, as its keyed hash (what job params and audit rows keep)
    # The dashboards' links (reports/dashboards), not on the filter form:
    colour: str = ""  # risk colour today: red / yellow / green (screening/colour.py)
    migrant_on: str = ""  # ISO date: a 脱贫户 then, with a 脱贫劳动力 member in 外出务工 then (history)

    def params(self) -> dict:
        """The non-empty values, JSON-safe, for job params and audit rows: a searched ID number is
        replaced by its keyed hash, so neither ever holds it in clear."""
        values = {k: v for k, v in asdict(self).items() if v not in ("", None)}
        number = idnumbers.normalize(self.q)
        if len(number) == 18 and idnumbers.is_valid(number):
            del values["q"]
            values["id_hash"] = personal.lookup_hash(number)
        return values

    @classmethod
    def from_params(cls, params: dict) -> "HouseholdFilter":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in known})


def latest_income_year() -> int | None:
    """The latest year with any income recorded (index on year)."""
    return IncomeYear.objects.order_by("-year").values_list("year", flat=True).first()


class Lines:
    """Each year's monitoring line and policy version label, looked up once per year per request."""

    def __init__(self):
        self._cache: dict[int, tuple[Decimal, str]] = {}

    def get(self, year: int) -> tuple[Decimal, str]:
        if year not in self._cache:
            policy = policy_for(year)
            self._cache[year] = (policy["monitoring_line"], policy.label)
        return self._cache[year]

    def line(self, year: int) -> Decimal:
        return self.get(year)[0]

    def band(self, year: int, per_capita: Decimal) -> str:
        return income_band(per_capita, self.line(year), NEAR_MULTIPLE)


def _current_member_with(**lookups) -> Exists:
    return Exists(Membership.objects.filter(household=OuterRef("pk"), end_date__isnull=True, **lookups))


def health_q(item: str, prefix: str = "") -> Q:
    """`health` (a comma-joined list) contains `item` as a whole value."""
    field = f"{prefix}health"
    return (
        Q(**{field: item})
        | Q(**{f"{field}__startswith": item + ","})
        | Q(**{f"{field}__endswith": "," + item})
        | Q(**{f"{field}__contains": "," + item + ","})
    )


def search(queryset: QuerySet, text: str) -> QuerySet:
    """A valid 18-character ID number → the households the person belongs or belonged to (exact, through
    the keyed hash); text with Chinese characters → households with a current member whose name starts
    with it; anything else → household numbers starting with it."""
    text = text.strip()
    if not text:
        return queryset
    number = idnumbers.normalize(text)
    if len(number) == 18 and idnumbers.is_valid(number):
        return queryset.filter(
            Exists(
                Membership.objects.filter(
                    household=OuterRef("pk"), person__id_hash=personal.lookup_hash(number)
                )
            )
        )
    if _CJK.search(text):
        return queryset.filter(_current_member_with(person__name__startswith=text))
    return queryset.filter(number__startswith=text)


def filter_households(queryset: QuerySet, f: HouseholdFilter) -> QuerySet:
    """Apply every filter of `f` in SQL (the band against `policy_for(year)`'s monitoring line)."""
    if f.status == "active":
        queryset = queryset.filter(is_active=True)
    elif f.status == "inactive":
        queryset = queryset.filter(is_active=False)
    queryset = search(queryset, f.q)
    if f.id_hash:
        queryset = queryset.filter(
            Exists(Membership.objects.filter(household=OuterRef("pk"), person__id_hash=f.id_hash))
        )
    # Filter on literal area ids, not a join on the code nor a subquery: only then does PostgreSQL walk
    # the (area, kind, number) index instead of every household in number order (bench_registry_web).
    if f.village:
        queryset = queryset.filter(
            area_id__in=list(Area.objects.filter(code=f.village).values_list("pk", flat=True))
        )
    elif f.township:
        queryset = queryset.filter(
            area_id__in=list(Area.objects.within_code(f.township).values_list("pk", flat=True))
        )
    if f.kind:
        queryset = queryset.filter(kind=f.kind)
    if f.monitoring_status:
        queryset = queryset.filter(monitoring_status=f.monitoring_status)
    if f.labour_capacity:
        queryset = queryset.filter(_current_member_with(person__labour_capacity=f.labour_capacity))
    if f.health:
        queryset = queryset.filter(
            Exists(
                Membership.objects.filter(household=OuterRef("pk"), end_date__isnull=True).filter(
                    health_q(f.health, "person__")
                )
            )
        )
    if f.colour in COLOURS:
        queryset = queryset.filter(colour_q(f.colour, timezone.localdate()))
    if f.migrant_on:
        day = datetime.date.fromisoformat(f.migrant_on)
        sql, params = lifted_labour_on(day)
        queryset = queryset.filter(
            pk__in=RawSQL(f"SELECT household_id FROM ({sql}) l WHERE l.migrants > 0", params)
        )
    if f.band and f.year:
        line = policy_for(f.year)["monitoring_line"]
        per_capita = "incomes__net_income_per_capita"
        bounds = {
            IncomeBand.BELOW: {f"{per_capita}__lt": line},
            IncomeBand.NEAR: {f"{per_capita}__gte": line, f"{per_capita}__lt": line * NEAR_MULTIPLE},
            IncomeBand.ABOVE: {f"{per_capita}__gte": line * NEAR_MULTIPLE},
        }[f.band]
        # One filter() call: the year and the bounds apply to the same income row (one per year).
        queryset = queryset.filter(incomes__year=f.year, **bounds)
    return queryset


# —— Risk colour counted in SQL, and 外出务工 as of a date (the dashboards and their links) ——————————————

COLOURS = ("red", "yellow", "green")


def colour_sets(today: datetime.date) -> tuple[QuerySet, QuerySet]:
    """(red, yellow-or-red): the ids of the households each rule of `screening/colour.py` names today, as
    one `UNION` of the small tables behind it (open warnings, open leads, cases), read from those tables
    themselves — the reference the households' colour columns are checked and repaired against
    (`screening.colour.refresh_all`)."""
    from zhenxing.cases.models import Case, CaseStatus, Lead, LeadStatus, Step
    from zhenxing.registry.models import MonitoringStatus
    from zhenxing.screening.models import Warning, WarningStatus

    monitored_case = (CaseStatus.MONITORED, CaseStatus.ELIMINATING)
    open_cases = Case.objects.filter(is_open=True).order_by()
    red = (
        Warning.objects.exclude(status=WarningStatus.CLOSED)
        .order_by()
        .values("household_id")
        .union(
            Lead.objects.filter(status=LeadStatus.OPEN).order_by().values("household_id"),
            open_cases.filter(status=CaseStatus.IDENTIFYING).values("household_id"),
            open_cases.filter(status__in=monitored_case, stage_due__lt=today)
            .exclude(stage=Step.DONE)
            .values("household_id"),
        )
    )
    yellow = (
        Household.objects.filter(monitoring_status=MonitoringStatus.MONITORED)
        .order_by()
        .values("pk")
        .union(open_cases.filter(status__in=monitored_case).values("household_id"))
    )
    return red, yellow


def colour_q(colour: str, today: datetime.date) -> Q:
    """Households of `colour` today, from the household's colour columns (the inputs of the rule of
    `screening/colour.py`, kept by `colour.refresh`), so that lists and the dashboards count a district in
    one pass over the households. The tests check them against `colour_sets` and the Python rule."""
    red = Q(risk_open=True) | Q(risk_step_due__lt=today)
    return {
        "red": red,
        "yellow": ~red & Q(risk_monitored=True),
        "green": ~red & Q(risk_monitored=False),
    }[colour]


def lifted_labour_on(day: datetime.date, area_code: str = "") -> tuple[str, list]:
    """SQL (and its parameters) for one row per active 脱贫户 on `day`, as the household history
    (`registry.history`) tells it: columns `household_id`, `area_code` (its village then), `labour` (its
    脱贫劳动力 then) and `migrants` (how many of them were in 外出务工 then). Optionally only under `area_code`.

    The state on `day` is that of the household's latest make-up event on or before it (the rule of
    `history.state_on`); each event keeps what it counts beside its snapshot (`history.derived`), so this reads
    the 脱贫户's events from one index (`event_lifted_labour_idx`) and finds the latest by an anti-join on
    (household, effective_date, id) — no JSON is opened. An event of a household that was not an active
    脱贫户 then has no counts, so a household that became one (or stopped being one) later counts as it was.
    """
    income = HouseholdEvent.Kind.INCOME_RECORDED.value
    sql = (
        "SELECT e.household_id AS household_id, e.area_code AS area_code, e.lifted_labour AS labour, "
        "e.lifted_migrants AS migrants FROM registry_householdevent e "
        "WHERE e.lifted_labour IS NOT NULL AND e.kind <> %s AND e.effective_date <= %s AND NOT EXISTS ("
        "SELECT 1 FROM registry_householdevent l WHERE l.household_id = e.household_id AND l.kind <> %s "
        "AND l.effective_date <= %s AND (l.effective_date > e.effective_date "
        "OR (l.effective_date = e.effective_date AND l.id > e.id)))"
    )
    params: list = [income, day, income, day]
    if area_code:
        sql += " AND e.area_code LIKE %s"
        params.append(area_code + "%")
    return sql, params


def household_list(user, f: HouseholdFilter) -> QuerySet:
    """The list page's rows: scoped, filtered, with village, head and the latest year's income."""
    latest = IncomeYear.objects.filter(household=OuterRef("pk")).order_by("-year")
    return (
        filter_households(scoped(Household.objects.all(), user), f)
        .select_related("area", "head")
        .annotate(
            latest_year=Subquery(latest.values("year")[:1]),
            latest_per_capita=Subquery(
                latest.values("net_income_per_capita")[:1],
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by("number")
    )


# —— Household page ————————————————————————————————————————————————————————————————————————————————


@dataclass
class MemberRow:
    person: Person
    relation: str
    start_date: datetime.date
    values: dict  # PERSON_FIELDS as they stood (now, or on the as-of date)

    @property
    def is_head(self) -> bool:
        return self.relation == HEAD


def current_members(household: Household) -> list[MemberRow]:
    memberships = Membership.objects.filter(household=household, end_date__isnull=True).select_related(
        "person"
    )
    rows = [
        MemberRow(m.person, m.relation, m.start_date, {f: getattr(m.person, f) for f in PERSON_FIELDS})
        for m in memberships
    ]
    return sorted(rows, key=lambda r: (not r.is_head, r.start_date, r.person.pk))


def members_as_of(state: HouseholdState) -> list[MemberRow]:
    return [MemberRow(m.person, m.relation, m.start_date, m.values) for m in state.members]


@dataclass
class IncomeRow:
    year: int
    wage_income: Decimal
    business_income: Decimal
    property_income: Decimal
    transfer_income: Decimal
    production_costs: Decimal
    claims_income: Decimal | None
    compliant_out_of_pocket: Decimal | None
    household_size: int
    net_income: Decimal
    net_income_per_capita: Decimal
    line: Decimal
    band: str
    policy_label: str

    @property
    def band_label(self) -> str:
        return IncomeBand(self.band).label

    @property
    def band_badge(self) -> str:
        return BAND_BADGE[self.band]


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def income_rows(incomes: list, lines: Lines | None = None) -> list[IncomeRow]:
    """Rows for IncomeYear objects or `history.incomes_on()` dicts, each with its year's line and band."""
    lines = lines or Lines()
    rows = []
    for income in incomes:
        get = income.get if isinstance(income, dict) else lambda name, i=income: getattr(i, name)
        year = int(get("year"))
        per_capita = _decimal(get("net_income_per_capita"))
        line, label = lines.get(year)
        rows.append(
            IncomeRow(
                year=year,
                wage_income=_decimal(get("wage_income")),
                business_income=_decimal(get("business_income")),
                property_income=_decimal(get("property_income")),
                transfer_income=_decimal(get("transfer_income")),
                production_costs=_decimal(get("production_costs")),
                claims_income=_decimal(get("claims_income")),
                compliant_out_of_pocket=_decimal(get("compliant_out_of_pocket")),
                household_size=int(get("household_size")),
                net_income=_decimal(get("net_income")),
                net_income_per_capita=per_capita,
                line=line,
                band=income_band(per_capita, line, NEAR_MULTIPLE),
                policy_label=label,
            )
        )
    return sorted(rows, key=lambda r: r.year)


def chart_data(rows: list[IncomeRow]) -> dict:
    """What household.js draws: per-capita income and the line per year (as numbers)."""
    return {
        "years": [str(r.year) for r in rows],
        "per_capita": [float(r.net_income_per_capita) for r in rows],
        "line": [float(r.line) for r in rows],
        "near": [float(r.line * NEAR_MULTIPLE) for r in rows],
    }
