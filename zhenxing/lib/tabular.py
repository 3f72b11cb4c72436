"""Reading and writing the spreadsheets that district offices exchange.

Plain Python (no Django): callers pass in bytes + the original file name and get
back plain dataclasses, or pass in rows and get back file bytes.

Reading (:func:`read_table`)
    * ``.xlsx`` / ``.xls`` are read with ``python_calamine``; ``.csv`` is decoded as
      UTF-8 (with or without BOM) and, failing that, GB18030.
    * The header row is located automatically (title rows above it are fine) and
      matched against declared :class:`Column` objects, tolerating whitespace,
      full-width brackets and aliases.
    * Every cell comes back as a normalised ``str`` (see :func:`cell_text`), keyed
      by :attr:`Column.key`, together with its 1-based spreadsheet row number so
      validation errors can say “第N行”.
    * Anything the *user* must fix raises :class:`TableError` whose message is in
      Chinese and says what to do. Programmer errors raise ``ValueError``.

Writing (:func:`write_xlsx`, :func:`write_csv`)
    * Every string cell is passed through :func:`neutralize` so Excel never
      evaluates user-supplied text as a formula.
    * :func:`read_table` undoes that neutralisation, so export → edit → import
      round-trips the original text.

Parsing helpers (:func:`parse_date`, :func:`parse_amount`) turn the strings
returned by :func:`read_table` into ``datetime.date`` / ``decimal.Decimal``.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import math
import os
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Column",
    "Row",
    "SheetSpec",
    "Table",
    "TableError",
    "cell_text",
    "neutralize",
    "parse_amount",
    "parse_date",
    "read_table",
    "write_csv",
    "write_xlsx",
]

#: How many leading rows are searched for the header row.
HEADER_SEARCH_ROWS = 10
#: Drop-down validations cover data rows up to at least this spreadsheet row.
VALIDATION_LAST_ROW = 1000
#: Name of the hidden sheet holding long drop-down lists.
LISTS_SHEET = "_lists"
#: Excel's limit for an inline list-validation formula (characters, without quotes).
_INLINE_LIST_LIMIT = 255
#: Aware datetimes are written in China Standard Time (Excel has no time zones).
_LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
#: Floats at or above this magnitude are no longer exact integers.
_EXACT_INT_LIMIT = 2**53
_SUPPORTED_EXTENSIONS = (".xlsx", ".xls", ".csv")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_EXCEL_TEXT_RE = re.compile(r'^="(.*)"$', re.DOTALL)
# Characters openpyxl refuses to write (XML 1.0 control characters).
_ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class TableError(Exception):
    """A problem with an uploaded file that the user must fix.

    ``str(error)`` / :attr:`message` is a Chinese sentence suitable for showing
    to the user as-is.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    """A column the caller expects in an uploaded table.

    ``key`` is the code name used in :attr:`Row.values`; ``header`` the canonical
    Chinese header (also used in error messages); ``aliases`` other accepted
    header texts; ``required`` makes :func:`read_table` reject files without it.
    """

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Row:
    """One non-blank data row.

    ``number`` is the 1-based row number as Excel shows it (for CSV: the record
    number counting the header line as in Excel). ``values`` has one entry per
    declared :class:`Column` key – ``""`` for blank cells *and* for optional
    columns absent from the file (check :attr:`Table.columns` to tell apart).
    """

    number: int
    values: dict[str, str]


@dataclass
class Table:
    """Result of :func:`read_table`.

    ``sheet_name``: worksheet read (``""`` for CSV). ``header_row``: 1-based row
    number of the header. ``columns``: key → header text as found in the file, only
    for columns present. ``ignored_headers``: non-empty headers that matched no
    declared column (worth a notice, not an error). ``rows``: non-blank data rows.
    """

    sheet_name: str
    header_row: int
    columns: dict[str, str]
    ignored_headers: list[str]
    rows: list[Row]


@dataclass
class SheetSpec:
    """One worksheet for :func:`write_xlsx`.

    ``rows`` may be any iterable (a generator is streamed, not materialised).
    ``choices`` maps a header to the values offered in an Excel drop-down on that
    column. ``column_widths`` maps a header to a width in Excel character units
    (defaults derive from the header text). ``title``, if given, is a merged,
    bold first row above the header (the header then sits on row 2).
    """

    name: str
    headers: list[str]
    rows: Iterable[Sequence[Any]] = ()
    choices: dict[str, list[str]] = field(default_factory=dict)
    column_widths: dict[str, int] = field(default_factory=dict)
    title: str | None = None


