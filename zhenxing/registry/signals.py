"""Signals the registry sends to the apps built on it (the registry imports none of them)."""

from django.dispatch import Signal

# Sent by `actions.record_event` inside the change's transaction, after the household's own counts are saved
# (`member_count`, `head`), with `household`. The cases app keeps its copy of the member count with it.
household_changed = Signal()
