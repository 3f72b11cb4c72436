"""Checking feed files and pushed rows (`screening.feeds`), and storing them (`actions.feeds.commit_feed`)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import make_user
from zhenxing.accounts.roles import Department, Role
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.models import Job
from zhenxing.lib import idnumbers, personal
from zhenxing.registry.actions import remove_member
from zhenxing.registry.tests.change_helpers import register
from zhenxing.registry.tests.import_helpers import csv_file, xlsx_file
from zhenxing.screening import feeds
from zhenxing.screening.actions.feeds import commit_feed
from zhenxing.screening.engine import schema
from zhenxing.screening.models import FeedRow, FeedUpload
from zhenxing.screening.tests.feed_helpers import (
    HEAD,
    SON,
    UNKNOWN,
    WIFE,
    medical,
    medical_csv,
    screening_jobs,
    wrong_check_digit,
)

pytestmark = pytest.mark.django_db
FILE = FeedUpload.Source.FILE


@pytest.fixture
def household(cast, village):
    return register(cast["district_admin"], village)


def errors_of(plan) -> list[tuple]:
    return [(e.row, e.column, e.reason) for e in plan.errors]


# —— Columns ——————————————————————————————————————————————————————————————————————————————————————


def test_it_keys_every_kind_exactly_by_the_engine_columns():
    assert set(feeds.FEED_COLUMNS) == set(schema.FEEDS) == set(Department.values)
    for kind, engine in schema.FEEDS.items():
        fixed = ("row_id", "id_hash", *schema.KEY_COLUMNS)
        assert feeds.data_keys(kind) == [f.name for f in engine if f.name not in fixed], kind
    assert feeds.LABELS == schema.FEED_LABELS


def test_it_uses_the_household_heads_number_for_housing_and_emergency():
    assert feeds.FEED_COLUMNS["housing"][0].header == "户主公民身份号码"
    assert feeds.FEED_COLUMNS["emergency"][0].header == "户主公民身份号码"
    assert feeds.FEED_COLUMNS["medical"][0].header == "公民身份号码"


# —— Files ————————————————————————————————————————————————————————————————————————————————————————


def test_it_reads_a_clean_file_into_engine_columns_without_the_id_number(settings):
    plan = feeds.validate_feed("medical", medical_csv([medical()]), "医保.csv")
    assert plan.errors == [] and plan.total == 1
    (row,) = plan.rows
    assert (row.row, row.name, row.id_masked) == (2, "张三", HEAD[:6] + "********" + HEAD[-4:])
    assert row.id_hash == personal.lookup_hash(HEAD)
    assert row.data == {
        "settlement_date": "2025-03-01",
        "visit_type": "住院",
        "total_cost": "12000.00",
        "basic_insurance": "5000.50",
        "critical_illness_insurance": "0.00",
        "medical_assistance": "0.00",
        "self_pay": "6999.50",
    }


def test_it_lists_every_bad_cell_with_its_row_column_and_reason():
    rows = [
        medical(),
        medical(wrong_check_digit(WIFE), 结算日期="2025-02-30"),
        medical(SON, 就诊类型="急诊", 个人自付="-5"),
        medical(UNKNOWN, 结算日期="3月1日", 医疗总费用="abc", 个人自付="1.234"),
        medical(HEAD, 结算日期="2099-01-01", 个人自付=""),
    ]
    plan = feeds.validate_feed("medical", medical_csv(rows), "医保.csv")
    expected_check = wrong_check_digit(WIFE)[17]
    assert errors_of(plan) == [
        (
            3,
            "公民身份号码",
            f"公民身份号码校验码错误，应为{WIFE[17]}（当前为{expected_check}），请核对是否有抄错的数字",
        ),
        (3, "结算日期", "日期不存在：2025-02-30，请检查月份和日期"),
        (4, "就诊类型", "“急诊”不是可选的就诊类型，请填写以下之一：住院、门诊"),
        (4, "个人自付", "不能为负数：请填写0或正数"),
        (5, "结算日期", "“3月1日”不是日期：请按 YYYY-MM-DD 填写，如 2024-05-01"),
        (5, "医疗总费用", "“abc”不是数字：请只填写数字（单位：元），如 1234.50"),
        (5, "个人自付", "最多两位小数，请四舍五入到分"),
        (6, "结算日期", "日期2099-01-01晚于今天，请核对年份和月份"),
        (6, "个人自付", "未填写个人自付：这一列每行都必须填写"),
    ]
    assert [r.row for r in plan.rows] == [2]
    assert plan.summary() == {"rows": 5, "clean_rows": 1, "error_rows": 4, "errors": 9, "file_error": False}


def test_it_rejects_a_file_missing_a_required_column_by_its_name():
    row = {k: v for k, v in medical().items() if k not in ("个人自付", "结算日期")}
    plan = feeds.validate_feed("medical", medical_csv([row]), "医保.csv")
    assert errors_of(plan) == [(0, "", "缺少必需列：结算日期、个人自付")]
    assert plan.has_file_error and plan.rows == []


def test_it_rejects_a_file_without_data_rows():
    plan = feeds.validate_feed("medical", csv_file([], headers=list(medical())), "医保.csv")
    assert errors_of(plan) == [(0, "", "文件中没有数据行：请在表头下面逐行填写数据后重新上传")]


def test_it_reads_gb18030_csv_with_aliases_and_notes_extra_columns():
    row = {"身份证号码": HEAD, "结算时间": "2025/3/1", "个人自付费用": "1,200.5", "备注": "无"}
    plan = feeds.validate_feed("medical", medical_csv([row], encoding="gb18030"), "医保.csv")
    assert plan.errors == []
    assert plan.notices == ["以下列不属于医保数据模板，已忽略（不影响导入）：备注"]
    assert plan.rows[0].data["settlement_date"] == "2025-03-01"
    assert plan.rows[0].data["self_pay"] == "1200.50"
    assert plan.rows[0].data["visit_type"] is None and plan.rows[0].name == ""


def test_it_reads_xlsx_with_real_dates_and_numbers():
    data = xlsx_file({"医保数据": [medical(结算日期=datetime.date(2025, 3, 1), 个人自付=6999.5)]})
    plan = feeds.validate_feed("medical", data, "医保.xlsx")
    assert plan.errors == []
    assert (plan.rows[0].data["settlement_date"], plan.rows[0].data["self_pay"]) == ("2025-03-01", "6999.50")


def test_it_normalises_school_years_months_grades_and_synonyms():
    education = csv_file(
        [
            {"公民身份号码": SON, "学年": "2024—2025", "学段": "大专", "在读状态": "在读"},
            {"公民身份号码": SON, "学年": "2024-2026", "学段": "高中", "在读状态": "在读"},
        ]
    )
    plan = feeds.validate_feed("education", education, "教育.csv")
    assert plan.rows[0].data == {
        "school_year": "2024-2025",
        "stage": "高职",
        "school": None,
        "enrolment_status": "在读",
        "personal_cost": None,
    }
    assert errors_of(plan) == [
        (3, "学年", "“2024-2026”不是学年：请写起止年份，后一年比前一年大1，如 2024-2025")
    ]

    months = ["2025/5", "202505", "2025年5月", "2025-05-01", "2025-13"]
    employment = csv_file([{"公民身份号码": HEAD, "统计月份": m, "就业状态": "公益岗位"} for m in months])
    plan = feeds.validate_feed("employment", employment, "人社.csv")
    assert [r.data["stat_month"] for r in plan.rows] == ["2025-05"] * 4
    assert plan.rows[0].data["employment_status"] == "公益性岗位"
    assert errors_of(plan) == [(6, "统计月份", "“2025-13”的月份不存在：月份应为1—12")]

    housing = csv_file([{"户主公民身份号码": HEAD, "鉴定日期": "2025-01-02", "房屋安全等级": "c级"}])
    assert feeds.validate_feed("housing", housing, "住建.csv").rows[0].data["safety_grade"] == "C"
    disability = csv_file([{"公民身份号码": HEAD, "残疾等级": "2", "发证日期": "2025-01-02"}])
    assert (
        feeds.validate_feed("disability", disability, "残联.csv").rows[0].data["disability_grade"] == "二级"
    )


def test_it_checks_columns_against_each_other():
    civil = csv_file(
        [{"公民身份号码": HEAD, "救助类型": "农村低保", "开始日期": "2025-03-01", "终止日期": "2025-02-01"}]
    )
    plan = feeds.validate_feed("civil_affairs", civil, "民政.csv")
    assert errors_of(plan) == [(2, "终止日期", "终止日期早于开始日期，请核对两个日期")]
    plan = feeds.validate_feed(
        "medical", medical_csv([medical(医疗总费用="100", 个人自付="100.01")]), "医保.csv"
    )
    assert errors_of(plan) == [(2, "个人自付", "个人自付大于医疗总费用，请核对这两项金额")]


# —— Pushed records ———————————————————————————————————————————————————————————————————————————————


def test_it_checks_pushed_records_with_english_or_chinese_keys():
    records = [
        {"id_number": HEAD, "settlement_date": "2025-03-01", "self_pay": 5000},
        {"公民身份号码": SON, "结算日期": "2025-03-02", "个人自付": "12.5", "医院": "鄂州市中心医院"},
        {"id_number": wrong_check_digit(WIFE), "self_pay": -1},
        "not an object",
    ]
    plan = feeds.validate_records("medical", records)
    assert [(r.row, r.data["self_pay"]) for r in plan.rows] == [(1, "5000.00"), (2, "12.50")]
    assert plan.errors_by_row() == {
        3: [
            f"公民身份号码：公民身份号码校验码错误，应为{WIFE[17]}（当前为{wrong_check_digit(WIFE)[17]}），请核对是否有抄错的数字",
            "结算日期：未填写结算日期：这一列每行都必须填写",
            "个人自付：不能为负数：请填写0或正数",
        ],
        4: ['每一行应是一个对象（{"列名": "值"}）'],
    }
    assert plan.notices == ["以下字段不属于医保数据，已忽略：医院"]


# —— Storing ——————————————————————————————————————————————————————————————————————————————————————


def test_it_stores_every_row_matched_or_not_and_enqueues_a_screening_run(cast, household):
    officer = cast["district_officer"]
    plan = feeds.validate_feed(
        "medical", medical_csv([medical(), medical(SON), medical(UNKNOWN)]), "医保.csv"
    )
    upload = commit_feed(
        officer, "medical", plan, source=FILE, file_name="医保.csv", sha256="ab" * 32, period="2025-03"
    )

    assert (upload.kind, upload.source, upload.file_name, upload.period, upload.uploaded_by) == (
        "medical",
        "file",
        "医保.csv",
        "2025-03",
        officer,
    )
    assert (upload.rows_total, upload.rows_matched, upload.rows_unmatched) == (3, 2, 1)
    rows = list(upload.rows.order_by("row_number"))
    head = household.memberships.get(person__name="张三").person
    son = household.memberships.get(person__name="张小明").person
    assert [(r.row_number, r.person_id, r.household_id, r.area_id) for r in rows] == [
        (2, head.pk, household.pk, household.area_id),
        (3, son.pk, household.pk, household.area_id),
        (4, None, None, None),
    ]
    assert rows[0].data == plan.rows[0].data and rows[0].kind == "medical"
    assert (rows[2].id_hash, rows[2].id_masked) == (
        personal.lookup_hash(UNKNOWN),
        UNKNOWN[:6] + "********" + UNKNOWN[-4:],
    )

    entry = AuditEntry.objects.get(action="commit_feed")
    assert (entry.actor_username, entry.object_id) == ("officer", str(upload.public_id))
    assert entry.changes == {
        "kind": [None, "medical"],
        "source": [None, "file"],
        "file_name": [None, "医保.csv"],
        "sha256": [None, "ab" * 32],
        "period": [None, "2025-03"],
        "rows": [None, 3],
        "matched": [None, 2],
        "unmatched": [None, 1],
        "skipped_error_rows": [None, 0],
    }
    (run,) = screening_jobs()
    assert (run.params["trigger"], run.params["upload"], run.created_by) == (
        "feed",
        str(upload.public_id),
        officer,
    )


def test_it_enqueues_no_run_when_nothing_matched(cast, household):
    plan = feeds.validate_feed("medical", medical_csv([medical(UNKNOWN)]), "医保.csv")
    upload = commit_feed(cast["department_clerk"], "medical", plan, source=FILE)
    assert (upload.rows_matched, upload.rows_unmatched) == (0, 1)
    assert screening_jobs() == []


def test_it_keeps_the_person_of_a_member_who_left_but_no_household(cast, household):
    son = household.memberships.get(person__name="张小明").person
    remove_member(cast["district_admin"], household, son, "moved_away", datetime.date(2025, 1, 10))
    plan = feeds.validate_feed("medical", medical_csv([medical(SON)]), "医保.csv")
    upload = commit_feed(cast["district_admin"], "medical", plan, source=FILE)
    row = upload.rows.get()
    assert (row.person_id, row.household_id, row.area_id) == (son.pk, None, None)
    assert (upload.rows_matched, upload.rows_unmatched) == (0, 1)


def test_it_writes_nothing_when_any_row_has_an_error(cast, household):
    plan = feeds.validate_feed("medical", medical_csv([medical(), medical(个人自付="-1")]), "医保.csv")
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        commit_feed(cast["district_officer"], "medical", plan, source=FILE)
    assert refused.value.messages == [
        "有1行数据有错误，未写入任何数据：请改正后重新上传，或选择只写入没有错误的行"
    ]
    assert (FeedUpload.objects.count(), FeedRow.objects.count(), Job.objects.count()) == (0, 0, 0)
    assert AuditEntry.objects.count() == audit_before


def test_it_stores_only_the_clean_rows_when_asked(cast, household):
    plan = feeds.validate_feed("medical", medical_csv([medical(), medical(个人自付="-1")]), "医保.csv")
    upload = commit_feed(cast["district_officer"], "medical", plan, source=FILE, only_valid=True)
    assert list(upload.rows.values_list("row_number", flat=True)) == [2]
    assert AuditEntry.objects.get(action="commit_feed").changes["skipped_error_rows"] == [None, 1]


def test_it_refuses_a_file_error_even_for_only_valid(cast):
    plan = feeds.validate_feed("medical", csv_file([{"姓名": "张三"}]), "医保.csv")
    with pytest.raises(ValidationError) as refused:
        commit_feed(cast["district_officer"], "medical", plan, source=FILE, only_valid=True)
    assert refused.value.messages == ["文件本身有错误（见错误明细），没有可写入的数据：请改正后重新上传"]
    assert FeedUpload.objects.count() == 0


def test_it_lets_a_clerk_send_only_their_own_department(cast, household):
    plan = feeds.validate_feed(
        "housing",
        csv_file([{"户主公民身份号码": HEAD, "鉴定日期": "2025-01-02", "房屋安全等级": "D"}]),
        "住建.csv",
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        commit_feed(cast["department_clerk"], "housing", plan, source=FILE)
    for role in ("township_officer", "village_cadre", "inspector"):
        with pytest.raises(PermissionDenied):
            commit_feed(cast[role], "housing", plan, source=FILE)
    assert FeedUpload.objects.count() == 0 and AuditEntry.objects.count() == audit_before

    builder = make_user("builder", Role.DEPARTMENT_CLERK, cast["district_admin"].area, Department.HOUSING)
    upload = commit_feed(builder, "housing", plan, source=FILE)
    assert upload.rows.get().data == {"appraisal_date": "2025-01-02", "safety_grade": "D"}
    assert (upload.rows_matched, upload.rows.get().name) == (1, "")


def test_it_refuses_an_overlong_period(cast):
    plan = feeds.validate_feed("medical", medical_csv([medical()]), "医保.csv")
    with pytest.raises(ValidationError) as refused:
        commit_feed(cast["district_officer"], "medical", plan, source=FILE, period="期" * 41)
    assert refused.value.messages == ["数据期间最多40个字，如 2024-11 或 2024年1-11月"]


def test_it_matches_and_stores_in_a_bounded_number_of_queries(cast, household, django_assert_max_num_queries):
    rows = [medical(HEAD if i % 3 else UNKNOWN, 结算日期=f"2025-0{1 + i % 9}-01") for i in range(3000)]
    plan = feeds.validate_feed("medical", medical_csv(rows), "医保.csv")
    # Two lookups, the upload, two INSERT batches (executemany), the audit row and the run's job.
    with django_assert_max_num_queries(25):
        upload = commit_feed(cast["district_officer"], "medical", plan, source=FILE)
    assert (upload.rows_total, upload.rows_matched, upload.rows_unmatched) == (3000, 2000, 1000)
    assert FeedRow.objects.filter(upload=upload, household=household).count() == 2000


def test_it_accepts_id_numbers_as_people_type_them_and_explains_the_rest():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in HEAD)
    born_tomorrow = idnumbers.make("420704", timezone.localdate() + datetime.timedelta(days=1), 11)
    typed = [f" {HEAD} ", full_width, f'="{HEAD}"', HEAD + "12", born_tomorrow]
    plan = feeds.validate_records("medical", [medical(t) for t in typed])
    assert [(r.row, r.id_hash) for r in plan.rows] == [(n, personal.lookup_hash(HEAD)) for n in (1, 2, 3, 4)]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert errors_of(plan) == [
        (
            5,
            "公民身份号码",
            f"公民身份号码中的出生日期{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日晚于今天，请核对第7–14位",
        )
    ]


def test_it_reads_the_first_sheet_of_a_workbook_without_the_template_sheet():
    data = xlsx_file({"结算明细": [medical()], "汇总": [{"合计": "1"}]})
    plan = feeds.validate_feed("medical", data, "医保导出.xlsx")
    assert (plan.errors, plan.sheet, len(plan.rows)) == ([], "结算明细", 1)
    data = xlsx_file({"说明": [{"说明": "见第二页"}], "医保数据": [medical()]})
    plan = feeds.validate_feed("medical", data, "医保.xlsx")
    assert (plan.errors, plan.sheet, len(plan.rows)) == ([], "医保数据", 1)
