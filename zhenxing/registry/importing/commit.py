"""Write a checked plan: one transaction, all or nothing.

New households go in bulk, `BATCH_SIZE` households at a time: persons, households, memberships and
`HouseholdEvent` REGISTERED (with its snapshot) as multi-row INSERTs (`importing.bulk.insert`, the
fast equivalent of `bulk_create`; per-row ORM saves take minutes for 30,000 households), then the
audit rows through `audit.record_many`. Households already in the registry are updated one by one with
history (`registry.actions.record_event(kind=IMPORTED)`), keeping the previous values in the event's
`{"changes": …}`.

New households are registered today, unless the commit is given `registered_on`: a district loading the
national system's export registers households that existed long before, and their as-of history (the
dashboards' "a year ago") should start then. The file has no 入户 dates, so a household's registration
day is `registered_on` but never before a member's birth, nor before the end of a returning person's
previous membership (one person's memberships never overlap). Updates are dated today either way.

The registry may have changed since the plan was made (another import, an edit). The commit re-checks
inside its transaction, and the database's constraints (one open membership per person, unique ID
hash, unique 户编号) reject what a concurrent import slipped in; either way nothing is written and
`ImportConflict` names the person (masked ID) or household.
"""

from __future__ import annotations

import datetime
import operator
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from zhenxing.areas.models import Area
from zhenxing.audit import actions as audit
from zhenxing.audit.context import current_source
from zhenxing.lib import idnumbers, personal
from zhenxing.registry.actions import phone_fields, record_event
from zhenxing.registry.history import HOUSEHOLD_FIELDS, PERSON_FIELDS, build_snapshot, derived, income_values
from zhenxing.registry.importing import bulk
from zhenxing.registry.importing.common import (
    BATCH_SIZE,
    NEW,
    UNCHANGED,
    UPDATE,
    ImportConflict,
    Progress,
    chunks,
    no_gc,
)
from zhenxing.registry.importing.households import (
    HouseholdPlan,
    PlannedHousehold,
    PlannedPerson,
    basis_of,
)
from zhenxing.registry.importing.income import IncomePlan, PlannedIncome
from zhenxing.registry.incomes import keep_latest
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdEvent,
    IncomeYear,
    Membership,
    Person,
    PersonStatus,
)

PERSON_DEFAULTS = {
    "external_id": "",
    "ethnicity": "",
    "political_status": "",
    "education": "",
    "schooling": "",
    "employment": "",
    "months_worked": None,
}
NO_PHONE = {"phone_encrypted": "", "phone_masked": ""}
MAX_CONFLICTS_SHOWN = 20
# After writing this many persons (or incomes) the planner statistics are refreshed (PostgreSQL).
ANALYZE_AFTER_ROWS = 10_000


def _refuse_unless_committable(plan, only_valid: bool) -> None:
    if plan.has_file_error:
        raise ValidationError("文件本身有错误（见错误报告），没有可导入的数据：请改正后重新上传")
    if not only_valid and not plan.is_valid:
        count = len(getattr(plan, "all_errors", plan.errors))
        raise ValidationError(
            f"文件中还有{count}处错误，未导入任何数据：请改正后重新上传，或选择只导入无错误的户"
        )


def _reason(plan) -> str:
    return f"文件导入：{plan.filename}"[:200] if plan.filename else "文件导入"


# —— Households ——————————————————————————————————————————————————————————————————————————————————


