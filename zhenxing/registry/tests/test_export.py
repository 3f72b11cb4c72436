"""Export of the filtered list: import-template headers, masked values (full ones audited), formula
injection neutralised, as-of exports, scope, and large exports as a job."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhenxing.audit.models import AuditEntry, Kind
from zhenxing.jobs.actions import claim_job, run_job
from zhenxing.jobs.models import Job, Status
from zhenxing.lib import personal
from zhenxing.lib.tabular import Column, read_table
from zhenxing.registry import actions, export
from zhenxing.registry.models import HEAD, Person
from zhenxing.registry.tests.change_helpers import D, id_number, person, register

pytestmark = pytest.mark.django_db
URL = reverse("registry:household_export")
TODAY = timezone.localdate()
INJECTION = '=HYPERLINK("http://x.cn","点我")'


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Job result files go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def income(wage: str) -> dict:
    zero = Decimal("0")
    return {
        "wage_income": Decimal(wage),
        "business_income": zero,
        "property_income": zero,
        "transfer_income": Decimal("1200"),
        "production_costs": Decimal("500"),
        "claims_income": Decimal("300"),
    }


@pytest.fixture
def world(cast, village, other_village):
    cadre = cast["village_cadre"]
    h1 = register(
        cadre,
        village,
        "H001",
        [
            person(1, "张三", HEAD, phone="13812345678", external_id="P-001", ethnicity="汉族"),
            person(
                2,
                INJECTION,
                "配偶",
                female=True,
                health="长期慢性病,残疾",
                labour_capacity="弱劳动力或半劳动力",
            ),
        ],
        day=D(2023, 6, 1),
    )
    h2 = register(
        cadre, village, "H002", [person(10, "王五", HEAD)], day=D(2023, 6, 1), kind="lifted", lifted_year=2016
    )
    register(
        cast["outside_village_cadre"], other_village, "X001", [person(30, "钱七", HEAD)], day=D(2023, 6, 1)
    )
    actions.add_member(cadre, h1, person(3, "张小宝", "之子", born=D(2024, 3, 1)), "birth", D(2024, 3, 1))
    actions.record_income(cadre, h1, 2024, income("10000"))
    return {"h1": h1, "h2": h2}


def sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def test_it_exports_members_and_incomes_with_the_import_template_headers_masked(client, cast, world):
    client.force_login(cast["village_cadre"])
    before = AuditEntry.objects.count()
    book = sheets(client.get(URL))
    assert list(book) == ["户籍成员", "家庭收入"]
    members, incomes = book["户籍成员"], book["家庭收入"]
    assert members[0] == (
        "户编号", "人编号", "行政区划代码", "户类型", "脱贫属性", "脱贫年度", "姓名", "公民身份号码", "与户主关系", "民族", "政治面貌",
        "文化程度", "在校生状况", "健康状况", "劳动能力", "务工状况", "务工时间(月)", "联系电话",
    )  # fmt: skip
    zhang = Person.objects.get(name="张三")
    assert members[1] == (
        "H001", "P-001", "420704100201", "一般农户", None, None, "张三", zhang.id_masked, "户主", "汉族", None,
        None, None, "健康", "普通劳动力", None, None, "138****5678",
    )  # fmt: skip
    assert [(r[0], r[6], r[8], r[13]) for r in members[2:]] == [
        ("H001", "'" + INJECTION, "配偶", "长期慢性病,残疾"),
        ("H001", "张小宝", "之子", "健康"),
        ("H002", "王五", "户主", "健康"),
    ]
    assert (members[4][3], members[4][5]) == ("脱贫户", 2016)
    assert all(id_number(n) not in str(members) for n in (1, 10))
    assert incomes == [
        ("户编号", "年度", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "生产经营性支出", "人均纯收入", "理赔收入", "合规自付支出"),
        ("H001", 2024, 10000, 0, 0, 1200, 500, 3566.67, 300),  # the blank last cell is not stored
    ]  # fmt: skip
    assert AuditEntry.objects.count() == before  # masked: nothing to audit


def test_it_neutralises_formula_injection_and_round_trips_through_the_reader(client, cast, world):
    client.force_login(cast["village_cadre"])
    response = client.get(URL, {"full": "1"})
    columns = [Column(key=h, header=h) for h in export.MEMBER_HEADERS]
    table = read_table(response.content, "导出.xlsx", sheet="户籍成员", columns=columns)
    wife = table.rows[1].values
    assert (wife["姓名"], wife["公民身份号码"]) == (INJECTION, id_number(2, female=True))
    assert table.rows[0].values["联系电话"] == "13812345678"


def test_it_exports_full_numbers_only_on_request_and_audits_it(client, cast, world):
    client.force_login(cast["township_officer"])
    before = AuditEntry.objects.count()
    book = sheets(client.get(URL, {"full": "1", "kind": "ordinary"}))
    assert [(r[7], r[17]) for r in book["户籍成员"][1:]] == [
        (id_number(1), "13812345678"),
        (id_number(2, female=True), None),
        (id_number(3, born=D(2024, 3, 1)), None),
    ]
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.kind, entry.object_type, entry.actor_username, entry.area_code) == (
        "export_registry",
        Kind.EXPORT_PERSONAL,
        "registry.household",
        "zelin",
        "420704100",
    )
    assert entry.changes == {
        "filters": {"kind": "ordinary", "status": "active", "year": 2024},
        "as_of": None,
        "households": 1,
        "rows": 3,
    }


def test_it_refuses_an_export_without_the_capability(client, cast, world):
    client.force_login(cast["department_clerk"])
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"full": "1"}).status_code == 403


def test_it_exports_only_the_filtered_households_in_scope(client, cast, world):
    client.force_login(cast["district_officer"])
    assert [r[0] for r in sheets(client.get(URL))["户籍成员"][1:]] == ["H001", "H001", "H001", "H002", "X001"]
    assert [r[0] for r in sheets(client.get(URL, {"kind": "lifted"}))["户籍成员"][1:]] == ["H002"]
    assert [r[0] for r in sheets(client.get(URL, {"q": "钱七"}))["户籍成员"][1:]] == ["X001"]
    client.force_login(cast["village_cadre"])
    assert [r[0] for r in sheets(client.get(URL, {"q": "钱七"}))["户籍成员"][1:]] == []


def test_it_exports_the_households_as_of_a_date(client, cast, world):
    cadre = cast["village_cadre"]
    actions.remove_member(cadre, world["h1"], Person.objects.get(name="张小宝"), "death", TODAY)
    client.force_login(cadre)
    book = sheets(client.get(URL, {"as_of": "2024-02-01"}))
    assert [(r[0], r[6], r[8]) for r in book["户籍成员"][1:]] == [
        ("H001", "张三", "户主"),
        ("H001", "'" + INJECTION, "配偶"),
        ("H002", "王五", "户主"),
    ]
    assert book["家庭收入"][1:] == []  # the 2024 income was recorded later
    now = sheets(client.get(URL))
    assert [r[6] for r in now["户籍成员"][1:]] == ["张三", "'" + INJECTION, "王五"]
    on_birth = sheets(client.get(URL, {"as_of": "2024-03-01"}))
    assert [r[6] for r in on_birth["户籍成员"][1:]][-2:] == ["张小宝", "王五"]
    before_registration = sheets(client.get(URL, {"as_of": "2023-05-31"}))
    assert before_registration["户籍成员"][1:] == []


def test_it_exports_a_large_list_as_a_job(client, cast, world, monkeypatch, tmp_path):
    monkeypatch.setattr(export, "EXPORT_SYNC_LIMIT", 0)
    client.force_login(cast["village_cadre"])
    response = client.get(URL, {"full": "1", "kind": "ordinary", "as_of": "2024-03-01"})
    job = Job.objects.get(kind="registry.export")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.public_id])
    assert job.params == {
        "filters": {"kind": "ordinary", "status": "active", "year": 2024},
        "as_of": "2024-03-01",
        "full": True,
    }
    before = AuditEntry.objects.filter(kind=Kind.EXPORT_PERSONAL).count()
    job = run_job(claim_job(job.pk, "test"), "test")
    assert (job.status, job.result) == (Status.SUCCEEDED, {"households": 1, "rows": 3, "income_rows": 0})
    assert job.result_has_personal_data is True
    workbook = load_workbook(tmp_path / job.result_file, read_only=True)
    rows = list(workbook["户籍成员"].iter_rows(values_only=True))
    assert [r[7] for r in rows[1:]] == [
        id_number(1),
        id_number(2, female=True),
        id_number(3, born=D(2024, 3, 1)),
    ]
    assert AuditEntry.objects.filter(kind=Kind.EXPORT_PERSONAL).count() == before + 1
    assert personal.decrypt(Person.objects.get(name="张三").id_number_encrypted) == id_number(1)


def test_it_keeps_a_searched_id_number_out_of_job_params_and_audit_rows(client, cast, world, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_SYNC_LIMIT", 0)
    client.force_login(cast["village_cadre"])
    client.get(URL, {"q": id_number(10), "full": "1"})
    job = Job.objects.get(kind="registry.export")
    assert job.params["filters"] == {
        "id_hash": personal.lookup_hash(id_number(10)),
        "status": "active",
        "year": 2024,
    }
    assert id_number(10) not in str(AuditEntry.objects.filter(action="enqueue_job").get().changes)
    job = run_job(claim_job(job.pk, "test"), "test")
    assert job.result == {"households": 1, "rows": 1, "income_rows": 0}


def test_it_sends_a_bad_as_of_date_back_to_the_list(client, cast, world):
    client.force_login(cast["village_cadre"])
    response = client.get(URL, {"as_of": "2024-02-30", "kind": "lifted"})
    assert response.status_code == 302
    assert response["Location"] == "/registry/?kind=lifted"
    assert "日期“2024-02-30”格式不对" in client.get(response["Location"]).content.decode()


def test_it_exports_the_lifted_attribute_so_the_file_reimports_unchanged(client, cast, village):
    """Regression: the export left out 脱贫属性, so re-importing it blanked the attribute."""
    import datetime as dt

    from zhenxing.registry import actions as registry_actions

    registry_actions.register_household(
        cast["district_admin"],
        registry_actions.HouseholdData(
            number="H-ATTR",
            area_id=village.pk,
            kind="lifted",
            lifted_year=2016,
            lifted_attribute="低保脱贫户",
            members=[
                registry_actions.PersonData(
                    id_number=id_number(7),
                    name="刘七",
                    relation="户主",
                    health="健康",
                    labour_capacity="普通劳动力",
                )
            ],
        ),
        dt.date(2024, 1, 1),
    )
    client.force_login(cast["district_admin"])
    response = client.get(URL)
    members = sheets(response)["户籍成员"]
    row = next(r for r in members if r[0] == "H-ATTR")
    assert row[3:6] == ("脱贫户", "低保脱贫户", 2016)


def test_it_exports_as_of_today_a_death_entered_after_an_income_record(client, cast, village):
    """Regression: the as-of export took the income event's (older) make-up over a later-entered death."""
    import datetime as dt

    from zhenxing.registry import actions as registry_actions
    from zhenxing.registry.models import Membership

    admin = cast["district_admin"]
    household = registry_actions.register_household(
        admin,
        registry_actions.HouseholdData(
            number="H-ASOF",
            area_id=village.pk,
            kind="ordinary",
            members=[
                registry_actions.PersonData(
                    id_number=id_number(8),
                    name="户主丙",
                    relation="户主",
                    health="健康",
                    labour_capacity="普通劳动力",
                ),
                registry_actions.PersonData(
                    id_number=id_number(9),
                    name="老人丁",
                    relation="之父",
                    health="健康",
                    labour_capacity="无劳动力",
                ),
            ],
        ),
        dt.date(2024, 1, 1),
    )
    amounts = {
        "wage_income": "20000", "business_income": "0", "property_income": "0",
        "transfer_income": "0", "production_costs": "0",
    }  # fmt: skip
    registry_actions.record_income(admin, household, 2024, amounts)
    elder = Membership.objects.get(household=household, relation="之父").person
    registry_actions.remove_member(
        admin, household, elder, Membership.EndReason.DEATH, dt.date.today() - dt.timedelta(days=2)
    )
    client.force_login(admin)
    members = sheets(client.get(URL, {"as_of": dt.date.today().isoformat()}))["户籍成员"]
    assert [r[6] for r in members if r[0] == "H-ASOF"] == ["户主丙"]
