"""Value rules of the registry: the national code lists and the checks every write applies.

Plain functions raising `ValidationError` with a Chinese message that says what to fix; the actions
call them before writing, and forms use the same lists for their choices.
"""

import re

from django.core.exceptions import ValidationError

from zhenxing.lib import idnumbers
from zhenxing.registry.models import HEAD, Code

# —— Code lists ————————————————————————————————————————————————————————————————————————————————————
# The national lists of formats.md §1, used while the `Code` table does not hold the item yet (the
# importer's data migration loads the versioned lists; these are the 2021+ values).
RELATIONS = (
    "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之外孙子", "之外孙女",
    "之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆", "之祖父", "之祖母", "之外祖父", "之外祖母",
    "之兄弟姐妹", "之曾孙子", "之曾孙女", "之侄儿", "之侄女", "之兄弟媳妇", "之叔伯", "其他",
)  # fmt: skip
HEALTH = ("健康", "长期慢性病", "患有大病", "残疾")
LABOUR_CAPACITIES = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
EDUCATION = ("文盲或半文盲", "小学", "初中", "高中", "大专", "本科及以上")
SCHOOLING = ("学前", "小学", "初中", "高中", "中职", "高职", "本科及以上")
EMPLOYMENT = ("省外务工", "省内县外务工", "县内务工", "乡镇内务工", "未务工")
POLITICAL_STATUS = ("中共党员", "中共预备党员", "共青团员", "群众")
LIFTED_ATTRIBUTES = ("一般脱贫户", "低保脱贫户", "特困供养脱贫户")
LIFTED_YEAR_MIN, LIFTED_YEAR_MAX = 2014, 2020
INCOME_YEAR_MIN = 2000


def code_values(item: str, fallback: tuple[str, ...]) -> list[str]:
    """The current canonical values of a national code list, or `fallback` while it is not loaded."""
    values = (
        Code.objects.filter(item=item, is_current=True)
        .order_by("position", "id")
        .values_list("canonical", flat=True)
    )
    # "" (a label that stores nothing) and "A|B" (a pair resolved by sex) are not values one can choose.
    return list(dict.fromkeys(v for v in values if v and "|" not in v)) or list(fallback)


def relation_labels() -> list[str]:
    return code_values("relation", RELATIONS)


_PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")


def valid_id(id_number: str) -> str:
    try:
        return idnumbers.validate(id_number)
    except idnumbers.InvalidIdNumber as e:
        raise ValidationError(str(e)) from None


def check_relation(relation: str, who: str = "") -> str:
    """A non-head relation from the national list (the head changes only through `change_head`)."""
    relation = (relation or "").strip()
    if not relation:
        raise ValidationError(f"请选择{who}与户主的关系")
    if relation == HEAD:
        raise ValidationError(f"{who}不能登记为户主：户主只有一名，如需更换请办理“变更户主”")
    if relation not in relation_labels():
        raise ValidationError(
            f"与户主关系“{relation}”不在国家代码表中，请从下拉列表中选择（如 配偶、之子、之女）"
        )
    return relation


def check_health(value: str) -> str:
    """The canonical comma-joined list (in code-list order), e.g. "长期慢性病,残疾"."""
    allowed = code_values("health", HEALTH)
    items = [v.strip() for v in re.split(r"[,，]", value or "") if v.strip()]
    if not items:
        raise ValidationError("请选择健康状况")
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise ValidationError(f"健康状况“{'、'.join(unknown)}”无效，请从{'、'.join(allowed)}中选择")
    if "健康" in items and len(items) > 1:
        raise ValidationError("健康状况选了“健康”就不能再选疾病或残疾，请核对")
    return ",".join(v for v in allowed if v in items)


def check_labour(value: str) -> str:
    allowed = code_values("labour_capacity", LABOUR_CAPACITIES)
    if value not in allowed:
        raise ValidationError(f"劳动能力“{value}”无效，请从{'、'.join(allowed)}中选择")
    return value


def check_months(value) -> int | None:
    if value in (None, ""):
        return None
    if not (isinstance(value, int) and 0 <= value <= 12):
        raise ValidationError(f"务工时间应为0到12之间的整数（月），当前为“{value}”")
    return value


def check_phone(value: str) -> str:
    value = (value or "").strip()
    if value and not _PHONE.fullmatch(value):
        raise ValidationError(
            f"联系电话“{value}”格式不对，请填写11位手机号或带区号的固定电话（如 0711-3201234）"
        )
    return value


def check_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("请填写姓名")
    if len(value) > 40:
        raise ValidationError("姓名最多40个字，请核对")
    return value
