"""Every write of screening runs and warnings: a run's record, storing the engine's hits, and the
warning workflow new → assigned → verifying → closed.

Storing hits (`store_hits`, one transaction per run):
- warnings are identified by (rule, household, period): a hit that matches a stored warning only moves
  its last-seen run (`WarningSeen`) forward (and links any newly contributing feed rows); a new one is
  created with number "YJ" + its zero-padded pk, the rule's version, the settings version, the values,
  the feed rows, `raised_on` = the day of the run and `due` = `warning_verification_workdays` working
  days later, in the household's village, from the department of its feed. Warnings are never deleted:
  one whose cause has gone stays as it is (its last-seen run stops moving).
- discrepancy hits become 疑点 through `cases.actions.record_discrepancy` (source "screening",
  source_ref "<check>:<household pk>"), unless an unresolved one with that source_ref exists, or one was
  resolved on or after the upload of every feed row behind the hit (the verification note already
  answers those rows; a row uploaded later raises it again).
- one audit row per run (`screening.store_results`) with the counts: a run may store many thousands of
  warnings, and each warning's later changes are audited one by one.

The workflow (policy rule 14): the household's township (or the district) assigns a new warning to the
village; a village cadre or township officer of the village starts verification and closes it with a
result: 纳入监测 records a lead (channel 部门筛查预警, source_ref = the warning number) through the cases
actions and attaches it to the household's open case if there is one; 不纳入 needs a reason. Each
transition is a conditional update from the expected state checked for one row, with an audit row;
refusals change nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case as DbCase
from django.db.models import CharField, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone
from psycopg.types.json import Jsonb

from zhenxing.accounts.roles import Capability, Role
from zhenxing.areas.models import Area
from zhenxing.audit import actions as audit
from zhenxing.cases import actions as cases
from zhenxing.cases.models import Case, Channel, Discrepancy, DiscrepancyKind, RiskType
from zhenxing.lib.workdays import add_working_days
from zhenxing.registry.models import Household, Person
from zhenxing.screening import colour
from zhenxing.screening.engine import schema
from zhenxing.screening.engine.rules import BY_KEY as RULES
from zhenxing.screening.engine.run import Hit, explain
from zhenxing.screening.models import (
    FeedRow,
    ScreeningRun,
    Warning,
    WarningResult,
    WarningSeen,
    WarningStatus,
)

# Rows per statement when storing a run: well under SQLite's limit of bound variables per query.
CHUNK = 500
# Ids per look-up or update by id: as many as the database takes in one statement, at most 10,000 (a run at
# 20 million persons stores a quarter of a million warnings: 25 statements rather than 500).
LOOKUP_MAX = 10_000
# On PostgreSQL a set of ids goes as one array parameter instead: a monthly run at 20 million persons looks up
# and moves a quarter of a million warnings, and 25 statements of 10,000 parameters each, built and parsed one
# by one, cost seconds where one statement with one array costs a fraction of one (bench/README.md).
_ANY = "= ANY(%s::bigint[])"
NUMBER_PREFIX = "YJ"
DISCREPANCY_SOURCE = "screening"
DISTRICT_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER})

# The engine's risk labels → the cases' RiskType. 收入 (income below the line / income drop) has no risk
# type of its own in the national list: it is recorded as 其他, the warning's rule says which.
RISK_TYPES = {
    "因病": RiskType.ILLNESS,
    "因学": RiskType.EDUCATION,
    "因残": RiskType.DISABILITY,
    "住房安全": RiskType.HOUSING,
    "因灾": RiskType.DISASTER,
    "因务工就业不稳": RiskType.UNSTABLE_EMPLOYMENT,
    "其他": RiskType.OTHER,
    "收入": RiskType.OTHER,
}


def _today() -> datetime.date:
    return timezone.localdate()


def _lookup_size() -> int:
    return min(connection.features.max_query_params or LOOKUP_MAX, LOOKUP_MAX)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _county_code() -> str:
    return Area.objects.filter(parent__isnull=True).values_list("code", flat=True).first() or ""


def _is_active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def explanation(warning: Warning) -> str:
    """Why the warning was raised, in Chinese: the rule, its threshold and the values (engine `explain`)."""
    return explain(
        Hit(
            rule=warning.rule,
            rule_version=warning.rule_version,
            kind="warning",
            risk_type=warning.risk_type,
            household_id=warning.household_id,
            person_id=warning.person_id,
            person_ids=(),
            period=warning.period,
            values=dict(warning.values),
            feed_row_ids=(),
        )
    )


def rule_label(key: str) -> str:
    rule = RULES.get(key)
    return rule.label if rule else key


# --- runs ----------------------------------------------------------------------------------------------


def check_may_run(actor) -> None:
    """Screening runs on demand: district officers and district admins."""
    if not (_is_active(actor) and actor.role in DISTRICT_ROLES):
        raise PermissionDenied("只有区级业务人员或区级管理员可以发起筛查")


def start_run(actor, *, as_of, backend: str, trigger: str, policy, upload=None, job=None) -> ScreeningRun:
    """The run's record, RUNNING; audited as `screening.start_run`."""
    if trigger not in ScreeningRun.Trigger.values:
        raise ValidationError("筛查的触发方式无效")
    with transaction.atomic():
        run = ScreeningRun.objects.create(
            as_of=as_of,
            backend=backend,
            trigger=trigger,
            upload=upload,
            started_by=actor if getattr(actor, "pk", None) else None,
            job=job,
            policy_version=policy.version,
        )
        audit.record(
            actor,
            "screening.start_run",
            run,
            changes={
                "as_of": as_of,
                "backend": backend,
                "trigger": trigger,
                "policy_version": policy.version.pk,
            },
            area_code=_county_code(),
        )
    return run


