"""National code lists as data: what a file may say, and what the platform stores.

The lists live in the `registry.Code` table (seeded by migration 0002 and extended by later data
migrations when the national lists change), never in enums: national-formats §4 shows them changing
between 2016 and 2021 and they will change again. Each row maps a `label` (what a file says, in any
version) to a `canonical` value (what the platform stores). Items:

| item | stored (canonical) values |
|---|---|
| `relation` | the 28 national values (户主, 配偶, 之子, …, 其他) |
| `education` | 文盲或半文盲 / 小学 / 初中 / 高中 / 大专 / 本科及以上 |
| `schooling` | coarse stages 学前 / 小学 / 初中 / 高中 / 中职 / 高职 / 本科及以上 ("" = not a student) |
| `health` | 健康 / 长期慢性病 / 患有大病 / 残疾, several joined by "," in this order |
| `labour_capacity` | 普通劳动力 / 技能劳动力 / 弱劳动力或半劳动力 / 丧失劳动力 / 无劳动力 |
| `employment` | 省外务工 / 省内县外务工 / 县内务工 / 乡镇内务工 / 未务工 |
| `political_status` | 中共党员 / 中共预备党员 / 共青团员 / 群众 |
| `household_kind` | `lifted` / `ordinary` (HouseholdKind); 脱贫属性 labels such as 低保脱贫户 mean `lifted` |
| `lifted_attribute` | 一般脱贫户 / 低保脱贫户 / 特困供养脱贫户 (and the legacy 低保特困供养贫困户) |

Conventions:
- A canonical value of "" means "a known label that stores nothing" (在校生状况 非在校生, 务工状况 其他).
- A canonical value "A|B" names a pair (之孙子女 → 之孙子|之孙女): `canonical(..., sex=)` picks A for
  男 and B for 女 (sex comes from the ID number).
- Labels match after NFKC (full-width brackets become half-width) with whitespace removed.
- 文化程度 学龄前儿童 (2016) maps to "" and is, by the importer, moved to 在校生状况 (学前).

Lookups are cached per process for `CACHE_SECONDS`; `clear_cache()` drops the cache (tests, and after
a data migration in a running process).
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass, field

PAIR_SEPARATOR = "|"
MULTI_SEPARATORS = (",", "，", "、", ";", "；")
# Code lists change with national versions, i.e. yearly at most: a minute's staleness is harmless and
# saves a query on every lookup.
CACHE_SECONDS = 60

ITEMS = (
    "relation",
    "education",
    "schooling",
    "health",
    "labour_capacity",
    "employment",
    "political_status",
    "household_kind",
    "lifted_attribute",
)


@dataclass
class CodeTable:
    """One item's lookups: normalised label → canonical, and the current labels in order."""

    lookup: dict[str, str] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)  # canonical value → position (for sorting)


_lock = threading.Lock()
_cache: dict[str, CodeTable] | None = None
_loaded_at = 0.0


def normalize_label(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _load() -> dict[str, CodeTable]:
    from zhenxing.registry.models import Code

    tables: dict[str, CodeTable] = {}
    # Current rows last, so a label also present in an old version resolves as it does today.
    rows = Code.objects.order_by("item", "is_current", "version", "position").values_list(
        "item", "label", "canonical", "position", "is_current"
    )
    current_rows = []
    for item, label, canonical, position, is_current in rows:
        table = tables.setdefault(item, CodeTable())
        table.lookup[normalize_label(label)] = canonical
        if is_current:
            current_rows.append((item, position, label, canonical))
    for item, _position, label, canonical in sorted(current_rows):
        table = tables[item]
        table.current.append(label)
        for value in canonical.split(PAIR_SEPARATOR):
            table.order.setdefault(value, len(table.order))
    return tables


def tables() -> dict[str, CodeTable]:
    """Every item's table (loaded once per CACHE_SECONDS). Importers fetch this once per file."""
    global _cache, _loaded_at
    with _lock:
        if _cache is None or time.monotonic() - _loaded_at > CACHE_SECONDS:
            loaded = _load()
            if not loaded:  # an empty table (a flushed test database) is not worth remembering
                return {}
            _cache, _loaded_at = loaded, time.monotonic()
        return _cache


def table(item: str) -> CodeTable:
    if item not in ITEMS:
        raise ValueError(f"unknown code list {item!r}")
    return tables().get(item) or CodeTable()


def clear_cache() -> None:
    global _cache
    with _lock:
        _cache = None


def pick_by_sex(value: str, sex: str | None) -> str:
    """ "之孙子|之孙女" → 之孙子 for 男, 之孙女 for 女; other values unchanged."""
    if PAIR_SEPARATOR not in value or sex not in ("男", "女"):
        return value
    male, female = value.split(PAIR_SEPARATOR, 1)
    return male if sex == "男" else female


def canonical(item: str, label: str, *, sex: str | None = None) -> str | None:
    """The stored value for a label of `item` (any version), or None when the label is unknown.

    "" is a valid answer (a known label that stores nothing). For a pair label give `sex` (男/女).
    """
    value = table(item).lookup.get(normalize_label(label))
    if value is None:
        return None
    return pick_by_sex(value, sex)


def current_labels(item: str) -> list[str]:
    """The labels offered today (template drop-downs, error messages), in list order."""
    return list(table(item).current)


def split_multi(text: str) -> list[str]:
    """A multi-valued cell ("残疾,长期慢性病", "残疾，长期慢性病") as its parts."""
    for separator in MULTI_SEPARATORS[1:]:
        text = text.replace(separator, MULTI_SEPARATORS[0])
    return [part.strip() for part in text.split(MULTI_SEPARATORS[0]) if part.strip()]


def canonical_multi(item: str, text: str) -> tuple[str, list[str]]:
    """A multi-valued cell as the canonical comma-joined value in list order, and its unknown parts."""
    code_table = table(item)
    values: set[str] = set()
    unknown: list[str] = []
    for part in split_multi(text):
        value = code_table.lookup.get(normalize_label(part))
        if value is None:
            unknown.append(part)
        elif value:
            values.add(value)
    ordered = sorted(values, key=lambda v: code_table.order.get(v, len(code_table.order)))
    return ",".join(ordered), unknown
