"""Every write to the registry. Views, imports, commands and jobs call these; nothing else saves
households, persons, memberships or incomes.

Each action runs in one transaction and ends with `record_event()`, which appends the household's
`HouseholdEvent` (with the state after the change) and the audit row. A change that touches two
households (split, merge) appends one event to each, so both keep their as-of history.

Rules every change obeys (each refusal is a `ValidationError` with a Chinese message saying what to
do, raised before anything is written or rolled back with the transaction):
- the household is active (not merged away or emptied);
- the effective date is not in the future and not before the household's latest event (the as-of
  history is a sequence of snapshots, so changes are recorded in the order they happened);
- relations come from the national list; an active household keeps exactly one head;
- a person belongs to at most one active household.
A membership that changes household ends on the effective date and the new one starts that day.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhenxing.areas.models import Area, Level
from zhenxing.audit import actions as audit
from zhenxing.audit.context import current_source
from zhenxing.audit.models import Kind
from zhenxing.lib import idnumbers, personal
from zhenxing.registry import rules
from zhenxing.registry.history import derived, income_values, size_for_year, snapshot
from zhenxing.registry.incomes import keep_household, keep_latest
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    HouseholdKind,
    IncomeYear,
    Membership,
    Person,
    PersonStatus,
)
from zhenxing.registry.signals import household_changed


def record_event(
    actor, household: Household, kind: str, effective_date: datetime.date, data: dict, reason: str = ""
) -> HouseholdEvent:
    """Append the history row (state after the change) and the audit row. Call last, inside the action."""
    household.member_count = Membership.objects.filter(household=household, end_date__isnull=True).count()
    head = Membership.objects.filter(household=household, end_date__isnull=True, relation=HEAD).first()
    household.head_id = head.person_id if head else None
    household.save(update_fields=["member_count", "head", "updated_at"])
    keep_household([household.pk])
    household_changed.send(sender=Household, household=household)
    state = snapshot(household)
    event = HouseholdEvent.objects.create(
        household=household,
        kind=kind,
        effective_date=effective_date,
        actor=actor if getattr(actor, "pk", None) else None,
        source=current_source(),
        reason=reason,
        data=data,
        snapshot=state,
        **derived(state),
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
            current = Membership.objects.filter(person=person, end_date__isnull=True).select_related(
                "household"
            )
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


# —— Shared checks —————————————————————————————————————————————————————————————————————————————————

ADD_REASONS = (
    Membership.StartReason.BIRTH,
    Membership.StartReason.MARRIAGE_IN,
    Membership.StartReason.MOVED_IN,
)
REMOVE_REASONS = (
    Membership.EndReason.DEATH,
    Membership.EndReason.MARRIAGE_OUT,
    Membership.EndReason.MOVED_AWAY,
)
HOUSEHOLD_EDITABLE = ("kind", "lifted_year", "lifted_attribute")
PERSON_EDITABLE = (*PERSON_ATTRIBUTES, "phone", "relation")
# Event data holds ids and values, never names or personal numbers: these fields are only named.
PERSON_UNLOGGED = ("name", "external_id", "phone")
_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal("1e12")


def _today() -> datetime.date:
    return timezone.localdate()


def _lock(household: Household) -> None:
    """Serialise changes to one household (a row lock on PostgreSQL), re-read it, and require it active."""
    list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk", flat=True))
    household.refresh_from_db()
    if not household.is_active:
        raise ValidationError(f"户 {household.number} 已注销（已并入其他户或已无在册成员），不能再办理变动")


def last_event_date(household: Household) -> datetime.date | None:
    """The date of the latest change to the household's make-up (income records do not count: they are
    dated when recorded and carry no membership change, so a death last week may still be entered)."""
    return (
        HouseholdEvent.objects.filter(household=household)
        .exclude(kind=HouseholdEvent.Kind.INCOME_RECORDED)
        .order_by("-effective_date", "-id")
        .values_list("effective_date", flat=True)
        .first()
    )


def _check_date(household: Household, effective_date: datetime.date) -> None:
    """Not in the future; not before the household's latest event (history is a sequence of states)."""
    if effective_date > _today():
        raise ValidationError(f"生效日期 {effective_date} 晚于今天，请填写变动实际发生的日期")
    last = last_event_date(household)
    if last is not None and effective_date < last:
        raise ValidationError(
            f"生效日期 {effective_date} 早于户 {household.number} 最近一次变动的日期 {last}，"
            "变动须按发生的先后顺序登记，请核对日期"
        )


