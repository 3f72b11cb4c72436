import datetime
from decimal import Decimal

import pytest

from zhenxing.funds import actions
from zhenxing.funds.models import Category, FundSource

TODAY = datetime.date(2024, 5, 10)


def project_data(area, **overrides) -> actions.ProjectData:
    values = dict(
        year=2024,
        name="新港村茶园提质",
        category=Category.INDUSTRY,
        content="新建茶园200亩",
        area=area,
        period_start=datetime.date(2024, 3, 1),
        period_end=datetime.date(2024, 11, 30),
        responsible_unit="泽林镇人民政府",
        responsible_person="张三",
        amounts={FundSource.CENTRAL: Decimal("100000.00"), FundSource.PROVINCIAL: Decimal("20000.00")},
        is_leading_industry=True,
        performance_targets="新增茶园200亩",
        linkage_mechanism="务工+分红",
    )
    values.update(overrides)
    return actions.ProjectData(**values)


def library_project(cast, area, **overrides):
    """A project walked through the whole workflow to 入库 by three different people."""
    outside = not area.code.startswith(cast["township_officer"].area.code)
    proposer = cast["outside_village_cadre" if outside else "village_cadre"]
    project = actions.propose_project(proposer, project_data(area, **overrides))
    actions.review_at_township(cast["outside_township_officer" if outside else "township_officer"], project)
    actions.approve_at_county(
        cast["district_officer"], project, datetime.date(2024, 1, 1), datetime.date(2024, 1, 10)
    )
    actions.enter_library(cast["district_officer"], project, today=datetime.date(2024, 1, 11))
    return project


@pytest.fixture
def in_library(cast, village):
    return library_project(cast, village)
