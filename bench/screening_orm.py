"""The 16 default screening rules evaluated household by household through the Django ORM: the naive way.

Used by `bench/bench_screening_orm.py` (the engine against this) and by
`zhenxing/screening/tests/test_bench_orm_evaluator.py` (both find the same warnings on boundary cases):

    found = evaluate(as_of, params)                        # {(rule key, household id, period), …}
    found = evaluate(as_of, params, households={12, 40})   # only these households
    found = engine_identities(as_of, params)               # the product's path: snapshot + engine

`params` are the engine's parameters (`runs.engine_params(policy.values)`: the year's typed values plus
`lines`, every configured year's monitoring line).

For each active household (one query lists them), `evaluate` makes the queries a straightforward Django
implementation makes: the household's open memberships with their persons (`select_related`), whether it
has an open case in identification, its income years, and for each of the 12 feed kinds the stored
`FeedRow`s whose ID hash is one of its active members' — model instances, 15 queries a household (feed
rows in stored order, `order_by("pk")`: the model's default ordering goes through the upload's and would
add a join and ~15 % to the time). Then
each rule is written out in Python for that household (it does not interpret `engine.rules`: an
independent reading of rules.py's module docstring and of what `screening.snapshot` writes):

- members: the open memberships of an active household; a feed row counts only for an active member
  (`Person.status` 在册) whose `id_hash` it carries, and only if it is not dated after the as-of date
  (`schema.DATED_BY`: a date ≤ as-of, a month ≤ the as-of month, a school year whose first year ≤ the
  latest school year begun by the as-of date, 1 September; an empty dating value is not after it);
- the stored JSON values are read like the snapshot does: an empty text is empty, amounts and dates are
  parsed, a value that cannot be read is empty; a record sent again in a later upload (same person, same
  value in every column) counts once, as the row of the latest upload, while identical rows within one
  upload stay separate (the k-th copy in one upload is the k-th in another);
- a window of N months holds a date d iff as_of − N calendar months < d ≤ as_of (the day clamped to the
  month's end), or, on a 'YYYY-MM' column, one of the N months ending with the as-of month;
- totals are per member (and school year) over the rows passing the rule's conditions; an empty amount
  adds nothing, a member with no amount has no total; the household's hit takes the latest date of the
  qualifying members' rows;
- housing: the latest appraisal of the household's members (latest date, an empty date last; on the same
  day the row stored last), tested for its grade;
- incomes: the latest year not after the as-of year, the year just before (if recorded) and the line of
  that year (`lines`: that year's, else the latest earlier year's, none before the first; without
  `lines`, `monitoring_line`);
- conditions compare like SQL: an empty value never passes a comparison or a list test.
"""

from __future__ import annotations

import calendar
import re
import tempfile
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from zhenxing.screening.engine import schema

Identity = tuple[str, int, str]  # (rule key, household id, period): a warning's identity

RULE_KEYS = (
    "medical_lifted",
    "medical_other",
    "education_cost",
    "education_dropout",
    "disability_new",
    "housing_unsafe",
    "disaster",
    "employment_loss",
    "assistance_new",
    "income_below_line",
    "income_drop",
    "public_payroll",
    "vehicle",
    "real_estate",
    "business",
    "deceased",
)


def _value_type(field: pa.Field) -> str:
    return "date" if pa.types.is_date(field.type) else "money" if pa.types.is_decimal(field.type) else "text"


# Feed kind → {column: type} of the stored JSON values ("date", "money", "text"), in the snapshot's order
# (the engine's schema: which columns a feed has is a fact of the data, not of the rules).
FEED_COLUMNS: dict[str, dict[str, str]] = {
    kind: {f.name: _value_type(f) for f in table if f.name not in ("row_id", "id_hash", *schema.KEY_COLUMNS)}
    for kind, table in schema.FEEDS.items()
}

# The column that dates a feed's rows: rows dated after the as-of date never count.
DATED_BY = {kind: column for kind, (column, _how) in schema.DATED_BY.items()}

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONEY_PLACES = Decimal("0.01")
_MONEY_DIGITS = 14


