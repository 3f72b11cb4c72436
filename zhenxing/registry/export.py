"""Export a filtered household list to `.xlsx` in the import templates' columns (formats.md §1–2), so a
full export re-imports cleanly.

- Sheet `户籍成员`: one row per current member (or per member as of a date), sheet `家庭收入`: one row
  per household and year (as recorded on that date).
- ID numbers and phones are masked unless `full` (the caller checks VIEW_FULL_PERSONAL_DATA and writes
  the EXPORT_PERSONAL audit row); `tabular.write_xlsx` neutralises formula injection.
- Rows are read in chunks (`iterator(chunk_size=…)`, joined rows selected together) and streamed into
  the workbook, so 100,000 members take a few round trips and flat memory.
- Up to EXPORT_SYNC_LIMIT households are exported in the request; more run as the `registry.export` job.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import scoped
from zhenxing.jobs.registry import job_handler
from zhenxing.lib import personal
from zhenxing.lib.tabular import SheetSpec, write_xlsx
from zhenxing.registry.actions import record_full_export
from zhenxing.registry.history import INCOME_FIELDS
from zhenxing.registry.importing.columns import HOUSEHOLD_HEADERS
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    HouseholdKind,
    IncomeYear,
    Membership,
    Person,
)
from zhenxing.registry.queries import HouseholdFilter, filter_households

JOB_KIND = "registry.export"
# Above this many households the export leaves the request and runs as a job (~5,000 households is
# ~15,000 member rows: a couple of seconds in the request).
EXPORT_SYNC_LIMIT = 5000
# Rows per database round trip: ~2,000 members with their person and household rows is about 2 MB of
# Python objects, few enough round trips for 100,000 rows.
CHUNK_SIZE = 2000

MEMBER_SHEET = "户籍成员"
INCOME_SHEET = "家庭收入"
# The import template's columns, so an export re-imports cleanly (脱贫属性 included).
MEMBER_HEADERS = HOUSEHOLD_HEADERS
INCOME_HEADERS = [
    "户编号",
    "年度",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "人均纯收入",
    "理赔收入",
    "合规自付支出",
]
INCOME_COLUMNS = (
    "wage_income",
    "business_income",
    "property_income",
    "transfer_income",
    "production_costs",
    "net_income_per_capita",
    "claims_income",
    "compliant_out_of_pocket",
)
KIND_LABELS = dict(HouseholdKind.choices)


@dataclass
class ExportResult:
    data: bytes = b""
    households: int = 0
    rows: int = 0  # member rows
    income_rows: int = 0
    progress: Callable[[int, int], None] | None = None  # (households written, households in all)
    _done: int = 0

    def household_written(self) -> None:
        self._done += 1
        if self.progress and (self._done % CHUNK_SIZE == 0 or self._done == self.households):
            self.progress(self._done, self.households)


def households_for(user, f: HouseholdFilter) -> QuerySet:
    """The households an export covers: the user's scope, filtered as the list is."""
    return filter_households(scoped(Household.objects.all(), user), f)


def filename(user, as_of: datetime.date | None, full: bool) -> str:
    day = (as_of or timezone.localdate()).isoformat()
    suffix = "_含完整个人信息" if full else ""
    return f"农户台账_{user.area.name}_{day}{suffix}.xlsx"


def _person_cells(person: Person, full: bool) -> tuple[str, str]:
    if full:
        return personal.decrypt(person.id_number_encrypted), personal.decrypt(person.phone_encrypted)
    return person.id_masked, person.phone_masked


def _member_row(
    number, area_code, kind, lifted_attribute, lifted_year, person: Person, relation, values: dict, full: bool
) -> list:
    id_number, phone = _person_cells(person, full)
    return [
        number,
        person.external_id,
        area_code,
        KIND_LABELS.get(kind, kind),
        lifted_attribute,
        lifted_year,
        person.name,
        id_number,
        relation,
        values["ethnicity"],
        values["political_status"],
        values["education"],
        values["schooling"],
        values["health"],
        values["labour_capacity"],
        values["employment"],
        values["months_worked"],
        phone,
    ]


_VALUE_FIELDS = (
    "ethnicity",
    "political_status",
    "education",
    "schooling",
    "health",
    "labour_capacity",
    "employment",
    "months_worked",
)


def _current_members(households: QuerySet, full: bool, result: ExportResult) -> Iterator[list]:
    head_first = Case(When(relation=HEAD, then=Value(0)), default=Value(1), output_field=IntegerField())
    memberships = (
        Membership.objects.filter(end_date__isnull=True, household__in=households.values("pk"))
        .select_related("person", "household__area")
        .order_by("household__number", head_first, "start_date", "id")
    )
    last = None
    for m in memberships.iterator(chunk_size=CHUNK_SIZE):
        h = m.household
        if h.pk != last:
            result.household_written()
            last = h.pk
        values = {f: getattr(m.person, f) for f in _VALUE_FIELDS}
        result.rows += 1
        yield _member_row(
            h.number,
            h.area.code,
            h.kind,
            h.lifted_attribute,
            h.lifted_year,
            m.person,
            m.relation,
            values,
            full,
        )


