"""Building import files for the importer's tests: members as dicts of header → value, written as
CSV (UTF-8 or GB18030, raw: no formula neutralising, so `="…"` cells stay as Excel writes them) or
`.xlsx`."""

import csv
import datetime
import io

from zhenxing.lib import idnumbers
from zhenxing.lib.tabular import SheetSpec, write_xlsx

VILLAGE = "420704100201"  # 新港村, 泽林镇 (conftest `village`)
OTHER_VILLAGE = "420704101201"  # 杜山村, 杜山镇 (conftest `other_village`)


def person_id(year: int, sequence: int, month: int = 3, day: int = 1, region: str = "420704") -> str:
    """A valid ID number: odd sequence → 男, even → 女."""
    return idnumbers.make(region, datetime.date(year, month, day), sequence)


HEAD = person_id(1970, 11)  # 男
WIFE = person_id(1972, 22)  # 女
SON = person_id(2000, 31)  # 男
DAUGHTER = person_id(2003, 42)  # 女
OTHER_HEAD = person_id(1965, 13)  # 男
OTHER_WIFE = person_id(1966, 24)  # 女


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def member(number: str, id_number: str, relation: str = "户主", name: str = "张三", **fields) -> dict:
    row = {
        "户编号": number,
        "行政区划代码": VILLAGE,
        "户类型": "一般农户",
        "姓名": name,
        "公民身份号码": id_number,
        "与户主关系": relation,
        "健康状况": "健康",
        "劳动能力": "普通劳动力",
    }
    row.update(fields)
    return row


def family(number: str = "H001", **fields) -> list[dict]:
    """户主 (男), 配偶 (女), 之子: a household of three."""
    return [
        member(number, HEAD, "户主", "张大山", **fields),
        member(number, WIFE, "配偶", "李小花", **fields),
        member(number, SON, "之子", "张小山", **fields),
    ]


def headers_of(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(h for r in rows for h in r))


def csv_file(
    rows: list[dict], headers: list[str] | None = None, encoding: str = "utf-8-sig", title=None
) -> bytes:
    headers = headers or headers_of(rows)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if title:
        writer.writerow([title])
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return buffer.getvalue().encode(encoding)


def xlsx_file(sheets: dict[str, list[dict]], title: str | None = None) -> bytes:
    return write_xlsx(
        [
            SheetSpec(
                name, headers_of(rows), [[r.get(h, "") for h in headers_of(rows)] for r in rows], title=title
            )
            for name, rows in sheets.items()
        ]
    )


def income(number: str = "H001", year: int = 2024, **fields) -> dict:
    row = {
        "户编号": number,
        "年度": year,
        "工资性收入": "20000",
        "生产经营性收入": "5000",
        "财产性收入": "300",
        "转移性收入": "1200",
        "生产经营性支出": "2000",
    }
    row.update(fields)
    return row


def errors_of(plan) -> list[tuple]:
    errors = plan.all_errors if hasattr(plan, "all_errors") else plan.errors
    return [(e.row, e.column, e.reason) for e in errors]
