"""The audit log pages: who may open them, what each filter selects, the detail page, the verify button."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from zhenxing.audit import actions as audit
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.models import Job

ALLOWED = ["district_admin", "inspector"]
REFUSED = [
    "district_officer",
    "department_clerk",
    "township_officer",
    "village_cadre",
    "outside_township_officer",
    "outside_village_cadre",
]


def ids(response) -> list[int]:
    return [entry.id for entry in response.context["page"]]


@pytest.mark.parametrize("role", ALLOWED)
def test_it_shows_the_list_to_district_admins_and_inspectors(client, cast, entries, role):
    client.force_login(cast[role])
    response = client.get(reverse("audit:list"))
    assert response.status_code == 200
    assert ids(response) == [5, 4, 3, 2, 1]
    assert "校验审计链" in response.content.decode()


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", reverse("audit:list")),
        ("get", reverse("audit:detail", args=[1])),
        ("post", reverse("audit:verify")),
        ("post", reverse("audit:export")),
    ],
)
def test_it_refuses_other_roles(client, cast, entries, role, method, url):
    client.force_login(cast[role])
    response = getattr(client, method)(url)
    assert response.status_code == 403
    assert AuditEntry.objects.count() == 5
    assert Job.objects.count() == 0


@pytest.mark.parametrize("url", [reverse("audit:list"), reverse("audit:detail", args=[1])])
def test_it_sends_anonymous_users_to_login(client, entries, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, [5, 4, 3, 2, 1]),
        ({"username": "zelin"}, [2]),
        ({"username": "nobody"}, []),
        ({"area_code": "420704100"}, [3, 2]),
        ({"area_code": "420704100201"}, [3]),
        ({"area_code": "420704101"}, [4]),
        ({"area_code": "420704"}, [4, 3, 2, 1]),
        ({"object_type": "tests.thing"}, [4, 3, 2]),
        ({"object_type": "tests.thing", "object_id": "2"}, [3]),
        ({"object_id": "zelin"}, [1]),
        ({"action": "update_thing"}, [4, 2]),
        ({"kind": "read_personal"}, [3]),
        ({"kind": "write"}, [5, 4, 2, 1]),
        ({"date_from": "2024-03-02"}, [5, 4, 3]),
        ({"date_to": "2024-03-01"}, [2, 1]),
        ({"date_from": "2024-03-01", "date_to": "2024-03-01"}, [2, 1]),
        ({"date_from": "2024-03-02", "date_to": "2024-03-05"}, [4, 3]),
        ({"action": "update_thing", "area_code": "420704100", "date_to": "2024-03-01"}, [2]),
        ({"username": " zelin "}, [2]),
    ],
)
def test_it_filters_the_list(client, cast, entries, query, expected):
    client.force_login(cast["inspector"])
    response = client.get(reverse("audit:list"), query)
    assert response.status_code == 200
    assert ids(response) == expected
    assert response.context["form"].errors == {}


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date_from": "2024-13-01"}, "开始日期格式应为 YYYY-MM-DD"),
        ({"date_to": "昨天"}, "结束日期格式应为 YYYY-MM-DD"),
        ({"date_from": "2024-03-05", "date_to": "2024-03-01"}, "开始日期不能晚于结束日期，请重新选择"),
        ({"area_code": "泽林镇"}, "区划代码应为6至15位数字，如 420704100（泽林镇）"),
        ({"kind": "delete"}, "选择一个有效的选项。 delete 不在可用的选项中。"),
    ],
)
def test_it_shows_no_rows_and_the_error_for_a_bad_filter(client, cast, entries, query, message):
    client.force_login(cast["inspector"])
    response = client.get(reverse("audit:list"), query)
    assert response.status_code == 200
    assert ids(response) == []
    assert message in response.content.decode()
    assert "导出 Excel" not in response.content.decode()


def test_it_renders_each_row_compactly(client, cast, entries):
    client.force_login(cast["inspector"])
    body = client.get(reverse("audit:list")).content.decode()
    assert "full_name: 泽林 → 泽林镇干部；phone: （空） → 0711-1234567" in body
    assert "amount: 10.00 → 12.50" in body
    assert "fields: [&quot;id_number&quot;]" in body
    assert "查看个人敏感信息" in body
    assert "泽林镇" in body and "新港村" in body  # area names next to their codes
    assert "（系统）" in body  # the row without an actor


def test_it_paginates_by_fifty(client, cast):
    with transaction.atomic():
        for n in range(1, 53):
            audit.record(cast["district_admin"], "bulk", object_type="tests.thing", object_id=str(n))
    client.force_login(cast["inspector"])
    first = client.get(reverse("audit:list"))
    second = client.get(reverse("audit:list"), {"page": 2})
    assert ids(first) == list(range(52, 2, -1))
    assert ids(second) == [2, 1]
    assert "第 1 / 2 页，共 52 条" in first.content.decode()


def test_it_lists_with_a_fixed_number_of_queries(client, cast, entries, django_assert_num_queries):
    client.force_login(cast["inspector"])
    # session, user, user's area (scope), count, page, area names of the page, areas for the datalist,
    # and the idle-timeout middleware's session save (savepoint, update, release)
    with django_assert_num_queries(10):
        client.get(reverse("audit:list"))


def test_it_shows_the_detail_with_before_and_after(client, cast, entries):
    client.force_login(cast["district_admin"])
    response = client.get(reverse("audit:detail", args=[1]))
    assert response.status_code == 200
    rows = [(r.field, r.before, r.after, r.is_change) for r in response.context["rows"]]
    assert rows == [("full_name", "泽林", "泽林镇干部", True), ("phone", "（空）", "0711-1234567", True)]
    body = response.content.decode()
    assert entries[1].hash in body
    assert entries[1].prev_hash in body
    assert "<td>full_name</td><td>泽林</td><td>泽林镇干部</td>" in body


def test_it_shows_a_value_that_is_not_a_change(client, cast, entries):
    client.force_login(cast["inspector"])
    response = client.get(reverse("audit:detail", args=[3]))
    rows = [(r.field, r.before, r.after, r.is_change) for r in response.context["rows"]]
    assert rows == [("fields", "", '["id_number"]', False)]
    assert entries[2].hash in response.content.decode()  # row 3's prev hash is row 2's hash


def test_it_answers_404_for_a_missing_entry(client, cast, entries):
    client.force_login(cast["inspector"])
    assert client.get(reverse("audit:detail", args=[99])).status_code == 404


def test_it_verifies_the_chain_from_the_list_page(client, cast, entries):
    client.force_login(cast["inspector"])
    response = client.post(reverse("audit:verify"), follow=True)
    assert response.redirect_chain == [(reverse("audit:list"), 302)]
    assert [str(m) for m in response.context["messages"]] == ["审计链完整：共校验 5 条记录"]
    assert AuditEntry.objects.count() == 5  # reading the log is not audited


def test_it_reports_a_broken_chain_from_the_list_page(client, cast, entries):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(AuditEntry._meta.db_table)} SET actor_username = %s WHERE id = %s",
            ["someone", 3],
        )
    client.force_login(cast["district_admin"])
    response = client.post(reverse("audit:verify"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "审计链在第 #3 条记录处断开：本条记录内容与哈希不符：记录被修改。请保全数据库现状，并报告区级管理员和纪检督查人员"
    ]
    assert AuditEntry.objects.count() == 5


def test_it_refuses_verify_by_get(client, cast, entries):
    client.force_login(cast["inspector"])
    assert client.get(reverse("audit:verify")).status_code == 405
