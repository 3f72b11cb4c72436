import datetime

import pytest

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Role
from zhenxing.audit.models import AuditEntry
from zhenxing.funds import checks
from zhenxing.funds.demo import _staff, load_demo_funds
from zhenxing.funds.models import Asset, ProjectEvent, PvMonth
from zhenxing.management.commands.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_year_is_built_through_the_actions(cast, village):
    result = load_demo_funds(cast["district_admin"])
    assert result == {"projects": 6, "in_library": 2, "stations": 2}
    assert PvMonth.objects.count() == 24 and Asset.objects.count() == len(
        {a.project_id for a in Asset.objects.all()}
    )
    assert ProjectEvent.objects.count() > 20
    assert len(checks.plan_checks(2024)[0]) == 4
    assert checks.progress_rows(2024, [], "source", datetime.date(2024, 7, 1)) == []


def test_it_creates_its_staff_through_the_accounts_actions_like_the_other_demo_logins(cast, village):
    admin = cast["district_admin"]
    load_demo_funds(admin)
    staff = User.objects.filter(username__startswith="demo_").order_by("username")
    assert [(u.username, u.full_name, u.role, u.area.code, u.must_change_password) for u in staff] == [
        ("demo_cadre_420704100201", "demo_cadre_420704100201", Role.VILLAGE_CADRE, "420704100201", False),
        ("demo_cadre_420704101201", "demo_cadre_420704101201", Role.VILLAGE_CADRE, "420704101201", False),
        ("demo_funds_officer", "demo_funds_officer", Role.DISTRICT_OFFICER, "420704", False),
        ("demo_township_420704100", "demo_township_420704100", Role.TOWNSHIP_OFFICER, "420704100", False),
        ("demo_township_420704101", "demo_township_420704101", Role.TOWNSHIP_OFFICER, "420704101", False),
    ]
    assert all(u.check_password(DEMO_PASSWORD) for u in staff)
    created = AuditEntry.objects.filter(action="create_user")
    assert sorted(created.values_list("object_id", "actor")) == sorted((str(u.pk), admin.pk) for u in staff)


def test_its_staff_are_reused_when_the_demo_runs_again(cast, county):
    admin = cast["district_admin"]
    first = _staff(admin, "demo_funds_officer", Role.DISTRICT_OFFICER, county)
    audit = AuditEntry.objects.count()
    assert _staff(admin, "demo_funds_officer", Role.DISTRICT_OFFICER, county) == first
    assert (User.objects.filter(username="demo_funds_officer").count(), AuditEntry.objects.count()) == (
        1,
        audit,
    )
