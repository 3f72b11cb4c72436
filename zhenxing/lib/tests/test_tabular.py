import datetime
import decimal
import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from zhenxing.lib.tabular import (
    Column,
    SheetSpec,
    TableError,
    cell_text,
    neutralize,
    parse_amount,
    parse_date,
    read_table,
    write_csv,
    write_xlsx,
)

D = decimal.Decimal

COLUMNS = [
    Column("household_no", "户编号", aliases=("户码",), required=True),
    Column("name", "姓名", required=True),
    Column("id_number", "身份证号码（证件号码）", aliases=("身份证号",)),
    Column("born", "出生日期"),
    Column("income", "年收入（元）"),
]


def xlsx_bytes(rows, *, title="户信息", extra_sheets=()):
    """Build an .xlsx in memory; strings starting with "=" are stored as text, not formulas."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for name in extra_sheets:
        wb.create_sheet(name).append(["x"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- reading: header matching ------------------------------------------------------------------


def test_reads_basic_xlsx():
    data = xlsx_bytes([["户编号", "姓名"], ["H001", "张三"], ["H002", "李四"]])
    table = read_table(data, "名单.xlsx", sheet="户信息", columns=COLUMNS)
    assert table.sheet_name == "户信息"
    assert table.header_row == 1
    assert table.columns == {"household_no": "户编号", "name": "姓名"}
    assert table.ignored_headers == []
    assert [(r.number, r.values["household_no"], r.values["name"]) for r in table.rows] == [
        (2, "H001", "张三"),
        (3, "H002", "李四"),
    ]
    # Absent optional columns are present as "" so callers never get KeyError.
    assert table.rows[0].values["id_number"] == ""


def test_alias_and_bracket_and_space_insensitive_matching():
    data = xlsx_bytes(
        [[" 户码 ", "姓 名", "身份证号码(证件号码)", "年收入 (元)"], ["H1", "王五", "110", "12"]]
    )
    table = read_table(data, "a.XLSX", columns=COLUMNS)
    assert table.columns == {
        "household_no": "户码",
        "name": "姓 名",
        "id_number": "身份证号码(证件号码)",
        "income": "年收入 (元)",
    }
    assert table.rows[0].values == {
        "household_no": "H1",
        "name": "王五",
        "id_number": "110",
        "born": "",
        "income": "12",
    }


def test_half_width_declared_matches_full_width_in_file():
    cols = [Column("x", "收入(元)", required=True)]
    data = xlsx_bytes([["收入（元）"], ["5"]])
    assert read_table(data, "a.xlsx", columns=cols).rows[0].values == {"x": "5"}


def test_title_rows_above_header():
    data = xlsx_bytes(
        [
            ["2024年度监测对象信息表"],
            [None],
            ["填报单位：某某乡", None, "单位：元"],
            ["户编号", "姓名", "年收入（元）"],
            ["H001", "张三", 1200],
        ]
    )
    table = read_table(data, "a.xlsx", columns=COLUMNS)
    assert table.header_row == 4
    assert table.rows[0].number == 5
    assert table.rows[0].values["income"] == "1200"


def test_header_beyond_first_ten_rows_is_not_found():
    data = xlsx_bytes([["说明"]] * 10 + [["户编号", "姓名"], ["H1", "张三"]])
    with pytest.raises(TableError, match="没有找到表头"):
        read_table(data, "a.xlsx", columns=COLUMNS)


def test_missing_required_columns_exact_message():
    data = xlsx_bytes([["身份证号", "备注"], ["1", "x"]])
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx", columns=COLUMNS)
    assert str(exc.value) == "缺少必需列：户编号、姓名"
    assert exc.value.message == "缺少必需列：户编号、姓名"


def test_ignored_headers_are_reported_not_fatal():
    data = xlsx_bytes([["户编号", "备注", "姓名", None, "联系电话"], ["H1", "无", "张三", None, "138"]])
    table = read_table(data, "a.xlsx", columns=COLUMNS)
    assert table.ignored_headers == ["备注", "联系电话"]
    assert table.rows[0].values["name"] == "张三"


def test_duplicate_column_is_an_error():
    data = xlsx_bytes([["户编号", "姓名", "户码"], ["H1", "张三", "H1"]])
    with pytest.raises(TableError, match=r"“户编号”（A列）和“户码”（C列）是同一列"):
        read_table(data, "a.xlsx", columns=COLUMNS)


def test_conflicting_declarations_are_programmer_errors():
    with pytest.raises(ValueError):
        read_table(b"x", "a.csv", columns=[Column("a", "姓名"), Column("b", "姓 名")])


# --- reading: rows and cell values ------------------------------------------------------------


def test_blank_rows_skipped_and_row_numbers_kept():
    data = xlsx_bytes(
        [
            ["户编号", "姓名"],
            ["H1", "张三"],
            [None, None],
            ["  ", "\u3000"],
            ["H2", None],
            [],
            [None, "李四"],
        ]
    )
    table = read_table(data, "a.xlsx", columns=COLUMNS)
    assert [(r.number, r.values["household_no"], r.values["name"]) for r in table.rows] == [
        (2, "H1", "张三"),
        (5, "H2", ""),
        (7, "", "李四"),
    ]


def test_cell_value_normalisation_from_xlsx():
    data = xlsx_bytes(
        [
            ["户编号", "姓名", "身份证号", "出生日期", "年收入（元）"],
            [123, "  张三 ", "110101199003070011", datetime.date(1990, 3, 7), 1234.5],
            [45.0, "李四", '="0012"', datetime.datetime(2001, 2, 3, 14, 5), 1000.0],
            # An ID number typed as a number has lost its last digits in Excel: keep it visibly wrong.
            ["H3", "王五", 110101199003070011, "1990/3/7", D("99.90")],
        ]
    )
    rows = read_table(data, "a.xlsx", columns=COLUMNS).rows
    assert rows[0].values == {
        "household_no": "123",
        "name": "张三",
        "id_number": "110101199003070011",
        "born": "1990-03-07",
        "income": "1234.5",
    }
    assert rows[1].values["household_no"] == "45"
    assert rows[1].values["id_number"] == "0012"
    assert rows[1].values["born"] == "2001-02-03"
    assert rows[1].values["income"] == "1000"
    assert rows[2].values["id_number"] == "1.1010119900307e+17"
    assert rows[2].values["born"] == "1990/3/7"
    assert rows[2].values["income"] == "99.9"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("  a b  ", "a b"),
        (1.0, "1"),
        (-3.0, "-3"),
        (0.1 + 0.2, "0.3"),
        (12345678901234.0, "12345678901234"),
        (1.10101199001011e17, "1.10101199001011e+17"),
        (True, "TRUE"),
        (datetime.date(2024, 1, 2), "2024-01-02"),
        (datetime.datetime(2024, 1, 2, 23, 59), "2024-01-02"),
        ('="0012"', "0012"),
        ('="say ""hi"""', 'say "hi"'),
        ("'=1+1", "=1+1"),
        ("'-", "-"),
        ("'abc", "'abc"),
        ("\ufeff户编号", "户编号"),
    ],
)
def test_cell_text(raw, expected):
    assert cell_text(raw) == expected


