"""Fast multi-row INSERTs for the bulk commit of new households.

`QuerySet.bulk_create` builds a model instance per row and runs every value through the SQL compiler:
measured here, 10,000 `Person` rows took 3.4 s with `bulk_create` and 0.27 s with `executemany` on
SQLite, so `bulk_create` alone (persons, memberships, households, events: ~270,000 rows) would spend
more than the 20-second budget of a 100,000-person import. `insert()` prepares each value once with
the field's own `get_db_prep_save` (so stored values are exactly what the ORM would store) and sends
batches with `executemany` on SQLite and `COPY` on PostgreSQL. Other databases use `bulk_create`.

Primary keys are not returned: callers read them back by a unique key (`Person.id_hash`,
`Household.number`) with `ids_since()`. Constraint violations raise Django's `IntegrityError` as the ORM
would, so the importer's conflict handling is the same on every path.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Max
from django.utils import timezone

from zhenxing.registry.importing.common import BATCH_SIZE, chunks

# Field types whose Python values the database drivers cannot take as they are (or that the ORM
# stores in a backend-specific form: UUIDs as 32 hex digits on SQLite, JSON as text or Jsonb, …).
_PREPARED = (models.UUIDField, models.DateField, models.DecimalField, models.JSONField)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _default(field: models.Field, now):
    """A function giving the field's value for a row that does not name it."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    if field.has_default() and callable(field.default):
        return field.get_default  # uuid4, dict: a fresh value per row
    value = field.get_default()
    return lambda: value


def _preparer(field: models.Field, conn):
    """The field's own conversion to what the driver takes; dates and times memoised (they repeat)."""
    if not isinstance(field, _PREPARED):
        return None
    prepare = field.get_db_prep_save
    if isinstance(field, models.DateField | models.DecimalField):
        memo: dict = {}

        def memoised(value, conn=conn):
            if value not in memo:
                memo[value] = prepare(value, conn)
            return memo[value]

        return memoised
    return lambda value, conn=conn: prepare(value, conn)


def insert(model: type[models.Model], rows: Iterable[dict]) -> int:
    """INSERT `rows` (dicts keyed by field attname, e.g. `household_id`) into `model`'s table.

    Every row names the same fields (the first row decides which take their defaults).
    Missing fields take their defaults (`default=`, `auto_now`/`auto_now_add` → now). Returns the
    number of rows written. Run inside the caller's transaction.
    """
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the `connection` proxy costs per access
    rows = list(rows)
    if not rows:
        return 0
    if conn.vendor not in ("sqlite", "postgresql"):
        model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return len(rows)
    fields = _columns(model)
    now = timezone.now()
    # Every row of one call names the same fields (the importer builds them alike).
    missing = [(f.attname, _default(f, now)) for f in fields if f.attname not in rows[0]]
    preparers = [(i, p) for i, f in enumerate(fields) if (p := _preparer(f, conn)) is not None]
    getter = operator.itemgetter(*(f.attname for f in fields))

    def values(row: dict) -> tuple:
        for attname, default in missing:
            row[attname] = default()
        out = list(getter(row))
        for index, prepare in preparers:
            if out[index] is not None:
                out[index] = prepare(out[index])
        return tuple(out)

    table = conn.ops.quote_name(model._meta.db_table)
    names = ", ".join(conn.ops.quote_name(f.column) for f in fields)
    with conn.cursor() as cursor:
        for batch in chunks(rows, BATCH_SIZE):
            prepared = [values(row) for row in batch]
            if conn.vendor == "postgresql":
                with (
                    conn.wrap_database_errors,
                    cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
                ):
                    for row in prepared:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", prepared)
    return len(rows)


def last_pk(model: type[models.Model]) -> int:
    """The highest primary key now: rows inserted after this call have higher ones (sequences and
    SQLite's AUTOINCREMENT only go up), which `ids_since` uses to read them back."""
    return model.objects.aggregate(last=Max("pk"))["last"] or 0


def ids_since(model: type[models.Model], key: str, after: int, wanted) -> dict:
    """{key value: pk} of the rows with pk > `after` whose key is in `wanted` (our own new rows).

    One range scan instead of an `IN (…)` list of thousands; rows that other transactions committed
    meanwhile are in the range too, but their keys are not ours.
    """
    wanted = set(wanted)
    return {k: pk for k, pk in model.objects.filter(pk__gt=after).values_list(key, "pk") if k in wanted}