def _open_membership(household: Household, person: Person) -> Membership:
    membership = (
        Membership.objects.filter(household=household, person=person, end_date__isnull=True)
        .select_related("person")
        .first()
    )
    if membership is None:
        raise ValidationError(f"{person.name} 不是户 {household.number} 的在册成员，请刷新页面后重新选择")
    return membership


def _current_memberships(household: Household) -> list[Membership]:
    return list(
        Membership.objects.filter(household=household, end_date__isnull=True)
        .select_related("person")
        .order_by("start_date", "id")
    )


def _end_membership(membership: Membership, day: datetime.date, reason: str) -> None:
    if day < membership.start_date:
        raise ValidationError(
            f"生效日期 {day} 早于{membership.person.name}的入户日期 {membership.start_date}，请核对日期"
        )
    ended = Membership.objects.filter(pk=membership.pk, end_date__isnull=True).update(
        end_date=day, end_reason=reason
    )
    if ended != 1:
        raise ValidationError(f"{membership.person.name}的户籍关系已被他人变更，请刷新页面后重试")


def _set_relation(membership: Membership, relation: str) -> None:
    updated = Membership.objects.filter(
        pk=membership.pk, end_date__isnull=True, relation=membership.relation
    ).update(relation=relation)
    if updated != 1:
        raise ValidationError(f"{membership.person.name}的与户主关系已被他人修改，请刷新页面后重试")
    membership.relation = relation


def _set_status(person: Person, old: str, new: str, day: datetime.date | None) -> None:
    updated = Person.objects.filter(pk=person.pk, status=old).update(status=new, status_date=day)
    if updated != 1:
        raise ValidationError(f"{person.name}的人员状态已被他人变更，请刷新页面后重试")
    person.status, person.status_date = new, day


# —— Member changes ————————————————————————————————————————————————————————————————————————————————


def add_member(
    actor, household: Household, person: PersonData, reason: str, effective_date: datetime.date
) -> Person:
    """A new member by birth, marriage or moving in. The person may be new or have left another
    household before; one still in an active household, or registered deceased, is refused."""
    if reason not in ADD_REASONS:
        raise ValidationError("增加成员的原因须为出生、婚入或迁入，请重新选择")
    name = rules.check_name(person.name)
    relation = rules.check_relation(person.relation, name)
    number = rules.valid_id(person.id_number)
    born = idnumbers.birth_date(number)
    if effective_date < born:
        raise ValidationError(
            f"生效日期 {effective_date} 早于{name}的出生日期 {born}，请核对日期或身份证号码"
        )
    data = PersonData(
        **{
            **person.__dict__,
            "id_number": number,
            "name": name,
            "relation": relation,
            "health": rules.check_health(person.health),
            "labour_capacity": rules.check_labour(person.labour_capacity),
            "months_worked": rules.check_months(person.months_worked),
            "phone": rules.check_phone(person.phone),
        }
    )
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        existing = find_person(number)
        if existing is not None:
            current = Membership.objects.filter(person=existing, end_date__isnull=True).select_related(
                "household"
            )
            if current:
                raise ValidationError(
                    f"{name}（{existing.id_masked}）已是户 {current[0].household.number} 的在册成员，"
                    "请先在该户办理减少成员"
                )
            if existing.status == PersonStatus.DECEASED:
                raise ValidationError(
                    f"公民身份号码 {existing.id_masked} 的人员已于 {existing.status_date} 登记死亡，"
                    "不能增加为成员，请核对号码"
                )
        member = _upsert_person(data)
        if member.status == PersonStatus.LEFT:
            _set_status(member, PersonStatus.LEFT, PersonStatus.ACTIVE, None)
        Membership.objects.create(
            household=household,
            person=member,
            relation=relation,
            start_date=effective_date,
            start_reason=reason,
        )
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.MEMBER_ADDED,
            effective_date,
            {"person": member.pk, "relation": relation, "start_reason": reason},
            Membership.StartReason(reason).label,
        )
    return member


