"""End-to-end journeys in real Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

import os

import pytest

from conftest import BROWSER, PASSWORD
from zhenxing.accounts.models import LoginEvent, User

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_it_logs_in_changes_the_first_password_and_shows_home(page, live_server, cast):
    User.objects.filter(username="zelin").update(must_change_password=True)
    page.goto(live_server.url + "/")
    assert page.url.startswith(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "zelin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_url(live_server.url + "/accounts/password/")
    assert "请先设置您自己的密码" in page.text_content("main")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password]", "Zelin#2024ok")
    page.fill("input[name=new_password_again]", "Zelin#2024ok")
    page.click("button.primary")

    page.wait_for_url(live_server.url + "/")
    assert page.text_content("h1") == "工作台"
    assert "鄂城区泽林镇" in page.text_content("main")
    assert "暂无待办事项" in page.text_content("main")
    assert page.is_visible("text=行政区划")
    assert not page.is_visible("text=用户管理")  # a township officer has no user management
    user = User.objects.get(username="zelin")
    assert user.must_change_password is False and user.check_password("Zelin#2024ok")
    assert list(LoginEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "success",
        "password_changed",
    ]
    if os.environ.get("ZX_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ZX_SCREENSHOTS"], "home.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_it_works_on_a_phone_with_the_menu_behind_a_button(browser, live_server, cast):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "xingang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert not page.is_visible("#sidebar")
    page.click(".menu-toggle")
    assert page.is_visible("#sidebar")
    page.click("#sidebar >> text=行政区划")
    page.wait_for_url(live_server.url + "/areas/")
    assert "新港村" in page.text_content("main")
    if os.environ.get("ZX_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ZX_SCREENSHOTS"], "phone.png"), full_page=True)
    context.close()
