"""Every write to the policy settings: saving a new version of a year's parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from zhenxing.accounts.roles import Capability
from zhenxing.audit import actions as audit
from zhenxing.policy.models import YEAR_MAX, YEAR_MIN, PolicyVersion
from zhenxing.policy.parameters import BY_KEY, CHECKPOINTS, PARAMETERS, InvalidValue, parse, to_storage
from zhenxing.policy.resolve import policy_for

ORDINALS = ("第一个", "第二个", "第三个")


def check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError(f"年度须在{YEAR_MIN}年至{YEAR_MAX}年之间，请重新选择年度")


def save_policy(
    actor,
    year: int,
    values: Mapping[str, Any],
    reason: str,
    *,
    expected_version: int | None = None,
) -> PolicyVersion:
    """Save a new version of `year`'s settings; return it.

    `values` maps parameter keys to new values (typed, or text as typed in a form); keys left out keep
    the value in effect, so the new version always holds every parameter. `expected_version` is the pk
    of the version the user started editing from: if another save came first, the save is refused so
    it cannot silently undo the other one.

    Refused (nothing written) with `PermissionDenied` without the EDIT_POLICY capability, and with a
    `ValidationError` (keyed by parameter, "reason" or `__all__`) for: no reason, a bad value, a year
    outside 2016–2100, checkpoints out of order, a concurrent save, or no change. A year that inherits
    may be saved unchanged: that fixes the inherited values as the year's own.
    """
    if actor is None or not actor.can(Capability.EDIT_POLICY):
        raise PermissionDenied("您的角色无权修改政策参数，请联系区级管理员")
    check_year(year)
    with transaction.atomic():
        current = policy_for(year)
        if expected_version is not None and current.version.pk != expected_version:
            raise ValidationError(
                f"{year}年的参数已被他人更新为{current.label}，请刷新页面，在最新版本上重新修改"
            )
        merged = _validated(current.values, values, reason)
        before = {p.key: to_storage(p, current.values[p.key]) for p in PARAMETERS}
        after = {p.key: to_storage(p, merged[p.key]) for p in PARAMETERS}
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if not changes and not current.is_inherited:
            raise ValidationError("参数没有变化，无需保存")
        number = 1 if current.is_inherited else current.version.version + 1
        try:
            with transaction.atomic():
                version = PolicyVersion.objects.create(
                    year=year, version=number, values=after, created_by=actor, reason=reason.strip()
                )
        except IntegrityError:
            raise ValidationError(
                f"{year}年的参数刚刚被他人保存了新版本，请刷新页面，在最新版本上重新修改"
            ) from None
        audit.record(
            actor,
            "save_policy",
            version,
            changes=changes,
            object_type="policy.policyversion",
            area_code=actor.area.code,
        )
    return version


def _validated(current: Mapping[str, Any], values: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """The values in effect with `values` applied, every one checked; all problems raised together."""
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = ["请填写修改原因"]
    unknown = sorted(set(values) - set(BY_KEY))
    if unknown:
        errors[NON_FIELD_ERRORS] = [f"没有这些参数：{'、'.join(unknown)}，请检查参数名称"]
    merged = dict(current)
    for key, raw in values.items():
        if key in BY_KEY:
            try:
                merged[key] = parse(BY_KEY[key], raw)
            except InvalidValue as e:
                errors[key] = [str(e)]
    if not errors:
        errors.update(_checkpoint_errors(merged))
    if errors:
        raise ValidationError(errors)
    return merged


def _checkpoint_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Disbursement checkpoints: percents never fall and dates strictly advance through the year."""
    errors: dict[str, list[str]] = {}
    for i in range(1, len(CHECKPOINTS)):
        (prev_percent, prev_date), (percent, day) = CHECKPOINTS[i - 1], CHECKPOINTS[i]
        if values[percent] < values[prev_percent]:
            errors[percent] = [
                f"{ORDINALS[i]}时序进度拨付比例不能低于{ORDINALS[i - 1]}（{values[prev_percent]}%），请调整"
            ]
        if values[day] <= values[prev_date]:
            errors[day] = [
                f"{ORDINALS[i]}时序进度日期须晚于{ORDINALS[i - 1]}（{values[prev_date].label}），请调整"
            ]
    return errors