def remove_member(
    actor, household: Household, person: Person, reason: str, effective_date: datetime.date, note: str = ""
) -> None:
    """A member leaves by death, marriage or moving away. The head leaves only after a head change,
    unless they are the last member: the household then has nobody left and is closed."""
    if reason not in REMOVE_REASONS:
        raise ValidationError("减少成员的原因须为死亡、婚出或迁出，请重新选择")
    note = (note or "").strip()
    if len(note) > 150:
        raise ValidationError("说明最多150个字，请精简")
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        membership = _open_membership(household, person)
        others = Membership.objects.filter(household=household, end_date__isnull=True).exclude(
            pk=membership.pk
        )
        remaining = others.count()
        if membership.relation == HEAD and remaining:
            raise ValidationError(f"{person.name}是户主，请先办理“变更户主”，再减少该成员")
        _end_membership(membership, effective_date, reason)
        new_status = PersonStatus.DECEASED if reason == Membership.EndReason.DEATH else PersonStatus.LEFT
        _set_status(person, PersonStatus.ACTIVE, new_status, effective_date)
        if remaining == 0:
            if Household.objects.filter(pk=household.pk, is_active=True).update(is_active=False) != 1:
                raise ValidationError(f"户 {household.number} 的状态已被他人变更，请刷新页面后重试")
            household.is_active = False
        label = Membership.EndReason(reason).label
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.MEMBER_REMOVED,
            effective_date,
            {
                "person": person.pk,
                "relation": membership.relation,
                "end_reason": reason,
                "household_closed": remaining == 0,
            },
            f"{label}：{note}" if note else label,
        )


def change_head(
    actor,
    household: Household,
    new_head_person: Person,
    effective_date: datetime.date,
    old_head_relation: str,
) -> None:
    """Another current member becomes the head; the old head stays with `old_head_relation` to them."""
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        new = _open_membership(household, new_head_person)
        if new.relation == HEAD:
            raise ValidationError(f"{new_head_person.name}已经是户主，请选择另一名成员")
        old = (
            Membership.objects.filter(household=household, end_date__isnull=True, relation=HEAD)
            .select_related("person")
            .first()
        )
        relation = rules.check_relation(old_head_relation, f"原户主{old.person.name}" if old else "原户主")
        previous = new.relation
        if old is not None:
            _set_relation(old, relation)  # first: one open head per household is a database constraint
        _set_relation(new, HEAD)
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.HEAD_CHANGED,
            effective_date,
            {
                "old_head": old.person_id if old else None,
                "new_head": new.person_id,
                "old_head_relation": relation,
                "new_head_previous_relation": previous,
            },
        )


# —— Household changes —————————————————————————————————————————————————————————————————————————————


def _person_key(value) -> int:
    return value.pk if isinstance(value, Person) else int(value)


def split_household(
    actor,
    household: Household,
    persons,
    new_number: str,
    new_head: Person,
    relations: dict,
    effective_date: datetime.date,
) -> Household:
    """Some members leave to form a new household in the same village, of the same kind.

    `persons` are the members who leave (the new head is one of them, added if missing); `relations`
    maps each of them (Person or pk) to their relation to the new head. Both households get an event.
    """
    new_number = (new_number or "").strip()
    if not new_number:
        raise ValidationError("请填写新户的户编号")
    if len(new_number) > 40:
        raise ValidationError("户编号最多40个字符，请核对")
    relations = {_person_key(k): v for k, v in relations.items()}
    leaving = list(dict.fromkeys([*(_person_key(p) for p in persons), new_head.pk]))
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        members = {m.person_id: m for m in _current_memberships(household)}
        strangers = [pk for pk in leaving if pk not in members]
        if strangers:
            raise ValidationError(f"所选人员不是户 {household.number} 的在册成员，请刷新页面后重新选择")
        if len(leaving) >= len(members):
            raise ValidationError("分户后原户至少要保留一名成员；如需整户迁移，请办理“迁往他村”")
        for pk in leaving:
            if members[pk].relation == HEAD:
                raise ValidationError(
                    f"{members[pk].person.name}是原户户主，不能分出；如需分出，请先在原户办理“变更户主”"
                )
        new_relations = {
            pk: HEAD
            if pk == new_head.pk
            else rules.check_relation(relations.get(pk, ""), f"{members[pk].person.name}（新户）")
            for pk in leaving
        }
        if Household.objects.filter(number=new_number).exists():
            raise ValidationError(f"户编号 {new_number} 已被使用，请换一个户编号")
        new = Household.objects.create(
            number=new_number,
            area=household.area,
            kind=household.kind,
            lifted_year=household.lifted_year,
            lifted_attribute=household.lifted_attribute,
        )
        for pk in leaving:
            _end_membership(members[pk], effective_date, Membership.EndReason.SPLIT)
            Membership.objects.create(
                household=new,
                person_id=pk,
                relation=new_relations[pk],
                start_date=effective_date,
                start_reason=Membership.StartReason.SPLIT,
            )
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.SPLIT,
            effective_date,
            {"new_household": new.pk, "persons": leaving},
            f"分出新户 {new_number}",
        )
        record_event(
            actor,
            new,
            HouseholdEvent.Kind.SPLIT,
            effective_date,
            {
                "from_household": household.pk,
                "persons": leaving,
                "relations": {str(pk): rel for pk, rel in new_relations.items()},
            },
            f"从户 {household.number} 分出",
        )
    return new


