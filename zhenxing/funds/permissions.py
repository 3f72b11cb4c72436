"""Who may do what with funds and projects, built on the existing roles (roles.py is the lead's).

- read: everyone with a place except department clerks (inspectors read everything in the district);
- propose / edit / resubmit: village cadres for their village, township officers for their township's
  villages, district officers and admins anywhere;
- township review: township officers of the project's township;
- county approval, 入库, allocations, plans, disbursements, reconciliation, assets, PV: district officers
  and district admins.
Scope (which records) is always `accounts.scope`; these functions only say which roles (403 otherwise).
"""

from django.core.exceptions import PermissionDenied

from zhenxing.accounts.roles import Role
from zhenxing.accounts.scope import get_in_scope, in_scope, scoped

READERS = {
    Role.DISTRICT_ADMIN,
    Role.DISTRICT_OFFICER,
    Role.TOWNSHIP_OFFICER,
    Role.VILLAGE_CADRE,
    Role.INSPECTOR,
}
PROPOSERS = {Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE}
TOWNSHIP_REVIEWERS = {Role.TOWNSHIP_OFFICER}
COUNTY = {Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER}


def _has(user, roles) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def can_read(user) -> bool:
    return _has(user, READERS)


def can_propose(user) -> bool:
    return _has(user, PROPOSERS)


def can_review_township(user) -> bool:
    return _has(user, TOWNSHIP_REVIEWERS)


def can_manage(user) -> bool:
    """County approval and every fund-level write."""
    return _has(user, COUNTY)


def require_read(user) -> None:
    if not can_read(user):
        raise PermissionDenied("您的角色无权查看衔接资金项目")


def require_propose(user) -> None:
    if not can_propose(user):
        raise PermissionDenied("您的角色无权申报或修改项目")


def require_township(user) -> None:
    if not can_review_township(user):
        raise PermissionDenied("乡镇审核须由乡镇（街道）干部办理")


def require_manage(user) -> None:
    if not can_manage(user):
        raise PermissionDenied("此操作须由区级业务人员或区级管理员办理")


def visible(queryset, user, area_field: str = "area"):
    require_read(user)
    return scoped(queryset, user, area_field)


def get_visible(queryset, user, area_field: str = "area", **lookup):
    """403 without a reading role, 404 outside the user's scope."""
    require_read(user)
    return get_in_scope(queryset, user, area_field, **lookup)


def may_act_in(user, area) -> bool:
    return in_scope(user, area)
