"""Every write of the reports app: saving a new version of a leaflet's wording."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from zhenxing.accounts.roles import Capability
from zhenxing.audit import actions as audit
from zhenxing.reports.leaflets.placeholders import check, normalize
from zhenxing.reports.models import LeafletKind, LeafletTemplate


def save_leaflet_template(
    actor, kind: str, *, title: str, body: str, reason: str, expected_version: int | None = None
) -> LeafletTemplate:
    """Save a new version of the leaflet of `kind`; the newest version is printed from then on.

    `expected_version` is the pk of the version the user started editing from: if another save came
    first, the save is refused so it cannot silently undo the other one. Audited as
    `save_leaflet_template` with `changes` {"title"/"body": [old, new]} (changed fields only).

    Refused, with nothing written: `PermissionDenied` without EDIT_LEAFLET_TEMPLATES; `ValidationError`
    for an unknown kind, no reason, a text that fails `placeholders.check` (unknown placeholders are
    named), a concurrent save, or no change.
    """
    if actor is None or not actor.can(Capability.EDIT_LEAFLET_TEMPLATES):
        raise PermissionDenied("您的角色无权修改明白纸模板，请联系区级管理员")
    if kind not in LeafletKind.values:
        raise ValidationError("未知的明白纸类型，请从明白纸页面进入修改")
    title, body, reason = title.strip(), normalize(body), reason.strip()
    errors = check(kind, title, body)
    if not reason:
        errors.append("请填写修改原因（如政策调整的文件名称）")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = LeafletTemplate.objects.filter(kind=kind).order_by("-version").first()
        if expected_version is not None and current is not None and current.pk != expected_version:
            raise ValidationError(f"{current.label}已由他人保存，请刷新页面，在最新版本上重新修改")
        changes = {
            name: [getattr(current, name) if current else None, value]
            for name, value in (("title", title), ("body", body))
            if current is None or getattr(current, name) != value
        }
        if not changes:
            raise ValidationError("标题和正文都没有变化，无需保存")
        try:
            with transaction.atomic():
                template = LeafletTemplate.objects.create(
                    kind=kind,
                    version=(current.version + 1) if current else 1,
                    title=title,
                    body=body,
                    reason=reason,
                    created_by=actor,
                )
        except IntegrityError:
            raise ValidationError(
                "明白纸模板刚刚被他人保存了新版本，请刷新页面，在最新版本上重新修改"
            ) from None
        audit.record(
            actor,
            "save_leaflet_template",
            template,
            changes={**changes, "reason": [None, reason]},
            area_code=actor.area.code,
        )
    return template
