"""Households for the registry's action, view and export tests, made through the actions themselves."""

import datetime

from zhenxing.areas.models import Area, Level
from zhenxing.lib import idnumbers
from zhenxing.registry.actions import HouseholdData, PersonData, register_household
from zhenxing.registry.models import HEAD, Household, HouseholdKind

D = datetime.date
REGISTERED_ON = D(2024, 1, 1)


def id_number(n: int, female: bool = False, born: datetime.date | None = None) -> str:
    """A valid ID number, different for every n (0–450)."""
    born = born or D(1950, 1, 1) + datetime.timedelta(days=53 * n)
    return idnumbers.make("420704", born, 2 * n + (0 if female else 1))


def person(n: int, name: str, relation: str, female: bool = False, born=None, **values) -> PersonData:
    return PersonData(
        id_number=id_number(n, female, born),
        name=name,
        relation=relation,
        health=values.pop("health", "健康"),
        labour_capacity=values.pop("labour_capacity", "普通劳动力"),
        **values,
    )


def register(
    actor,
    village: Area,
    number: str = "H001",
    members: list[PersonData] | None = None,
    day: datetime.date = REGISTERED_ON,
    kind: str = HouseholdKind.ORDINARY,
    lifted_year: int | None = None,
) -> Household:
    """A household registered on `day`; by default 张三 (户主, n=1), 李四 (配偶, n=2), 张小明 (之子, n=3)."""
    members = members or [
        person(1, "张三", HEAD),
        person(2, "李四", "配偶", female=True),
        person(3, "张小明", "之子", born=D(2005, 5, 5)),
    ]
    data = HouseholdData(
        number=number, area_id=village.pk, kind=kind, members=members, lifted_year=lifted_year
    )
    return register_household(actor, data, day)


def second_village(township: Area) -> Area:
    return Area.objects.create(
        code="420704100202", name="长港村", level=Level.VILLAGE, parent=township, is_demo=True
    )
