"""Pieces every statutory report shares: the area filter, township and village names, and the household
head and size on the as-of date (from the registry's memberships, which carry their dates)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from zhenxing.accounts.scope import under
from zhenxing.areas.models import CODE_LENGTH, Area, Level
from zhenxing.lib import personal
from zhenxing.registry.models import HEAD, Membership

# Rows fetched per database round trip when streaming (about 2 MB of values per chunk).
CHUNK_SIZE = 2000


within = under  # the rows placed in an area or below it (the caller checked the area's scope)


@dataclass(frozen=True)
class Place:
    township: str
    village: str


def places(area: Area) -> dict[int, Place]:
    """Township and village name of every area in `area`'s subtree, by area id (one query)."""
    rows = list(Area.objects.within(area).values_list("pk", "code", "name"))
    names = {code: name for _, code, name in rows}
    for ancestor in area.ancestors():
        names[ancestor.code] = ancestor.name
    township, village = CODE_LENGTH[Level.TOWNSHIP], CODE_LENGTH[Level.VILLAGE]
    return {
        pk: Place(
            names.get(code[:township], "") if len(code) >= township else "",
            names.get(code[:village], "") if len(code) >= village else "",
        )
        for pk, code, _ in rows
    }


def current_on(day: datetime.date) -> Q:
    """Memberships in force on `day` (as `Membership.is_current_on`)."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


@dataclass(frozen=True)
class Head:
    name: str
    id_number: str  # masked unless the export shows full ID numbers


def heads_on(households: QuerySet, day: datetime.date, full_ids: bool) -> dict[int, Head]:
    """The head of each household on `day`, by household id; `households` is a query of household ids.

    One query. Full ID numbers are decrypted only when asked for (the caller audits that export).
    """
    fields = ["household_id", "person__name", "person__id_masked"]
    if full_ids:
        fields.append("person__id_number_encrypted")
    memberships = Membership.objects.filter(current_on(day), relation=HEAD, household__in=households)
    heads = {}
    for row in memberships.values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
        id_number = personal.decrypt(row[3]) if full_ids else row[2]
        heads[row[0]] = Head(row[1], id_number)
    return heads


def sizes_on(households: QuerySet, day: datetime.date) -> dict[int, int]:
    """The number of members of each household on `day`, by household id (one grouped query)."""
    return dict(
        Membership.objects.filter(current_on(day), household__in=households)
        .values("household_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("household_id", "n")
    )


NO_HEAD = Head("", "")
