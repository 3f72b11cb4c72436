"""What both imports share: the error row, the error report, cell parsers and batching helpers."""

from __future__ import annotations

import contextlib
import gc
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from zhenxing.lib.tabular import SheetSpec, write_xlsx

Progress = Callable[[int, int], None]  # progress(done, total)

# How many ID hashes / household numbers go into one `IN (…)` lookup. For a few percent of a big
# table PostgreSQL prefers one sequential scan per query to thousands of index probes, so the number of
# queries, not their size, is what costs: 10,000 keys keep 100,000 persons at 10 queries, and stay
# well under SQLite's limit of 32,766 bound variables per statement.
LOOKUP_CHUNK = 10_000

# Rows per INSERT in the bulk commit. Each batch is one statement and one list of model instances in
# memory: 2,000 Person rows are ~1 MB of SQL parameters and about 40 ms on SQLite; bigger batches save
# round trips but PostgreSQL caps a statement at 65,535 parameters (2,000 × 20 columns = 40,000).
# Django further splits batches on SQLite to its 999-parameter limit.
BATCH_SIZE = 2000

ERROR_HEADERS = ["工作表", "行号", "列", "问题及改正方法"]
NEW, UPDATE, UNCHANGED = "new", "update", "unchanged"
ACTION_LABELS = {NEW: "新增", UPDATE: "更新", UNCHANGED: "无变化"}


@dataclass(slots=True)
class RowError:
    """One problem: where (sheet, 1-based row as Excel shows it, column header) and what to do.

    `row` 0 means the whole file. `household` is the 户编号 the problem belongs to ("" when the row
    has none, or for the whole file); a household with any error is skipped by `only_valid` commits.
    """

    sheet: str
    row: int
    column: str
    reason: str
    household: str = ""

    @property
    def where(self) -> str:
        return f"第{self.row}行" if self.row else "整个文件"

    def line(self) -> str:
        """One line for the command line: "户籍成员 第3行 与户主关系：……"."""
        column = f" {self.column}" if self.column else ""
        sheet = f"{self.sheet} " if self.sheet else ""
        return f"{sheet}{self.where}{column}：{self.reason}"


class ImportConflict(ValidationError):
    """The registry changed between the check and the commit (another import, an edit): nothing was
    written. The messages say which person or household and ask for a fresh upload."""


def error_report(errors: Iterable[RowError]) -> bytes:
    """The downloadable `.xlsx` error report (工作表, 行号, 列, 问题及改正方法).

    Every text cell goes through `lib.tabular.neutralize` (in `write_xlsx`), so a sheet name or value
    from the uploaded file that starts with "=" cannot run as a formula.
    """
    rows = ([e.sheet, e.row or "整个文件", e.column, e.reason] for e in errors)
    return write_xlsx(
        [
            SheetSpec(
                name="导入错误",
                headers=ERROR_HEADERS,
                rows=rows,
                column_widths={"工作表": 12, "行号": 10, "列": 16, "问题及改正方法": 90},
            )
        ]
    )


def read_error_report(data: bytes, limit: int | None = None) -> list[RowError]:
    """The rows of an error report written by `error_report` (the preview shows the first 200)."""
    from zhenxing.lib.tabular import Column, read_table

    columns = [
        Column("sheet", "工作表"),
        Column("row", "行号"),
        Column("column", "列"),
        Column("reason", "问题及改正方法", required=True),
    ]
    table = read_table(data, "errors.xlsx", columns=columns)
    rows = table.rows if limit is None else table.rows[:limit]
    return [
        RowError(
            r.values["sheet"],
            int(r.values["row"]) if r.values["row"].isdigit() else 0,
            r.values["column"],
            r.values["reason"],
        )
        for r in rows
    ]


@contextlib.contextmanager
def no_gc():
    """Pause the cyclic garbage collector for the duration of a big import.

    A 100,000-row plan is millions of small objects that live until the import ends; each full
    collection walks all of them, and collections run ever more often as they pile up (measured: 20%
    of the commit's CPU at 20,000 rows, more at 100,000). Memory is freed by reference counting as
    usual; cycles, if any, are collected when the import is over.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:\(?0\d{2,3}\)?-?)?[2-9]\d{6,7}(?:-\d{1,6})?")


def clean_phone(text: str) -> str | None:
    """An 11-digit mobile (spaces, dashes and +86 removed) or a landline as written; None if neither."""
    compact = re.sub(r"[\s\u3000]", "", text)
    digits = compact.replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(compact.replace("（", "(").replace("）", ")")):
        return compact
    return None


def parse_whole_number(text: str) -> int | None:
    """ "6", "6.0", "６" → 6; anything else → None."""
    text = text.strip().translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(text.split(".")[0])
    return None


def notice_for_ignored(headers: list[str]) -> list[str]:
    if not headers:
        return []
    return ["以下列不属于模板，已忽略（不影响导入）：" + "、".join(headers)]


def sheet_names(data: bytes, filename: str) -> list[str]:
    """The worksheet names of an `.xlsx`/`.xls` upload ([] for CSV or an unreadable file)."""
    if not filename.lower().endswith((".xlsx", ".xls")):
        return []
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # an unreadable file: read_table reports it in words
        return []
    try:
        return list(workbook.sheet_names)
    finally:
        workbook.close()