def commit_households(
    actor,
    plan: HouseholdPlan,
    progress: Progress | None = None,
    only_valid: bool = False,
    registered_on: datetime.date | None = None,
) -> dict:
    """Write the plan's households (all of them, or with `only_valid` only those without errors).

    `registered_on` (default today, not in the future) dates the registration of new households and their
    memberships (see the module's docstring); households already registered are updated as of today.
    Returns {"created", "updated", "unchanged", "persons", "skipped"}: households created, updated and
    left unchanged, persons written, households skipped for their errors.
    """
    _refuse_unless_committable(plan, only_valid)
    _refuse_future(registered_on)
    selected = plan.selected(only_valid)
    try:
        with no_gc(), transaction.atomic():
            result = write_households(actor, plan, selected, progress, registered_on)
    except IntegrityError as e:
        raise _conflict_after(selected, e) from e
    if result["persons"] >= ANALYZE_AFTER_ROWS:
        refresh_statistics([Person, Household, Membership, HouseholdEvent])
    result["skipped"] = len(plan.households) - len(selected)
    return result


def _refuse_future(registered_on: datetime.date | None) -> None:
    if registered_on is not None and registered_on > timezone.localdate():
        raise ValidationError(f"登记日期 {registered_on} 晚于今天，请填写农户实际登记的日期")


