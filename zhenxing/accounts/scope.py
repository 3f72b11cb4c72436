"""Data scope: the one place that decides what a user may see and change.

A user's scope is the subtree of their area (district roles sit on the county, so they see the whole
district). Every view, API endpoint, export and job filters through `scoped()` and fetches single
records through a `get_*_for_user` getter built on `get_in_scope()`; none filters by hand.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from zhenxing.accounts.roles import Capability
from zhenxing.areas.models import Area


def require(user, capability: Capability) -> None:
    """403 unless the user's role has the capability."""
    if not (user.is_authenticated and user.can(capability)):
        raise PermissionDenied("您的角色无权进行此操作")


def scoped(queryset: QuerySet, user, area_field: str = "area") -> QuerySet:
    """The rows of `queryset` inside the user's area subtree. `area_field=""` for Area itself."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if not area_field:
        return queryset.filter(code__startswith=user.area.code)
    return under(queryset, user.area, area_field)


def under(queryset: QuerySet, area: Area, area_field: str = "area") -> QuerySet:
    """The rows of `queryset` placed in `area` or below it (no user check: `scoped` does that; reports and
    boards narrow a scoped queryset to an area inside the scope with this)."""
    if area.parent_id is None:
        # The county is the root of the tree: every record is under it, so filtering would only cost.
        return queryset
    # The literal ids of the areas (a few hundred at most), not a join on the code prefix nor a
    # subquery: only then does PostgreSQL use each table's area index (bench/bench_registry_web.py).
    ids = list(Area.objects.within(area).values_list("pk", flat=True))
    return queryset.filter(**{f"{area_field}__in": ids})


def in_scope(user, area: Area | None) -> bool:
    return area is not None and user.is_authenticated and user.area.contains(area)


def get_in_scope(queryset: QuerySet, user, area_field: str = "area", **lookup) -> Model:
    """One row by `lookup`, 404 when it does not exist *or* lies outside the user's scope.

    Outside-scope rows answer 404, not 403, so a URL does not reveal that a record exists elsewhere.
    """
    try:
        return scoped(queryset, user, area_field).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404("记录不存在或不在您的管辖范围内") from None


def get_area_for_user(user, code: str, write: bool = False) -> Area:
    if write:
        require(user, Capability.MANAGE_AREAS)
    else:
        require(user, Capability.VIEW_AREAS)
    return get_in_scope(Area.objects.select_related("parent"), user, area_field="", code=code)
