import pytest
from django.test import Client

from conftest import PASSWORD
from zhenxing.accounts.models import User
from zhenxing.audit.models import AuditEntry


def form(**overrides):
    data = {
        "username": "newcadre",
        "full_name": "张新",
        "phone": "0711-3212345",
        "role": "village_cadre",
        "area": "",
        "department": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_it_creates_a_user_with_a_temporary_password_shown_once(admin_client, village):
    response = admin_client.post("/accounts/users/new/", form(area=village.pk))
    assert response.status_code == 200
    password = response.context["password"]
    assert len(password) == 12
    user = User.objects.get(username="newcadre")
    assert (user.full_name, user.role, user.area, user.must_change_password) == (
        "张新",
        "village_cadre",
        village,
        True,
    )
    assert user.check_password(password)
    entry = AuditEntry.objects.get(action="create_user")
    assert entry.actor_username == "admin"
    assert entry.object_id == str(user.pk)
    assert entry.area_code == "420704100201"
    assert entry.changes["role"] == [None, "village_cadre"]
    assert entry.changes["area"] == [None, village.pk]


@pytest.mark.django_db
def test_it_refuses_a_role_at_the_wrong_level_and_creates_nothing(admin_client, township):
    before = AuditEntry.objects.count()
    response = admin_client.post("/accounts/users/new/", form(area=township.pk))
    assert response.status_code == 200
    assert (
        "角色“村干部/驻村工作队员”应归属村/社区级区划，所选“泽林镇”是乡镇/街道级" in response.content.decode()
    )
    assert not User.objects.filter(username="newcadre").exists()
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_it_requires_a_department_for_a_department_clerk(admin_client, county):
    response = admin_client.post("/accounts/users/new/", form(role="department_clerk", area=county.pk))
    assert "行业部门填报员必须选择所属部门" in response.content.decode()
    assert not User.objects.filter(username="newcadre").exists()


@pytest.mark.django_db
def test_it_refuses_a_duplicate_username_ignoring_case(admin_client, village):
    response = admin_client.post("/accounts/users/new/", form(username="ZELIN", area=village.pk))
    assert "该账号已存在" in response.content.decode()
    assert User.objects.filter(username__iexact="zelin").count() == 1


@pytest.mark.django_db
def test_it_moves_a_user_to_another_area_with_an_audited_diff(admin_client, cast, other_village):
    cadre = cast["village_cadre"]
    old_area_pk = cadre.area_id
    response = admin_client.post(
        f"/accounts/users/{cadre.username}/",
        form(username=cadre.username, full_name=cadre.full_name, phone="", area=other_village.pk),
    )
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert cadre.area == other_village
    entry = AuditEntry.objects.get(action="update_user")
    assert entry.changes == {"area": [old_area_pk, other_village.pk]}


@pytest.mark.django_db
def test_it_resets_a_password_which_forces_a_change_and_unlocks(admin_client, cast):
    from django.utils import timezone

    User.objects.filter(username="zelin").update(locked_until=timezone.now() + timezone.timedelta(minutes=10))
    response = admin_client.post("/accounts/users/zelin/reset-password/")
    password = response.context["password"]
    user = User.objects.get(username="zelin")
    assert user.must_change_password is True
    assert user.locked_until is None
    assert user.check_password(password)
    assert not user.check_password(PASSWORD)
    assert AuditEntry.objects.filter(action="reset_password", object_id=str(user.pk)).count() == 1


@pytest.mark.django_db
def test_it_deactivates_a_user_who_then_cannot_log_in(admin_client, cast):
    admin_client.post("/accounts/users/zelin/active/", {"active": "0"})
    assert User.objects.get(username="zelin").is_active is False
    response = Client().post("/accounts/login/", {"username": "zelin", "password": PASSWORD})
    assert "该账户已停用" in response.content.decode()
    assert AuditEntry.objects.get(action="deactivate_user").changes == {"is_active": [True, False]}


@pytest.mark.django_db
def test_it_refuses_deactivating_oneself(admin_client, cast):
    response = admin_client.post("/accounts/users/admin/active/", {"active": "0"}, follow=True)
    assert "不能停用自己的账户" in response.content.decode()
    assert User.objects.get(username="admin").is_active is True
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_refuses_changing_ones_own_role(admin_client, cast, county):
    response = admin_client.post(
        "/accounts/users/admin/", form(username="admin", full_name="admin", role="inspector", area=county.pk)
    )
    assert "不能修改自己的角色" in response.content.decode()
    assert User.objects.get(username="admin").role == "district_admin"
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_lists_users_for_the_inspector_without_edit_links(client, cast):
    client.force_login(cast["inspector"])
    response = client.get("/accounts/users/")
    assert response.status_code == 200
    assert [u.username for u in response.context["page"]] == [
        "admin",
        "clerk",
        "inspector",
        "officer",
        "zelin",
        "xingang",
        "dushan",
        "dushancun",
    ]
    assert "/accounts/users/zelin/" not in response.content.decode()