def merge_households(
    actor, target: Household, source: Household, relations: dict, effective_date: datetime.date
) -> None:
    """Every member of `source` joins `target` (whose head stays head) with the relation given in
    `relations` (Person or pk → relation); `source` is closed and keeps its history. Both get an event."""
    if target.pk == source.pk:
        raise ValidationError("不能把一户合并到它自己，请选择另一户")
    relations = {_person_key(k): v for k, v in relations.items()}
    with transaction.atomic():
        for household in sorted((target, source), key=lambda h: h.pk):  # one lock order: no deadlocks
            _lock(household)
        _check_date(target, effective_date)
        _check_date(source, effective_date)
        moving = _current_memberships(source)
        new_relations = {
            m.person_id: rules.check_relation(
                relations.get(m.person_id, ""), f"{m.person.name}（并入户 {target.number}）"
            )
            for m in moving
        }
        for m in moving:
            _end_membership(m, effective_date, Membership.EndReason.MERGE)
            Membership.objects.create(
                household=target,
                person_id=m.person_id,
                relation=new_relations[m.person_id],
                start_date=effective_date,
                start_reason=Membership.StartReason.MERGE,
            )
        if Household.objects.filter(pk=source.pk, is_active=True).update(is_active=False) != 1:
            raise ValidationError(f"户 {source.number} 的状态已被他人变更，请刷新页面后重试")
        source.is_active = False
        persons = [m.person_id for m in moving]
        record_event(
            actor,
            target,
            HouseholdEvent.Kind.MERGED,
            effective_date,
            {"source": source.pk, "persons": persons},
            f"合并户 {source.number}",
        )
        record_event(
            actor,
            source,
            HouseholdEvent.Kind.MERGED,
            effective_date,
            {"target": target.pk, "persons": persons},
            f"并入户 {target.number}",
        )


def move_household(actor, household: Household, new_village: Area, effective_date: datetime.date) -> None:
    """The whole household moves to another village (行政村/社区)."""
    if new_village.level != Level.VILLAGE or not new_village.is_active:
        raise ValidationError("只能迁往在用的行政村（社区），请重新选择")
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        old = household.area
        if old.pk == new_village.pk:
            raise ValidationError(f"该户已在{new_village.name}，请选择另一个村")
        household.area = new_village
        household.save(update_fields=["area", "updated_at"])
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.MOVED,
            effective_date,
            {"from_area": old.code, "to_area": new_village.code},
            f"由{old.name}迁往{new_village.name}",
        )


