"""Showing an entry's `changes` to people: a one-line summary for lists and exports, a table for detail.

Actions store `changes` as `{field: [old, new]}` (see `audit.actions.diff`); other shapes (e.g. which
personal fields were shown) are rendered as plain values. Fields are shown in name order: PostgreSQL's
jsonb does not keep the order they were written in, and both databases must show the same.
"""

import json
from dataclasses import dataclass
from typing import Any

EMPTY = "（空）"
# Lists show a summary, not the whole record; the detail page and the export carry every field.
SUMMARY_LIMIT = 120


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def show_value(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def summarize_changes(changes: dict, limit: int | None = None) -> str:
    """`状态: 待审核 → 已通过；金额: 10.00 → 12.50` (cut to `limit` characters with an ellipsis)."""
    if not isinstance(changes, dict):
        return show_value(changes)
    parts = []
    for field, value in sorted(changes.items()):
        if _is_pair(value):
            parts.append(f"{field}: {show_value(value[0])} → {show_value(value[1])}")
        else:
            parts.append(f"{field}: {show_value(value)}")
    text = "；".join(parts)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str
    is_change: bool  # False when the value is not an [old, new] pair (shown in the "after" column)


def change_rows(changes: dict) -> list[ChangeRow]:
    if not isinstance(changes, dict):
        return [ChangeRow("", "", show_value(changes), False)]
    rows = []
    for field, value in sorted(changes.items()):
        if _is_pair(value):
            rows.append(ChangeRow(field, show_value(value[0]), show_value(value[1]), True))
        else:
            rows.append(ChangeRow(field, "", show_value(value), False))
    return rows
