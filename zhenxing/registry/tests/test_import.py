"""The `户籍成员` importer: reading every accepted layout, and every error class with its exact message,
row and column. Committing, re-importing and conflicts: `test_import_commit.py`."""

import datetime

import pytest

from zhenxing.audit.actions import verify
from zhenxing.audit.models import AuditEntry
from zhenxing.lib import idnumbers, personal
from zhenxing.registry import importing
from zhenxing.registry.models import Household, HouseholdEvent, Membership, Person
from zhenxing.registry.tests.import_helpers import (
    DAUGHTER,
    HEAD,
    OTHER_HEAD,
    OTHER_VILLAGE,
    OTHER_WIFE,
    SON,
    VILLAGE,
    WIFE,
    csv_file,
    errors_of,
    family,
    member,
    person_id,
    wrong_check_digit,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


def check(rows, scope, **kwargs):
    return importing.validate_households(csv_file(rows, **kwargs), "户籍.csv", scope)


# —— Reading ————————————————————————————————————————————————————————————————————————————————————


def test_it_plans_new_households_and_commits_them_in_one_go(cast, county, village):
    rows = [
        *family("H001", **{"户类型": "脱贫户", "脱贫年度": "2016", "脱贫属性": "低保脱贫户"}),
        member(
            "H002",
            OTHER_HEAD,
            "户主",
            "王五",
            **{"健康状况": "残疾，长期慢性病", "联系电话": "138 0000 1234"},
        ),
    ]
    plan = check(rows, county)
    assert plan.errors == []
    assert plan.summary() == {
        "households": 2,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "persons": 4,
        "errors": 0,
        "error_households": 0,
        "clean_households": 2,
        "clean_changes": 2,
        "file_error": False,
    }
    result = importing.commit_households(cast["district_admin"], plan)
    assert result == {"created": 2, "updated": 0, "unchanged": 0, "persons": 4, "skipped": 0}

    h1 = Household.objects.get(number="H001")
    assert (h1.area.code, h1.kind, h1.lifted_year, h1.lifted_attribute) == (
        VILLAGE,
        "lifted",
        2016,
        "低保脱贫户",
    )
    assert (h1.member_count, h1.head.name, h1.is_active) == (3, "张大山", True)
    head = Person.objects.get(id_hash=personal.lookup_hash(HEAD))
    assert (head.sex, head.birth_date, head.id_masked) == (
        "男",
        datetime.date(1970, 3, 1),
        idnumbers.mask(HEAD),
    )
    assert personal.decrypt(head.id_number_encrypted) == HEAD
    other = Person.objects.get(name="王五")
    assert (other.health, other.phone_masked) == ("长期慢性病,残疾", "138****1234")
    assert personal.decrypt(other.phone_encrypted) == "13800001234"
    relations = sorted(
        Membership.objects.filter(household=h1).values_list("relation", "start_reason", "end_date")
    )
    today = datetime.date.today()
    assert relations == [
        ("之子", "registered", None),
        ("户主", "registered", None),
        ("配偶", "registered", None),
    ]
    assert (
        Membership.objects.filter(household=h1).values_list("start_date", flat=True).distinct().get() == today
    )

    event = HouseholdEvent.objects.get(household=h1)
    assert (event.kind, event.effective_date, event.source) == ("registered", today, "cli")
    assert event.data == {"area": h1.area_id, "kind": "lifted", "members": 3}
    assert event.snapshot["household"] == {
        "number": "H001",
        "kind": "lifted",
        "lifted_year": 2016,
        "lifted_attribute": "低保脱贫户",
        "is_active": True,
        "area_code": VILLAGE,
    }
    assert [m["relation"] for m in event.snapshot["members"]] == ["户主", "配偶", "之子"]
    assert "张大山" not in str(event.snapshot) and HEAD not in str(event.snapshot)

    entries = AuditEntry.objects.filter(action="household_registered").order_by("id")
    assert [(e.object_label, e.area_code, e.actor_username, e.object_id) for e in entries] == [
        ("H001", VILLAGE, "admin", str(h1.public_id)),
        ("H002", VILLAGE, "admin", str(Household.objects.get(number="H002").public_id)),
    ]
    assert entries[0].changes == {
        "area": h1.area_id,
        "kind": "lifted",
        "members": 3,
        "effective_date": today.isoformat(),
    }
    assert verify() == (AuditEntry.objects.count(), None)


def test_it_reads_a_national_person_export(cast, county, village):
    """A title row, national headers (人口编号, 证件号码 as ="…", 乡/村 names, 劳动技能, 务工时长(月),
    户联系电话 and 成员联系电话), a 20-character 残疾人证 number, 2016 labels, unknown columns."""
    head = {
        "省": "湖北省",
        "市": "鄂州市",
        "县": "鄂城区",
        "乡": "泽林镇",
        "村": "新港村",
        "户编号": "420704100201000123",
        "人口编号": "P1",
        "姓名": "张大山",
        "证件号码": f'="{HEAD}"',
        "与户主关系": "户主",
        "脱贫属性": "一般脱贫户",
        "文化程度": "大专及以上",
        "在校生状况": "",
        "劳动技能": "普通劳动力",
        "务工时长(月)": "10",
        "务工所在地": "江苏省苏州市工业园区",
        "健康状况": "健康",
        "户联系电话": "13900001111",
        "成员联系电话": "",
        "是否享受低保": "否",
    }
    son = {
        **head,
        "人口编号": "P2",
        "姓名": "张小山",
        "证件号码": f'="{SON}12"',  # 残疾人证: ID + 2 digits
        "与户主关系": "之孙子女",  # pair label → by sex
        "文化程度": "",
        "在校生状况": "普通高中一年级",
        "务工时长(月)": "0",
        "务工所在地": "",
        "健康状况": "残疾",
        "成员联系电话": "0711-3201234",
    }
    daughter = {
        **son,
        "人口编号": "P3",
        "姓名": "张小花",
        "证件号码": DAUGHTER,
        "与户主关系": "之孙子女",
        "文化程度": "学龄前儿童",
        "在校生状况": "",
        "健康状况": "健康",
        "成员联系电话": "",
    }
    data = csv_file([head, son, daughter], encoding="gb18030", title="2021年脱贫人口信息表")
    plan = importing.validate_households(data, "全国系统导出.csv", county)
    assert errors_of(plan) == []
    assert plan.notices == ["以下列不属于模板，已忽略（不影响导入）：省、市、县、是否享受低保"]
    household = plan.households["420704100201000123"]
    assert (household.kind, household.lifted_attribute, household.area_code) == (
        "lifted",
        "一般脱贫户",
        VILLAGE,
    )
    values = {p.name: (p.relation, p.values, p.phone) for p in household.members}
    assert values["张大山"] == (
        "户主",
        {
            "external_id": "P1",
            "education": "大专",
            "schooling": "",
            "health": "健康",
            "labour_capacity": "普通劳动力",
            "employment": "省外务工",
            "months_worked": 10,
        },
        "13900001111",
    )
    assert values["张小山"][0] == "之孙子"
    assert values["张小山"][1]["schooling"] == "高中"
    assert values["张小山"][2] == "0711-3201234"
    assert values["张小花"][0] == "之孙女"
    assert (values["张小花"][1]["education"], values["张小花"][1]["schooling"]) == ("", "学前")
    importing.commit_households(cast["district_admin"], plan)
    assert Person.objects.get(name="张小山").id_hash == personal.lookup_hash(SON)


def test_it_reads_an_xlsx_template_and_neutralised_cells(cast, county, village):
    rows = family("H001", **{"行政区划代码": VILLAGE})
    rows[0]["姓名"] = "=张大山"  # written as '=张大山 by write_xlsx, read back as typed
    data = xlsx_file({"户籍成员": rows, "填写说明": [{"列": "户编号"}]}, title="户籍成员导入")
    plan = importing.validate_households(data, "户籍.xlsx", county)
    assert errors_of(plan) == []
    assert plan.sheet == "户籍成员"
    assert [p.name for p in plan.households["H001"].members] == ["=张大山", "李小花", "张小山"]


def test_it_resolves_villages_by_name_within_the_scope(county, village, other_village):
    rows = [
        {**member("H001", HEAD), "乡(镇)": "泽林镇", "行政村": "新港村委会"},
        {**member("H002", OTHER_HEAD), "乡(镇)": "泽林镇", "行政村": "杜山村"},
        {**member("H003", OTHER_WIFE, "户主"), "乡(镇)": "无名镇", "行政村": "新港村"},
    ]
    for row in rows:
        del row["行政区划代码"]
    plan = check(rows, county)
    assert plan.households["H001"].area_code == VILLAGE
    assert errors_of(plan) == [
        (3, "行政村", "乡(镇)“泽林镇”下没有名为“杜山村”的村（社区）：请核对名称，或改填12位行政区划代码"),
        (4, "乡(镇)", "找不到乡(镇)“无名镇”：请核对名称，或改填12位行政区划代码"),
    ]


# —— Every error class ———————————————————————————————————————————————————————————————————————————


def test_it_reports_bad_id_numbers_with_the_id_modules_words(county, village):
    bad_date = HEAD[:10] + "1301" + HEAD[14:17]
    bad_date += idnumbers.check_digit(bad_date)
    rows = [
        member("H001", wrong_check_digit(HEAD)),
        member("H002", bad_date),
        member("H003", "42070419700301"),
        member("H004", ""),
    ]
    plan = check(rows, county)
    expected_digit = HEAD[17]
    assert errors_of(plan) == [
        (
            2,
            "公民身份号码",
            f"公民身份号码校验码错误，应为{expected_digit}（当前为{wrong_check_digit(HEAD)[17]}），请核对是否有抄错的数字",
        ),
        (3, "公民身份号码", "公民身份号码第7–14位出生日期“19701301”不是真实存在的日期，请核对出生年月日"),
        (4, "公民身份号码", "公民身份号码应为18位，当前为14位，请核对是否多输或漏输"),
        (5, "公民身份号码", "未填写公民身份号码，请填写18位公民身份号码"),
    ]
    assert [e.household for e in plan.errors] == ["H001", "H002", "H003", "H004"]


def test_it_reports_unknown_and_out_of_scope_villages(cast, township, village, other_village):
    rows = [
        member("H001", HEAD, **{"行政区划代码": "420704100299"}),
        member("H002", WIFE, **{"行政区划代码": OTHER_VILLAGE}),
        member("H003", SON, **{"行政区划代码": "4207041002"}),
        member("H004", DAUGHTER, **{"行政区划代码": ""}),
    ]
    plan = check(rows, township)  # a 泽林镇 officer
    assert errors_of(plan) == [
        (
            2,
            "行政区划代码",
            "行政区划代码“420704100299”不是已登记的村（社区）：请核对代码，或先在“行政区划”中添加该村",
        ),
        (
            3,
            "行政区划代码",
            "420704101201（鄂城区杜山镇杜山村）不在您的管辖范围（鄂城区泽林镇）内：只能导入本辖区的农户",
        ),
        (4, "行政区划代码", "行政区划代码应为村（社区）的12位数字代码，当前为“4207041002”，请核对"),
        (5, "行政区划代码", "未填写行政区划代码：请填写所在村（社区）的12位行政区划代码"),
    ]


def test_it_reports_missing_required_values_and_unknown_codes(county, village):
    rows = [
        member("H001", HEAD, name="", **{"健康状况": "", "劳动能力": ""}),
        member("H002", OTHER_HEAD, **{"与户主关系": "户长", "健康状况": "残疾，感冒", "政治面貌": "无党派"}),
        member("", WIFE),
    ]
    plan = check(rows, county)
    assert errors_of(plan) == [
        (2, "姓名", "未填写姓名：请填写"),
        (2, "健康状况", "未填写健康状况：可填 健康、长期慢性病、患有大病、残疾，多项用逗号分隔"),
        (
            2,
            "劳动能力",
            "未填写劳动能力：可填 普通劳动力、技能劳动力、弱劳动力或半劳动力、丧失劳动力、无劳动力",
        ),
        (
            3,
            "与户主关系",
            "与户主关系“户长”不在代码表中：可填 户主、配偶、之子、之女、之儿媳、之女婿、之孙子、之孙女、之外孙子、"
            "之外孙女、之父、之母、之岳父、之岳母、之公公、之婆婆、之祖父、之祖母、之外祖父、之外祖母、之兄弟姐妹、"
            "之曾孙子、之曾孙女、之侄儿、之侄女、之兄弟媳妇、之叔伯、其他",
        ),
        (3, "政治面貌", "政治面貌“无党派”不在代码表中：可填 中共党员、中共预备党员、共青团员、群众"),
        (3, "健康状况", "健康状况“感冒”不在代码表中：可填 健康、长期慢性病、患有大病、残疾，多项用逗号分隔"),
        (3, "与户主关系", "户 H002 没有户主：请把其中一名成员的与户主关系填为“户主”"),
        (4, "户编号", "未填写户编号：请填写户编号，同一户的成员填写相同的户编号"),
    ]


def test_it_refuses_a_file_without_required_columns(county):
    plan = importing.validate_households("户编号,姓名\nH001,张三\n".encode(), "户籍.csv", county)
    assert errors_of(plan) == [(0, "", "缺少必需列：公民身份号码、与户主关系、健康状况、劳动能力")]
    assert plan.summary()["file_error"] is True
    no_village = [member("H001", HEAD)]
    del no_village[0]["行政区划代码"]
    assert errors_of(check(no_village, county)) == [
        (0, "", "缺少必需列：行政区划代码（或“乡(镇)”“行政村”两列），请添加后重新上传")
    ]


def test_it_reports_heads_spouses_and_their_sexes(county, village):
    rows = [
        member("H001", HEAD),
        member("H001", OTHER_HEAD),  # a second 户主
        member("H002", OTHER_WIFE, "户主"),
        member("H002", WIFE, "配偶"),  # 户主 and 配偶 both 女
        member("H002", DAUGHTER, "配偶"),  # a second 配偶
    ]
    plan = check(rows, county)
    assert errors_of(plan) == [
        (3, "与户主关系", "户 H001 有2名户主（第2、3行）：每户只能有一名户主，请改正"),
        (5, "与户主关系", "户主与配偶性别相同（都是女性，第4行为户主）：请核对与户主关系或公民身份号码"),
        (6, "与户主关系", "户 H002 有2名配偶（第5、6行）：每户最多一名配偶，请改正"),
        (6, "与户主关系", "户主与配偶性别相同（都是女性，第4行为户主）：请核对与户主关系或公民身份号码"),
    ]


def test_it_reports_a_person_twice_in_the_file(county, village):
    plan = check([member("H001", HEAD), member("H002", OTHER_HEAD), member("H002", HEAD, "之子")], county)
    assert errors_of(plan) == [
        (4, "公民身份号码", "公民身份号码与第2行重复：同一人只能填写一行，请删除重复的行或核对号码")
    ]
    assert plan.error_households() == {"H002"}


def test_it_reports_a_person_in_another_active_household(cast, county, village):
    importing.commit_households(cast["district_admin"], check(family("H001"), county))
    plan = check([member("H009", OTHER_HEAD), member("H009", WIFE, "配偶")], county)
    assert errors_of(plan) == [
        (
            3,
            "公民身份号码",
            "此人已是户 H001 的在册成员，不能同时登记在户 H009：如已迁入本户，请先在原户办理减少成员",
        )
    ]
    same = check(family("H001"), county)  # re-importing the same household is not an error
    assert same.errors == [] and same.households["H001"].action == "unchanged"


def test_it_reports_rows_of_one_household_that_disagree(county, village, other_village):
    rows = [
        member("H001", HEAD),
        member("H001", WIFE, "配偶", **{"行政区划代码": OTHER_VILLAGE, "户类型": "脱贫户"}),
    ]
    plan = check(rows, county)
    assert errors_of(plan) == [
        (
            3,
            "行政区划代码",
            "同一户各行的行政区划代码不一致（第2行为“420704100201”，本行为“420704101201”）：请改为相同的值",
        ),
        (3, "户类型", "同一户各行的户类型不一致（第2行为“一般农户”，本行为“脱贫户”）：请改为相同的值"),
    ]


def test_it_checks_the_lifted_year_and_kind(county, village):
    rows = [
        member("H001", HEAD, **{"户类型": "脱贫户", "脱贫年度": "2013"}),
        member("H002", OTHER_HEAD, **{"户类型": "一般农户", "脱贫年度": "2016"}),
        member("H003", WIFE, "户主", **{"户类型": "贫困村"}),
        member("H004", SON, **{"户类型": "一般农户", "脱贫属性": "低保脱贫户"}),
        member("H005", DAUGHTER, **{"户类型": ""}),
    ]
    plan = check(rows, county)
    assert errors_of(plan) == [
        (2, "脱贫年度", "脱贫年度应为2014—2020之间的年份，当前为“2013”：请核对"),
        (3, "脱贫年度", "一般农户不填脱贫年度：请删除脱贫年度，或把户类型改为脱贫户"),
        (
            4,
            "户类型",
            "户类型“贫困村”不在代码表中：可填 脱贫户、一般农户（也可填脱贫属性：一般脱贫户、低保脱贫户、特困供养脱贫户）",
        ),
        (5, "脱贫属性", "户类型为一般农户，但脱贫属性为“低保脱贫户”：请核对户类型或删除脱贫属性"),
        (6, "户类型", "未填写户类型：可填 脱贫户、一般农户"),
    ]


def test_it_checks_months_worked_and_phones(county, village):
    rows = [
        member("H001", HEAD, **{"务工时间(月)": "13", "联系电话": "12345"}),
        member("H002", OTHER_HEAD, **{"务工时间(月)": "6.5", "联系电话": "0711-3201234"}),
        member("H003", WIFE, "户主", **{"务工时间(月)": "６", "联系电话": "+86 139-0000-1111"}),
    ]
    plan = check(rows, county)
    assert errors_of(plan) == [
        (2, "务工时间(月)", "务工时间（月）应为0—12之间的整数，当前为“13”"),
        (2, "联系电话", "联系电话“12345”不是11位手机号码或固定电话（如 0711-3201234）：请核对"),
        (3, "务工时间(月)", "务工时间（月）应为0—12之间的整数，当前为“6.5”"),
    ]
    person = plan.households["H003"].members[0]
    assert (person.values["months_worked"], person.phone) == (6, "13900001111")


def test_it_reports_a_deceased_person_and_an_out_of_scope_household(cast, township, village, other_village):
    importing.commit_households(
        cast["district_admin"],
        check([member("H900", OTHER_HEAD, **{"行政区划代码": OTHER_VILLAGE})], township.parent),
    )
    Person.objects.filter(id_hash=personal.lookup_hash(OTHER_HEAD)).update(
        status="deceased", status_date=datetime.date(2023, 5, 6)
    )
    Membership.objects.filter(person__id_hash=personal.lookup_hash(OTHER_HEAD)).update(
        end_date=datetime.date.today(), end_reason="death"
    )
    plan = check([member("H001", OTHER_HEAD), member("H900", HEAD)], township)
    assert errors_of(plan) == [
        (2, "公民身份号码", "此人已于2023年5月6日登记死亡：不能登记为在册成员，请核对公民身份号码"),
        (3, "户编号", "户编号 H900 已登记在鄂城区杜山镇杜山村，不在您的管辖范围内：请核对户编号"),
    ]


def test_it_derives_employment_from_the_work_place(county, village):
    places = {
        "浙江省杭州市": "省外务工",
        "湖北省武汉市": "省内县外务工",
        "湖北省鄂州市鄂城区泽林镇": "乡镇内务工",
        "鄂城区汀祖镇": "县内务工",
        "县外省内": "省内县外务工",
    }
    ids = [person_id(1980, 100 + 2 * i + 1) for i in range(len(places) + 1)]
    rows = [member(f"H{i}", ids[i], **{"务工所在地": place}) for i, place in enumerate(places)]
    rows.append(member("H9", ids[-1], **{"务工所在地": "某工地"}))
    plan = check(rows, county)
    assert [plan.households[f"H{i}"].members[0].values["employment"] for i in range(len(places))] == list(
        places.values()
    )
    assert errors_of(plan) == [
        (
            7,
            "务工所在地",
            "无法从务工所在地“某工地”判断务工状况：请填写务工状况（可填 省外务工、省内县外务工、县内务工、乡镇内务工、未务工）",
        )
    ]


def test_it_lists_every_error_and_keeps_clean_households_committable(county, village):
    rows = [
        *family("H001"),
        member("H002", wrong_check_digit(OTHER_HEAD)),
        member("H003", OTHER_WIFE, "户主"),
    ]
    plan = check(rows, county)
    assert [e.household for e in plan.errors] == ["H002"]
    assert [h.number for h in plan.selected(only_valid=True)] == ["H001", "H003"]
    assert plan.summary()["clean_households"] == 2


def test_it_says_that_an_income_sheet_is_left_for_the_income_import(county, village):
    data = xlsx_file({"户籍成员": family("H001"), "家庭收入": [{"户编号": "H001", "年度": 2024}]})
    plan = importing.validate_households(data, "全户.xlsx", county)
    assert plan.errors == []
    assert plan.notices == [
        "文件中的“家庭收入”工作表没有导入：请在“家庭收入”导入中上传同一文件（户籍成员会一并导入）"
    ]
