import datetime

import pytest

from zhenxing.funds import checks
from zhenxing.funds.demo import load_demo_funds
from zhenxing.funds.models import Asset, ProjectEvent, PvMonth

pytestmark = pytest.mark.django_db


def test_the_demo_year_is_built_through_the_actions(cast, village):
    result = load_demo_funds(cast["district_admin"])
    print(result)
    assert result["projects"] == 6 and result["stations"] == 2
    assert PvMonth.objects.count() == 24 and Asset.objects.count() == len(
        {a.project_id for a in Asset.objects.all()}
    )
    assert ProjectEvent.objects.count() > 20
    assert len(checks.plan_checks(2024)[0]) == 4
    assert checks.progress_rows(2024, [], "source", datetime.date(2024, 7, 1)) == []