def edit_household(
    actor,
    household: Household,
    *,
    kind: str,
    lifted_year: int | None,
    lifted_attribute: str,
    effective_date: datetime.date,
) -> None:
    """Household attributes: kind, and for 脱贫户 the year (2014–2020) and attribute of leaving poverty."""
    lifted_attribute = (lifted_attribute or "").strip()
    if kind not in HouseholdKind.values:
        raise ValidationError("户类型须为脱贫户或一般农户，请重新选择")
    if kind == HouseholdKind.ORDINARY and (lifted_year is not None or lifted_attribute):
        raise ValidationError("一般农户不填写脱贫年度和脱贫属性，请清空这两项后再保存")
    if lifted_year is not None and not rules.LIFTED_YEAR_MIN <= lifted_year <= rules.LIFTED_YEAR_MAX:
        raise ValidationError(
            f"脱贫年度须在{rules.LIFTED_YEAR_MIN}年至{rules.LIFTED_YEAR_MAX}年之间，当前为{lifted_year}年"
        )
    if lifted_attribute and lifted_attribute not in rules.LIFTED_ATTRIBUTES:
        raise ValidationError(
            f"脱贫属性“{lifted_attribute}”无效，请从{'、'.join(rules.LIFTED_ATTRIBUTES)}中选择"
        )
    values = {"kind": kind, "lifted_year": lifted_year, "lifted_attribute": lifted_attribute}
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        changes = {f: [getattr(household, f), v] for f, v in values.items() if getattr(household, f) != v}
        if not changes:
            raise ValidationError("户信息没有变化，无需保存")
        for name, value in values.items():
            setattr(household, name, value)
        household.save(update_fields=[*HOUSEHOLD_EDITABLE, "updated_at"])
        record_event(actor, household, HouseholdEvent.Kind.EDITED, effective_date, {"changes": changes})


def _clean_person_values(values: dict) -> dict:
    unknown = set(values) - set(PERSON_EDITABLE)
    if unknown:
        raise ValueError(f"edit_person() cannot change {sorted(unknown)}")
    checks = {
        "name": rules.check_name,
        "health": rules.check_health,
        "labour_capacity": rules.check_labour,
        "months_worked": rules.check_months,
        "phone": rules.check_phone,
        "relation": rules.check_relation,
    }
    cleaned = {}
    for name, value in values.items():
        if name in checks:
            cleaned[name] = checks[name](value)
        else:
            cleaned[name] = (value or "").strip()
    return cleaned


def edit_person(
    actor, household: Household, person: Person, values: dict, effective_date: datetime.date
) -> None:
    """A current member's attributes (and, for a member who is not the head, the relation).

    `values` holds only what may change (PERSON_EDITABLE); a blank phone is not in it."""
    cleaned = _clean_person_values(values)
    with transaction.atomic():
        _lock(household)
        _check_date(household, effective_date)
        membership = _open_membership(household, person)
        person.refresh_from_db()
        changes: dict[str, list] = {}
        for name in PERSON_ATTRIBUTES:
            if name in cleaned and getattr(person, name) != cleaned[name]:
                changes[name] = [getattr(person, name), cleaned[name]]
        phone_changed = "phone" in cleaned and cleaned["phone"] != personal.decrypt(person.phone_encrypted)
        relation = cleaned.get("relation", membership.relation)
        if relation != membership.relation and membership.relation == HEAD:
            raise ValidationError(f"{person.name}是户主，户主的关系不能在此修改，请办理“变更户主”")
        if not changes and not phone_changed and relation == membership.relation:
            raise ValidationError("成员信息没有变化，无需保存")
        for name, (_, new) in changes.items():
            setattr(person, name, new)
        update_fields = list(changes)
        if phone_changed:
            for name, value in phone_fields(cleaned["phone"]).items():
                setattr(person, name, value)
            update_fields += ["phone_encrypted", "phone_masked"]
        if update_fields:
            person.save(update_fields=update_fields)
        fields = [*changes, *(["phone"] if phone_changed else [])]
        logged = {k: v for k, v in changes.items() if k not in PERSON_UNLOGGED}
        if relation != membership.relation:
            logged["relation"] = [membership.relation, relation]
            fields.append("relation")
            _set_relation(membership, relation)
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.MEMBER_EDITED,
            effective_date,
            {"person": person.pk, "fields": fields, "changes": logged},
        )


# —— Income ————————————————————————————————————————————————————————————————————————————————————————

INCOME_REQUIRED = ("wage_income", "business_income", "property_income", "transfer_income", "production_costs")
INCOME_OPTIONAL = ("claims_income", "compliant_out_of_pocket")


