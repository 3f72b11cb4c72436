"""API keys of department systems (`accounts.ApiToken`): create (the key is shown once), revoke, use.

Only the SHA-256 of a key is stored; a key is looked up by that hash and compared in constant time.
Creating and revoking need MANAGE_USERS (district admins): a key acts as its user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhenxing.accounts.models import ApiToken
from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.audit import actions as audit
from zhenxing.screening import permissions

KEY_PREFIX = "zx_"
# last_used_at is written at most this often per key: a busy department system pushes many times a minute.
TOUCH_SECONDS = 60


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_token(actor, user, name: str) -> tuple[ApiToken, str]:
    """A new key for `user` (a department clerk, district officer or admin); returns (token, key)."""
    require(actor, Capability.MANAGE_USERS)
    name = name.strip()
    if not name:
        raise ValidationError("请填写密钥用途，如 医保局结算系统推送")
    if not user.is_active:
        raise ValidationError(f"用户“{user.full_name}”已停用，不能为其创建接口密钥")
    if not permissions.upload_kinds(user):
        raise ValidationError(
            f"用户“{user.full_name}”的角色不能推送部门数据：接口密钥只发给行业部门填报员、区级业务人员和区级管理员"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:60], key_hash=key_hash(key), prefix=key[:8])
        audit.record(
            actor,
            "create_api_token",
            token,
            changes={
                "user": [None, user.username],
                "name": [None, token.name],
                "prefix": [None, token.prefix],
            },
        )
    return token, key


def revoke_api_token(actor, token: ApiToken) -> None:
    require(actor, Capability.MANAGE_USERS)
    with transaction.atomic():
        now = timezone.now()
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
            raise ValidationError("这个密钥已经停用，无需再次停用")
        token.revoked_at = now
        audit.record(actor, "revoke_api_token", token, changes={"revoked_at": [None, now]})


def authenticate(key: str) -> ApiToken | None:
    """The active key matching `key` (its user active too), or None. Notes when it was last used."""
    if not key:
        return None
    digest = key_hash(key)
    token = ApiToken.objects.select_related("user__area").filter(key_hash=digest).first()
    # The lookup is by hash; comparing again in constant time keeps timing from telling near misses.
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= TOUCH_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
