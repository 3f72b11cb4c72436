"""The import journey in real Chromium: a file with errors, the error table, the fixed file, commit."""

import os

import pytest

from conftest import BROWSER, PASSWORD
from zhenxing.jobs.worker import Worker
from zhenxing.registry.models import Household
from zhenxing.registry.tests.import_helpers import OTHER_HEAD, csv_file, family, member, wrong_check_digit

pytestmark = BROWSER


def run_jobs() -> None:
    """The worker, in this thread, between browser steps."""
    while Worker("t").run_once():
        pass


def upload(page, live_server, name: str, data: bytes) -> None:
    page.goto(live_server.url + "/imports/")
    page.set_input_files(
        "#id_households_file", files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.click("form[action$='/upload/households/'] button")
    page.wait_for_url("**/imports/*-*/")


@pytest.mark.django_db(transaction=True)
def test_it_imports_a_file_with_errors_then_the_fixed_file(
    page, live_server, cast, village, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    broken = [*family("H001"), member("H002", wrong_check_digit(OTHER_HEAD), name="王五")]
    upload(page, live_server, "户籍.csv", csv_file(broken))
    assert "正在检查户籍成员文件" in page.text_content("main")
    run_jobs()
    page.wait_for_selector("table.import-errors", timeout=15_000)  # the page polls, then reloads
    cells = page.locator("table.import-errors tbody tr").first.locator("td").all_text_contents()
    assert cells[:3] == ["户籍成员", "第5行", "公民身份号码"]
    assert cells[3].startswith("公民身份号码校验码错误，应为")
    assert page.is_visible("text=只导入无错误的户")
    assert not page.is_visible("text=全部导入")
    assert Household.objects.count() == 0
    if os.environ.get("ZX_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ZX_SCREENSHOTS"], "import_errors.png"), full_page=True)

    fixed = [*family("H001"), member("H002", OTHER_HEAD, name="王五")]
    upload(page, live_server, "户籍（改正）.csv", csv_file(fixed))
    run_jobs()
    page.wait_for_selector("text=全部导入", timeout=15_000)
    assert "没有错误" in page.text_content("main")
    page.click("text=全部导入")
    page.wait_for_url("**/jobs/*-*/")
    run_jobs()
    page.wait_for_selector("text=结果摘要", timeout=15_000)
    summary = page.locator("dl.facts").last.text_content()
    assert "新增2" in summary.replace(" ", "").replace("\n", "")
    assert sorted(Household.objects.values_list("number", "member_count")) == [("H001", 3), ("H002", 1)]
    if os.environ.get("ZX_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ZX_SCREENSHOTS"], "import_done.png"), full_page=True)
