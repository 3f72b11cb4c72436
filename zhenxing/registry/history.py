"""Household state snapshots and as-of reconstruction.

Every `HouseholdEvent` stores the household's state after the change. The state on a date is the
snapshot of the latest event effective on or before that date (ties broken by id, i.e. by the order
the changes were recorded).
"""

import datetime
from dataclasses import dataclass, field

from zhenxing.registry.models import Household, HouseholdEvent, HouseholdKind, IncomeYear, Membership, Person

HOUSEHOLD_FIELDS = ("number", "kind", "lifted_year", "lifted_attribute", "is_active")
PERSON_FIELDS = (
    "ethnicity",
    "political_status",
    "education",
    "schooling",
    "health",
    "labour_capacity",
    "employment",
    "months_worked",
    "status",
)
INCOME_FIELDS = (
    "wage_income",
    "business_income",
    "property_income",
    "transfer_income",
    "production_costs",
    "claims_income",
    "compliant_out_of_pocket",
    "household_size",
    "net_income",
    "net_income_per_capita",
)


# 脱贫劳动力: members of a 脱贫户 able to work; 外出务工: working outside their township (务工状况).
LABOUR_CAPACITIES = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
MIGRANT_WORK = ("省外务工", "省内县外务工", "县内务工")


def derived(snapshot: dict) -> dict:
    """The columns every `HouseholdEvent` keeps beside its snapshot, read from it, so that the dashboards
    count a district's history without opening a million JSON documents (`registry.queries.lifted_labour_on`):

    - `area_code`: the household's village then;
    - `lifted_labour`: how many 脱贫劳动力 it had, when it was an active 脱贫户 then (else null);
    - `lifted_migrants`: how many of them were in 外出务工 (else null).

    Every writer of events passes these (`actions.record_event`, the importer); `registry/tests/test_history.py`
    checks that they equal this function of the stored snapshot."""
    household = snapshot.get("household", {})
    lifted = household.get("kind") == HouseholdKind.LIFTED and household.get("is_active") is True
    labour = [m for m in snapshot.get("members", []) if m.get("labour_capacity") in LABOUR_CAPACITIES]
    return {
        "area_code": household.get("area_code", ""),
        "lifted_labour": len(labour) if lifted else None,
        "lifted_migrants": sum(1 for m in labour if m.get("employment") in MIGRANT_WORK) if lifted else None,
    }


def build_snapshot(household: dict, area_code: str, members: list[dict]) -> dict:
    """The JSON state: household attributes and its current members (person ids, relation, attributes).

    `household` holds HOUSEHOLD_FIELDS; each member dict holds `person` (pk), `relation`,
    `start_date` (ISO string) and PERSON_FIELDS. Names and ID numbers are not stored here.
    """
    return {
        "household": {**{f: household[f] for f in HOUSEHOLD_FIELDS}, "area_code": area_code},
        "members": sorted(
            (
                {
                    "person": m["person"],
                    "relation": m["relation"],
                    "start_date": m["start_date"],
                    **{f: m[f] for f in PERSON_FIELDS},
                }
                for m in members
            ),
            key=lambda m: (m["relation"] != "户主", m["start_date"], m["person"]),
        ),
    }


def snapshot(household: Household) -> dict:
    """The current state, read from the database (call after the change, inside the action)."""
    memberships = Membership.objects.filter(household=household, end_date__isnull=True).select_related(
        "person"
    )
    members = [
        {
            "person": m.person_id,
            "relation": m.relation,
            "start_date": m.start_date.isoformat(),
            **{f: getattr(m.person, f) for f in PERSON_FIELDS},
        }
        for m in memberships
    ]
    fields = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS}
    return build_snapshot(fields, household.area.code, members)


@dataclass
class MemberState:
    person: Person
    relation: str
    start_date: datetime.date
    values: dict


@dataclass
class HouseholdState:
    """A household as it stood on `day`, per the event `event`."""

    day: datetime.date
    event: HouseholdEvent
    household: dict
    members: list[MemberState] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


def state_on(household: Household, day: datetime.date) -> HouseholdState | None:
    """The household on `day`, or None if it was not yet registered then."""
    event = (
        HouseholdEvent.objects.filter(household=household, effective_date__lte=day)
        # Income records snapshot the make-up at recording time; a change entered later with an earlier
        # date would be hidden behind them, so the make-up comes from make-up events only.
        .exclude(kind=HouseholdEvent.Kind.INCOME_RECORDED)
        .order_by("-effective_date", "-id")
        .first()
    )
    if event is None:
        return None
    members = event.snapshot.get("members", [])
    persons = Person.objects.in_bulk([m["person"] for m in members])
    return HouseholdState(
        day=day,
        event=event,
        household=event.snapshot["household"],
        members=[
            MemberState(
                person=persons[m["person"]],
                relation=m["relation"],
                start_date=datetime.date.fromisoformat(m["start_date"]),
                values={f: m.get(f) for f in PERSON_FIELDS},
            )
            for m in members
        ],
    )


def members_on(household_id: int, day: datetime.date) -> int:
    """How many people belonged to the household on `day` (used for household size in a year)."""
    return sum(
        1
        for m in Membership.objects.filter(household_id=household_id, start_date__lte=day).only(
            "start_date", "end_date"
        )
        if m.is_current_on(day)
    )


def size_for_year(household_id: int, year: int, today: datetime.date | None = None) -> int:
    """Household size for an income year: the members on 31 December (or today, for the current year)."""
    today = today or datetime.date.today()
    day = min(datetime.date(year, 12, 31), today)
    return members_on(household_id, day)


def incomes_on(household: Household, day: datetime.date) -> list[dict]:
    """Each year's income as it was recorded on `day` (later corrections not yet applied)."""
    events = HouseholdEvent.objects.filter(
        household=household, kind=HouseholdEvent.Kind.INCOME_RECORDED, effective_date__lte=day
    ).order_by("effective_date", "id")
    by_year: dict[int, dict] = {}
    for event in events:
        by_year[event.data["year"]] = event.data["after"]
    return [{"year": year, **values} for year, values in sorted(by_year.items())]


def income_values(income: IncomeYear) -> dict:
    """An income row as stored in event data (Decimals as strings)."""
    return {f: (None if getattr(income, f) is None else str(getattr(income, f))) for f in INCOME_FIELDS}
