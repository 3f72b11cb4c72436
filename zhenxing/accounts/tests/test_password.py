import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from conftest import PASSWORD
from zhenxing.accounts.models import LoginEvent, User
from zhenxing.audit.models import AuditEntry


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Qzr8vtkmW", True),  # upper, lower, digit
        ("qzr8vtkm!", True),  # lower, digit, symbol
        ("QZR8VTKM!", True),  # upper, digit, symbol
        ("Abc1!", False),  # too short
        ("abcdefgh1", False),  # two classes
        ("ABCDEFGHI", False),  # one class
        ("Ab1!Ab1", False),  # 7 characters
    ],
)
def test_it_requires_eight_characters_from_three_classes(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError) as e:
            validate_password(password)
        assert "密码至少8位，且须包含大写字母、小写字母、数字、符号中的至少三类。" in e.value.messages


@pytest.mark.django_db
def test_it_forces_a_password_change_before_anything_else(client, cast):
    User.objects.filter(username="zelin").update(must_change_password=True)
    client.post("/accounts/login/", {"username": "zelin", "password": PASSWORD})
    for path in ("/", "/areas/", "/jobs/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200


@pytest.mark.django_db
def test_it_changes_the_password_and_lifts_the_requirement(client, cast):
    User.objects.filter(username="zelin").update(must_change_password=True)
    client.post("/accounts/login/", {"username": "zelin", "password": PASSWORD})
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "Xinmima#2024", "new_password_again": "Xinmima#2024"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="zelin")
    assert user.check_password("Xinmima#2024")
    assert user.must_change_password is False
    assert user.password_changed_at is not None
    assert client.get("/").status_code == 200  # still logged in
    entry = AuditEntry.objects.get(action="change_own_password")
    assert (entry.actor_username, entry.changes) == ("zelin", {"must_change_password": [True, False]})
    assert LoginEvent.objects.filter(kind="password_changed", user=user).count() == 1


@pytest.mark.django_db
def test_it_refuses_a_weak_new_password_and_changes_nothing(client, cast):
    user = cast["township_officer"]
    client.force_login(user)
    old_hash = user.password
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "12345678", "new_password_again": "12345678"},
    )
    assert response.status_code == 200
    assert "至少三类" in response.content.decode()
    user.refresh_from_db()
    assert user.password == old_hash
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_refuses_reusing_the_current_password(client, cast):
    client.force_login(cast["township_officer"])
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert "新密码不能与当前密码相同" in response.content.decode()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_wrong_current_password(client, cast):
    client.force_login(cast["township_officer"])
    response = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password": "Xinmima#2024", "new_password_again": "Xinmima#2024"},
    )
    assert "当前密码不正确" in response.content.decode()
    assert not AuditEntry.objects.exists()
