"""The edit form: one field per parameter, plus the reason.

Fields accept text as typed; `actions.save_policy` checks every value and its errors are put back on
the fields by key, so the rules live in one place (`policy.parameters`).
"""

from collections.abc import Mapping
from typing import Any

from django import forms

from zhenxing.policy.parameters import (
    CHOICE_LIST,
    GROUPS,
    INTEGER,
    MONEY,
    MONTH_DAY,
    MULTIPLIER,
    PARAMETERS,
    PERCENT,
    to_input,
)

_INPUT_MODE = {MONEY: "decimal", PERCENT: "decimal", MULTIPLIER: "decimal", INTEGER: "numeric"}


class PolicyForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label="修改原因",
        required=False,  # checked by the action, which says what to do
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="必填。写明依据的文件或会议，如“省农业农村厅2025年监测范围通知”。",
    )

    def __init__(self, *args, current: Mapping[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        for p in PARAMETERS:
            self.fields[p.key] = _field(p, to_input(p, current[p.key]))

    def parameter_values(self) -> dict[str, Any]:
        return {p.key: self.cleaned_data.get(p.key) for p in PARAMETERS}

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The parameter fields by group, for the template."""
        return [(g, [self[p.key] for p in PARAMETERS if p.group == g]) for g in GROUPS]


def _field(p, initial) -> forms.Field:
    common = {"label": p.title, "help_text": p.help, "required": False, "initial": initial}
    if p.kind == CHOICE_LIST:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in p.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    attrs = {"autocomplete": "off"}
    if p.kind in _INPUT_MODE:
        attrs["inputmode"] = _INPUT_MODE[p.kind]
    if p.kind == MONTH_DAY:
        attrs["placeholder"] = "MM-DD"
    return forms.CharField(strip=True, widget=forms.TextInput(attrs=attrs), **common)
