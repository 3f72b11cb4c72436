"""The fixed cast: one user per role inside the 泽林镇 / 新港村 branch, and outsiders in 杜山镇.

Areas: the county and its 14 townships come from the shipped data migration; the tests add
demo villages 420704100201 (泽林镇) and 420704101201 (杜山镇).
"""

import os
import shutil

import pytest

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Department, Role
from zhenxing.areas.models import Area, Level

PASSWORD = "Zx-test-2024"


def reload_shipped_data() -> None:
    """Re-run every data migration (they are re-runnable by rule).

    Transactional tests (browser tests with a live server) flush all tables afterwards, taking the
    shipped townships and policy defaults with them; this puts them back for the next such test.
    """
    from django.apps import apps as global_apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    plan = []
    for leaf in loader.graph.leaf_nodes():
        plan += [key for key in loader.graph.forwards_plan(leaf) if key not in plan]
    for key in plan:
        migration = loader.graph.nodes[key]
        if not type(migration).__module__.startswith("zhenxing."):
            continue
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                operation.code(global_apps, None)


@pytest.fixture(autouse=True)
def _shipped_data_in_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        reload_shipped_data()


@pytest.fixture(autouse=True)
def _kept_copies(request):
    """After every database test: the households' risk-colour columns equal what the colour rule computes
    from the warnings, leads and cases (`screening.colour.stale`), and the copies between households and
    their incomes equal their sources (`registry.incomes.stale`) — whatever the test did through the
    actions, a writer that forgets `colour.refresh` or `incomes.keep_…` fails here. A test that writes
    those rows behind the actions' back repairs them itself."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if not (marker or "db" in names or "transactional_db" in names):
        yield
        return
    transactional = "transactional_db" in names or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from django.db import connection

    from zhenxing.registry import incomes
    from zhenxing.screening.colour import stale

    if connection.closed_in_transaction or (connection.connection is not None and not connection.is_usable()):
        return  # the test closed the connection (a CLI entry point does): its data went with it
    wrong = stale()
    assert not wrong, f"households whose colour columns are stale (pk, stored, computed): {wrong[:5]}"
    copies = incomes.stale()
    assert not copies, f"income copies that differ from their source (registry.incomes): {copies[:5]}"


@pytest.fixture
def county(db) -> Area:
    return Area.objects.get(code="420704")


@pytest.fixture
def township(db) -> Area:
    return Area.objects.get(code="420704100")  # 泽林镇


@pytest.fixture
def other_township(db) -> Area:
    return Area.objects.get(code="420704101")  # 杜山镇


@pytest.fixture
def village(township) -> Area:
    return Area.objects.create(
        code="420704100201", name="新港村", level=Level.VILLAGE, parent=township, is_demo=True
    )


@pytest.fixture
def other_village(other_township) -> Area:
    return Area.objects.create(
        code="420704101201", name="杜山村", level=Level.VILLAGE, parent=other_township, is_demo=True
    )


def make_user(username: str, role: str, area: Area, department: str = "") -> User:
    user = User(username=username, full_name=username, role=role, area=area, department=department)
    user.must_change_password = False
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def cast(county, township, village, other_township, other_village) -> dict[str, User]:
    """Every role, plus outsiders: a township officer and a village cadre of 杜山镇."""
    return {
        "district_admin": make_user("admin", Role.DISTRICT_ADMIN, county),
        "district_officer": make_user("officer", Role.DISTRICT_OFFICER, county),
        "department_clerk": make_user("clerk", Role.DEPARTMENT_CLERK, county, Department.MEDICAL),
        "township_officer": make_user("zelin", Role.TOWNSHIP_OFFICER, township),
        "village_cadre": make_user("xingang", Role.VILLAGE_CADRE, village),
        "inspector": make_user("inspector", Role.INSPECTOR, county),
        "outside_township_officer": make_user("dushan", Role.TOWNSHIP_OFFICER, other_township),
        "outside_village_cadre": make_user("dushancun", Role.VILLAGE_CADRE, other_village),
    }


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast["district_admin"])
    return client


# --- browser tests: real Chromium (Debian's /usr/bin/chromium) driven by Playwright ------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="需要 Chromium（make test 以 root 运行时自动安装）"
    ),
]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are plain set-up.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def login(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (signing out whoever was signed in) and wait for the home page."""
    page.context.clear_cookies()
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")
