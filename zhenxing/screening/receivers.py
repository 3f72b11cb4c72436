"""Keeps the households' risk-colour columns (`colour.refresh`) with the rows the colour rule reads."""

from zhenxing.screening import colour


def refresh_saved(sender, instance, **kwargs) -> None:
    """post_save / post_delete of a Case, Lead or Warning: its household's colour may have changed."""
    colour.refresh([instance.household_id])


def refresh_named(sender, household_ids, **kwargs) -> None:
    """`registry.signals.risk_changed`: a queryset update changed what the colour reads."""
    colour.refresh(household_ids)