def finish_run(
    run: ScreeningRun, *, counts: dict, new_warnings: int, new_discrepancies: int, seconds, log
) -> None:
    count = ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.RUNNING).update(
        status=ScreeningRun.Status.DONE,
        counts=counts,
        new_warnings=new_warnings,
        new_discrepancies=new_discrepancies,
        seconds=seconds,
        log=log,
        finished_at=timezone.now(),
    )
    if count != 1:
        raise ValidationError("这次筛查已结束，不能再次记录结果")
    run.refresh_from_db()


def fail_run(run: ScreeningRun, *, message: str, log: str, seconds=None) -> None:
    ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.RUNNING).update(
        status=ScreeningRun.Status.FAILED,
        log=f"{log}\n失败：{message}".strip(),
        seconds=seconds,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()


@dataclass(frozen=True)
class Stored:
    new_warnings: int
    seen_warnings: int  # hits that matched a stored warning
    new_discrepancies: int
    open_discrepancies: int  # discrepancy hits already open (unresolved) with the same source_ref


def store_hits(actor, run: ScreeningRun, hits: Sequence[Hit], *, raised_on: datetime.date, policy) -> Stored:
    """Store a run's hits (module docstring); all or nothing."""
    warnings = [h for h in hits if h.kind == "warning"]
    checks = [h for h in hits if h.kind != "warning"]
    with transaction.atomic():
        existing = _existing(warnings)
        # The households of new warnings and of checks (their village; a household gone since is skipped):
        # a monthly run sees mostly warnings it stored before, whose households need no look-up.
        households = _households({h.household_id for h in (*warnings, *checks) if h.identity not in existing})
        new, seen = _store_warnings(run, warnings, existing, households, raised_on, policy)
        if new >= ANALYZE_AFTER and connection.vendor == "postgresql":
            # Fresh statistics for the next run's look-up of these warnings (`_existing`): PostgreSQL's
            # autovacuum may not have analysed hundreds of thousands of new rows by then, and without
            # statistics it read the whole table for each chunk of households (81 s at 20 million persons).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Warning._meta.db_table}")
        created, already = _store_discrepancies(actor, checks, households, raised_on)
        stored = Stored(new, seen, created, already)
        audit.record(
            actor,
            "screening.store_results",
            run,
            changes={
                "new_warnings": new,
                "seen_warnings": seen,
                "new_discrepancies": created,
                "open_discrepancies": already,
            },
            area_code=_county_code(),
        )
    return stored


ANALYZE_AFTER = 10_000  # new warnings in one run after which their table's statistics are refreshed


def _households(ids: set[int]) -> dict[int, int]:
    """pk → area of the hits' households."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, area_id FROM {Household._meta.db_table} WHERE id {_ANY}", [sorted(ids)]
            )
            return dict(cursor.fetchall())
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(ids), _lookup_size()):
        found.update(Household.objects.filter(pk__in=chunk).values_list("pk", "area_id"))
    return found


def _existing(warnings: Sequence[Hit]) -> dict[tuple[str, int, str], int]:
    """Stored warnings of the hits' households: identity → pk. By household alone (its index) and unordered;
    the rules are picked out here."""
    rules = {h.rule for h in warnings}
    households = sorted({h.household_id for h in warnings})
    found: dict[tuple[str, int, str], int] = {}
    if connection.vendor == "postgresql":  # the ids as one array: one statement (`_ANY`)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rule, household_id, period, id FROM {Warning._meta.db_table} WHERE household_id {_ANY}",
                [households],
            )
            chunks: Iterable = [cursor.fetchall()]
    else:
        chunks = (
            Warning.objects.filter(household_id__in=chunk)
            .order_by()
            .values_list("rule", "household_id", "period", "pk")
            for chunk in _chunks(households, _lookup_size())
        )
    for rows in chunks:
        found.update({(rule, household, period): pk for rule, household, period, pk in rows if rule in rules})
    return found


def _store_warnings(run, hits: Sequence[Hit], existing, households, raised_on, policy) -> tuple[int, int]:
    due = add_working_days(raised_on, policy["warning_verification_workdays"])
    fresh = [h for h in hits if h.identity not in existing and h.household_id in households]
    rows = (_new_values(run, hit, households[hit.household_id], raised_on, due, policy) for hit in fresh)
    # A concurrent run may have stored the same identity first: that row wins, this one is seen.
    if not fresh:
        inserted = {}
    elif connection.vendor == "postgresql":
        inserted = _insert_by_copy(rows, run)
    else:
        inserted = _insert(rows, run)
    existing.update(inserted)
    colour.mark_open(household for _, household, _ in inserted)  # bulk inserts send no signals
    new_ids = set(inserted.values())
    seen = sorted({existing[h.identity] for h in hits if h.identity in existing} - new_ids)
    if connection.vendor == "postgresql" and seen:
        with connection.cursor() as cursor:
            table = WarningSeen._meta.db_table
            cursor.execute(f"UPDATE {table} SET run_id = %s WHERE warning_id {_ANY}", [run.pk, seen])
    else:
        for chunk in _chunks(seen, _lookup_size()):
            WarningSeen.objects.filter(warning_id__in=chunk).update(run=run)
    # Only warnings with feed rows behind them can have links (income rules have none).
    with_rows = {existing[h.identity] for h in hits if h.feed_row_ids and h.identity in existing}
    _link_rows(hits, existing, linked=_links(sorted(with_rows.difference(new_ids))))
    return len(inserted), len(seen)


def _insert(rows: Iterable[dict], run) -> dict[tuple[str, int, str], int]:
    """Insert new warnings (numbered "T…" until their pk is known), skipping any whose identity is already
    stored, each seen by `run`; identity → pk of those inserted."""
    temporary: dict[str, tuple[str, int, str]] = {}
    for chunk in _chunks([Warning(**values) for values in rows]):
        for warning in chunk:
            warning.number = "T" + uuid.uuid4().hex[:19]  # unique until the pk is known
            temporary[warning.number] = (warning.rule, warning.household_id, warning.period)
        Warning.objects.bulk_create(chunk, ignore_conflicts=True)
    inserted: dict[tuple[str, int, str], int] = {}
    for chunk in _chunks(list(temporary), _lookup_size()):
        for pk, number in Warning.objects.filter(number__in=chunk).values_list("pk", "number"):
            inserted[temporary[number]] = pk
        # The final number from the pk, in the database: one UPDATE per chunk (a bulk_update's CASE per row
        # cost about a third of storing a first run's warnings).
        Warning.objects.filter(number__in=chunk).update(number=_number_of_pk())
    seen = [WarningSeen(warning_id=pk, run_id=run.pk) for pk in inserted.values()]
    WarningSeen.objects.bulk_create(seen, batch_size=CHUNK)
    return inserted


# The columns a new warning is copied with (`_insert_by_copy`): every column that may not be empty, but its pk
# and number, which the database gives it; the others (assignment, verification, closing) start empty.
_COPIED = (
    "public_id",
    "rule",
    "rule_version",
    "policy_version_id",
    "household_id",
    "area_id",
    "person_id",
    "period",
    "risk_type",
    "department",
    "values",
    "first_run_id",
    "status",
    "raised_on",
    "due",
    "result",
    "result_reason",
)


def _insert_by_copy(rows: Iterable[dict], run) -> dict[tuple[str, int, str], int]:
    """`_insert` on PostgreSQL: the rows go through `COPY` into a temporary table and from there in one
    `INSERT … SELECT … ON CONFLICT DO NOTHING`, each taking its pk from the table's sequence and its number
    from that pk in the same statement (`_number_of_pk`'s format), `RETURNING` the identities inserted, whose
    `WarningSeen` rows the same statement inserts. A first run at 20 million persons stores a quarter of a
    million warnings: bulk_create's statements of 500 rows, the look-up of the temporary numbers and the
    UPDATE of every new row cost most of storing them. The values are written as they are (`_new_values`):
    Django's per-field preparation cost more than half of the copy (bench/README.md)."""
    table = Warning._meta.db_table
    columns = ", ".join(connection.ops.quote_name(c) for c in _COPIED)
    sequence = f"pg_get_serial_sequence('{table}', 'id')"
    number = f"'{NUMBER_PREFIX}' || CASE WHEN id < 100000000 THEN lpad(id::text, 8, '0') ELSE id::text END"
    with connection.cursor() as cursor:  # (on an error, the rollback drops the temporary table too)
        cursor.execute(
            f"CREATE TEMPORARY TABLE zx_new_warnings AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY zx_new_warnings ({columns}) FROM STDIN") as copy:
            for values in rows:
                row = [values[name] for name in _COPIED]
                row[_VALUES] = Jsonb(row[_VALUES])
                copy.write_row(row)
        cursor.execute(
            f"WITH inserted AS (INSERT INTO {table} (id, number, {columns}) SELECT id, {number}, {columns}"
            f" FROM (SELECT nextval({sequence}) AS id, * FROM zx_new_warnings) fresh"
            " ON CONFLICT DO NOTHING RETURNING rule, household_id, period, id),"
            f" seen AS (INSERT INTO {WarningSeen._meta.db_table} (warning_id, run_id)"
            " SELECT id, %s FROM inserted)"
            " SELECT rule, household_id, period, id FROM inserted",
            [run.pk],
        )
        inserted = {(rule, household, period): pk for rule, household, period, pk in cursor.fetchall()}
        cursor.execute("DROP TABLE zx_new_warnings")
    return inserted


_VALUES = _COPIED.index("values")


def _links(warning_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(warning, feed row) of the stored links of these warnings."""
    Link = Warning.feed_rows.through
    found: set[tuple[int, int]] = set()
    for chunk in _chunks(warning_ids, _lookup_size()):
        found.update(Link.objects.filter(warning_id__in=chunk).values_list("warning_id", "feedrow_id"))
    return found


def _link_rows(hits: Sequence[Hit], existing: dict, linked: set[tuple[int, int]]) -> None:
    """Link each stored warning to its hit's feed rows, but those already linked (a warning seen again links
    only the rows that are new since; reading its links costs less than inserting them all again)."""
    Link = Warning.feed_rows.through
    pairs = [
        (warning, row_id)
        for h in hits
        if (warning := existing.get(h.identity)) is not None
        for _, row_id in h.feed_row_ids
        if (warning, row_id) not in linked
    ]
    if not pairs:
        return
    if connection.vendor != "postgresql":
        links = [Link(warning_id=warning, feedrow_id=row_id) for warning, row_id in pairs]
        Link.objects.bulk_create(links, ignore_conflicts=True, batch_size=CHUNK)
        return
    table = Link._meta.db_table  # as `_insert_by_copy`: COPY into a temporary table, then one INSERT
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE zx_new_links AS SELECT warning_id, feedrow_id FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy("COPY zx_new_links (warning_id, feedrow_id) FROM STDIN") as copy:
            for pair in pairs:
                copy.write_row(pair)
        cursor.execute(
            f"INSERT INTO {table} (warning_id, feedrow_id) SELECT warning_id, feedrow_id FROM zx_new_links"
            " ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE zx_new_links")


def _number_of_pk():
    """`NUMBER_PREFIX` and the pk with at least eight digits (f"{NUMBER_PREFIX}{pk:08d}"), in SQL."""
    digits = Cast("pk", output_field=CharField())
    return Concat(
        Value(NUMBER_PREFIX),
        DbCase(When(pk__lt=10**8, then=LPad(digits, 8, Value("0"))), default=digits),
        output_field=CharField(),
    )


def _new_values(run, hit: Hit, area_id: int, raised_on, due, policy) -> dict:
    """A new warning's columns (`_COPIED`, by attribute name): plain values rather than a model instance,
    whose construction cost more than the COPY of a first run's quarter of a million warnings."""
    source = RULES[hit.rule].source if hit.rule in RULES else ""
    return {
        "public_id": uuid.uuid4(),
        "rule": hit.rule,
        "rule_version": hit.rule_version,
        "policy_version_id": policy.version.pk,
        "household_id": hit.household_id,
        "area_id": area_id,
        "person_id": hit.person_id,
        "period": hit.period,
        "risk_type": hit.risk_type,
        "department": source if source in schema.FEEDS else "",
        "values": dict(hit.values),
        "first_run_id": run.pk,
        "status": WarningStatus.NEW,
        "raised_on": raised_on,
        "due": due,
        "result": "",
        "result_reason": "",
    }


def _upload_days(hits: Iterable[Hit]) -> dict[int, datetime.date]:
    """Feed row id → the day its upload was stored, for the rows behind `hits`."""
    ids = sorted({row_id for hit in hits for _, row_id in hit.feed_row_ids})
    days: dict[int, datetime.date] = {}
    for chunk in _chunks(ids, _lookup_size()):
        for pk, at in FeedRow.objects.filter(pk__in=chunk).values_list("pk", "upload__uploaded_at"):
            days[pk] = timezone.localtime(at).date()
    return days


def _store_discrepancies(actor, hits: Sequence[Hit], households, found_on) -> tuple[int, int]:
    refs = {f"{h.rule}:{h.household_id}": h for h in hits if h.household_id in households}
    open_refs: set[str] = set()
    for chunk in _chunks(sorted(refs)):
        open_refs.update(
            Discrepancy.objects.filter(
                source=DISCREPANCY_SOURCE, source_ref__in=chunk, resolved_on__isnull=True
            ).values_list("source_ref", flat=True)
        )
    resolved: dict[str, datetime.date] = {}
    for chunk in _chunks(sorted(set(refs) - open_refs)):
        for ref, day in Discrepancy.objects.filter(
            source=DISCREPANCY_SOURCE, source_ref__in=chunk, resolved_on__isnull=False
        ).values_list("source_ref", "resolved_on"):
            resolved[ref] = max(day, resolved.get(ref, day))
    uploaded = _upload_days(hit for ref, hit in refs.items() if ref in resolved)
    todo = [
        (ref, hit)
        for ref, hit in refs.items()
        if ref not in open_refs
        and not (
            ref in resolved
            and all(
                uploaded.get(row_id, datetime.date.max) <= resolved[ref] for _, row_id in hit.feed_row_ids
            )
        )
    ]
    persons = Person.objects.in_bulk([h.person_id for _, h in todo if h.person_id])
    households = Household.objects.in_bulk([h.household_id for _, h in todo])
    # The run's user records the 疑点 when they may record cases; otherwise (a schedule, a clerk's feed
    # upload) it is recorded by the platform, as the portal records self-declarations.
    recorder = actor if _is_active(actor) and actor.can(Capability.RECORD_CASES) else None
    for ref, hit in todo:
        kind = hit.rule if hit.rule in DiscrepancyKind.values else DiscrepancyKind.OTHER
        cases.record_discrepancy(
            recorder,
            households[hit.household_id],
            kind=kind,
            detail=explain(hit)[:300],
            found_on=found_on,
            person=persons.get(hit.person_id),
            source=DISCREPANCY_SOURCE,
            source_ref=ref,
        )
    return len(todo), len(open_refs)


# --- the workflow --------------------------------------------------------------------------------------


def _in_area(actor, warning: Warning) -> None:
    if not actor.area.contains(warning.area):
        raise ValidationError(f"“{warning.area.full_name}”不在您的管辖范围内，不能办理该预警")


def may_assign(actor, warning: Warning) -> bool:
    return (
        _is_active(actor)
        and (actor.role in DISTRICT_ROLES or actor.role == Role.TOWNSHIP_OFFICER)
        and actor.area.contains(warning.area)
    )


def may_verify(actor, warning: Warning) -> bool:
    return (
        _is_active(actor)
        and actor.role in (Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER)
        and actor.can(Capability.RECORD_CASES)
        and actor.area.contains(warning.area)
    )


def _check_assigner(actor, warning: Warning) -> None:
    if not (_is_active(actor) and (actor.role in DISTRICT_ROLES or actor.role == Role.TOWNSHIP_OFFICER)):
        raise PermissionDenied("预警由农户所在乡镇（街道）干部或区级业务人员分派，您的角色不能分派")
    _in_area(actor, warning)


def _check_verifier(actor, warning: Warning) -> None:
    if not (_is_active(actor) and actor.role in (Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER)):
        raise PermissionDenied("预警由村干部或乡镇（街道）干部入户核实，您的角色不能办理")
    if not actor.can(Capability.RECORD_CASES):
        raise PermissionDenied("您的角色无权办理此事项")
    _in_area(actor, warning)


def _date(value, label: str, *, not_before: datetime.date | None, what: str) -> None:
    if value is None:
        raise ValidationError(f"请填写{label}")
    if value > _today():
        raise ValidationError(f"{label}不能晚于今天")
    if not_before is not None and value < not_before:
        raise ValidationError(f"{label}不能早于{what}（{not_before:%Y-%m-%d}）")


def _move(warning: Warning, old: str, new: str, what: str, **fields) -> None:
    """Conditional update from `old`; refuses, naming the current state, when the warning is elsewhere."""
    count = Warning.objects.filter(pk=warning.pk, status=old).update(status=new, **fields)
    if count != 1:
        current = Warning.objects.filter(pk=warning.pk).values_list("status", flat=True).first()
        label = WarningStatus(current).label if current else "已不存在"
        raise ValidationError(
            f"预警{warning.number}当前为“{label}”，只有“{WarningStatus(old).label}”的预警可以{what}，请刷新页面"
        )
    warning.refresh_from_db()
    colour.refresh([warning.household_id])


def assign_warning(actor, warning: Warning, assigned_on: datetime.date) -> Warning:
    """待分派 → 已分派待核实: the township (or the district) hands the warning to the village."""
    _check_assigner(actor, warning)
    _date(assigned_on, "分派日期", not_before=warning.raised_on, what="预警下发日期")
    with transaction.atomic():
        _move(
            warning,
            WarningStatus.NEW,
            WarningStatus.ASSIGNED,
            "分派",
            assigned_on=assigned_on,
            assigned_by=actor,
        )
        audit.record(
            actor,
            "screening.assign_warning",
            warning,
            changes={"status": [WarningStatus.NEW, WarningStatus.ASSIGNED], "assigned_on": assigned_on},
        )
    return warning


def start_verification(actor, warning: Warning, started_on: datetime.date) -> Warning:
    """已分派待核实 → 核实中: the village begins checking the household (home visit, documents)."""
    _check_verifier(actor, warning)
    _date(started_on, "开始核实日期", not_before=warning.assigned_on, what="分派日期")
    with transaction.atomic():
        _move(
            warning,
            WarningStatus.ASSIGNED,
            WarningStatus.VERIFYING,
            "开始核实",
            verification_started_on=started_on,
        )
        audit.record(
            actor,
            "screening.start_verification",
            warning,
            changes={"status": [WarningStatus.ASSIGNED, WarningStatus.VERIFYING], "started_on": started_on},
        )
    return warning


def close_warning(actor, warning: Warning, *, result: str, reason: str, closed_on: datetime.date) -> Warning:
    """核实中 → 已办结 with a result (policy rule 14): 纳入监测 records a lead on the household (attached to
    its open case, if any); 不纳入 needs the reason."""
    _check_verifier(actor, warning)
    if result not in WarningResult.values:
        raise ValidationError("请选择核实结果：纳入监测或不纳入")
    reason = (reason or "").strip()
    if result == WarningResult.EXCLUDE and not reason:
        raise ValidationError("不纳入监测须填写理由，请写明核实的情况")
    if len(reason) > 500:
        raise ValidationError("核实说明不能超过500个字")
    _date(closed_on, "办结日期", not_before=warning.verification_started_on, what="开始核实日期")
    with transaction.atomic():
        _move(
            warning,
            WarningStatus.VERIFYING,
            WarningStatus.CLOSED,
            "办结",
            result=result,
            result_reason=reason,
            closed_on=closed_on,
            closed_by=actor,
        )
        changes = {
            "status": [WarningStatus.VERIFYING, WarningStatus.CLOSED],
            "result": result,
            "closed_on": closed_on,
        }
        if reason:
            changes["reason"] = reason
        if result == WarningResult.INCLUDE:
            lead = _include(actor, warning, closed_on)
            changes["lead"] = lead.number
        audit.record(actor, "screening.close_warning", warning, changes=changes)
    return warning


def _include(actor, warning: Warning, closed_on: datetime.date):
    household = Household.objects.select_related("area").get(pk=warning.household_id)
    lead = cases.record_lead(
        actor,
        household,
        channel=Channel.DEPARTMENT_WARNING,
        description=explanation(warning),
        found_on=closed_on,
        risk_types=[RISK_TYPES.get(warning.risk_type, RiskType.OTHER)],
        source_ref=warning.number,
    )
    case = Case.objects.filter(household=household, is_open=True).first()
    if case is not None:
        lead = cases.attach_lead(actor, lead, case, attached_on=closed_on)
    Warning.objects.filter(pk=warning.pk).update(lead=lead)
    warning.lead = lead
    return lead