# --- reading: formats ---------------------------------------------------------------------------

CSV_TEXT = '户编号,姓名,身份证号\r\nH001,张三,="0012"\r\n,,\r\nH002,李四,110101199003070011\r\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(encoding):
    table = read_table(CSV_TEXT.encode(encoding), "导出.CSV", columns=COLUMNS)
    assert table.sheet_name == ""
    assert table.header_row == 1
    assert [
        (r.number, r.values["household_no"], r.values["name"], r.values["id_number"]) for r in table.rows
    ] == [
        (2, "H001", "张三", "0012"),
        (4, "H002", "李四", "110101199003070011"),
    ]


def test_gb18030_is_not_mistaken_for_utf8():
    data = "户编号,姓名\nH1,赵钱孙\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_table(data, "a.csv", columns=COLUMNS).rows[0].values["name"] == "赵钱孙"


def test_undecodable_csv():
    with pytest.raises(TableError, match="无法识别.*编码"):
        read_table(b"\xff\xfe\x00\x81\x30", "a.csv", columns=COLUMNS)


def test_excel_file_named_csv():
    with pytest.raises(TableError, match="实际是 Excel 工作簿"):
        read_table(xlsx_bytes([["户编号", "姓名"]]), "a.csv", columns=COLUMNS)


@pytest.mark.parametrize("filename", ["a.txt", "a.xlsm", "a", "a.csv.exe"])
def test_unsupported_extension(filename):
    with pytest.raises(TableError) as exc:
        read_table(b"whatever", filename, columns=COLUMNS)
    assert str(exc.value).startswith("不支持的文件类型：")
    assert str(exc.value).endswith("，请上传 .xlsx、.xls 或 .csv 文件")


