"""The cases app's answers to the registry's signals."""

from zhenxing.cases.models import Case


def keep_household_members(sender, household, **kwargs) -> None:
    """Every case of the household (open or closed: the dashboards read closed ones for earlier days) keeps
    the household's current member count (`Case.household_members`)."""
    Case.objects.filter(household=household).exclude(household_members=household.member_count).update(
        household_members=household.member_count
    )