# --- the calendar ---------------------------------------------------------------------------------------
def months_back(day: date, months: int) -> date:
    """`day` minus calendar months (plus, if negative), the day clamped to the month's end
    (2024-03-31 − 1 month = 2024-02-29)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def in_window(day: date | None, as_of: date, months: int) -> bool:
    return day is not None and months_back(as_of, months) < day <= as_of


def window_months(as_of: date, months: int) -> set[str]:
    """The N 'YYYY-MM' months ending with the as-of month."""
    first = as_of.replace(day=1)
    return {months_back(first, n).strftime("%Y-%m") for n in range(months)}


def school_year_begun(as_of: date) -> int:
    """The first year of the latest school year begun by the as-of date (school years start 1 September)."""
    return as_of.year if (as_of.month, as_of.day) >= (9, 1) else as_of.year - 1


def not_after(kind: str, value: Any, as_of: date) -> bool:
    """A row is not dated after the as-of date (an empty dating value is not after it)."""
    if value is None:
        return True
    if kind == "employment":
        return value <= as_of.strftime("%Y-%m")
    if kind == "education":
        return value[:4] <= str(school_year_begun(as_of))
    return value <= as_of


# --- reading the stored values --------------------------------------------------------------------------
def read_value(text: Any, kind: str) -> Any:
    """A stored JSON value as the snapshot reads it: empty → None, amounts and dates parsed, a value that
    cannot be read → None."""
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    if kind == "text":
        return text
    if kind == "date":
        if not _ISO_DATE.fullmatch(text):
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    cents = amount.quantize(_MONEY_PLACES)
    return cents if cents == amount and len(cents.as_tuple().digits) <= _MONEY_DIGITS else None


def without_reuploads(rows: list) -> list:
    """One member's `FeedRow`s of one kind, a record sent again in a later upload kept once (its latest
    upload's row); identical rows within one upload stay separate (the k-th copy in one upload is the
    k-th in another). Each row needs `.typed`: its values, typed, in column order."""
    by_record: dict[tuple, list] = defaultdict(list)
    for row in rows:
        by_record[row.typed].append(row)
    kept = []
    for same in by_record.values():
        copies: dict[int, list] = defaultdict(list)  # occurrence within its upload → rows
        per_upload: dict[int, int] = defaultdict(int)
        for row in sorted(same, key=lambda r: r.pk):
            copies[per_upload[row.upload_id]].append(row)
            per_upload[row.upload_id] += 1
        kept += [max(group, key=lambda r: (r.upload_id, r.pk)) for group in copies.values()]
    return sorted(kept, key=lambda r: r.pk)


# --- one household --------------------------------------------------------------------------------------
class Row(dict):
    """A feed row's typed values by column, plus `row_id`, `person_id` and `labour_capacity`."""


def feed_rows(kind: str, members: Mapping[str, Any], as_of: date) -> list[Row]:
    """The household's rows of one feed kind: one query for the stored rows of its active members."""
    from zhenxing.screening.models import FeedRow

    columns = FEED_COLUMNS[kind]
    stored = list(FeedRow.objects.filter(kind=kind, id_hash__in=list(members)).order_by("pk"))
    for row in stored:
        row.typed = tuple(read_value(row.data.get(c), t) for c, t in columns.items())
    by_member: dict[str, list] = defaultdict(list)
    for row in stored:
        by_member[row.id_hash].append(row)
    found = []
    for id_hash, rows in by_member.items():
        person = members[id_hash]
        for row in without_reuploads(rows):
            item = Row(zip(columns, row.typed, strict=True))
            if not not_after(kind, item[DATED_BY[kind]], as_of):
                continue
            item.update(row_id=row.pk, person_id=person.pk, labour_capacity=person.labour_capacity or None)
            found.append(item)
    return found


def line_for(year: int, params: Mapping[str, Any]) -> Decimal | None:
    lines = params.get("lines")
    if not lines:
        return params["monitoring_line"]
    earlier = [y for y in lines if y <= year]
    return lines[max(earlier)] if earlier else None