def test_unsupported_extension_exact_message():
    with pytest.raises(TableError) as exc:
        read_table(b"whatever", "名单.docx", columns=COLUMNS)
    assert str(exc.value) == "不支持的文件类型：.docx，请上传 .xlsx、.xls 或 .csv 文件"


@pytest.mark.parametrize("filename", ["坏文件.xls", "坏文件.xlsx"])
def test_garbage_workbook_gives_chinese_error(filename):
    with pytest.raises(TableError) as exc:
        read_table(b"<html><table><tr><td>1</td></tr></table></html>", filename, columns=COLUMNS)
    assert "无法读取文件“坏文件" in str(exc.value)
    assert "另存为" in str(exc.value)


def test_truncated_xlsx_gives_chinese_error():
    data = xlsx_bytes([["户编号", "姓名"], ["H1", "张三"]])
    with pytest.raises(TableError, match="无法读取文件"):
        read_table(data[: len(data) // 2], "a.xlsx", columns=COLUMNS)


def test_empty_file():
    with pytest.raises(TableError, match="是空的"):
        read_table(b"", "a.csv", columns=COLUMNS)


# --- reading: sheet choice ----------------------------------------------------------------------


def test_sheet_by_name_among_several():
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["请勿修改"])
    ws = wb.create_sheet("户信息")
    ws.append(["户编号", "姓名"])
    ws.append(["H1", "张三"])
    buffer = io.BytesIO()
    wb.save(buffer)
    table = read_table(buffer.getvalue(), "a.xlsx", sheet="户信息", columns=COLUMNS)
    assert table.sheet_name == "户信息"
    assert table.rows[0].values["name"] == "张三"


def test_missing_sheet_with_single_sheet_uses_it():
    data = xlsx_bytes([["户编号", "姓名"], ["H1", "张三"]], title="Sheet1")
    assert read_table(data, "a.xlsx", sheet="户信息", columns=COLUMNS).sheet_name == "Sheet1"


def test_missing_sheet_with_several_sheets_is_an_error():
    data = xlsx_bytes([["户编号", "姓名"]], title="Sheet1", extra_sheets=["Sheet2"])
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx", sheet="户信息", columns=COLUMNS)
    message = str(exc.value)
    assert message.startswith("找不到工作表“户信息”，文件中的工作表有：“Sheet1”、“Sheet2”")


def test_default_sheet_is_first_visible():
    data = write_xlsx(
        [SheetSpec("名单", ["户编号", "姓名"], [["H1", "张三"]], choices={"姓名": ["x" * 300]})]
    )
    table = read_table(data, "a.xlsx", columns=COLUMNS)
    assert table.sheet_name == "名单"
    # The hidden _lists sheet does not count: a renamed template still reads.
    assert read_table(data, "a.xlsx", sheet="户信息", columns=COLUMNS).sheet_name == "名单"


# --- parse_date / parse_amount ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", datetime.date(2024, 3, 5)),
        ("2024/3/5", datetime.date(2024, 3, 5)),
        ("2024.3.5", datetime.date(2024, 3, 5)),
        ("2024年3月5日", datetime.date(2024, 3, 5)),
        ("2024年12月31日", datetime.date(2024, 12, 31)),
        (" 2024-03-05 ", datetime.date(2024, 3, 5)),
        ("2024-03-05 00:00:00", datetime.date(2024, 3, 5)),
        ("２０２４－０３－０５", datetime.date(2024, 3, 5)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2024", "20240305", "05/03/2024", "2024-03/05", "2024年3月", "明天", "1.5"]
)
def test_parse_date_format_error(text):
    with pytest.raises(ValueError) as exc:
        parse_date(text)
    assert str(exc.value) == "日期格式应为 YYYY-MM-DD"


def test_parse_date_impossible_date():
    with pytest.raises(ValueError) as exc:
        parse_date("2023-02-29")
    assert str(exc.value) == "日期不存在：2023-02-29，请检查月份和日期"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", D("0.00")),
        ("12", D("12.00")),
        ("1,234.50", D("1234.50")),
        ("1,234,567.5", D("1234567.50")),
        ("1234567.89", D("1234567.89")),
        ("1.500", D("1.50")),
        ("+3", D("3.00")),
        (" 99.9 ", D("99.90")),
        ("-0", D("0.00")),
        ("１，２３４．５", D("1234.50")),
    ],
)
def test_parse_amount(text, expected):
    value = parse_amount(text)
    assert value == expected
    assert value.as_tuple() == expected.as_tuple()