def _household_chunks(households: QuerySet) -> Iterator[list[tuple[int, str]]]:
    """(pk, number) of the households in number order, CHUNK_SIZE at a time."""
    chunk = []
    for row in households.order_by("number").values_list("pk", "number").iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _members_as_of(
    households: QuerySet, day: datetime.date, full: bool, result: ExportResult
) -> Iterator[list]:
    """Per chunk: the latest event on or before `day` of each household (one query), their snapshots
    (one query) and the persons in them (one query)."""
    latest = (
        HouseholdEvent.objects.filter(household=OuterRef("pk"), effective_date__lte=day)
        .exclude(kind=HouseholdEvent.Kind.INCOME_RECORDED)  # as in history.state_on
        .order_by("-effective_date", "-id")
        .values("pk")[:1]
    )
    for chunk in _household_chunks(households):
        event_ids = dict(
            Household.objects.filter(pk__in=[pk for pk, _ in chunk])
            .annotate(event_id=Subquery(latest))
            .values_list("pk", "event_id")
        )
        snapshots = dict(
            HouseholdEvent.objects.filter(pk__in=[e for e in event_ids.values() if e]).values_list(
                "pk", "snapshot"
            )
        )
        person_ids = {m["person"] for s in snapshots.values() for m in s.get("members", [])}
        persons = Person.objects.in_bulk(list(person_ids))
        for pk, number in chunk:
            result.household_written()
            snapshot = snapshots.get(event_ids.get(pk))
            if snapshot is None:
                continue  # not yet registered on that day
            h = snapshot["household"]
            for m in snapshot.get("members", []):
                values = {f: m.get(f) for f in _VALUE_FIELDS}
                result.rows += 1
                yield _member_row(
                    number,
                    h["area_code"],
                    h["kind"],
                    h.get("lifted_attribute", ""),
                    h["lifted_year"],
                    persons[m["person"]],
                    m["relation"],
                    values,
                    full,
                )


def _income_row(number: str, year: int, values) -> list:
    def amount(name):
        value = values(name)
        return None if value in (None, "") else Decimal(str(value))

    return [number, year, *(amount(name) for name in INCOME_COLUMNS)]


def _current_incomes(households: QuerySet, result: ExportResult) -> Iterator[list]:
    incomes = (
        IncomeYear.objects.filter(household__in=households.values("pk"))
        .order_by("household__number", "year")
        .values_list("household__number", "year", *INCOME_COLUMNS)
    )
    for row in incomes.iterator(chunk_size=CHUNK_SIZE):
        values = dict(zip(INCOME_COLUMNS, row[2:], strict=True))
        result.income_rows += 1
        yield _income_row(row[0], row[1], values.get)


def _incomes_as_of(households: QuerySet, day: datetime.date, result: ExportResult) -> Iterator[list]:
    """Each year's income as recorded on `day` (the last INCOME_RECORDED event per year up to then)."""
    for chunk in _household_chunks(households):
        events = (
            HouseholdEvent.objects.filter(
                household_id__in=[pk for pk, _ in chunk],
                kind=HouseholdEvent.Kind.INCOME_RECORDED,
                effective_date__lte=day,
            )
            .order_by("effective_date", "id")
            .values_list("household_id", "data")
        )
        by_household: dict[int, dict[int, dict]] = {}
        for household_id, data in events:
            by_household.setdefault(household_id, {})[data["year"]] = data["after"]
        for pk, number in chunk:
            for year, values in sorted(by_household.get(pk, {}).items()):
                result.income_rows += 1
                yield _income_row(number, year, {f: values.get(f) for f in INCOME_FIELDS}.get)


def build_export(
    households: QuerySet, *, as_of: datetime.date | None = None, full: bool = False, progress=None
) -> ExportResult:
    """The workbook for `households` (already scoped and filtered), now or as of a date.

    `progress(done, total)` is told every CHUNK_SIZE households written (the job's progress bar)."""
    result = ExportResult(households=households.count(), progress=progress)
    if as_of is None:
        members = _current_members(households, full, result)
        incomes = _current_incomes(households, result)
    else:
        members = _members_as_of(households, as_of, full, result)
        incomes = _incomes_as_of(households, as_of, result)
    result.data = write_xlsx(
        [
            SheetSpec(
                name=MEMBER_SHEET,
                headers=MEMBER_HEADERS,
                rows=members,
                column_widths={"公民身份号码": 22, "健康状况": 18, "户编号": 16},
            ),
            SheetSpec(name=INCOME_SHEET, headers=INCOME_HEADERS, rows=incomes, column_widths={"户编号": 16}),
        ]
    )
    return result


@job_handler(
    JOB_KIND,
    "导出农户台账",
    result_labels={"households": "户数", "rows": "成员行数", "income_rows": "收入行数"},
)
def export_job(job, ctx) -> dict:
    """The export of a large list, with the filters, date and scope of the user who asked for it."""
    user = ctx.actor
    f = HouseholdFilter.from_params(ctx.params.get("filters", {}))
    as_of = datetime.date.fromisoformat(ctx.params["as_of"]) if ctx.params.get("as_of") else None
    full = bool(ctx.params.get("full")) and user.can(Capability.VIEW_FULL_PERSONAL_DATA)
    ctx.progress(0, 0, "正在写入户籍成员")
    result = build_export(households_for(user, f), as_of=as_of, full=full, progress=ctx.progress)
    if full:
        record_full_export(user, f.params(), as_of, result.households, result.rows)
    ctx.save_result(filename(user, as_of, full), result.data, has_personal_data=full)
    ctx.progress(result.households, result.households, "已完成")
    return {"households": result.households, "rows": result.rows, "income_rows": result.income_rows}