def refresh_statistics(models) -> None:
    """PostgreSQL: ANALYZE the tables a big import filled.

    Until autovacuum catches up, the planner still believes the tables are as small as before the
    import and picks sequential scans for the next import's lookups (measured: 37 s instead of 7 s to
    re-check 100,000 persons). SQLite plans from its indexes and needs nothing.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def write_households(
    actor,
    plan: HouseholdPlan,
    selected: list[PlannedHousehold],
    progress,
    registered_on: datetime.date | None = None,
) -> dict:
    """The writes, inside the caller's transaction (commit_income calls it too). New households are
    registered on `registered_on` (default today; see the module's docstring).

    Re-checked here: households to update must be as the plan found them. What a concurrent import
    may have added (the same 户编号, the same person, a person now in another household) the
    database's unique constraints reject on insert; `find_conflicts` then says what it was.
    """
    conflicts = find_conflicts([h for h in selected if h.action == UPDATE])
    if conflicts:
        raise ImportConflict(conflicts)
    today = timezone.localdate()
    reason = _reason(plan)
    new = [h for h in selected if h.action == NEW]
    updates = [h for h in selected if h.action == UPDATE]
    total = len(new) + len(updates)
    persons = _create_households(actor, new, registered_on or today, reason, progress, total)
    for done, household in enumerate(updates, start=len(new) + 1):
        persons += _update_household(actor, household, plan.present, today, reason)
        if progress:
            progress(done, total)
    return {
        "created": len(new),
        "updated": len(updates),
        "unchanged": sum(1 for h in selected if h.action == UNCHANGED),
        "persons": persons,
    }


def find_conflicts(selected: list[PlannedHousehold]) -> list[str]:
    """What changed in the registry since the plan was made, in words (empty when nothing did)."""
    messages: list[str] = []
    new = [h for h in selected if h.action == NEW]
    for chunk in chunks([h.number for h in new]):
        for number in Household.objects.filter(number__in=chunk).values_list("number", flat=True):
            messages.append(f"户编号 {number} 在检查之后已由其他导入或操作登记")
    writing = [h for h in selected if h.action != UNCHANGED]
    by_hash = {p.id_hash: (h, p) for h in writing for p in h.members}
    for chunk in chunks(list(by_hash)):
        reported = set()
        for id_hash, number in Membership.objects.filter(
            end_date__isnull=True, person__id_hash__in=chunk
        ).values_list("person__id_hash", "household__number"):
            household, person = by_hash[id_hash]
            if number != household.number:
                reported.add(id_hash)
                messages.append(
                    f"公民身份号码 {idnumbers.mask(person.id_number)} 的人在检查之后已登记为户 {number} 的在册成员，"
                    f"不能再登记到户 {household.number}"
                )
        planned_new = [h for h in chunk if by_hash[h][1].person_id is None and h not in reported]
        for id_hash in Person.objects.filter(id_hash__in=planned_new).values_list("id_hash", flat=True):
            person = by_hash[id_hash][1]
            messages.append(
                f"公民身份号码 {idnumbers.mask(person.id_number)} 的人在检查之后已由其他导入或操作登记"
            )
    updates = {h.household_id: h for h in selected if h.action == UPDATE}
    for household_id, basis in _bases(list(updates)).items():
        if basis != updates[household_id].basis:
            messages.append(f"户 {updates[household_id].number} 在检查之后已被修改（可能有人同时在办理变更）")
    if len(messages) > MAX_CONFLICTS_SHOWN:
        messages = [*messages[:MAX_CONFLICTS_SHOWN], f"……等共{len(messages)}处"]
    if messages:
        messages.append("本次没有写入任何数据：请重新上传文件检查后再导入")
    return messages


def _bases(household_ids: list[int]) -> dict[int, tuple]:
    bases = {}
    for chunk in chunks(household_ids):
        stored = Household.objects.filter(pk__in=chunk).values(
            "id", "area_id", "kind", "lifted_year", "lifted_attribute"
        )
        members: dict[int, list] = {}
        for m in Membership.objects.filter(household_id__in=chunk, end_date__isnull=True).values(
            "household_id", "person_id", "relation"
        ):
            members.setdefault(m["household_id"], []).append(m)
        for h in stored:
            bases[h["id"]] = basis_of(h, members.get(h["id"], []))
    return bases


def _conflict_after(selected: list[PlannedHousehold], error: IntegrityError) -> ImportConflict:
    """A constraint rejected the commit: the concurrent import has committed by now, so look again."""
    messages = find_conflicts(selected)
    if messages:
        return ImportConflict(messages)
    return ImportConflict(
        "提交时与其他同时进行的导入或修改冲突，本次没有写入任何数据：请重新上传文件检查后再导入"
        f"（数据库提示：{str(error).splitlines()[0][:120]}）"
    )


def _birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def identity_of_valid(person: PlannedPerson) -> dict:
    """`registry.actions.identity()` for a number the check already validated and hashed.

    `identity()` validates the number three times over (validate, sex, birth_date: ~65 µs of its
    ~125 µs per call here, i.e. 6 s for 100,000 persons); the result is the same (a test compares them).
    """
    number = person.id_number
    return {
        "id_number_encrypted": personal.encrypt(number, key=settings.ZX_DATA_KEY),
        "id_hash": person.id_hash,
        "id_masked": idnumbers.mask(number),
        "sex": person.sex,
        "birth_date": _birth_date(number),
    }


def _phone(phone: str) -> dict:
    """`registry.actions.phone_fields` with the key passed in (reading settings per call costs)."""
    return {
        "phone_encrypted": personal.encrypt(phone, key=settings.ZX_DATA_KEY),
        "phone_masked": idnumbers.mask(phone),
    }


def _person_row(person: PlannedPerson, now) -> dict:
    row = {
        **identity_of_valid(person),
        **PERSON_DEFAULTS,
        **person.values,
        "name": person.name,
        "public_id": uuid.uuid4(),
        "status": PersonStatus.ACTIVE,
        "created_at": now,
        **(_phone(person.phone) if person.phone else NO_PHONE),
    }
    return row


def _new_person(person: PlannedPerson) -> Person:
    """One Person for the per-household update path."""
    return Person(
        **identity_of_valid(person),
        name=person.name,
        **{**PERSON_DEFAULTS, **person.values},
        **(phone_fields(person.phone) if person.phone else {}),
    )


def _snapshot_member(person_id: int, relation: str, start: datetime.date, values: dict) -> dict:
    return {"person": person_id, "relation": relation, "start_date": start.isoformat(), **values}


def _create_households(actor, households, registered_on, reason, progress, total) -> int:
    """Bulk path for new households, one batch of households at a time (bounded memory), registered on
    `registered_on` (see `_registration_days`)."""
    if not households:
        return 0
    area_codes = dict(Area.objects.filter(pk__in={h.area_id for h in households}).values_list("pk", "code"))
    source = current_source()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    written = done = 0
    for batch in chunks(households, BATCH_SIZE):
        new_rows, reused = _new_person_rows(batch, now)
        days = _registration_days(batch, registered_on)
        written += _write_batch(actor_id, actor, batch, new_rows, reused, area_codes, source, days, reason)
        done += len(batch)
        if progress:
            progress(done, total)
    return written


def _new_person_rows(batch: list[PlannedHousehold], now) -> tuple[list[dict], list[PlannedPerson]]:
    """Rows for the batch's new persons, and the known persons it reuses."""
    new_rows: list[dict] = []
    reused: list[PlannedPerson] = []
    for household in batch:
        for person in household.members:
            if person.person_id is None:
                new_rows.append(_person_row(person, now))
            else:
                reused.append(person)
    return new_rows, reused


def _registration_days(
    batch: list[PlannedHousehold], registered_on: datetime.date
) -> dict[str, datetime.date]:
    """户编号 → the day each new household is registered: `registered_on`, but not before a member was
    born nor before a returning person's previous membership ended. Call before the batch is written."""
    if registered_on >= timezone.localdate():  # the usual import, dated today: nothing can be later
        return {h.number: registered_on for h in batch}
    reused = [p.person_id for h in batch for p in h.members if p.person_id is not None]
    ended: dict[int, datetime.date] = {}
    for chunk in chunks(reused):
        ended |= {
            pk: last
            for pk, last in Membership.objects.filter(person_id__in=chunk)
            .order_by()
            .values("person_id")
            .annotate(last=Max("end_date"))
            .values_list("person_id", "last")
            if last is not None
        }
    return {
        h.number: max(
            registered_on,
            *(_birth_date(p.id_number) for p in h.members),
            *(ended[p.person_id] for p in h.members if p.person_id in ended),
        )
        for h in batch
    }


def _write_batch(actor_id, actor, batch, new_rows, reused, area_codes, source, days, reason) -> int:
    """Insert one batch of new households with their persons, memberships, events and audit rows;
    `days` maps each 户编号 to its registration day."""
    # In key order, the unique indexes on id_hash and public_id take the batch in one pass over their
    # pages instead of one random page per row (the uuid4 values are only handed out in sorted order).
    new_rows.sort(key=operator.itemgetter("id_hash"))
    for row, public_id in zip(new_rows, sorted(r["public_id"] for r in new_rows), strict=True):
        row["public_id"] = public_id
    last_person = bulk.last_pk(Person)
    bulk.insert(Person, new_rows)
    person_ids = bulk.ids_since(Person, "id_hash", last_person, (r["id_hash"] for r in new_rows))
    snapshot_values = {person_ids[r["id_hash"]]: {f: r[f] for f in PERSON_FIELDS} for r in new_rows}
    del new_rows
    snapshot_values |= _reactivate(reused)
    household_rows = []
    for household in batch:
        for person in household.members:
            if person.person_id is None:
                person.person_id = person_ids[person.id_hash]
        head = next(p for p in household.members if p.relation == HEAD)
        household_rows.append(
            {
                "public_id": uuid.uuid4(),
                "number": household.number,
                "area_id": household.area_id,
                "kind": household.kind,
                "lifted_year": household.lifted_year,
                "lifted_attribute": household.lifted_attribute or "",
                "is_active": True,
                "head_id": head.person_id,
                "member_count": len(household.members),
            }
        )
    for row, public_id in zip(household_rows, sorted(r["public_id"] for r in household_rows), strict=True):
        row["public_id"] = public_id  # as for persons: index-friendly order
    last_household = bulk.last_pk(Household)
    bulk.insert(Household, household_rows)
    household_ids = bulk.ids_since(Household, "number", last_household, (h.number for h in batch))
    memberships, events, audits = [], [], []
    for planned, row in zip(batch, household_rows, strict=True):
        planned.household_id = household_ids[planned.number]
        day = days[planned.number]
        members = []
        for person in planned.members:
            memberships.append(
                {
                    "household_id": planned.household_id,
                    "person_id": person.person_id,
                    "relation": person.relation,
                    "start_date": day,
                    "end_date": None,
                    "start_reason": Membership.StartReason.REGISTERED,
                    "end_reason": "",
                }
            )
            members.append(
                _snapshot_member(person.person_id, person.relation, day, snapshot_values[person.person_id])
            )
        data = {"area": planned.area_id, "kind": planned.kind, "members": len(planned.members)}
        area_code = area_codes[planned.area_id]
        events.append(
            {
                "household_id": planned.household_id,
                "kind": HouseholdEvent.Kind.REGISTERED,
                "effective_date": day,
                "actor_id": actor_id,
                "source": source,
                "reason": reason,
                "data": data,
                "snapshot": (
                    state := build_snapshot({f: row[f] for f in HOUSEHOLD_FIELDS}, area_code, members)
                ),
                **derived(state),
            }
        )
        audits.append(
            {
                "action": f"household_{HouseholdEvent.Kind.REGISTERED}",
                "object_type": Household._meta.label_lower,
                "object_id": str(row["public_id"]),
                "object_label": planned.number,
                "area_code": area_code,
                "changes": {**data, "effective_date": day.isoformat()},  # JSON-ready: no round trip
            }
        )
    memberships.sort(key=operator.itemgetter("person_id"))
    bulk.insert(Membership, memberships)
    bulk.insert(HouseholdEvent, events)
    audit.record_many(actor, audits)
    return len(memberships)


def _reactivate(persons: list[PlannedPerson]) -> dict[int, dict]:
    """Known persons (no current household) joining a new household: refresh, mark active."""
    if not persons:
        return {}
    for person in persons:
        values = {"name": person.name, **person.values, "status": PersonStatus.ACTIVE, "status_date": None}
        if person.phone:
            values |= phone_fields(person.phone)
        Person.objects.filter(pk=person.person_id).update(**values)
    ids = [p.person_id for p in persons]
    return {
        p["id"]: {f: p[f] for f in PERSON_FIELDS}
        for p in Person.objects.filter(pk__in=ids).values("id", *PERSON_FIELDS)
    }


def _update_household(actor, planned: PlannedHousehold, present, today, reason) -> int:
    """Bring one registered household in line with the file, with history. Returns persons written."""
    household = Household.objects.select_related("area").get(pk=planned.household_id)
    changes = dict(planned.changes)
    fields = changes.get("household", {})
    if fields:
        mapping = {"area": "area_id"}
        for name, (_old, new) in fields.items():
            setattr(household, mapping.get(name, name), new)
        household.save(update_fields=[mapping.get(n, n) for n in fields] + ["updated_at"])
        if "area" in fields:
            household.area = Area.objects.get(pk=household.area_id)
    current = {
        m.person.id_hash: m
        for m in Membership.objects.filter(household=household, end_date__isnull=True).select_related(
            "person"
        )
    }
    hashes = {p.id_hash for p in planned.members}
    for id_hash, membership in current.items():
        if id_hash not in hashes:
            ended = Membership.objects.filter(pk=membership.pk, end_date__isnull=True).update(
                end_date=today, end_reason=Membership.EndReason.CORRECTION
            )
            if ended != 1:
                raise ImportConflict(
                    f"户 {planned.number} 在导入过程中被修改：本次没有写入任何数据，请重新导入"
                )
            Person.objects.filter(pk=membership.person_id).update(status=PersonStatus.LEFT, status_date=today)
    written = 0
    kept = [(p, current[p.id_hash]) for p in planned.members if p.id_hash in current]
    # Whoever stops being 户主 does so before the new 户主 takes over (one open head per household).
    for person, membership in sorted(kept, key=lambda pm: pm[0].relation == HEAD):
        if membership.relation != person.relation:
            Membership.objects.filter(pk=membership.pk).update(relation=person.relation)
        if str(membership.person_id) in changes.get("members", {}):
            _refresh_person(membership.person_id, person)
            written += 1
    added = []
    for person in planned.members:
        if person.id_hash in current:
            continue
        if person.person_id is None:
            created = _new_person(person)
            created.save(force_insert=True)
            person.person_id = created.pk
        else:
            _refresh_person(person.person_id, person)
        Membership.objects.create(
            household=household,
            person_id=person.person_id,
            relation=person.relation,
            start_date=today,
            start_reason=Membership.StartReason.REGISTERED,
        )
        added.append(person.person_id)
        written += 1
    if added:
        changes["added"] = added
    record_event(actor, household, HouseholdEvent.Kind.IMPORTED, today, {"changes": changes}, reason)
    return written


def _refresh_person(person_id: int, person: PlannedPerson) -> None:
    values = {"name": person.name, **person.values, "status": PersonStatus.ACTIVE, "status_date": None}
    if person.phone:
        values |= phone_fields(person.phone)
    Person.objects.filter(pk=person_id).update(**values)


# —— Income ——————————————————————————————————————————————————————————————————————————————————————


def commit_income(
    actor,
    plan: IncomePlan,
    progress: Progress | None = None,
    only_valid: bool = False,
    registered_on: datetime.date | None = None,
) -> dict:
    """Write the plan's yearly incomes (and, first, the workbook's 户籍成员 sheet if it had one, its new
    households registered on `registered_on` as in `commit_households`).

    Returns {"created", "updated", "unchanged", "skipped"} for income rows, plus households_* figures
    when the workbook carried households.
    """
    _refuse_unless_committable(plan, only_valid)
    _refuse_future(registered_on)
    selected = plan.selected(only_valid)
    bad = plan.error_households() if only_valid else set()
    households = []
    if plan.households is not None:
        households = [h for h in plan.households.selected(only_valid) if h.number not in bad]
    try:
        with no_gc(), transaction.atomic():
            result = {}
            if plan.households is not None:
                figures = write_households(actor, plan.households, households, progress, registered_on)
                result = {f"households_{k}": v for k, v in figures.items()}
            result |= _write_incomes(actor, plan, selected, progress)
    except IntegrityError as e:
        messages = find_conflicts(households) + _income_conflicts(selected)
        raise ImportConflict(
            messages or "提交时与其他同时进行的导入冲突，本次没有写入任何数据：请重新上传文件检查后再导入"
        ) from e
    if result.get("created", 0) + result.get("households_persons", 0) >= ANALYZE_AFTER_ROWS:
        refresh_statistics([Person, Household, Membership, HouseholdEvent, IncomeYear])
    result["skipped"] = len(plan.incomes) - len(selected)
    return result


def _income_conflicts(selected: list[PlannedIncome]) -> list[str]:
    new = [i for i in selected if i.action == NEW and i.household_id is not None]
    messages = []
    for chunk in chunks(new):
        wanted = {(i.household_id, i.year): i for i in chunk}
        for household_id, year in IncomeYear.objects.filter(
            household_id__in={i.household_id for i in chunk}
        ).values_list("household_id", "year"):
            if (household_id, year) in wanted:
                messages.append(
                    f"户 {wanted[(household_id, year)].number} 的{year}年度收入在检查之后已由其他导入或操作登记"
                )
    if messages:
        messages.append("本次没有写入任何数据：请重新上传文件检查后再导入")
    return messages


def _write_incomes(actor, plan: IncomePlan, selected: list[PlannedIncome], progress) -> dict:
    numbers = [i.number for i in selected if i.household_id is None]
    ids = {}
    for chunk in chunks(sorted(set(numbers))):
        ids |= dict(Household.objects.filter(number__in=chunk).values_list("number", "id"))
    for income in selected:
        if income.household_id is None:
            income.household_id = ids[income.number]
    conflicts = _income_conflicts(selected)
    if conflicts:
        raise ImportConflict(conflicts)
    today = timezone.localdate()
    reason = _reason(plan)
    new = [i for i in selected if i.action == NEW]
    updates = [i for i in selected if i.action == UPDATE]
    _create_incomes(actor, new, today, reason, progress)
    for income in updates:
        _update_income(actor, income, today, reason)
    return {
        "created": len(new),
        "updated": len(updates),
        "unchanged": sum(1 for i in selected if i.action == UNCHANGED),
    }


def _income_row(income: PlannedIncome, actor) -> IncomeYear:
    row = IncomeYear(
        household_id=income.household_id,
        year=income.year,
        transfer_items=income.transfer_items,
        household_size=income.household_size,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        **income.amounts,
    )
    row.compute()
    return row


def _create_incomes(actor, incomes: list[PlannedIncome], today, reason, progress) -> None:
    source = current_source()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    done = 0
    for batch in chunks(incomes, BATCH_SIZE):
        rows = [_income_row(i, actor) for i in batch]
        snapshots, households = _snapshots({r.household_id for r in rows})
        for row in rows:  # the household as it is now (registry.incomes), set before the insert
            household = households[row.household_id]
            row.household_kind, row.household_area_id = household.kind, household.area_id
            row.household_active = household.is_active
        IncomeYear.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        keep_latest(r.household_id for r in rows)
        events, audits = [], []
        for row in rows:
            data = {"year": row.year, "after": income_values(row)}
            events.append(
                HouseholdEvent(
                    household_id=row.household_id,
                    kind=HouseholdEvent.Kind.INCOME_RECORDED,
                    effective_date=today,
                    actor_id=actor_id,
                    source=source,
                    reason=reason,
                    data=data,
                    snapshot=snapshots[row.household_id],
                    **derived(snapshots[row.household_id]),
                )
            )
            audits.append(
                {
                    "action": f"household_{HouseholdEvent.Kind.INCOME_RECORDED}",
                    "obj": households[row.household_id],
                    "changes": {**data, "effective_date": today},
                }
            )
        HouseholdEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
        audit.record_many(actor, audits)
        done += len(batch)
        if progress:
            progress(done, len(incomes))


def _snapshots(household_ids: set[int]) -> tuple[dict[int, dict], dict[int, Household]]:
    """The current state of many households at once (as `history.snapshot` builds it for one)."""
    households = Household.objects.select_related("area").in_bulk(list(household_ids))
    members: dict[int, list[dict]] = {}
    for m in Membership.objects.filter(household_id__in=household_ids, end_date__isnull=True).values(
        "household_id", "person_id", "relation", "start_date", *(f"person__{f}" for f in PERSON_FIELDS)
    ):
        values = {f: m[f"person__{f}"] for f in PERSON_FIELDS}
        members.setdefault(m["household_id"], []).append(
            _snapshot_member(m["person_id"], m["relation"], m["start_date"], values)
        )
    snapshots = {
        pk: build_snapshot({f: getattr(h, f) for f in HOUSEHOLD_FIELDS}, h.area.code, members.get(pk, []))
        for pk, h in households.items()
    }
    return snapshots, households


def _update_income(actor, planned: PlannedIncome, today, reason) -> None:
    income = IncomeYear.objects.select_for_update().get(pk=planned.income_id)
    before = income_values(income)
    for name, value in planned.amounts.items():
        setattr(income, name, value)
    income.transfer_items = planned.transfer_items
    income.household_size = planned.household_size
    income.recorded_by = actor if getattr(actor, "pk", None) else None
    income.compute()
    income.save()
    keep_latest([income.household_id])
    household = Household.objects.select_related("area").get(pk=income.household_id)
    data = {"year": income.year, "before": before, "after": income_values(income)}
    record_event(actor, household, HouseholdEvent.Kind.INCOME_RECORDED, today, data, reason)