def test_parse_amount_negative():
    with pytest.raises(ValueError) as exc:
        parse_amount("-1,000.00")
    assert str(exc.value) == "金额不能为负数"
    assert parse_amount("-1,000.05", allow_negative=True) == D("-1000.05")


def test_parse_amount_too_many_decimals():
    with pytest.raises(ValueError) as exc:
        parse_amount("1.234")
    assert str(exc.value) == "金额最多两位小数"


@pytest.mark.parametrize(
    "text", ["", "abc", "¥100", "100元", "1e3", "1,23", "12,3456", "1.2.3", "--1", "NaN", ".5"]
)
def test_parse_amount_format_error(text):
    with pytest.raises(ValueError) as exc:
        parse_amount(text)
    assert str(exc.value) == f"金额格式不正确：{text}，请只填写数字，如 1234.50"


@hsettings(database=None, max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_parse_amount_round_trips_formatted_decimals(value):
    assert parse_amount(f"{value:,.2f}", allow_negative=True) == value
    assert parse_amount(f"{value:.2f}", allow_negative=True) == value


# --- writing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (-5, -5),
        (D("-1.50"), D("-1.50")),
        (-2.5, -2.5),
        (None, None),
    ],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected
    assert type(neutralize(value)) is type(expected)


def load(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_write_xlsx_formats_and_neutralises():
    data = write_xlsx(
        [
            SheetSpec(
                name="户信息",
                headers=["户编号", "姓名", "年收入（元）", "出生日期", "备注", "人数"],
                rows=[
                    ["H1", "=1+1", D("1234.5"), datetime.date(1990, 3, 7), "@cmd", -3],
                    ["H2", "-", D("-2"), None, "普通\x01文本", 2.5],
                ],
                column_widths={"备注": 40},
            )
        ]
    )
    ws = load(data)["户信息"]
    assert [c.value for c in ws[1]] == ["户编号", "姓名", "年收入（元）", "出生日期", "备注", "人数"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["B2"].value == "'=1+1"
    assert ws["B2"].data_type == "s"
    assert ws["E2"].value == "'@cmd"
    assert ws["B3"].value == "'-"
    assert ws["E3"].value == "普通文本"
    assert ws["C2"].value == 1234.5
    assert ws["C2"].number_format == "0.00"
    assert ws["C3"].value == -2
    assert ws["D2"].value == datetime.datetime(1990, 3, 7)
    assert ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["D3"].value is None
    assert ws["F2"].value == -3
    assert ws.column_dimensions["E"].width == 40


def test_write_xlsx_title_row():
    data = write_xlsx([SheetSpec("表", ["户编号", "姓名"], [["H1", "张三"]], title="2024年监测对象名单")])
    ws = load(data)["表"]
    assert ws["A1"].value == "2024年监测对象名单"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:B1"]
    assert ws["A2"].value == "户编号"
    assert ws["A2"].font.bold
    assert ws.freeze_panes == "A3"
    table = read_table(data, "a.xlsx", columns=COLUMNS)
    assert table.header_row == 2
    assert [(r.number, r.values["name"]) for r in table.rows] == [(3, "张三")]


def test_write_xlsx_inline_dropdown():
    data = write_xlsx([SheetSpec("户信息", ["户编号", "是否脱贫"], [], choices={"是否脱贫": ["是", "否"]})])
    wb = load(data)
    assert wb.sheetnames == ["户信息"]
    validations = wb["户信息"].data_validations.dataValidation
    assert len(validations) == 1
    dv = validations[0]
    assert dv.type == "list"
    assert dv.formula1 == '"是,否"'
    assert str(dv.sqref) == "B2:B1000"
    assert dv.showErrorMessage
    assert dv.allow_blank


def test_write_xlsx_long_dropdown_uses_hidden_sheet():
    villages = [f"第{i}村民委员会" for i in range(60)]
    data = write_xlsx(
        [
            SheetSpec(
                "户信息",
                ["户编号", "所在村", "类别"],
                [["H1", villages[3], "甲,乙"]],
                choices={"所在村": villages, "类别": ["甲,乙", "丙"]},
                title="标题",
            )
        ]
    )
    wb = load(data)
    assert wb.sheetnames == ["户信息", "_lists"]
    assert wb["_lists"].sheet_state == "hidden"
    assert [c.value for c in wb["_lists"]["A"]] == villages
    assert [c.value for c in wb["_lists"]["B"] if c.value is not None] == ["甲,乙", "丙"]
    by_range = {str(dv.sqref): dv.formula1 for dv in wb["户信息"].data_validations.dataValidation}
    assert by_range == {"B3:B1000": "'_lists'!$A$1:$A$60", "C3:C1000": "'_lists'!$B$1:$B$2"}


def test_write_xlsx_rejects_unknown_choice_header():
    with pytest.raises(ValueError):
        write_xlsx([SheetSpec("a", ["x"], [], choices={"y": ["1"]})])


def test_write_xlsx_streams_generators_and_extends_validation():
    rows = ((f"H{i}", "是") for i in range(1200))
    data = write_xlsx([SheetSpec("a", ["户编号", "是否"], rows, choices={"是否": ["是", "否"]})])
    ws = load(data)["a"]
    assert ws.max_row == 1201
    assert str(ws.data_validations.dataValidation[0].sqref) == "B2:B1201"


def test_round_trip_write_xlsx_read_table():
    headers = ["户编号", "姓名", "身份证号码（证件号码）", "出生日期", "年收入（元）"]
    rows = [
        ["0001", '=HYPERLINK("http://x")', "11010519491231002X", datetime.date(1949, 12, 31), D("12345.60")],
        ["0002", "-", "110101199003070011", datetime.date(2000, 1, 1), D("0")],
        ["0003", "+王", "", None, 7],
    ]
    data = write_xlsx([SheetSpec("户信息", headers, rows, title="导出")])
    table = read_table(data, "export.xlsx", sheet="户信息", columns=COLUMNS)
    assert table.ignored_headers == []
    assert [r.values for r in table.rows] == [
        {
            "household_no": "0001",
            "name": '=HYPERLINK("http://x")',
            "id_number": "11010519491231002X",
            "born": "1949-12-31",
            "income": "12345.6",
        },
        {
            "household_no": "0002",
            "name": "-",
            "id_number": "110101199003070011",
            "born": "2000-01-01",
            "income": "0",
        },
        {"household_no": "0003", "name": "+王", "id_number": "", "born": "", "income": "7"},
    ]
    assert parse_date(table.rows[0].values["born"]) == datetime.date(1949, 12, 31)
    assert parse_amount(table.rows[0].values["income"]) == D("12345.60")


def test_write_csv():
    data = write_csv(
        ["户编号", "姓名", "金额", "日期", "人数"],
        [
            ["H1", "=1+1", D("-1.50"), datetime.date(2024, 1, 2), -3],
            ["H2", '含,逗号"引号', None, datetime.datetime(2024, 1, 2, 3, 4, 5), 1.0],
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == (
        "户编号,姓名,金额,日期,人数\r\n"
        "H1,'=1+1,-1.50,2024-01-02,-3\r\n"
        'H2,"含,逗号""引号",,2024-01-02 03:04:05,1\r\n'
    )


def test_write_csv_round_trip():
    rows = [["H1", "@张三", "-"], ["H2", "李四", "110101199003070011"]]
    data = write_csv(["户编号", "姓名", "身份证号"], rows)
    table = read_table(data, "a.csv", columns=COLUMNS)
    assert [[r.values["household_no"], r.values["name"], r.values["id_number"]] for r in table.rows] == rows
