"""Every write to the registry. Views, imports, commands and jobs call these; nothing else saves
households, persons, memberships or incomes.

Each action runs in one transaction and ends with `record_event()`, which appends the household's
`HouseholdEvent` (with the state after the change) and the audit row.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from zhenxing.audit import actions as audit
from zhenxing.audit.context import current_source
from zhenxing.lib import idnumbers, personal
from zhenxing.registry.history import snapshot
from zhenxing.registry.models import HEAD, Household, HouseholdEvent, Membership, Person


def record_event(
    actor, household: Household, kind: str, effective_date: datetime.date, data: dict, reason: str = ""
) -> HouseholdEvent:
    """Append the history row (state after the change) and the audit row. Call last, inside the action."""
    household.member_count = Membership.objects.filter(household=household, end_date__isnull=True).count()
    head = Membership.objects.filter(household=household, end_date__isnull=True, relation=HEAD).first()
    household.head_id = head.person_id if head else None
    household.save(update_fields=["member_count", "head", "updated_at"])
    event = HouseholdEvent.objects.create(
        household=household,
        kind=kind,
        effective_date=effective_date,
        actor=actor if getattr(actor, "pk", None) else None,
        source=current_source(),
        reason=reason,
        data=data,
        snapshot=snapshot(household),
    )
    audit.record(actor, f"household_{kind}", household, changes={**data, "effective_date": effective_date})
    return event


@dataclass
class PersonData:
    """One person as typed or imported. `id_number` is validated and normalised by `identity()`."""

    id_number: str
    name: str
    relation: str
    health: str
    labour_capacity: str
    external_id: str = ""
    ethnicity: str = ""
    political_status: str = ""
    education: str = ""
    schooling: str = ""
    employment: str = ""
    months_worked: int | None = None
    phone: str = ""


PERSON_ATTRIBUTES = (
    "name",
    "external_id",
    "ethnicity",
    "political_status",
    "education",
    "schooling",
    "health",
    "labour_capacity",
    "employment",
    "months_worked",
)


def identity(id_number: str) -> dict:
    """Encrypted, hashed and masked forms of an ID number, with sex and birth date derived from it."""
    number = idnumbers.validate(id_number)
    return {
        "id_number_encrypted": personal.encrypt(number),
        "id_hash": personal.lookup_hash(number),
        "id_masked": idnumbers.mask(number),
        "sex": idnumbers.sex(number),
        "birth_date": idnumbers.birth_date(number),
    }


def phone_fields(phone: str) -> dict:
    phone = phone.strip()
    return {"phone_encrypted": personal.encrypt(phone), "phone_masked": idnumbers.mask(phone)}


def find_person(id_number: str) -> Person | None:
    """Look a person up by full ID number (through the keyed hash; nothing is decrypted)."""
    return Person.objects.filter(id_hash=personal.lookup_hash(idnumbers.validate(id_number))).first()


@dataclass
class HouseholdData:
    number: str
    area_id: int
    kind: str
    members: list[PersonData]
    lifted_year: int | None = None
    lifted_attribute: str = ""
    extra: dict = field(default_factory=dict)


def register_household(
    actor, data: HouseholdData, effective_date: datetime.date, reason: str = ""
) -> Household:
    """Register a new household with its members (exactly one head; nobody already in another one)."""
    heads = [m for m in data.members if m.relation == HEAD]
    if len(heads) != 1:
        raise ValidationError(f"户 {data.number} 须有且只有一名户主，当前为{len(heads)}名")
    with transaction.atomic():
        household = Household.objects.create(
            number=data.number,
            area_id=data.area_id,
            kind=data.kind,
            lifted_year=data.lifted_year,
            lifted_attribute=data.lifted_attribute,
        )
        for member in data.members:
            person = _upsert_person(member)
            current = Membership.objects.filter(person=person, end_date__isnull=True).select_related("household")
            if current:
                raise ValidationError(
                    f"{member.name}（{person.id_masked}）已是户 {current[0].household.number} 的在册成员，"
                    "请先在原户办理减少成员"
                )
            Membership.objects.create(
                household=household,
                person=person,
                relation=member.relation,
                start_date=effective_date,
                start_reason=Membership.StartReason.REGISTERED,
            )
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.REGISTERED,
            effective_date,
            {"area": data.area_id, "kind": data.kind, "members": len(data.members)},
            reason,
        )
    return household


def _upsert_person(member: PersonData) -> Person:
    """The person with this ID number (attributes refreshed), or a new one."""
    ident = identity(member.id_number)
    values = {a: getattr(member, a) for a in PERSON_ATTRIBUTES}
    person = Person.objects.filter(id_hash=ident["id_hash"]).first()
    if person is None:
        return Person.objects.create(**ident, **values, **phone_fields(member.phone))
    for name, value in values.items():
        setattr(person, name, value)
    if member.phone:
        for name, value in phone_fields(member.phone).items():
            setattr(person, name, value)
    person.save()
    return person
