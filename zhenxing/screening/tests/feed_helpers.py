"""Feed rows and files for the feed tests: rows as dicts of header → value, written as CSV or .xlsx.

The registry household of the tests is `registry.tests.change_helpers.register` (张三 户主 = HEAD,
李四 = WIFE, 张小明 = SON, in 新港村); `UNKNOWN` is a valid ID number that no registry person has.
"""

import datetime

from zhenxing.jobs.models import Job
from zhenxing.registry.tests.change_helpers import id_number
from zhenxing.registry.tests.import_helpers import csv_file, xlsx_file

HEAD, WIFE = id_number(1), id_number(2, female=True)
SON = id_number(3, born=datetime.date(2005, 5, 5))
UNKNOWN = id_number(50)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def medical(id_no: str = HEAD, name: str = "张三", **fields) -> dict:
    row = {
        "公民身份号码": id_no,
        "姓名": name,
        "结算日期": "2025-03-01",
        "就诊类型": "住院",
        "医疗总费用": "12000",
        "基本医保支付": "5000.5",
        "大病保险支付": "0",
        "医疗救助支付": "0",
        "个人自付": "6999.50",
    }
    row.update(fields)
    return row


def medical_csv(rows: list[dict], encoding: str = "utf-8-sig") -> bytes:
    return csv_file(rows, encoding=encoding)


def medical_xlsx(rows: list[dict]) -> bytes:
    return xlsx_file({"医保数据": rows})


def screening_jobs() -> list[Job]:
    return list(Job.objects.filter(kind="screening.run").order_by("pk"))