def evaluate_household(
    household, as_of: date, params: Mapping[str, Any], rules: Collection[str]
) -> set[Identity]:
    """The hits of one household: its queries, then every rule in Python."""
    from zhenxing.cases.models import Case, CaseStatus
    from zhenxing.registry.models import IncomeYear, Membership, PersonStatus

    p = params
    memberships = Membership.objects.filter(household=household, end_date__isnull=True).select_related(
        "person"
    )
    members = {m.person.id_hash: m.person for m in memberships if m.person.status == PersonStatus.ACTIVE}
    open_identification = Case.objects.filter(
        household=household, is_open=True, status=CaseStatus.IDENTIFYING
    ).exists()
    incomes = {i.year: i.net_income_per_capita for i in IncomeYear.objects.filter(household=household)}
    rows = {kind: feed_rows(kind, members, as_of) for kind in FEED_COLUMNS}

    hid = household.pk
    lifted_or_monitored = household.kind == "lifted" or household.monitoring_status == "monitored"
    not_monitored = household.monitoring_status == "none"
    under_check = household.monitoring_status == "monitored" or open_identification
    hits: set[Identity] = set()

    def hit(rule: str, period: str) -> None:
        if rule in rules:
            hits.add((rule, hid, period))

    # 因病: a member's 个人自付 within the window, totalled; the threshold depends on the household.
    medical = [
        r for r in rows["medical"] if in_window(r["settlement_date"], as_of, p["medical_window_months"])
    ]
    rule, threshold = (
        ("medical_lifted", p["medical_lifted_threshold"])
        if lifted_or_monitored
        else ("medical_other", p["medical_other_threshold"])
    )
    latest = None
    for person_rows in _by(medical, "person_id").values():
        amounts = [r["self_pay"] for r in person_rows if r["self_pay"] is not None]
        if amounts and sum(amounts) >= threshold:
            day = max(r["settlement_date"] for r in person_rows)
            latest = day if latest is None else max(latest, day)
    if latest is not None:
        hit(rule, f"{latest.year:04d}")

    # 因学: a member's personal cost in one school year above the threshold; dropouts.
    costs = [
        r
        for r in rows["education"]
        if r["stage"] in p["education_cost_stages"] and r["school_year"] is not None
    ]
    for (_, school_year), member_rows in _by(costs, "person_id", "school_year").items():
        amounts = [r["personal_cost"] for r in member_rows if r["personal_cost"] is not None]
        if amounts and sum(amounts) > p["education_cost_threshold"]:
            hit("education_cost", school_year)
    for r in rows["education"]:
        if (
            r["stage"] in p["education_dropout_stages"]
            and r["enrolment_status"] == "辍学"
            and r["school_year"] is not None
        ):
            hit("education_dropout", r["school_year"])

    # 因残: a new certificate of a listed grade within the window.
    issued = [
        r["issue_date"]
        for r in rows["disability"]
        if r["disability_grade"] in p["disability_grades"]
        and in_window(r["issue_date"], as_of, p["disability_window_months"])
    ]
    if issued:
        hit("disability_new", max(issued).isoformat())

    # 住房安全: the latest appraisal (latest date, an empty one last; same day: the row stored last).
    if rows["housing"]:
        last = max(
            rows["housing"],
            key=lambda r: (r["appraisal_date"] is not None, r["appraisal_date"] or date.min, r["row_id"]),
        )
        if last["safety_grade"] in p["housing_unsafe_grades"]:
            hit("housing_unsafe", last["appraisal_date"].isoformat() if last["appraisal_date"] else "")

    # 因灾: a loss at the threshold or a listed house damage, within the window.
    disasters = [
        r["occurrence_date"]
        for r in rows["emergency"]
        if in_window(r["occurrence_date"], as_of, p["disaster_window_months"])
        and (
            (r["direct_loss"] is not None and r["direct_loss"] >= p["disaster_loss_threshold"])
            or r["house_damage"] in p["disaster_damage_levels"]
        )
    ]
    if disasters:
        hit("disaster", max(disasters).isoformat())

    # 务工就业不稳: labour of a 脱贫户 or monitored household out of work in the last months.
    months = window_months(as_of, p["employment_loss_window_months"])
    if lifted_or_monitored:
        lost = [
            r["stat_month"]
            for r in rows["employment"]
            if r["labour_capacity"] in p["employment_loss_capacities"]
            and r["employment_status"] in p["employment_loss_statuses"]
            and r["stat_month"] in months
        ]
        if lost:
            hit("employment_loss", max(lost))

    # 其他: new 低保/特困 of a household not monitored.
    if not_monitored:
        started = [
            r["start_date"]
            for r in rows["civil_affairs"]
            if r["assistance_type"] in p["assistance_types"]
            and in_window(r["start_date"], as_of, p["assistance_window_months"])
        ]
        if started:
            hit("assistance_new", max(started).isoformat())

    # 收入: the latest income year not after the as-of year.
    years = [y for y in incomes if y <= as_of.year]
    if years:
        year = max(years)
        income, previous, line = incomes[year], incomes.get(year - 1), line_for(year, p)
        if not_monitored and line is not None and income < line:
            hit("income_below_line", str(year))
        if (
            previous is not None
            and previous > 0
            and (previous - income) * 100 >= p["income_drop_percent"] * previous
            and line is not None
            and income < p["income_drop_line_multiple"] * line
        ):
            hit("income_drop", str(year))

    # 疑点: only households monitored or in identification; one open discrepancy per household.
    if under_check:
        if rows["public_payroll"]:
            hit("public_payroll", "")
        if any(r["vehicle_type"] in p["discrepancy_vehicle_types"] for r in rows["vehicle"]):
            hit("vehicle", "")
        if any(r["property_use"] in p["discrepancy_property_uses"] for r in rows["real_estate"]):
            hit("real_estate", "")
        if any(
            r["registration_status"] == "存续"
            and (
                r["entity_type"] in p["discrepancy_business_types"]
                or (
                    r["registered_capital"] is not None
                    and r["registered_capital"] >= p["discrepancy_business_capital"]
                )
            )
            for r in rows["business"]
        ):
            hit("business", "")
        if any(r["registration_status"] == "死亡" for r in rows["police"]):
            hit("deceased", "")
    return hits


