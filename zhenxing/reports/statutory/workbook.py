"""The print-ready `.xlsx` of a statutory report, streamed with openpyxl's write-only mode.

One sheet named after the report:
  row 1  the title: area and report name (鄂城区泽林镇监测对象台账), merged across the columns;
  row 2  截至YYYY年M月D日, and the money unit when the report has money columns;
  row 3  the header (序号 first), repeated on every printed page and frozen on screen;
  rows   the data, numbered;
  last   合计: the row count in words (共12户), sums, counts of 是, derived shares.
Printing: A4 landscape, fitted to one page wide, grid lines, page numbers in the footer.
Text passes through `lib.tabular.neutralize` (formula injection); dates are text `YYYY-MM-DD`; money and
percentages are numbers shown with two decimals.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhenxing.areas.models import Area
from zhenxing.lib.tabular import neutralize
from zhenxing.reports.statutory.table import (
    COUNT_YES,
    MONEY,
    PERCENT,
    SUM,
    YES,
    Column,
    Report,
    chinese_date,
)

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
# The job's progress is written every this many rows (a write costs one small UPDATE).
PROGRESS_EVERY = 5000
NUMBER_FORMAT = "0.00"
# Characters XML 1.0 does not allow (openpyxl refuses them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass
class Built:
    data: bytes
    rows: int
    filename: str


def filename(report: Report, area: Area, as_of: datetime.date, full_ids: bool) -> str:
    suffix = "_含完整身份证号码" if full_ids else ""
    return f"{report.title}_{area.name}_{as_of.isoformat()}{suffix}.xlsx"


def _text(value: str) -> str:
    return neutralize(_ILLEGAL_XML.sub("", value))


def _styled(ws, value, *, bold=False, number=False, box=False, wrap=False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_text(value) if isinstance(value, str) else value)
    if bold:
        cell.font = Font(bold=True)
    if number:
        cell.number_format = NUMBER_FORMAT
    if box:
        cell.border = _BOX
    if wrap:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return cell


def _setup_sheet(ws, columns: list[Column]) -> None:
    ws.column_dimensions["A"].width = 6
    for index, column in enumerate(columns, start=2):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _title_rows(ws, report: Report, area: Area, as_of: datetime.date, columns: list[Column]) -> None:
    last = get_column_letter(len(columns) + 1)
    title = _styled(ws, f"{area.full_name}{report.title}")
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.append([title])
    ws.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    subtitle = f"截至{chinese_date(as_of)}"
    if any(c.kind == MONEY for c in columns):
        subtitle += "　　金额单位：元"
    ws.append([_styled(ws, subtitle)])
    ws.merged_cells.add(f"A{SUBTITLE_ROW}:{last}{SUBTITLE_ROW}")
    ws.append(
        [_styled(ws, h, bold=True, box=True, wrap=True) for h in ["序号", *(c.header for c in columns)]]
    )


class _Totals:
    """Adds up the columns as the rows stream past, for the 合计 row."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.sums: dict[str, Decimal] = {c.header: Decimal(0) for c in columns if c.total == SUM}
        self.yes: dict[str, int] = {c.header: 0 for c in columns if c.total == COUNT_YES}
        self.blank = {c.header for c in columns if c.total == SUM}  # no value seen yet

    def add(self, row: list) -> None:
        for column, value in zip(self.columns, row, strict=True):
            if column.header in self.sums and value is not None:
                self.sums[column.header] += value
                self.blank.discard(column.header)
            elif column.header in self.yes and value == YES:
                self.yes[column.header] += 1

    def row(self, count: int, unit: str) -> list:
        cells: list[Any] = []
        for column in self.columns:
            if column.total == SUM:
                value: Any = self.sums[column.header]
                if count and column.header in self.blank:
                    value = None  # every row blank (a checkpoint not reached yet): so is the total
                elif column.kind not in (MONEY, PERCENT):
                    value = int(value)
                cells.append(value)
            elif column.total == COUNT_YES:
                cells.append(self.yes[column.header])
            elif callable(column.total):
                cells.append(column.total(self.sums))
            else:
                cells.append(None)
        if cells and cells[0] is None:
            cells[0] = f"共{count}{unit}"
        return ["合计", *cells]


def build_workbook(
    report: Report,
    area: Area,
    as_of: datetime.date,
    full_ids: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Built:
    """The whole workbook; `progress(rows written, rows in all)` is told every PROGRESS_EVERY rows.

    `full_ids` writes full ID numbers (reports with `has_id_numbers`); the caller checks the permission
    and writes the audit row.
    """
    full_ids = full_ids and report.has_id_numbers
    columns = report.columns(as_of)
    table = report.table(area, as_of, full_ids)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(report.title)
    _setup_sheet(ws, columns)
    _title_rows(ws, report, area, as_of, columns)
    numbers = [c.kind in (MONEY, PERCENT) for c in columns]
    wraps = [c.wrap for c in columns]
    totals = _Totals(columns)
    written = 0
    if progress:
        progress(0, table.count)
    for row in table.rows:
        totals.add(row)
        written += 1
        cells: list[Any] = [written]
        for value, number, wrap in zip(row, numbers, wraps, strict=True):
            if isinstance(value, str):
                if wrap and value:
                    cell = WriteOnlyCell(ws, value=_text(value))
                    cell.alignment = _WRAP
                    cells.append(cell)
                else:
                    cells.append(_text(value))
            elif number and value is not None:
                cells.append(_styled(ws, value, number=True))
            else:
                cells.append(value)
        ws.append(cells)
        if progress and written % PROGRESS_EVERY == 0:
            progress(written, table.count)
    total_cells = totals.row(written, report.unit)
    ws.append(
        [
            _styled(ws, value, bold=True, number=i > 0 and numbers[i - 1] and value is not None)
            for i, value in enumerate(total_cells)
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    if progress:
        progress(written, written)
    return Built(buffer.getvalue(), written, filename(report, area, as_of, full_ids))
