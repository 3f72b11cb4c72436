from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from zhenxing.accounts.middleware import LAST_SEEN_KEY
from zhenxing.accounts.models import LoginEvent, User

LOGIN = "/accounts/login/"


def post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_it_logs_in_and_records_success(client, cast):
    response = post_login(client, "zelin", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert list(LoginEvent.objects.values_list("username", "kind")) == [("zelin", "success")]
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_with_a_chinese_message(client, cast):
    response = post_login(client, "zelin", "wrong")
    assert response.status_code == 400
    assert "账号或密码不正确" in response.content.decode()
    user = User.objects.get(username="zelin")
    assert user.failed_login_count == 1
    assert user.locked_until is None
    assert list(LoginEvent.objects.values_list("kind", flat=True)) == ["failure"]


@pytest.mark.django_db
def test_it_locks_the_account_after_five_failures_for_fifteen_minutes(client, cast):
    for _ in range(4):
        post_login(client, "zelin", "wrong")
    response = post_login(client, "zelin", "wrong")
    assert "账户已锁定15分钟" in response.content.decode()
    user = User.objects.get(username="zelin")
    remaining = user.locked_until - timezone.now()
    assert timedelta(minutes=14, seconds=50) < remaining <= timedelta(minutes=15)
    # Even the right password is refused while locked, and nobody is logged in.
    response = post_login(client, "zelin", PASSWORD)
    assert response.status_code == 400
    assert "账户已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    kinds = list(LoginEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["failure"] * 5 + ["locked", "refused_locked"]


@pytest.mark.django_db
def test_it_lets_a_user_in_again_once_the_lock_has_expired(client, cast):
    User.objects.filter(username="zelin").update(locked_until=timezone.now() - timedelta(seconds=1))
    assert post_login(client, "zelin", PASSWORD).status_code == 302
    assert User.objects.get(username="zelin").locked_until is None


@pytest.mark.django_db
def test_it_refuses_a_deactivated_user(client, cast):
    User.objects.filter(username="zelin").update(is_active=False)
    response = post_login(client, "zelin", PASSWORD)
    assert "该账户已停用" in response.content.decode()
    assert list(LoginEvent.objects.values_list("kind", flat=True)) == ["refused_inactive"]


@pytest.mark.django_db
def test_it_records_an_unknown_username_without_revealing_it(client, cast):
    response = post_login(client, "nobody", "x")
    assert "账号或密码不正确" in response.content.decode()
    assert list(LoginEvent.objects.values_list("username", "kind", "user")) == [("nobody", "failure", None)]


@pytest.mark.django_db
def test_it_logs_out_on_post_and_records_it(client, cast):
    post_login(client, "zelin", PASSWORD)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert list(LoginEvent.objects.order_by("id").values_list("kind", flat=True)) == ["success", "logout"]


@pytest.mark.django_db
def test_it_ends_the_session_after_thirty_idle_minutes(client, cast):
    post_login(client, "zelin", PASSWORD)
    session = client.session
    session[LAST_SEEN_KEY] = session[LAST_SEEN_KEY] - 31 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?timeout=1")
    assert client.get("/").status_code == 302  # logged out for good
    assert LoginEvent.objects.filter(kind="timeout", username="zelin").count() == 1


@pytest.mark.django_db
def test_it_keeps_the_session_when_active_within_thirty_minutes(client, cast):
    post_login(client, "zelin", PASSWORD)
    session = client.session
    session[LAST_SEEN_KEY] = session[LAST_SEEN_KEY] - 29 * 60
    session.save()
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_does_not_count_polls_as_activity(client, cast):
    post_login(client, "zelin", PASSWORD)
    session = client.session
    stale = session[LAST_SEEN_KEY] - 20 * 60
    session[LAST_SEEN_KEY] = stale
    session.save()
    client.get("/", headers={"X-ZX-Poll": "1"})
    assert client.session[LAST_SEEN_KEY] == stale


@pytest.mark.django_db
def test_the_wall_display_keeps_refreshing_but_an_idle_session_ends_on_any_other_request(client, cast):
    """The 大屏 panel poll is served after the idle limit without counting as activity; the next
    ordinary request of that session still ends it."""
    post_login(client, "zelin", PASSWORD)
    session = client.session
    stale = session[LAST_SEEN_KEY] - 3 * 24 * 60 * 60  # left on the wall for three days
    session[LAST_SEEN_KEY] = stale
    session.save()
    poll = {"X-ZX-Poll": "1", "HX-Request": "true"}
    response = client.get(reverse("reports:dashboard_screen"), headers=poll)
    assert response.status_code == 200
    assert client.session[LAST_SEEN_KEY] == stale
    assert LoginEvent.objects.filter(kind="timeout").count() == 0
    # the same header on another page does not keep the session
    assert client.get("/", headers=poll).status_code == 204
    assert LoginEvent.objects.filter(kind="timeout", username="zelin").count() == 1
    assert client.get(reverse("reports:dashboard_screen")).status_code == 302


@pytest.mark.django_db
def test_it_sends_htmx_requests_to_login_after_timeout(client, cast):
    post_login(client, "zelin", PASSWORD)
    session = client.session
    session[LAST_SEEN_KEY] = session[LAST_SEEN_KEY] - 31 * 60
    session.save()
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?timeout=1"


@pytest.mark.django_db
def test_it_does_not_redirect_to_another_site_after_login(client, cast):
    response = client.post(
        LOGIN, {"username": "zelin", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_it_refreshes_the_activity_time_at_most_once_a_minute(client, cast):
    post_login(client, "zelin", PASSWORD)
    session = client.session
    recent = session[LAST_SEEN_KEY] - 30
    session[LAST_SEEN_KEY] = recent
    session.save()
    client.get("/")
    assert client.session[LAST_SEEN_KEY] == recent  # 30 s ago: not rewritten
    session = client.session
    session[LAST_SEEN_KEY] = recent - 60
    session.save()
    client.get("/")
    assert client.session[LAST_SEEN_KEY] > recent  # 90 s ago: refreshed


@pytest.mark.django_db
def test_it_starts_the_idle_clock_for_a_session_without_one(client, cast):
    client.force_login(cast["township_officer"])
    client.get("/")
    assert LAST_SEEN_KEY in client.session
