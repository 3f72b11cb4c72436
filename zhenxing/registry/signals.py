"""Signals the registry sends to the apps built on it (the registry imports none of them)."""

from django.dispatch import Signal

# Sent by `actions.record_event` inside the change's transaction, after the household's own counts are saved
# (`member_count`, `head`), with `household`. The cases app keeps its copy of the member count with it.
household_changed = Signal()

# Sent with `household_ids` wherever something behind the households' risk colour changed without a model
# save (a queryset `update()`): a lead's or case's status, a step's deadline, the monitoring status. The
# screening app, which owns the colour rule, refreshes the households' colour columns
# (`screening.colour.refresh`); model saves and deletes of cases, leads and warnings refresh them by
# themselves.
risk_changed = Signal()
