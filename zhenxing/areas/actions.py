"""Every write to the area tree: add, rename, retire, restore, delete."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from zhenxing.areas.models import CHILD_LEVEL, CODE_LENGTH, Area, Level
from zhenxing.audit import actions as audit


def check_child_code(parent: Area, code: str) -> Level:
    """A child's code: digits, 3 more than the parent's, starting with the parent's code."""
    child_level = CHILD_LEVEL.get(Level(parent.level))
    if child_level is None:
        raise ValidationError(f"“{parent.name}”是村民小组，不能再添加下级")
    length = CODE_LENGTH[child_level]
    if not code.isdigit() or len(code) != length:
        raise ValidationError(f"{child_level.label}的区划代码应为{length}位数字，当前为“{code}”")
    if not code.startswith(parent.code):
        raise ValidationError(f"区划代码 {code} 应以上级“{parent.name}”的代码 {parent.code} 开头")
    if code == parent.code + "0" * (length - len(parent.code)):
        raise ValidationError(f"区划代码 {code} 的本级部分不能全为0")
    return child_level


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("请填写区划名称")
    if len(name) > 60:
        raise ValidationError("区划名称不能超过60个字")
    return name


def add_area(actor, parent: Area, code: str, name: str, *, is_demo: bool = False) -> Area:
    code, name = code.strip(), check_name(name)
    level = check_child_code(parent, code)
    if not parent.is_active:
        raise ValidationError(f"上级“{parent.name}”已撤销，不能添加下级")
    with transaction.atomic():
        if Area.objects.filter(code=code).exists():
            raise ValidationError(f"区划代码 {code} 已存在")
        area = Area.objects.create(code=code, name=name, level=level, parent=parent, is_demo=is_demo)
        audit.record(actor, "add_area", area, changes={"code": [None, code], "name": [None, name]})
    return area


def rename_area(actor, area: Area, name: str) -> Area:
    name = check_name(name)
    if name == area.name:
        return area
    with transaction.atomic():
        before = area.name
        area.name = name
        area.save(update_fields=["name"])
        audit.record(actor, "rename_area", area, changes={"name": [before, name]})
    return area


def retire_area(actor, area: Area) -> int:
    """Retire the area and everything under it (kept for history, hidden from new records)."""
    if area.level == Level.COUNTY:
        raise ValidationError("不能撤销区县本身")
    from zhenxing.accounts.models import User

    with transaction.atomic():
        users = User.objects.filter(area__code__startswith=area.code, is_active=True)
        if users.exists():
            names = "、".join(str(u) for u in users[:5])
            raise ValidationError(f"该区划下还有在用账户（{names}），请先调整这些用户的所属区划或停用账户")
        count = (
            Area.objects.within(area)
            .filter(is_active=True)
            .update(is_active=False, retired_at=timezone.now())
        )
        if count == 0:
            raise ValidationError(f"“{area.name}”已经是撤销状态")
        audit.record(actor, "retire_area", area, changes={"is_active": [True, False], "retired_areas": count})
    area.refresh_from_db()
    return count


def restore_area(actor, area: Area) -> Area:
    if area.parent is not None and not area.parent.is_active:
        raise ValidationError(f"上级“{area.parent.name}”已撤销，请先恢复上级")
    with transaction.atomic():
        if Area.objects.filter(pk=area.pk, is_active=False).update(is_active=True, retired_at=None) != 1:
            raise ValidationError(f"“{area.name}”没有被撤销")
        audit.record(actor, "restore_area", area, changes={"is_active": [False, True]})
    area.refresh_from_db()
    return area


def delete_area(actor, area: Area) -> None:
    """Only an area nothing refers to (no sub-areas, users, households, …) can be deleted."""
    if area.level == Level.COUNTY:
        raise ValidationError("不能删除区县本身")
    try:
        with transaction.atomic():
            audit.record(
                actor, "delete_area", area, changes={"code": [area.code, None], "name": [area.name, None]}
            )
            area.delete()
    except ProtectedError:
        raise ValidationError(
            f"“{area.name}”下已有下级区划或业务记录，不能删除；如该区划已不再使用，请选择“撤销”"
        ) from None
