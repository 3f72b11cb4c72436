"""Registry screens: the list (search, filters, scope, query count), the household page (now and as of a
date), the QR code, revealing full personal data, and the change forms."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.audit.models import AuditEntry, Kind
from zhenxing.registry import actions
from zhenxing.registry.models import HEAD, Household, HouseholdEvent, Membership, MonitoringStatus, Person
from zhenxing.registry.tests.change_helpers import D, id_number, person, register, second_village
from zhenxing.screening import colour

pytestmark = pytest.mark.django_db
LIST = reverse("registry:household_list")
# The fixture records 2024 incomes today, so later changes are dated today (changes are recorded in
# the order they happen: none may predate the household's latest event).
TODAY = timezone.localdate()


def income(wage: str) -> dict:
    zero = Decimal("0")
    return {
        "wage_income": Decimal(wage),
        "business_income": zero,
        "property_income": zero,
        "transfer_income": zero,
        "production_costs": zero,
    }


@pytest.fixture
def world(cast, village, other_village):
    """H001 (3 people, 2024 income 8299.99 per head: below), H002 (脱贫户, sick member, near),
    H003 (monitored, above); X001 in 杜山村 (outside the 泽林镇 users' scope)."""
    cadre = cast["village_cadre"]
    h1 = register(cadre, village, "H001", day=D(2023, 6, 1))
    h2 = register(
        cadre,
        village,
        "H002",
        [
            person(10, "王五", HEAD),
            person(11, "王母", "之母", female=True, health="患有大病,残疾", labour_capacity="丧失劳动力"),
        ],
        day=D(2023, 6, 1),
        kind="lifted",
        lifted_year=2016,
    )
    h3 = register(cadre, village, "H003", [person(20, "赵六", HEAD)], day=D(2023, 6, 1))
    Household.objects.filter(pk=h3.pk).update(monitoring_status=MonitoringStatus.MONITORED)
    colour.refresh([h3.pk])  # written behind the cases actions' back
    outside = register(
        cast["outside_village_cadre"], other_village, "X001", [person(30, "钱七", HEAD)], day=D(2023, 6, 1)
    )
    actions.record_income(cadre, h1, 2024, income("24899.97"))
    actions.record_income(cadre, h2, 2024, income("16600"))
    actions.record_income(cadre, h3, 2024, income("12450"))
    return {"h1": h1, "h2": h2, "h3": h3, "outside": outside}


def listed(client, **params) -> list[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [h.number for h in response.context["page"].object_list]


# —— List ——————————————————————————————————————————————————————————————————————————————————————————


def test_it_lists_the_households_in_scope(client, cast, world):
    client.force_login(cast["village_cadre"])
    assert listed(client) == ["H001", "H002", "H003"]
    client.force_login(cast["district_officer"])
    assert listed(client) == ["H001", "H002", "H003", "X001"]
    client.force_login(cast["outside_township_officer"])
    assert listed(client) == ["X001"]


def test_it_refuses_the_list_without_the_capability(client, cast, world):
    client.force_login(cast["department_clerk"])
    assert client.get(LIST).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302


def test_it_shows_the_columns_with_masked_id_numbers(client, cast, world):
    client.force_login(cast["village_cadre"])
    content = client.get(LIST).content.decode()
    head = Person.objects.get(name="张三")
    assert head.id_masked in content
    assert id_number(1) not in content
    assert "8299.99" in content and "低于监测范围" in content
    assert "1.5倍以内" in content and "高于1.5倍" in content


def test_it_finds_a_household_by_full_id_number_exactly(client, cast, world):
    client.force_login(cast["village_cadre"])
    assert listed(client, q=id_number(11, female=True)) == ["H002"]
    assert listed(client, q=" " + id_number(1) + " ") == ["H001"]
    assert listed(client, q=id_number(30)) == []  # outside the scope
    assert listed(client, q=id_number(1)[:17]) == []  # not an ID, not a number prefix


def test_it_finds_households_by_member_name_and_by_number(client, cast, world):
    client.force_login(cast["village_cadre"])
    assert listed(client, q="王母") == ["H002"]
    assert listed(client, q="张") == ["H001"]
    assert listed(client, q="H00") == ["H001", "H002", "H003"]
    assert listed(client, q="H003") == ["H003"]
    actions.remove_member(cast["village_cadre"], world["h2"], Person.objects.get(name="王母"), "death", TODAY)
    assert listed(client, q="王母") == []  # only current members


def test_it_filters_by_place_kind_status_labour_health_and_band(client, cast, world):
    client.force_login(cast["district_officer"])
    assert listed(client, township="420704101") == ["X001"]
    assert listed(client, village="420704100201") == ["H001", "H002", "H003"]
    assert listed(client, kind="lifted") == ["H002"]
    assert listed(client, monitoring_status="monitored") == ["H003"]
    assert listed(client, labour_capacity="丧失劳动力") == ["H002"]
    assert listed(client, health="残疾") == ["H002"]
    assert listed(client, health="患有大病") == ["H002"]
    assert listed(client, band="below") == ["H001"]  # the latest year with data: 2024
    assert listed(client, band="near", year="2024") == ["H002"]
    assert listed(client, band="above") == ["H003"]
    assert listed(client, band="below", year="2023") == []
    assert listed(client, kind="lifted", band="near", village="420704100201") == ["H002"]


def test_it_offers_only_villages_in_scope(client, cast, world):
    client.force_login(cast["village_cadre"])
    response = client.get(LIST, {"village": "420704101201"})
    assert [h.number for h in response.context["page"]] == ["H001", "H002", "H003"]
    assert "以下筛选条件无效，已忽略" in response.content.decode()


def test_it_lists_closed_households_on_request(client, cast, world):
    cadre = cast["village_cadre"]
    actions.remove_member(cadre, world["h3"], Person.objects.get(name="赵六"), "moved_away", TODAY)
    client.force_login(cadre)
    assert listed(client) == ["H001", "H002"]
    assert listed(client, status="inactive") == ["H003"]
    assert listed(client, status="all") == ["H001", "H002", "H003"]


def test_it_keeps_the_filters_in_the_export_link(client, cast, world):
    client.force_login(cast["village_cadre"])
    content = client.get(LIST, {"kind": "lifted", "band": "near", "page": "1"}).content.decode()
    assert 'href="/registry/export.xlsx?kind=lifted&amp;band=near"' in content
    assert '<input type="hidden" name="kind" value="lifted">' in content


def test_it_lists_with_a_fixed_number_of_queries(client, cast, world, village, django_assert_max_num_queries):
    client.force_login(cast["village_cadre"])
    client.get(LIST)  # starts the session's idle clock (a session write) so both counts below compare alike
    with django_assert_max_num_queries(20) as few:
        client.get(LIST)
    for n in range(40, 70):
        h = register(
            cast["village_cadre"], village, f"M{n:03d}", [person(n, f"成员{n}", HEAD)], day=D(2020, 1, 1)
        )
        actions.record_income(cast["village_cadre"], h, 2021 + n % 4, income(str(5000 + 100 * n)))
    with django_assert_max_num_queries(20) as many:
        response = client.get(LIST)
    assert len(response.context["page"]) == 33
    assert len(many.captured_queries) == len(few.captured_queries) + 3  # the policy of 2021–2023 once each


# —— Household page ————————————————————————————————————————————————————————————————————————————————


def detail(household, **params) -> str:
    url = reverse("registry:household_detail", args=[household.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_it_shows_the_household_page_inside_the_scope_only(client, cast, world):
    client.force_login(cast["village_cadre"])
    response = client.get(detail(world["h2"]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "户 H002" in content and "王母" in content and "之母" in content
    assert Person.objects.get(name="王母").id_masked in content
    assert id_number(11, female=True) not in content
    assert "显示完整号码" in content and "增加成员" in content
    assert client.get(detail(world["outside"])).status_code == 404
    client.force_login(cast["department_clerk"])
    assert client.get(detail(world["h2"])).status_code == 403
    client.force_login(cast["inspector"])
    content = client.get(detail(world["outside"])).content.decode()
    assert "显示完整号码" in content and "增加成员" not in content


def test_it_shows_incomes_against_the_line_with_the_chart_data(client, cast, world):
    client.force_login(cast["village_cadre"])
    response = client.get(detail(world["h1"]))
    row = response.context["incomes"][0]
    assert (row.year, row.household_size, row.net_income_per_capita, row.line, row.band) == (
        2024,
        3,
        Decimal("8299.99"),
        Decimal("8300.00"),
        "below",
    )
    assert response.context["chart"] == {
        "years": ["2024"],
        "per_capita": [8299.99],
        "line": [8300.0],
        "near": [12450.0],
    }
    content = response.content.decode()
    assert '<script id="income-data" type="application/json">' in content
    assert "zhenxing/household.js" in content and "vendor/echarts/echarts.min.js" in content
    assert row.policy_label in content


def test_it_shows_the_timeline_newest_first(client, cast, world):
    cadre = cast["village_cadre"]
    client.force_login(cadre)
    entries = client.get(detail(world["h1"])).context["timeline"]
    assert [(e.event.kind, e.text) for e in entries] == [
        ("income_recorded", "2024年度：人均纯收入 8299.99 元（家庭人口 3 人）"),
        ("registered", "建档登记，3人"),
    ]


def test_it_shows_the_household_as_of_a_date(client, cast, world, township):
    cadre = cast["village_cadre"]
    h1 = world["h1"]
    Household.objects.filter(pk=h1.pk).update()  # no-op, for clarity: changes below go through actions
    HouseholdEvent.objects.filter(household=h1, kind="income_recorded").count()
    client.force_login(cadre)
    response = client.get(detail(h1, as_of="2023-06-01"))
    content = response.content.decode()
    assert "以下为 2023-06-01 时的登记情况" in content
    assert [m.person.name for m in response.context["members"]] == ["张三", "李四", "张小明"]
    assert response.context["incomes"] == []  # recorded later
    assert [e.event.kind for e in response.context["timeline"]] == ["registered"]
    assert "增加成员" not in content  # changes are made on the current state
    before = client.get(detail(h1, as_of="2023-05-31")).content.decode()
    assert "2023-05-31 时该户尚未登记" in before
    bad = client.get(detail(h1, as_of="2023-13-01")).content.decode()
    assert "日期“2023-13-01”格式不对" in bad


def test_it_renders_the_qr_code_as_svg_with_the_page_address(client, cast, world):
    client.force_login(cast["village_cadre"])
    response = client.get(reverse("registry:household_qr", args=[world["h1"].public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg")
    assert f"<desc>http://testserver/registry/h/{world['h1'].public_id}/</desc>" in svg
    assert client.get(reverse("registry:household_qr", args=[world["outside"].public_id])).status_code == 404


def test_it_requires_login_to_open_the_page_the_qr_code_points_to(client, world):
    response = client.get(detail(world["h1"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_reveals_full_personal_data_and_audits_it(client, cast, world):
    cadre = cast["village_cadre"]
    actions.edit_person(cadre, world["h2"], Person.objects.get(name="王母"), {"phone": "13912345678"}, TODAY)
    client.force_login(cadre)
    mother = Person.objects.get(name="王母")
    url = reverse("registry:person_reveal", args=[mother.public_id])
    before = AuditEntry.objects.count()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert id_number(11, female=True) in content and "13912345678" in content
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.kind, entry.object_id, entry.area_code, entry.actor_username) == (
        "reveal_person",
        Kind.READ_PERSONAL,
        str(mother.public_id),
        "420704100201",
        "xingang",
    )
    assert client.get(url).status_code == 405
    client.force_login(cast["outside_village_cadre"])
    assert client.post(url).status_code == 404
    client.force_login(cast["department_clerk"])
    assert client.post(url).status_code == 403
    assert AuditEntry.objects.count() == before + 1


# —— Change forms ——————————————————————————————————————————————————————————————————————————————————

FORMS = [
    "member_add",
    "member_remove",
    "head_change",
    "household_split",
    "household_merge",
    "household_move",
    "household_edit",
    "person_edit",
    "income_record",
]


@pytest.mark.parametrize("name", FORMS)
def test_it_shows_each_change_form_to_editors_in_scope_only(client, cast, world, name):
    url = reverse(f"registry:{name}", args=[world["h1"].public_id])
    client.force_login(cast["village_cadre"])
    assert client.get(url).status_code == 200
    client.force_login(cast["inspector"])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    client.force_login(cast["outside_village_cadre"])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def post(client, name, household, data):
    return client.post(reverse(f"registry:{name}", args=[household.public_id]), data)


def test_it_adds_a_member_through_the_form(client, cast, world):
    client.force_login(cast["village_cadre"])
    h1 = world["h1"]
    response = post(
        client,
        "member_add",
        h1,
        {
            "name": "张小宝",
            "id_number": id_number(5, born=D(2024, 3, 1)),
            "relation": "之孙子",
            "reason": "birth",
            "health": ["健康"],
            "labour_capacity": "无劳动力",
            "ethnicity": "汉族",
            "effective_date": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == detail(h1)
    assert Membership.objects.get(person__name="张小宝", end_date__isnull=True).household == h1
    page = client.get(response["Location"]).content.decode()
    assert "已增加成员 张小宝" in page


def test_it_shows_the_actions_refusal_above_the_form(client, cast, world):
    client.force_login(cast["village_cadre"])
    h1 = world["h1"]
    before = (HouseholdEvent.objects.count(), AuditEntry.objects.count())
    response = post(
        client,
        "member_remove",
        h1,
        {
            "person": str(Person.objects.get(name="张三").public_id),
            "reason": "death",
            "effective_date": TODAY,
        },
    )
    assert response.status_code == 200
    assert "张三是户主，请先办理“变更户主”，再减少该成员" in response.content.decode()
    assert (HouseholdEvent.objects.count(), AuditEntry.objects.count()) == before


def test_it_changes_the_head_and_splits_through_the_forms(client, cast, world):
    client.force_login(cast["village_cadre"])
    h1 = world["h1"]
    wife, son = Person.objects.get(name="李四"), Person.objects.get(name="张小明")
    response = post(
        client,
        "head_change",
        h1,
        {"new_head": str(wife.public_id), "old_head_relation": "配偶", "effective_date": TODAY},
    )
    assert response.status_code == 302
    response = post(
        client,
        "household_split",
        h1,
        {"new_number": "H001-1", "new_head": str(son.public_id), "effective_date": TODAY},
    )
    assert response.status_code == 302
    new = Household.objects.get(number="H001-1")
    assert (new.head_id, new.member_count, new.area_id) == (son.pk, 1, h1.area_id)
    response = post(
        client,
        "member_add",
        h1,
        {
            "name": "旧人",
            "id_number": id_number(6),
            "relation": "其他",
            "reason": "moved_in",
            "health": ["健康"],
            "labour_capacity": "普通劳动力",
            "effective_date": "2024-07-01",
        },
    )
    assert response.status_code == 200
    assert f"生效日期 2024-07-01 早于户 H001 最近一次变动的日期 {TODAY}" in response.content.decode()


def test_it_moves_and_merges_only_within_the_scope(client, cast, world, township):
    cadre = cast["village_cadre"]
    client.force_login(cadre)
    h1 = world["h1"]
    response = post(client, "household_move", h1, {"new_village": "420704101201", "effective_date": TODAY})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    response = post(client, "household_merge", h1, {"source": "X001", "effective_date": TODAY})
    assert response.status_code == 200
    assert "在您的管辖范围内找不到户编号为 X001 的户，请核对户编号" in response.content.decode()
    assert Household.objects.get(number="X001").is_active


def test_it_merges_through_the_form_in_two_steps(client, cast, world):
    client.force_login(cast["village_cadre"])
    h1, h3 = world["h1"], world["h3"]
    page = client.get(
        reverse("registry:household_merge", args=[h1.public_id]), {"source": "H003"}
    ).content.decode()
    zhao = Person.objects.get(name="赵六")
    assert f'name="relation_{zhao.public_id.hex}"' in page
    today = TODAY.isoformat()
    response = post(
        client,
        "household_merge",
        h1,
        {"source": "H003", f"relation_{zhao.public_id.hex}": "其他", "effective_date": today},
    )
    assert response.status_code == 302
    h3.refresh_from_db()
    assert h3.is_active is False
    assert Membership.objects.get(person=zhao, end_date__isnull=True).household == h1


def test_it_edits_the_household_a_person_and_records_income_through_the_forms(client, cast, world, township):
    client.force_login(cast["village_cadre"])
    h1 = world["h1"]
    today = TODAY.isoformat()
    response = post(
        client,
        "household_edit",
        h1,
        {"kind": "lifted", "lifted_year": "2015", "lifted_attribute": "", "effective_date": today},
    )
    assert response.status_code == 302
    h1.refresh_from_db()
    assert (h1.kind, h1.lifted_year) == ("lifted", 2015)
    son = Person.objects.get(name="张小明")
    edit_url = reverse("registry:person_edit", args=[h1.public_id])
    form_page = client.get(edit_url, {"person": str(son.public_id)})
    assert form_page.context["form"].initial["name"] == "张小明"
    response = client.post(
        edit_url,
        {
            "person": str(son.public_id),
            "name": "张小明",
            "relation": "之子",
            "ethnicity": "汉族",
            "health": ["长期慢性病"],
            "labour_capacity": "普通劳动力",
            "employment": "省外务工",
            "months_worked": "10",
            "effective_date": today,
        },
    )
    assert response.status_code == 302
    son.refresh_from_db()
    assert (son.health, son.employment, son.months_worked) == ("长期慢性病", "省外务工", 10)
    response = post(
        client,
        "income_record",
        h1,
        {
            "year": "2023",
            "wage_income": "30000",
            "business_income": "0",
            "property_income": "0",
            "transfer_income": "1500.50",
            "production_costs": "0",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已登记2023年度收入：人均纯收入 10500.17 元（家庭人口 3 人）" in page
    assert re.search(r"更正", page)
    # A village cadre's scope is one village: moving needs the township officer.
    target = second_village(township)
    assert target.code not in dict(
        client.get(reverse("registry:household_move", args=[h1.public_id]))
        .context["form"]
        .fields["new_village"]
        .choices
    )
    client.force_login(cast["township_officer"])
    move = post(client, "household_move", h1, {"new_village": target.code, "effective_date": today})
    assert move.status_code == 302
    h1.refresh_from_db()
    assert h1.area == target


def test_the_list_names_the_dashboards_filters_and_keeps_them_in_its_form(client, cast, world):
    """The dashboards' links filter by colour and by 外出务工 on a day, which are not on the form: the list
    says what they are and carries them as hidden fields; a malformed one is not named."""
    client.force_login(cast["district_officer"])

    page = client.get(
        reverse("registry:household_list") + "?colour=red&migrant_on=2025-06-30"
    ).content.decode()

    assert "来自统计看板：今日风险颜色为红色；2025-06-30有脱贫劳动力外出务工。" in page
    assert '<input type="hidden" name="colour" value="red">' in page
    assert '<input type="hidden" name="migrant_on" value="2025-06-30">' in page
    bad = client.get(
        reverse("registry:household_list") + "?colour=blue&migrant_on=2025-02-30"
    ).content.decode()
    search_form = bad.split('role="search">', 1)[1].split("</form>", 1)[0]
    assert "来自统计看板" not in bad and 'type="hidden"' not in search_form
