"""Who may send and see department feeds, built on the existing roles (roles.py is the lead's).

- upload a file or push rows of a feed kind: a department clerk for their own department's kind only;
  district officers and district admins for any kind;
- see uploads, their rows, unmatched rows and the feedback: a department clerk the uploads of their own
  department's kind (whoever sent them); district officers, district admins and inspectors (read-only
  everywhere, design.md) every upload;
- everyone else: 403.
Uploads belong to the district, not to a place, so there is no area scope beyond this; a clerk asking
for another department's upload gets 404, like a record outside one's scope.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from zhenxing.accounts.roles import Department, Role
from zhenxing.screening.models import FeedUpload

COUNTY = {Role.DISTRICT_ADMIN, Role.DISTRICT_OFFICER}
UPLOADERS = COUNTY | {Role.DEPARTMENT_CLERK}
READERS = UPLOADERS | {Role.INSPECTOR}


def _has(user, roles) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def upload_kinds(user) -> list[str]:
    """The feed kinds the user may upload or push, in the order of `Department`."""
    if _has(user, COUNTY):
        return list(Department.values)
    if _has(user, {Role.DEPARTMENT_CLERK}) and user.department in Department.values:
        return [user.department]
    return []


def may_upload(user, kind: str) -> bool:
    return kind in upload_kinds(user)


def can_read(user) -> bool:
    return _has(user, READERS)


def require_upload(user, kind: str | None = None) -> None:
    """403 unless the user may upload feeds (of `kind`, when given)."""
    kinds = upload_kinds(user)
    if not kinds:
        raise PermissionDenied("您的角色无权上传部门数据：部门数据由行业部门填报员或区级业务人员上传")
    if kind is not None and kind not in kinds:
        raise PermissionDenied("您只能上传本部门的数据，请选择本部门的数据类别")


def require_read(user) -> None:
    if not can_read(user):
        raise PermissionDenied("您的角色无权查看部门数据")


def visible_uploads(user) -> QuerySet:
    """The uploads the user may see (403 for roles that see none)."""
    require_read(user)
    uploads = FeedUpload.objects.all()
    if user.role == Role.DEPARTMENT_CLERK:
        return uploads.filter(kind=user.department)
    return uploads


def get_upload_for_user(user, public_id) -> FeedUpload:
    """One upload the user may see: 403 without a reading role, 404 if missing or another department's."""
    upload = visible_uploads(user).select_related("uploaded_by").filter(public_id=public_id).first()
    if upload is None:
        raise Http404("这次上传不存在，或不属于您所在的部门")
    return upload
