"""Every write to users and the login log. Views, commands and the demo call these."""

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from zhenxing.accounts.models import LoginEvent, User
from zhenxing.accounts.roles import ROLE_LEVEL, Department, Role
from zhenxing.areas.models import Area, Level
from zhenxing.audit import actions as audit

USER_FIELDS = ("full_name", "phone", "role", "area", "department", "is_active")


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    ip = request.META.get("REMOTE_ADDR") or None
    return ip, request.META.get("HTTP_USER_AGENT", "")[:300]


def record_login_event(request, kind: str, user: User | None = None, username: str = "") -> LoginEvent:
    ip, agent = _client(request)
    return LoginEvent.objects.create(
        user=user, username=username or getattr(user, "username", ""), kind=kind, ip=ip, user_agent=agent
    )


def check_role_area(role: str, area: Area, department: str) -> None:
    """The role's level must match the area's; a department clerk names their department."""
    expected = ROLE_LEVEL[Role(role)]
    if area.level != expected:
        raise ValidationError(
            f"角色“{Role(role).label}”应归属{Level(expected).label}级区划，"
            f"所选“{area.name}”是{area.get_level_display()}级，请重新选择所属区划"
        )
    if not area.is_active:
        raise ValidationError(f"区划“{area.name}”已撤销，不能分配新用户")
    if role == Role.DEPARTMENT_CLERK and department not in Department.values:
        raise ValidationError("行业部门填报员必须选择所属部门")
    if role != Role.DEPARTMENT_CLERK and department:
        raise ValidationError("只有行业部门填报员需要选择所属部门，请清空“所属部门”")


def temporary_password() -> str:
    """12 characters from all four classes; shown once to the admin, changed at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(10))
        candidate = body + secrets.choice("#%+=!") + secrets.choice(string.digits)
        if any(c.isupper() for c in candidate) and any(c.islower() for c in candidate):
            return candidate


@dataclass
class UserData:
    username: str
    full_name: str
    role: str
    area: Area
    department: str = ""
    phone: str = ""


def create_user(actor: User | None, data: UserData, password: str | None = None) -> tuple[User, str]:
    """Create a user who must change the (temporary) password at first login.

    Returns the user and the temporary password, which is shown once and never stored in clear.
    """
    check_role_area(data.role, data.area, data.department)
    password = password or temporary_password()
    with transaction.atomic():
        user = User(
            username=data.username,
            full_name=data.full_name,
            role=data.role,
            area=data.area,
            department=data.department,
            phone=data.phone,
            must_change_password=True,
        )
        user.set_password(password)
        user.save()
        audit.record(
            actor,
            "create_user",
            user,
            changes={f: [None, v] for f, v in audit.snapshot(user, USER_FIELDS).items()},
            area_code=data.area.code,
        )
    return user, password


def update_user(
    actor: User, user: User, *, full_name: str, phone: str, role: str, area: Area, department: str
) -> User:
    check_role_area(role, area, department)
    if user.pk == actor.pk and role != user.role:
        raise ValidationError("不能修改自己的角色，请由另一位区级管理员操作")
    with transaction.atomic():
        before = audit.snapshot(user, USER_FIELDS)
        user.full_name, user.phone, user.role, user.area, user.department = (
            full_name,
            phone,
            role,
            area,
            department,
        )
        user.save(update_fields=["full_name", "phone", "role", "area", "department"])
        changes = audit.diff(user, USER_FIELDS, before)
        if changes:
            audit.record(actor, "update_user", user, changes=changes, area_code=area.code)
    return user


def set_user_active(actor: User, user: User, active: bool) -> User:
    if user.pk == actor.pk:
        raise ValidationError("不能停用自己的账户")
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
        if updated != 1:
            raise ValidationError("该账户已经是" + ("启用" if active else "停用") + "状态")
        user.is_active = active
        audit.record(
            actor,
            "activate_user" if active else "deactivate_user",
            user,
            changes={"is_active": [not active, active]},
        )
    return user


def reset_password(actor: User, user: User) -> str:
    """Admin reset: a new temporary password, forced change at next login, lock cleared."""
    password = temporary_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.failed_login_count = 0
        user.locked_until = None
        user.save(update_fields=["password", "must_change_password", "failed_login_count", "locked_until"])
        audit.record(actor, "reset_password", user, changes={"must_change_password": [None, True]})
    return password


def change_own_password(request, user: User, new_password: str) -> None:
    """The user sets their own password (validated against the complexity rules)."""
    validate_password(new_password, user)
    if user.check_password(new_password):
        raise ValidationError("新密码不能与当前密码相同")
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit.record(user, "change_own_password", user, changes={"must_change_password": [True, False]})
        record_login_event(request, LoginEvent.Kind.PASSWORD_CHANGED, user)


def register_failed_login(request, user: User) -> bool:
    """Count a wrong password; the Nth consecutive failure locks the account. Returns True if locked now."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count", "locked_until"])
        record_login_event(request, LoginEvent.Kind.FAILURE, user)
        if user.failed_login_count >= settings.ZX_LOCKOUT_ATTEMPTS:
            user.locked_until = timezone.now() + timedelta(minutes=settings.ZX_LOCKOUT_MINUTES)
            user.failed_login_count = 0
            user.save(update_fields=["locked_until", "failed_login_count"])
            record_login_event(request, LoginEvent.Kind.LOCKED, user)
            return True
    return False


def register_successful_login(request, user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, last_login=timezone.now())
    record_login_event(request, LoginEvent.Kind.SUCCESS, user)