def _by(rows: Iterable[Row], *columns: str) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = defaultdict(list)
    for r in rows:
        groups[r[columns[0]] if len(columns) == 1 else tuple(r[c] for c in columns)].append(r)
    return groups


def evaluate(
    as_of: date,
    params: Mapping[str, Any],
    *,
    rules: Collection[str] | None = None,
    households: Collection[int] | None = None,
) -> set[Identity]:
    """Every hit of the rules (default: all 16) over the active households (or only `households`)."""
    from zhenxing.registry.models import Household

    wanted = set(RULE_KEYS if rules is None else rules)
    unknown = wanted - set(RULE_KEYS)
    if unknown:
        raise ValueError(f"unknown rules: {sorted(unknown)}")
    only = set(households) if households is not None else None
    found: set[Identity] = set()
    for household in Household.objects.filter(is_active=True).order_by("pk"):
        if only is None or household.pk in only:
            found |= evaluate_household(household, as_of, params, wanted)
    return found


# --- the product's path ---------------------------------------------------------------------------------
def engine_identities(
    as_of: date, params: Mapping[str, Any], *, rules: Collection[str] | None = None
) -> set[Identity]:
    """The same hits the product's way: `write_snapshot` of the whole database, then the engine (DuckDB)."""
    from zhenxing.screening.engine import run as engine
    from zhenxing.screening.snapshot import write_snapshot

    with tempfile.TemporaryDirectory(prefix="zhenxing-orm-check-") as directory:
        write_snapshot(Path(directory))
        result = engine.run(Path(directory), params, as_of, rules=list(rules) if rules is not None else None)
    return {h.identity for h in result.hits}
