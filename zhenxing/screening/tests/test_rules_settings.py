"""Rules settings: the enabled-rules parameter, the rules page, the preview on current data, and saving
only what was previewed as a new settings version."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.policy.models import PolicyVersion
from zhenxing.policy.parameters import BY_KEY, PARAMETERS, SCREENING, to_input
from zhenxing.policy.resolve import policy_for
from zhenxing.screening.engine.rules import RULES
from zhenxing.screening.runs import preview_settings
from zhenxing.screening.tests.run_helpers import AS_OF, lifted, medical, ordinary, push

pytestmark = pytest.mark.django_db
OTHER_MEDICAL = "其他农户医疗个人自付"


@pytest.fixture
def data(cast, village):
    """张三 (脱贫户) paid 4,500 (under 5,000); 王五 (一般农户) paid 25,000 (over 20,000)."""
    lifted(cast, village)
    ordinary(cast, village)
    push(cast, "medical", [medical(1, "4500.00"), medical(4, "25000.00")])


def travel():
    return time_machine.travel(datetime.datetime(2025, 4, 1, 9, tzinfo=datetime.UTC), tick=False)


def form_data(**changes) -> dict:
    policy = policy_for(2025)
    values = {p.key: to_input(p, policy[p.key]) for p in PARAMETERS if p.group == SCREENING}
    return {**values, "based_on": policy.version.pk, **changes}


def test_it_enables_every_rule_by_default(cast):
    parameter = BY_KEY["screening_rules_enabled"]
    assert parameter.choices == tuple(r.label for r in RULES)
    assert policy_for(2025)["screening_rules_enabled"] == tuple(r.label for r in RULES)
    assert len(parameter.choices) == 16


def test_it_previews_the_warnings_added_and_removed(cast, data):
    enabled = tuple(r.label for r in RULES if r.label != OTHER_MEDICAL)
    proposed = {"medical_lifted_threshold": Decimal("4000.00"), "screening_rules_enabled": enabled}

    preview = preview_settings(proposed, as_of=AS_OF)

    rows = {r.key: (r.current, r.proposed, r.added, r.removed) for r in preview.rows}
    assert rows["medical_lifted"] == (0, 1, 1, 0)
    assert rows["medical_other"] == (1, 0, 0, 1)
    assert sum(1 for r in preview.rows if (r.current, r.proposed) != (0, 0)) == 2
    assert (preview.warnings_added, preview.warnings_removed) == (1, 1)
    assert (preview.discrepancies_added, preview.discrepancies_removed) == (0, 0)


def test_it_lists_the_rules_with_their_settings(client, cast):
    client.force_login(cast["department_clerk"])

    response = client.get(reverse("screening:rule_list"))

    rows = {row["rule"].key: row for row in response.context["rows"]}
    assert len(rows) == 16
    assert [(p.label, value) for p, value in rows["medical_lifted"]["params"]] == [
        ("脱贫户及监测户医疗个人自付预警线", "5000.00 元"),
        ("医疗费用统计期", "12 个月"),
    ]
    assert (rows["vehicle"]["kind"], rows["vehicle"]["enabled"], rows["vehicle"]["source"]) == (
        "疑点",
        True,
        "车辆",
    )
    assert response.context["can_edit"] is False


@pytest.mark.parametrize("role", ["district_officer", "township_officer", "inspector"])
def test_it_refuses_the_settings_form_to_all_but_admins(client, cast, role):
    client.force_login(cast[role])
    assert client.get(reverse("screening:rule_edit")).status_code == 403


def test_it_shows_the_preview_on_the_page(client, cast, data):
    client.force_login(cast["district_admin"])

    with travel():
        response = client.post(
            reverse("screening:rule_edit"),
            {**form_data(medical_lifted_threshold="4000"), "action": "preview"},
        )

    assert response.status_code == 200
    assert (response.context["preview"].warnings_added, response.context["preview"].warnings_removed) == (
        1,
        0,
    )
    assert "预警：新增 <strong>1</strong> 条，减少 <strong>0</strong> 条" in response.content.decode()
    assert PolicyVersion.objects.filter(year=2025).count() == 0


def test_it_saves_the_previewed_settings_as_a_new_version(client, cast, data):
    client.force_login(cast["district_admin"])
    changed = form_data(medical_lifted_threshold="4000")
    with travel():
        preview = client.post(reverse("screening:rule_edit"), {**changed, "action": "preview"})
        response = client.post(
            reverse("screening:rule_edit"),
            {
                **changed,
                "action": "save",
                "previewed": preview.context["stamp"],
                "reason": "区务会决定下调预警线",
            },
        )

    assert response.status_code == 302
    version = PolicyVersion.objects.get(year=2025)
    assert (version.version, version.values["medical_lifted_threshold"], version.reason) == (
        1,
        "4000.00",
        "区务会决定下调预警线",
    )
    assert AuditEntry.objects.filter(action="save_policy").count() == 1


def test_it_refuses_to_save_without_a_preview(client, cast, data):
    client.force_login(cast["district_admin"])
    with travel():
        response = client.post(
            reverse("screening:rule_edit"),
            {**form_data(medical_lifted_threshold="4000"), "action": "save", "reason": "下调"},
        )

    assert response.status_code == 422
    assert "参数在预览之后有改动（或尚未预览）" in response.content.decode()
    assert response.context["preview"] is not None  # shown now, so the admin can confirm it
    assert PolicyVersion.objects.filter(year=2025).count() == 0


def test_it_refuses_to_save_values_changed_after_the_preview(client, cast, data):
    client.force_login(cast["district_admin"])
    with travel():
        preview = client.post(
            reverse("screening:rule_edit"),
            {**form_data(medical_lifted_threshold="4000"), "action": "preview"},
        )
        response = client.post(
            reverse("screening:rule_edit"),
            {
                **form_data(medical_lifted_threshold="3000"),
                "action": "save",
                "previewed": preview.context["stamp"],
                "reason": "下调",
            },
        )

    assert response.status_code == 422
    assert PolicyVersion.objects.filter(year=2025).count() == 0


def test_it_puts_a_bad_value_on_its_field(client, cast):
    client.force_login(cast["district_admin"])
    with travel():
        response = client.post(
            reverse("screening:rule_edit"), {**form_data(medical_lifted_threshold="-1"), "action": "preview"}
        )

    assert response.status_code == 422
    assert response.context["form"].errors["medical_lifted_threshold"] == [
        "脱贫户及监测户医疗个人自付预警线（元）须为不小于0的金额"
    ]
    assert response.context["preview"] is None


def test_it_shows_the_settings_form_with_the_values_in_effect(client, cast):
    client.force_login(cast["district_admin"])

    response = client.get(reverse("screening:rule_edit"))

    form = response.context["form"]
    assert response.status_code == 200
    assert [f.name for f in form.fields_in_order()][:2] == [
        "screening_rules_enabled",
        "medical_lifted_threshold",
    ]
    assert form["medical_lifted_threshold"].value() == "5000.00"
    assert response.context["preview"] is None
