"""Users (one role, one area), and the login log."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from zhenxing.accounts.roles import ROLE_CAPABILITIES, Capability, Department, Role
from zhenxing.areas.models import Area


class ZhenxingUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`zhenxing createsuperuser`: a district admin of the county, who must change the password."""
        from zhenxing.accounts.roles import Role
        from zhenxing.areas.models import Level

        extra_fields.setdefault("role", Role.DISTRICT_ADMIN)
        extra_fields.setdefault("area", Area.objects.get(level=Level.COUNTY))
        extra_fields.setdefault("full_name", username)
        extra_fields.setdefault("must_change_password", False)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=40)
    phone = models.CharField("联系电话", max_length=20, blank=True)  # work phone, not personal data
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    area = models.ForeignKey(Area, verbose_name="所属区划", on_delete=models.PROTECT, related_name="users")
    department = models.CharField("所属部门", max_length=20, choices=Department.choices, blank=True)
    must_change_password = models.BooleanField("下次登录须改密码", default=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    failed_login_count = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    objects = ZhenxingUserManager()
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "用户"
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="user_clerk_has_department",
                condition=~models.Q(role=Role.DEPARTMENT_CLERK) | ~models.Q(department=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def can(self, capability: Capability) -> bool:
        return self.is_active and capability in ROLE_CAPABILITIES.get(self.role, frozenset())

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())

    @property
    def scope_label(self) -> str:
        return self.area.full_name


class LoginEvent(models.Model):
    class Kind(models.TextChoices):
        SUCCESS = "success", "登录成功"
        FAILURE = "failure", "密码错误"
        LOCKED = "locked", "账户锁定"
        REFUSED_LOCKED = "refused_locked", "锁定期间尝试登录"
        REFUSED_INACTIVE = "refused_inactive", "停用账户尝试登录"
        LOGOUT = "logout", "退出"
        TIMEOUT = "timeout", "超时退出"
        PASSWORD_CHANGED = "password_changed", "修改密码"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="login_events"
    )
    username = models.CharField("登录名", max_length=150)
    kind = models.CharField("事件", max_length=20, choices=Kind.choices)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)

    class Meta:
        verbose_name = "登录日志"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_kind_display()}"


class ApiToken(models.Model):
    """A department system's key for `/api/v1/`; only its hash is stored (the key is shown once)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    key_hash = models.CharField("密钥哈希", max_length=64, unique=True)
    prefix = models.CharField("密钥前缀", max_length=8)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "接口密钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"