def _amount(name: str, value) -> Decimal | None:
    label = IncomeYear._meta.get_field(name).verbose_name
    if value in (None, ""):
        if name in INCOME_OPTIONAL:
            return None
        raise ValidationError(f"请填写{label}（没有请填0）")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label}“{value}”不是数字，请只填写金额，如 1234.50") from None
    if not amount.is_finite():
        raise ValidationError(f"{label}“{value}”不是数字，请只填写金额，如 1234.50")
    if amount < 0:
        raise ValidationError(f"{label}不能为负数，请核对")
    if amount != amount.quantize(_CENT):
        raise ValidationError(f"{label}最多两位小数（精确到分），请核对")
    if amount >= _MONEY_LIMIT:
        raise ValidationError(f"{label}金额过大，请核对单位（元）")
    return amount.quantize(_CENT)


def _transfer_items(items: dict, transfer_income: Decimal) -> dict:
    if not items:
        return {}
    parsed = {str(k): _amount("transfer_income", v) for k, v in items.items()}
    total = sum(parsed.values(), Decimal("0.00"))
    if total != transfer_income:
        raise ValidationError(
            f"转移性收入明细合计 {total} 元，与转移性收入 {transfer_income} 元不一致，请核对"
        )
    return {k: str(v) for k, v in parsed.items()}


def record_income(actor, household: Household, year: int, amounts: dict) -> IncomeYear:
    """One year's incomes (a new year or a correction). Household size is the member count that year;
    net and per-capita income are computed. Recorded with today's date, so the as-of view shows the
    figures known on each day."""
    today = _today()
    if not rules.INCOME_YEAR_MIN <= year <= today.year:
        raise ValidationError(f"年度须在{rules.INCOME_YEAR_MIN}年至{today.year}年之间，请核对")
    unknown = set(amounts) - {*INCOME_REQUIRED, *INCOME_OPTIONAL, "transfer_items"}
    if unknown:
        raise ValueError(f"record_income() does not know {sorted(unknown)}")
    values = {name: _amount(name, amounts.get(name)) for name in (*INCOME_REQUIRED, *INCOME_OPTIONAL)}
    items = _transfer_items(amounts.get("transfer_items") or {}, values["transfer_income"])
    with transaction.atomic():
        _lock(household)
        size = size_for_year(household.pk, year, today)
        if size == 0:
            raise ValidationError(
                f"户 {household.number} 在{year}年没有在册成员，不能登记该年度收入，请核对年度"
            )
        income = IncomeYear.objects.filter(household=household, year=year).first()
        before = income_values(income) if income else None
        before_items = income.transfer_items if income else {}
        if income is None:
            income = IncomeYear(household=household, year=year)
        for name, value in values.items():
            setattr(income, name, value)
        income.transfer_items = items
        income.household_size = size
        income.compute()
        after = income_values(income)
        if before == after and before_items == items:
            raise ValidationError("收入数据没有变化")
        income.recorded_by = actor if getattr(actor, "pk", None) else None
        income.save()
        keep_latest([household.pk])
        record_event(
            actor,
            household,
            HouseholdEvent.Kind.INCOME_RECORDED,
            today,
            {"year": year, "before": before, "after": after},
            f"{year}年度收入",
        )
    return income


# —— Personal data —————————————————————————————————————————————————————————————————————————————————


def reveal_person(actor, person: Person, household: Household) -> dict:
    """The full ID number and phone of a person, for a role allowed to see them; audited."""
    with transaction.atomic():
        audit.record(
            actor,
            "reveal_person",
            person,
            kind=Kind.READ_PERSONAL,
            area_code=household.area.code,
            changes={"fields": ["id_number", "phone"], "household": household.number},
        )
    return {
        "id_number": personal.decrypt(person.id_number_encrypted),
        "phone": personal.decrypt(person.phone_encrypted),
    }


def record_full_export(actor, filters: dict, as_of: datetime.date | None, households: int, rows: int) -> None:
    """The audit row of an export with full ID numbers and phones (written before the file is handed out)."""
    with transaction.atomic():
        audit.record(
            actor,
            "export_registry",
            kind=Kind.EXPORT_PERSONAL,
            object_type="registry.household",
            object_label="农户台账导出（含完整身份证号码和联系电话）",
            changes={
                "filters": filters,
                "as_of": as_of.isoformat() if as_of else None,
                "households": households,
                "rows": rows,
            },
        )
