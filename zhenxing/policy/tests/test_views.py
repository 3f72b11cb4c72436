import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.policy.actions import save_policy
from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.parameters import PARAMETERS, to_input
from zhenxing.policy.resolve import policy_for

pytestmark = pytest.mark.django_db

STAFF = [
    "district_admin",
    "district_officer",
    "department_clerk",
    "township_officer",
    "village_cadre",
    "inspector",
]


def form_data(year: int, **changes) -> dict:
    """What the edit form posts when the user changes `changes` and gives a reason."""
    policy = policy_for(year)
    data = {p.key: to_input(p, policy[p.key]) for p in PARAMETERS}
    data["based_on"] = policy.version.pk
    data["reason"] = "省农业农村厅2024年监测范围通知"
    data.update(changes)
    return data


def test_it_sends_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("policy:year_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_can_view_the_year_list(client, cast, role):
    client.force_login(cast[role])
    response = client.get(reverse("policy:year_list"))
    assert response.status_code == 200
    body = response.content.decode()
    for year, line in [(2021, "6000.00"), (2022, "6900.00"), (2023, "7600.00"), (2024, "8300.00")]:
        assert reverse("policy:year_detail", args=[year]) in body
        assert f"{line} 元" in body


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_can_view_a_year_and_a_version(client, cast, role):
    client.force_login(cast[role])
    detail = client.get(reverse("policy:year_detail", args=[2024]))
    assert detail.status_code == 200
    assert "8300.00 元/人·年" in detail.content.decode()
    version = client.get(reverse("policy:version_detail", args=[2023, 1]))
    assert version.status_code == 200
    assert "7600.00 元/人·年" in version.content.decode()


def test_the_year_list_opens_another_year(admin_client):
    response = admin_client.get(reverse("policy:year_list"), {"year": "2025"})
    assert response.status_code == 302
    assert response.url == reverse("policy:year_detail", args=[2025])


@pytest.mark.parametrize("text", ["abc", "1999", "3000"])
def test_the_year_list_refuses_a_year_it_cannot_open(admin_client, text):
    response = admin_client.get(reverse("policy:year_list"), {"year": text})
    assert response.status_code == 200
    assert "请输入2016至2100之间的年度，如 2025" in response.content.decode()


def test_a_year_without_settings_says_what_it_inherits(client, cast):
    client.force_login(cast["township_officer"])
    response = client.get(reverse("policy:year_detail", args=[2025]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "2025年未单独设置，沿用2024年第1版" in body
    assert "8300.00 元/人·年" in body
    assert reverse("policy:year_edit", args=[2025]) not in body


@pytest.mark.parametrize("year", [2015, 2101])
def test_a_year_outside_2016_to_2100_is_not_found(admin_client, year):
    assert admin_client.get(reverse("policy:year_detail", args=[year])).status_code == 404
    assert admin_client.get(reverse("policy:year_edit", args=[year])).status_code == 404


def test_a_missing_version_is_not_found(admin_client):
    assert admin_client.get(reverse("policy:version_detail", args=[2024, 2])).status_code == 404


def test_the_admin_sees_the_form_filled_with_the_values_in_effect(admin_client):
    response = admin_client.get(reverse("policy:year_edit", args=[2025]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="monitoring_line" value="8300.00"' in body
    assert 'name="disbursement_checkpoint_1_date" value="04-30"' in body
    assert 'value="小学" id="id_education_dropout_stages_0" checked>' in body
    assert 'value="高中" id="id_education_dropout_stages_2">' in body
    assert "2025年未单独设置，沿用2024年第1版" in body


def test_the_admin_saves_a_new_version(admin_client, cast):
    response = admin_client.post(
        reverse("policy:year_edit", args=[2024]), form_data(2024, monitoring_line="8600")
    )
    assert response.status_code == 302
    assert response.url == reverse("policy:year_detail", args=[2024])
    version = PolicyVersion.objects.get(year=2024, version=2)
    assert (version.values["monitoring_line"], version.created_by) == ("8600.00", cast["district_admin"])
    assert version.reason == "省农业农村厅2024年监测范围通知"
    assert AuditEntry.objects.get().changes == {"monitoring_line": ["8300.00", "8600.00"]}
    page = admin_client.get(response.url).content.decode()
    assert "已保存2024年第2版，之后的决定将使用新参数" in page
    assert "监测范围（元/人·年）：8300.00 元/人·年 → 8600.00 元/人·年" in page


def test_the_admin_gives_an_inherited_year_its_own_version(admin_client):
    response = admin_client.post(
        reverse("policy:year_edit", args=[2025]), form_data(2025, monitoring_line="9000")
    )
    assert response.status_code == 302
    assert policy_for(2025).describe() == "2025年第1版"


def test_the_form_shows_chinese_errors_and_saves_nothing(admin_client):
    data = form_data(2024, monitoring_line="-5", reason="")
    response = admin_client.post(reverse("policy:year_edit", args=[2024]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "监测范围（元/人·年）须为不小于0的金额" in body
    assert "请填写修改原因" in body
    assert PolicyVersion.objects.count() == 4
    assert AuditEntry.objects.count() == 0


def test_the_form_refuses_a_save_without_changes(admin_client):
    response = admin_client.post(reverse("policy:year_edit", args=[2024]), form_data(2024))
    assert "参数没有变化，无需保存" in response.content.decode()
    assert PolicyVersion.objects.count() == 4


def test_the_form_refuses_a_save_over_a_newer_version(admin_client, cast):
    data = form_data(2024, notice_min_days="7")
    save_policy(cast["district_admin"], 2024, {"monitoring_line": "8500"}, "另一位管理员先保存")
    response = admin_client.post(reverse("policy:year_edit", args=[2024]), data)
    assert (
        "2024年的参数已被他人更新为2024年第2版，请刷新页面，在最新版本上重新修改" in response.content.decode()
    )
    assert PolicyVersion.objects.count() == 5


@pytest.mark.parametrize("role", [r for r in STAFF if r != "district_admin"])
def test_other_roles_may_not_edit(client, cast, role):
    client.force_login(cast[role])
    assert client.get(reverse("policy:year_edit", args=[2024])).status_code == 403
    response = client.post(reverse("policy:year_edit", args=[2024]), form_data(2024, monitoring_line="8600"))
    assert response.status_code == 403
    assert PolicyVersion.objects.count() == 4
    assert AuditEntry.objects.count() == 0


def test_the_history_shows_who_when_why_and_what(client, cast):
    save_policy(
        cast["district_admin"],
        2024,
        {"notice_min_days": "7", "education_dropout_stages": ["小学"]},
        "市局要求",
    )
    client.force_login(cast["inspector"])
    body = client.get(reverse("policy:year_detail", args=[2024])).content.decode()
    assert "市局要求" in body
    assert "admin（admin）" in body
    assert "村内公示最少天数（天）：5 天 → 7 天" in body
    assert "辍学预警学段：小学、初中 → 小学" in body
    assert "平台预置默认值" in body


def test_an_older_version_is_marked_as_history(client, cast):
    save_policy(cast["district_admin"], 2024, {"monitoring_line": "8500"}, "调整")
    client.force_login(cast["department_clerk"])
    old = client.get(reverse("policy:version_detail", args=[2024, 1])).content.decode()
    new = client.get(reverse("policy:version_detail", args=[2024, 2])).content.decode()
    assert "这是历史版本，只供查阅" in old
    assert "这是历史版本" not in new
    assert "8500.00 元/人·年" in new


def test_the_year_list_query_count_does_not_grow_with_versions(admin_client, cast):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(reverse("policy:year_list")).status_code == 200
        return len(context)

    count_queries()  # the first request also saves the session
    before = count_queries()
    for year, line in ((2024, "8400"), (2024, "8500"), (2025, "8600"), (2026, "8700")):
        save_policy(cast["district_admin"], year, {"monitoring_line": line}, "调整")
    assert count_queries() == before