# ---------------------------------------------------------------------------
# Cell normalisation
# ---------------------------------------------------------------------------


def _float_text(value: float) -> str:
    """``1.0`` → ``"1"``; ``1.5`` → ``"1.5"``; imprecise huge numbers stay as Excel shows them.

    An integral float is printed without ``.0`` only while it is exactly
    representable (< 2**53). Larger ones – typically an 18-digit ID number that
    Excel already rounded to 15 significant digits – are returned in scientific
    notation (``"1.10101199001011e+17"``) rather than with invented digits, so the
    caller's validator rejects them.
    """
    if math.isfinite(value) and value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
        return str(int(value))
    return format(value, ".15g")


def _strip(text: str) -> str:
    return text.strip().strip("\ufeff\u200b").strip()


def cell_text(value: Any) -> str:
    """Normalise one spreadsheet/CSV cell to the string :func:`read_table` returns.

    * ``None`` → ``""``; strings are stripped (incl. full-width/no-break spaces).
    * Integral numbers → ``"123"`` (see :func:`_float_text` for huge floats).
    * ``date``/``datetime`` → ``"YYYY-MM-DD"`` (time of day dropped).
    * Excel's text quoting ``="0012"`` → ``"0012"``.
    * Our own formula neutralisation (``"'=1+1"``) is undone → ``"=1+1"``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat()
    text = _strip(str(value))
    match = _EXCEL_TEXT_RE.match(text)
    if match:
        text = _strip(match.group(1).replace('""', '"'))
    if len(text) > 1 and text[0] == "'" and text[1] in "".join(_FORMULA_PREFIXES):
        text = _strip(text[1:])
    return text


def _normalize_header(text: str) -> str:
    """Header comparison key: NFKC (full-width brackets → half-width), no whitespace, casefolded."""
    text = unicodedata.normalize("NFKC", cell_text(text))
    text = text.replace("【", "[").replace("】", "]")
    return "".join(text.split()).casefold()


def _column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def read_table(
    data: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    columns: list[Column],
) -> Table:
    """Read an uploaded ``.xlsx``/``.xls``/``.csv`` into a :class:`Table`.

    Contract:
      * The format is chosen by ``filename``'s extension (case-insensitive).
      * Sheet: ``sheet`` if present; else, if the workbook has exactly one visible
        worksheet, that one; with ``sheet=None`` the first visible worksheet.
        ``sheet`` is ignored for CSV.
      * The header row is the first of the first 10 rows with at least one cell
        matching a declared column (header text or alias, ignoring whitespace,
        full-/half-width brackets and letter case).
      * Fully blank rows are skipped; row numbers are those Excel shows.

    Raises:
      TableError: unsupported extension, unreadable/corrupt/password-protected
        file, undecodable CSV, missing sheet, no header row found, a column
        appearing twice, or missing required columns
        (``"缺少必需列：户编号、姓名"``).
      ValueError: ``columns`` is empty or two columns share a header/alias.
    """
    lookup = _build_lookup(columns)
    ext = os.path.splitext(filename)[1].lower()
    if ext not in _SUPPORTED_EXTENSIONS:
        shown = ext or "（无扩展名）"
        raise TableError(f"不支持的文件类型：{shown}，请上传 .xlsx、.xls 或 .csv 文件")
    if not data:
        raise TableError(f"文件“{filename}”是空的，请检查后重新上传")
    if ext == ".csv":
        sheet_name, grid = "", _read_csv(data, filename)
    else:
        sheet_name, grid = _read_workbook(data, filename, sheet)
    return _build_table(sheet_name, grid, columns, lookup)


def _build_lookup(columns: list[Column]) -> dict[str, str]:
    if not columns:
        raise ValueError("read_table() needs at least one Column")
    lookup: dict[str, str] = {}
    keys: set[str] = set()
    for column in columns:
        if column.key in keys:
            raise ValueError(f"duplicate Column key {column.key!r}")
        keys.add(column.key)
        for name in (column.header, *column.aliases):
            norm = _normalize_header(name)
            if not norm:
                raise ValueError(f"empty header/alias for Column {column.key!r}")
            if lookup.get(norm, column.key) != column.key:
                raise ValueError(f"header {name!r} declared for both {lookup[norm]!r} and {column.key!r}")
            lookup[norm] = column.key
    return lookup


def _read_csv(data: bytes, filename: str) -> list[list[Any]]:
    if data.startswith(_EXCEL_MAGIC):
        raise TableError(
            f"文件“{filename}”实际是 Excel 工作簿而不是 CSV 文本，请将扩展名改回 .xlsx 或 .xls 后重新上传"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(
            f"无法识别文件“{filename}”的文字编码，请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”格式后重新上传"
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [list(record) for record in reader]
    except csv.Error as exc:
        raise TableError(
            f"CSV 文件“{filename}”第{reader.line_num}行格式有误（可能有未配对的引号或非法字符），"
            "请用 Excel 打开检查并重新保存后上传"
        ) from exc


def _read_workbook(data: bytes, filename: str, sheet: str | None) -> tuple[str, list[list[Any]]]:
    import python_calamine

    unreadable = (
        f"无法读取文件“{filename}”：文件可能已损坏，或并不是真正的 Excel 文件。"
        "请用 Excel 打开后“另存为” .xlsx 格式再上传"
    )
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise TableError(f"文件“{filename}”设置了打开密码，请取消密码后重新上传") from exc
    except Exception as exc:  # calamine raises assorted errors on corrupt input
        raise TableError(unreadable) from exc
    try:
        name = _choose_sheet(workbook, sheet)
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except TableError:
        raise
    except Exception as exc:
        raise TableError(unreadable) from exc
    finally:
        workbook.close()
    return name, rows


def _choose_sheet(workbook: Any, wanted: str | None) -> str:
    import python_calamine

    all_names: list[str] = list(workbook.sheet_names)
    visible = [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.visible == python_calamine.SheetVisibleEnum.Visible
        and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]
    if wanted is not None:
        if wanted in all_names:
            return wanted
        loose = [n for n in all_names if _normalize_header(n) == _normalize_header(wanted)]
        if len(loose) == 1:
            return loose[0]
        if len(visible) == 1:
            return visible[0]
        found = "、".join(f"“{n}”" for n in visible) or "（无）"
        raise TableError(
            f"找不到工作表“{wanted}”，文件中的工作表有：{found}。"
            f"请把数据放在名为“{wanted}”的工作表中，或删除其他工作表只保留一个"
        )
    if not visible:
        raise TableError("文件中没有可读取的工作表，请检查文件内容后重新上传")
    return visible[0]


def _build_table(
    sheet_name: str,
    grid: list[list[Any]],
    columns: list[Column],
    lookup: dict[str, str],
) -> Table:
    header_index: int | None = None
    header_cells: list[str] = []
    for index, raw in enumerate(grid[:HEADER_SEARCH_ROWS]):
        texts = [cell_text(v) for v in raw]
        if any(_normalize_header(t) in lookup for t in texts if t):
            header_index, header_cells = index, texts
            break
    if header_index is None:
        expected = "、".join(c.header for c in columns)
        raise TableError(
            f"没有找到表头：前{HEADER_SEARCH_ROWS}行中没有任何一列的列名与模板一致（应包含：{expected}）。"
            "请确认使用的是正确的模板，且表头在前10行内"
        )

    positions: dict[str, int] = {}
    found_headers: dict[str, str] = {}
    ignored: list[str] = []
    for position, text in enumerate(header_cells):
        if not text:
            continue
        key = lookup.get(_normalize_header(text))
        if key is None:
            ignored.append(text)
            continue
        if key in positions:
            first = positions[key]
            raise TableError(
                f"表头第{header_index + 1}行中“{found_headers[key]}”（{_column_letter(first)}列）"
                f"和“{text}”（{_column_letter(position)}列）是同一列，请删除多余的一列后重新上传"
            )
        positions[key] = position
        found_headers[key] = text

    missing = [c.header for c in columns if c.required and c.key not in positions]
    if missing:
        raise TableError("缺少必需列：" + "、".join(missing))

    rows: list[Row] = []
    for index in range(header_index + 1, len(grid)):
        texts = [cell_text(v) for v in grid[index]]
        if not any(texts):
            continue
        values = {}
        for column in columns:
            position = positions.get(column.key)
            values[column.key] = texts[position] if position is not None and position < len(texts) else ""
        rows.append(Row(number=index + 1, values=values))

    ordered = {c.key: found_headers[c.key] for c in columns if c.key in found_headers}
    return Table(
        sheet_name=sheet_name,
        header_row=header_index + 1,
        columns=ordered,
        ignored_headers=ignored,
        rows=rows,
    )


# ---------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_CN_DATE_RE = re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日$")
_AMOUNT_RE = re.compile(r"^(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?$")
_CENT = decimal.Decimal("0.01")


def parse_date(s: str) -> datetime.date:
    """Parse a date as typed in spreadsheets.

    Accepts ``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY.M.D`` (one consistent
    separator, 1–2 digit month/day), ``YYYY年M月D日`` and, for system exports,
    a trailing time of day (``2024-01-02 00:00:00``, ignored). Full-width digits
    are accepted.

    Raises ``ValueError("日期格式应为 YYYY-MM-DD")`` for other text and
    ``ValueError("日期不存在：…")`` for impossible dates such as 2024-02-30.
    """
    text = unicodedata.normalize("NFKC", _strip(s))
    match = _DATE_RE.match(text) or _CN_DATE_RE.match(text)
    if not match:
        raise ValueError("日期格式应为 YYYY-MM-DD")
    try:
        return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValueError(f"日期不存在：{_strip(s)}，请检查月份和日期") from None


def parse_amount(s: str, *, allow_negative: bool = False) -> decimal.Decimal:
    """Parse a money amount; returns a Decimal quantized to 2 places (``"1,234.5"`` → ``1234.50``).

    Accepts digits with an optional sign, correctly grouped thousands separators
    (``1,234.50``) and at most two significant decimals (``1.500`` is fine).
    Full-width digits/punctuation are accepted.

    Raises ValueError with one of:
      ``"金额不能为负数"`` (negative and not ``allow_negative``),
      ``"金额最多两位小数"``,
      ``"金额格式不正确：<text>，…"`` (anything else, e.g. ``"¥100"``, ``"1e3"``, ``""``).
    """
    original = _strip(s)
    text = unicodedata.normalize("NFKC", original)
    match = _AMOUNT_RE.match(text)
    if not match:
        raise ValueError(f"金额格式不正确：{original}，请只填写数字，如 1234.50")
    frac = (match["frac"] or "").rstrip("0")
    if len(frac) > 2:
        raise ValueError("金额最多两位小数")
    amount = decimal.Decimal(match["int"].replace(",", "") + "." + (frac or "0"))
    if match["sign"] == "-":
        amount = -amount
    if amount < 0 and not allow_negative:
        raise ValueError("金额不能为负数")
    return amount.quantize(_CENT) + 0  # "+ 0" turns -0.00 into 0.00


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def neutralize(value: Any) -> Any:
    """Make a value safe to put in a spreadsheet cell (formula-injection defence).

    A ``str`` starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading
    apostrophe (``"=1+1"`` → ``"'=1+1"``) so Excel/WPS show it as text. Every
    other value – including negative ``int``/``float``/``Decimal`` – is returned
    unchanged. :func:`read_table` strips the apostrophe again.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _naive(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is not None:
        return value.astimezone(_LOCAL_TZ).replace(tzinfo=None)
    return value


def _xlsx_value(value: Any) -> tuple[Any, str | None]:
    """Python value → (value openpyxl accepts, number format or None)."""
    if value is None or isinstance(value, bool | int):
        return value, None
    if isinstance(value, float):
        return (value, None) if math.isfinite(value) else (str(value), None)
    if isinstance(value, decimal.Decimal):
        return (value, "0.00") if value.is_finite() else (str(value), None)
    if isinstance(value, datetime.datetime):
        return _naive(value), "yyyy-mm-dd hh:mm:ss"
    if isinstance(value, datetime.date):
        return value, "yyyy-mm-dd"
    if isinstance(value, datetime.time):
        return value.replace(tzinfo=None), "hh:mm:ss"
    text = _ILLEGAL_XML_RE.sub("", str(value))
    return neutralize(text), None


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def write_xlsx(sheets: list[SheetSpec]) -> bytes:
    """Build an ``.xlsx`` workbook (streamed with openpyxl's write-only mode).

    Per sheet: optional merged bold title on row 1, bold header row, panes frozen
    below the header, column widths, then the data rows. Cell conversion:
    ``str`` (and unknown types, via ``str()``) → :func:`neutralize`-d text with XML-
    illegal control characters removed; ``Decimal`` → number formatted ``0.00``;
    ``date`` → date formatted ``yyyy-mm-dd``; ``datetime`` → ``yyyy-mm-dd hh:mm:ss``
    (aware values converted to Asia/Shanghai); ``None`` → empty cell.

    ``choices`` add a list data-validation (drop-down, blank allowed, other values
    rejected) on that column from the first data row to row 1000 (or the last
    written row if further). Lists longer than 255 characters or containing
    commas/quotes are placed on a hidden ``_lists`` sheet and referenced.

    Raises ValueError for programmer errors (unknown header in ``choices`` /
    ``column_widths``, duplicate or reserved sheet names, no sheets).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if not sheets:
        raise ValueError("write_xlsx() needs at least one SheetSpec")
    names = [spec.name for spec in sheets]
    if len(set(names)) != len(names) or LISTS_SHEET in names:
        raise ValueError(f"sheet names must be unique and not {LISTS_SHEET!r}: {names}")

    workbook = Workbook(write_only=True)
    hidden_lists: list[list[str]] = []
    bold = Font(bold=True)

    for spec in sheets:
        unknown = (set(spec.choices) | set(spec.column_widths)) - set(spec.headers)
        if unknown:
            raise ValueError(
                f"sheet {spec.name!r}: choices/column_widths for unknown headers {sorted(unknown)}"
            )
        ws = workbook.create_sheet(spec.name)
        header_row = 2 if spec.title else 1
        first_data_row = header_row + 1

        for index, header in enumerate(spec.headers, start=1):
            width = spec.column_widths.get(header) or max(8, min(50, _display_width(header) + 4))
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = f"A{first_data_row}"

        validations: list[tuple[DataValidation, str]] = []
        for header, values in spec.choices.items():
            if not values:
                continue
            values = [str(v) for v in values]
            inline = ",".join(values)
            if len(inline) <= _INLINE_LIST_LIMIT and not any("," in v or '"' in v for v in values):
                formula = f'"{inline}"'
            else:
                hidden_lists.append(values)
                letter = get_column_letter(len(hidden_lists))
                formula = f"{_quote_sheet(LISTS_SHEET)}!${letter}$1:${letter}${len(values)}"
            dv = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="输入有误",
                error=f"“{header}”请从下拉列表中选择",
            )
            ws.data_validations.append(dv)
            validations.append((dv, get_column_letter(spec.headers.index(header) + 1)))

        if spec.title:
            title_cell = WriteOnlyCell(ws, value=neutralize(spec.title))
            title_cell.font = Font(bold=True, size=14)
            title_cell.alignment = Alignment(horizontal="center", vertical="center")
            ws.append([title_cell])
            if len(spec.headers) > 1:
                ws.merged_cells.add(f"A1:{get_column_letter(len(spec.headers))}1")

        header_cells = []
        for header in spec.headers:
            cell = WriteOnlyCell(ws, value=_xlsx_value(header)[0])
            cell.font = bold
            header_cells.append(cell)
        ws.append(header_cells)

        last_row = header_row
        for row in spec.rows:
            cells = []
            for value in row:
                converted, number_format = _xlsx_value(value)
                if number_format is None:
                    cells.append(converted)
                else:
                    cell = WriteOnlyCell(ws, value=converted)
                    cell.number_format = number_format
                    cells.append(cell)
            ws.append(cells)
            last_row += 1

        end_row = max(VALIDATION_LAST_ROW, last_row)
        for dv, letter in validations:
            dv.add(f"{letter}{first_data_row}:{letter}{end_row}")

    if hidden_lists:
        lists_ws = workbook.create_sheet(LISTS_SHEET)
        lists_ws.sheet_state = "hidden"
        for index in range(max(len(values) for values in hidden_lists)):
            lists_ws.append(
                [_xlsx_value(values[index])[0] if index < len(values) else None for values in hidden_lists]
            )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, datetime.datetime):
        return _naive(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralize(str(value))


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Build a CSV file: UTF-8 with BOM (so Chinese Excel detects the encoding), CRLF line ends.

    Strings are :func:`neutralize`-d; numbers stay numeric text (``-5`` stays
    ``-5``); ``Decimal`` is written in plain notation; ``date`` as ``YYYY-MM-DD``;
    ``datetime`` as ``YYYY-MM-DD HH:MM:SS``; ``None`` as an empty field.
    Note: Excel shows long digit strings (ID numbers) from CSV in scientific
    notation – prefer :func:`write_xlsx` for such data.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_value(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")
