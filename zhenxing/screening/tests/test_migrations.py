"""Migrations that move screening data: what a database held before them is there after."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zhenxing.policy.resolve import policy_for
from zhenxing.screening import colour
from zhenxing.screening.models import ScreeningRun, Warning, WarningSeen
from zhenxing.screening.tests.run_helpers import AS_OF, DUE, RUN_DAY, lifted


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_each_warning_s_last_seen_run(cast, village):
    """0006 moved "last seen" out of the warning row into `WarningSeen`: each stored warning keeps its run."""
    household = lifted(cast, village)
    version = policy_for(2025).version
    first, second = (
        ScreeningRun.objects.create(as_of=AS_OF, backend="duckdb", trigger="manual", policy_version=version)
        for _ in range(2)
    )
    before = [("screening", "0005_registry_changes")]
    executor = MigrationExecutor(connection)
    after = executor.loader.graph.leaf_nodes("screening")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("screening", "Warning")
    common = {
        "rule": "medical_lifted",
        "rule_version": 1,
        "policy_version_id": version.pk,
        "household_id": household.pk,
        "area_id": household.area_id,
        "risk_type": "因病",
        "values": {"个人自付合计": "6000.00"},
        "first_run_id": first.pk,
        "raised_on": RUN_DAY,
        "due": DUE,
    }
    seen_first = old.objects.create(number="YJ00000001", period="2024", last_seen_run_id=first.pk, **common)
    seen_again = old.objects.create(number="YJ00000002", period="2025", last_seen_run_id=second.pk, **common)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    assert sorted(WarningSeen.objects.values_list("warning_id", "run_id")) == [
        (seen_first.pk, first.pk),
        (seen_again.pk, second.pk),
    ]
    assert Warning.objects.get(pk=seen_again.pk).seen.run == second
    colour.refresh([household.pk])  # the warnings were written behind the actions' back
